"""The cache's read API: what `query` and `investigate` ask of it. Every question names a log position
(what was recorded by K: `position_at`) and reads only the versions standing there, through the
indexes of `schema`, so its cost grows with what it returns, not with the log.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import NamedTuple

import attrs

from chrono import codec
from chrono.entry import Entry, author_of
from chrono.store import NO_LINKS, Log
from chrono.timeval import CALENDAR_HI, CALENDAR_LO, from_micros, to_micros
from events import REGISTRY, ref_fields

from ..resolve import Fact
from ..rules import CHANGED, CHANNELS, END_OPS, ENDS, HOLDER, MEMBER, OBSERVED, OPS
from ..world import Cell, Op, Step, apply_cell
from .derived import EFFECT_ROWS
from .schema import (
    CHANNEL_CODES, ENTITIES, FACT_COLUMNS, FACTS, FACT_ROWS, HALF, KEYS, MENTIONS, NEVER, NO_VIA, RECENCY, REFS, SPAN, STICKY, TYPE_CODES,
    TYPE_TIME, WIDE, between, channel_kind, code_of, codes_of,
)

TIMED = sorted(name for name, cls in REGISTRY.items() if not (cls.timeless or cls.correction))  # the types of facts with a window



def fact_from_row(row) -> Fact:
    """The fact a row of `FACT_ROWS` holds (its columns as `FACT_COLUMNS` names them)."""
    seq, fid, _from, _to, type_name, version, lo, hi, vlo, vhi, vmeta, body, sources, links, via = row
    # (Most facts have no links and no corrections: those columns read as FACT_ROWS fills them in.)
    link = _NO_LINKS if links == NO_LINKS else codec.loads(links)
    return Fact(
        id=fid, seq=seq, event=codec.decode_stored(type_name, version, body),
        valid=codec.valid_from_columns(vlo, vhi, vmeta), sources=codec.decode_sources(sources),
        after=tuple(link["after"]), before=tuple(link["before"]), via=() if via == NO_VIA else tuple(codec.loads(via)), lo=lo, hi=hi,
    )


_NO_LINKS = codec.loads(NO_LINKS)


def position_at(log: Log, known_at) -> int:
    """The last log position recorded at or before `known_at` (everything, when None)."""
    if known_at is None:
        return NEVER - 1
    row = log.conn.execute("SELECT max(seq) FROM events WHERE recorded <= ?", (to_micros(known_at),)).fetchone()
    return row[0] or 0


def _live(position: int) -> tuple[str, tuple]:
    return "seq_from <= ? AND ? < seq_to", (position, position)


def all_facts(log: Log, position: int | None = None) -> list[Fact]:
    """Every fact standing at log position `position` (now by default), in log order."""
    where, args = _live(NEVER - 1 if position is None else position)
    return [fact_from_row(r) for r in log.conn.execute(f"SELECT {FACT_COLUMNS} FROM {FACT_ROWS} WHERE {where} ORDER BY seq", args)]


def fact(log: Log, event_id: str, position: int) -> Fact | None:
    where, args = _live(position)
    row = log.conn.execute(f"SELECT {FACT_COLUMNS} FROM {FACT_ROWS} WHERE id = ? AND {where}", (event_id, *args)).fetchone()
    return fact_from_row(row) if row else None


def descriptions(log: Log, position: int) -> Iterator[tuple[str, str, dict]]:
    """(event id, type, payload) of every entity description standing at `position`, in log order (by
    the gazetteer's rows, one for each version of a description)."""
    for fid, type_name, version, body in log.conn.execute(
        f"SELECT f.id, f.type, f.version, f.body FROM {ENTITIES} AS d JOIN {FACT_ROWS} AS f ON f.id = d.fact "
        "AND f.seq_from = d.seq_from WHERE d.seq_from <= ? AND ? < d.seq_to ORDER BY d.seq",
        (position, position),
    ):
        yield fid, type_name, _payload(type_name, version, body)


def _payload(type_name: str, version: int, body: str) -> dict:
    """A stored payload as the current schema has it."""
    payload = codec.loads(body)
    return payload if version == REGISTRY[type_name].version else codec.upcast(type_name, version, payload)


def recent_keys(log: Log, channel: str, at: int, position: int) -> Iterator[str]:
    """The keys of `channel` touched by effects whose window opens by `at`, most recently touched first
    (by the latest such effect's (lo, seq), ties by key, descending); each once. Lazy: stop reading
    when you have enough."""
    where, args = _live(position)
    seen: set[str] = set()
    for (key,) in log.conn.execute(
        f"SELECT entity FROM {MENTIONS} WHERE code IS NOT NULL AND {RECENCY} BETWEEN ? AND ? AND {where} "
        f"ORDER BY {RECENCY} DESC, seq DESC, entity DESC",
        (*between(CHANNEL_CODES[channel], -HALF, at), *args),
    ):
        if key not in seen:
            seen.add(key)
            yield key


def _steps(log: Log, where: str, args: tuple, order: str = "lo DESC, seq DESC, n DESC") -> Iterator[tuple[Step, int]]:
    """(step, n) of the keyed effects meeting `where`, in `order` (lazily)."""
    rows = log.conn.execute(f"SELECT fact, seq, lo, hi, settle, op, arg, before, code, n FROM {EFFECT_ROWS} "
                            f"WHERE {where} ORDER BY {order}", args)
    return _as_steps(rows)


def _as_steps(rows) -> Iterator[tuple[Step, int]]:
    for fact, seq, lo, hi, settle, op, arg, before, code, n in rows:
        channel, kind = channel_kind(code)
        yield Step(fact, seq, lo, hi, settle, _op(op, arg, before, channel), kind), n


def key_steps(log: Log, channel: str, key: str, at: int, position: int) -> tuple[Iterator[tuple[Step, int]], list[tuple[Step, int]], int] | None:
    """The keyed effects on one key standing at `position` whose window opens by `at`: its changes,
    latest first (by lo, seq, n; lazily), and the widest any of its changes' windows is (`settle - lo`,
    over every version: a change that opens earlier than `at - width` has settled by `at`); and of its
    observations those that say anything at `at`: the ones whose window holds it, and the latest whose
    window has ended (last seen), found by the widest observation's window as the changes are. None
    when nothing ever touches the key."""
    row = log.conn.execute(f"SELECT width, seen FROM {KEYS} WHERE channel = ? AND key = ?", (channel, key)).fetchone()
    if row is None:
        return None
    width, seen = row
    where, args = _live(position)
    mine = f"code = ? AND key = ? AND lo <= ? AND {where}"
    observations: list[tuple[Step, int]] = []
    if seen is not None:
        last: Step | None = None
        for step, n in _steps(log, mine, (code_of(channel, OBSERVED), key, at, *args)):
            if step.lo < at - seen and last is not None and step.lo < last.hi - seen:
                break  # (no window further back holds T, or ended later than the last seen so far)
            if at < step.hi:
                observations.append((step, n))
            elif last is None or (step.hi, step.lo, step.seq) > (last.hi, last.lo, last.seq):
                last = step
        observations += [(last, 0)] if last is not None else []
    # (Opened after the observations' query is done with: the two share a statement, which SQLite
    # would otherwise prepare again, at a cost of its own.)
    changes = _steps(log, mine, (code_of(channel, CHANGED), key, at, *args)) if width is not None else iter(())
    return changes, observations, width or 0


def ends_by(log: Log, at: int, position: int, actor: str | None = None) -> list[tuple[str, Step, int]]:
    """(actor, step, n) of every actor's end standing at `position` whose window opens by `at` (of one
    actor's only, if named): few, read by the recency index."""
    where, args = _live(position)
    lo, hi = between(CHANNEL_CODES[ENDS], -HALF, at)
    rows = _steps(log, f"{RECENCY} BETWEEN ? AND ? AND {where}" + (" AND key = ?" if actor else ""),  # (the range is the channel's)
                  (lo, hi, *args, *([actor] if actor else [])), order="lo, seq, n")
    return [(step.op.arg, step, n) for step, n in rows]


def member_of(log: Log, key: str, position: int) -> str | None:
    """The actor the entity `key` belongs to (a unit's army), as its latest description standing at
    `position` says."""
    where, args = _live(position)
    row = log.conn.execute(f"SELECT actor FROM {ENTITIES} WHERE id = ? AND {where} ORDER BY seq DESC LIMIT 1", (key, *args)).fetchone()
    return row[0] if row else None


def sticky_by(log: Log, channel: str, key: str, at: int, position: int) -> bool:
    """Whether an effect of `channel`'s sticky op (`rules.Channel.sticky`: a death) on `key`, standing at
    `position`, has certainly happened by `at`."""
    sticky = CHANNELS[channel].sticky
    if sticky is None:
        return False
    where, args = _live(position)
    return log.conn.execute(  # (settle <= T: lo <= T too)
        f"SELECT 1 FROM {MENTIONS} WHERE op IN ({STICKY}) AND entity = ? AND op = ? AND settle <= ? AND {where} LIMIT 1",
        (key, sticky, at, *args),
    ).fetchone() is not None


def key_cell(log: Log, channel: str, key: str, at: int, position: int, *,
             ends: list[tuple[str, Step, int]] | None = None) -> tuple[Cell | None, tuple | None]:
    """One key's fold state at `at`, and its rank (its latest effect's (lo, seq)); (None, None) when
    nothing touches it by then. Reads the key's changes backwards from `at` only as far as the answer
    depends on them: past the latest settled change that sets the value (`rules.OpRule.sets`), and
    past every window that could still be open at `at`; what older changes still decide is whether the
    channel's sticky op has happened (a death). Its observations, and the actors' ends that reach it
    (`rules.Channel.on_end`; `ends`: `ends_by`, when the caller has them), are few: all are read."""
    c = CHANNELS[channel]
    found = key_steps(log, channel, key, at, position)
    got: list[tuple[Step, int]] = []
    early = False
    if found is not None:
        changes, observations, width = found
        anchored = False
        for step, n in changes:
            if anchored and step.lo < at - width:
                early = True
                break
            got.append((step, n))
            if step.settle <= at and OPS[step.op.name].sets(step.op.arg):
                anchored = True
        got += observations
    rank = max(((s.lo, s.seq) for s, _n in got), default=None)
    if c.on_end == HOLDER and got:
        reaching = ends_by(log, at, position) if ends is None else ends
    elif c.on_end == MEMBER and (actor := member_of(log, key, position)) is not None:
        reaching = ends_by(log, at, position, actor) if ends is None else [e for e in ends if e[0] == actor]
    else:
        reaching = []
    got += [(attrs.evolve(step, op=Op(END_OPS[c.on_end], actor)), n) for actor, step, n in reaching]
    if not got:
        return None, None
    start = c.initial
    if early and sticky_by(log, channel, key, at, position):
        start = OPS[c.sticky].apply(start, None)
    cell = Cell(start)
    for step, _n in sorted(got, key=lambda sn: (sn[0].lo, sn[0].seq, sn[1])):
        cell = apply_cell(cell, step, at, c.initial)
    return cell, rank


@functools.lru_cache(maxsize=4096)
def _op(op: str, arg: str | None, before: str | None, channel: str) -> Op:
    if before is None:
        return Op(op, codec.loads(arg))
    before_op, before_arg = codec.loads(before)
    c = CHANNELS.get(channel)
    return Op(op, codec.loads(arg), OPS[before_op].apply(c.initial, before_arg) if c else None)


def chunks(items: list, size: int = 500) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def latest_listed(log: Log, type_name: str, at: int, position: int, limit: int | None) -> list[tuple]:
    """(type, id, lo, hi, valid_meta, body) of the last `limit` happenings of `type_name` standing at
    `position` whose window opens by `at` (all of them when `limit` is None, or one more than `limit`
    when there are more), in valid-time order."""
    where, args = _live(position)
    cap = -1 if limit is None else limit + 1
    rows = log.conn.execute(
        f"SELECT type, id, lo, hi, valid_meta, body FROM {FACT_ROWS} WHERE {TYPE_TIME} BETWEEN ? AND ? AND {where} "
        f"ORDER BY {TYPE_TIME} DESC, seq DESC LIMIT ?",
        (*between(TYPE_CODES[type_name], -HALF + 1, at), *args, cap),
    ).fetchall()
    rows.reverse()
    return rows


def naming(log: Log, ids, position: int, *, until: int | None = None, after: int | None = None, types=None) -> Iterator[Fact]:
    """The facts standing at `position` that name one of `ids` (`events.entity_refs`), in valid-time
    order (lazily): those whose window opens by `until`, or after `after`; of `types` only, when
    given (the others are never decoded)."""
    ids = sorted(set(ids))
    when, bound = ("lo <= ?", until) if after is None else ("lo > ?", after)
    columns = ", ".join(f"f.{c.strip()}" for c in FACT_COLUMNS.split(","))
    mentions, args = _mentioning(ids, f"{when} AND seq_from <= ? AND ? < seq_to", (bound, position, position))
    of_types = "" if types is None else f" WHERE f.type IN ({', '.join('?' * len(types))})"
    rows = log.conn.execute(
        f"SELECT {columns} FROM ({mentions}) AS r JOIN {FACT_ROWS} AS f ON f.id = r.fact AND f.seq_from = r.seq_from{of_types} ORDER BY f.lo, f.seq",
        (*args, *(types or ())),
    )
    for row in rows:
        yield fact_from_row(row)


def naming_ids(log: Log, entity: str, position: int, *, channels: tuple[str, ...] | None = None) -> list[str]:
    """Ids of the facts any version of which, recorded by `position`, names `entity`; with `channels`,
    only those any version of which is a keyed effect on `entity` in one of those channels."""
    if channels is None:
        mentions, args = _mentioning([entity], "seq_from <= ?", (position,))
    else:
        codes = codes_of(channels)
        mentions = f"SELECT fact FROM {MENTIONS} WHERE code IN ({', '.join('?' * len(codes))}) AND entity = ? AND seq_from <= ?"
        args = (*codes, entity, position)
    return list(dict.fromkeys(r[0] for r in log.conn.execute(mentions, args)))


def ending_ids(log: Log, position: int) -> list[str]:
    """Ids of the facts any version of which, recorded by `position`, is an actor's end (few: what may
    reach any place's holder or any unit), read by the recency index (without it, a scan of every
    mention: 45 of `history`'s 64 ms on a 1M log)."""
    rows = log.conn.execute(f"SELECT fact FROM {MENTIONS} WHERE code IS NOT NULL AND {RECENCY} BETWEEN ? AND ? AND seq_from <= ?",
                            (*between(CHANNEL_CODES[ENDS], -HALF, HALF - 1), position))
    return list(dict.fromkeys(r[0] for r in rows))


def _mentioning(ids: list[str], where: str, args: tuple) -> tuple[str, tuple]:
    """(fact, seq_from) of each fact version that mentions one of `ids` and meets `where`, once each:
    the mentions that are keyed effects by their index, the others by theirs, and the references of
    the facts part by its own."""
    marks = ", ".join("?" * len(ids))
    codes = codes_of((*CHANNELS, ENDS))
    return (
        f"SELECT fact, seq_from FROM {MENTIONS} WHERE code IS NULL AND entity IN ({marks}) AND {where} UNION "
        f"SELECT fact, seq_from FROM {MENTIONS} WHERE code IN ({', '.join('?' * len(codes))}) AND entity IN ({marks}) AND {where} UNION "
        f"SELECT fact, seq_from FROM {REFS} WHERE entity IN ({marks}) AND {where}",
        (*ids, *args, *codes, *ids, *args, *ids, *args),
    )


def chains(log: Log, ids: list[str], position: int) -> list[Entry]:
    """The entries `ids` and every correction or retraction of them (and of those), recorded by
    `position`, in log order (`LogStore.chains`)."""
    return log.chains(ids, position)


def windows_of(log: Log, ids: list[str], position: int) -> dict[str, tuple[int | None, int | None]]:
    """id -> (lo, hi) of the facts `ids` standing at `position`: their windows, narrowed."""
    where, args = _live(position)
    out = {}
    for chunk in chunks(sorted(set(ids))):
        marks = ", ".join("?" * len(chunk))
        out.update((fid, (lo, hi)) for fid, lo, hi in log.conn.execute(
            f"SELECT id, lo, hi FROM {FACTS} WHERE id IN ({marks}) AND {where}", (*chunk, *args)))
    return out


def described(log: Log, ids, position: int) -> Iterator[tuple[str, str, dict]]:
    """`descriptions` of the entities `ids` only."""
    args = (position, position)
    for chunk in chunks(sorted(set(ids))):
        marks = ", ".join("?" * len(chunk))
        for fid, type_name, version, body in log.conn.execute(
            f"SELECT f.id, f.type, f.version, f.body FROM {ENTITIES} AS d JOIN {FACT_ROWS} AS f ON f.id = d.fact "
            f"AND f.seq_from = d.seq_from WHERE d.id IN ({marks}) AND d.seq_from <= ? AND ? < d.seq_to ORDER BY f.seq",
            (*chunk, *args),
        ):
            yield fid, type_name, _payload(type_name, version, body)


def names_of(log: Log, ids, position: int) -> Iterator[tuple[str, str, str, str | None]]:
    """(id, kind, name, actor) of each description of the entities `ids` standing at `position`, in
    the order `described` gives them (the last one of an entity is the one that counts), read from
    the gazetteer's rows alone (no payload)."""
    args = (position, position)
    for chunk in chunks(sorted(set(ids))):
        marks = ", ".join("?" * len(chunk))
        rows = log.conn.execute(
            f"SELECT id, kind, name, actor, fact, seq_from FROM {ENTITIES} WHERE id IN ({marks}) AND seq_from <= ? AND ? < seq_to ORDER BY seq",
            (*chunk, *args),
        ).fetchall()
        for entity_id, kind, name, actor, fact_id, seq_from in rows:
            if name is None:  # (one SQLite could not read: `_ENTITIES_SQL`)
                type_name, version, body = log.conn.execute(
                    f"SELECT type, version, body FROM {FACT_ROWS} WHERE id = ? AND seq_from = ?", (fact_id, seq_from)).fetchone()
                payload = _payload(type_name, version, body)
                name, actor = payload["name"], payload.get("actor") if kind == "unit" else None
            yield entity_id, kind, name, actor


def described_ids(log: Log, kind: str, position: int, limit: int | None = None) -> list[str]:
    """Ids of the entities of `kind` described at `position`, sorted (the first `limit` + 1 at most)."""
    where, args = _live(position)
    cap = -1 if limit is None else limit + 1
    return [r[0] for r in log.conn.execute(
        f"SELECT DISTINCT id FROM {ENTITIES} WHERE kind = ? AND {where} ORDER BY id LIMIT ?", (kind, *args, cap))]



# --- whole ranges of valid time, and the whole log, for the investigation commands and exports -------


def overlapping(log: Log, position: int, lo: int | None = None, hi: int | None = None, *, through: bool = False,
                types=None) -> Iterator[Fact]:
    """The facts standing at `position` whose (narrowed) window reaches into [lo, hi) — [lo, hi] with
    `through` —, either end unbounded when None, of `types` (every timed type when None), in
    valid-time order (window start, then log position), lazily. A window reaches a range when it
    ends after the range's start and starts before its end.

    By where windows open: each type's by the type index, and from `WIDE` before the range's start
    those no wider than that; the wider ones (few) by their own index. So a range costs what it
    holds, and the whole log streams in valid-time order without being held."""
    top = HALF - 1 if hi is None else hi if through else hi - 1
    if lo is None:
        return opening(log, position, None, top, types=types)
    where, args = _live(position)
    types = _types(types)
    cursors = _by_type(log, position, types, lo - WIDE, top, f" AND hi > ? AND hi - lo <= {WIDE}", (lo,))
    if types:
        marks = ", ".join("?" * len(types))
        cursors.append(log.conn.execute(
            f"SELECT lo, seq, {FACT_COLUMNS} FROM {FACT_ROWS} WHERE hi - lo > {WIDE} AND lo <= ? AND hi > ? AND {where} AND type IN ({marks}) "
            "ORDER BY lo, seq", (top, lo, *args, *types)))
    return _merged(cursors)


def opening(log: Log, position: int, start: int | None = None, end: int | None = None, *, types=None) -> Iterator[Fact]:
    """The facts standing at `position` whose (narrowed) window opens from `start` to `end` (both
    included; unbounded when None), of `types` (every timed type when None), in valid-time order,
    lazily: each type's by the type index."""
    return _merged(_by_type(log, position, _types(types), -HALF + 1 if start is None else start, HALF - 1 if end is None else end))


def _types(types) -> list[str]:
    return TIMED if types is None else [t for t in TIMED if t in set(types)]


def _by_type(log: Log, position: int, types: list[str], start: int, end: int, more: str = "", more_args: tuple = ()) -> list:
    """A cursor for each type over the facts whose window opens from `start` to `end`, by the type
    index, each row led by its window's start and log position (`_merged`)."""
    where, args = _live(position)
    return [log.conn.execute(f"SELECT lo, seq, {FACT_COLUMNS} FROM {FACT_ROWS} WHERE {TYPE_TIME} BETWEEN ? AND ?{more} AND {where} "
                             f"ORDER BY {TYPE_TIME}, seq", (*between(TYPE_CODES[type_name], start, end), *more_args, *args))
            for type_name in types]


def _merged(cursors: list) -> Iterator[Fact]:
    """The facts of cursors each in valid-time order, merged (as plain tuples led by start and
    position, which never tie)."""
    for row in heapq.merge(*cursors):
        yield fact_from_row(row[2:])


def each_fact(log: Log, position: int) -> Iterator[tuple[int, str, str, int, int | None, int | None, str, str]]:
    """(seq, id, type, version, lo, hi, body, links) of every fact standing at `position`,
    descriptions too, its window narrowed, in no particular order (the cheapest the tables give): for
    a pass over the whole log."""
    where, args = _live(position)
    return log.conn.execute(f"SELECT seq, id, type, version, lo, hi, body, links FROM {FACT_ROWS} WHERE {where}", args)


def sample_starts(log: Log, position: int, n: int, end: int | None = None) -> tuple[list[int], int]:
    """The window starts of the timed facts standing at `position` and opening by `end` among `n`
    rows of the facts' table picked evenly by rowid, and how many such facts it holds, estimated
    from them (a few point lookups, however long the log)."""
    where, args = _live(position)
    top = log.conn.execute(f"SELECT max(rowid) FROM {FACTS}").fetchone()[0] or 0
    picked = list(range(1, top + 1, max(1, top // max(1, n))))
    starts: list[int] = []
    for chunk in chunks(picked):
        marks = ", ".join("?" * len(chunk))
        starts += [lo for (lo,) in log.conn.execute(f"SELECT lo FROM {FACTS} WHERE rowid IN ({marks}) AND lo IS NOT NULL AND lo <= ? AND {where}",
                                                      (*chunk, HALF - 1 if end is None else end, *args))]
    return starts, (len(starts) * top // len(picked)) if picked else 0


def changed_between(log: Log, first: int, last: int) -> list[str]:
    """Ids of the facts whose standing version at position `first` is not the one at `last` (one of
    their versions begins or ends in between: new, corrected, retracted, narrowed), in no particular
    order. (A pass over the facts' narrow rows, no payloads: there is no index by position.)"""
    return [r[0] for r in log.conn.execute(
        f"SELECT DISTINCT id FROM {FACTS} WHERE (seq_from > ? AND seq_from <= ?) OR (seq_to > ? AND seq_to <= ?)", (first, last, first, last))]


def recorded_of(log: Log, ids, position: int, *, at=()) -> dict[str, tuple[datetime, str | None]]:
    """id -> when the log recorded it and who did (None before the log kept authors), of the entries
    `ids`, and of those at the log positions `at`, recorded by `position`: read from the log's rows,
    as the cache keeps neither. (An entry whose position the caller knows, such as a fact's own, is
    read by it: a lookup by id took twice as long.)"""
    out = {}
    authors: dict[str | None, str | None] = {None: None}  # by provenance: a log's authors are few
    for column, keys in (("id", ids), ("seq", at)):
        for chunk in chunks(sorted(set(keys))):
            marks = ", ".join("?" * len(chunk))
            for i, us, provenance in log.conn.execute(
                    f"SELECT id, recorded, {log.provenance_column()} FROM events WHERE {column} IN ({marks}) AND seq <= ?", (*chunk, position)):
                if provenance not in authors:
                    authors[provenance] = author_of(codec.loads(provenance))
                out[i] = from_micros(us), authors[provenance]
    return out


def window_bounds(log: Log, position: int, end: int | None, ranks: Callable[[int], list[int]]) -> tuple[int, dict[int, int]]:
    """How many bounds the windows of the timed facts standing at `position` and opening by `end` have
    that are dates (their starts and ends strictly inside the calendar, narrowed), and the values at
    the places `ranks(count)` names in their sorted list (0 first): order statistics, by one sort
    SQLite does on disk, so the bounds are never held."""
    where, args = _live(position)
    bounds = (f"SELECT lo AS t FROM {FACTS} WHERE lo IS NOT NULL AND lo <= ? AND lo > ? AND lo < ? AND {where} UNION ALL "
              f"SELECT hi FROM {FACTS} WHERE lo IS NOT NULL AND lo <= ? AND hi > ? AND hi < ? AND {where}")
    top = HALF - 1 if end is None else end
    bound_args = (top, CALENDAR_LO, CALENDAR_HI, *args) * 2
    (count,) = log.conn.execute(f"SELECT count(*) FROM ({bounds})", bound_args).fetchone()
    wanted = sorted(set(ranks(count)))
    if not wanted:
        return count, {}
    marks = ", ".join("?" * len(wanted))
    rows = log.conn.execute(f"SELECT r, t FROM (SELECT t, row_number() OVER (ORDER BY t) - 1 AS r FROM ({bounds})) WHERE r IN ({marks})",
                            (*bound_args, *wanted))
    return count, dict(rows)


def count_facts(log: Log, position: int, *, timed: bool = False) -> int:
    """How many facts stand at `position` (with `timed`, only those with a window)."""
    where, args = _live(position)
    return log.conn.execute(f"SELECT count(*) FROM {FACTS} WHERE {where}" + (" AND lo IS NOT NULL" if timed else ""), args).fetchone()[0]


def last_end(log: Log, position: int, before: int) -> int | None:
    """The latest end of a window, short of `before`, among the facts standing at `position`."""
    where, args = _live(position)
    return log.conn.execute(f"SELECT max(hi) FROM {FACTS} WHERE hi < ? AND {where}", (before, *args)).fetchone()[0]


class EntryRef(NamedTuple):
    """Where an entry is and what it corrects, without its payload."""

    seq: int
    type: str
    target: str | None  # what a correction or retraction acts on; None for anything else


def entries_of(log: Log, ids, position: int) -> dict[str, EntryRef]:
    """id -> EntryRef of the entries `ids` recorded by `position`."""
    out = {}
    for chunk in chunks(sorted(set(ids))):
        marks = ", ".join("?" * len(chunk))
        out.update((i, EntryRef(seq, t, target)) for seq, i, t, target in log.conn.execute(
            f"SELECT seq, id, type, target FROM events WHERE id IN ({marks}) AND seq <= ?", (*chunk, position)))
    return out


def corrections(log: Log, position: int) -> Iterator[tuple[int, str, str]]:
    """(position, id, target) of every correction and retraction recorded by `position`, in log order
    (by the target index: `+` keeps SQLite from reading the whole log by position instead)."""
    return log.conn.execute("SELECT seq, id, target FROM events WHERE target IS NOT NULL AND +seq <= ? ORDER BY seq", (position,))


def members(log: Log, actor: str, position: int) -> list[str]:
    """Ids of the entities that belong to `actor` (a unit to its army) as their latest descriptions
    standing at `position` say, sorted."""
    where, args = _live(position)
    ids = [r[0] for r in log.conn.execute(f"SELECT DISTINCT id FROM {ENTITIES} WHERE actor = ? AND {where}", (actor, *args))]
    latest = {i: a for i, _kind, _name, a in names_of(log, ids, position)}
    return sorted(i for i, a in latest.items() if a == actor)


def named_in(log: Log, position: int, fields) -> set[str]:
    """Every id the facts standing at `position` name in one of `fields` ((type, field) pairs of
    `events.ref_fields`), read out of the stored JSON type by type by the type index; a payload of an
    older schema is read as the current one (`_payload`)."""
    where, args = _live(position)
    wanted: dict[str, list[tuple[str, bool]]] = {}
    for type_name, name in fields:
        many = next(m for f, _k, m in ref_fields(REGISTRY[type_name]) if f == name)
        wanted.setdefault(type_name, []).append((name, many))
    out: set[str] = set()
    for type_name, named in sorted(wanted.items()):
        cls = REGISTRY[type_name]
        code = TYPE_CODES[type_name]
        rows = f"(SELECT body FROM {FACT_ROWS} WHERE {TYPE_TIME} BETWEEN ? AND ? AND version = ? AND {where})"
        bounds = (code * SPAN - HALF, code * SPAN + HALF - 1, cls.version, *args)
        for name, many in named:
            sql = (f"SELECT DISTINCT j.value FROM {rows} AS f, json_each(f.body, '$.{name}') AS j" if many
                   else f"SELECT DISTINCT json_extract(f.body, '$.{name}') FROM {rows} AS f")
            out.update(v for (v,) in log.conn.execute(sql, bounds) if v is not None)
        for version, body in log.conn.execute(
                f"SELECT version, body FROM {FACT_ROWS} WHERE {TYPE_TIME} BETWEEN ? AND ? AND version != ? AND {where}", bounds):
            payload = _payload(type_name, version, body)
            for name, many in named:
                value = payload.get(name)
                out.update(v for v in (value if many else [value]) if v is not None)
    return out
