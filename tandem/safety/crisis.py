"""Crisis resources: what a patient sees when they need help now.

Defaults follow the clinical brief §4.2 (Finland): 112 for emergencies; the MIELI
Crisis Helpline in Finnish, 09 2525 0111, open around the clock; the Swedish line
09 2525 0112 and the English/Arabic line 09 2525 0113 with limited hours (a clinic
should enter the current hours in its ``CrisisResourceSet``). A clinic overrides them
per language.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

EMERGENCY_NUMBER = "112"

# (name, number, hours) per language; the hours of the limited lines are left to the
# clinic to state (they change; clinical brief §5 item 6).
DEFAULT_LINES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "en": (
        ("MIELI Crisis Helpline (in Finnish)", "09 2525 0111", "Open 24 hours, every day"),
        ("MIELI Crisis Helpline (in English and Arabic)", "09 2525 0113", "Limited hours"),
    ),
    "fi": (("MIELI Kriisipuhelin", "09 2525 0111", "Päivystää ympäri vuorokauden"),),
    "sv": (
        ("MIELI Kristelefon på svenska", "09 2525 0112", "Begränsade öppettider"),
        ("MIELI Kriisipuhelin (på finska)", "09 2525 0111", "Öppen dygnet runt"),
    ),
}


def tel(number: str) -> str:
    """A ``tel:`` URI value: digits and a leading plus only."""
    number = number.strip()
    digits = re.sub(r"[^0-9]", "", number)
    return ("+" if number.startswith("+") else "") + digits


@dataclass(frozen=True)
class CrisisLine:
    name: str
    number: str
    hours: str = ""

    @property
    def tel(self) -> str:
        return tel(self.number)


@dataclass(frozen=True)
class CrisisResources:
    language: str
    emergency_number: str
    lines: tuple[CrisisLine, ...]
    clinic_name: str
    clinic_phone: str
    clinic_hours: str
    #: The plain statement that messages are not monitored around the clock.
    not_monitored: str

    @property
    def emergency_tel(self) -> str:
        return tel(self.emergency_number)

    @property
    def clinic_tel(self) -> str:
        return tel(self.clinic_phone) if self.clinic_phone else ""


def _statement(language: str, emergency: str) -> str:
    with translation.override(language):
        return _(
            "Messages in Tandem are not monitored around the clock, so your therapist may "
            "not see them for a while. If you are in danger now, call %(emergency)s."
        ) % {"emergency": emergency}


def defaults(*, clinic_name: str = "", language: str = "en") -> CrisisResources:
    lines = DEFAULT_LINES.get(language) or DEFAULT_LINES["en"]
    return CrisisResources(
        language=language,
        emergency_number=EMERGENCY_NUMBER,
        lines=tuple(CrisisLine(*line) for line in lines),
        clinic_name=clinic_name,
        clinic_phone="",
        clinic_hours="",
        not_monitored=_statement(language, EMERGENCY_NUMBER),
    )


def _lines_from(data: object) -> tuple[CrisisLine, ...]:
    lines = []
    for entry in data if isinstance(data, list) else []:
        if isinstance(entry, dict) and entry.get("name") and entry.get("number"):
            lines.append(
                CrisisLine(
                    str(entry["name"])[:200],
                    str(entry["number"])[:40],
                    str(entry.get("hours", ""))[:200],
                )
            )
    return tuple(lines)


def crisis_resources(*, clinic: object, language: str) -> CrisisResources:
    """The clinic's crisis resources in ``language``: the clinic's row for the language,
    else the built-in Finnish defaults for it (the clinic's phone number and the
    emergency number come from any of its rows). Never raises: crisis information must
    be shown even when the database is failing."""
    from tandem.safety.models import CrisisResourceSet

    language = (language or "en")[:8]
    clinic_name = str(getattr(clinic, "name", "") or "")
    rows: dict[str, CrisisResourceSet] = {}
    try:
        if clinic is not None and getattr(clinic, "pk", None) is not None:
            rows = {
                row.language: row
                for row in CrisisResourceSet.objects.filter(clinic_id=clinic.pk).order_by("pk")
            }
    except Exception:
        logger.exception("crisis resources could not be read; showing the defaults")
        rows = {}
    fallback = defaults(clinic_name=clinic_name, language=language)
    if not rows:
        return fallback
    # Lines and hours are text in a language; numbers and the clinic's phone are not.
    own = rows.get(language)
    shared = own or rows.get("en") or next(iter(rows.values()))
    emergency = shared.emergency_number or EMERGENCY_NUMBER
    return CrisisResources(
        language=language,
        emergency_number=emergency,
        lines=(_lines_from(own.lines) if own else ()) or fallback.lines,
        clinic_name=clinic_name,
        clinic_phone=shared.clinic_phone,
        clinic_hours=(own.clinic_hours if own else "") or shared.clinic_hours,
        not_monitored=_statement(language, emergency),
    )
