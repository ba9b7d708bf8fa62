"""Activity plan and log (behavioural activation): activities planned per day, whether
they were done, and how much mastery and pleasure (and mood) they gave, 0–10."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tandem.programs.content import ActivityPlanConfig, Exercise

from .base import (
    Summary,
    Trend,
    Worksheet,
    WorksheetForm,
    build_form,
    date_field,
    int_field,
    mean,
    put_rows,
    text_field,
)

MAX_ACTIVITIES = 35


def rating_labels() -> dict[str, str]:
    return {"mastery": _("Mastery"), "pleasure": _("Pleasure"), "mood": _("Mood")}


class ActivityPlanWorksheet(Worksheet):
    type_name = "activity_plan"
    label = gettext_lazy("Activity plan")
    template = "exercises/types/activity_plan.html"
    config: ActivityPlanConfig

    @property
    def datalist_id(self) -> str:
        return f"activities-{self.exercise.id}"

    @property
    def suggestions(self) -> list[str]:
        return [self.t(s) for s in self.config.suggestions]

    def build(self) -> None:
        top = self.config.rating_max
        labels = rating_labels()
        fields: dict[str, forms.Field] = {
            "day": date_field(_("Day")),
            "activity": text_field(
                _("Activity"), multiline=False, max_length=300, datalist=self.datalist_id
            ),
            "done": forms.BooleanField(label=_("Done"), required=False),
        }
        for rating in self.config.ratings:
            fields[rating] = int_field(
                _("%(rating)s (0–%(max)s)") % {"rating": labels[rating], "max": top}, 0, top
            )

        def clean(form: WorksheetForm) -> dict[str, Any]:
            data = forms.Form.clean(form)
            used = any(data.get(k) not in (None, "", False) for k in data)
            if used and not data.get("activity"):
                form.add_error("activity", _("Write what the activity is."))
            if used and not data.get("day"):
                form.add_error("day", _("Choose the day of the activity."))
            return data

        self.activities = self.add_formset(
            build_form(fields, clean=clean), "activities", min_rows=5, max_rows=MAX_ACTIVITIES
        )

    def clean_answers(self) -> dict[str, Any]:
        rows = []
        for row in self.rows(self.activities):
            item = {
                "day": row["day"].isoformat(),
                "activity": row.get("activity", ""),
                "done": bool(row.get("done")),
            }
            for rating in self.config.ratings:
                item[rating] = row.get(rating)
            rows.append(item)
        if not rows:
            raise ValidationError(_("Plan at least one activity."))
        rows.sort(key=lambda r: r["day"])
        return {"activities": rows}

    @classmethod
    def to_data(cls, exercise: Exercise, answers: Mapping[str, Any]) -> dict[str, list[str]]:
        data: dict[str, list[str]] = {}
        put_rows(data, "activities", answers.get("activities") or [])
        return data

    @classmethod
    def display(cls, exercise: Exercise, answers: Mapping[str, Any], lang: str) -> dict[str, Any]:
        labels = rating_labels()
        rows = [
            {**r, "values": [r.get(k) for k in exercise.config.ratings]}
            for r in answers.get("activities") or []
        ]
        days = [
            {"day": day, "activities": list(items)}
            for day, items in groupby(rows, key=lambda r: r.get("day", ""))
        ]
        ratings = [(r, labels[r]) for r in exercise.config.ratings]
        done = sum(1 for r in rows if r.get("done"))
        return {"days": days, "ratings": ratings, "planned": len(rows), "done": done}

    @classmethod
    def summarize(cls, exercise: Exercise, entries: Sequence[Any], lang: str) -> Summary:
        labels = rating_labels()
        ratings = exercise.config.ratings
        rows, done_share, when = [], [], []
        for e in entries:
            items = e.answers.get("activities") or []
            done = [i for i in items if i.get("done")]
            share = round(100 * len(done) / len(items)) if items else None
            done_share.append(share)
            days = sorted({i.get("day", "") for i in items})
            span = f"{days[0]} – {days[-1]}" if days else ""
            when.append(days[0] if days else "")
            rows.append(
                {
                    "entry": e,
                    "cells": [span, str(len(items)), str(len(done))]
                    + [str(mean(i.get(r) for i in done) or "–") for r in ratings],
                }
            )
        trends = [
            Trend(
                _("Activities done (%)"), list(zip(when, done_share, strict=True)), 0, 100, unit="%"
            )
        ]
        return Summary(
            columns=[_("Days"), _("Planned"), _("Done")] + [labels[r] for r in ratings],
            rows=rows,
            trends=trends,
        )
