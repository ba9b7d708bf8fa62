"""Thought record: situation, emotions with intensity 0–100 (several rows), automatic
thoughts, thinking patterns, evidence for and against, a balanced thought and the
emotions re-rated afterwards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tandem.programs.content import Exercise, ThoughtRecordConfig

from .base import (
    Summary,
    Trend,
    Worksheet,
    WorksheetForm,
    build_form,
    int_field,
    mean,
    put,
    put_rows,
    short,
    text_field,
)

TEXT_STEPS = (
    "situation",
    "automatic_thoughts",
    "evidence_for",
    "evidence_against",
    "balanced_thought",
)
REQUIRED_STEPS = ("situation", "automatic_thoughts")
MAX_EMOTIONS = 8


def step_labels() -> dict[str, tuple[str, str]]:
    """step → (question, help)."""
    return {
        "situation": (
            _("Situation"),
            _("Where were you, with whom, what was happening? Describe it briefly."),
        ),
        "automatic_thoughts": (
            _("Automatic thoughts"),
            _("What went through your mind? Write the thoughts as they came."),
        ),
        "thinking_patterns": (
            _("Thinking patterns"),
            _("Do you recognise any of these patterns in your thoughts?"),
        ),
        "evidence_for": (
            _("Evidence for the thought"),
            _("What facts support the thought?"),
        ),
        "evidence_against": (
            _("Evidence against the thought"),
            _("What facts do not fit the thought? What would you say to a friend?"),
        ),
        "balanced_thought": (
            _("A more balanced thought"),
            _("Taking all the evidence into account, how else could you see it?"),
        ),
    }


class ThoughtRecordWorksheet(Worksheet):
    type_name = "thought_record"
    label = gettext_lazy("Thought record")
    template = "exercises/types/thought_record.html"
    config: ThoughtRecordConfig

    @property
    def steps(self) -> tuple[str, ...]:
        return self.config.steps

    @property
    def rerate(self) -> bool:
        return "rerate" in self.steps

    @property
    def datalist_id(self) -> str:
        return f"emotions-{self.exercise.id}"

    @property
    def emotion_suggestions(self) -> list[str]:
        return [self.t(s) for s in self.config.emotion_suggestions]

    def build(self) -> None:
        labels = step_labels()
        fields: dict[str, forms.Field] = {}
        for step in self.steps:
            if step in TEXT_STEPS:
                label, help_text = labels[step]
                fields[step] = text_field(
                    label, required=step in REQUIRED_STEPS, help_text=help_text
                )
            elif step == "thinking_patterns":
                label, help_text = labels[step]
                fields[step] = forms.MultipleChoiceField(
                    label=label,
                    help_text=help_text,
                    required=False,
                    choices=[(p.id, self.t(p.text)) for p in self.config.thinking_patterns],
                    widget=forms.CheckboxSelectMultiple,
                )
        self.form = self.add_form(build_form(fields))
        self.emotions = None
        if "emotions" in self.steps:
            top = self.config.intensity_max
            row_fields: dict[str, forms.Field] = {
                "name": text_field(
                    _("Emotion"), multiline=False, max_length=100, datalist=self.datalist_id
                ),
                "intensity": int_field(_("Intensity (0–%(max)s)") % {"max": top}, 0, top),
            }
            if self.rerate:
                row_fields["rerate"] = int_field(
                    _("Intensity now, after the balanced thought (0–%(max)s)") % {"max": top},
                    0,
                    top,
                )

            def clean(form: WorksheetForm) -> dict[str, Any]:
                data = forms.Form.clean(form)
                has_rating = data.get("intensity") is not None or data.get("rerate") is not None
                if has_rating and not data.get("name"):
                    form.add_error("name", _("Name the emotion you are rating."))
                if data.get("name") and data.get("intensity") is None:
                    form.add_error("intensity", _("Rate how strong the emotion was."))
                return data

            self.emotions = self.add_formset(
                build_form(row_fields, clean=clean),
                "emotions",
                min_rows=3,
                max_rows=MAX_EMOTIONS,
            )

    def clean_answers(self) -> dict[str, Any]:
        cleaned = self.form.cleaned_data
        answers: dict[str, Any] = {}
        for step in self.steps:
            if step in TEXT_STEPS:
                answers[step] = cleaned.get(step, "")
            elif step == "thinking_patterns":
                answers[step] = list(cleaned.get(step) or [])
        if self.emotions is not None:
            rows = [
                {
                    "name": row.get("name", ""),
                    "intensity": row.get("intensity"),
                    **({"rerate": row.get("rerate")} if self.rerate else {}),
                }
                for row in self.rows(self.emotions)
            ]
            if not rows:
                raise ValidationError(_("Name at least one emotion and rate how strong it was."))
            answers["emotions"] = rows
        return answers

    @classmethod
    def to_data(cls, exercise: Exercise, answers: Mapping[str, Any]) -> dict[str, list[str]]:
        data: dict[str, list[str]] = {}
        for step in (*TEXT_STEPS, "thinking_patterns"):
            put(data, step, answers.get(step))
        if "emotions" in answers:
            put_rows(data, "emotions", answers.get("emotions") or [])
        return data

    @classmethod
    def display(cls, exercise: Exercise, answers: Mapping[str, Any], lang: str) -> dict[str, Any]:
        labels = step_labels()
        patterns = {p.id: p.text.text(lang) for p in exercise.config.thinking_patterns}
        sections = []
        for step in exercise.config.steps:
            if step in TEXT_STEPS:
                sections.append(
                    {"kind": "text", "label": labels[step][0], "text": answers.get(step, "")}
                )
            elif step == "thinking_patterns":
                sections.append(
                    {
                        "kind": "list",
                        "label": labels[step][0],
                        "items": [patterns.get(p, p) for p in answers.get(step) or []],
                    }
                )
            elif step == "emotions":
                sections.append(
                    {
                        "kind": "emotions",
                        "label": _("Emotions"),
                        "emotions": answers.get("emotions") or [],
                        "rerate": "rerate" in exercise.config.steps,
                    }
                )
        return {"sections": sections}

    @classmethod
    def summarize(cls, exercise: Exercise, entries: Sequence[Any], lang: str) -> Summary:
        rows = []
        before, after = [], []
        for e in entries:
            emotions = e.answers.get("emotions") or []
            first = emotions[0] if emotions else {}
            before.append(first.get("intensity"))
            after.append(first.get("rerate"))
            rows.append(
                {
                    "entry": e,
                    "cells": [
                        short(e.answers.get("situation", ""), 60),
                        ", ".join(
                            f"{em.get('name', '')} {em.get('intensity', '–')}"
                            + (f" → {em['rerate']}" if em.get("rerate") is not None else "")
                            for em in emotions
                        ),
                    ],
                }
            )
        top = exercise.config.intensity_max
        when = [e.submitted_at.date().isoformat() if e.submitted_at else "" for e in entries]
        trends = [
            Trend(_("Strongest emotion, before"), list(zip(when, before, strict=True)), 0, top)
        ]
        if "rerate" in exercise.config.steps:
            trends.append(
                Trend(_("Same emotion, after"), list(zip(when, after, strict=True)), 0, top)
            )
        stats = [(_("Average intensity before"), str(mean(before) or "–"))]
        if "rerate" in exercise.config.steps:
            stats.append((_("Average intensity after"), str(mean(after) or "–")))
        return Summary(
            columns=[_("Situation"), _("Emotions")], rows=rows, trends=trends, stats=stats
        )
