"""Errors raised by instrument definitions and scoring (pure; no Django)."""

from __future__ import annotations


class DefinitionError(ValueError):
    """An instrument definition file is invalid.

    The message names the file and the field, e.g.
    ``content/instruments/phq9.yaml: bands[2].max: must be an integer``.
    """

    def __init__(self, message: str, *, source: str = "", field: str = "") -> None:
        super().__init__(message)
        self.source = source
        self.field = field


class ScoringError(ValueError):
    """Answers (or totals) cannot be scored. Nothing partial is ever returned."""


class UnknownInstrument(ScoringError, LookupError):
    """No instrument definition has this code."""


class WrongItemCount(ScoringError):
    """An answer list has the wrong length, or a mapping names an item that does not exist."""


class InvalidAnswer(ScoringError):
    """An answer is not an int (or None), or contradicts the instrument's skip logic."""


class AnswerOutOfRange(InvalidAnswer):
    """An answer is an int that is not one of the item's allowed values."""


class InvalidFollowup(ScoringError):
    """Follow-up answers name an unknown question or are not booleans."""


class InvalidTotal(ScoringError):
    """A total given to reliable_change / clinically_significant is not a valid total."""
