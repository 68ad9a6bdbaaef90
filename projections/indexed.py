"""The investigation commands and the exports on a log of any length: read through the cache's
indexes (a range of valid time, one entity, or the whole log a key or a fact at a time, never all
at once) and given back as they are read. Each says what its fold-based twin in `investigate` or
`pictures.exports` says, in the same order, built of the same pieces; the property tests hold them
to it. The work a range or an entity costs grows with what it returns; a pass over the whole log
holds what it reports and the gazetteer, not the log.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from chrono import codec
from chrono.errors import ChronoError
from chrono.store import NO_LINKS, Log
from chrono.timeval import CALENDAR_HI, CALENDAR_LO, to_micros, zone_info
from events import EventCorrected, entity_refs

from . import cache, investigate
from .gazetteer import Gazetteer, Names
from .investigate import (
    LONGEST_TRAVEL_US, Stay, any_source, at_once, belief_doc, belief_happening, cause, contradictions, correction_cycle, diff_doc,
    entity_findings, happening_change, in_timeline, key_change, ordering_conflict, ordering_dangling, period, setting, sorted_chain,
    stays_of, timeline_day, timeline_head, timeline_row, two_places,
)
from .query import ensure_cache, strings_in
from .resolve import Fact, conflicts_of
from .rules import CHANNELS, DESCRIPTIONS, HOLDER, MEMBER, SECTIONS, WHERE, rule_of
from .sources import source_matches
from .world import CERTAIN, INITIAL, POSSIBLE, Op, answer, effects
from .world import Step as WorldStep

# How a long pass says how far it has got: `step(label, total)` is a context manager giving a
# `report(done)`; `total()` counts the pass's work, asked only when the answer will be shown.
Progress = Callable[[str, Callable[[], int]], contextlib.AbstractContextManager[Callable[[int], None]]]


@contextlib.contextmanager
def quietly(_label: str, _total: Callable[[], int]):
    yield lambda _done: None


def _position(log: Log, known_at: datetime | None) -> int | None:
    """The cache's position for `known_at`, once the cache is the log's; None when it cannot be (a
    read-only log whose cache is behind): then the fold answers."""
    return cache.position_at(log, known_at) if ensure_cache(log) else None


def gazetteer(log: Log, position: int) -> Gazetteer:
    """Every entity described at `position` (the gazetteer grows with the entities, not the log)."""
    return Gazetteer.from_payloads(cache.descriptions(log, position))


# --- check -----------------------------------------------------------------------------------------


def check_log(log: Log, known_at: datetime | None = None, *, step: Progress = quietly) -> tuple[list[dict], int, datetime]:
    """What `chrono check` reports of the log as known at `known_at`: the findings, how many facts
    stand, and the recorded time it was known at."""
    position = _position(log, known_at)
    if position is None:
        k = investigate.load(log, known_at)
        return investigate.check(k, list(k.resolution.entries.values())), len(k.facts), k.known_at
    return (*check(log, position, step=step), known_at or log.clock())


def check(log: Log, position: int, *, step: Progress = quietly) -> tuple[list[dict], int]:
    """`investigate.check` of the log as known at `position`, and how many facts stand there, in one
    pass over the facts in the order they are stored: each fact's references and order links are
    checked as it comes, and the effects that may put a person in two places or contradict another
    fact are set aside in a temporary table (on disk, as SQLite keeps them), then read back a key at a
    time; the corrections come by the target index."""
    g = gazetteer(log, position)
    entities: list[tuple[int, list[dict]]] = []
    conflicts: list[tuple[int, list[dict]]] = []
    dangling: list[tuple[int, list[dict]]] = []
    count = 0
    with _Aside() as aside, step("checking", lambda: cache.count_facts(log, position)) as report:
        for seq, fid, type_name, version, lo, hi, body, links in cache.each_fact(log, position):
            count += 1
            if count % 4096 == 0:
                report(count)
            event = codec.decode_stored(type_name, version, body)
            found = entity_findings(fid, type_name, event, g)
            if found:
                entities.append((seq, found))
            if links != NO_LINKS and (link := codec.loads(links)) and (link["after"] or link["before"]):
                f = cache.fact(log, fid, position)
                conflicts.append((seq, _conflicts(log, f, position)))
                dangling.append((seq, _dangling(log, f, position)))
            if lo is not None:
                aside.add((channel, key, seq, n, lo, hi, fid, op.name, codec.canonical(op.arg))
                          for n, (channel, key, op) in enumerate(effects(event)) if channel == WHERE or setting(channel, op))
        report(count)
        at_once, contradicting = [], []
        for (channel, key), steps in aside.by_key():
            if channel == WHERE:
                at_once += _at_once(key, stays_of(steps), g)
            else:
                contradicting += _contradictions(log, channel, key, steps, position, g)
    out = at_once
    for section in (entities, conflicts, dangling):
        out += [x for _seq, found in sorted(section, key=lambda sf: sf[0]) for x in found]
    out += contradicting
    for _seq, cid, _target in cache.corrections(log, position):
        found = correction_cycle(cid, lambda i: (e.seq, e.target) if (e := cache.entries_of(log, [i], position).get(i)) else None)
        if found:
            out.append(found)
    return out, count


class _Aside:
    """Keyed effects set aside in a private temporary database on disk (a connection of its own, so
    that each batch is committed and leaves memory while the log is still being read), read back by
    (channel, key), each key's in the order the fold meets them (by log position, a fact's effects in
    their order) as `world.Step`s."""

    def __enter__(self) -> _Aside:
        self.conn = sqlite3.connect("", isolation_level=None)  # ("": SQLite's own temporary file, removed on close)
        self.conn.execute("PRAGMA journal_mode = OFF")
        self.conn.execute("PRAGMA synchronous = OFF")
        self.conn.execute("CREATE TABLE aside (channel TEXT, key TEXT, seq INTEGER, n INTEGER, lo INTEGER, hi INTEGER, fact TEXT, op TEXT, arg TEXT)")
        self.batch: list[tuple] = []
        return self

    def __exit__(self, *exc) -> None:
        self.conn.close()

    def add(self, rows) -> None:
        self.batch.extend(rows)
        if len(self.batch) >= 4096:
            self._flush()

    def _flush(self) -> None:
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.executemany("INSERT INTO aside VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self.batch)
        self.batch = []

    def by_key(self) -> Iterator[tuple[tuple[str, str], list[WorldStep]]]:
        self._flush()
        rows = self.conn.execute("SELECT channel, key, seq, lo, hi, fact, op, arg FROM aside ORDER BY channel, key, seq, n")
        current, steps = None, []
        for channel, key, seq, lo, hi, fact, op, arg in rows:
            if (channel, key) != current:
                if steps:
                    yield current, steps
                current, steps = (channel, key), []
            steps.append(WorldStep(fact, seq, lo, hi, hi, Op(op, codec.loads(arg))))
        if steps:
            yield current, steps


def _contradictions(log: Log, channel: str, key: str, steps: list[WorldStep], position: int, g: Gazetteer) -> list[dict]:
    """`contradiction`s of one key: its setting effects grouped by window, in window order."""
    groups: dict[tuple[int, int], list] = defaultdict(list)
    for s in steps:
        groups[(s.lo, s.hi)].append((s.id, s.op(INITIAL[channel])))
    out = []
    for window in sorted(groups):
        group = groups[window]
        if len({v for _i, v in group}) > 1:  # (only then are the facts' order links needed)
            out += contradictions(channel, key, [(cache.fact(log, i, position), v) for i, v in group], g)
    return out


def _at_once(person: str, stays: list[Stay], g: Gazetteer) -> list[dict]:
    """`two-places` of one person's stays, as `investigate.check` finds them pair by pair, without
    trying every pair: two stays can only be at once when neither window is wider than twice the
    longest journey and their starts are no further apart than it (max(hi_b - lo_a, hi_a - lo_b) is
    at least each of those), so each stay is tried against the few that start soon after it."""
    by_start = sorted((i for i, s in enumerate(stays) if s[2] - s[1] <= 2 * LONGEST_TRAVEL_US), key=lambda i: stays[i][1])
    found = []
    for x, i in enumerate(by_start):
        for j in by_start[x + 1:]:
            if stays[j][1] - stays[i][1] > LONGEST_TRAVEL_US:
                break
            a, b = min(i, j), max(i, j)
            if at_once(stays[a], stays[b], g):
                found.append((a, b))
    return [two_places(person, stays[a], stays[b], g) for a, b in sorted(found)]


def _conflicts(log: Log, f, position: int) -> list[dict]:
    def timed(i: str):
        other = f if i == f.id else cache.fact(log, i, position)
        return other if other is not None and other.valid is not None else None

    return [ordering_conflict(timed(a), timed(b)) for a, b in conflicts_of(f, timed)]


def _dangling(log: Log, f, position: int) -> list[dict]:
    out = []
    for other in (*f.after, *f.before):
        if cache.fact(log, other, position) is None:
            entry = cache.entries_of(log, [other], position).get(other)
            out.append(ordering_dangling(f, other, entry is not None and entry.target is not None))
    return out


# --- diff ------------------------------------------------------------------------------------------


def diff_world_of(log: Log, t1: datetime, t2: datetime, known_at: datetime | None = None, *, zone: str, source: str | None = None) -> dict:
    """What `chrono diff --from --to` says of the log as known at `known_at`, from the cache's
    indexes, else from the fold."""
    position = _position(log, known_at)
    if position is None:
        return investigate.diff_world(investigate.load(log, known_at), t1, t2, zone=zone, source=source)
    return diff_world(log, position, known_at or log.clock(), t1, t2, zone=zone, source=source)


def diff_world(log: Log, position: int, known_at: datetime, t1: datetime, t2: datetime, *, zone: str, source: str | None = None) -> dict:
    """`investigate.diff_world` of the log as known at `position`, its changes and happenings
    iterators that read them as they go. A key's answer at T depends only on where T falls among its
    steps' window starts and ends, so it can differ between t1 and t2 only if a fact on it (or an
    actor's end that may reach it) starts or ends in (t1, t2]: those facts are read as a range
    (`cache.overlapping`), and only their keys answered at both times, each from its own steps
    (`cache.key_cell`). The happenings are the listed facts of the range, read again."""
    if t1 > t2:
        raise ChronoError("--from must not be after --to")
    a, b = to_micros(t1), to_micros(t2)
    keys: set[tuple[str, str]] = set()
    for f in cache.overlapping(log, position, a, b, through=True):
        if a < f.lo <= b or a < f.hi <= b:  # (a window holding both t1 and t2 changes nothing between them)
            keys.update((channel, key) for channel, key, _op in effects(f.event) if channel in SECTIONS)
            rule = rule_of(f.type_name)
            if rule.ends is not None:
                keys |= {ck for ck in _reached(log, getattr(f.event, rule.ends), position) if ck[0] in SECTIONS}
    return diff_doc(t1, t2, known_at, zone, source, _key_changes(log, position, sorted(keys, key=lambda ck: (SECTIONS.index(ck[0]), ck[1])),
                                                                  a, b, source), _happening_changes(log, position, a, b, zone, source))


def _key_changes(log: Log, position: int, keys: list[tuple[str, str]], a: int, b: int, source: str | None, batch: int = 256) -> Iterator[dict]:
    """`key_change` of each of `keys` from `a` to `b`, a batch of keys at a time (named together)."""
    ends = {t: cache.ends_by(log, t, position) for t in (a, b)}
    fact_of = functools.lru_cache(maxsize=4096)(lambda i: cache.fact(log, i, position))
    names = Names()
    for start in range(0, len(keys), batch):
        chunk = keys[start:start + batch]
        answers = []
        for channel, key in chunk:
            cells = [cache.key_cell(log, channel, key, t, position, ends=ends[t])[0] for t in (a, b)]
            answers.append((channel, key, *(None if cell is None else answer(cell, CHANNELS[channel].initial) for cell in cells)))
        names.update(cache.names_of(log, {key for _c, key in chunk} | {x for _c, _k, *two in answers for an in two if an is not None
                                                                          for x in _named(an)}, position))
        for channel, key, a1, a2 in answers:
            change = key_change(channel, key, a1, a2, names)
            if change is not None and any_source(change["events"], fact_of, source):
                yield change


def _happening_changes(log: Log, position: int, a: int, b: int, zone: str, source: str | None) -> Iterator[dict]:
    """`happening_change` of each listed fact reaching into (a, b], in valid-time order."""
    listed = [t for t in cache.TIMED if rule_of(t).listed]
    facts = (f for f in cache.overlapping(log, position, a, b, through=True, types=listed) if source_matches(f.sources, source))
    for _f, row in _named_rows(log, position, facts, lambda f, names: happening_change(
            rule_of(f.type_name).listed, f, CERTAIN if f.hi <= b else POSSIBLE, None if f.lo > a else POSSIBLE, names, zone)):
        yield row


def diff_belief_of(log: Log, at: datetime, k1_at: datetime, k2_at: datetime | None, *, zone: str, source: str | None = None) -> dict:
    """What `chrono diff --at --as-of --vs` says: `investigate.diff_belief`, from the cache's indexes
    when it can be brought up to date, else from the fold."""
    if not ensure_cache(log):
        return investigate.diff_belief(log, at, k1_at, k2_at, zone=zone, source=source)
    return diff_belief(log, at, k1_at, k2_at or log.clock(), zone=zone, source=source)


def diff_belief(log: Log, at: datetime, k1_at: datetime, k2_at: datetime, *, zone: str, source: str | None = None) -> dict:
    """`investigate.diff_belief` from the cache: a belief about T changes between K1 and K2 only where
    a fact's standing version changed in between (`cache.changed_between`), so only their keys (and
    those an actor's end among them may reach, or a member's new description put under another
    actor's end) are answered at T at both positions, and only they can be happenings that changed;
    the causes are the entries recorded in between, read in log order."""
    if k1_at > k2_at:
        raise ChronoError("--as-of must not be after --vs")
    p1, p2 = cache.position_at(log, k1_at), cache.position_at(log, k2_at)
    t = to_micros(at)
    ids = cache.changed_between(log, p1, p2)
    versions = {i: pair for i in ids if any(pair := (cache.fact(log, i, p1), cache.fact(log, i, p2)))}  # (one that came and went is neither)
    keys: set[tuple[str, str]] = set()
    for pair in versions.values():
        for f, position in zip(pair, (p1, p2)):
            if f is None:
                continue
            keys.update((channel, key) for channel, key, _op in effects(f.event))
            rule = rule_of(f.type_name)
            if rule.ends is not None:
                keys |= _reached(log, getattr(f.event, rule.ends), position)
            described = DESCRIPTIONS.get(f.type_name)
            if described is not None and described.member_of:  # (whose end reaches it)
                keys.update((name, getattr(f.event, described.id_field)) for name, c in CHANNELS.items() if c.on_end == MEMBER)
    keys = sorted((ck for ck in keys if ck[0] in SECTIONS), key=lambda ck: (SECTIONS.index(ck[0]), ck[1]))
    ends = {p: cache.ends_by(log, t, p) for p in (p1, p2)}
    answers = []
    for channel, key in keys:
        cells = [cache.key_cell(log, channel, key, t, p, ends=ends[p])[0] for p in (p1, p2)]
        answers.append((channel, key, *(None if cell is None else answer(cell, CHANNELS[channel].initial) for cell in cells)))
    names = Names(cache.names_of(log, {key for _c, key in keys} | {x for _c, _k, *two in answers for an in two if an is not None for x in _named(an)}
                                 | {v for pair in versions.values() for f in pair if f is not None for _, _, v in entity_refs(f.event)}, p2))
    fact_of = functools.lru_cache(maxsize=4096)(lambda i: versions[i][1] or versions[i][0] if i in versions else cache.fact(log, i, p2) or cache.fact(log, i, p1))
    changes = [c for channel, key, a1, a2 in answers if (c := key_change(channel, key, a1, a2, names)) is not None
               and any_source(c["events"], fact_of, source)]

    def happening(f: Fact | None) -> tuple | None:
        listed = f is not None and rule_of(f.type_name).listed
        return (listed, f, CERTAIN if f.hi <= t else POSSIBLE) if listed and f.lo is not None and f.lo <= t else None

    happenings = []
    for fid in sorted(versions, key=lambda i: ((versions[i][1] or versions[i][0]).lo or 0, (versions[i][1] or versions[i][0]).seq)):
        s1, s2 = (happening(f) for f in versions[fid])
        if (s1 or s2) and (h := belief_happening(fid, s1, s2, names, zone, source)) is not None:
            happenings.append(h)
    causes = []
    for e in log.entries(after_seq=p1):
        if e.seq > p2:
            break
        refs = [e.event, *([e.event.replacement] if isinstance(e.event, EventCorrected) else [])]
        names.update(cache.names_of(log, {v for ev in refs for _, _, v in entity_refs(ev)}, p2))
        causes.append(cause(e, _root(log, e, p2), changes, happenings, names, zone))
    return belief_doc(at, k1_at, k2_at, zone, source, changes, happenings, causes)


def _root(log: Log, e, position: int) -> str:
    """The id of the entry a correction (or a chain of them) ultimately acts on (`investigate.root_of`)."""
    seen, cur, target = set(), e.id, e.target
    while target is not None and cur not in seen:
        seen.add(cur)
        found = cache.entries_of(log, [target], position).get(target)
        if found is None:
            break
        cur, target = target, found.target
    return cur


def _reached(log: Log, actor: str, position: int) -> set[tuple[str, str]]:
    """The keys an actor's end may reach (`rules.Channel.on_end`): in a channel of holders, those a
    fact naming the actor has an effect on (only a value naming it ends); in a channel of members, the
    actor's members."""
    out: set[tuple[str, str]] = set()
    naming = None
    for name, c in CHANNELS.items():
        if c.on_end == HOLDER:
            naming = list(cache.naming(log, [actor], position, until=CALENDAR_HI)) if naming is None else naming
            out.update((channel, key) for f in naming for channel, key, _op in effects(f.event) if channel == name)
        elif c.on_end == MEMBER:
            out.update((name, key) for key in cache.members(log, actor, position))
    return out


def _named(a) -> set[str]:
    """The entities an answer's words may name: its value, candidates and what was last known."""
    values = [a.value, *a.candidates, *([a.last[0]] if a.last is not None else [])]
    return {x for v in values for x in strings_in(v)}


# --- timeline --------------------------------------------------------------------------------------


def timeline_of(log: Log, known_at: datetime | None = None, **kw) -> dict:
    """What `chrono timeline` shows of the log as known at `known_at` (`timeline`'s options), from
    the cache's indexes (its days an iterator), else from the fold."""
    position = _position(log, known_at)
    if position is None:
        return investigate.timeline(investigate.load(log, known_at), **kw)
    return timeline(log, position, known_at or log.clock(), **kw)


def timeline(log: Log, position: int, known_at: datetime, *, zone: str, lo: datetime | None = None, hi: datetime | None = None,
             entities: tuple[str, ...] = (), types: tuple[str, ...] = (), source: str | None = None) -> dict:
    """`investigate.timeline` of the log as known at `position` (recorded by `known_at`), its days an
    iterator that reads them as it goes: the facts of the range by `cache.overlapping` (or, with
    `entities`, those naming them by `cache.naming`), each day given once no later fact can join it."""
    lo_us = to_micros(lo) if lo else None
    hi_us = to_micros(hi) if hi else None
    if entities:
        named = cache.naming(log, entities, position, until=CALENDAR_HI if hi_us is None else hi_us - 1)
        facts = (f for f in named if lo_us is None or f.hi > lo_us)
    else:
        facts = cache.overlapping(log, position, lo_us, hi_us, types=types or None)
    rows = _rows(log, position, (f for f in facts if in_timeline(f, entities, types, source)), zone)
    return {**timeline_head(known_at, zone, lo, hi, source), "days": _days(rows, zone_info(zone))}


def _rows(log: Log, position: int, facts: Iterator[Fact], zone: str) -> Iterator[tuple[Fact, dict]]:
    """Each fact with its timeline row (`_named_rows`)."""
    def row(f: Fact, names: Names) -> dict:
        return timeline_row(f, names, zone, sorted_chain(f.via, cache.entries_of(log, f.via, position)) if f.via else [])

    return _named_rows(log, position, facts, row)


def _named_rows(log: Log, position: int, facts: Iterator[Fact], row: Callable[[Fact, Names], dict], batch: int = 256) -> Iterator[tuple[Fact, dict]]:
    """Each fact with `row(fact, names)`, the entities it names read from the gazetteer's rows a batch of
    facts at a time."""
    names = Names()
    while chunk := list(itertools.islice(facts, batch)):
        names.update(cache.names_of(log, {v for f in chunk for _field, _kind, v in entity_refs(f.event)}, position))
        for f in chunk:
            yield f, row(f, names)


def _days(rows: Iterator[tuple[Fact, dict]], tz) -> Iterator[dict]:
    """The timeline's days, in the order their first facts come (valid-time order), each given as soon
    as the facts have passed every moment that could still be filed under it (the end of its local
    day, month or year, with a day to spare for any zone's offset; the undated, at the first date)."""
    open_: dict[str, list[dict]] = {}
    closes: dict[str, int] = {}
    for f, row in rows:
        while open_ and closes[next(iter(open_))] <= f.lo:
            day = next(iter(open_))
            yield timeline_day(day, open_.pop(day))
        day = period(f, tz)
        if day not in open_:
            open_[day], closes[day] = [], _closes(day)
        open_[day].append(row)
    for day, events in open_.items():
        yield timeline_day(day, events)


def _closes(day: str) -> int:
    """A moment by which every window filed under `day` (`investigate.period`) has opened."""
    if day == "before":
        return CALENDAR_LO + 1
    parts = day.split("-")
    year, month, d = (int(x) for x in (parts + ["1", "1"])[:3])
    try:
        if len(parts) == 1:
            after = datetime(year + 1, 1, 1, tzinfo=UTC)
        elif len(parts) == 2:
            after = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
        else:
            after = datetime(year, month, d, tzinfo=UTC) + timedelta(days=1)
        return to_micros(after + timedelta(days=1))
    except (ValueError, OverflowError):  # (the calendar's last day, month or year)
        return CALENDAR_HI


__all__ = ["check", "check_log", "diff_belief", "diff_belief_of", "diff_world", "diff_world_of", "gazetteer", "timeline", "timeline_of"]
