"""The patient's side put together: program cards for the home page and page rendering.
Reads only; every change goes through ``tandem.programs.services``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from tandem.programs import content
from tandem.programs import services as programs
from tandem.programs.models import Enrollment, EnrollmentStatus, ProgramVersion


@dataclass(frozen=True)
class ProgramCard:
    enrollment: Enrollment
    program: content.Program
    views: list[programs.ModuleView]
    resume: programs.ModuleView | None

    @property
    def total(self) -> int:
        return len(self.views)

    @property
    def done(self) -> int:
        return sum(1 for v in self.views if v.is_done)

    @property
    def ongoing(self) -> bool:
        return self.enrollment.status in programs.ONGOING


def cards(enrollments: list[Enrollment], now: datetime) -> list[ProgramCard]:
    """Ongoing programs first, newest first; expects ``progress`` prefetched."""
    out = []
    for enrollment in enrollments:
        views = programs.module_states(enrollment=enrollment, now=now)
        out.append(
            ProgramCard(
                enrollment, enrollment.version.package.program, views, programs.resume(views)
            )
        )
    rank = {EnrollmentStatus.ACTIVE: 0, EnrollmentStatus.PAUSED: 1}
    return sorted(
        out, key=lambda c: (rank.get(c.enrollment.status, 2), -c.enrollment.started_at.timestamp())
    )


def exercises_after(module: content.Module, page_id: str) -> list[content.Exercise]:
    """The exercises a patient meets right after ``page_id`` (``Module.flow()`` order;
    exercises placed after no page come after the last page)."""
    out: list[content.Exercise] = []
    current = None
    for item in module.flow():
        if isinstance(item, content.Page):
            current = item.id
        elif current == page_id:
            out.append(item)
    return out


def media_prefix(version: ProgramVersion) -> str:
    url = reverse("program_media", kwargs={"version": version.uuid, "path": "-"})
    return url[:-1]


def page_html(version: ProgramVersion, page: content.Page, lang: str) -> SafeString:
    """A page's Markdown as sanitised HTML (``render_markdown`` cleans everything it
    returns, so only its output is marked safe)."""
    media = tuple(version.package.media)
    html = _render(page.body.text(lang), media_prefix(version), lang, media)
    return mark_safe(html)  # noqa: S308  # nosec B308 B703 - nh3-sanitised by render_markdown


@lru_cache(maxsize=256)
def _render(text: str, prefix: str, lang: str, media: tuple[str, ...]) -> str:
    return content.render_markdown(text, prefix, lang=lang, media_files=media)
