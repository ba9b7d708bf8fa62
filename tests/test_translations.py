"""The Finnish and Swedish catalogs are complete, and Finnish pages come out in Finnish.

The catalogs live in ``tandem/locale`` (``LOCALE_PATHS``); ``make messages`` refreshes them
and ``make test`` compiles them before the suite runs. The .po files are read with a small
parser of our own (no polib).
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

LANGUAGES = ("fi", "sv")
LOCALE_DIR = Path(settings.BASE_DIR) / "tandem" / "locale"

# %(name)s / %(n)d / %(x).1f, bare %s / %d, and str.format fields {name}; %% is a literal.
PLACEHOLDER = re.compile(
    r"%\((?P<named>[^)]+)\)[-#0 +]*\d*(?:\.\d+)?[sdifrxX]"
    r"|%(?P<bare>[-#0 +]*\d*(?:\.\d+)?[sdifrxX])"
    r"|(?<!\{)\{(?P<field>[A-Za-z_]\w*)\}(?!\})"
)


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def label(self) -> str:
        context = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"line {self.line}: {context}{self.msgid!r}"


def _unquote(text: str) -> str:
    text = text.strip()
    if not (len(text) >= 2 and text[0] == '"' and text[-1] == '"'):
        raise ValueError(f"not a PO string: {text!r}")
    # PO escapes are a subset of Python's; a str literal reads them correctly.
    return ast.literal_eval(text)


def parse_po(path: Path) -> list[Entry]:
    """Every entry of a .po file (obsolete ``#~`` entries are skipped)."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            if current is not None:
                entries.append(current)
            current, target = None, None
            continue
        if line.startswith("#~"):
            continue
        if current is None:
            current = Entry(line=number)
        if line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            continue
        match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(\".*\")$", line)
        if match:
            keyword, index, value = match.group(1), match.group(2), _unquote(match.group(3))
            if keyword == "msgstr":
                target = ("msgstr", int(index or 0))
                current.msgstr[target[1]] = value
            else:
                target = (keyword, None)
                if keyword == "msgid":
                    current.line = number
                setattr(current, keyword, value)
        elif line.startswith('"') and target is not None:
            value = _unquote(line)
            if target[0] == "msgstr":
                current.msgstr[target[1]] += value
            else:
                setattr(current, target[0], (getattr(current, target[0]) or "") + value)
        else:
            raise ValueError(f"{path}:{number}: cannot read {raw!r}")
    if current is not None:
        entries.append(current)
    return entries


def placeholders(text: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for match in PLACEHOLDER.finditer(text.replace("%%", "")):
        if match.group("named") is not None:
            found[match.group(0)] += 1
        elif match.group("bare") is not None:
            found["%" + match.group("bare")] += 1
        else:
            found["{" + match.group("field") + "}"] += 1
    return found


def catalog(language: str) -> tuple[dict[str, str], list[Entry]]:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    assert path.is_file(), f"{path} is missing: run `make messages`"
    entries = parse_po(path)
    headers = [e for e in entries if e.msgid == "" and e.msgctxt is None]
    assert len(headers) == 1, "the catalog needs exactly one header entry"
    header = dict(
        line.split(":", 1) for line in headers[0].msgstr.get(0, "").splitlines() if ":" in line
    )
    assert "fuzzy" not in headers[0].flags, "the header is still marked fuzzy"
    return {k.strip(): v.strip() for k, v in header.items()}, [e for e in entries if e.msgid]


def test_parser_reads_continuations_plurals_and_flags(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: fi\\n"\n\n'
        "#: x.py:1\n#, fuzzy, python-format\n"
        'msgid "%(n)d day"\nmsgid_plural "%(n)d "\n"days"\n'
        'msgstr[0] "%(n)d päivä"\nmsgstr[1] ""\n\n'
        'msgctxt "ctx"\nmsgid "Say \\"hi\\""\nmsgstr "Sano \\"hei\\"\\n"\n\n'
        '#~ msgid "old"\n#~ msgstr "vanha"\n',
        encoding="utf-8",
    )
    header, plural, quoted = parse_po(po)
    assert header.msgstr[0] == "Language: fi\n"
    assert plural.msgid_plural == "%(n)d days" and plural.msgstr == {0: "%(n)d päivä", 1: ""}
    assert plural.flags == {"fuzzy", "python-format"}
    assert (quoted.msgctxt, quoted.msgid, quoted.msgstr[0]) == ("ctx", 'Say "hi"', 'Sano "hei"\n')
    assert placeholders("%(n)d of %(total)s, %s%% {first_name} {{ and }}") == Counter(
        ["%(n)d", "%(total)s", "%s", "{first_name}"]
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_header(language):
    header, entries = catalog(language)
    assert entries, "the catalog is empty: run `make messages`"
    assert header.get("Language") == language
    assert header.get("Content-Type", "").lower() == "text/plain; charset=utf-8"
    assert header.get("Plural-Forms") == "nplurals=2; plural=(n != 1);"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_not_fuzzy(language):
    _, entries = catalog(language)
    problems = []
    for entry in entries:
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.label}")
        forms = [0, 1] if entry.msgid_plural is not None else [0]
        if sorted(entry.msgstr) != forms:
            problems.append(f"forms {sorted(entry.msgstr)} instead of {forms}: {entry.label}")
        for index in forms:
            if not entry.msgstr.get(index, "").strip():
                problems.append(f"untranslated msgstr[{index}]: {entry.label}")
    assert not problems, f"{len(problems)} problems in {language}:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match(language):
    _, entries = catalog(language)
    problems = []
    for entry in entries:
        # With nplurals=2 and plural=(n != 1), form 0 answers the msgid, form 1 the plural.
        sources = {0: entry.msgid}
        if entry.msgid_plural is not None:
            sources[1] = entry.msgid_plural
        for index, source in sources.items():
            translation = entry.msgstr.get(index, "")
            if translation and set(placeholders(source)) != set(placeholders(translation)):
                problems.append(
                    f"{entry.label} msgstr[{index}]: {sorted(placeholders(source))} "
                    f"!= {sorted(placeholders(translation))}"
                )
    assert not problems, f"{len(problems)} placeholder mismatches in {language}:\n" + "\n".join(
        problems
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_is_compiled(language):
    po = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    assert mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime, (
        f"{mo} is missing or older than its .po: run "
        "`.venv/bin/python manage.py compilemessages --ignore=.venv`"
    )


PAGES = {
    "fi": {
        "present": ["Kirjaudu sisään", "Salasana", "Unohditko salasanasi?", "soita 112"],
        "absent": ["Sign in", "Forgot your password?", "Email address", "In an emergency call"],
    },
    "sv": {
        "present": ["Logga in", "Lösenord", "Glömt ditt lösenord?", "ring 112"],
        "absent": ["Sign in", "Forgot your password?", "Email address", "In an emergency call"],
    },
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("how", ["cookie", "accept-language"])
def test_login_page_is_rendered_in_the_language(language, how):
    client = Client()
    if how == "cookie":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        response = client.get("/account/login/")
    else:
        response = client.get("/account/login/", HTTP_ACCEPT_LANGUAGE=f"{language},en;q=0.5")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'lang="{language}"' in html
    for text in PAGES[language]["present"]:
        assert text in html, f"{text!r} missing from the {language} login page"
    for text in PAGES[language]["absent"]:
        assert text not in html, f"untranslated {text!r} on the {language} login page"


def test_the_catalogs_hold_every_message_of_the_source(tmp_path, settings):
    """``make messages`` was run after the last change to a marked string: extracting
    the source again (into a copy of the catalogs, as ``make messages`` does) adds no
    message the committed catalogs lack."""
    import os
    import shutil

    from django.core.management import call_command

    copy = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, copy)
    settings.LOCALE_PATHS = [copy]
    cwd = os.getcwd()
    os.chdir(settings.BASE_DIR)
    try:
        call_command(
            "makemessages",
            locale=list(LANGUAGES),
            ignore_patterns=[".venv", "var", "tests", "bench", "node_modules", "locale"],
            extensions=["html", "txt", "py"],
            no_obsolete=True,
            verbosity=0,
        )
    finally:
        os.chdir(cwd)
    for language in LANGUAGES:
        committed = {(e.msgctxt, e.msgid) for e in catalog(language)[1]}
        extracted = parse_po(copy / language / "LC_MESSAGES" / "django.po")
        missing = [e.label for e in extracted if e.msgid and (e.msgctxt, e.msgid) not in committed]
        assert not missing, f"run `make messages` and translate ({language}):\n" + "\n".join(
            missing
        )
