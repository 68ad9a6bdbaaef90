"""Questions to a log: what it knew at K, and the state of the world at T as known at K."""

from __future__ import annotations

import contextlib
import functools
import itertools
import sqlite3
from datetime import datetime

import attrs

from chrono import codec
from chrono.errors import StorageError
from chrono.store import Log
from chrono.timeval import CALENDAR_HI, CALENDAR_LO, from_micros, iso, to_micros
from events import entity_refs, ref_fields

from . import cache
from .describe import summarize
from .gazetteer import MEMBER_OF, Entity, Gazetteer, Names
from .resolve import Fact, Resolution, resolve
from .rules import CHANNELS, ENDED
from .rules import SECTIONS as KEYED
from .sources import source_matches
from .world import CERTAIN, INITIAL, LIST_NAMES, LISTS, POSSIBLE, UNKNOWN, Cell, Happening, World, answer, effects, fold


class Knowledge:
    """The log as known at `known_at`: effective facts and the gazetteer they describe.

    Read from the materialized cache when there is one (only what a question needs is decoded), or
    from a fold of the log itself (the truth the cache is held to)."""

    def __init__(self, *, known_at: datetime, facts: list[Fact] | None = None, resolution: Resolution | None = None,
                 log: Log | None = None, position: int | None = None):
        self.known_at = known_at
        self.resolution = resolution
        self._facts = facts
        self._log = log
        self.position = position
        self._gazetteer: Gazetteer | None = None

    @property
    def cached(self) -> bool:
        return self._facts is None

    @property
    def facts(self) -> list[Fact]:
        if self._facts is None:
            self._facts = cache.all_facts(self._log, self.position)
        return self._facts

    @property
    def gazetteer(self) -> Gazetteer:
        if self._gazetteer is None:
            if self._facts is None:
                self._gazetteer = Gazetteer.from_payloads(cache.descriptions(self._log, self.position))
            else:
                self._gazetteer = Gazetteer.from_facts(self._facts)
        return self._gazetteer

    def use_gazetteer(self, g: Gazetteer) -> None:
        """Name entities from `g` (the part of the gazetteer a question needs)."""
        self._gazetteer = g

    def entity(self, text: str) -> Entity:
        """The entity `text` names (id, name or alias); an exact id is looked up without reading the
        whole gazetteer."""
        if self._gazetteer is None and self._facts is None:
            found = Gazetteer.from_payloads(cache.described(self._log, [text], self.position)).by_id.get(text)
            if found is not None:
                return found
        return self.gazetteer.lookup(text)

    def fact(self, event_id: str) -> Fact | None:
        """What the log says under `event_id` as known then (None if retracted or not a fact)."""
        if self._facts is None:
            return cache.fact(self._log, event_id, self.position)
        return next((f for f in self._facts if f.id == event_id), None)

    def timed(self) -> list[Fact]:
        return [f for f in self.facts if f.lo is not None]

    def world(self, at: int, facts: list[Fact] | None = None) -> World:
        """The fold at `at` (UTC microseconds) of the timed facts (or of `facts`, some of them), the
        gazetteer saying which units belong to which actor."""
        return fold(self.timed() if facts is None else facts, at, members=self.gazetteer.members)


def knowledge(log: Log, known_at: datetime | None = None, *, use_cache: bool = True) -> Knowledge:
    """What the log knows as known at `known_at` (now by default). A log kept elsewhere (a server's)
    is read through its local copy when it has one (`LogStore.local`)."""
    log = log.local or log
    now = log.clock()
    if use_cache and ensure_cache(log):
        return Knowledge(known_at=known_at or now, log=log, position=cache.position_at(log, known_at))
    resolution = resolve(log.entries(known_at=known_at))
    return Knowledge(known_at=known_at or now, facts=resolution.facts, resolution=resolution)


def ensure_cache(log: Log) -> bool:
    """Bring the cache up to the log's head — by the entries past the head it records when it can
    (`cache.catch_up`), by a rebuild otherwise; False when it cannot be written (a read-only log)."""
    if not isinstance(log, Log):
        return False  # (a log on a server: the cache sits beside its local copy, chrono.replica)
    if cache.is_fresh(log):
        return True
    if log.readonly:
        return False  # (nothing is written beside a log read as it stands: read it without the cache)
    try:
        if not cache.catch_up(log):
            cache.rebuild(log)
    except (StorageError, sqlite3.Error):
        return False
    return True


def world_at(log: Log, valid_at: datetime, known_at: datetime | None = None, *, use_cache: bool = True, source: str | None = None) -> tuple[World, Knowledge]:
    """The fold of every fact at `valid_at` as known at `known_at` (the facts read from the cache when
    `use_cache`); with `source`, only from the events that rest on a source whose outlet, title or
    attribution contains that text. `state` answers the same question from the cache's indexes."""
    k = knowledge(log, known_at, use_cache=use_cache)
    facts = k.timed()
    if source:
        facts = [f for f in facts if source_matches(f.sources, source)]
    return k.world(to_micros(valid_at), facts), k


@attrs.frozen(kw_only=True)
class Listed:
    """A happening read from the cache: its event's fields as stored, its window and status."""

    id: str
    lo: int
    hi: int
    wording: str | None
    gloss: str | None
    fields: dict
    status: str
EMPTY = {channel: answer(Cell(value), value) for channel, value in INITIAL.items()}  # a key nothing has touched
LIMIT = 100  # rows a state gives per section unless asked for all: the latest happenings, the soonest to come
KINDS = {name: c.kind for name, c in CHANNELS.items()}  # the entities each keyed section is of, and its rows' key
SECTIONS = (*KEYED, *LIST_NAMES, "upcoming")


@functools.lru_cache(maxsize=16384)
def instant(us: int, zone: str) -> str | None:
    """A bound of a window in JSON: ISO 8601 in `zone`, or None for an open or unknown end (the
    calendar's edge, where the fold keeps it). (Cached: a document names the same few bounds many
    times, in its rows' windows and their evidence.)"""
    return None if us <= CALENDAR_LO or us >= CALENDAR_HI else iso(from_micros(us), zone)


def _time(f: Fact, zone: str) -> dict:
    return {"earliest": instant(f.lo, zone), "latest": instant(f.hi, zone), "wording": f.valid.wording if f.valid else None,
            "gloss": f.valid.gloss if f.valid else None}


def state_json(world: World, k: Knowledge, *, zone: str) -> dict:
    """The whole `state --json` document of a folded world: every row of every section."""
    return _fold_document(world, k, k.timed(), zone=zone, limit=None, ids=None)[0]


def state(log: Log, valid_at: datetime, known_at: datetime | None = None, *, zone: str, limit: int | None = LIMIT,
          entities: set[str] | None = None, source: str | None = None, use_cache: bool = True) -> tuple[dict, Gazetteer | Names]:
    """The `state --json` document at `valid_at` as known at `known_at`, and the names of what it
    mentions (the gazetteer, or, read from the cache, just the names it needs). With `limit`, each
    section gives at most that many rows and `more` says which were cut: a keyed section then gives
    the most recently touched keys (by their latest effect that began by T), most recent first; a
    list its latest happenings; `upcoming` the soonest. With `entities` (ids), only their rows and
    the happenings naming them.

    Read from the cache's indexes when it is fresh (the work grows with `limit` and the keys' own
    histories, not with the log), else from the fold; the property tests hold the two equal."""
    k = knowledge(log, known_at, use_cache=use_cache)
    at = to_micros(valid_at)
    if k.cached and not source:
        with _one_read(log):
            return _cached_document(log, k, at, zone=zone, limit=limit, ids=entities)
    facts = k.timed()
    if source:
        facts = [f for f in facts if source_matches(f.sources, source)]
    return _fold_document(k.world(at, facts), k, facts, zone=zone, limit=limit, ids=entities)


@contextlib.contextmanager
def _one_read(log: Log):
    """One read transaction around a document's many queries (hundreds): each sees the files as the
    first did, and SQLite takes its locks on the log and the cache files once, not once a query."""
    conn = log.conn
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")  # (nothing was written: it ends the read)


def _cut_keys(keys: list[str], ranks: dict[str, tuple], limit: int | None) -> tuple[list[str], bool]:
    """All `keys` by id when they fit; else the `limit` most recently touched, most recent first."""
    if limit is None or len(keys) <= limit:
        return sorted(keys), False
    ranked = sorted(((ranks[key], key) for key in keys if key in ranks), reverse=True)
    return [key for _, key in ranked[:limit]], True


def _fold_document(world: World, k: Knowledge, facts: list[Fact], *, zone: str, limit: int | None, ids: set[str] | None) -> tuple[dict, Gazetteer]:
    g = k.gazetteer
    at = world.at
    ranks: dict[str, dict[str, tuple]] = {c: {} for c in INITIAL}
    for f in facts:
        if f.lo <= at:
            for channel, key, _op in effects(f.event):
                ranks[channel][key] = max(ranks[channel].get(key, (f.lo, f.seq)), (f.lo, f.seq))
    keyed: dict[str, tuple[list, bool]] = {}
    joined = {channel: world.answers(channel) for channel in {j for c in KEYED for j in CHANNELS[c].joins}}
    for channel in KEYED:
        answers = world.answers(channel)
        keys = {e.id for e in g.of_kind(KINDS[channel])} | {key for key in answers if CHANNELS[channel].lists(g.kind(key))}
        if ids is not None:
            keys &= ids
        chosen, more = _cut_keys(list(keys), ranks[channel], limit)
        keyed[channel] = ([(key, answers.get(key), {j: joined[j].get(key) for j in CHANNELS[channel].joins}) for key in chosen], more)
    lists: dict[str, tuple[list, bool]] = {}
    for name in LIST_NAMES:
        items = world.lists[name]
        if ids is not None:
            items = [h for h in items if ids & _refs_of(h.fact.event)]
        lists[name] = _latest(items, limit)
    later = sorted((f for f in facts if f.lo > at and (ids is None or ids & _refs_of(f.event))), key=lambda f: (f.lo, f.seq))
    upcoming = _first(later, limit)
    return _document(at, k.known_at, keyed, lists, upcoming, g, zone=zone, limit=limit), g


def _latest(items: list, limit: int | None) -> tuple[list, bool]:
    """The last `limit` of `items` (all when None), and whether any were left out."""
    if limit is None or len(items) <= limit:
        return items, False
    return items[-limit:], True


def _first(items, limit: int | None) -> tuple[list, bool]:
    """The first `limit` of `items` (an iterable, read no further than needed), and whether there are more."""
    got = list(itertools.islice(items, None if limit is None else limit + 1))
    if limit is not None and len(got) > limit:
        return got[:limit], True
    return got, False


def _refs_of(ev) -> set[str]:
    return {v for _, _, v in entity_refs(ev)}


def _cached_document(log: Log, k: Knowledge, at: int, *, zone: str, limit: int | None, ids: set[str] | None) -> tuple[dict, Names]:
    pos = k.position
    names = Names()  # of the entities looked up so far
    asked: set[str] = set()

    def learn(entity_ids) -> None:
        new = [i for i in entity_ids if i not in asked]
        asked.update(new)
        names.update(cache.names_of(log, new, pos))

    keyed: dict[str, tuple[list, bool]] = {}
    ends = cache.ends_by(log, at, pos)  # (few: read once for every key they may reach)
    for channel in KEYED:
        kind = KINDS[channel]
        fits = lambda key: CHANNELS[channel].lists(names.kind(key))  # noqa: E731
        if ids is not None:
            learn(ids)
            read = {key: cache.key_cell(log, channel, key, at, pos, ends=ends) for key in ids}
            cells = {key: cell for key, (cell, _rank) in read.items() if cell is not None}
            keys = [i for i in ids if names.kind(i) == kind or (i in cells and fits(i))]
            chosen, more = _cut_keys(keys, {key: rank for key, (cell, rank) in read.items() if cell is not None}, limit)
        else:
            described = cache.described_ids(log, kind, pos, limit)
            if limit is not None and len(described) > limit:
                chosen, more = _recent(log, channel, at, pos, limit, learn, fits), True
            else:
                recent = _recent(log, channel, at, pos, None if limit is None else limit + 1, learn, fits)
                keys = set(described) | set(recent)
                if limit is not None and len(keys) > limit:
                    chosen, more = recent[:limit], True
                else:
                    chosen, more = sorted(keys), False
            cells = {key: cache.key_cell(log, channel, key, at, pos, ends=ends)[0] for key in chosen}
        keyed[channel] = ([(key, _answer_of(channel, cells.get(key)),
                            {j: _answer_of(j, cache.key_cell(log, j, key, at, pos, ends=ends)[0]) for j in CHANNELS[channel].joins})
                           for key in chosen], more)
    lists: dict[str, tuple[list, bool]] = {}
    if ids is None:
        for cls, name in LISTS.items():
            rows = cache.latest_listed(log, cls.type_name, at, pos, limit)
            items = [Listed(id=fid, lo=lo, hi=hi, wording=(m := codec.loads(meta)).get("wording"), gloss=m.get("gloss"), fields=codec.loads(body),
                            status=CERTAIN if hi <= at else POSSIBLE) for _t, fid, lo, hi, meta, body in rows]
            lists[name] = _latest(items, limit)
        later = _first(cache.opening(log, pos, at + 1), limit)
    else:
        named: dict[str, list[Happening]] = {name: [] for name in LIST_NAMES}
        for f in cache.naming(log, ids, pos, until=at, types=[cls.type_name for cls in LISTS]):
            named[LISTS[type(f.event)]].append(Happening(fact=f, status=CERTAIN if f.hi <= at else POSSIBLE))
        for name, items in named.items():
            lists[name] = _latest(items, limit)
        later = _first(cache.naming(log, ids, pos, after=at), limit)
    needed: set[str] = set()
    for channel, (rows, _more) in keyed.items():
        for key, a, _joined in rows:
            needed.add(key)
            if a is not None:
                needed.update(strings_in(a.value))
                needed.update(x for c in a.candidates for x in strings_in(c))
                if a.last is not None:
                    needed.update(strings_in(a.last[0]))
    for cls, name in LISTS.items():
        for h in lists[name][0]:
            if isinstance(h, Listed):
                needed.update(x for field in _REF_FIELDS[cls] for x in strings_in(h.fields.get(field)))
            else:
                needed.update(_refs_of(h.fact.event))
    for f in later[0]:
        needed.update(_refs_of(f.event))
    learn(needed)
    return _document(at, k.known_at, keyed, lists, later, names, zone=zone, limit=limit), names


def _answer_of(channel: str, cell: Cell | None):
    return None if cell is None else answer(cell, CHANNELS[channel].initial)


def strings_in(value) -> list[str]:
    """Every string in a JSON-shaped value (the ids an answer's value may name)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in strings_in(v)]
    return []


def _recent(log: Log, channel: str, at: int, pos: int, limit: int | None, learn, fits) -> list[str]:
    """Up to `limit` keys of `channel` by recency that belong in its section."""
    out: list[str] = []
    for batch in _batched(cache.recent_keys(log, channel, at, pos), 64):
        learn(batch)
        out.extend(key for key in batch if fits(key))
        if limit is not None and len(out) >= limit:
            return out[:limit]
    return out


def _batched(items, n: int):
    it = iter(items)
    while batch := tuple(itertools.islice(it, n)):
        yield batch


def _window(step, zone: str) -> dict | None:
    return None if step is None else {"earliest": instant(step.lo, zone), "latest": instant(step.hi, zone)}


def keyed_json(channel: str, a, zone: str) -> dict:
    """What `state --json` says of one key's answer: the value's fields, the status and candidates
    (`answer_json`), since when (the window of the evidence its value rests on), the last known value
    when it is not certain (`last_seen`), the newest evidence behind it, and the events."""
    a = a or EMPTY[channel]
    last = None
    if a.last is not None:
        value, step = a.last
        last = {**CHANNELS[channel].fields(value), "event": step.id, "time": _window(step, zone),
                "how": "ended" if step.kind == ENDED else "observed"}
    evidence = None if a.evidence is None else {"event": a.evidence.id, **_window(a.evidence, zone)}
    return {**answer_json(channel, a), "since": _window(a.settled, zone), "last_seen": last, "evidence": evidence, "events": list(a.events)}


def _document(at: int, known_at: datetime, keyed: dict, lists: dict, upcoming: tuple, g: Gazetteer | Names, *, zone: str, limit: int | None) -> dict:
    def row(channel: str, key: str, a, joined: dict) -> dict:
        out = {KINDS[channel]: key, "name": g.name(key)}
        if KINDS[channel] in MEMBER_OF:  # (a unit's army)
            out["actor"] = g.actor(key)
        out.update(keyed_json(channel, a, zone))
        for j, ja in joined.items():
            out[j] = None if ja is None or ja.status == UNKNOWN else {
                **answer_json(j, ja), "since": _window(ja.settled, zone), "events": list(ja.events)}
        return out

    out = {"valid_at": iso(from_micros(at), zone), "known_at": iso(known_at, zone), "limit": limit}
    more = {}
    for channel, (rows, cut) in keyed.items():
        out[channel] = [row(channel, key, a, joined) for key, a, joined in rows]
        more[channel] = cut
    for name in LIST_NAMES:
        items, cut = lists[name]
        out[name] = [_happening_json(h, zone) for h in items]
        more[name] = cut
    # What the log says is still to come: the facts whose windows open after T, soonest first.
    later, cut = upcoming
    out["upcoming"] = [
        {"type": f.type_name, "summary": summarize(f.event, g), "time": _time(f, zone), "event": f.id,
         "entities": sorted(_refs_of(f.event))}
        for f in later
    ]
    more["upcoming"] = cut
    out["more"] = more
    return out


_REF_FIELDS = {cls: [name for name, _kind, _many in ref_fields(cls)] for cls in LISTS}


def answer_json(channel: str, a) -> dict:
    """The fields `state --json` gives for one keyed answer (without since and events): the value's
    fields (`rules.Channel.fields`), the first followed by the status and what the candidates say of it."""
    c = CHANNELS[channel]
    (first, value), *rest = c.fields(a.value).items()
    return {first: value, "status": a.status, "candidates": _unique(c.candidate(v) for v in a.candidates), **dict(rest)}


def _unique(values) -> list:
    return list(dict.fromkeys(values))


def _happening_json(h: Happening | Listed, zone: str) -> dict:
    if isinstance(h, Listed):
        fields, lo, hi, wording, gloss, event_id = h.fields, h.lo, h.hi, h.wording, h.gloss, h.id
    else:
        f = h.fact
        fields, lo, hi, event_id = codec.unstructure_event(f.event), f.lo, f.hi, f.id
        wording, gloss = (f.valid.wording, f.valid.gloss) if f.valid else (None, None)
    time = {"earliest": instant(lo, zone), "latest": instant(hi, zone), "wording": wording, "gloss": gloss}
    return {**{k: list(v) if isinstance(v, (list, tuple)) else v for k, v in fields.items()}, "time": time, "status": h.status, "event": event_id}
