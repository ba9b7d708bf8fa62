"""``LazyJSONField``: a large JSON document (a program version's snapshot) that rides
along with often-read rows is parsed only when something uses it."""

import pytest

from tandem.core.fields import LazyJSON, resolve_json
from tandem.programs.models import Program, ProgramVersion

pytestmark = pytest.mark.django_db


def _version(snapshot: dict) -> ProgramVersion:
    program = Program.objects.create(code="lazy-test")
    return ProgramVersion.objects.create(
        program=program, version="1", content_hash="sha256:x", snapshot=snapshot
    )


def test_a_read_value_is_parsed_on_first_use_only():
    version = _version({"program": {"code": "lazy-test", "modules": [{"id": "m1"}]}})
    loaded = ProgramVersion.objects.get(pk=version.pk).snapshot
    assert isinstance(loaded, LazyJSON)
    assert loaded._data is None  # nothing parsed yet
    assert loaded["program"]["modules"][0]["id"] == "m1"
    assert loaded == {"program": {"code": "lazy-test", "modules": [{"id": "m1"}]}}
    assert dict(loaded).keys() == {"program"} and len(loaded) == 1


def test_a_lazy_value_saves_back_unchanged():
    version = _version({"a": [1, 2, {"b": None}]})
    loaded = ProgramVersion.objects.get(pk=version.pk)
    loaded.version = "1b"
    loaded.save()
    again = ProgramVersion.objects.get(pk=version.pk)
    assert resolve_json(again.snapshot) == {"a": [1, 2, {"b": None}]}
    assert ProgramVersion.objects.filter(snapshot__a__2__b=None).exists()  # still JSON


def test_values_list_and_select_related_give_the_same_lazy_value():
    from tandem.programs.catalog import package_for  # noqa: F401  # reads via values_list

    version = _version({"k": "v"})
    raw = ProgramVersion.objects.values_list("snapshot", flat=True).get(pk=version.pk)
    assert resolve_json(raw) == {"k": "v"}
