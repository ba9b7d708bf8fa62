"""Inspection of page Markdown for the validator: links, media and raw HTML, with lines."""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from .markup import MARKDOWN_EXTENSIONS

# Raw HTML an author may write inside Markdown (with these attributes only).
RAW_HTML_ALLOWED: dict[str, frozenset[str]] = {
    "br": frozenset(),
    "sup": frozenset(),
    "sub": frozenset(),
    "abbr": frozenset({"title"}),
}


@dataclass(frozen=True)
class Reference:
    kind: str  # "link" | "image"
    url: str
    line: int
    alt: str = ""


@dataclass
class MarkdownFacts:
    references: list[Reference] = field(default_factory=list)
    raw_html: list[tuple[int, str]] = field(default_factory=list)  # (line, problem)
    h1_lines: list[int] = field(default_factory=list)


class _Collector(Treeprocessor):
    def __init__(self, md: markdown.Markdown, found: list[tuple[str, str, str]]) -> None:
        super().__init__(md)
        self.found = found

    def run(self, root):  # type: ignore[no-untyped-def]
        for el in root.iter():
            if el.tag == "img":
                self.found.append(("image", el.get("src", ""), el.get("alt", "")))
            elif el.tag == "a":
                self.found.append(("link", el.get("href", ""), ""))
        return None


class _CollectExtension(Extension):
    def __init__(self, found: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.found = found

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_Collector(md, self.found), "tandem_collect", -10)


FENCE_RE = re.compile(
    r"^( {0,3})(`{3,}|~{3,})[^\n]*\n.*?(?:^\1?\2[`~]*[ \t]*$|\Z)", re.MULTILINE | re.DOTALL
)
CODE_SPAN_RE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
COMMENT_RE = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(?=[\s/>])([^>]*)>?")
ATTR_RE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")
H1_RE = re.compile(r"^ {0,3}#(?!#)\s*\S", re.MULTILINE)
SCRIPT_AUTOLINK_RE = re.compile(r"<\s*(?:javascript|vbscript|data)\s*:", re.IGNORECASE)
DANGEROUS_SCHEME_RE = re.compile(r"^\s*(javascript|vbscript|data)\s*:", re.IGNORECASE)
UNSAFE_TAGS = frozenset(
    {
        "script",
        "iframe",
        "object",
        "embed",
        "style",
        "form",
        "input",
        "button",
        "frame",
        "frameset",
        "meta",
        "link",
        "base",
        "svg",
        "math",
        "template",
        "textarea",
        "select",
    }
)


def _blank(match: re.Match[str]) -> str:
    """Replace a span with spaces, keeping newlines so line numbers stay right."""
    return re.sub(r"[^\n]", " ", match.group(0))


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _scan_raw_html(text: str) -> list[tuple[int, str]]:
    masked = FENCE_RE.sub(_blank, text)
    masked = CODE_SPAN_RE.sub(_blank, masked)
    masked = COMMENT_RE.sub(_blank, masked)
    problems = [
        (_line_at(masked, m.start()), "unsafe HTML: script URL in an autolink")
        for m in SCRIPT_AUTOLINK_RE.finditer(masked)
    ]
    for match in TAG_RE.finditer(masked):
        closing, name, rest = match.group(1), match.group(2).lower(), match.group(3)
        line = _line_at(masked, match.start())
        attributes = [
            (a.group(1).lower(), (a.group(2) or "").strip("\"'"))
            for a in ATTR_RE.finditer(rest.rstrip("/"))
        ]
        handlers = [a for a, _ in attributes if a.startswith("on")]
        bad_urls = [a for a, v in attributes if DANGEROUS_SCHEME_RE.match(decode_url(v))]
        if handlers:
            problems.append(
                (line, f"unsafe HTML: event handler attribute '{handlers[0]}=' on <{name}>")
            )
        elif bad_urls:
            problems.append((line, f"unsafe HTML: script URL in '{bad_urls[0]}' of <{name}>"))
        elif closing:
            continue
        elif name in UNSAFE_TAGS:
            problems.append((line, f"unsafe HTML: <{name}> is not allowed"))
        elif name not in RAW_HTML_ALLOWED:
            problems.append(
                (
                    line,
                    f"raw HTML <{name}> is not allowed; use Markdown instead "
                    f"(raw HTML allowed: {', '.join(RAW_HTML_ALLOWED)})",
                )
            )
        else:
            extra = [a for a, _ in attributes if a not in RAW_HTML_ALLOWED[name]]
            if extra:
                problems.append((line, f"attribute '{extra[0]}' is not allowed on <{name}>"))
    return sorted(problems)


def decode_url(value: str) -> str:
    """Undo the entity and whitespace tricks used to hide 'javascript:'."""
    value = htmllib.unescape(value)
    return re.sub(r"[\x00-\x20]", "", value)


def inspect_markdown(text: str) -> MarkdownFacts:
    facts = MarkdownFacts(raw_html=_scan_raw_html(text))
    masked = FENCE_RE.sub(_blank, text)
    facts.h1_lines = [_line_at(masked, m.start()) for m in H1_RE.finditer(masked)]
    found: list[tuple[str, str, str]] = []
    markdown.Markdown(extensions=[*MARKDOWN_EXTENSIONS, _CollectExtension(found)]).convert(text)
    cursor: dict[str, int] = {}
    for kind, url, alt in found:
        facts.references.append(Reference(kind, url, _find_line(text, url, cursor), alt))
    return facts


def _find_line(text: str, needle: str, cursor: dict[str, int]) -> int:
    """Line of the next occurrence of ``needle`` (successive calls move forward)."""
    if not needle:
        return 1
    start = cursor.get(needle, 0)
    index = text.find(needle, start)
    if index < 0:
        index = text.find(needle)
    if index < 0:
        return 1
    cursor[needle] = index + len(needle)
    return _line_at(text, index)


def url_scheme(url: str) -> str:
    return urlsplit(decode_url(url)).scheme.lower()
