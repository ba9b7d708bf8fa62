"""Sleep diary: one night per entry. Computes time in bed, total sleep time and sleep
efficiency (see ``tandem.exercises.sleep``); impossible nights are field errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tandem.exercises import sleep
from tandem.programs.content import Exercise, SleepDiaryConfig

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
    put,
    text_field,
    time_field,
)

TIME_FIELDS = ("bedtime", "lights_out", "final_wake", "out_of_bed")
REQUIRED = ("bedtime", "final_wake")


def quality_choices() -> list[tuple[str, str]]:
    return [
        ("", _("Choose")),
        ("1", _("1 – very poor")),
        ("2", _("2 – poor")),
        ("3", _("3 – fair")),
        ("4", _("4 – good")),
        ("5", _("5 – very good")),
    ]


def sleep_messages() -> dict[str, str]:
    return {
        "wake_before_sleep": _(
            "Your final wake-up time must come after the time you went to bed (a night "
            "can last at most 20 hours)."
        ),
        "lights_out_after_wake": _(
            "You tried to fall asleep after your final wake-up time: check the times."
        ),
        "out_of_bed_before_wake": _(
            "You got out of bed before your final wake-up time: check the times."
        ),
        "latency_too_long": _(
            "Falling asleep took longer than the whole time between trying to sleep and waking up."
        ),
        "awake_too_long": _(
            "The minutes awake add up to more than the time between trying to sleep and waking up."
        ),
        "negative": _("Enter zero or more minutes."),
    }


def field_labels() -> dict[str, str]:
    return {
        "night": _("Night of (the date you went to bed)"),
        "bedtime": _("What time did you go to bed?"),
        "lights_out": _("What time did you try to fall asleep?"),
        "sleep_latency_minutes": _("How long did it take to fall asleep (minutes)?"),
        "awakenings": _("How many times did you wake up during the night?"),
        "awake_minutes": _("In total, how long were you awake during the night (minutes)?"),
        "final_wake": _("What time did you wake up for the last time?"),
        "out_of_bed": _("What time did you get out of bed?"),
        "quality": _("How well did you sleep?"),
        "naps_minutes": _("Naps during the day (minutes in total)"),
        "notes": _("Notes (alcohol, caffeine, medicines, anything unusual)"),
    }


class SleepDiaryWorksheet(Worksheet):
    type_name = "sleep_diary"
    label = gettext_lazy("Sleep diary")
    template = "exercises/types/sleep_diary.html"
    config: SleepDiaryConfig

    @property
    def fields(self) -> tuple[str, ...]:
        return self.config.fields

    def build(self) -> None:
        labels = field_labels()
        fields: dict[str, forms.Field] = {"night": date_field(labels["night"], required=True)}
        if self.data is None:  # a fresh entry is usually about last night
            fields["night"].initial = timezone.localdate() - timedelta(days=1)
        for name in self.fields:
            label = labels[name]
            if name in TIME_FIELDS:
                fields[name] = time_field(label, required=name in REQUIRED)
            elif name in ("sleep_latency_minutes", "awake_minutes"):
                fields[name] = int_field(label, 0, 12 * 60)
            elif name == "awakenings":
                fields[name] = int_field(label, 0, 50)
            elif name == "naps_minutes":
                fields[name] = int_field(label, 0, 12 * 60)
            elif name == "quality":
                fields[name] = forms.TypedChoiceField(
                    label=label,
                    required=False,
                    coerce=int,
                    empty_value=None,
                    choices=quality_choices(),
                )
            elif name == "notes":
                fields[name] = text_field(label, rows=2, max_length=2000)

        def clean(form: WorksheetForm) -> dict[str, Any]:
            data = forms.Form.clean(form)
            night = data.get("night")
            if isinstance(night, date) and night > timezone.localdate():
                form.add_error("night", _("This night has not happened yet."))
            if form.errors or not (data.get("bedtime") and data.get("final_wake")):
                return data
            try:
                metrics = sleep.compute(
                    bedtime=data["bedtime"],
                    final_wake=data["final_wake"],
                    lights_out=data.get("lights_out"),
                    out_of_bed=data.get("out_of_bed"),
                    latency=data.get("sleep_latency_minutes") or 0,
                    awake=data.get("awake_minutes") or 0,
                )
            except sleep.SleepError as exc:
                field_name = exc.field if exc.field in form.fields else "final_wake"
                form.add_error(field_name, sleep_messages()[exc.code])
            else:
                form.metrics = metrics
            return data

        self.form = self.add_form(build_form(fields, clean=clean))

    def clean_answers(self) -> dict[str, Any]:
        data = self.form.cleaned_data
        answers: dict[str, Any] = {"night": iso(data["night"])}
        for name in self.fields:
            value = data.get(name)
            answers[name] = None if value in ("", None) else iso(value)
        metrics = getattr(self.form, "metrics", None)
        answers["computed"] = metrics.as_dict() if metrics else {}
        return answers

    @classmethod
    def to_data(cls, exercise: Exercise, answers: Mapping[str, Any]) -> dict[str, list[str]]:
        data: dict[str, list[str]] = {}
        put(data, "night", answers.get("night"))
        for name in exercise.config.fields:
            put(data, name, answers.get(name))
        return data

    @classmethod
    def display(cls, exercise: Exercise, answers: Mapping[str, Any], lang: str) -> dict[str, Any]:
        labels = field_labels()
        quality = dict(quality_choices())
        items = [(labels["night"], answers.get("night"))]
        for name in exercise.config.fields:
            value = answers.get(name)
            if name == "quality" and value is not None:
                value = quality.get(str(value), value)
            items.append((labels[name], value))
        computed = answers.get("computed") or {}
        return {
            "items": items,
            "time_in_bed": sleep.hours(computed.get("time_in_bed")),
            "total_sleep": sleep.hours(computed.get("total_sleep")),
            "efficiency": computed.get("efficiency"),
        }

    @classmethod
    def summarize(cls, exercise: Exercise, entries: Sequence[Any], lang: str) -> Summary:
        ordered = sorted(entries, key=lambda e: e.answers.get("night") or "")
        rows, nights, eff, tst = [], [], [], []
        for e in ordered:
            a = e.answers
            c = a.get("computed") or {}
            nights.append(a.get("night") or "")
            eff.append(c.get("efficiency"))
            tst.append(c.get("total_sleep"))
            rows.append(
                {
                    "entry": e,
                    "cells": [
                        a.get("night") or "",
                        a.get("bedtime") or "–",
                        a.get("final_wake") or "–",
                        sleep.hours(c.get("time_in_bed")),
                        sleep.hours(c.get("total_sleep")),
                        f"{c['efficiency']:g} %" if c.get("efficiency") is not None else "–",
                        str(a.get("quality") or "–"),
                    ],
                }
            )
        stats = [
            (_("Average total sleep"), sleep.hours(mean(tst))),
            (_("Average sleep efficiency"), f"{mean(eff)} %" if mean(eff) is not None else "–"),
            (_("Nights recorded"), str(len(ordered))),
        ]
        return Summary(
            columns=[
                _("Night"),
                _("Bed"),
                _("Woke"),
                _("In bed"),
                _("Asleep"),
                _("Efficiency"),
                _("Quality"),
            ],
            rows=rows,
            trends=[
                Trend(
                    _("Sleep efficiency (%)"), list(zip(nights, eff, strict=True)), 0, 100, unit="%"
                ),
                Trend(
                    _("Total sleep (hours)"),
                    [
                        (n, round(t / 60, 1) if t is not None else None)
                        for n, t in zip(nights, tst, strict=True)
                    ],
                    0,
                    12,
                ),
            ],
            stats=stats,
        )
