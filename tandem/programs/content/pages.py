"""Checks of Markdown pages and of the package's ``media/`` directory."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .markup import (
    AUDIO_TYPES,
    IMAGE_EXTENSIONS,
    LINK_SCHEMES,
    MEDIA_DIR,
    MEDIA_EXTENSIONS,
    VIDEO_TYPES,
    extension_of,
    media_path,
)
from .mdcheck import DANGEROUS_SCHEME_RE, decode_url, inspect_markdown, url_scheme
from .model import Report

MEDIA_NAME_RE = re.compile(
    r"^media/(?:[A-Za-z0-9_-][A-Za-z0-9._-]*/)*[A-Za-z0-9_-][A-Za-z0-9._-]*$"
)
MAX_PAGE_BYTES = 200_000


@dataclass(frozen=True)
class MediaUse:
    path: str  # normalised package path under media/
    file: str  # the page that uses it
    line: int
    kind: str  # image | audio | video | link


def check_page(report: Report, file: str, text: str) -> list[MediaUse]:
    """Report unsafe or broken Markdown in one page; return the media it uses."""
    if not text.strip():
        report.error(file, 1, "the page is empty", "empty-page")
        return []
    if len(text.encode("utf-8")) > MAX_PAGE_BYTES:
        report.error(
            file, None, "the page is too long (split it into several pages)", "page-too-long"
        )
    facts = inspect_markdown(text)
    for line, problem in facts.raw_html:
        report.error(file, line, problem, "unsafe-html")
    for line in facts.h1_lines:
        report.warn(
            file,
            line,
            "use '##' for headings: the page title comes from module.yaml and '#' is shown as '##'",
            "heading-level",
        )
    uses: list[MediaUse] = []
    for ref in facts.references:
        if ref.kind == "link":
            use = _check_link(report, file, ref.url, ref.line)
        else:
            use = _check_image(report, file, ref.url, ref.alt, ref.line)
        if use is not None:
            uses.append(use)
    return uses


def _check_link(report: Report, file: str, url: str, line: int) -> MediaUse | None:
    if DANGEROUS_SCHEME_RE.match(decode_url(url)):
        report.error(
            file, line, f"unsafe link '{url}': script and data URLs are not allowed", "unsafe-url"
        )
        return None
    scheme = url_scheme(url)
    if scheme in LINK_SCHEMES:
        return None
    if scheme:
        report.error(
            file,
            line,
            f"link '{url}': only http, https, mailto and tel links are allowed",
            "bad-link",
        )
        return None
    if url.startswith("#"):
        return None
    path = media_path(url)
    if path is None:
        report.error(
            file,
            line,
            f"relative link '{url}' must point to a file under media/ "
            "(or be a full https:// address)",
            "bad-link",
        )
        return None
    return MediaUse(path, file, line, "link")


def _check_image(report: Report, file: str, src: str, alt: str, line: int) -> MediaUse | None:
    if DANGEROUS_SCHEME_RE.match(decode_url(src)):
        report.error(file, line, f"unsafe image source '{src}'", "unsafe-url")
        return None
    if url_scheme(src) or src.startswith("//"):
        report.error(
            file,
            line,
            f"remote media '{src}' is not allowed: put the file in the "
            "package's media/ folder and write media/<file>",
            "remote-media",
        )
        return None
    path = media_path(src)
    if path is None:
        report.error(
            file, line, f"media '{src}' must be written as media/<file>", "bad-media-reference"
        )
        return None
    ext = extension_of(path)
    if ext in AUDIO_TYPES:
        kind = "audio"
    elif ext in VIDEO_TYPES:
        kind = "video"
    elif ext in IMAGE_EXTENSIONS:
        kind = "image"
    else:
        report.error(
            file,
            line,
            f"'{src}' cannot be shown in a page (images: "
            f"{', '.join(sorted(IMAGE_EXTENSIONS))}; audio: "
            f"{', '.join(AUDIO_TYPES)}; video: {', '.join(VIDEO_TYPES)})",
            "bad-media-type",
        )
        return None
    if not alt.strip():
        what = "an image" if kind == "image" else f"the {kind}"
        report.error(
            file, line, f"{what} needs alt text: write ![what it shows]({src})", "missing-alt"
        )
    return MediaUse(path, file, line, kind)


def check_media(report: Report, files: list[str], uses: list[MediaUse]) -> None:
    """Compare the media/ inventory with what pages use."""
    inventory = set(files)
    for path in sorted(inventory):
        ext = extension_of(path)
        if ext == "svg":
            report.error(
                path,
                None,
                "SVG files are not allowed (they can carry scripts); use PNG or WebP",
                "bad-media-type",
            )
        elif not MEDIA_NAME_RE.match(path):
            report.error(
                path,
                None,
                "media file names may use only letters, digits, '-', '_' and '.'",
                "bad-media-name",
            )
        elif ext not in MEDIA_EXTENSIONS:
            report.warn(path, None, f"'.{ext}' files are not used by pages", "unknown-media")
    used: set[str] = set()
    for use in uses:
        used.add(use.path)
        if use.path not in inventory:
            report.error(
                use.file, use.line, f"media file '{use.path}' does not exist", "media-missing"
            )
            continue
        if use.kind in ("audio", "video"):
            companions = _companions(use.path, inventory)
            used.update(companions)
            captions = [c for c in companions if c.endswith(".vtt")]
            if not companions:
                stem = use.path.rsplit(".", 1)[0]
                report.error(
                    use.file,
                    use.line,
                    f"{use.kind} '{use.path}' needs captions or a "
                    f"transcript: add {stem}.vtt (or {stem}.<language>.vtt, or a "
                    ".txt transcript)",
                    "missing-captions",
                )
            elif use.kind == "video" and not captions:
                report.warn(
                    use.file,
                    use.line,
                    f"video '{use.path}' has a transcript but no captions (.vtt)",
                    "missing-captions",
                )
    for path in sorted(inventory - used):
        if extension_of(path) != "svg":
            report.warn(path, None, "media file is not used by any page", "unused-media")


def _companions(path: str, inventory: set[str]) -> list[str]:
    stem = path.rsplit(".", 1)[0]
    out = []
    for candidate in sorted(inventory):
        if not candidate.startswith(stem + "."):
            continue
        middle = candidate[len(stem) + 1 :]
        parts = middle.split(".")
        if parts[-1] in ("vtt", "txt") and (
            len(parts) == 1 or (len(parts) == 2 and len(parts[0]) in (2, 3))
        ):
            out.append(candidate)
    return out


__all__ = ["MEDIA_DIR", "MediaUse", "check_media", "check_page"]
