"""Safe entry, through the CLI, on a small chronology of the war in Sudan (the fall of Wad Madani,
December 2023): an entity no description names is refused with "did you mean" unless the batch
describes it or it is allowed as new; a dry run shows what a write would add and writes nothing; an
event is not retracted twice; a fact may be required to rest on a source."""

from __future__ import annotations

import json

import pytest

from chrono.store import Log
from tests.test_cli import Unchanged, assert_clean_failure, head_of, invoke, ok, settle

ZONE = "Africa/Khartoum"
DABANGA = [{"outlet": "Radio Dabanga", "quote": "The RSF entered Wad Madani on Monday"}]

GAZETTEER = [
    {"id": "d-wad-madani", "type": "PlaceDescribed", "event": {"place": "wad-madani", "name": "Wad Madani", "kind": "city", "aliases": ["Madani"]}},
    {"id": "d-hantoub", "type": "PlaceDescribed", "event": {"place": "hantoub", "name": "Hantoub", "kind": "town"}},
    {"id": "d-saf", "type": "ActorDescribed", "event": {"actor": "saf", "name": "Sudanese Armed Forces", "kind": "state", "aliases": ["SAF"]}},
    {"id": "d-rsf", "type": "ActorDescribed", "event": {"actor": "rsf", "name": "Rapid Support Forces", "kind": "militia", "aliases": ["RSF"]}},
    {"id": "d-burhan", "type": "PersonDescribed", "event": {"person": "burhan", "name": "Abdel Fattah al-Burhan", "affiliation": "saf"}},
    {"id": "d-hemedti", "type": "PersonDescribed", "event": {"person": "hemedti", "name": "Mohamed Hamdan Dagalo", "aliases": ["Hemedti"]}},
]
FACTS = [
    {"id": "madani-taken", "type": "CityCaptured", "event": {"place": "wad-madani", "by": "rsf", "previous": "saf"},
     "valid": {"literal": "2023-12-18", "wording": "on Monday"}, "sources": DABANGA},
    {"id": "saf-denial", "type": "StatementIssued", "event": {"text": "The army still holds the city", "speaker": "saf", "kind": "denial"},
     "valid": "2023-12-18T20:00", "sources": [{"outlet": "Sudan Tribune", "attribution": "an army spokesman"}]},
]


def made(path, entries: list[dict]):
    """A log at `path` in Sudan's zone holding `entries` (appended as one batch), its cache warm."""
    ok(invoke(path, "init", "--zone", ZONE))
    ok(invoke(path, "append", "--json", "-", input="\n".join(json.dumps(x) for x in entries)))
    ok(invoke(path, "replay"))
    settle()
    return path


def copied(template, tmp_path):
    """A log of the test's own: a copy of `template`'s file."""
    path = tmp_path / "sudan.db"
    path.write_bytes(template.read_bytes())
    return path


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return made(tmp_path_factory.mktemp("sudan") / "sudan.db", GAZETTEER + FACTS)


@pytest.fixture
def sudan(template, tmp_path):
    return copied(template, tmp_path)


def entries(db) -> list[dict]:
    return [json.loads(line) for line in ok(invoke(db, "log", "--json")).stdout.splitlines()]


CAPTURE = ["append", "CityCaptured", "--valid", "2023-12-19", "--source", "Radio Dabanga"]


# --- an entity nobody described ------------------------------------------------------------------------------


def test_append_mistyped_place_is_refused_with_did_you_mean(sudan):
    with Unchanged(sudan):
        r = invoke(sudan, *CAPTURE, "--place", "wad-madany", "--by", "rsf")
    assert_clean_failure(r, 1)
    assert "CityCaptured.place: 'wad-madany' is not described in this log; did you mean 'wad-madani' (Wad Madani)?" in r.output
    assert "--new-entity wad-madany" in r.output


def test_append_unknown_actor_with_nothing_close_says_how_to_describe_it(sudan):
    with Unchanged(sudan):
        r = invoke(sudan, *CAPTURE, "--place", "hantoub", "--by", "wagner")
    assert_clean_failure(r, 1)
    assert "'wagner' is not described in this log; describe it first (ActorDescribed)" in r.output
    assert "did you mean" not in r.output


def test_append_entity_of_another_kind_is_refused(sudan):
    with Unchanged(sudan):
        r = invoke(sudan, *CAPTURE, "--place", "rsf", "--by", "rsf")
    assert_clean_failure(r, 1)
    assert "CityCaptured.place needs a place, but 'rsf' is described as an actor" in r.output


def test_append_name_that_is_not_an_id_is_refused_with_did_you_mean(sudan):
    r = invoke(sudan, *CAPTURE, "--place", "Wad Madanni", "--by", "rsf")
    assert_clean_failure(r, 1)
    assert "did you mean 'wad-madani' (Wad Madani)?" in r.output


def test_append_new_entity_allows_an_undescribed_id(sudan):
    ok(invoke(sudan, *CAPTURE, "--place", "rufaa", "--by", "rsf", "--new-entity", "rufaa", "--id", "rufaa-taken"))
    assert {"place": "rufaa", "by": "rsf", "previous": None} == entries(sudan)[-1]["event"]


def test_append_entity_by_name_or_alias_still_resolves(sudan):
    ok(invoke(sudan, *CAPTURE, "--place", "Madani", "--by", "RSF", "--id", "again"))
    assert {"place": "wad-madani", "by": "rsf", "previous": None} == entries(sudan)[-1]["event"]


def test_append_json_batch_may_describe_an_entity_anywhere_in_it(sudan):
    batch = [
        {"id": "rufaa-taken", "type": "CityCaptured", "event": {"place": "rufaa", "by": "rsf"}, "valid": "2023-12-20"},
        {"id": "d-rufaa", "type": "PlaceDescribed", "event": {"place": "rufaa", "name": "Rufaa", "kind": "town"}},
    ]
    ok(invoke(sudan, "append", "--json", "-", input=json.dumps(batch)))
    assert ["rufaa-taken", "d-rufaa"] == [e["id"] for e in entries(sudan)[-2:]]


def test_append_json_batch_with_an_unknown_entity_names_its_line_and_writes_nothing(sudan):
    lines = [json.dumps({"type": "PersonMoved", "event": {"person": "hemedti", "to_place": "hantoub"}, "valid": "2023-12-19"}),
             json.dumps({"type": "PersonMoved", "event": {"person": "burhan", "to_place": "port-sudan"}, "valid": "2023-12-19"})]
    with Unchanged(sudan):
        r = invoke(sudan, "append", "--json", "-", input="\n".join(lines))
    assert_clean_failure(r, 1)
    assert r.output.startswith("Error: line 2: PersonMoved.to_place: 'port-sudan' is not described")


def test_correct_to_a_mistyped_actor_is_refused(sudan):
    with Unchanged(sudan):
        r = invoke(sudan, "correct", "madani-taken", "--by", "rfs", "--reason", "misread")
    assert_clean_failure(r, 1)
    assert "did you mean 'rsf' (Rapid Support Forces)?" in r.output


def test_import_checks_new_events_against_the_lines_before_them(sudan, tmp_path):
    fact = {"id": "rufaa-taken", "type": "CityCaptured", "event": {"place": "rufaa", "by": "rsf"}, "valid": "2023-12-20"}
    described = {"id": "d-rufaa", "type": "PlaceDescribed", "event": {"place": "rufaa", "name": "Rufaa", "kind": "town"}}
    late = tmp_path / "late.jsonl"
    late.write_text(f"{json.dumps(fact)}\n{json.dumps(described)}\n")
    with Unchanged(sudan):
        r = invoke(sudan, "import", str(late))
    assert_clean_failure(r, 1)
    assert r.output.startswith("Error: line 1: CityCaptured.place: 'rufaa' is not described")
    early = tmp_path / "early.jsonl"
    early.write_text(f"{json.dumps(described)}\n{json.dumps(fact)}\n")
    assert "added 2" in ok(invoke(sudan, "import", str(early))).output


def test_import_of_an_export_keeps_entries_that_name_undescribed_entities(sudan, tmp_path):
    # A log written before entry was checked (or with --new-entity) travels whole.
    ok(invoke(sudan, *CAPTURE, "--place", "rufaa", "--by", "rsf", "--new-entity", "rufaa"))
    backup = tmp_path / "backup.jsonl"
    ok(invoke(sudan, "export", "--out", str(backup)))
    copy = tmp_path / "copy.db"
    ok(invoke(copy, "init"))  # (the export carries the zone, as a setting)
    ok(invoke(copy, "import", str(backup)))
    assert head_of(sudan) == head_of(copy)


def test_the_bundled_chronicle_exported_imports_into_a_new_log(tmp_path):
    syria = tmp_path / "syria.db"
    ok(invoke(syria, "init", "--chronicle", "syria-2024"))
    backup = tmp_path / "backup.jsonl"
    ok(invoke(syria, "export", "--out", str(backup)))
    copy = tmp_path / "copy.db"
    ok(invoke(copy, "init"))  # (the export carries the zone, as a setting)
    ok(invoke(copy, "import", str(backup)))
    assert head_of(syria) == head_of(copy)


# --- dry runs ------------------------------------------------------------------------------------------------------


def test_append_dry_run_shows_the_entry_and_its_position_and_writes_nothing(sudan):
    with Unchanged(sudan):
        r = ok(invoke(sudan, *CAPTURE, "--place", "hantoub", "--by", "rsf", "--id", "hantoub-taken", "--dry-run"))
    seq, h = head_of(sudan)
    assert f"dry run: nothing was written to {sudan} (its head stays {seq} {h[:16]})" == r.output.splitlines()[0]
    assert r.output.splitlines()[1].startswith(f"would add at {seq + 1}: hantoub-taken  CityCaptured  sometime on 19 Dec 2023")
    assert "Rapid Support Forces captured Hantoub" in r.output


def test_append_dry_run_says_which_entries_the_log_holds_already(sudan):
    batch = [dict(FACTS[0]), {"id": "c1", "type": "CallMade", "event": {"caller": "burhan", "callee": "hemedti"}, "valid": "2023-12-19"}]
    with Unchanged(sudan):
        r = ok(invoke(sudan, "append", "--json", "-", "--dry-run", input=json.dumps(batch)))
    seq = head_of(sudan)[0]
    with Log.open(str(sudan)) as log:
        held = log.get("madani-taken").seq
    assert [f"already in the log at {held}: madani-taken", f"would add at {seq + 1}: c1"] == [
        line.split("  ")[0] for line in r.output.splitlines()[1:]]


def test_append_dry_run_json_gives_positions_and_hashes(sudan):
    with Unchanged(sudan):
        r = ok(invoke(sudan, *CAPTURE, "--place", "hantoub", "--by", "rsf", "--id", "h1", "--dry-run", "--ids-json"))
    [entry] = json.loads(r.output)
    assert ("h1", head_of(sudan)[0] + 1, "CityCaptured", True) == (entry["id"], entry["seq"], entry["type"], entry["new"])
    assert 64 == len(entry["hash"])


def test_append_dry_run_still_refuses_what_the_write_would(sudan):
    with Unchanged(sudan):
        r = invoke(sudan, *CAPTURE, "--place", "atlantis", "--by", "rsf", "--dry-run")
    assert_clean_failure(r, 1)


def test_correct_dry_run_shows_the_correction_and_writes_nothing(sudan):
    with Unchanged(sudan):
        r = ok(invoke(sudan, "correct", "madani-taken", "--valid", "2023-12-19", "--reason", "dated by a later report", "--id", "k1", "--dry-run"))
    assert "k1  EventCorrected  sometime on 19 Dec 2023  corrects madani-taken to: Rapid Support Forces captured Wad Madani" in r.output


def test_retract_dry_run_shows_the_retraction_and_writes_nothing(sudan):
    with Unchanged(sudan):
        r = ok(invoke(sudan, "retract", "saf-denial", "--reason", "a rumour", "--dry-run"))
    line = r.output.splitlines()[1]
    assert line.startswith(f"would add at {head_of(sudan)[0] + 1}: ev-")
    assert "(a generated id; the write makes its own)  EventRetracted  timeless  retracts saf-denial: a rumour" in line


def test_import_dry_run_lists_what_it_would_add_and_writes_nothing(sudan, tmp_path):
    more = tmp_path / "more.jsonl"
    more.write_text(json.dumps({"id": "c1", "type": "CallMade", "event": {"caller": "burhan", "callee": "hemedti"}, "valid": "2023-12-19"})
                    + "\n" + json.dumps(FACTS[0]) + "\n")
    seq = head_of(sudan)[0]
    with Unchanged(sudan):
        r = ok(invoke(sudan, "import", str(more), "--dry-run"))
    lines = r.output.splitlines()
    assert lines[1].startswith(f"would add at {seq + 1}: c1  CallMade")
    assert lines[-1].startswith(f"would read 2 entries and add 1; the head would be {seq + 1} ")


# --- retracting twice ----------------------------------------------------------------------------------------------


def test_retracting_a_retracted_event_is_refused_naming_the_retraction(sudan):
    ok(invoke(sudan, "retract", "saf-denial", "--reason", "a rumour", "--id", "r1"))
    with Unchanged(sudan):
        r = invoke(sudan, "retract", "saf-denial", "--reason", "still a rumour")
    assert_clean_failure(r, 1)
    assert "Error: saf-denial is already retracted (by r1); to undo that retraction, `chrono retract r1`" == r.output.strip()


def test_two_retractions_of_one_event_in_a_batch_are_refused(sudan):
    batch = [{"id": f"r{i}", "type": "EventRetracted", "event": {"target": "saf-denial", "reason": "a rumour"}} for i in (1, 2)]
    with Unchanged(sudan):
        r = invoke(sudan, "append", "--json", "-", input=json.dumps(batch))
    assert_clean_failure(r, 1)
    assert "saf-denial is already retracted (by r1)" in r.output


def test_an_event_whose_retraction_was_undone_can_be_retracted_again(sudan):
    ok(invoke(sudan, "retract", "saf-denial", "--reason", "a rumour", "--id", "r1"))
    ok(invoke(sudan, "retract", "r1", "--reason", "it was said after all", "--id", "r2"))
    ok(invoke(sudan, "retract", "saf-denial", "--reason", "withdrawn by the army", "--id", "r3"))
    assert "retracted by r3" == next(e for e in entries(sudan) if e["id"] == "saf-denial")["status"]


def test_import_of_a_second_retraction_is_refused(sudan, tmp_path):
    ok(invoke(sudan, "retract", "saf-denial", "--reason", "a rumour", "--id", "r1"))
    again = tmp_path / "again.jsonl"
    again.write_text(json.dumps({"type": "EventRetracted", "event": {"target": "saf-denial", "reason": "twice"}}) + "\n")
    with Unchanged(sudan):
        r = invoke(sudan, "import", str(again))
    assert_clean_failure(r, 1)
    assert "saf-denial is already retracted (by r1)" in r.output


# --- sources -------------------------------------------------------------------------------------------------------


def test_require_source_refuses_a_fact_without_one(sudan):
    with Unchanged(sudan):
        r = invoke(sudan, "append", "CallMade", "--caller", "burhan", "--callee", "hemedti", "--valid", "2023-12-19", "--require-source")
    assert_clean_failure(r, 1)
    assert "CallMade rests on no source" in r.output


def test_require_source_accepts_a_fact_with_one_and_a_description_without(sudan):
    ok(invoke(sudan, "append", "CallMade", "--caller", "burhan", "--callee", "hemedti", "--valid", "2023-12-19", "--require-source",
              "--source", "Sudan Tribune"))
    ok(invoke(sudan, "append", "PlaceDescribed", "--place", "rufaa", "--name", "Rufaa", "--require-source"))


def test_require_source_accepts_a_correction_that_keeps_the_sources_it_corrects(sudan):
    ok(invoke(sudan, "correct", "madani-taken", "--valid", "2023-12-19", "--reason", "later report", "--require-source"))


def test_without_require_source_a_fact_needs_none(sudan):
    ok(invoke(sudan, "append", "CallMade", "--caller", "burhan", "--callee", "hemedti", "--valid", "2023-12-19"))
