"""Answers worth stating by example, each read both from the fold and from the cache: a corrected
correction, an observation inside its window, a key that only an unfinished no-op has touched, a
meeting with and without a place, and a window narrowed by a stated order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chrono.clock import FixedClock
from chrono.entry import Draft
from chrono.store import Log
from chrono.timeval import parse_valid_time
from events import ControlChanged, EventCorrected, ForcesWithdrew, MeetingHeld, PersonLocated, PersonMoved
from projections.query import state
from projections.resolve import resolve

from . import strategies as s

ZONE = "Asia/Damascus"
BOTH_PATHS = pytest.mark.parametrize("use_cache", [False, True], ids=["fold", "cache"])


def new_log() -> Log:
    log = Log.create(":memory:", zone=ZONE, clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC), step=timedelta(seconds=1)))
    log.append(s.descriptions())
    return log


def window(literal):
    return parse_valid_time(literal, ZONE)


def row(log, section, key, at, known_at=None, *, use_cache):
    field = {"control": "place", "whereabouts": "person"}[section]
    doc, _ = state(log, window(at).earliest, known_at, zone=ZONE, limit=None, use_cache=use_cache)
    return next(r for r in doc[section] if r[field] == key)


@BOTH_PATHS
def test_a_correction_of_a_correction_gives_the_fact_its_replacement(use_cache):
    log = new_log()
    log.append(Draft(event=ControlChanged(place="p0", controller="a0"), valid=window("2024-11-28"), id="taken"))
    first = log.append(Draft(event=EventCorrected(target="taken", replacement=ControlChanged(place="p0", controller="a1"),
                                                  reason="the wrong faction"), valid=window("2024-11-29"), id="fix"))
    log.append(Draft(event=EventCorrected(target="fix", replacement=ControlChanged(place="p0", controller="a2"),
                                          reason="the fix named the wrong faction too"), valid=window("2024-11-30"), id="fix-fix"))

    fact = next(f for f in resolve(log.entries()).facts if f.id == "taken")
    assert (ControlChanged(place="p0", controller="a2"), window("2024-11-30"), ("fix", "fix-fix")) == (fact.event, fact.valid, fact.via)
    now = row(log, "control", "p0", "2024-12-01", use_cache=use_cache)
    assert ("a2", "certain", ["taken"]) == (now["controller"], now["status"], now["events"])
    # Between the two corrections, the first one stood.
    then = row(log, "control", "p0", "2024-12-01", first[-1].recorded, use_cache=use_cache)
    assert ("a1", "certain") == (then["controller"], then["status"])
    assert "a1" == next(f for f in resolve(log.entries(known_at=first[-1].recorded)).facts if f.id == "taken").event.controller


@BOTH_PATHS
def test_a_person_seen_at_a_place_is_certainly_there_inside_the_window_of_the_sighting(use_cache):
    """An observation holds throughout its window, so it settles at the window's start, unlike a move."""
    log = new_log()
    log.append(Draft(event=PersonLocated(person="h0", place="p1"), valid=window("2024-12-05"), id="seen"))
    inside = row(log, "whereabouts", "h0", "2024-12-05T12:00", use_cache=use_cache)
    assert ("p1", "certain", ["p1"], ["seen"]) == (inside["place"], inside["status"], inside["candidates"], inside["events"])
    before = row(log, "whereabouts", "h0", "2024-12-04T23:59", use_cache=use_cache)
    assert (None, "unknown") == (before["place"], before["status"])


@BOTH_PATHS
def test_a_key_touched_only_by_an_unfinished_event_that_changes_nothing_is_certain(use_cache):
    """A change to "held by nobody we can name" of a place nothing else touches leaves it as it was,
    however the window ends: its value is certain (nobody), and the change is named as what bounds it.
    (A withdrawal by an actor that does not hold the place is no evidence at all: it leaves it unknown.)"""
    log = new_log()
    log.append(Draft(event=ControlChanged(place="p0", controller=None, how="withdrawn"), valid=window("2024-12-05"), id="left"))
    log.append(Draft(event=ForcesWithdrew(actor="a2", from_place="p1"), valid=window("2024-12-05"), id="other-left"))
    assert "unknown" == row(log, "control", "p1", "2024-12-05T12:00", use_cache=use_cache)["status"]
    during = row(log, "control", "p0", "2024-12-05T12:00", use_cache=use_cache)
    assert (None, "certain", [None], ["left"]) == (during["controller"], during["status"], during["candidates"], during["events"])


@BOTH_PATHS
def test_a_meeting_places_its_people_only_when_it_has_a_place_and_never_gives_an_actor_whereabouts(use_cache):
    log = new_log()
    log.append(Draft(event=PersonMoved(person="h0", to_place="p0"), valid=window("2024-12-01"), id="arrived"))
    log.append(Draft(event=MeetingHeld(participants=("h0", "a0")), valid=window("2024-12-02"), id="call"))
    after_call = row(log, "whereabouts", "h0", "2024-12-03", use_cache=use_cache)
    assert ("p0", "certain", ["arrived"]) == (after_call["place"], after_call["status"], after_call["events"])

    log.append(Draft(event=MeetingHeld(participants=("h0", "a0"), place="p1"), valid=window("2024-12-04"), id="talks"))
    after_talks = row(log, "whereabouts", "h0", "2024-12-05", use_cache=use_cache)
    assert ("p1", "certain", ["talks"]) == (after_talks["place"], after_talks["status"], after_talks["events"])
    doc, _ = state(log, window("2024-12-05").earliest, zone=ZONE, limit=None, use_cache=use_cache)
    # a0 is described as an actor: a meeting does not give it a row of whereabouts.
    assert "a0" not in [r["person"] for r in doc["whereabouts"]]


@BOTH_PATHS
def test_a_stated_order_narrows_the_later_window_to_start_after_the_earlier_one(use_cache):
    """The move is dated only to the month, but stated to follow the capture of 10 December: on the
    5th it has not happened, which without the order would be possible."""
    log = new_log()
    log.append(Draft(event=ControlChanged(place="p0", controller="a0"), valid=window("2024-12-10"), id="taken"))
    log.append(Draft(event=PersonMoved(person="h0", to_place="p0"), valid=window("2024-12-01/2024-12-12"), id="moved", after=("taken",)))
    early = row(log, "whereabouts", "h0", "2024-12-05", use_cache=use_cache)
    assert (None, "unknown") == (early["place"], early["status"])
    late = row(log, "whereabouts", "h0", "2024-12-15", use_cache=use_cache)
    assert ("p0", "certain") == (late["place"], late["status"])
