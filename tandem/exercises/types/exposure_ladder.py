"""Exposure ladder: feared situations ranked by expected distress (0–100) and a practice
log with distress before, at the peak and after each practice."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tandem.programs.content import Exercise, ExposureLadderConfig

from .base import (
    PREFIX,
    Summary,
    Trend,
    Worksheet,
    WorksheetForm,
    build_form,
    date_field,
    int_field,
    put_rows,
    short,
    text_field,
)

MAX_PRACTICE = 30


class ExposureLadderWorksheet(Worksheet):
    type_name = "exposure_ladder"
    label = gettext_lazy("Exposure ladder")
    template = "exercises/types/exposure_ladder.html"
    config: ExposureLadderConfig

    @property
    def examples(self) -> list[str]:
        return [self.t(s) for s in self.config.examples]

    def _step_choices(self) -> list[tuple[str, str]]:
        """The ladder's steps as the data at hand has them (row index → situation)."""
        if self.data is None:
            return []
        out = []
        for index in range(self.config.max_steps):
            text = (self.data.get(f"{PREFIX}-steps-{index}-situation") or "").strip()
            if text:
                out.append((str(index), short(text, 60)))
        return out

    def build(self) -> None:
        top = self.config.distress_max
        step_fields: dict[str, forms.Field] = {
            "situation": text_field(_("Situation"), multiline=False, max_length=500),
            "distress": int_field(_("Expected distress (0–%(max)s)") % {"max": top}, 0, top),
        }

        def clean_step(form: WorksheetForm) -> dict[str, Any]:
            data = forms.Form.clean(form)
            if data.get("distress") is not None and not data.get("situation"):
                form.add_error("situation", _("Describe the situation you are rating."))
            if data.get("situation") and data.get("distress") is None:
                form.add_error("distress", _("Rate how distressing it would be."))
            return data

        self.steps = self.add_formset(
            build_form(step_fields, clean=clean_step),
            "steps",
            min_rows=min(5, self.config.max_steps),
            max_rows=self.config.max_steps,
        )
        self.step_choices = self._step_choices()
        practice_fields: dict[str, forms.Field] = {
            "date": date_field(_("Date")),
            "step": forms.ChoiceField(
                label=_("Step practised"),
                required=False,
                choices=[("", _("Choose a step")), *self.step_choices],
                error_messages={"invalid_choice": _("Choose a step of your ladder.")},
            ),
            "minutes": int_field(_("Minutes"), 0, 24 * 60),
            "before": int_field(_("Distress before (0–%(max)s)") % {"max": top}, 0, top),
            "peak": int_field(_("Distress at the peak (0–%(max)s)") % {"max": top}, 0, top),
            "after": int_field(_("Distress after (0–%(max)s)") % {"max": top}, 0, top),
        }

        def clean_practice(form: WorksheetForm) -> dict[str, Any]:
            data = forms.Form.clean(form)
            for name, message in (
                ("date", _("Choose the day you practised.")),
                ("step", _("Choose the step you practised.")),
                ("before", _("Rate your distress before.")),
                ("peak", _("Rate your distress at the peak.")),
                ("after", _("Rate your distress after.")),
            ):
                if data.get(name) in (None, "") and name not in form.errors:
                    form.add_error(name, message)
            peak = data.get("peak")
            if peak is not None:
                for name in ("before", "after"):
                    value = data.get(name)
                    if value is not None and value > peak:
                        form.add_error(
                            "peak",
                            _(
                                "The peak is the highest distress during the practice: it "
                                "cannot be lower than before or after."
                            ),
                        )
                        break
            return data

        self.practice = self.add_formset(
            build_form(practice_fields, clean=clean_practice),
            "practice",
            min_rows=2,
            max_rows=MAX_PRACTICE,
        )

    def clean_answers(self) -> dict[str, Any]:
        steps = []
        for form in self.steps.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("situation"):
                index = form.prefix.rsplit("-", 1)[-1]
                steps.append(
                    {
                        "id": f"s{index}",
                        "situation": data["situation"],
                        "distress": data["distress"],
                    }
                )
        if not steps:
            raise ValidationError(_("Add at least one situation to your ladder."))
        steps.sort(key=lambda s: s["distress"])
        # Ids follow the rank (easiest first), so revising keeps them stable.
        renumber = {}
        for rank, step in enumerate(steps):
            renumber[step["id"]] = f"s{rank}"
            step["id"] = f"s{rank}"
        practice = [
            {
                "date": row["date"].isoformat(),
                "step": renumber[f"s{row['step']}"],
                "minutes": row.get("minutes"),
                "before": row["before"],
                "peak": row["peak"],
                "after": row["after"],
            }
            for row in self.rows(self.practice)
        ]
        practice.sort(key=lambda p: p["date"])
        return {"steps": steps, "practice": practice}

    @classmethod
    def to_data(cls, exercise: Exercise, answers: Mapping[str, Any]) -> dict[str, list[str]]:
        data: dict[str, list[str]] = {}
        steps = answers.get("steps") or []
        index_of = {s.get("id"): str(i) for i, s in enumerate(steps)}
        put_rows(
            data,
            "steps",
            [{"situation": s.get("situation"), "distress": s.get("distress")} for s in steps],
        )
        put_rows(
            data,
            "practice",
            [{**p, "step": index_of.get(p.get("step"), "")} for p in answers.get("practice") or []],
        )
        return data

    @classmethod
    def display(cls, exercise: Exercise, answers: Mapping[str, Any], lang: str) -> dict[str, Any]:
        steps = answers.get("steps") or []
        rank = {s.get("id"): (i + 1, s.get("situation", "")) for i, s in enumerate(steps)}
        practice = [
            {
                **p,
                "rank": rank.get(p.get("step"), (None, ""))[0],
                "situation": rank.get(p.get("step"), (None, ""))[1],
            }
            for p in answers.get("practice") or []
        ]
        top = exercise.config.distress_max
        trend = None
        if len(practice) >= 2:
            trend = Trend(
                _("Peak distress in practice"),
                [(p.get("date", ""), p.get("peak")) for p in practice],
                0,
                top,
            )
        return {"steps": list(enumerate(steps, start=1)), "practice": practice, "trend": trend}

    @classmethod
    def summarize(cls, exercise: Exercise, entries: Sequence[Any], lang: str) -> Summary:
        rows, when, peaks = [], [], []
        for e in entries:
            practice = e.answers.get("practice") or []
            steps = e.answers.get("steps") or []
            last = practice[-1] if practice else {}
            when.append(last.get("date", ""))
            peaks.append(last.get("peak"))
            rows.append(
                {
                    "entry": e,
                    "cells": [str(len(steps)), str(len(practice)), str(last.get("peak", "–"))],
                }
            )
        return Summary(
            columns=[_("Steps"), _("Practices"), _("Last peak distress")],
            rows=rows,
            trends=[
                Trend(
                    _("Last peak distress"),
                    list(zip(when, peaks, strict=True)),
                    0,
                    exercise.config.distress_max,
                )
            ],
        )
