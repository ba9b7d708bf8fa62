"""What every exercise type shares: the worksheet (forms and formsets with validation),
limits on answers, drafts as raw form data, and the shapes the templates render.

A worksheet is built from the exercise's content (``Exercise.config``) and either nothing
(a fresh worksheet), a draft (raw form data as typed, rendered without error messages),
or a POST (validated; ``answers()`` gives the normalised answers that are stored).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.forms.formsets import BaseFormSet, formset_factory
from django.forms.utils import ErrorDict
from django.utils.datastructures import MultiValueDict
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from tandem.programs.content import Exercise, Localized

PREFIX = "ws"
MAX_FIELD_BYTES = 50 * 1024  # per answer field (issue 3: "> 50 kB per field")
MAX_DRAFT_KEYS = 800
MAX_VALUES_PER_KEY = 100
TEXT_MAX = 20000  # characters in one free-text answer (and the byte limit above)
MORE_ROWS = "ROWS"  # draft key: how many rows of a formset the patient asked for


def add_row(data: dict[str, list[str]], formset_prefix: str) -> None:
    """ "Add a row" (no script needed): ask for one row more than the form showed."""
    try:
        shown = int((data.get(f"{formset_prefix}-TOTAL_FORMS") or ["0"])[0])
    except ValueError:
        shown = 0
    data[f"{formset_prefix}-{MORE_ROWS}"] = [str(min(shown + 1, 100))]


class TooLarge(Exception):
    """A draft value over the per-field limit: the draft is refused, never cut."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@deconstructible
class MaxBytesValidator:
    message = _("This answer is too long (more than %(kb)s kB). Shorten it or split it up.")
    code = "too_long"

    def __init__(self, limit: int = MAX_FIELD_BYTES) -> None:
        self.limit = limit

    def __call__(self, value: object) -> None:
        if value is not None and len(str(value).encode("utf-8")) > self.limit:
            raise ValidationError(self.message, code=self.code, params={"kb": self.limit // 1024})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MaxBytesValidator) and other.limit == self.limit

    def __hash__(self) -> int:
        return hash(self.limit)


def oversized(value: str) -> bool:
    return len(value.encode("utf-8")) > MAX_FIELD_BYTES


# --- fields ---------------------------------------------------------------------------------


class WorksheetForm(forms.Form):
    """Server-side validation only: messages next to each field, no browser pop-ups."""

    use_required_attribute = False


def text_field(
    label: str,
    *,
    required: bool = False,
    max_length: int | None = None,
    multiline: bool = True,
    help_text: str = "",
    rows: int = 4,
    datalist: str = "",
) -> forms.CharField:
    limit = min(max_length or TEXT_MAX, TEXT_MAX)
    attrs: dict[str, Any] = {"rows": rows} if multiline else {}
    if datalist:
        attrs["list"] = datalist
    widget = forms.Textarea(attrs=attrs) if multiline else forms.TextInput(attrs=attrs)
    return forms.CharField(
        label=label,
        required=required,
        max_length=limit,
        widget=widget,
        help_text=help_text,
        validators=[MaxBytesValidator()],
        error_messages={"max_length": _("Keep this to at most %(limit_value)d characters.")},
    )


def int_field(
    label: str,
    low: int,
    high: int,
    *,
    required: bool = False,
    help_text: str = "",
    initial: int | None = None,
) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=low,
        max_value=high,
        help_text=help_text,
        initial=initial,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": low, "max": high}),
        error_messages={
            "invalid": _("Enter a whole number."),
            "min_value": _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high},
            "max_value": _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high},
        },
    )


def date_field(label: str, *, required: bool = False, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": _("Enter a date.")},
    )


def time_field(label: str, *, required: bool = False, help_text: str = "") -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        input_formats=["%H:%M", "%H:%M:%S"],
        error_messages={"invalid": _("Enter a time such as 07:30.")},
    )


def build_form(fields: Mapping[str, forms.Field], *, clean: Any = None) -> type[WorksheetForm]:
    attrs: dict[str, Any] = dict(fields)
    if clean is not None:
        attrs["clean"] = clean
    return type("DynamicWorksheetForm", (WorksheetForm,), attrs)


# --- values -----------------------------------------------------------------------------------


def iso(value: Any) -> Any:
    """A cleaned value as JSON: dates and times as ISO text, floats without noise."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value):
            return int(value)
        return round(value, 4)
    return value


def blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value is False


def put(data: dict[str, list[str]], name: str, value: Any) -> None:
    """Set one raw form value (the inverse of cleaning) under the worksheet prefix."""
    key = f"{PREFIX}-{name}"
    if value is None or value == "":
        return
    if isinstance(value, bool):
        if value:
            data[key] = ["on"]
        return
    if isinstance(value, list | tuple):
        data[key] = [str(v) for v in value]
        return
    data[key] = [str(value)]


def put_rows(data: dict[str, list[str]], name: str, rows: Sequence[Mapping[str, Any]]) -> None:
    for index, row in enumerate(rows):
        for key, value in row.items():
            put(data, f"{name}-{index}-{key}", value)
    data[f"{PREFIX}-{name}-TOTAL_FORMS"] = [str(len(rows))]
    data[f"{PREFIX}-{name}-INITIAL_FORMS"] = ["0"]


def raw_draft(post: Any) -> dict[str, list[str]]:
    """The worksheet's part of a POST, as typed (the draft). Raises ``TooLarge``."""
    out: dict[str, list[str]] = {}
    for key in post:
        if not isinstance(key, str) or not key.startswith(f"{PREFIX}-") or len(key) > 200:
            continue
        values = [str(v) for v in post.getlist(key)][:MAX_VALUES_PER_KEY]
        for value in values:
            if oversized(value):
                raise TooLarge(key)
        out[key] = values
        if len(out) > MAX_DRAFT_KEYS:
            raise TooLarge("")
    return out


def as_data(data: Mapping[str, Any]) -> MultiValueDict:
    out = MultiValueDict()
    for key, values in data.items():
        if isinstance(values, list | tuple):
            out.setlist(str(key), [str(v) for v in values])
        elif values is not None:
            out.setlist(str(key), [str(values)])
    return out


# --- display shapes ---------------------------------------------------------------------------


@dataclass
class Trend:
    """A small accessible line chart (inline SVG, no script) with its values as text."""

    label: str
    points: list[tuple[str, float | None]]  # (x label, value)
    low: float
    high: float
    unit: str = ""
    width: int = 320
    height: int = 96
    pad: int = 8

    @property
    def values(self) -> list[float]:
        return [v for _label, v in self.points if v is not None]

    def _xy(self) -> list[tuple[float, float]]:
        n = len(self.points)
        span = (self.high - self.low) or 1
        inner_w = self.width - 2 * self.pad
        inner_h = self.height - 2 * self.pad
        out = []
        for index, (_label, value) in enumerate(self.points):
            if value is None:
                continue
            x = self.pad + (inner_w * index / (n - 1) if n > 1 else inner_w / 2)
            clamped = min(max(value, self.low), self.high)
            y = self.pad + inner_h * (1 - (clamped - self.low) / span)
            out.append((round(x, 1), round(y, 1)))
        return out

    @property
    def polyline(self) -> str:
        return " ".join(f"{x},{y}" for x, y in self._xy())

    @property
    def dots(self) -> list[tuple[float, float]]:
        return self._xy()

    @property
    def first(self) -> float | None:
        return self.values[0] if self.values else None

    @property
    def last(self) -> float | None:
        return self.values[-1] if self.values else None

    @property
    def mean(self) -> float | None:
        vals = self.values
        return round(sum(vals) / len(vals), 1) if vals else None

    @property
    def has_data(self) -> bool:
        return len(self.values) >= 1


@dataclass
class Summary:
    """A repeatable exercise (diary, log) as one table and its trends."""

    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)  # {"entry", "when", "cells"}
    trends: list[Trend] = field(default_factory=list)
    stats: list[tuple[str, str]] = field(default_factory=list)

    @property
    def table(self) -> list[dict[str, Any]]:
        """Rows with each cell next to its column label (for narrow screens)."""
        return [
            {"entry": row["entry"], "cells": list(zip(self.columns, row["cells"], strict=False))}
            for row in self.rows
        ]


def mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return round(sum(vals) / len(vals), 1) if vals else None


def short(text: Any, limit: int = 80) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fmt(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# --- the worksheet --------------------------------------------------------------------------


class Worksheet:
    """One exercise type's worksheet. Subclasses build their forms in ``build`` and turn
    cleaned data into answers in ``clean_answers``."""

    type_name: ClassVar[str] = ""
    label: ClassVar[Any] = ""
    template: ClassVar[str] = ""

    def __init__(
        self,
        exercise: Exercise,
        *,
        lang: str = "en",
        data: Mapping[str, Any] | None = None,
        quiet: bool = False,
    ) -> None:
        self.exercise = exercise
        self.config = exercise.config
        self.lang = lang
        self.data = as_data(data) if data is not None else None
        self.quiet = quiet
        self.errors: list[str] = []
        self._answers: dict[str, Any] | None = None
        self._parts: list[forms.Form | BaseFormSet] = []
        self.build()
        if quiet:
            self._silence()

    # -- building --
    def t(self, text: Localized | None) -> str:
        return text.text(self.lang) if text is not None else ""

    def build(self) -> None:
        raise NotImplementedError

    def add_form(self, form_class: type[forms.Form], **kwargs: Any) -> forms.Form:
        form = form_class(self.data, prefix=PREFIX, **kwargs)
        self._parts.append(form)
        return form

    def add_formset(
        self,
        form_class: type[forms.Form],
        name: str,
        *,
        min_rows: int,
        max_rows: int,
        form_kwargs: dict[str, Any] | None = None,
    ) -> BaseFormSet:
        formset_class = formset_factory(
            form_class,
            extra=min_rows,
            max_num=max_rows,
            absolute_max=max_rows,
            validate_max=True,
        )
        prefix = f"{PREFIX}-{name}"
        data = self._rows_data(prefix, min_rows, max_rows) if self.data is not None else None
        formset = formset_class(data, prefix=prefix, form_kwargs=form_kwargs or {})
        self._parts.append(formset)
        return formset

    def _rows_data(self, prefix: str, min_rows: int, max_rows: int) -> MultiValueDict:
        """Bound rows: as many as were filled in plus one empty row (within the limits);
        the management form is always rebuilt, so a tampered POST cannot break it."""
        if self.data is None:
            raise ValueError("rows of an unbound worksheet")
        last = -1
        for key in self.data:
            if not key.startswith(prefix + "-"):
                continue
            index, _sep, _rest = key[len(prefix) + 1 :].partition("-")
            if (
                index.isdigit()
                and int(index) < max_rows
                and any(v.strip() for v in self.data.getlist(key))
            ):
                last = max(last, int(index))
        try:  # rows the patient asked for with "Add a row"
            wanted = int(self.data.get(f"{prefix}-{MORE_ROWS}") or 0)
        except ValueError:
            wanted = 0
        data = self.data.copy()
        data[f"{prefix}-TOTAL_FORMS"] = str(min(max_rows, max(min_rows, last + 2, wanted)))
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = str(max_rows)
        return data

    def _silence(self) -> None:
        """A draft is shown as typed, without error messages."""
        for part in self._parts:
            if isinstance(part, BaseFormSet):
                part._errors = []
                part._non_form_errors = part.error_class()
                for form in part.forms:
                    form._errors = ErrorDict()
            else:
                part._errors = ErrorDict()

    # -- validating --
    def is_valid(self) -> bool:
        if self.data is None or self.quiet:
            return False
        valid = all(part.is_valid() for part in self._parts)
        if not valid:
            return False
        try:
            self._answers = self.clean_answers()
        except ValidationError as exc:
            self.errors.extend(exc.messages)
            return False
        return not self.has_errors

    @property
    def has_errors(self) -> bool:
        if self.errors:
            return True
        for part in self._parts:
            if isinstance(part, BaseFormSet):
                if part.total_error_count():
                    return True
            elif part.errors:
                return True
        return False

    def answers(self) -> dict[str, Any]:
        if self._answers is None:
            raise ValueError("answers() before a successful is_valid()")
        return self._answers

    def clean_answers(self) -> dict[str, Any]:
        raise NotImplementedError

    @staticmethod
    def rows(formset: BaseFormSet) -> list[dict[str, Any]]:
        """Cleaned rows that have something in them."""
        out = []
        for form in formset.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if any(not blank(v) for v in data.values()):
                out.append(data)
        return out

    @staticmethod
    def row_error(form: forms.Form, name: str, message: Any) -> None:
        form.add_error(name, message)

    # -- rendering and reading --
    @classmethod
    def to_data(cls, exercise: Exercise, answers: Mapping[str, Any]) -> dict[str, list[str]]:
        """Submitted answers back into form data (to revise them or restore a worksheet)."""
        raise NotImplementedError

    @classmethod
    def display(cls, exercise: Exercise, answers: Mapping[str, Any], lang: str) -> dict[str, Any]:
        """What the read-only answer view needs (labels resolved, nothing pre-escaped)."""
        return {"answers": answers}

    @classmethod
    def summarize(cls, exercise: Exercise, entries: Sequence[Any], lang: str) -> Summary:
        """Several submissions of a repeatable exercise as one table (and trends)."""
        return Summary(columns=[], rows=[{"entry": e, "cells": []} for e in entries])

    @classmethod
    def restore(
        cls, exercise: Exercise, answers: Mapping[str, Any], *, lang: str = "en"
    ) -> Worksheet:
        return cls(exercise, lang=lang, data=cls.to_data(exercise, answers), quiet=True)
