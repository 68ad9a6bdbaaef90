"""State that says what the sources say, shown with a small chronology of the war in Sudan (the fall of
Wad Madani, December 2023): observations that hold only in their window, last seen, a stated previous
holder, contested control and its end, the end of an actor, orders, and the age of the evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chrono.clock import FixedClock
from chrono.entry import Draft
from chrono.store import Log
from chrono.timeval import parse_instant, parse_valid_time
from events import (
    ActorDescribed,
    ActorEnded,
    CityCaptured,
    ControlChanged,
    ControlObserved,
    ForcesWithdrew,
    OrderIssued,
    PersonDescribed,
    PersonLocated,
    PersonMoved,
    PlaceDescribed,
    Source,
    UnitDefeated,
    UnitDescribed,
    UnitObserved,
)
from projections.query import state

ZONE = "Africa/Khartoum"
DABANGA = (Source(outlet="Radio Dabanga"),)

GAZETTEER = [
    Draft(event=PlaceDescribed(place="wad-madani", name="Wad Madani", kind="city"), id="d-wad-madani"),
    Draft(event=PlaceDescribed(place="hantoub", name="Hantoub", kind="town"), id="d-hantoub"),
    Draft(event=PlaceDescribed(place="port-sudan", name="Port Sudan", kind="city"), id="d-port-sudan"),
    Draft(event=PlaceDescribed(place="jeddah", name="Jeddah", kind="city"), id="d-jeddah"),
    Draft(event=ActorDescribed(actor="saf", name="Sudanese Armed Forces", kind="state"), id="d-saf"),
    Draft(event=ActorDescribed(actor="rsf", name="Rapid Support Forces", kind="militia"), id="d-rsf"),
    Draft(event=ActorDescribed(actor="gezira-militia", name="a Gezira militia", kind="militia"), id="d-militia"),
    Draft(event=UnitDescribed(unit="first-division", name="1st Infantry Division", kind="division", actor="saf"), id="d-1st"),
    Draft(event=UnitDescribed(unit="militia-brigade", name="the militia's brigade", kind="brigade", actor="gezira-militia"), id="d-mb"),
    Draft(event=PersonDescribed(person="burhan", name="Abdel Fattah al-Burhan", affiliation="saf"), id="d-burhan"),
]


def at(literal: str) -> datetime:
    return parse_instant(literal, ZONE)


def make(*facts: Draft) -> Log:
    log = Log.create(":memory:", zone=ZONE, clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC), step=timedelta(seconds=1)))
    log.append(GAZETTEER)
    log.append(list(facts))
    return log


def fact(event, literal: str, fid: str) -> Draft:
    return Draft(event=event, valid=parse_valid_time(literal, ZONE), sources=DABANGA, id=fid)


def row(log: Log, section: str, key: str, when: str, *, use_cache: bool) -> dict:
    doc, _ = state(log, at(when), zone=ZONE, limit=None, use_cache=use_cache)
    field = {"control": "place", "whereabouts": "person", "units": "unit"}[section]
    return next(r for r in doc[section] if r[field] == key)


BOTH = pytest.mark.parametrize("use_cache", [False, True], ids=["fold", "cache"])

HELD_BEFORE = fact(ControlObserved(place="wad-madani", controller="saf"), "../2023-12-15", "saf-holds-madani")


@BOTH
def test_an_observation_open_at_the_start_holds_before_the_story_opens(use_cache):
    log = make(HELD_BEFORE)
    r = row(log, "control", "wad-madani", "2023-06-01", use_cache=use_cache)
    assert ("saf", "certain", ["saf-holds-madani"]) == (r["controller"], r["status"], r["events"])
    assert r["since"] == {"earliest": None, "latest": "2023-12-16T00:00:00+02:00"}  # (a date as the end includes that day)


@BOTH
def test_past_its_window_an_observation_is_last_seen_never_certain(use_cache):
    log = make(HELD_BEFORE)
    r = row(log, "control", "wad-madani", "2023-12-20", use_cache=use_cache)
    assert ("unknown", None) == (r["status"], r["controller"])
    assert {"controller": "saf", "contested_with": [], "event": "saf-holds-madani", "how": "observed"} == {
        k: v for k, v in r["last_seen"].items() if k != "time"}


@BOTH
def test_a_sighting_holds_only_in_its_window(use_cache):
    log = make(fact(PersonLocated(person="burhan", place="port-sudan"), "2023-12-19", "burhan-seen"))
    assert "unknown" == row(log, "whereabouts", "burhan", "2023-12-18T12:00", use_cache=use_cache)["status"]
    assert ("port-sudan", "certain") == tuple(row(log, "whereabouts", "burhan", "2023-12-19T12:00", use_cache=use_cache)[k] for k in ("place", "status"))
    later = row(log, "whereabouts", "burhan", "2023-12-25", use_cache=use_cache)
    assert ("unknown", "port-sudan") == (later["status"], later["last_seen"]["place"])


@BOTH
def test_a_change_says_what_it_changed_from(use_cache):
    log = make(fact(ControlChanged(place="hantoub", controller="rsf", previous="saf"), "2023-12-15/2023-12-17", "rsf-takes-hantoub"))
    r = row(log, "control", "hantoub", "2023-12-16", use_cache=use_cache)
    assert ("possible", ["saf", "rsf"], ["rsf-takes-hantoub"]) == (r["status"], r["candidates"], r["events"])


@BOTH
def test_another_actors_withdrawal_is_no_evidence_about_who_holds_a_place(use_cache):
    log = make(fact(ControlChanged(place="wad-madani", controller="rsf", how="captured"), "2023-12-18", "rsf-takes-madani"),
               fact(ForcesWithdrew(actor="saf", from_place="wad-madani"), "2023-12-19", "saf-withdraws-madani"))
    r = row(log, "control", "wad-madani", "2023-12-20", use_cache=use_cache)
    assert ("rsf", "certain", ["rsf-takes-madani"]) == (r["controller"], r["status"], r["events"])


@BOTH
def test_contested_control_ends_with_a_later_capture(use_cache):
    log = make(fact(ControlChanged(place="wad-madani", controller="saf", how="contested", contested_with=("rsf",)), "2023-12-16", "fighting"),
               fact(ControlChanged(place="wad-madani", controller="rsf", how="captured"), "2023-12-18", "rsf-takes-madani"))
    during = row(log, "control", "wad-madani", "2023-12-17", use_cache=use_cache)
    assert (["rsf"], "certain") == (during["contested_with"], during["status"])
    assert [] == row(log, "control", "wad-madani", "2023-12-19", use_cache=use_cache)["contested_with"]


@BOTH
def test_the_end_of_an_actor_ends_its_holdings_and_its_units_standing(use_cache):
    log = make(fact(ControlChanged(place="hantoub", controller="gezira-militia", how="held"), "2023-12-10", "militia-holds"),
               fact(UnitObserved(unit="militia-brigade", state="active"), "2023-12-01/2023-12-30", "brigade-stands"),
               fact(ActorEnded(actor="gezira-militia", how="merged", into="rsf"), "2023-12-20", "militia-merges"))
    before = row(log, "control", "hantoub", "2023-12-19", use_cache=use_cache)
    assert ("gezira-militia", "certain") == (before["controller"], before["status"])
    after = row(log, "control", "hantoub", "2023-12-22", use_cache=use_cache)
    assert ("unknown", "gezira-militia", "ended") == (after["status"], after["last_seen"]["controller"], after["last_seen"]["how"])
    brigade = row(log, "units", "militia-brigade", "2023-12-25", use_cache=use_cache)
    assert "unknown" == brigade["status"]
    during = row(log, "control", "hantoub", "2023-12-20T12:00", use_cache=use_cache)
    assert ("possible", ["gezira-militia", None]) == (during["status"], during["candidates"])


@BOTH
def test_an_actors_end_past_by_t_reaches_a_change_in_progress_that_it_may_have_followed(use_cache):
    """The militia re-took Hantoub sometime on the 10th or 11th, from itself as the source puts it, and
    dissolved on the 10th: by noon on the 11th its end is past, the capture is not. Whether it held
    Hantoub then depends on which came first, so nothing about it is certain."""
    log = make(fact(CityCaptured(place="hantoub", by="gezira-militia", previous="gezira-militia"), "2023-12-10/2023-12-11", "retaken"),
               fact(ActorEnded(actor="gezira-militia", how="dissolved"), "2023-12-10", "militia-ends"))
    r = row(log, "control", "hantoub", "2023-12-11T12:00", use_cache=use_cache)
    assert ("possible", {"gezira-militia", None}) == (r["status"], set(r["candidates"]))
    assert {"retaken", "militia-ends"} == set(r["events"])


@BOTH
def test_a_unit_defeated_before_its_army_ends_stays_defeated(use_cache):
    log = make(fact(UnitDefeated(unit="militia-brigade", by="rsf"), "2023-12-12", "brigade-beaten"),
               fact(ActorEnded(actor="gezira-militia", how="dissolved"), "2023-12-20", "militia-ends"))
    r = row(log, "units", "militia-brigade", "2023-12-25", use_cache=use_cache)
    assert ("defeated", "certain") == (r["state"], r["status"])


@BOTH
def test_a_withdrawal_by_another_actor_long_after_a_capture_leaves_the_capture_standing(use_cache):
    """The cache reads a key backwards from T and stops at a settled step that sets its value: a
    withdrawal by an actor that never held the place sets nothing, so the capture before it is read."""
    log = make(fact(ControlChanged(place="hantoub", controller="rsf"), "2023-12-01", "rsf-takes-hantoub"),
               fact(ForcesWithdrew(actor="saf", from_place="hantoub"), "2023-12-10", "saf-leaves"))
    r = row(log, "control", "hantoub", "2023-12-20", use_cache=use_cache)
    assert ("rsf", "certain", ["rsf-takes-hantoub"]) == (r["controller"], r["status"], r["events"])


@BOTH
def test_the_end_of_a_party_ends_its_part_in_a_contest(use_cache):
    log = make(fact(ControlChanged(place="hantoub", controller="saf", how="contested", contested_with=("gezira-militia",)), "2023-12-10", "fight"),
               fact(ActorEnded(actor="gezira-militia", how="dissolved"), "2023-12-20", "militia-ends"))
    r = row(log, "control", "hantoub", "2023-12-22", use_cache=use_cache)
    assert ("saf", [], "certain") == (r["controller"], r["contested_with"], r["status"])


@BOTH
def test_an_order_is_part_of_a_units_state_and_changes_nothing_else(use_cache):
    log = make(fact(OrderIssued(order="withdraw from Wad Madani", issuer="saf", recipients=("first-division",)), "2023-12-18T03", "order"))
    unit = row(log, "units", "first-division", "2023-12-19", use_cache=use_cache)
    assert ("unknown", "withdraw from Wad Madani", "certain") == (unit["status"], unit["orders"]["order"], unit["orders"]["status"])


@BOTH
def test_every_answer_carries_its_newest_evidence(use_cache):
    log = make(fact(PersonMoved(person="burhan", to_place="port-sudan"), "2023-08-24", "to-port-sudan"),
               fact(PersonMoved(person="burhan", to_place="jeddah"), "2023-09-05/2023-09-07", "to-jeddah"))
    r = row(log, "whereabouts", "burhan", "2023-09-06", use_cache=use_cache)
    assert ("to-jeddah", "2023-09-05T00:00:00+02:00") == (r["evidence"]["event"], r["evidence"]["earliest"])
    assert {"earliest": "2023-08-24T00:00:00+02:00", "latest": "2023-08-25T00:00:00+02:00"} == r["since"]


def test_a_chroniclers_gloss_of_the_time_is_kept_and_never_shown_as_the_sources_words(tmp_path):
    from click.testing import CliRunner

    import cli

    db = str(tmp_path / "sudan.db")

    def run(*args):
        result = CliRunner().invoke(cli.main, ["--db", db, *args], env={"CHRONO_DB": None})
        assert 0 == result.exit_code, result.output
        return result.stdout

    run("init", "--zone", ZONE)
    run("append", "PlaceDescribed", "--place", "wad-madani", "--name", "Wad Madani")
    run("append", "PlaceDescribed", "--place", "port-sudan", "--name", "Port Sudan")
    run("append", "PlaceDescribed", "--place", "jeddah", "--name", "Jeddah")
    run("append", "PersonDescribed", "--person", "burhan", "--name", "Abdel Fattah al-Burhan")
    run("append", "PersonMoved", "--person", "burhan", "--to-place", "port-sudan", "--valid", "2023-08-24",
        "--gloss", "after he left the army headquarters", "--source", "Radio Dabanga", "--id", "to-port-sudan")
    run("append", "PersonMoved", "--person", "burhan", "--to-place", "jeddah", "--valid", "2023-09-05",
        "--wording", "on Tuesday", "--source", "Radio Dabanga", "--id", "to-jeddah")
    import json

    valid = json.loads(run("show", "to-port-sudan", "--json"))["valid"]
    assert ("after he left the army headquarters", None) == (valid["gloss"], valid["wording"])
    shown = run("show", "to-port-sudan")
    assert "[after he left the army headquarters]" in shown and "“after he left" not in shown
    assert "“on Tuesday”" in run("show", "to-jeddah")
    exported = run("export")
    copy = str(tmp_path / "copy.db")
    CliRunner().invoke(cli.main, ["--db", copy, "init"], env={"CHRONO_DB": None})  # (the export carries the zone)
    (tmp_path / "x.jsonl").write_text(exported)
    assert 0 == CliRunner().invoke(cli.main, ["--db", copy, "import", str(tmp_path / "x.jsonl")], env={"CHRONO_DB": None}).exit_code
    assert run("head").split()[:2] == CliRunner().invoke(cli.main, ["--db", copy, "head"], env={"CHRONO_DB": None}).stdout.split()[:2]


def test_open_ends_are_drawn_and_exported_as_open_never_as_far_off_dates():
    from projections.pictures import export, render_timeline_html, timelinejs

    log = make(HELD_BEFORE, fact(OrderIssued(order="hold the bridge", issuer="saf", recipients=("first-division",)), "2023-12-18/..", "open-order"))
    import csv
    import io

    out = io.BytesIO()
    export(log, "csv", out)
    rows = {r["event_id"]: r for r in csv.DictReader(out.getvalue().decode().splitlines())}
    assert ("", "2023-12-15T22:00:00+00:00") == (rows["saf-holds-madani"]["valid_earliest_utc"], rows["saf-holds-madani"]["valid_latest_utc"])
    assert "" == rows["open-order"]["valid_latest_utc"]
    slides = {e["unique_id"]: e for e in timelinejs(log)["events"]}
    assert "end_date" not in slides["open-order"] and "end_date" not in slides["saf-holds-madani"]
    assert 2023 == slides["saf-holds-madani"]["start_date"]["year"]
    assert "0001" not in render_timeline_html(log) and "10000" not in render_timeline_html(log)


def test_state_rows_fit_the_terminal_the_key_column_last_to_give_way():
    from click.testing import CliRunner

    import cli

    result = CliRunner().invoke(cli.main, ["state", "--at", "2024-12-07T21:30"], env={"CHRONO_DB": None, "COLUMNS": "100"})
    assert 0 == result.exit_code
    lines = [ln for ln in result.stdout.splitlines() if not ln.startswith("from ")]
    assert max(map(len, lines)) <= 100
    assert any(ln.startswith("Aleppo ") and "Hayat Tahrir al-Sham" in ln for ln in lines)
    wide = CliRunner().invoke(cli.main, ["state", "--at", "2024-12-07T21:30"], env={"CHRONO_DB": None}).stdout
    assert max(map(len, wide.splitlines())) > 100  # (a pipe takes every line whole)


def test_the_timeline_files_an_open_start_before_every_date_and_narrows_to_an_open_end(tmp_path):
    from projections.investigate import timeline, window_valid
    from projections.query import knowledge

    log = make(HELD_BEFORE, fact(OrderIssued(order="hold", issuer="saf", recipients=("first-division",)), "2023-12-18/..", "open-order"))
    days = timeline(knowledge(log, use_cache=False), zone=ZONE)["days"]
    assert ("before", "Since before any date the log gives", ["saf-holds-madani"]) == (
        days[0]["day"], days[0]["label"], [e["event"] for e in days[0]["events"]])
    order = log.get("open-order").valid
    assert "open end" in window_valid(order.lo, order.hi, ZONE).describe() and "9999" not in window_valid(order.lo, order.hi, ZONE).describe()
