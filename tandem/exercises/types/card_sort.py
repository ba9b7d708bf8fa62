"""Values / strengths card sort: each card goes into one pile; a pile may hold at most
``max_cards``; optionally the patient adds cards of their own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tandem.programs.content import CardSortConfig, Exercise

from .base import Summary, Worksheet, WorksheetForm, build_form, put, put_rows, text_field

CARD = "card__"
MAX_CUSTOM = 5


class CardSortWorksheet(Worksheet):
    type_name = "card_sort"
    label = gettext_lazy("Card sort")
    template = "exercises/types/card_sort.html"
    config: CardSortConfig

    def _pile_choices(self) -> list[tuple[str, str]]:
        return [("", _("Not sorted"))] + [(p.id, self.t(p.label)) for p in self.config.piles]

    def build(self) -> None:
        choices = self._pile_choices()
        fields: dict[str, forms.Field] = {}
        for card in self.config.cards:
            fields[CARD + card.id] = forms.ChoiceField(
                label=self.t(card.text),
                help_text=self.t(card.description),
                required=False,
                choices=choices,
                error_messages={"invalid_choice": _("Choose one of the piles.")},
            )
        self.form = self.add_form(build_form(fields))
        self.custom = None
        if self.config.allow_custom:
            custom_fields: dict[str, forms.Field] = {
                "text": text_field(_("Your own card"), multiline=False, max_length=200),
                "pile": forms.ChoiceField(label=_("Pile"), required=False, choices=choices),
            }

            def clean(form: WorksheetForm) -> dict[str, Any]:
                data = forms.Form.clean(form)
                if data.get("pile") and not data.get("text"):
                    form.add_error("text", _("Write the card's text."))
                return data

            self.custom = self.add_formset(
                build_form(custom_fields, clean=clean),
                "custom",
                min_rows=2,
                max_rows=MAX_CUSTOM,
            )

    def clean_answers(self) -> dict[str, Any]:
        piles: dict[str, list[str]] = {p.id: [] for p in self.config.piles}
        unsorted = []
        for card in self.config.cards:
            pile = self.form.cleaned_data.get(CARD + card.id) or ""
            (piles[pile] if pile else unsorted).append(card.id)
        custom = []
        if self.custom is not None:
            custom = [
                {"text": r.get("text", ""), "pile": r.get("pile", "")}
                for r in self.rows(self.custom)
                if r.get("text")
            ]
        counts = {pile_id: len(ids) for pile_id, ids in piles.items()}
        for item in custom:
            if item["pile"]:
                counts[item["pile"]] += 1
        problems = []
        for pile in self.config.piles:
            if pile.max_cards is not None and counts[pile.id] > pile.max_cards:
                problems.append(
                    _("“%(pile)s” can hold at most %(max)s cards; you have put %(count)s there.")
                    % {"pile": self.t(pile.label), "max": pile.max_cards, "count": counts[pile.id]}
                )
        if problems:
            raise ValidationError(problems)
        if not any(counts.values()):
            raise ValidationError(_("Put at least one card into a pile."))
        return {"piles": piles, "unsorted": unsorted, "custom": custom}

    @classmethod
    def to_data(cls, exercise: Exercise, answers: Mapping[str, Any]) -> dict[str, list[str]]:
        data: dict[str, list[str]] = {}
        for pile_id, card_ids in (answers.get("piles") or {}).items():
            for card_id in card_ids:
                put(data, CARD + card_id, pile_id)
        if exercise.config.allow_custom:
            put_rows(data, "custom", answers.get("custom") or [])
        return data

    @classmethod
    def display(cls, exercise: Exercise, answers: Mapping[str, Any], lang: str) -> dict[str, Any]:
        cards = {c.id: c.text.text(lang) for c in exercise.config.cards}
        piles_answer = answers.get("piles") or {}
        custom = answers.get("custom") or []
        piles = []
        for pile in exercise.config.piles:
            names = [cards.get(cid, cid) for cid in piles_answer.get(pile.id, [])]
            names += [c.get("text", "") for c in custom if c.get("pile") == pile.id]
            piles.append({"label": pile.label.text(lang), "cards": names, "max": pile.max_cards})
        unsorted = [cards.get(cid, cid) for cid in answers.get("unsorted") or []]
        unsorted += [c.get("text", "") for c in custom if not c.get("pile")]
        return {"piles": piles, "unsorted": unsorted}

    @classmethod
    def summarize(cls, exercise: Exercise, entries: Sequence[Any], lang: str) -> Summary:
        first = exercise.config.piles[0]
        cards = {c.id: c.text.text(lang) for c in exercise.config.cards}
        return Summary(
            columns=[first.label.text(lang)],
            rows=[
                {
                    "entry": e,
                    "cells": [
                        ", ".join(
                            cards.get(cid, cid)
                            for cid in (e.answers.get("piles") or {}).get(first.id, [])
                        )
                    ],
                }
                for e in entries
            ],
        )
