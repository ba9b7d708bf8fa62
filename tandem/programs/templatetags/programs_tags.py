"""Template helpers for program pages shown inside other apps' pages."""

from __future__ import annotations

from django import template

from tandem.programs.models import Enrollment

register = template.Library()


@register.simple_tag
def patient_enrollments(patient: object) -> list[Enrollment]:
    """A patient's enrollments, for a page whose view already authorised (and audited)
    access to the patient — the patient detail page includes them this way."""
    return list(
        Enrollment.objects.filter(patient=patient)
        .select_related("version__program")
        .defer("version__snapshot")
        .order_by("-started_at")
    )


@register.filter
def program_title(version: object, lang: str = "en") -> str:
    return version.package.program.title.text(lang)  # type: ignore[attr-defined]


@register.filter
def localized(value: object, lang: str = "en") -> str:
    """Content text (a ``Localized``) in ``lang``, English when not translated."""
    if value is None:
        return ""
    return value.text(lang or "en")  # type: ignore[attr-defined]
