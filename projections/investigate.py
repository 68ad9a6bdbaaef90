"""Investigating a chronology: an entity's history, one event whole, diffs of the world and of our
beliefs, a readable timeline, the sources, and a consistency check. Pure functions over Knowledge;
each returns a JSON-ready document that the CLI prints as it is (`--json`) or renders for people.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import datetime

import attrs

from chrono import codec
from chrono.entry import Entry
from chrono.errors import ChronoError, UnknownEventError
from chrono.store import Log
from chrono.timeval import CALENDAR_HI, CALENDAR_LO, ValidTime, from_micros, iso, to_micros, wall, zone_info
from events import REGISTRY, Event, EventCorrected, EventRetracted, Source, entity_refs

from .describe import answer_words, summarize, value_text
from .gazetteer import Entity, Gazetteer, Naming
from .sources import attribution, source_matches, sources_json
from . import cache
from .query import Knowledge, answer_json, ensure_cache, keyed_json, knowledge
from .resolve import Fact, Resolution, ordering_conflicts, resolve
from .rules import (
    CHANGED, CHANNEL_OF_KIND, CHANNELS, CONTROL, DESCRIPTIONS, END_OPS, ENDED, EXPIRED, HOLDER, OBSERVATION, OBSERVED, OPS, RULES, SECTIONS, UNIT,
    WHERE, rule_of,
)
from .world import INITIAL, Answer, Op, Step, World, answer, effects, valid_order

CHANNEL_TITLES = {CONTROL: "control", WHERE: "whereabouts", UNIT: "units"}

# The fastest way between two places we allow for when asking whether one person could have been at
# both: a jet at 1000 km/h. Places without coordinates still take a minute to leave.
TRAVEL_KMH = 1000.0
MIN_TRAVEL_US = 60_000_000


def load(log: Log, known_at: datetime | None = None) -> Knowledge:
    """The log as known at `known_at`, with its resolution (retractions, raw entries) kept."""
    return knowledge(log, known_at, use_cache=False)


def load_for(log: Log, entity: Entity, known_at: datetime | None = None, *, mentions: bool = True) -> Knowledge:
    """What `history` needs of the log for one entity, as known at `known_at`, read through the cache's
    indexes: for a place, person or unit, the facts any version of which names it (without
    `mentions`, only those any version of which changes it: its channel's keyed effects on it, all a
    history without --mentions shows or computes from); for an actor, those naming it or its units
    and every fact of control on a place any of them has an effect on (what such a place's holder
    was before and after, which an actor's history compares, rests on all of them). With them the
    actors' ends (which reach any holder and unit), as the cache stands at K, windows narrowed, their
    entries and every correction and retraction of them, and the names they mention. A log whose
    cache cannot be brought up to date is read whole."""
    if not ensure_cache(log):
        return load(log, known_at)
    position = cache.position_at(log, known_at)
    if entity.kind == "actor":
        ids = [i for who in (entity.id, *cache.members(log, entity.id, position)) for i in cache.naming_ids(log, who, position)]
        places = {key for e in cache.chains(log, ids, position) for ev in _versions_of(e) for channel, key, _op in effects(ev) if channel == CONTROL}
        ids += [i for place in sorted(places) for i in cache.naming_ids(log, place, position, channels=(CONTROL,))]
    else:
        channel = CHANNEL_OF_KIND[entity.kind]
        ids = cache.naming_ids(log, entity.id, position, channels=None if mentions else (channel, *CHANNELS[channel].joins))
    ids = list(dict.fromkeys([*ids, *cache.ending_ids(log, position)]))  # (an actor's end may reach it)
    entries = cache.chains(log, ids, position)
    chain = resolve(entries)
    # The chains resolve as the whole log does; only ordering constraints, which may link them to
    # facts outside, narrow windows further: take those from the cache.
    windows = cache.windows_of(log, ids, position)
    facts = [f if (f.lo, f.hi) == windows[f.id] else attrs.evolve(f, lo=windows[f.id][0], hi=windows[f.id][1])
             for f in chain.facts if f.id in windows]
    k = Knowledge(known_at=known_at or log.clock(), facts=facts,
                  resolution=Resolution(facts=facts, retracted=chain.retracted, entries=chain.entries))
    named = {entity.id}  # (every fact's event is an entry's or a correction's replacement)
    for e in entries:
        named.update(v for ev in _versions_of(e) for _, _, v in entity_refs(ev))
    k.use_gazetteer(Gazetteer.from_payloads(cache.described(log, named, position)))
    return k


def _versions_of(e: Entry) -> list[Event]:
    """An entry's event, and a correction's replacement too: every version a fact may take from it."""
    return [e.event, e.event.replacement] if isinstance(e.event, EventCorrected) else [e.event]


# --- shared pieces ---------------------------------------------------------------------------------


def window_valid(lo: int, hi: int, zone: str) -> ValidTime:
    """A window as a ValidTime, its ends at the calendar's edge read as open."""
    start, end = ("open" if lo <= CALENDAR_LO else "bounded"), ("open" if hi >= CALENDAR_HI else "bounded")
    return ValidTime(earliest=None if start == "open" else from_micros(lo), latest=None if end == "open" else from_micros(hi),
                     precision="interval", zone=zone, start=start, end=end)


def valid_json(valid: ValidTime | None, zone: str, lo: int | None = None, hi: int | None = None) -> dict | None:
    """A valid time for people and programs: bounds, precision, the source's wording, an honest
    reading, and the window narrowed by ordering constraints when that is tighter."""
    if valid is None:
        return None
    out = {
        "earliest": iso(valid.earliest, zone), "latest": iso(valid.latest, zone), "precision": valid.precision,
        "wording": valid.wording, "gloss": valid.gloss, "qualifier": valid.qualifier, "described": valid.describe(), "narrowed": None,
    }
    if lo is not None and (lo, hi) != (valid.lo, valid.hi):
        narrowed = window_valid(lo, hi, valid.zone)
        out["narrowed"] = {"earliest": iso(narrowed.earliest, zone), "latest": iso(narrowed.latest, zone), "described": narrowed.describe()}
    return out


def involved(ev: Event) -> set[str]:
    """Every entity an event refers to or changes."""
    return {v for _f, _k, v in entity_refs(ev)} | {key for _c, key, _t in effects(ev)}


def concerns(ev: Event) -> set[str]:
    """Every entity an event is about: those it involves, and the one a description describes."""
    d = DESCRIPTIONS.get(ev.type_name)
    return involved(ev) | ({getattr(ev, d.id_field)} if d else set())


def entries_concerning(entries: Iterable[Entry], *, entities: Collection[str] = (), source: str | None = None) -> Iterator[Entry]:
    """The entries (in the order given) whose event (a correction's replacement) concerns one of
    `entities` and rests on a source matching `source` (each filter when given), with every
    correction and retraction of an entry given, and of those."""
    shown: set[str] = set()
    for e in entries:
        ev = e.event.replacement if isinstance(e.event, EventCorrected) else e.event
        own = not isinstance(ev, EventRetracted) and (not entities or bool(concerns(ev) & set(entities))) and source_matches(e.sources, source)
        if own or e.target in shown:
            shown.add(e.id)
            yield e


def value_json(channel: str, value) -> dict:
    return CHANNELS[channel].fields(value)


def answer_text(channel: str, a: Answer, g: Naming) -> str:
    """An answer in words (`describe.answer_words`)."""
    return answer_words(channel, keyed_json(channel, a, "UTC"), g)


def keyed_changes(facts: list[Fact], members: Callable[[str], Iterable[str]] = lambda actor: ()) -> list[tuple]:
    """Every keyed effect in valid-time order as (fact, channel, key, value before, value after, kind),
    applying each fact as if it had certainly happened in that order: a change moves the key's value;
    an observation (kind OBSERVED) says what it was in its window and leaves it as it was; an actor's
    end (kind ENDED) reaches the keys whose value names the actor, and its `members`' standing, and
    leaves them unknown (`rules.Channel.on_end`). An effect that does not act on the value (another
    actor's withdrawal) is no part of the key's history."""
    running: dict[tuple[str, str], object] = {}
    out = []

    def apply(f: Fact, channel: str, key: str, op: Op, kind: str) -> None:
        before = running.get((channel, key), INITIAL[channel])
        if not OPS[op.name].acts(before, op.arg):
            return
        after = op(before)
        after = INITIAL[channel] if after == EXPIRED else after
        if kind != OBSERVED:
            running[(channel, key)] = after
        out.append((f, channel, key, before, after, kind))

    for f in valid_order(facts):
        rule = rule_of(f.type_name)
        for channel, key, op in effects(f.event):
            apply(f, channel, key, op, OBSERVED if rule.settles == OBSERVATION else CHANGED)
        if rule.ends is not None:
            actor = getattr(f.event, rule.ends)
            for name, c in CHANNELS.items():
                if c.on_end is not None:
                    keys = [k for ch, k in running if ch == name] if c.on_end == HOLDER else members(actor)
                    for key in keys:
                        apply(f, name, key, Op(END_OPS[c.on_end], actor), ENDED)
    return out


def _fact_row(f: Fact, g: Naming, zone: str) -> dict:
    return {
        "event": f.id, "type": f.type_name, "summary": summarize(f.event, g), "valid": valid_json(f.valid, zone, f.lo, f.hi),
        "sources": sources_json(f.sources), "attribution": attribution(f.sources), "via": sorted_chain(f.via, None),
    }


def sorted_chain(ids, entries: dict[str, Entry] | None) -> list[str]:
    # The corrections behind a fact, in the order they were recorded (ids sort by position when known).
    if entries is None:
        return list(ids)
    return sorted(ids, key=lambda i: entries[i].seq if i in entries else 0)


def _entity_json(e: Entity) -> dict:
    return {"id": e.id, "kind": e.kind, "name": e.name, "aliases": list(e.aliases)}


# --- history ---------------------------------------------------------------------------------------


def _actor_in(channel: str, value, actor: str) -> bool:
    return channel == CONTROL and (value[0] == actor or actor in value[1])


def history(k: Knowledge, entity: Entity, *, zone: str, mentions: bool = False, source: str | None = None,
            author: str | None = None) -> dict:
    """Every change to one entity in valid-time order, with retracted and corrected events shown.

    A place's history is its control, a person's their whereabouts (and death), a unit's its state; an
    actor's is every place it gained or lost and every change to its units. `mentions` adds every other
    event that names the entity.

    Each row says who recorded its event (`author`) and who recorded what the row says now
    (`recorded_by`: the author of its latest correction, or of the retraction, else the event's own),
    as an export's recorded_utc is when the log learned what a row says now. `author` keeps the rows
    whose `recorded_by` it is."""
    res = k.resolution
    g = k.gazetteer
    eid = entity.id
    own_channel = CHANNEL_OF_KIND.get(entity.kind)
    # (Its channel, and those whose answers its rows carry: a unit's orders.)
    own = (own_channel, *CHANNELS[own_channel].joins) if own_channel else ()
    units_of = {u.id for u in g.of_kind("unit") if g.actor(u.id) == eid} if entity.kind == "actor" else set()
    rows: list[dict] = []
    seen: set[str] = set()
    for f, channel, key, before, after, kind in keyed_changes(k.timed(), g.members):
        if entity.kind == "actor":
            hit = (key in units_of) or (before != after and (_actor_in(channel, before, eid) or _actor_in(channel, after, eid)))
        else:
            hit = key == eid and channel in own
        if not hit:
            continue
        row = _fact_row(f, g, zone)
        row["via"] = sorted_chain(f.via, res.entries)
        row.update(status="corrected" if f.via else "stands", channel=channel, key=key, key_name=g.name(key), kind=kind,
                   before=value_json(channel, before), value=value_json(channel, after), changed=before != after,
                   value_text=value_text(channel, after, g),
                   original=_original(res.entries[f.id], g) if f.via else None, retracted_by=None, _order=(f.lo, f.seq))
        rows.append(row)
        seen.add(f.id)
    facts = {f.id: f for f in k.facts}

    control_types = tuple(REGISTRY[t] for t, rule in RULES.items() if any(e.channel == CONTROL for e in rule.effects))

    def touches(ev: Event) -> bool:
        if ev.timeless:
            return False
        if mentions:
            inv = involved(ev)
            return eid in inv or bool(units_of & inv)
        if entity.kind == "actor":
            return isinstance(ev, control_types) and eid in involved(ev) or any(key in units_of for _c, key, _t in effects(ev))
        return any(key == eid and c in own for c, key, _t in effects(ev))

    if mentions:
        for f in k.timed():
            if f.id not in seen and touches(f.event):
                row = _fact_row(f, g, zone)
                row["via"] = sorted_chain(f.via, res.entries)
                row.update(status="corrected" if f.via else "stands", channel=None, key=None, key_name=None, before=None, value=None, changed=None,
                           value_text=None, original=_original(res.entries[f.id], g) if f.via else None, retracted_by=None,
                           _order=(f.lo, f.seq))
                rows.append(row)
                seen.add(f.id)
    for e in res.entries.values():
        # Only a retracted or corrected event can add a row here: look no further at the others.
        if (e.event.correction or e.valid is None or e.id in seen
                or not (e.id in res.retracted or e.id in facts and facts[e.id].via) or not touches(e.event)):
            continue
        if e.id in res.retracted:
            status, retracted_by, via = "retracted", res.retracted[e.id], []
        elif e.id in facts and facts[e.id].via and not touches(facts[e.id].event):
            status, retracted_by, via = "corrected-away", None, sorted_chain(facts[e.id].via, res.entries)
        else:
            continue
        rows.append({
            "event": e.id, "type": e.type_name, "summary": summarize(e.event, g), "valid": valid_json(e.valid, zone),
            "sources": sources_json(e.sources), "attribution": attribution(e.sources), "via": via, "status": status,
            "channel": None, "key": None, "key_name": None, "before": None, "value": None, "value_text": None,
            "original": None, "retracted_by": retracted_by, "changed": None,
            "now": summarize(facts[e.id].event, g) if status == "corrected-away" else None, "_order": (e.valid.lo, e.seq),
        })
    for r in rows:
        now = r["retracted_by"] or (r["via"][-1] if r["via"] else r["event"])
        r["author"], r["recorded_by"] = _author(res.entries, r["event"]), _author(res.entries, now)
    rows = [r for r in rows if source_matches(_sources_of(r), source) and (author is None or r["recorded_by"] == author)]
    rows.sort(key=lambda r: r.pop("_order"))
    return {"entity": _entity_json(entity), "known_at": iso(k.known_at, zone), "source": source, "author": author, "changes": rows}


def _author(entries: dict[str, Entry], event_id: str) -> str | None:
    e = entries.get(event_id)
    return e.author if e is not None else None


def _original(e: Entry, g: Gazetteer) -> str:
    return summarize(e.event, g) + (f", {e.valid.describe()}" if e.valid else "")


def _sources_of(row: dict) -> tuple[Source, ...]:
    return tuple(Source(**s) for s in row["sources"])


# --- show ------------------------------------------------------------------------------------------


def root_of(entry: Entry, entries: dict[str, Entry]) -> Entry:
    """The entry about the world that a correction (or a chain of them) ultimately acts on."""
    seen = set()
    while entry.event.correction and entry.event.target in entries and entry.id not in seen:
        seen.add(entry.id)
        entry = entries[entry.event.target]
    return entry


def show(k: Knowledge, event_id: str, *, zone: str) -> dict:
    """One entry whole: both times, sources, order links, its correction chain both ways, and what the
    log now says under its id."""
    res = k.resolution
    g = k.gazetteer
    entry = res.entries.get(event_id)
    if entry is None:
        raise UnknownEventError(f"no event {event_id!r} in the log as known at {iso(k.known_at, zone)}")
    facts = {f.id: f for f in res.facts}
    children: dict[str, list[Entry]] = defaultdict(list)
    for e in res.entries.values():
        if e.target is not None:
            children[e.target].append(e)
    root = root_of(entry, res.entries)
    root_fact = facts.get(root.id)

    def status_of(e: Entry) -> str:
        if e.id in res.retracted:
            return "retracted"
        if not e.event.correction:
            return "corrected" if facts.get(e.id) and facts[e.id].via else "stands"
        if isinstance(e.event, EventRetracted):
            return "in effect" if res.retracted.get(e.event.target) == e.id else "overridden"
        return "in effect" if root_fact is not None and e.id in root_fact.via else "overridden"

    def node(e: Entry) -> dict:
        return {"event": e.id, "type": e.type_name, "recorded": iso(e.recorded, zone), "author": e.author, "summary": summarize(e.event, g),
                "reason": getattr(e.event, "reason", None), "status": status_of(e),
                "corrected_by": [node(c) for c in sorted(children.get(e.id, []), key=lambda c: c.seq)]}

    corrects = []
    cur = entry
    while cur.event.correction and cur.event.target in res.entries and len(corrects) <= len(res.entries):
        cur = res.entries[cur.event.target]
        corrects.append({"event": cur.id, "type": cur.type_name, "summary": summarize(cur.event, g), "status": status_of(cur)})
    fact = facts.get(entry.id)
    if root.id in res.retracted:
        effective = {"status": "retracted", "retracted_by": res.retracted[root.id], "event": root.id}
    elif root_fact is not None:
        effective = {
            "status": "corrected" if root_fact.via else "stands", "event": root.id, "type": root_fact.type_name,
            "summary": summarize(root_fact.event, g), "fields": codec.unstructure_event(root_fact.event),
            "valid": valid_json(root_fact.valid, zone, root_fact.lo, root_fact.hi), "sources": sources_json(root_fact.sources),
            "via": sorted_chain(root_fact.via, res.entries),
        }
    else:
        effective = {"status": "unknown", "event": root.id}
    return {
        "event": entry.id, "seq": entry.seq, "type": entry.type_name, "summary": summarize(entry.event, g),
        "fields": codec.unstructure_event(entry.event),
        # The window narrowed by ordering only when the entry's own time still stands.
        "valid": valid_json(entry.valid, zone, *((fact.lo, fact.hi) if fact and fact.valid == entry.valid else (None, None))),
        "recorded": iso(entry.recorded, zone), "author": entry.author, "sources": sources_json(entry.sources),
        "attribution": attribution(entry.sources), "after": list(entry.after), "before": list(entry.before),
        "later": sorted(f.id for f in res.facts if entry.id in f.after),
        "earlier": sorted(f.id for f in res.facts if entry.id in f.before),
        "status": status_of(entry), "corrects": corrects, "corrected_by": node(entry)["corrected_by"], "effective": effective,
        "provenance": entry.provenance, "known_at": iso(k.known_at, zone),
    }


# --- diffs -----------------------------------------------------------------------------------------


def keyed_diff(w1: World, w2: World, g: Gazetteer) -> list[dict]:
    """Each keyed answer that differs between two worlds, as state_json fields before and after."""
    out = []
    for channel in SECTIONS:
        a1s, a2s = w1.answers(channel), w2.answers(channel)
        for key in sorted(set(a1s) | set(a2s)):
            change = key_change(channel, key, a1s.get(key), a2s.get(key), g)
            if change is not None:
                out.append(change)
    return out


def key_change(channel: str, key: str, a1: Answer | None, a2: Answer | None, g: Naming) -> dict | None:
    """How one key's answer differs from `a1` to `a2` (None: nothing touches it yet), as `keyed_diff`
    gives it; None when it does not, or when the key has no row in its channel's section."""
    if not CHANNELS[channel].lists(g.kind(key)):
        return None  # (as state_json lists them)
    a1 = a1 or answer_empty(channel)
    a2 = a2 or answer_empty(channel)
    if (a1.value, a1.status, a1.candidates) == (a2.value, a2.status, a2.candidates):
        return None
    return {
        "channel": channel, "key": key, "name": g.name(key), "from": answer_json(channel, a1), "to": answer_json(channel, a2),
        "from_text": answer_text(channel, a1, g), "to_text": answer_text(channel, a2, g),
        "possible": "possible" in (a1.status, a2.status), "events": list(dict.fromkeys((*a1.events, *a2.events))),
        "events_from": list(a1.events), "events_to": list(a2.events),
    }


def answer_empty(channel: str) -> Answer:
    from .world import Cell

    return answer(Cell(INITIAL[channel]), INITIAL[channel])


def _happening_statuses(w: World) -> dict[str, tuple[str, Fact, str]]:
    return {h.fact.id: (name, h.fact, h.status) for name, hs in w.lists.items() for h in hs}


def _time_json(f: Fact, zone: str) -> dict:
    return valid_json(f.valid, zone, f.lo, f.hi)


def diff_world(k: Knowledge, t1: datetime, t2: datetime, *, zone: str, source: str | None = None) -> dict:
    """What changed in the world from valid time t1 to t2, as known at k."""
    if t1 > t2:
        raise ChronoError("--from must not be after --to")
    facts = k.timed()
    w1, w2 = k.world(to_micros(t1), facts), k.world(to_micros(t2), facts)
    by_id = {f.id: f for f in facts}
    changes = [c for c in keyed_diff(w1, w2, k.gazetteer) if any_source(c["events"], by_id.get, source)]
    before = _happening_statuses(w1)
    happenings = []
    for fid, (name, f, status) in sorted(_happening_statuses(w2).items(), key=lambda kv: (kv[1][1].lo, kv[1][1].seq)):
        was = before.get(fid, (None, None, None))[2]
        if was == "certain" or not source_matches(f.sources, source):
            continue
        happenings.append(happening_change(name, f, status, was, k.gazetteer, zone))
    return diff_doc(t1, t2, k.known_at, zone, source, changes, happenings)


def happening_change(name: str, f: Fact, status: str, was: str | None, g: Naming, zone: str) -> dict:
    """A happening of list `name` that is `status` at the end of a diff and was `was` at its start."""
    return {"list": name, "event": f.id, "type": f.type_name, "status": status, "was": was,
            "summary": summarize(f.event, g), "time": _time_json(f, zone), "attribution": attribution(f.sources)}


def diff_doc(t1: datetime, t2: datetime, known_at: datetime, zone: str, source: str | None, changes, happenings) -> dict:
    return {"from": iso(t1, zone), "to": iso(t2, zone), "known_at": iso(known_at, zone), "source": source,
            "changes": changes, "happenings": happenings}


def any_source(ids, fact_of: Callable[[str], Fact | None], source: str | None) -> bool:
    """Whether one of the facts `ids` (`fact_of(id)`) rests on a source matching `source` (any, when None)."""
    return not source or any((f := fact_of(i)) is not None and source_matches(f.sources, source) for i in ids)


def diff_belief(log: Log, at: datetime, k1_at: datetime, k2_at: datetime | None, *, zone: str, source: str | None = None) -> dict:
    """What changed in the log's belief about valid time `at` between recorded times K1 and K2, and the
    entries recorded in (K1, K2] that did it."""
    k1, k2 = load(log, k1_at), load(log, k2_at)
    if k1.known_at > k2.known_at:
        raise ChronoError("--as-of must not be after --vs")
    t = to_micros(at)
    w1, w2 = k1.world(t), k2.world(t)
    g = k2.gazetteer
    by_id = {f.id: f for f in k1.facts} | {f.id: f for f in k2.facts}
    changes = [c for c in keyed_diff(w1, w2, g) if any_source(c["events"], by_id.get, source)]
    h1, h2 = _happening_statuses(w1), _happening_statuses(w2)
    happenings = [h for fid in sorted(set(h1) | set(h2), key=lambda i: (by_id[i].lo, by_id[i].seq))
                  if (h := belief_happening(fid, h1.get(fid), h2.get(fid), g, zone, source)) is not None]
    entries = k2.resolution.entries
    causes = [cause(e, root_of(e, entries).id, changes, happenings, g, zone) for e in entries.values() if e.recorded > k1.known_at]
    return belief_doc(at, k1.known_at, k2.known_at, zone, source, changes, happenings, causes)


def belief_happening(fid: str, s1: tuple | None, s2: tuple | None, g: Naming, zone: str, source: str | None) -> dict | None:
    """How a happening reads in two beliefs ((list, fact, status) in each, or None where it is not one
    by then), as `diff_belief` gives it; None when it reads the same, or rests on no matching source."""
    if s1 and s2 and (s1[1].event, s1[1].lo, s1[1].hi, s1[2]) == (s2[1].event, s2[1].lo, s2[1].hi, s2[2]):
        return None
    f = (s2 or s1)[1]
    if not source_matches(f.sources, source):
        return None
    return {
        "list": (s2 or s1)[0], "event": fid, "type": f.type_name, "before": s1[2] if s1 else None, "after": s2[2] if s2 else None,
        "summary_before": summarize(s1[1].event, g) if s1 else None, "summary_after": summarize(s2[1].event, g) if s2 else None,
        "time_before": _time_json(s1[1], zone) if s1 else None, "time_after": _time_json(s2[1], zone) if s2 else None,
    }


def cause(e: Entry, root: str, changes: list[dict], happenings: list[dict], g: Naming, zone: str) -> dict:
    """An entry recorded between two beliefs (`root`: the entry it ultimately acts on), with the
    changes and happenings it explains."""
    kind = "retraction" if isinstance(e.event, EventRetracted) else "correction" if isinstance(e.event, EventCorrected) else "new event"
    linked = {e.id, root, *e.after, *e.before}
    explains = [f"{c['channel']}:{c['key']}" for c in changes if linked & set(c["events"])]
    explains += [f"{h['list']}:{h['event']}" for h in happenings if h["event"] in linked]
    return {"event": e.id, "type": e.type_name, "kind": kind, "recorded": iso(e.recorded, zone), "target": e.target,
            "root": root, "summary": summarize(e.event, g), "reason": getattr(e.event, "reason", None), "explains": explains}


def belief_doc(at: datetime, k1: datetime, k2: datetime, zone: str, source: str | None, changes, happenings, causes) -> dict:
    return {"at": iso(at, zone), "as_of": iso(k1, zone), "vs": iso(k2, zone), "source": source,
            "changes": changes, "happenings": happenings, "recorded_between": causes}


# --- timeline --------------------------------------------------------------------------------------


def timeline(k: Knowledge, *, zone: str, lo: datetime | None = None, hi: datetime | None = None, entities: tuple[str, ...] = (),
             types: tuple[str, ...] = (), source: str | None = None) -> dict:
    """The facts in valid-time order, grouped by the local day their (narrowed) window opens."""
    tz = zone_info(zone)
    lo_us = to_micros(lo) if lo else None
    hi_us = to_micros(hi) if hi else None
    res_entries = k.resolution.entries if k.resolution else {}
    days: dict[str, list[dict]] = {}
    for f in valid_order(k.facts):
        if lo_us is not None and f.hi <= lo_us or hi_us is not None and f.lo >= hi_us:
            continue
        if not in_timeline(f, entities, types, source):
            continue
        days.setdefault(period(f, tz), []).append(timeline_row(f, k.gazetteer, zone, sorted_chain(f.via, res_entries or None)))
    return {**timeline_head(k.known_at, zone, lo, hi, source), "days": [timeline_day(d, evs) for d, evs in days.items()]}


def timeline_head(known_at: datetime, zone: str, lo: datetime | None, hi: datetime | None, source: str | None) -> dict:
    return {"known_at": iso(known_at, zone), "from": iso(lo, zone), "to": iso(hi, zone), "source": source}


def in_timeline(f: Fact, entities: tuple[str, ...], types: tuple[str, ...], source: str | None) -> bool:
    """Whether a fact passes the timeline's filters: of one of `types`, involving one of `entities`,
    resting on a source matching `source` (each when given)."""
    return ((not types or f.type_name in types) and (not entities or bool(set(entities) & involved(f.event)))
            and source_matches(f.sources, source))


def timeline_row(f: Fact, g: Naming, zone: str, via: list[str]) -> dict:
    """One fact of the timeline; `via`: the corrections behind it, in the order they were recorded."""
    row = _fact_row(f, g, zone)
    row["via"] = via
    row["when"] = row["valid"]["narrowed"]["described"] if row["valid"]["narrowed"] else row["valid"]["described"]
    return row


def timeline_day(day: str, events: list[dict]) -> dict:
    return {"day": day, "label": _period_label(day), "events": events}


def period(f: Fact, tz) -> str:
    """The heading a fact is grouped under: the local day its window opens, or, for a fact known only
    to the month or year, that month or year (so "sometime in 2016" is not filed under 1 January);
    "before" for a fact whose window has no start (an open or unknown one), which comes first."""
    if f.lo <= CALENDAR_LO:
        return "before"
    start = wall(from_micros(f.lo), tz)  # (at the calendar's edge where the zone's clocks read past it)
    if f.valid is not None and (f.lo, f.hi) == (f.valid.lo, f.valid.hi) and not f.valid.qualifier:
        if f.valid.precision == "year":
            return f"{start.year:04d}"  # (strftime leaves a year before 1000 short)
        if f.valid.precision == "month":
            return f"{start.year:04d}-{start.month:02d}"
    return start.date().isoformat()


def _period_label(key: str) -> str:
    if key == "before":
        return "Since before any date the log gives"
    if len(key) == 4:
        return f"Sometime in {key}"
    if len(key) == 7:
        return f"Sometime in {datetime.strptime(key, '%Y-%m'):%B %Y}"
    return f"{datetime.fromisoformat(key):%A %d %B %Y}"


# --- sources ---------------------------------------------------------------------------------------


def sources(k: Knowledge, *, zone: str, source: str | None = None) -> dict:
    """Every outlet, and every attribution within it, with how many standing events rest on it."""
    outlets: dict[str, set[str]] = defaultdict(set)
    attributions: dict[str, dict[str | None, set[str]]] = defaultdict(lambda: defaultdict(set))
    unsourced = 0
    for f in k.facts:
        if not f.sources:
            unsourced += 1
        for s in f.sources:
            if not source_matches((s,), source):
                continue
            outlets[s.outlet].add(f.id)
            attributions[s.outlet][s.attribution].add(f.id)
    out = []
    for outlet in sorted(outlets, key=lambda o: (-len(outlets[o]), o)):
        attrs_ = attributions[outlet]
        out.append({"outlet": outlet, "events": len(outlets[outlet]), "attributions": [
            {"attribution": a, "events": len(ids)} for a, ids in sorted(attrs_.items(), key=lambda kv: (-len(kv[1]), kv[0] or ""))]})
    return {"known_at": iso(k.known_at, zone), "source": source, "outlets": out, "unsourced": unsourced}


# --- check -----------------------------------------------------------------------------------------


def _finding(kind: str, message: str, events) -> dict:
    return {"kind": kind, "message": message, "events": list(events)}


def _ancestors(place: str, g: Gazetteer) -> set[str]:
    return set(g.within(place))


def travel_us(p: str, q: str, g: Gazetteer) -> int:
    """The least time anyone could take between two places: great-circle distance at TRAVEL_KMH,
    and never less than a minute."""
    a, b = g.by_id.get(p), g.by_id.get(q)
    coords = [(e.details.get("lat"), e.details.get("lon")) if e else (None, None) for e in (a, b)]
    if any(c is None for pair in coords for c in pair):
        return MIN_TRAVEL_US
    (la1, lo1), (la2, lo2) = [(math.radians(x), math.radians(y)) for x, y in coords]
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return _journey_us(h)


def _journey_us(h: float) -> int:
    """The journey at TRAVEL_KMH over the great-circle distance whose haversine is `h`."""
    km = 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))
    return max(MIN_TRAVEL_US, int(km / TRAVEL_KMH * 3600 * 1_000_000))


# The longest `travel_us` can be: halfway round the world.
LONGEST_TRAVEL_US = _journey_us(1.0)


def _linked(a: Fact, b: Fact) -> bool:
    return b.id in a.after or b.id in a.before or a.id in b.after or a.id in b.before


# What `check` finds comes section by section, in this order: two-places, entities, ordering-conflict,
# ordering-dangling, contradiction, correction-cycle; each section's findings in the order its
# docstring gives. Both the fold's `check` and the cache's (`indexed.check`) are built of these.
Stay = tuple[str, int, int, str]  # (event id, window start, window end, place): a person put somewhere by one fact


def at_once(a: Stay, b: Stay, g: Gazetteer) -> bool:
    """Whether two facts put one person in two places at once (`check`'s `two-places`)."""
    (ida, lo_a, hi_a, pa), (idb, lo_b, hi_b, pb) = a, b
    if ida == idb or pa == pb or pa in _ancestors(pb, g) or pb in _ancestors(pa, g):
        return False
    return max(hi_b - lo_a, hi_a - lo_b) <= travel_us(pa, pb, g)


def two_places(person: str, a: Stay, b: Stay, g: Gazetteer) -> dict:
    return _finding("two-places", f"{g.name(person)} is certainly in {g.name(a[3])} ({a[0]}) and in {g.name(b[3])} ({b[0]}) at once", (a[0], b[0]))


def stays_of(steps) -> list[Stay]:
    """The places a person's whereabouts steps (`world.Step`) put them, in the steps' order (those
    that name no place, a death where nobody says, put them nowhere)."""
    out = []
    for step in steps:
        place = step.op(INITIAL[WHERE])[0]
        if place:
            out.append((step.id, step.lo, step.hi, place))
    return out


_CONTROL_KEYS = {(t, e.key) for t, rule in RULES.items() for e in rule.effects if e.channel == CONTROL}


def entity_findings(fact_id: str, type_name: str, event: Event, g: Gazetteer) -> list[dict]:
    """`unknown-entity` and `undescribed-place` for one fact."""
    out = []
    for field, kind, ref in entity_refs(event):
        if g.fits(ref, kind):
            continue
        e = g.by_id.get(ref)
        if (type_name, field) in _CONTROL_KEYS and e is None:
            out.append(_finding("undescribed-place", f"{fact_id} changes control of {ref!r}, a place the log does not describe", (fact_id,)))
        elif e is None:
            out.append(_finding("unknown-entity", f"{fact_id} ({type_name}.{field}) refers to {ref!r}, which the log does not describe", (fact_id,)))
        else:
            out.append(_finding("unknown-entity", f"{fact_id} ({type_name}.{field}) needs a {kind} but {ref!r} is a {e.kind}", (fact_id, e.event)))
    return out


def ordering_conflict(a: Fact, b: Fact) -> dict:
    return _finding("ordering-conflict", f"{b.id} is said to come after {a.id}, but {a.id} is {a.valid.describe()} and "
                    f"{b.id} is {b.valid.describe()}", (a.id, b.id))


def ordering_dangling(f: Fact, other: str, correction: bool) -> dict:
    """`f` is ordered against `other`, which is no standing fact: a correction (`correction`), or retracted."""
    why = "a correction" if correction else "retracted"
    return _finding("ordering-dangling", f"{f.id} is ordered against {other}, which is {why}; the constraint is ignored", (f.id, other))


CONTRADICTING = (CONTROL, UNIT)  # the channels whose facts `check` compares for contradictions


def setting(channel: str, op: Op) -> bool:
    """Whether an effect has an outcome of its own to compare (`check`'s `contradiction`): one of
    control or of a unit that sets the value."""
    return channel in CONTRADICTING and OPS[op.name].sets(op.arg)


def contradictions(channel: str, key: str, group: list[tuple[Fact, object]], g: Gazetteer) -> list[dict]:
    """`contradiction`s among the facts (with the values they set) of one key over one window."""
    out = []
    for i, (fa, va) in enumerate(group):
        for fb, vb in group[i + 1:]:
            if va != vb and not _linked(fa, fb):
                out.append(_finding("contradiction", f"{fa.id} and {fb.id} give {g.name(key)} different {CHANNEL_TITLES[channel]} "
                                    f"({value_text(channel, va, g)} / {value_text(channel, vb, g)}) over the same window, "
                                    "with no stated order between them", (fa.id, fb.id)))
    return out


def correction_cycle(entry_id: str, entry_of: Callable[[str], tuple[int, str | None] | None]) -> dict | None:
    """The `correction-cycle` finding of the chain that starts at the correction `entry_id`, if it has
    one; `entry_of(id)` is (position, target: None unless a correction) of an entry, or None."""
    seq, target = entry_of(entry_id)
    seen, cur = [entry_id], (entry_id, seq, target)
    while cur[2] is not None:
        found = entry_of(cur[2])
        if found is None:
            return None
        nxt = (cur[2], *found)
        if nxt[0] in seen:
            return _finding("correction-cycle", "corrections form a cycle: " + " → ".join([*seen, nxt[0]]), seen)
        if nxt[1] >= cur[1]:
            return _finding("correction-cycle", f"{cur[0]} corrects {nxt[0]}, which comes after it in the log", (cur[0], nxt[0]))
        seen.append(nxt[0])
        cur = nxt
    return None


def check(k: Knowledge, entries: list[Entry]) -> list[dict]:
    """Every problem found in the log as known at k; each finding names the events behind it.

    - `two-places`: one person certainly in two places at once. A move, flight, meeting or death puts a
      person at a place at some instant inside its window. Two such facts contradict each other when the
      places differ (neither lies within the other) and even the widest gap their windows allow,
      max(hi_a - lo_b, hi_b - lo_a), is no longer than the fastest journey between them (1000 km/h
      over the great circle when both have coordinates; a minute otherwise).
    - `unknown-entity`: an event refers to an id the gazetteer does not describe, or describes as
      another kind; `undescribed-place` is the same for the place of a control change.
    - `ordering-conflict`: an after/before constraint that the two stated windows cannot satisfy;
      `ordering-dangling`: a constraint naming a retracted entry or a correction.
    - `contradiction`: two control (or unit) facts for one key with identical windows, no stated order
      between them and different outcomes: which holds afterwards rests on log position alone.
    - `correction-cycle`: a chain of corrections that never reaches an event (impossible by
      construction, since a correction targets an earlier entry; checked anyway).
    """
    g = k.gazetteer
    facts = k.facts
    by_id = {f.id: f for f in facts}
    out: list[dict] = []

    # two places at once
    at_place: dict[str, list] = defaultdict(list)
    for f in k.timed():
        for channel, key, op in effects(f.event):
            if channel == WHERE:
                at_place[key].append(Step(f.id, f.seq, f.lo, f.hi, f.hi, op))
    for person, steps in sorted(at_place.items()):
        stays = stays_of(steps)
        for i, a in enumerate(stays):
            out += [two_places(person, a, b, g) for b in stays[i + 1:] if at_once(a, b, g)]

    # entities
    for f in facts:
        out += entity_findings(f.id, f.type_name, f.event, g)

    # ordering
    out += [ordering_conflict(by_id[a], by_id[b]) for a, b in ordering_conflicts(facts)]
    entry_by_id = {e.id: e for e in entries}
    for f in facts:
        for other in (*f.after, *f.before):
            if other not in by_id:
                e = entry_by_id.get(other)
                out.append(ordering_dangling(f, other, e is not None and e.event.correction))

    # contradictory facts with identical windows
    groups: dict[tuple[str, str, int, int], list[tuple[Fact, object]]] = defaultdict(list)
    for f in k.timed():
        for channel, key, op in effects(f.event):
            if setting(channel, op):
                groups[(channel, key, f.lo, f.hi)].append((f, op(INITIAL[channel])))
    for (channel, key, _lo, _hi), group in sorted(groups.items()):
        out += contradictions(channel, key, group, g)

    # correction chains
    for e in entries:
        if e.event.correction:
            found = correction_cycle(e.id, lambda i: (x.seq, x.event.target if x.event.correction else None) if (x := entry_by_id.get(i)) else None)
            if found:
                out.append(found)
    return out


__all__ = [
    "attribution", "check", "concerns", "entries_concerning", "diff_belief", "diff_world", "history", "keyed_changes", "load", "show", "source_matches",
    "sources", "timeline", "travel_us",
]
