"""Free-text reflection: the package's prompts, each a text answer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tandem.programs.content import Exercise, ReflectionConfig

from .base import Summary, Worksheet, build_form, put, short, text_field


class ReflectionWorksheet(Worksheet):
    type_name = "reflection"
    label = gettext_lazy("Reflection")
    template = "exercises/types/reflection.html"
    config: ReflectionConfig

    def build(self) -> None:
        fields = {
            p.id: text_field(self.t(p.text), required=p.required, max_length=p.max_length)
            for p in self.config.prompts
        }
        self.form = self.add_form(build_form(fields))

    def clean_answers(self) -> dict[str, Any]:
        responses = {p.id: self.form.cleaned_data.get(p.id, "") for p in self.config.prompts}
        if not any(responses.values()):
            raise ValidationError(_("Write an answer to at least one question before you submit."))
        return {"responses": responses}

    @classmethod
    def to_data(cls, exercise: Exercise, answers: Mapping[str, Any]) -> dict[str, list[str]]:
        data: dict[str, list[str]] = {}
        for key, value in (answers.get("responses") or {}).items():
            put(data, key, value)
        return data

    @classmethod
    def display(cls, exercise: Exercise, answers: Mapping[str, Any], lang: str) -> dict[str, Any]:
        responses = answers.get("responses") or {}
        items = [(p.text.text(lang), responses.get(p.id, "")) for p in exercise.config.prompts]
        return {"items": items}

    @classmethod
    def summarize(cls, exercise: Exercise, entries: Sequence[Any], lang: str) -> Summary:
        prompts = exercise.config.prompts[:2]
        return Summary(
            columns=[short(p.text.text(lang), 40) for p in prompts],
            rows=[
                {
                    "entry": e,
                    "cells": [
                        short((e.answers.get("responses") or {}).get(p.id, "")) for p in prompts
                    ],
                }
                for e in entries
            ],
        )
