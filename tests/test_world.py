"""The fold's three-valued answers at the edges of uncertain windows, and against a plain reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chrono.clock import FixedClock
from chrono.entry import Draft
from chrono.store import Log
from chrono.timeval import ValidTime, parse_valid_time
from events import ControlChanged, ForcesWithdrew, MeetingHeld, PersonDied, PersonMoved, UnitDefeated
from projections.query import state_json, world_at

from . import strategies as s

ZONE = "Asia/Damascus"
US = timedelta(microseconds=1)


def make(*drafts) -> Log:
    log = Log.create(":memory:", zone=ZONE, clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC)))
    log.append(s.descriptions())
    log.append(list(drafts))
    return log


def control(log, at, place="p0"):
    doc = state_json(*world_at(log, at), zone=ZONE)
    c = next(c for c in doc["control"] if c["place"] == place)
    return c["controller"], c["status"], c["candidates"], c["events"]


def window(literal):
    return parse_valid_time(literal, ZONE)


HELD = Draft(event=ControlChanged(place="p0", controller="a0", how="held"), valid=window("2024-11-27T05:00"), id="held")
TAKEN = Draft(event=ControlChanged(place="p0", controller="a1"), valid=window("2024-11-29"), id="taken")


def test_state_before_any_event_is_unknown():
    log = make(HELD, TAKEN)
    assert (None, "unknown", [None], []) == control(log, HELD.valid.earliest - US)


def test_state_at_the_start_of_a_window_is_possible_with_prior_and_pending_values():
    log = make(HELD, TAKEN)
    assert ("a0", "possible", ["a0", "a1"], ["held", "taken"]) == control(log, TAKEN.valid.earliest)
    assert ("a0", "possible", ["a0", "a1"], ["held", "taken"]) == control(log, TAKEN.valid.latest - US)


def test_state_at_the_end_of_a_window_is_certain():
    log = make(HELD, TAKEN)
    assert ("a1", "certain", ["a1"], ["taken"]) == control(log, TAKEN.valid.latest)
    assert ("a0", "certain", ["a0"], ["held"]) == control(log, TAKEN.valid.earliest - US)


def test_withdrawal_leaves_the_place_to_nobody_only_when_the_holder_withdraws():
    log = make(HELD, Draft(event=ForcesWithdrew(actor="a2", from_place="p0"), valid=window("2024-11-28"), id="w-other"))
    # Another actor's withdrawal is no evidence about who holds the place: the answer rests on what does.
    assert ("a0", "certain", ["a0"], ["held"]) == control(log, window("2024-11-29").earliest)
    log = make(HELD, Draft(event=ForcesWithdrew(actor="a0", from_place="p0", unit="u0"), valid=window("2024-11-28"), id="w"))
    assert (None, "certain", [None], ["w"]) == control(log, window("2024-11-29").earliest)
    units = state_json(*world_at(log, window("2024-11-29").earliest), zone=ZONE)["units"]
    assert {"u0": ("withdrawn", "certain"), "u1": (None, "unknown")} == {u["unit"]: (u["state"], u["status"]) for u in units}


def test_meetings_place_their_participants_and_death_is_kept_with_the_place():
    log = make(
        Draft(event=MeetingHeld(participants=("h0", "a0"), place="p1"), valid=window("2024-12-02"), id="m"),
        Draft(event=PersonMoved(person="h1", to_place="p2", companions=("h2",)), valid=window("2024-12-03"), id="mv"),
        Draft(event=PersonDied(person="h1"), valid=window("2024-12-04"), id="d"),
    )
    doc = state_json(*world_at(log, window("2024-12-05").earliest), zone=ZONE)
    where = {w["person"]: (w["place"], w["alive"]) for w in doc["whereabouts"]}
    assert {"h0": ("p1", None), "h1": ("p2", False), "h2": ("p2", None)} == where


def test_lists_hold_only_what_has_certainly_or_possibly_happened():
    log = make(Draft(event=MeetingHeld(participants=("h0", "h1"), place="p1"), valid=window("2024-12-02"), id="m"))
    statuses = [[m["status"] for m in state_json(*world_at(log, window(t).earliest), zone=ZONE)["meetings"]] for t in ("2024-12-01", "2024-12-02T12:00", "2024-12-03")]
    assert [[], ["possible"], ["certain"]] == statuses


@given(st.lists(st.tuples(st.integers(0, 100), st.integers(1, 30), st.sampled_from(s.ACTORS)), min_size=1, max_size=6), st.integers(-5, 200))
def test_control_matches_a_plain_reference_for_disjoint_windows(changes, at_minute):
    """With windows that never overlap, the answer is: the last window that has closed, plus the one open."""
    base = s.BASE
    windows, t = [], 0
    for gap, length, actor in changes:
        windows.append((t + gap, t + gap + length, actor))
        t += gap + length
    drafts = [
        Draft(event=ControlChanged(place="p0", controller=actor), valid=ValidTime(earliest=base + timedelta(minutes=lo), latest=base + timedelta(minutes=hi)), id=f"c{i}")
        for i, (lo, hi, actor) in enumerate(windows)
    ]
    closed = [w for w in windows if w[1] <= at_minute]
    open_ = [w for w in windows if w[0] <= at_minute < w[1]]
    prior = closed[-1][2] if closed else None
    expected_candidates = [prior] + [w[2] for w in open_ if w[2] != prior]
    status = "possible" if len(expected_candidates) > 1 else "certain" if (closed or open_) else "unknown"
    controller, got_status, candidates, _ = control(make(*drafts), base + timedelta(minutes=at_minute))
    assert (prior, status, expected_candidates) == (controller, got_status, candidates)


def test_unit_state_follows_defeat():
    log = make(Draft(event=UnitDefeated(unit="u1", by="a1"), valid=window("2024-11-29"), id="def"))
    units = state_json(*world_at(log, window("2024-11-30").earliest), zone=ZONE)["units"]
    assert ("defeated", "certain", ["def"]) == next((u["state"], u["status"], u["events"]) for u in units if u["unit"] == "u1")
