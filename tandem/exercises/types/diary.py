"""Structured diary: the package declares the fields (time, number, scale, choice, text),
so a worry diary, food diary, drinking calendar, panic diary, ERP log or mood-and-sleep
chart needs no new code. Usually repeatable: the therapist sees it as one table with
trends of the fields the package charts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tandem.programs.content import DiaryConfig, Exercise, FieldSpec

from .base import (
    Summary,
    Trend,
    Worksheet,
    WorksheetForm,
    build_form,
    fmt,
    int_field,
    iso,
    mean,
    put,
    short,
    text_field,
    time_field,
)

RADIO_MAX_SPAN = 10
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def _number_text(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def make_field(spec: FieldSpec, lang: str) -> forms.Field:
    label = spec.label.text(lang)
    help_text = spec.help.text(lang) if spec.help else ""
    if spec.kind == "time":
        if not spec.include_date:
            return time_field(label, required=spec.required, help_text=help_text)
        return forms.DateTimeField(
            label=label,
            required=spec.required,
            help_text=help_text,
            input_formats=DATETIME_FORMATS,
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            error_messages={"invalid": _("Enter a date and time.")},
        )
    if spec.kind == "number":
        low, high = spec.min, spec.max
        unit = spec.unit.text(lang) if spec.unit else ""
        if unit and unit.lower() not in label.lower():
            label = f"{label} ({unit})"
        bounds = ""
        if low is not None and high is not None:
            bounds = _("Enter a number from %(low)s to %(high)s.") % {
                "low": _number_text(low),
                "high": _number_text(high),
            }
        return forms.FloatField(
            label=label,
            required=spec.required,
            help_text=help_text,
            min_value=low,
            max_value=high,
            step_size=spec.step,
            widget=forms.NumberInput(
                attrs={"step": _number_text(spec.step) or "any", "inputmode": "decimal"}
            ),
            error_messages={
                "invalid": _("Enter a number."),
                **({"min_value": bounds, "max_value": bounds} if bounds else {}),
                "step_size": _("Use steps of %(step)s.") % {"step": _number_text(spec.step)},
            },
        )
    if spec.kind == "scale":
        low, high = int(spec.min or 0), int(spec.max or 10)
        ends = []
        if spec.min_label:
            ends.append(f"{low} = {spec.min_label.text(lang)}")
        if spec.max_label:
            ends.append(f"{high} = {spec.max_label.text(lang)}")
        help_text = " ".join([help_text, ", ".join(ends)]).strip()
        if high - low <= RADIO_MAX_SPAN:
            return forms.TypedChoiceField(
                label=label,
                required=spec.required,
                help_text=help_text,
                coerce=int,
                empty_value=None,
                choices=[(str(i), str(i)) for i in range(low, high + 1)],
                widget=forms.RadioSelect(attrs={"class": "scale"}),
                error_messages={
                    "invalid_choice": _("Choose a value from %(low)s to %(high)s.")
                    % {"low": low, "high": high}
                },
            )
        return int_field(label, low, high, required=spec.required, help_text=help_text)
    if spec.kind == "choice":
        choices = [(c.id, c.label.text(lang)) for c in spec.choices]
        if spec.multiple:
            return forms.MultipleChoiceField(
                label=label,
                required=spec.required,
                help_text=help_text,
                choices=choices,
                widget=forms.CheckboxSelectMultiple,
            )
        return forms.ChoiceField(
            label=label,
            required=spec.required,
            help_text=help_text,
            choices=choices,
            widget=forms.RadioSelect,
        )
    return text_field(
        label,
        required=spec.required,
        help_text=help_text,
        max_length=spec.max_length,
        multiline=spec.multiline,
        rows=3,
    )


def display_value(spec: FieldSpec, value: Any, lang: str) -> str:
    if value is None or value == "" or value == []:
        return ""
    if spec.kind == "choice":
        labels = {c.id: c.label.text(lang) for c in spec.choices}
        if isinstance(value, list):
            return ", ".join(labels.get(v, v) for v in value)
        return labels.get(value, value)
    if spec.kind == "time":
        return str(value).replace("T", " ")
    if spec.kind == "number" and spec.unit:
        return f"{fmt(value)} {spec.unit.text(lang)}"
    return fmt(value)


class DiaryWorksheet(Worksheet):
    type_name = "diary"
    label = gettext_lazy("Diary")
    template = "exercises/types/diary.html"
    config: DiaryConfig

    def build(self) -> None:
        fields = {spec.id: make_field(spec, self.lang) for spec in self.config.fields}
        if self.data is None:  # a fresh entry: "now" is the likeliest time
            now = timezone.localtime()
            for spec in self.config.fields:
                if spec.kind == "time" and spec.include_date:
                    fields[spec.id].initial = now.replace(second=0, microsecond=0, tzinfo=None)

        def clean(form: WorksheetForm) -> dict[str, Any]:
            data = forms.Form.clean(form)
            latest = timezone.now() + timedelta(days=1)
            for spec in self.config.fields:
                value = data.get(spec.id)
                if spec.kind == "time" and isinstance(value, datetime) and value > latest:
                    form.add_error(spec.id, _("This time is in the future."))
            return data

        self.form = self.add_form(build_form(fields, clean=clean))

    def clean_answers(self) -> dict[str, Any]:
        values = {}
        for spec in self.config.fields:
            value = self.form.cleaned_data.get(spec.id)
            if isinstance(value, list):
                values[spec.id] = list(value)
            else:
                values[spec.id] = None if value in (None, "") else iso(value)
        if all(v in (None, "", []) for v in values.values()):
            raise ValidationError(_("Fill in at least one field before you submit."))
        return {"values": values}

    @classmethod
    def to_data(cls, exercise: Exercise, answers: Mapping[str, Any]) -> dict[str, list[str]]:
        data: dict[str, list[str]] = {}
        for key, value in (answers.get("values") or {}).items():
            put(data, key, value)
        return data

    @classmethod
    def display(cls, exercise: Exercise, answers: Mapping[str, Any], lang: str) -> dict[str, Any]:
        values = answers.get("values") or {}
        return {
            "items": [
                (
                    spec.label.text(lang),
                    display_value(spec, values.get(spec.id), lang),
                    spec.kind == "text" and spec.multiline,
                )
                for spec in exercise.config.fields
            ]
        }

    @classmethod
    def _when(cls, config: DiaryConfig, entry: Any) -> str:
        values = entry.answers.get("values") or {}
        for spec in config.fields:
            if spec.kind == "time" and spec.include_date and values.get(spec.id):
                return str(values[spec.id])
        return entry.submitted_at.isoformat() if entry.submitted_at else ""

    @classmethod
    def summarize(cls, exercise: Exercise, entries: Sequence[Any], lang: str) -> Summary:
        config: DiaryConfig = exercise.config
        ordered = sorted(entries, key=lambda e: cls._when(config, e))
        rows = []
        for e in ordered:
            values = e.answers.get("values") or {}
            rows.append(
                {
                    "entry": e,
                    "cells": [
                        short(display_value(spec, values.get(spec.id), lang), 60)
                        for spec in config.fields
                    ],
                }
            )
        charted = list(config.chart) or [s.id for s in config.fields if s.kind == "scale"]
        specs = {s.id: s for s in config.fields}
        trends, stats = [], []
        for key in charted:
            spec = specs.get(key)
            if spec is None:
                continue
            points = []
            for e in ordered:
                value = (e.answers.get("values") or {}).get(key)
                x = cls._when(config, e)[:10]
                points.append((x, float(value) if isinstance(value, int | float) else None))
            values_only = [v for _when, v in points if v is not None]
            low = spec.min if spec.min is not None else min(values_only, default=0)
            high = spec.max if spec.max is not None else max(values_only, default=1)
            trends.append(Trend(spec.label.text(lang), points, float(low), float(high)))
            stats.append(
                (_("Average %(field)s") % {"field": spec.label.text(lang)}, fmt(mean(values_only)))
            )
        return Summary(
            columns=[s.label.text(lang) for s in config.fields],
            rows=rows,
            trends=trends,
            stats=stats,
        )
