"""The state of the world at valid time T: a pure fold over facts in valid-time order.

An event with window [lo, hi) has certainly happened at T when hi <= T, certainly not when T < lo,
and possibly otherwise. Keyed answers (who holds a place, where a person is, what became of a unit)
are three-valued: `certain`, `possible` (the prior value and the pending ones are both given, with
the events whose windows straddle T) or `unknown` (nothing in the log touches the key yet).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import attrs

from events import (
    AirstrikeCarriedOut,
    CallMade,
    CityCaptured,
    ControlChanged,
    ForcesWithdrew,
    IncidentReported,
    MeetingHeld,
    OffensiveLaunched,
    OrderIssued,
    PersonAppointed,
    PersonDied,
    PersonFled,
    PersonLocated,
    PersonMoved,
    PowerTransferred,
    StatementIssued,
    UnitDefeated,
    UnitDissolved,
)

from .resolve import Fact

CERTAIN, POSSIBLE, UNKNOWN = "certain", "possible", "unknown"

# Channels of keyed state, and the lists of happenings.
CONTROL, WHERE, UNIT = "control", "whereabouts", "units"
LISTS = {
    CallMade: "calls",
    MeetingHeld: "meetings",
    StatementIssued: "statements",
    OrderIssued: "orders",
    AirstrikeCarriedOut: "airstrikes",
    IncidentReported: "incidents",
    OffensiveLaunched: "offensives",
    PowerTransferred: "transfers",
    PersonAppointed: "appointments",
}
LIST_NAMES = tuple(dict.fromkeys(LISTS.values()))

Transform = Callable[[Any], Any]

# Initial values: a place held by nobody we know of; a person somewhere unknown, alive or not unknown.
NOBODY = (None, ())
NOWHERE = (None, None)
ACTIVE = "active"


def effects(event) -> list[tuple[str, str, Transform]]:
    """What an event does to keyed state: (channel, key, transform of the prior value)."""
    out: list[tuple[str, str, Transform]] = []
    if isinstance(event, ControlChanged):
        value = (event.controller, event.contested_with)
        out.append((CONTROL, event.place, lambda _prev, v=value: v))
    elif isinstance(event, CityCaptured):
        out.append((CONTROL, event.place, lambda _prev, v=(event.by, ()): v))
    elif isinstance(event, ForcesWithdrew):
        if event.from_place:
            out.append((CONTROL, event.from_place, lambda prev, a=event.actor: NOBODY if prev[0] == a else prev))
        if event.unit:
            out.append((UNIT, event.unit, lambda _prev: "withdrawn"))
    elif isinstance(event, (PersonMoved, PersonFled)):
        for person in (event.person, *event.companions):
            out.append((WHERE, person, lambda prev, p=event.to_place: (p, prev[1])))
    elif isinstance(event, PersonLocated):
        out.append((WHERE, event.person, lambda prev, p=event.place: (p, prev[1])))
    elif isinstance(event, MeetingHeld) and event.place:
        for person in event.participants:
            out.append((WHERE, person, lambda prev, p=event.place: (p, prev[1])))
    elif isinstance(event, PersonDied):
        out.append((WHERE, event.person, lambda prev, p=event.place: (p or prev[0], False)))
    elif isinstance(event, UnitDefeated):
        out.append((UNIT, event.unit, lambda _prev: "defeated"))
    elif isinstance(event, UnitDissolved):
        out.append((UNIT, event.unit, lambda _prev: "dissolved"))
    return out


@attrs.frozen
class Cell:
    """The fold state of one key: the value after every event that has certainly happened, and the
    events whose windows straddle T (each with the value it would give)."""

    value: Any
    settled: Fact | None = None
    pending: tuple[tuple[Fact, Any], ...] = ()


# Observations say a state held throughout their window ("at the time, Asma was in Moscow"), so they
# settle at the window's start; every other event happened at some unknown instant inside its window.
OBSERVATIONS = (PersonLocated,)


def settles_at(fact: Fact) -> int:
    return fact.lo if isinstance(fact.event, OBSERVATIONS) else fact.hi


def apply_cell(cell: Cell, fact: Fact, transform: Transform, at: int) -> Cell:
    """One step of the keyed fold; `at` is T in UTC microseconds."""
    if settles_at(fact) <= at:
        # Pending events stay pending: their windows overlap this one, so either order is possible.
        return Cell(transform(cell.value), fact, cell.pending)
    if fact.lo <= at:
        return Cell(cell.value, cell.settled, (*cell.pending, (fact, transform)))
    return cell


@attrs.frozen(kw_only=True)
class Answer:
    value: Any
    status: str
    candidates: tuple
    settled: Fact | None
    events: tuple[str, ...]


def answer(cell: Cell) -> Answer:
    candidates = [cell.value]
    for _fact, transform in cell.pending:
        v = transform(cell.value)
        if v not in candidates:
            candidates.append(v)
    if len(candidates) > 1:
        status = POSSIBLE
    elif cell.settled is not None or cell.pending:
        status = CERTAIN
    else:
        status = UNKNOWN
    events = tuple(f.id for f in ([cell.settled] if cell.settled else []) + [f for f, _ in cell.pending])
    return Answer(value=cell.value, status=status, candidates=tuple(candidates), settled=cell.settled, events=events)


@attrs.frozen(kw_only=True)
class Happening:
    fact: Fact
    status: str


@attrs.frozen(kw_only=True)
class World:
    """The fold's result at one valid time."""

    at: int
    cells: dict[str, dict[str, Cell]]
    lists: dict[str, list[Happening]]

    def answers(self, channel: str) -> dict[str, Answer]:
        return {key: answer(cell) for key, cell in self.cells[channel].items()}


INITIAL = {CONTROL: NOBODY, WHERE: NOWHERE, UNIT: ACTIVE}


def valid_order(facts: Iterable[Fact]) -> list[Fact]:
    """Facts with a valid time, by earliest (narrowed) bound, ties by log position."""
    return sorted((f for f in facts if f.lo is not None), key=lambda f: (f.lo, f.seq))


def fold(facts: Iterable[Fact], at: int, *, ordered: bool = False) -> World:
    """The state at `at` (UTC microseconds): apply every fact in valid-time order."""
    cells: dict[str, dict[str, Cell]] = {c: {} for c in INITIAL}
    lists: dict[str, list[Happening]] = {name: [] for name in LIST_NAMES}
    for fact in facts if ordered else valid_order(facts):
        if fact.lo > at:
            break  # valid order: nothing later can have started
        status = CERTAIN if fact.hi <= at else POSSIBLE
        list_name = LISTS.get(type(fact.event))
        if list_name:
            lists[list_name].append(Happening(fact=fact, status=status))
        for channel, key, transform in effects(fact.event):
            table = cells[channel]
            table[key] = apply_cell(table.get(key) or Cell(INITIAL[channel]), fact, transform, at)
    return World(at=at, cells=cells, lists=lists)
