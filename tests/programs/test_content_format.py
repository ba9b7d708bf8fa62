"""The program package format: validator, parser, Markdown rendering. No database."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.programs.content import (
    EXERCISE_TYPES,
    DiaryConfig,
    Package,
    PackageError,
    content_hash,
    find_packages,
    from_data,
    load_package,
    parse_package,
    render_markdown,
    to_data,
    validate_package,
)

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
DEPRESSION = REPO / "content" / "programs" / "depression"
MODULE = "modules/01-first/module.yaml"
PAGE = "modules/01-first/pages/intro.en.md"
PREFIX = "/media/programs/x/1.0.0/"


def line_of(package: Path, rel: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing ``needle`` in a fixture file."""
    hits = [
        i for i, line in enumerate((package / rel).read_text().splitlines(), 1) if needle in line
    ]
    assert len(hits) >= occurrence, f"{needle!r} not found in {rel}"
    return hits[occurrence - 1]


def issue(report_items, code: str, file: str | None = None):
    found = [i for i in report_items if i.code == code and (file is None or i.file == file)]
    assert found, f"no {code} issue in:\n" + "\n".join(str(i) for i in report_items)
    return found


def copy_fixture(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


# --- the shipped depression program -------------------------------------------------


def test_depression_package_has_no_errors():
    report = validate_package(DEPRESSION)
    assert report.errors == [], report.format()
    # Only missing fi/sv translations of modules 2-6 are expected as warnings.
    assert {w.code for w in report.warnings} <= {"missing-translation"}


def test_depression_package_content():
    package = parse_package(DEPRESSION)
    program = package.program
    assert program.code == "depression"
    assert program.languages == ("en", "fi", "sv")
    assert 4 <= len(program.modules) <= 8
    assert program.sources and package.content_hash.startswith("sha256:")
    schedule = {(s.instrument, s.when) for s in program.instruments}
    assert {("phq9", "baseline"), ("gad7", "baseline"), ("gad7", "end")} <= schedule
    assert ("phq9", "weekly") in schedule or ("phq9", "each_module") in schedule

    types = {e.type for m in program.modules for e in m.exercises}
    assert {
        "reflection",
        "goals",
        "diary",
        "checklist",
        "card_sort",
        "thought_record",
        "activity_plan",
    } <= types
    first = program.modules[0]
    assert {e.type for e in first.exercises} >= {"reflection", "goals"}
    for module in program.modules:
        assert 2 <= len(module.pages) <= 5, module.id
        assert module.pages[-1].id == "summary"
        assert module.exercises, module.id
        for exercise in module.exercises:
            assert exercise.feedback, f"{exercise.id} has no feedback templates"

    diary = program.exercise("mood-diary")
    assert diary is not None and diary.repeatable
    assert isinstance(diary.config, DiaryConfig)
    kinds = {f.id: f.kind for f in diary.config.fields}
    assert kinds["when"] == "time" and kinds["mood"] == "scale"
    assert kinds["activity"] == "text" and kinds["sleep_hours"] == "number"
    mood = next(f for f in diary.config.fields if f.id == "mood")
    assert (mood.min, mood.max) == (0, 10)


def test_depression_is_complete_in_finnish_and_swedish():
    """Issue 9: the depression program proves the multilingual path end to end."""
    program = parse_package(DEPRESSION).program
    for module in program.modules:
        for lang in ("fi", "sv"):
            assert module.title.has(lang), (module.id, lang)
            for page in module.pages:
                assert page.title.has(lang) and page.body.has(lang), (module.id, page.id, lang)
            for exercise in module.exercises:
                assert exercise.title.has(lang) and exercise.instructions.has(lang)
                for template in exercise.feedback:
                    assert template.text.has(lang)
    report = validate_package(DEPRESSION)
    missing = [w for w in report.warnings if w.code == "missing-translation"]
    assert missing == [], [str(w) for w in missing[:5]]


def test_depression_safety_page_names_crisis_resources():
    program = parse_package(DEPRESSION).program
    safety = program.modules[0].page("safety")
    assert safety is not None
    for lang in ("en", "fi", "sv"):
        text = safety.body.text(lang)
        assert "112" in text and "09 2525 0111" in text
    assert "not an emergency service" in safety.body.text("en")


def test_depression_pages_render_safely():
    package = parse_package(DEPRESSION)
    for module in package.program.modules:
        for page in module.pages:
            for lang in package.program.languages:
                html = render_markdown(
                    page.body.text(lang), PREFIX, lang=lang, media_files=package.media
                )
                assert "<script" not in html and "<h1" not in html


def test_snapshot_round_trip():
    package = parse_package(DEPRESSION)
    data = json.loads(json.dumps(to_data(package)))
    assert data["program"]["title"]["fi"] == "Askelia ulos masennuksesta"
    assert from_data(Package, data) == package


def test_find_packages():
    assert DEPRESSION in find_packages(REPO / "content" / "programs")


# --- good fixture ------------------------------------------------------------------


def test_minimal_fixture_parses():
    package = parse_package(FIXTURES / "minimal")
    module = package.program.modules[0]
    assert module.directory == "modules/01-first" and module.position == 1
    assert [p.id for p in module.pages] == ["intro"]
    assert module.questionnaires == ("phq9",)
    assert package.media == (
        "media/path.png",
        "media/relax.mp3",
        "media/relax.vtt",
        "media/sheet.pdf",
    )
    assert module.flow()[0].id == "intro"


def test_all_exercise_types_parse(tmp_path):
    root = copy_fixture(tmp_path, "minimal")
    module = yaml.safe_load((root / MODULE).read_text())
    loc = {"en": "Text", "fi": "Teksti"}
    common = {"title": loc, "instructions": loc}
    module["exercises"] = [
        {"id": "r", "type": "reflection", **common, "prompts": [{"id": "p", "text": loc}]},
        {"id": "t", "type": "thought_record", **common, "emotion_suggestions": [loc]},
        {"id": "a", "type": "activity_plan", **common, "ratings": ["mastery", "pleasure"]},
        {"id": "e", "type": "exposure_ladder", **common, "max_steps": 8},
        {"id": "s", "type": "sleep_diary", **common, "fields": ["bedtime", "final_wake"]},
        {"id": "g", "type": "goals", **common, "max_goals": 2},
        {"id": "c", "type": "checklist", **common, "items": [{"id": "i", "text": loc}]},
        {
            "id": "k",
            "type": "card_sort",
            **common,
            "cards": [{"id": "a", "text": loc}, {"id": "b", "text": loc}],
            "piles": [{"id": "x", "label": loc}, {"id": "y", "label": loc, "max_cards": 1}],
        },
        {
            "id": "d",
            "type": "diary",
            **common,
            "fields": [{"id": "m", "kind": "scale", "min": 0, "max": 10, "label": loc}],
        },
    ]
    for exercise in module["exercises"]:
        exercise["feedback"] = [{"id": "f", "label": loc, "text": loc}]
    (root / MODULE).write_text(yaml.safe_dump(module, allow_unicode=True))
    package, report = load_package(root)
    assert report.errors == [], report.format()
    assert package is not None
    parsed = {e.type for e in package.program.modules[0].exercises}
    assert parsed == set(EXERCISE_TYPES)
    assert from_data(Package, json.loads(json.dumps(to_data(package)))) == package


# --- broken fixtures: each gives its specific error with file and line ------------


def test_missing_required_fields():
    root = FIXTURES / "missing-field"
    report = validate_package(root)
    (version,) = issue(report.errors, "missing-field", "manifest.yaml")
    assert "version" in version.message and version.line == 1
    (instructions,) = issue(report.errors, "missing-field", MODULE)
    assert "instructions" in instructions.message
    assert instructions.line == line_of(root, MODULE, "- id: notes")
    with pytest.raises(PackageError) as caught:
        parse_package(root)
    assert caught.value.report.errors == report.errors


def test_unknown_exercise_type():
    root = FIXTURES / "unknown-type"
    report = validate_package(root)
    (err,) = issue(report.errors, "unknown-exercise-type", MODULE)
    assert "mood_tracker" in err.message
    assert err.line == line_of(root, MODULE, "type: mood_tracker")


def test_broken_references():
    root = FIXTURES / "broken-reference"
    report = validate_package(root)
    errors = issue(report.errors, "broken-reference")
    by_file = {(e.file, e.line) for e in errors}
    assert (MODULE, line_of(root, MODULE, "- id: missing-page")) in by_file
    assert (MODULE, line_of(root, MODULE, "after_page: nowhere")) in by_file
    assert ("manifest.yaml", line_of(root, "manifest.yaml", "- id: second")) in by_file


def test_unsafe_html():
    root = FIXTURES / "unsafe-html"
    report = validate_package(root)
    html = issue(report.errors, "unsafe-html", PAGE)
    lines = {e.line: e.message for e in html}
    assert "<script>" in lines[line_of(root, PAGE, '<script>alert("owned")')]
    assert "onerror" in lines[line_of(root, PAGE, "onerror=")]
    assert "<iframe>" in lines[line_of(root, PAGE, "<iframe")]
    (url,) = issue(report.errors, "unsafe-url", PAGE)
    assert url.line == line_of(root, PAGE, "javascript:")
    # `<script>` inside a code span and H<sub>2</sub>O are fine.
    assert line_of(root, PAGE, "inside code") not in lines
    assert line_of(root, PAGE, "<sub>") not in lines


def test_media_problems():
    root = FIXTURES / "bad-media"
    report = validate_package(root)
    (remote,) = issue(report.errors, "remote-media", PAGE)
    assert remote.line == line_of(root, PAGE, "https://example.org/cat.png")
    (alt,) = issue(report.errors, "missing-alt", PAGE)
    assert alt.line == line_of(root, PAGE, "![](media/ok.png)")
    (missing,) = issue(report.errors, "media-missing", PAGE)
    assert missing.line == line_of(root, PAGE, "media/missing.png")
    (captions,) = issue(report.errors, "missing-captions", PAGE)
    assert captions.line == line_of(root, PAGE, "media/talk.mp3")
    (svg,) = issue(report.errors, "bad-media-type", "media/diagram.svg")
    assert svg.line is None
    assert not [e for e in report.errors if "mieli.fi" in e.message]


def test_missing_translation_is_a_warning_not_an_error():
    root = FIXTURES / "missing-translation"
    package, report = load_package(root)
    assert report.errors == [], report.format()
    assert package is not None
    warnings = issue(report.warnings, "missing-translation", MODULE)
    page_warning = next(w for w in warnings if "intro.fi.md" in w.message)
    assert page_warning.line == line_of(root, MODULE, "- id: intro")
    page = package.program.modules[0].pages[0]
    assert page.body.text("fi") == page.body.text("en")
    assert package.warnings == tuple(report.warnings)


def test_duplicate_ids():
    root = FIXTURES / "duplicate-ids"
    report = validate_package(root)
    dups = {(e.file, e.line) for e in issue(report.errors, "duplicate-id")}
    assert ("manifest.yaml", line_of(root, "manifest.yaml", "- id: first", 2)) in dups
    assert (MODULE, line_of(root, MODULE, "- id: intro", 2)) in dups
    assert (MODULE, line_of(root, MODULE, "- id: notes", 2)) in dups
    assert (MODULE, line_of(root, MODULE, "- id: walk", 2)) in dups


def test_bad_diary_fields():
    root = FIXTURES / "bad-diary"
    report = validate_package(root)
    (kind,) = issue(report.errors, "bad-field-kind", MODULE)
    assert "slider" in kind.message and kind.line == line_of(root, MODULE, "kind: slider")
    (rng,) = issue(report.errors, "bad-range", MODULE)
    assert "min (10)" in rng.message and rng.line == line_of(root, MODULE, "min: 10")
    scale = [e for e in issue(report.errors, "missing-field", MODULE) if "'max'" in e.message]
    assert scale and scale[0].line == line_of(root, MODULE, "- id: energy")


# --- further checks on copies of the good fixture ------------------------------------


def _edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_yaml_syntax_error_and_duplicate_key(tmp_path):
    root = copy_fixture(tmp_path, "minimal")
    _edit(root, "manifest.yaml", "code: minimal\n", "code: minimal\ncode: again\n")
    (dup,) = issue(validate_package(root).errors, "duplicate-key", "manifest.yaml")
    assert dup.line == 3
    _edit(root, "manifest.yaml", "code: again\n", "code: [unclosed\n")
    (syntax,) = issue(validate_package(root).errors, "yaml-syntax", "manifest.yaml")
    assert syntax.line is not None


def test_version_code_and_pacing_rules(tmp_path):
    root = copy_fixture(tmp_path, "minimal")
    _edit(root, "manifest.yaml", 'version: "1.0.0"', "version: 1.0")
    _edit(root, "manifest.yaml", "code: minimal", "code: other")
    _edit(root, "manifest.yaml", "  interval_days: 7\n", "")
    report = validate_package(root)
    assert issue(report.errors, "wrong-type")[0].line == 3
    assert issue(report.errors, "code-mismatch")[0].line == 2
    assert "interval_days" in issue(report.errors, "missing-field")[0].message


def test_unknown_field_is_reported(tmp_path):
    root = copy_fixture(tmp_path, "minimal")
    _edit(root, MODULE, "    repeatable: true\n", "    repetable: true\n")
    (err,) = issue(validate_package(root).errors, "unknown-field", MODULE)
    assert "repetable" in err.message and err.line == line_of(root, MODULE, "repetable")


def test_feedback_placeholders(tmp_path):
    root = copy_fixture(tmp_path, "minimal")
    _edit(root, MODULE, '{name}."', '{patient_name}."')
    (err,) = issue(validate_package(root).errors, "bad-placeholder", MODULE)
    assert "patient_name" in err.message


def test_exercise_ids_unique_across_modules(tmp_path):
    root = copy_fixture(tmp_path, "minimal")
    shutil.copytree(root / "modules/01-first", root / "modules/02-second")
    _edit(
        root,
        "manifest.yaml",
        "modules:\n  - id: first\n    minutes: 20\n",
        "modules:\n  - id: first\n    minutes: 20\n  - id: second\n    minutes: 20\n",
    )
    errors = issue(validate_package(root).errors, "duplicate-id", "modules/02-second/module.yaml")
    assert "mood-diary" in errors[0].message


def test_instrument_codes_checked_when_instruments_exist(tmp_path):
    root = copy_fixture(tmp_path, "minimal")
    instruments = tmp_path / "instruments"
    instruments.mkdir()
    assert validate_package(root, instruments_dir=instruments).errors  # phq9 missing
    (instruments / "phq9.yaml").write_text("code: phq9\n")
    assert validate_package(root, instruments_dir=instruments).errors == []
    _edit(root, MODULE, "questionnaires: [phq9]", "questionnaires: [phq9, gad7]")
    (err,) = issue(
        validate_package(root, instruments_dir=instruments).errors, "unknown-instrument", MODULE
    )
    assert "gad7" in err.message and err.line == line_of(root, MODULE, "questionnaires")
    _edit(root, MODULE, "[phq9, gad7]", "[PHQ-9]")
    assert issue(validate_package(root).errors, "bad-id", MODULE)


def test_default_instruments_dir_is_content_instruments(tmp_path):
    programs = tmp_path / "content" / "programs"
    programs.mkdir(parents=True)
    root = programs / "minimal"
    shutil.copytree(FIXTURES / "minimal", root)
    assert validate_package(root).errors == []  # no content/instruments: not checked
    (tmp_path / "content" / "instruments").mkdir()
    errors = issue(validate_package(root).errors, "unknown-instrument", "manifest.yaml")
    assert [e.line for e in errors] == [
        line_of(root, "manifest.yaml", "instrument: phq9", n) for n in (1, 2)
    ]


def test_module_directory_and_page_files(tmp_path):
    root = copy_fixture(tmp_path, "minimal")
    (root / "modules/01-first/pages/stray.en.md").write_text("## Stray\n")
    (root / "modules/07-extra").mkdir()
    report = validate_package(root)
    assert report.errors == []
    assert issue(report.warnings, "unused-page", "modules/01-first/pages/stray.en.md")
    assert issue(report.warnings, "unused-module", "modules/07-extra")


def test_missing_package_and_manifest(tmp_path):
    assert issue(validate_package(tmp_path / "nope").errors, "not-found")
    (tmp_path / "empty").mkdir()
    assert issue(validate_package(tmp_path / "empty").errors, "missing-file", "manifest.yaml")


# --- content hash -----------------------------------------------------------------


def test_content_hash_changes_when_any_file_changes(tmp_path):
    root = copy_fixture(tmp_path, "minimal")
    original = content_hash(root)
    assert original == content_hash(FIXTURES / "minimal")  # location does not matter
    assert parse_package(root).content_hash == original
    changes = [
        lambda: _edit(root, PAGE, "plain", "simple"),
        lambda: _edit(root, MODULE, "Mood diary", "Mood log"),
        lambda: (root / "media/path.png").write_bytes(b"\x89PNG changed"),
        lambda: (root / "media/new.txt").write_text("new"),
        lambda: (root / "media/new.txt").rename(root / "media/renamed.txt"),
    ]
    seen = [original]
    for change in changes:
        change()
        digest = content_hash(root)
        assert digest not in seen
        seen.append(digest)
    (root / "media/renamed.txt").unlink()  # back to the state before the file was added
    assert content_hash(root) == seen[3]
    (root / ".DS_Store").write_text("ignored")
    assert content_hash(root) == seen[3]


# --- Markdown rendering --------------------------------------------------------------


def test_render_markdown_basics():
    html = render_markdown(
        "# Title\n\n**bold** [site](https://example.org) [call](tel:112)\n\n"
        '![A lake](media/lake.png "Dusk")\n\n[sheet](media/sheet.pdf)\n',
        PREFIX,
    )
    assert "<h2>Title</h2>" in html and "<h1" not in html
    assert '<a href="https://example.org" rel="noopener noreferrer">site</a>' in html
    assert 'href="tel:112"' in html
    assert f'src="{PREFIX}lake.png"' in html and 'alt="A lake"' in html
    assert "<figcaption>Dusk</figcaption>" in html
    assert f'href="{PREFIX}sheet.pdf"' in html


def test_render_markdown_media_players():
    html = render_markdown(
        "![Relaxation](media/relax.mp3)\n\n![Intro](media/intro.mp4)\n",
        PREFIX,
        lang="fi",
        media_files={"media/relax.fi.txt", "media/intro.vtt"},
    )
    assert "<audio" in html and 'controls="controls"' in html
    assert f'src="{PREFIX}relax.mp3"' in html and f'href="{PREFIX}relax.fi.txt"' in html
    assert "<video" in html and "<track" in html and f'src="{PREFIX}intro.vtt"' in html


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<img src="media/ok.png" onerror="alert(1)">',
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        '<a href="javascript&colon;alert(1)">x</a>',
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        '<iframe src="https://evil.example"></iframe>',
        "<svg onload=alert(1)><circle/></svg>",
        '<div style="background:url(javascript:alert(1))" onclick="alert(1)">x</div>',
        "<style>body{display:none}</style>",
        '<object data="x.swf"></object><embed src="x">',
        '<form action="https://evil.example"><input name=q></form>',
        "![x](https://evil.example/track.png)",
        '<img src="//evil.example/x.png">',
        "<math><mtext><img src=x onerror=alert(1)></mtext></math>",
        '<a href="media/../../../etc/passwd">x</a>',
    ],
)
def test_render_markdown_strips_unsafe_input(payload):
    html = render_markdown(f"Before\n\n{payload}\n\nAfter", PREFIX)
    assert_safe(html)
    assert "Before" in html and "After" in html


ALLOWED_OUTPUT_TAGS = {
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
SAFE_SCHEMES = ("http:", "https:", "mailto:", "tel:")
SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")


class _Auditor(HTMLParser):
    """Walks rendered HTML and records anything outside the allowlist."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_OUTPUT_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            value = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if name.startswith("on") or name == "style":
                self.problems.append(f"attribute {name}")
            if name == "src" and not (value.startswith(PREFIX) and ".." not in value):
                self.problems.append(f"src {value}")
            scheme = SCHEME.match(value)
            if name == "href" and scheme and f"{scheme.group(1)}:" not in SAFE_SCHEMES:
                self.problems.append(f"href {value}")


def assert_safe(html: str) -> None:
    auditor = _Auditor()
    auditor.feed(html)
    auditor.close()
    assert not auditor.problems, (auditor.problems, html)


FRAGMENTS = st.sampled_from(
    [
        "<script>",
        "</script>",
        "<img",
        " src=",
        "x",
        " onerror=",
        "alert(1)",
        ">",
        "<a href=",
        "javascript:",
        '"',
        "'",
        "[",
        "](",
        ")",
        "![",
        "media/",
        "https://e.example/",
        "<",
        "\n\n",
        "`",
        "<!--",
        "-->",
        "<svg",
        " onload=",
        "&#x6a;",
        "data:",
        "<iframe",
        "**",
        "<p>",
        "</p>",
        "# ",
        "> ",
        "    ",
        "|",
        "---",
        "<style>",
        "\t",
        "=",
        " ",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(FRAGMENTS | st.text(max_size=5), max_size=40).map("".join))
def test_render_markdown_is_safe_on_any_input(text):
    assert_safe(render_markdown(text, PREFIX))


@pytest.mark.parametrize(
    "html",
    [
        "<script>x</script>",
        '<a href="javascript:x">x</a>',
        '<a href="java&#x09;script:x">x</a>',
        '<img src="https://e.example/x.png">',
        '<p onclick="x">x</p>',
        "<iframe></iframe>",
    ],
)
def test_auditor_catches_unsafe_html(html):
    with pytest.raises(AssertionError):
        assert_safe(html)


# --- the validator never crashes on mangled input -------------------------------------

MUTABLE_FILES = ("manifest.yaml", MODULE, PAGE)
JUNK = st.sampled_from(
    [
        "",
        "- ",
        ": ",
        "null",
        "[]",
        "{}",
        "true",
        "1.5",
        "- id: x",
        "  kind: number",
        "min: 5",
        "max: 1",
        "type: diary",
        "fields: 3",
        "&a [*a]",
        "<script>",
        "![](",
        "\t",
        "en:",
        "languages: en",
        "modules: {}",
        "pages: [1, 2]",
        "'unterminated",
        "{{name}}",
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    file=st.sampled_from(MUTABLE_FILES),
    line=st.integers(min_value=0, max_value=80),
    action=st.sampled_from(["delete", "replace", "insert"]),
    junk=JUNK | st.text(max_size=12),
)
def test_validator_never_crashes(tmp_path_factory, file, line, action, junk):
    root = tmp_path_factory.mktemp("fuzz") / "minimal"
    shutil.copytree(FIXTURES / "minimal", root)
    path = root / file
    lines = path.read_text().splitlines()
    index = min(line, len(lines) - 1)
    if action == "delete":
        del lines[index]
    elif action == "replace":
        lines[index] = junk
    else:
        lines.insert(index, junk)
    path.write_text("\n".join(lines) + "\n")
    package, report = load_package(root)
    assert (package is None) == bool(report.errors)
    for item in report.errors + report.warnings:
        assert isinstance(item.message, str) and (item.line is None or item.line >= 1)
