"""Checklist: the package's items, ticked or not."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tandem.programs.content import ChecklistConfig, Exercise

from .base import Summary, Trend, Worksheet, build_form, put, text_field


class ChecklistWorksheet(Worksheet):
    type_name = "checklist"
    label = gettext_lazy("Checklist")
    template = "exercises/types/checklist.html"
    config: ChecklistConfig

    def build(self) -> None:
        fields: dict[str, forms.Field] = {
            "checked": forms.MultipleChoiceField(
                label=self.t(self.exercise.title),
                required=False,
                choices=[(item.id, self.t(item.text)) for item in self.config.items],
                widget=forms.CheckboxSelectMultiple,
                error_messages={"invalid_choice": _("Choose items from the list.")},
            ),
            "note": text_field(_("Anything you want to add?"), rows=2, max_length=2000),
        }
        self.form = self.add_form(build_form(fields))

    def clean_answers(self) -> dict[str, Any]:
        checked = list(self.form.cleaned_data.get("checked") or [])
        note = self.form.cleaned_data.get("note", "")
        if not checked and not note:
            raise ValidationError(
                _("Tick at least one item, or write a note if none of them fits.")
            )
        return {"checked": checked, "note": note}

    @classmethod
    def to_data(cls, exercise: Exercise, answers: Mapping[str, Any]) -> dict[str, list[str]]:
        data: dict[str, list[str]] = {}
        put(data, "checked", list(answers.get("checked") or []))
        put(data, "note", answers.get("note"))
        return data

    @classmethod
    def display(cls, exercise: Exercise, answers: Mapping[str, Any], lang: str) -> dict[str, Any]:
        checked = set(answers.get("checked") or [])
        items = [(item.text.text(lang), item.id in checked) for item in exercise.config.items]
        return {
            "items": items,
            "note": answers.get("note", ""),
            "count": len(checked),
            "total": len(items),
        }

    @classmethod
    def summarize(cls, exercise: Exercise, entries: Sequence[Any], lang: str) -> Summary:
        total = len(exercise.config.items)
        when = [e.submitted_at.date().isoformat() if e.submitted_at else "" for e in entries]
        counts = [len(e.answers.get("checked") or []) for e in entries]
        return Summary(
            columns=[_("Ticked")],
            rows=[
                {"entry": e, "cells": [f"{c} / {total}"]}
                for e, c in zip(entries, counts, strict=True)
            ],
            trends=[Trend(_("Items ticked"), list(zip(when, counts, strict=True)), 0, total)],
        )
