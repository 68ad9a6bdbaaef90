"""`chrono search` and the `log` filters, through the CLI, on a small chronology of the war in Sudan
(the fall of Wad Madani, December 2023): words found in names, quotes, wordings, glosses, statements,
summaries and sources; corrected events found by what they say now, and by what they said with
--as-of; filters as the other read commands have them; an index that reads only what is new."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.test_cli import assert_clean_failure, clock, invoke, ok, settle
from tests.test_cli_entry import FACTS, GAZETTEER, ZONE, copied, made

MORE = [
    {"id": "d-sennar", "type": "PlaceDescribed", "event": {"place": "sennar", "name": "Sennar", "kind": "city"}},
    {"id": "jeddah-call", "type": "CallMade", "event": {"caller": "burhan", "callee": "hemedti", "summary": "a ceasefire in Gezira"},
     "valid": {"literal": "2023-12-19", "gloss": "the day after the fall"},
     "sources": [{"outlet": "Sudan Tribune", "title": "Talks in Jeddah stall"}]},
    {"id": "pull-back", "type": "OrderIssued", "event": {"order": "Withdraw to Sennar", "issuer": "saf", "recipients": ["burhan"]},
     "valid": "2023-12-17", "sources": [{"outlet": "Radio Dabanga", "attribution": "officers in Sennar"}]},
    {"id": "sighting", "type": "StatementIssued", "event": {"text": "Hemedti was seen in Hantoub", "speaker_description": "a resident",
                                                            "kind": "rumour", "about": ["hemedti"]},
     "valid": "2023-12-20", "sources": [{"outlet": "Radio Dabanga", "quote": "Hemedti was seen in Hantoub"}]},
]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return made(tmp_path_factory.mktemp("sudan-search") / "sudan.db", GAZETTEER + FACTS + MORE)


@pytest.fixture
def sudan(template, tmp_path):
    return copied(template, tmp_path)


def found(db, *args, clk=None) -> dict:
    """The events a search finds, by id, with their status."""
    doc = json.loads(ok(invoke(db, "search", *args, "--json", clk=clk)).output)
    return {h["event"]: h["status"] for h in doc["hits"]}


# --- what is found ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("words", "expected"), [
    ("Madani", {"d-wad-madani", "madani-taken"}),  # a name and an alias; a quote
    ("Monday", {"madani-taken"}),  # the source's wording of the time
    ('"the day after"', {"jeddah-call"}),  # the chronicler's gloss, as a phrase
    ("ceasefire", {"jeddah-call"}),  # a call's summary
    ("stall", {"jeddah-call"}),  # a source's title
    ("spokesman", {"saf-denial"}),  # a source's attribution
    ("Tribune", {"saf-denial", "jeddah-call"}),  # an outlet
    ("still holds", {"saf-denial"}),  # a statement's text, every word
    ("Withdraw", {"pull-back"}),  # an order
    ("Dagalo", {"d-hemedti"}),  # a description's name
    ("resident", {"sighting"}),  # who spoke, unnamed
])
def test_search_finds_words_wherever_the_log_keeps_them(sudan, words, expected):
    assert {e: "stands" for e in expected} == found(sudan, words)


def test_search_ignores_case_and_accents(sudan):
    assert {"d-wad-madani", "madani-taken"} == set(found(sudan, "MADANÍ"))


def test_search_prefix_and_alternatives(sudan):
    assert {"pull-back", "d-sennar"} == set(found(sudan, "Senn*"))
    assert {"pull-back", "jeddah-call"} == set(found(sudan, "ceasefire OR withdraw"))


def test_search_finds_a_corrected_event_by_its_current_words_and_says_so(sudan):
    ok(invoke(sudan, "correct", "saf-denial", "--text", "The army holds the bridge", "--reason", "better translation", "--id", "k1"))
    doc = json.loads(ok(invoke(sudan, "search", "bridge", "--json")).output)
    [hit] = doc["hits"]
    assert ("saf-denial", "stands", ["k1"], None) == (hit["event"], hit["status"], hit["via"], hit["superseded_by"])
    assert "The army holds the [bridge]" == hit["snippet"]


def test_search_finds_words_only_in_a_superseded_version_and_says_so(sudan):
    clk = clock()
    before = json.loads(ok(invoke(sudan, "head", "--json", clk=clk)).output)["recorded"]
    ok(invoke(sudan, "correct", "saf-denial", "--text", "The army holds the bridge", "--reason", "better translation", "--id", "k1", clk=clk))
    assert {"saf-denial": "superseded"} == found(sudan, "city", clk=clk)
    assert "only before k1 corrected it" in ok(invoke(sudan, "search", "city", clk=clk)).output
    # As known before the correction, the old words are what the log said, and the new ones nothing.
    assert {"saf-denial": "stands"} == found(sudan, "city", "--as-of", before, clk=clk)
    assert {} == found(sudan, "bridge", "--as-of", before, clk=clk)


def test_search_finds_a_corrected_event_by_its_current_version_when_both_match(sudan):
    # (The old words are fewer: alone, they would rank first.)
    ok(invoke(sudan, "correct", "saf-denial", "--text", "The army holds the bridge over the Blue Nile at Hantoub", "--reason", "r", "--id", "k1"))
    [hit] = json.loads(ok(invoke(sudan, "search", "army", "--type", "StatementIssued", "--json")).output)["hits"]
    assert ("stands", ["k1"]) == (hit["status"], hit["via"])
    assert "Blue Nile" in hit["summary"]


def test_search_finds_a_retracted_event_and_says_it_is_retracted(sudan):
    ok(invoke(sudan, "retract", "sighting", "--reason", "a rumour", "--id", "r1"))
    doc = json.loads(ok(invoke(sudan, "search", "Hantoub", "--json")).output)
    hit = next(h for h in doc["hits"] if h["event"] == "sighting")
    assert ("retracted", "r1") == (hit["status"], hit["superseded_by"])
    assert "only before r1 retracted it" in ok(invoke(sudan, "search", "Hantoub")).output


# --- filters -----------------------------------------------------------------------------------------------------


def test_search_type_filter(sudan):
    assert {"madani-taken"} == set(found(sudan, "Madani", "--type", "CityCaptured"))


def test_search_entity_filter_takes_a_name_or_alias(sudan):
    assert {"madani-taken", "pull-back"} == set(found(sudan, "Dabanga OR officers", "--entity", "SAF"))
    assert {"sighting", "d-hemedti"} == set(found(sudan, "Hemedti OR Dagalo", "--entity", "Hemedti"))


def test_search_time_filter_leaves_out_what_has_no_time(sudan):
    assert {"madani-taken"} == set(found(sudan, "Madani", "--from", "2023-12-18", "--to", "2023-12-18"))
    assert {} == found(sudan, "Madani", "--from", "2023-12-19")


def test_search_source_filter(sudan):
    assert {"jeddah-call"} == set(found(sudan, "Gezira OR Monday", "--source", "tribune"))


def test_search_limit_says_there_is_more(sudan):
    doc = json.loads(ok(invoke(sudan, "search", "Dabanga", "--limit", "1", "--json")).output)
    assert (1, True) == (len(doc["hits"]), doc["more"])
    assert "(the best 1 shown; --limit N or --all shows more)" in ok(invoke(sudan, "search", "Dabanga", "--limit", "1")).output


def test_search_json_names_the_log_and_the_question(sudan):
    doc = json.loads(ok(invoke(sudan, "search", "ceasefire", "--json")).output)
    assert ["log", "query", "known_at", "limit", "more", "hits"] == list(doc)
    assert str(sudan) == doc["log"]["path"]
    [hit] = doc["hits"]
    assert {"event", "type", "seq", "valid", "summary", "snippet", "sources", "attribution", "status", "via", "superseded_by"} == set(hit)
    assert ("the day after the fall", "Abdel Fattah al-Burhan called Mohamed Hamdan Dagalo: a ceasefire in Gezira") == (
        hit["valid"]["gloss"], hit["summary"])


def test_search_with_nothing_to_search_for_is_refused(sudan):
    r = invoke(sudan, "search", '""')
    assert_clean_failure(r, 1)
    assert "nothing to search for" in r.output


def test_search_unknown_type_is_a_usage_error(sudan):
    assert_clean_failure(invoke(sudan, "search", "Madani", "--type", "CityBurned"), 2)


def test_search_unknown_entity_says_did_you_mean(sudan):
    r = invoke(sudan, "search", "Madani", "--entity", "Hemedi")
    assert_clean_failure(r, 1)
    assert "did you mean 'hemedti'" in r.output


# --- the index ---------------------------------------------------------------------------------------------------


def index_of(db) -> sqlite3.Connection:
    settle()
    return sqlite3.connect(f"{db}-search")


def test_search_reads_only_the_entries_appended_since_the_last_search(sudan):
    ok(invoke(sudan, "search", "Madani"))
    with index_of(sudan) as conn:  # mark what the first search indexed: a rebuild would lose the mark
        conn.execute("UPDATE search_text SET what = 'zzmarked' WHERE rowid = (SELECT id FROM search_versions WHERE fact = 'pull-back')")
    ok(invoke(sudan, "append", "CallMade", "--caller", "saf", "--callee", "rsf", "--summary", "a truce in Sennar", "--valid", "2023-12-21",
              "--id", "truce"))
    assert {"pull-back"} == set(found(sudan, "zzmarked"))
    assert {"truce": "stands"} == found(sudan, "truce")


def test_a_correction_reindexes_the_event_it_corrects(sudan):
    ok(invoke(sudan, "search", "Madani"))
    with index_of(sudan) as conn:
        conn.execute("UPDATE search_text SET what = 'zzmarked' WHERE rowid IN (SELECT id FROM search_versions WHERE fact IN ('pull-back', 'saf-denial'))")
    ok(invoke(sudan, "correct", "saf-denial", "--text", "The army holds the bridge", "--reason", "better translation", "--id", "k1"))
    assert {"saf-denial": "superseded", "pull-back": "stands"} == found(sudan, "zzmarked")
    assert {"saf-denial": "stands"} == found(sudan, "bridge")


def test_another_log_in_the_same_place_is_indexed_afresh(sudan):
    ok(invoke(sudan, "search", "Madani"))
    settle()
    sudan.unlink()
    ok(invoke(sudan, "init", "--zone", ZONE))
    ok(invoke(sudan, "append", "PlaceDescribed", "--place", "kosti", "--name", "Kosti", "--id", "d-kosti"))
    assert {} == found(sudan, "Madani")
    assert {"d-kosti": "stands"} == found(sudan, "Kosti")


def test_a_damaged_index_is_rebuilt(sudan):
    ok(invoke(sudan, "search", "Madani"))
    settle()
    with open(f"{sudan}-search", "wb") as f:
        f.write(b"this is not a database" * 100)
    assert {"d-wad-madani", "madani-taken"} == set(found(sudan, "Madani"))


def test_search_reads_the_bundled_chronicle_when_no_log_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = ok(invoke(None, "search", "Hmeimim", "--json"))
    doc = json.loads(r.output)
    assert "syria-2024" == doc["log"]["bundled"]
    assert any(h["type"] == "PersonFled" for h in doc["hits"])


# --- log --entity and --source --------------------------------------------------------------------------------------


def ids(db, *args) -> list[str]:
    return [json.loads(line)["id"] for line in ok(invoke(db, "log", "--json", *args)).stdout.splitlines()]


def test_log_entity_filter_lists_what_names_or_describes_it_with_its_corrections(sudan):
    ok(invoke(sudan, "correct", "madani-taken", "--valid", "2023-12-19", "--reason", "later report", "--id", "k1"))
    assert ["d-hantoub"] == ids(sudan, "--entity", "hantoub")  # (the sighting names it only in words)
    assert ["d-wad-madani", "madani-taken", "k1"] == ids(sudan, "--entity", "Madani")


def test_log_entity_filters_are_any_of(sudan):
    assert ["d-wad-madani", "d-hemedti", "madani-taken", "jeddah-call", "sighting"] == ids(sudan, "--entity", "Hemedti", "--entity", "wad-madani")


def test_log_source_filter_lists_what_rests_on_a_matching_source(sudan):
    ok(invoke(sudan, "retract", "sighting", "--reason", "a rumour", "--id", "r1"))
    assert ["madani-taken", "pull-back", "sighting", "r1"] == ids(sudan, "--source", "dabanga")


def test_log_filters_combine(sudan):
    assert ["madani-taken"] == ids(sudan, "--source", "dabanga", "--entity", "rsf")
    assert ["madani-taken"] == ids(sudan, "--source", "dabanga", "--entity", "rsf", "--type", "CityCaptured")
