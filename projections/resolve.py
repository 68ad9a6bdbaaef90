"""What the log says as known at K: every entry with the corrections recorded by K applied.

Corrections always target earlier entries, so walking the log backwards resolves every correction
before the entry it acts on; the latest live correction of an entry wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import attrs

from chrono.entry import Entry
from chrono.timeval import ValidTime
from events import Event, EventRetracted, Source


@attrs.frozen(kw_only=True)
class Fact:
    """An entry's effective content: what the log currently asserts under that event id."""

    id: str
    seq: int
    event: Event
    valid: ValidTime | None
    sources: tuple[Source, ...]
    after: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    # The corrections that made this content, oldest first (empty when the entry stands as written).
    via: tuple[str, ...] = ()
    # The window after narrowing by ordering constraints; equal to valid's bounds when there are none.
    lo: int | None = None
    hi: int | None = None

    @property
    def type_name(self) -> str:
        return self.event.type_name


@attrs.frozen(kw_only=True)
class Resolution:
    facts: list[Fact]  # effective non-correction entries, in log order
    retracted: dict[str, str]  # id -> the retraction that removed it
    entries: dict[str, Entry]


def resolve(entries: Iterable[Entry]) -> Resolution:
    entries = list(entries)
    # id -> effective content (event, valid, sources, via) or None when retracted
    effective: dict[str, tuple | None] = {}
    live_correction: dict[str, str] = {}  # target id -> id of its latest live correction
    retracted: dict[str, str] = {}
    for e in reversed(entries):
        content: tuple | None = (e.event, e.valid, e.sources, ())
        c_id = live_correction.get(e.id)
        if c_id is not None:
            c_event, c_valid, c_sources, c_via = effective[c_id]
            if isinstance(c_event, EventRetracted):
                content = None
                retracted[e.id] = c_id
            else:
                event, valid, sources = superseded(e.sources, c_event.replacement, c_valid, c_sources)
                if e.event.correction:
                    # A correction of a correction replaces what the first one put in place.
                    event = attrs.evolve(e.event, replacement=event)
                content = (event, valid, sources, (c_id, *c_via))
        effective[e.id] = content
        if content is not None and e.event.correction and e.event.target not in live_correction:
            live_correction[e.event.target] = e.id
    facts = []
    for e in entries:
        content = effective[e.id]
        if content is None or e.event.correction:
            continue
        event, valid, sources, via = content
        facts.append(
            Fact(
                id=e.id, seq=e.seq, event=event, valid=valid, sources=sources, after=e.after, before=e.before,
                via=via, lo=valid.lo if valid else None, hi=valid.hi if valid else None,
            )
        )
    return Resolution(facts=narrow(facts), retracted=retracted, entries={e.id: e for e in entries})


def superseded(own_sources, replacement, valid, sources):
    """(event, valid time, sources) that an entry reads as once a correction supersedes it: the
    correction's replacement and valid time, and its sources, or the entry's own (`own_sources`) when
    it gives none. (The cache applies it to log rows as they are stored: `cache.versions`.)"""
    return replacement, valid, sources or own_sources


def narrow(facts: list[Fact]) -> list[Fact]:
    """Tighten windows by stated order: if A is after B, A cannot start before B's earliest and B must
    end by A's latest. Never widens; a constraint that would empty a window is left out (`check` reports it)."""
    timed = {f.id: [f.lo, f.hi] for f in facts if f.lo is not None}
    seq = {f.id: f.seq for f in facts}
    pairs = set()  # (earlier, later)
    for f in facts:
        pairs.update((other, f.id) for other in f.after)
        pairs.update((f.id, other) for other in f.before)
    # A fixed order, so that any subset holding the same constraints (the cache narrows one connected
    # group at a time) reaches the same windows; when constraints conflict, which one is left out
    # depends on the order.
    pairs = sorted(((a, b) for a, b in pairs if a in timed and b in timed), key=lambda p: (seq[p[0]], seq[p[1]]))
    if not pairs:
        return facts
    # Windows only shrink, and only to bounds already present, so this reaches a fixed point.
    changed = True
    while changed:
        changed = False
        for a, b in pairs:
            wa, wb = timed[a], timed[b]
            lo_b = max(wb[0], wa[0])
            hi_a = min(wa[1], wb[1])
            if lo_b < wb[1] and lo_b != wb[0]:
                wb[0], changed = lo_b, True
            if wa[0] < hi_a and hi_a != wa[1]:
                wa[1], changed = hi_a, True
    return [attrs.evolve(f, lo=timed[f.id][0], hi=timed[f.id][1]) if f.id in timed else f for f in facts]


def ordering_conflicts(facts: list[Fact]) -> list[tuple[str, str]]:
    """(earlier, later) pairs whose stated order cannot hold with their stated windows."""
    by_id = {f.id: f for f in facts if f.valid is not None}
    return [pair for f in facts for pair in conflicts_of(f, by_id.get)]


def conflicts_of(f: Fact, timed: Callable[[str], Fact | None]) -> list[tuple[str, str]]:
    """The (earlier, later) pairs of `f`'s own order links (after, then before) that cannot hold with
    the stated windows; `timed(id)` is the fact under that id when it has a valid time, else None."""
    out = []
    for a, b in [(o, f.id) for o in f.after] + [(f.id, o) for o in f.before]:
        fa, fb = timed(a), timed(b)
        if fa is not None and fb is not None and fa.valid.lo >= fb.valid.hi:
            out.append((a, b))
    return out
