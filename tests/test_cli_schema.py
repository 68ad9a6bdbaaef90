"""The schema describes itself through the CLI: `append TYPE --help` and `correct --help` list the
fields a type has, with plain type names and descriptions; every type has a description; `types`
speaks plainly, and `types --json` says the same for programs."""

from __future__ import annotations

import json

import attrs
import pytest

from events import REGISTRY
from tests.test_cli import invoke, ok
from tests.test_cli_entry import sudan, template  # noqa: F401 (fixtures: a small chronology of Sudan)

FACT_TYPES = sorted(name for name, cls in REGISTRY.items() if not cls.correction)


def test_append_type_help_lists_its_fields_with_plain_types_and_descriptions():
    out = ok(invoke(None, "append", "CallMade", "--help")).output
    assert "CallMade: One party called another." in out
    fields = out[out.index("Fields of CallMade:"):]
    assert "--caller   entity of any kind (required) — Who called" in fields
    assert "--summary  text — What was said, in brief." in fields


def test_append_type_help_gives_ranges_choices_and_defaults():
    out = " ".join(ok(invoke(None, "append", "PlaceDescribed", "--help")).output.split())
    assert "--lat number from -90 to 90 — Latitude in degrees." in out
    assert "--aliases list of texts —" in out
    assert "--kind one of: country, region," in out and "other (default: other) — What sort of place it is." in out
    assert "--place id of the place described (required)" in out


@pytest.mark.parametrize("type_name", FACT_TYPES)
def test_append_type_help_lists_every_field_of_every_type(type_name):
    out = ok(invoke(None, "append", type_name, "--help")).output
    fields = out[out.index(f"Fields of {type_name}:"):]
    for a in attrs.fields(REGISTRY[type_name]):
        assert f"--{a.name.replace('_', '-')} " in fields


def test_append_help_without_a_type_says_how_to_see_one():
    assert "`chrono append TYPE --help` lists the fields of TYPE" in ok(invoke(None, "append", "--help")).output


def test_correct_help_lists_the_fields_a_correction_may_set_by_type():
    out = ok(invoke(None, "correct", "--help")).output
    listing = out[out.index("Fields a correction may set"):]
    assert "CityCaptured" in listing and "--place --by --previous" in listing
    assert "ControlChanged" in listing and "--controller" in listing


def test_correct_help_of_an_event_lists_the_fields_of_its_type(sudan):  # noqa: F811
    out = ok(invoke(sudan, "correct", "madani-taken", "--help")).output
    listing = out[out.index("Fields a correction of madani-taken may set (a CityCaptured; a field not given keeps its value):"):]
    assert "--by        entity of kind actor — The actor that took it." in listing
    assert "(required)" not in listing


def test_types_lists_every_type_with_a_description():
    lines = ok(invoke(None, "types")).output.splitlines()
    assert len(REGISTRY) == len(lines)
    for line in lines:
        name, _, description = line.partition(" ")
        assert name in REGISTRY and len(description.strip()) > 10, line


def test_types_of_one_type_speaks_plainly():
    out = ok(invoke(None, "types", "PersonMoved")).output
    assert "<class" not in out and "| None" not in out and "tuple[" not in out
    assert "--companions  list of entities of kind person — Who went with them" in out
    assert "A person went somewhere (with companions)" in out


def test_types_json_describes_every_type_and_field():
    doc = json.loads(ok(invoke(None, "types", "--json")).output)
    assert sorted(REGISTRY) == [t["type"] for t in doc]
    for t in doc:
        assert t["description"], t["type"]
        for f in t["fields"]:
            assert f["description"] and f["type"], (t["type"], f["name"])


def test_types_json_of_one_type():
    doc = json.loads(ok(invoke(None, "types", "ControlChanged", "--json")).output)
    assert ("ControlChanged", 1, False, False) == (doc["type"], doc["version"], doc["timeless"], doc["correction"])
    how = next(f for f in doc["fields"] if f["name"] == "how")
    assert {"name": "how", "option": "--how", "type": "one of: " + ", ".join(how["choices"]), "required": False, "default": "captured",
            "entity_kind": None, "list": False} == {k: v for k, v in how.items() if k not in ("choices", "description")}
    contested = next(f for f in doc["fields"] if f["name"] == "contested_with")
    assert ("list of entities of kind actor", "actor", True, []) == (contested["type"], contested["entity_kind"], contested["list"], contested["default"])
