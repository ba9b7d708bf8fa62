"""Goal setting: SMART goals (specific, measurable, achievable, relevant, time-bound)
with progress 0–100."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tandem.programs.content import Exercise, GoalsConfig

from .base import (
    Summary,
    Trend,
    Worksheet,
    WorksheetForm,
    build_form,
    date_field,
    int_field,
    iso,
    mean,
    put_rows,
    short,
    text_field,
)

SMART = ("specific", "measurable", "achievable", "relevant")


def smart_labels() -> dict[str, tuple[str, str]]:
    return {
        "specific": (_("Specific"), _("What exactly will you do, where and when?")),
        "measurable": (_("Measurable"), _("How will you know you have reached it?")),
        "achievable": (_("Achievable"), _("What makes it realistic for you now?")),
        "relevant": (_("Relevant"), _("Why does it matter to you?")),
    }


class GoalsWorksheet(Worksheet):
    type_name = "goals"
    label = gettext_lazy("Goals")
    template = "exercises/types/goals.html"
    config: GoalsConfig

    @property
    def examples(self) -> list[str]:
        return [self.t(s) for s in self.config.examples]

    def build(self) -> None:
        fields: dict[str, forms.Field] = {
            "goal": text_field(_("Goal"), rows=2, max_length=500),
        }
        if self.config.smart_prompts:
            for key, (label, help_text) in smart_labels().items():
                fields[key] = text_field(label, rows=2, max_length=1000, help_text=help_text)
        fields["deadline"] = date_field(_("By when (time-bound)"))
        fields["progress"] = int_field(
            _("Progress so far (0–100 %)"),
            0,
            100,
            help_text=_("0 = not started, 100 = reached."),
        )

        def clean(form: WorksheetForm) -> dict[str, Any]:
            data = forms.Form.clean(form)
            used = any(v not in (None, "") for v in data.values())
            if used and not data.get("goal"):
                form.add_error("goal", _("Write the goal itself."))
            return data

        self.goals = self.add_formset(
            build_form(fields, clean=clean),
            "goals",
            min_rows=self.config.max_goals,
            max_rows=self.config.max_goals,
        )

    def clean_answers(self) -> dict[str, Any]:
        goals = [
            {key: iso(value) if value != "" else "" for key, value in row.items()}
            for row in self.rows(self.goals)
        ]
        for goal in goals:
            if goal.get("progress") is None:
                goal["progress"] = 0
        if not goals:
            raise ValidationError(_("Write at least one goal."))
        return {"goals": goals}

    @classmethod
    def to_data(cls, exercise: Exercise, answers: Mapping[str, Any]) -> dict[str, list[str]]:
        data: dict[str, list[str]] = {}
        put_rows(data, "goals", answers.get("goals") or [])
        return data

    @classmethod
    def display(cls, exercise: Exercise, answers: Mapping[str, Any], lang: str) -> dict[str, Any]:
        labels = smart_labels()
        goals = []
        for goal in answers.get("goals") or []:
            goals.append(
                {
                    "goal": goal.get("goal", ""),
                    "smart": [(labels[k][0], goal.get(k)) for k in SMART if goal.get(k)],
                    "deadline": goal.get("deadline"),
                    "progress": goal.get("progress") or 0,
                }
            )
        return {"goals": goals}

    @classmethod
    def summarize(cls, exercise: Exercise, entries: Sequence[Any], lang: str) -> Summary:
        rows, when, progress = [], [], []
        for e in entries:
            goals = e.answers.get("goals") or []
            avg = mean(g.get("progress") for g in goals)
            when.append(e.submitted_at.date().isoformat() if e.submitted_at else "")
            progress.append(avg)
            rows.append(
                {
                    "entry": e,
                    "cells": [
                        "; ".join(short(g.get("goal", ""), 40) for g in goals),
                        str(avg or 0),
                    ],
                }
            )
        return Summary(
            columns=[_("Goals"), _("Average progress (%)")],
            rows=rows,
            trends=[
                Trend(
                    _("Average progress (%)"),
                    list(zip(when, progress, strict=True)),
                    0,
                    100,
                    unit="%",
                )
            ],
        )
