"""Questions to a log: what it knew at K, and the state of the world at T as known at K."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import attrs

from chrono import codec
from chrono.errors import StorageError
from chrono.store import Log
from chrono.timeval import from_micros, iso, to_micros
from events import entity_refs

from . import cache
from .describe import summarize
from .gazetteer import Gazetteer
from .resolve import Fact, Resolution, resolve
from .world import CERTAIN, CONTROL, INITIAL, LIST_NAMES, LISTS, POSSIBLE, UNIT, WHERE, Cell, Happening, World, answer, fold, fold_steps


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

    def fact(self, event_id: str) -> Fact | None:
        """What the log says under `event_id` as known then (None if retracted or not a fact)."""
        if self._facts is None:
            return cache.fact(self._log, event_id, self.position)
        return next((f for f in self._facts if f.id == event_id), None)

    def timed(self) -> list[Fact]:
        return [f for f in self.facts if f.lo is not None]

    def upcoming(self, at: int, limit: int) -> tuple[list[Fact], int]:
        """The first `limit` facts whose window opens after `at`, soonest first, and how many there are."""
        if self._facts is None:
            return cache.facts_after(self._log, at, self.position, limit)
        later = sorted((f for f in self.facts if f.lo is not None and f.lo > at), key=lambda f: (f.lo, f.seq))
        return later[:limit], len(later)


def knowledge(log: Log, known_at: datetime | None = None, *, use_cache: bool = True) -> Knowledge:
    now = log.clock()
    if use_cache and ensure_cache(log):
        return Knowledge(known_at=known_at or now, log=log, position=cache.position_at(log, known_at))
    resolution = resolve(log.entries(known_at=known_at))
    return Knowledge(known_at=known_at or now, facts=resolution.facts, resolution=resolution)


def ensure_cache(log: Log) -> bool:
    """Bring the cache up to the log's head; False when it cannot be written (a read-only log)."""
    if cache.is_fresh(log):
        return True
    try:
        cache.rebuild(log)
    except (StorageError, sqlite3.Error):
        return False
    return True


def world_at(log: Log, valid_at: datetime, known_at: datetime | None = None, *, use_cache: bool = True, source: str | None = None) -> tuple[World, Knowledge]:
    """The world at `valid_at` as known at `known_at`; with `source`, only from the events that rest on
    a source whose outlet, title or attribution contains that text."""
    k = knowledge(log, known_at, use_cache=use_cache)
    at = to_micros(valid_at)
    if k.cached and not source:
        # Index range scans: the keyed effects and the listed happenings that began by T.
        cells = fold_steps(cache.steps_until(log, at, k.position), at)
        lists: dict[str, list[Happening]] = {name: [] for name in LIST_NAMES}
        # The lists show each happening's fields as stored (the canonical JSON of the event) and its
        # time: nothing needs decoding into event objects.
        for type_name, fid, lo, hi, meta, body in cache.listed_until(log, at, k.position, LIST_TYPES):
            lists[LIST_OF_TYPE[type_name]].append(
                Listed(id=fid, lo=lo, hi=hi, wording=codec.loads(meta).get("wording"), fields=codec.loads(body),
                       status=CERTAIN if hi <= at else POSSIBLE))
        return World(at=at, cells=cells, lists=lists), k
    facts = k.timed()
    if source:
        from .investigate import source_matches

        facts = [f for f in facts if source_matches(f.sources, source)]
    return fold(facts, at), k


LIST_TYPES = tuple(cls.type_name for cls in LISTS)
LIST_OF_TYPE = {cls.type_name: name for cls, name in LISTS.items()}


@attrs.frozen(kw_only=True)
class Listed:
    """A happening read from the cache: its event's fields as stored, its window and status."""

    id: str
    lo: int
    hi: int
    wording: str | None
    fields: dict
    status: str
EMPTY = {channel: answer(Cell(value)) for channel, value in INITIAL.items()}  # a key nothing has touched
UPCOMING = 100  # a state lists the next hundred happenings after T, and says how many more there are


def _time(f: Fact, zone: str) -> dict:
    return {"earliest": iso(from_micros(f.lo), zone), "latest": iso(from_micros(f.hi), zone), "wording": f.valid.wording if f.valid else None}


def state_json(world: World, k: Knowledge, *, zone: str) -> dict:
    """The `state --json` document (see the README for its shape)."""
    g = k.gazetteer
    since = lambda a: iso(from_micros(a.settled.lo), zone) if a.settled else None  # noqa: E731

    def row(channel: str, key: str, a) -> dict:
        return {**answer_json(channel, a), "since": since(a), "events": list(a.events)}

    control = []
    answers = world.answers(CONTROL)
    for place in sorted(set(answers) | {e.id for e in g.of_kind("place")}):
        control.append({"place": place, "name": g.name(place), **row(CONTROL, place, answers.get(place) or EMPTY[CONTROL])})
    whereabouts = []
    answers = world.answers(WHERE)
    people = {e.id for e in g.of_kind("person")} | {p for p in answers if g.kind(p) in (None, "person")}
    for person in sorted(people):
        whereabouts.append({"person": person, "name": g.name(person), **row(WHERE, person, answers.get(person) or EMPTY[WHERE])})
    units = []
    answers = world.answers(UNIT)
    for unit in sorted(set(answers) | {e.id for e in g.of_kind("unit")}):
        entity = g.by_id.get(unit)
        units.append({"unit": unit, "name": g.name(unit), "actor": entity.details.get("actor") if entity else None,
                      **row(UNIT, unit, answers.get(unit) or EMPTY[UNIT])})
    out = {
        "valid_at": iso(from_micros(world.at), zone),
        "known_at": iso(k.known_at, zone),
        "control": control,
        "whereabouts": whereabouts,
        "units": units,
    }
    for name in LIST_NAMES:
        out[name] = [_happening_json(h, zone) for h in world.lists[name]]
    # What the log says is still to come: the facts whose windows open after T, soonest first.
    later, total = k.upcoming(world.at, UPCOMING)
    out["upcoming"] = [
        {"type": f.type_name, "summary": summarize(f.event, g), "time": _time(f, zone), "event": f.id,
         "entities": sorted({v for _, _, v in entity_refs(f.event)})}
        for f in later
    ]
    out["upcoming_total"] = total
    return out


def answer_json(channel: str, a) -> dict:
    """The fields `state --json` gives for one keyed answer (without since and events)."""
    if channel == CONTROL:
        return {"controller": a.value[0], "status": a.status, "candidates": _unique(c[0] for c in a.candidates), "contested_with": list(a.value[1])}
    if channel == WHERE:
        return {"place": a.value[0], "status": a.status, "candidates": _unique(c[0] for c in a.candidates), "alive": a.value[1]}
    return {"status": a.status, "state": a.value, "candidates": list(a.candidates)}


def _unique(values) -> list:
    return list(dict.fromkeys(values))


def _happening_json(h: Happening | Listed, zone: str) -> dict:
    if isinstance(h, Listed):
        fields, lo, hi, wording, event_id = h.fields, h.lo, h.hi, h.wording, h.id
    else:
        f = h.fact
        fields, lo, hi, wording, event_id = codec.unstructure_event(f.event), f.lo, f.hi, f.valid.wording if f.valid else None, f.id
    time = {"earliest": iso(from_micros(lo), zone), "latest": iso(from_micros(hi), zone), "wording": wording}
    return {**{k: list(v) if isinstance(v, (list, tuple)) else v for k, v in fields.items()}, "time": time, "status": h.status, "event": event_id}


def only_entities(doc: dict, ids: set[str], k: Knowledge) -> dict:
    """The state document cut down to what concerns `ids`: their own rows, and happenings naming them."""
    out = dict(doc)
    for key, field in (("control", "place"), ("whereabouts", "person"), ("units", "unit")):
        out[key] = [row for row in doc[key] if row[field] in ids]
    ref_fields = {LISTS[cls]: [a.name for a in attrs.fields(cls) if a.metadata.get("ref")] for cls in LISTS}
    for name in LIST_NAMES:
        out[name] = [h for h in doc[name] if ids & _named(h, ref_fields[name])]
    out["upcoming"] = [u for u in doc["upcoming"] if ids & set(u["entities"])]
    out["upcoming_total"] = len(out["upcoming"])
    return out


def _named(happening: dict, fields: list[str]) -> set[str]:
    named = set()
    for name in fields:
        value = happening.get(name)
        named.update(value if isinstance(value, list) else [value] if value else [])
    return named
