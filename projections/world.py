"""The state of the world at valid time T: a pure fold over facts in valid-time order.

An event with window [lo, hi) has certainly happened at T when hi <= T, certainly not when T < lo,
and possibly otherwise. Keyed answers (who holds a place, where a person is, what became of a unit)
are three-valued: `certain`, `possible` (the prior value and the pending ones are both given, with
the events whose windows straddle T) or `unknown` (nothing in the log touches the key yet).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from events import REGISTRY

from .resolve import Fact
from .rules import CHANNELS, LIST_NAMES, OPS, RULES, arg_value, rule_of
from .rules import settles_at as _settles_at

CERTAIN, POSSIBLE, UNKNOWN = "certain", "possible", "unknown"

# The lists of happenings, by event class.
LISTS = {REGISTRY[name]: rule.listed for name, rule in RULES.items() if rule.listed}


@attrs.frozen
class Op:
    """What one event does to one key, as data: the materialized cache stores it in a column, and the
    fold calls it on the prior value. `arg` is JSON-shaped (str, None or a list). What each op does is
    in `rules.OPS`."""

    name: str
    arg: Any

    def __call__(self, prev: Any) -> Any:
        return OPS[self.name].apply(prev, self.arg)


def effects(event) -> list[tuple[str, str, Op]]:
    """What an event does to keyed state: (channel, key, op on the prior value), in the order of its
    rule's effects (`rules.RULES`), a list field's keys in their order."""
    out: list[tuple[str, str, Op]] = []
    for effect in rule_of(event.type_name).effects:
        if effect.needs is not None and getattr(event, effect.needs) is None:
            continue
        keys = getattr(event, effect.key)
        if keys is None:
            continue
        op = Op(effect.op, arg_value(effect.arg, event))
        for key in keys if isinstance(keys, tuple) else (keys,):
            out.append((effect.channel, key, op))
    return out


@attrs.frozen
class Step:
    """One keyed effect of one fact, as the fold needs it: which fact, its window, when it settles."""

    id: str
    seq: int
    lo: int
    hi: int
    settle: int
    op: Op


@attrs.frozen
class Cell:
    """The fold state of one key: the value after every step that has certainly happened, and the
    steps whose windows straddle T."""

    value: Any
    settled: Step | None = None
    pending: tuple[Step, ...] = ()


def settles_at(fact: Fact) -> int:
    """When a fact has certainly taken effect: an observation ("at the time, Asma was in Moscow") at
    its window's start, a change (it happened at some unknown instant inside its window) at its end."""
    return _settles_at(fact.type_name, fact.lo, fact.hi)


def apply_cell(cell: Cell, step: Step, at: int) -> Cell:
    """One step of the keyed fold; `at` is T in UTC microseconds."""
    if step.settle <= at:
        # Pending steps stay pending: their windows overlap this one, so either order is possible.
        return Cell(step.op(cell.value), step, cell.pending)
    if step.lo <= at:
        return Cell(cell.value, cell.settled, (*cell.pending, step))
    return cell


@attrs.frozen(kw_only=True)
class Answer:
    value: Any
    status: str
    candidates: tuple
    settled: Step | None
    events: tuple[str, ...]


def answer(cell: Cell) -> Answer:
    candidates = [cell.value]
    for step in cell.pending:
        v = step.op(cell.value)
        if v not in candidates:
            candidates.append(v)
    if len(candidates) > 1:
        status = POSSIBLE
    elif cell.settled is not None or cell.pending:
        status = CERTAIN
    else:
        status = UNKNOWN
    events = tuple(s.id for s in ([cell.settled] if cell.settled else []) + list(cell.pending))
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


INITIAL = {name: c.initial for name, c in CHANNELS.items()}


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
        settle = settles_at(fact)
        for channel, key, op in effects(fact.event):
            table = cells[channel]
            step = Step(fact.id, fact.seq, fact.lo, fact.hi, settle, op)
            table[key] = apply_cell(table.get(key) or Cell(INITIAL[channel]), step, at)
    return World(at=at, cells=cells, lists=lists)
