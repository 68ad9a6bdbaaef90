"""The state of the world at valid time T: a pure fold over facts in valid-time order.

An event with window [lo, hi) has certainly happened at T when hi <= T, certainly not when T < lo,
and possibly otherwise. Keyed answers (who holds a place, where a person is, what became of a unit)
are three-valued: `certain`, `possible` (the prior value and the pending ones are both given, with
the events whose windows straddle T) or `unknown` (nothing in the log touches the key yet).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from events import REGISTRY

from .resolve import Fact
from .rules import CHANGED, CHANNELS, before_value, END_OPS, ENDED, EXPIRED, HOLDER, LIST_NAMES, OBSERVATION, OBSERVED, OPS, RULES, arg_value, rule_of
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
    # What the source says the key was just before, when it says (`rules.Effect.before`).
    before: Any = None

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
        op = Op(effect.op, arg_value(effect.arg, event), before_value(effect, CHANNELS[effect.channel].initial, event))
        for key in keys if isinstance(keys, tuple) else (keys,):
            out.append((effect.channel, key, op))
    return out


@attrs.frozen
class Step:
    """One keyed effect of one fact, as the fold needs it: which fact, its window, when it settles,
    and what kind of evidence it is: a change, an observation (it held throughout the window), or an
    actor's end reaching this key (`rules.Channel.on_end`)."""

    id: str
    seq: int
    lo: int
    hi: int
    settle: int
    op: Op
    kind: str = CHANGED


@attrs.frozen
class Cell:
    """The fold state of one key at T: the value after every change that has certainly happened, the
    changes whose windows straddle T (`pending`), and what else the key's evidence says:

    - `ended`: the value an end made unknown, and that end (the answer is then "last held by ...");
    - `covering`: the observations whose windows hold T; `seen`: the latest one whose window had ended;
    - `ends`: every actor's end certainly past by T, which no observation outlasts."""

    value: Any
    settled: Step | None = None
    pending: tuple[Step, ...] = ()
    ended: tuple[Any, Step] | None = None
    covering: tuple[Step, ...] = ()
    seen: Step | None = None
    ends: tuple[Step, ...] = ()


def settles_at(fact: Fact) -> int:
    """When a fact has certainly taken effect: an observation ("at the time, Asma was in Moscow") at
    its window's start, a change (it happened at some unknown instant inside its window) at its end."""
    return _settles_at(fact.type_name, fact.lo, fact.hi)


def _acts(step: Step, value: Any) -> bool:
    return OPS[step.op.name].acts(value, step.op.arg)


def apply_cell(cell: Cell, step: Step, at: int, initial: Any) -> Cell:
    """One step of the keyed fold, in valid-time order; `at` is T in UTC microseconds and `initial`
    the channel's value of a key nothing has touched."""
    if step.lo > at:
        return cell
    if step.kind == OBSERVED:
        if at < step.hi:
            return Cell(cell.value, cell.settled, cell.pending, cell.ended, (*cell.covering, step), cell.seen, cell.ends)
        if cell.seen is None or (step.hi, step.lo, step.seq) > (cell.seen.hi, cell.seen.lo, cell.seen.seq):
            return Cell(cell.value, cell.settled, cell.pending, cell.ended, cell.covering, step, cell.ends)
        return cell
    if step.settle > at:
        # (Whether it acts on the value is asked of the value the answer gives: `answer`.)
        return Cell(cell.value, cell.settled, (*cell.pending, step), cell.ended, cell.covering, cell.seen, cell.ends)
    ends = (*cell.ends, step) if step.kind == ENDED else cell.ends
    if not _acts(step, cell.value):
        return Cell(cell.value, cell.settled, cell.pending, cell.ended, cell.covering, cell.seen, ends)
    new = step.op(cell.value)
    # Pending steps stay pending: their windows overlap this one, so either order is possible.
    if new == EXPIRED:
        return Cell(initial, None, cell.pending, (cell.value, step), cell.covering, cell.seen, ends)
    return Cell(new, step, cell.pending, None, cell.covering, cell.seen, ends)


@attrs.frozen(kw_only=True)
class Answer:
    """One key's answer: its value, `certain`, `possible` (with every candidate) or `unknown`, the step
    its value rests on (`settled`), the events behind it, the last known value when it is not certain
    (`last`: (value, the observation or end that gave it)), and the newest evidence (`evidence`)."""

    value: Any
    status: str
    candidates: tuple
    settled: Step | None
    events: tuple[str, ...]
    last: tuple[Any, Step] | None = None
    evidence: Step | None = None


def _unique(values) -> list:
    out = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def _newest(steps) -> Step | None:
    steps = [s for s in steps if s is not None]
    return max(steps, key=lambda s: (s.lo, s.seq)) if steps else None


def answer(cell: Cell, initial: Any) -> Answer:
    # An observation holds inside its window, unless an actor it names has certainly ended by T.
    covering = [o for o in cell.covering if not any(_acts(e, o.op(cell.value)) for e in cell.ends)]
    if covering:
        values = _unique(o.op(cell.value) for o in covering)
        ending = [e for e in cell.pending if e.kind == ENDED and any(_acts(e, v) for v in values)]
        candidates = _unique([*values, *([initial] if ending else [])])
        behind = [*covering, *ending]
        return Answer(value=values[0], status=CERTAIN if len(candidates) == 1 else POSSIBLE, candidates=tuple(candidates),
                      settled=covering[-1], events=tuple(s.id for s in behind), evidence=_newest(behind))
    acting = [s for s in cell.pending if _acts(s, cell.value)]
    base = [cell.value]
    if cell.settled is None and cell.ended is None:
        # Nothing says what the key was, but a change in progress says what it changed from — unless
        # an actor's end certainly past by T reached that.
        stated = _unique(s.op.before for s in acting if s.op.before is not None)
        base = [initial if any(_acts(e, v) for e in cell.ends) else v for v in stated] or base
    # What a change in progress sets, an actor's end past by T may still reach, when it may have come
    # after the change (its window reaches past the change's start).
    after = [e for s in acting if s.kind != ENDED for e in cell.ends if e.hi > s.lo and _acts(e, s.op(cell.value))]
    candidates = _unique([*base, *(initial if (v := s.op(cell.value)) == EXPIRED else v for s in acting),
                          *([initial] if after else [])])
    if len(candidates) > 1:
        status = POSSIBLE
    elif cell.ended is not None:
        status = UNKNOWN
    elif cell.settled is not None or any(s.op(cell.value) != EXPIRED for s in acting):
        # (A change in progress that leaves the value as it is still says what it is; an end does not.)
        status = CERTAIN
    else:
        status = UNKNOWN
    last = None
    if status != CERTAIN:
        known = [(v, s) for v, s in [cell.ended or (None, None), (cell.seen and cell.seen.op(cell.value), cell.seen)] if s is not None]
        if known:
            last = max(known, key=lambda vs: (vs[1].hi, vs[1].seq))
    behind = [*([cell.settled] if cell.settled else []), *([cell.ended[1]] if cell.ended else []), *acting, *_unique(after)]
    return Answer(value=candidates[0], status=status, candidates=tuple(candidates), settled=cell.settled,
                  events=tuple(s.id for s in behind), last=last, evidence=_newest([*behind, last and last[1]]))


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
        initial = CHANNELS[channel].initial
        return {key: answer(cell, initial) for key, cell in self.cells[channel].items()}


INITIAL = {name: c.initial for name, c in CHANNELS.items()}


def valid_order(facts: Iterable[Fact]) -> list[Fact]:
    """Facts with a valid time, by earliest (narrowed) bound, ties by log position."""
    return sorted((f for f in facts if f.lo is not None), key=lambda f: (f.lo, f.seq))


def fold(facts: Iterable[Fact], at: int, *, members: Callable[[str], Iterable[str]] = lambda actor: (),
         ordered: bool = False) -> World:
    """The state at `at` (UTC microseconds): every fact in valid-time order. `members(actor)`: the
    entities the gazetteer says belong to an actor (its units), whose standing its end reaches."""
    steps: dict[tuple[str, str], list[Step]] = defaultdict(list)
    lists: dict[str, list[Happening]] = {name: [] for name in LIST_NAMES}
    ending: list[tuple[str, Fact]] = []
    for fact in facts if ordered else valid_order(facts):
        if fact.lo > at:
            break  # valid order: nothing later can have started
        status = CERTAIN if fact.hi <= at else POSSIBLE
        rule = rule_of(fact.type_name)
        if rule.listed:
            lists[rule.listed].append(Happening(fact=fact, status=status))
        settle = settles_at(fact)
        kind = OBSERVED if rule.settles == OBSERVATION else CHANGED
        for channel, key, op in effects(fact.event):
            steps[(channel, key)].append(Step(fact.id, fact.seq, fact.lo, fact.hi, settle, op, kind))
        if rule.ends is not None:
            ending.append((getattr(fact.event, rule.ends), fact))
    # An actor's end reaches every key of a channel it ends the holdings of (it acts where a value
    # names the actor), and the keys of the actor's members in a channel it ends the standing of.
    for actor, fact in ending:
        for name, c in CHANNELS.items():
            if c.on_end is None:
                continue
            keys = [key for channel, key in steps if channel == name] if c.on_end == HOLDER else members(actor)
            for key in keys:
                steps[(name, key)].append(Step(fact.id, fact.seq, fact.lo, fact.hi, settles_at(fact), Op(END_OPS[c.on_end], actor), ENDED))
    cells: dict[str, dict[str, Cell]] = {c: {} for c in CHANNELS}
    for (channel, key), key_steps in steps.items():
        initial = CHANNELS[channel].initial
        cell = Cell(initial)
        for step in sorted(key_steps, key=lambda s: (s.lo, s.seq)):  # (stable: one fact's effects keep their order)
            cell = apply_cell(cell, step, at, initial)
        cells[channel][key] = cell
    return World(at=at, cells=cells, lists=lists)
