"""Markdown for program pages: rendering (always sanitised) and inspection.

``render_markdown`` turns a page into HTML with the ``Markdown`` package and then
cleans it with ``nh3`` against a small allowlist. It is safe on any input, even
a page that never went through the validator. ``inspect_markdown`` reports what
the validator needs (see ``mdcheck``).

Media are referenced as package-relative paths ``media/<file>`` and rewritten
under ``media_url_prefix``. Image syntax with an audio or video file
(``![Breathing exercise](media/breathing.mp3)``) becomes a player.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection
from urllib.parse import quote, unquote

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

MEDIA_DIR = "media/"
IMAGE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "webp"})
AUDIO_TYPES = {
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "wav": "audio/wav",
}
VIDEO_TYPES = {"mp4": "video/mp4", "webm": "video/webm", "ogv": "video/ogg"}
COMPANION_EXTENSIONS = frozenset({"vtt", "txt"})  # captions (WebVTT) and plain transcripts
DOCUMENT_EXTENSIONS = frozenset({"pdf"})
MEDIA_EXTENSIONS = (
    IMAGE_EXTENSIONS
    | set(AUDIO_TYPES)
    | set(VIDEO_TYPES)
    | COMPANION_EXTENSIONS
    | DOCUMENT_EXTENSIONS
)
LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
MARKDOWN_EXTENSIONS = ("tables", "fenced_code", "sane_lists")

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "h2",
        "h3",
        "h4",
        "ul",
        "ol",
        "li",
        "strong",
        "em",
        "a",
        "blockquote",
        "img",
        "figure",
        "figcaption",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "audio",
        "video",
        "source",
        "track",
        "code",
        "pre",
        "sup",
        "sub",
        "abbr",
    }
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "alt"},
    "source": {"src", "type"},
    "track": {"src", "kind", "srclang", "label", "default"},
    "abbr": {"title"},
    "ol": {"start"},
}
FORCED_ATTRIBUTES = {
    "audio": {"controls": "controls", "preload": "metadata"},
    "video": {"controls": "controls", "preload": "metadata"},
    "img": {"loading": "lazy"},
}
# An <img> whose src was dropped (remote or not package media) is removed entirely.
EMPTY_IMG_RE = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")
TRANSCRIPT_LABEL = {"en": "Transcript", "fi": "Tekstiversio", "sv": "Textversion"}
LANGUAGE_LABEL = {"en": "English", "fi": "suomi", "sv": "svenska"}


def extension_of(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def media_path(url: str) -> str | None:
    """The normalised package path for a ``media/...`` reference, else None."""
    url = url.strip()
    if url.startswith("./"):
        url = url[2:]
    if not url.startswith(MEDIA_DIR):
        return None
    path = unquote(url.split("#", 1)[0].split("?", 1)[0])
    if "\\" in path or "\x00" in path:
        return None
    normal = posixpath.normpath(path)
    if not normal.startswith(MEDIA_DIR) or ".." in normal.split("/"):
        return None
    return normal


def companions(
    path: str, lang: str, media_files: Collection[str] | None
) -> tuple[str | None, str | None]:
    """(captions .vtt, transcript .txt) for an audio/video file, language first."""
    stem = path.rsplit(".", 1)[0]
    if media_files is None:
        return f"{stem}.vtt", None

    def first(ext: str) -> str | None:
        for candidate in (f"{stem}.{lang}.{ext}", f"{stem}.{ext}", f"{stem}.en.{ext}"):
            if candidate in media_files:
                return candidate
        return None

    return first("vtt"), first("txt")


# --- rendering -------------------------------------------------------------------


class _MediaTreeprocessor(Treeprocessor):
    def __init__(
        self, md: markdown.Markdown, lang: str, media_files: Collection[str] | None
    ) -> None:
        super().__init__(md)
        self.lang = lang
        self.media_files = media_files

    def run(self, root):  # type: ignore[no-untyped-def]
        for parent in list(root.iter()):
            for index, child in enumerate(list(parent)):
                if child.tag == "h1":
                    child.tag = "h2"
                elif child.tag in ("h5", "h6"):
                    child.tag = "h4"
                elif child.tag == "p" and _lone_image(child):
                    figure = self._figure(child[0])
                    if figure is not None:
                        figure.tail = child.tail
                        parent[index] = figure
                elif child.tag == "img" and _player_kind(child.get("src", "")):
                    player = self._player(child)
                    player.tail = child.tail
                    parent[index] = player
        return None

    def _figure(self, img):  # type: ignore[no-untyped-def]
        src = img.get("src", "")
        caption = img.get("title") or ""
        if _player_kind(src):
            figure = img.makeelement("figure", {})
            figure.append(self._player(img))
            caption = img.get("alt") or caption
        elif caption:
            figure = img.makeelement("figure", {})
            figure.append(img.makeelement("img", {"src": src, "alt": img.get("alt", "")}))
        else:
            return None
        path = media_path(src)
        transcript = None
        if path and _player_kind(src):
            captions, transcript = companions(path, self.lang, self.media_files)
            transcript = transcript or captions
        if caption or transcript:
            figcaption = img.makeelement("figcaption", {})
            figcaption.text = caption
            if transcript:
                if caption:
                    figcaption.text = caption + " "
                link = img.makeelement("a", {"href": transcript})
                link.text = TRANSCRIPT_LABEL.get(self.lang, TRANSCRIPT_LABEL["en"])
                figcaption.append(link)
            figure.append(figcaption)
        return figure

    def _player(self, img):  # type: ignore[no-untyped-def]
        src = img.get("src", "")
        kind = _player_kind(src)
        ext = extension_of(src)
        player = img.makeelement(kind or "audio", {})
        source = img.makeelement(
            "source", {"src": src, "type": {**AUDIO_TYPES, **VIDEO_TYPES}.get(ext, "")}
        )
        player.append(source)
        path = media_path(src)
        if kind == "video" and path:
            captions, _ = companions(path, self.lang, self.media_files)
            if captions:
                track_lang = captions.rsplit(".", 2)[-2] if captions.count(".") >= 2 else ""
                track_lang = track_lang if len(track_lang) in (2, 3) else self.lang
                player.append(
                    img.makeelement(
                        "track",
                        {
                            "kind": "captions",
                            "src": captions,
                            "srclang": track_lang,
                            "label": LANGUAGE_LABEL.get(track_lang, track_lang),
                            "default": "default",
                        },
                    )
                )
        # Fallback text for browsers that cannot play it, after the <source>/<track>.
        player[-1].tail = img.get("alt", "")
        return player


def _player_kind(src: str) -> str | None:
    ext = extension_of(src.split("?", 1)[0].split("#", 1)[0])
    if ext in AUDIO_TYPES:
        return "audio"
    if ext in VIDEO_TYPES:
        return "video"
    return None


def _lone_image(p) -> bool:  # type: ignore[no-untyped-def]
    return (
        len(p) == 1
        and p[0].tag == "img"
        and not (p.text or "").strip()
        and not (p[0].tail or "").strip()
    )


class _RenderExtension(Extension):
    def __init__(self, lang: str, media_files: Collection[str] | None) -> None:
        super().__init__()
        self.lang = lang
        self.media_files = media_files

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(
            _MediaTreeprocessor(md, self.lang, self.media_files), "tandem_media", 5
        )


def render_markdown(
    text: str,
    media_url_prefix: str,
    *,
    lang: str = "en",
    media_files: Collection[str] | None = None,
) -> str:
    """Markdown → sanitised HTML.

    ``media_url_prefix`` is where the package's ``media/`` directory is served
    (e.g. ``/programs/depression/1.0.0/media/``). ``media_files`` (package-relative
    paths) lets players pick language-specific captions and transcripts.
    Anything outside the allowlist is removed; ``src`` values that are not package
    media are dropped, so remote images never load.
    """
    md = markdown.Markdown(extensions=[*MARKDOWN_EXTENSIONS, _RenderExtension(lang, media_files)])
    html = md.convert(text or "")
    prefix = media_url_prefix if media_url_prefix.endswith("/") else media_url_prefix + "/"

    def attribute_filter(tag: str, attribute: str, value: str) -> str | None:
        if attribute in ("src", "href"):
            path = media_path(value)
            if path is not None:
                return prefix + quote(path[len(MEDIA_DIR) :], safe="/")
            if attribute == "src":
                return None  # only package media may be embedded
        return value

    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=attribute_filter,
        url_schemes=set(LINK_SCHEMES),
        link_rel="noopener noreferrer",
        set_tag_attribute_values=FORCED_ATTRIBUTES,
        strip_comments=True,
    )
    return EMPTY_IMG_RE.sub("", cleaned)
