"""What the pictures draw, read from the log: places and people at a moment, steps through time, and
each event with its window, actors, places and sources."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import attrs

from chrono.settings import actor_colours, setting
from chrono.store import Log
from chrono.timeval import from_micros, to_micros, wall, zone_info
from events import entity_refs

from ..describe import NO_ONE, candidate_text, summarize
from ..gazetteer import Gazetteer
from ..query import Knowledge, instant, knowledge, state_json
from ..resolve import Fact
from ..rules import CONTROL, WHERE, rule_of
from ..world import LISTS, effects
from ._colors import actor_colors

PLACE_RANK = {"city": 0, "airbase": 1, "airport": 1, "town": 2, "border-crossing": 3, "military-site": 3,
              "governorate": 4, "region": 4, "district": 4, "village": 5, "country": 6}


@attrs.frozen(kw_only=True)
class Scene:
    """Everything one picture needs from one log as known at K."""

    log_name: str
    title: str  # the log's title setting, else its name
    zone: str
    k: Knowledge
    colors: dict[str, str]

    @property
    def g(self) -> Gazetteer:
        return self.k.gazetteer

    def coords(self, place: str | None) -> tuple[float, float] | None:
        e = self.g.by_id.get(place) if place else None
        if e is None or e.kind != "place":
            return None
        lat, lon = e.details.get("lat"), e.details.get("lon")
        return None if lat is None or lon is None else (lon, lat)

    def located_places(self) -> list[str]:
        return [e.id for e in self.g.of_kind("place") if self.coords(e.id)]

    def state(self, at: datetime) -> dict:
        """The `state --json` document at `at`."""
        return state_json(self.k.world(to_micros(at)), self.k, zone=self.zone)

    def local(self, dt: datetime) -> datetime:
        """`dt` on the wall clocks of the log's zone (at the calendar's edge where they read past it)."""
        return wall(dt, zone_info(self.zone))

    def when(self, dt: datetime) -> str:
        return f"{self.local(dt):%-d %b %Y %H:%M} ({self.zone})"

    def event_info(self, f: Fact, *, instants: bool = True, entities: bool = True) -> dict:
        return event_info(f, self.g, self.zone, instants=instants, entities=entities)


def scene(log: Log, known_at: datetime | None = None, *, name: str | None = None, colors: Mapping[str, str] | None = None) -> Scene:
    """`colors`: a colour chosen for an actor wins over the log's (chrono.settings.actor_colours), which
    wins over the palette's (`actor_colors`)."""
    k = knowledge(log, known_at)
    actors = {e.id for e in k.gazetteer.of_kind("actor")}
    holders = set()  # drawn together on every map: the palette serves them first
    for f in k.facts:
        named = {v for _field, kind, v in entity_refs(f.event) if kind == "actor" or k.gazetteer.kind(v) == "actor"}
        actors |= named
        if any(e.channel == CONTROL for e in rule_of(type(f.event).type_name).effects):
            holders |= named
    log_name = name or log.name
    # An actor's colour: the one given here, else the one the log sets (`colour.ACTOR`), else the palette's.
    chosen = {**actor_colours(log), **(colors or {})}
    return Scene(log_name=log_name, title=setting(log, "title") or log_name, zone=log.zone, k=k,
                 colors=actor_colors(actors, first=holders, chosen=chosen))


def refs_by_kind(f: Fact, g: Gazetteer) -> dict[str, list[str]]:
    """The entities an event names, by kind (an `any` reference takes its entity's kind)."""
    out: dict[str, list[str]] = {"place": [], "person": [], "actor": [], "unit": []}
    for _field, kind, v in entity_refs(f.event):
        kind = g.kind(v) or (kind if kind != "any" else "actor")
        if v not in out.setdefault(kind, []):
            out[kind].append(v)
    return out


def entity_info(f: Fact, g: Gazetteer) -> dict[str, list[str]]:
    """The entities an event names, by kind: its actors (a unit's actor among them, so that filters by
    actor find it; else a person's affiliation), people, places and units."""
    refs = refs_by_kind(f, g)
    actors = list(refs["actor"])
    for u in refs["unit"]:
        a = g.actor(u)
        if a and a not in actors:
            actors.append(a)
    for p in refs["person"]:
        e = g.by_id.get(p)
        a = e.details.get("affiliation") if e else None
        if a and a not in actors and not actors:
            actors.append(a)
    return {"actors": actors, "people": refs["person"], "places": refs["place"], "units": refs["unit"]}


def event_info(f: Fact, g: Gazetteer, zone: str, *, instants: bool = True, entities: bool = True) -> dict:
    """What the pictures and exports say of an event. An export leaves out what it does not write, each
    measured at a tenth of its time or more: without `instants`, the bounds only as `lo` and `hi`, not as
    ISO times in the zone (`earliest`, `latest`: the pages'); without `entities`, not the entities it
    names (`entity_info`: a TimelineJS export not grouped by place or actor)."""
    v = f.valid
    return {
        "id": f.id,
        "type": f.type_name,
        "summary": summarize(f.event, g),
        **({"earliest": instant(f.lo, zone) if f.lo is not None else None,
            "latest": instant(f.hi, zone) if f.hi is not None else None} if instants else {}),
        "lo": f.lo,
        "hi": f.hi,
        "precision": v.precision if v else None,
        "qualifier": v.qualifier if v else None,
        "wording": v.wording if v else None,
        "when": v.describe() if v else None,
        **(entity_info(f, g) if entities else {}),
        "sources": [{"outlet": s.outlet, "attribution": s.attribution, "quote": s.quote, "title": s.title, "url": s.url} for s in f.sources],
        "corrected_by": list(f.via),
    }


# --- steps through valid time ----------------------------------------------------------------------


def step_times(sc: Scene, start: datetime, end: datetime, every: timedelta | None = None, limit: int = 400) -> list[datetime]:
    """The moments a slider stops at: every `every`, or (by default) each moment the state can change,
    the opening and closing of every event window between start and end."""
    lo, hi = to_micros(start), to_micros(end)
    if every is not None:
        n = min(limit, int((end - start) / every) + 1)
        return [start + i * every for i in range(n)]
    bounds = {lo, hi}
    for f in sc.k.timed():
        if not (effects(f.event) or type(f.event) in LISTS):
            continue
        for b in (f.lo, f.hi):
            if lo < b < hi:
                bounds.add(b)
    times = sorted(bounds)
    if len(times) > limit:
        # Keep the ends; thin the middle evenly rather than silently dropping the last moments.
        stride = len(times) / (limit - 1)
        times = sorted({times[min(len(times) - 1, round(i * stride))] for i in range(limit - 1)} | {times[-1]})
    return [from_micros(t) for t in times]


def compact_state(doc: dict) -> dict:
    """The parts of a state document the slider page redraws, keyed by id."""
    places = {c["place"]: [c["controller"], c["status"], c["candidates"], c["contested_with"], c["events"]] for c in doc["control"]}
    people = {w["person"]: [w["place"], w["status"], w["candidates"], w["alive"], w["events"]] for w in doc["whereabouts"] if w["status"] != "unknown"}
    happened = {h["event"]: h["status"] for name in LISTS.values() for h in doc[name]}
    return {"places": places, "people": people, "happened": happened}


def changes(before: dict | None, after: dict, sc: Scene) -> list[dict]:
    """What differs between two compact states, each change with the events behind it."""
    n = sc.g.name
    out = []
    prev_places = before["places"] if before else {}
    for place, now in after["places"].items():
        was = prev_places.get(place)
        if was is not None and was[:4] == now[:4]:
            continue
        if was is None and now[1] == "unknown":
            continue
        ctrl, status, cands, contested, events = now
        if status == "possible":
            what = f"{n(place)}: possibly " + " or ".join(candidate_text(CONTROL, c, sc.g) for c in cands)
        elif ctrl:
            what = f"{n(place)}: held by {n(ctrl)}"
        else:
            what = f"{n(place)}: {NO_ONE[CONTROL]}"
        if contested:
            what += f", contested by {', '.join(n(a) for a in contested)}"
        out.append({"kind": "control", "place": place, "text": what, "events": events[-1:] if status != "possible" else events[1:] or events})
    prev_people = before["people"] if before else {}
    for person, now in after["people"].items():
        was = prev_people.get(person)
        if was is not None and was[:4] == now[:4]:
            continue
        place, status, cands, alive, events = now
        if status == "possible":
            what = f"{n(person)}: possibly in " + " or ".join(candidate_text(WHERE, c, sc.g) for c in cands)
        else:
            what = f"{n(person)}: in {candidate_text(WHERE, place, sc.g)}"
        if alive is False:
            what += " (dead)"
        out.append({"kind": "whereabouts", "person": person, "text": what, "events": events[-1:] if status != "possible" else events[1:] or events})
    prev_happened = before["happened"] if before else {}
    for event, status in after["happened"].items():
        if prev_happened.get(event) == status:
            continue
        out.append({"kind": "happening", "text": None, "status": status, "events": [event]})
    return out
