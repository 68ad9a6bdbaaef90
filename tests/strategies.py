"""Shared hypothesis strategies: every event type, valid times, and whole small logs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import strategies as st

from chrono import settings
from chrono.entry import Draft
from chrono.timeval import CALENDAR_HI, CALENDAR_LO, ENDS, PRECISIONS, QUALIFIERS, ValidTime, _together, from_micros, parse_valid_time
from events import ANY, REGISTRY, Event, Source

BASE = datetime(2024, 11, 27, 2, 0, tzinfo=UTC)
PLACES = ("p0", "p1", "p2")
ACTORS = ("a0", "a1", "a2")
PEOPLE = ("h0", "h1", "h2")
UNITS = ("u0", "u1")
POOL = {"place": PLACES, "actor": ACTORS, "person": PEOPLE, "unit": UNITS}

entity_ids = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,20}", fullmatch=True)
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30).filter(lambda s: s.strip())


def _ref_strategy(kind: str, pooled: bool):
    if kind != ANY and kind not in POOL:
        raise ValueError(f"no pool of entities of the kind {kind!r}")
    if pooled:
        return st.sampled_from(POOL[kind] if kind != ANY else PLACES + ACTORS + PEOPLE + UNITS)
    return entity_ids


event_ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,20}", fullmatch=True)


def _optional(a: attrs.Attribute, strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.none() | strategy if a.default is None else strategy


def field_strategy(a: attrs.Attribute, pooled: bool) -> st.SearchStrategy:
    """Values of one field, chosen by the form it declares (events/_base.py), never by its name: a new
    event type whose fields have known forms has a strategy without a line here. An unknown form is
    an error, so that a type is not done until its fields can be drawn."""
    form = a.metadata.get("form")
    if form == "ref":
        one = _ref_strategy(a.metadata["ref"], pooled)
        if a.metadata.get("many"):
            return st.lists(one, max_size=3, unique=True).map(tuple)
        return _optional(a, one)
    if form == "text":
        return _optional(a, st.sampled_from(a.metadata["choices"]) if a.metadata.get("choices") else texts)
    if form == "texts":
        return st.lists(texts, max_size=3).map(tuple)
    if form == "number":
        low, high = a.metadata["range"]
        return _optional(a, st.floats(low, high, allow_nan=False))
    if form == "whole":
        low, high = a.metadata["range"]
        return _optional(a, st.integers(low, high))
    if form == "event-id":
        return event_ids
    raise ValueError(f"no strategy for the form {form!r} of the field {a.name!r}")


def event_of(cls: type[Event], *, pooled: bool = False) -> st.SearchStrategy[Event]:
    """Any valid instance of one event type; corrections embed any non-correction event; a setting is
    one a log accepts (its value depends on its key: they are drawn together)."""
    setting = {a.metadata["setting"]: a.name for a in attrs.fields(cls) if "setting" in a.metadata}
    if setting:
        return st.sampled_from(settings.examples()).map(lambda kv: cls(**{setting["key"]: kv[0], setting["value"]: kv[1]}))
    kwargs = {}
    for a in attrs.fields(cls):
        if a.metadata.get("form") == "event":
            kwargs[a.name] = st.sampled_from([c for c in REGISTRY.values() if not c.correction]).flatmap(lambda c: event_of(c, pooled=pooled))
        else:
            kwargs[a.name] = field_strategy(a, pooled)
    return st.builds(cls, **kwargs)


any_event = st.sampled_from(sorted(REGISTRY.values(), key=lambda c: c.type_name)).flatmap(event_of)


@st.composite
def valid_times(draw, *, distinct_starts: st.SearchStrategy | None = None) -> ValidTime:
    start = draw(st.integers(0, 2_000)) if distinct_starts is None else draw(distinct_starts)
    length = draw(st.integers(1, 600))
    lo = BASE + timedelta(minutes=start)
    return ValidTime(earliest=lo, latest=lo + timedelta(minutes=length), precision="interval", zone="Asia/Damascus", wording=draw(st.none() | texts))


@st.composite
def any_valid_times(draw) -> ValidTime:
    """Valid times of every shape the model holds: each end bounded, open or unknown, a bound at the
    calendar's edges, the ends' own qualifiers, an EDTF expression kept."""
    lo = draw(st.integers(CALENDAR_LO, CALENDAR_HI - 1) | st.just(CALENDAR_LO) | st.integers(0, 10**15))
    hi = draw(st.integers(lo + 1, CALENDAR_HI) | st.just(CALENDAR_HI))
    start, end = draw(st.sampled_from(ENDS)), draw(st.sampled_from(ENDS))
    if start != "bounded" and end != "bounded":
        end = "bounded"  # (one end at least is a bound)
    if start != "bounded":
        lo = CALENDAR_LO
    if end != "bounded":
        hi = CALENDAR_HI
    named = st.none() | st.sampled_from(tuple(QUALIFIERS.values()))
    qualifiers = draw(st.none() | st.tuples(named, named).filter(lambda q: q != (None, None)))
    qualifier = draw(named) if qualifiers is None else _together(*qualifiers)
    return ValidTime(earliest=from_micros(lo) if start == "bounded" else None, latest=from_micros(hi) if end == "bounded" else None,
                     precision=draw(st.sampled_from(PRECISIONS)), zone=draw(st.sampled_from(["UTC", "Asia/Damascus", "America/New_York"])),
                     wording=draw(st.none() | texts), qualifier=qualifier, start=start, end=end, qualifiers=qualifiers,
                     edtf=draw(st.none() | st.sampled_from(["201X", "2001-21", "[1667,1668,1670..1672]", "{..1984}", "2004-06-XX/2004-07-03"])))


sources = st.lists(st.builds(Source, outlet=texts, attribution=st.none() | texts, quote=st.none() | texts), max_size=2).map(tuple)

# Every type of fact about the world (neither a description nor a correction), from the registry, so a
# new type is drawn as soon as it is registered; over a small pool of entities, so facts collide.
FACT_TYPES = tuple(sorted(name for name, cls in REGISTRY.items() if not cls.timeless and not cls.correction))
world_events = st.sampled_from(FACT_TYPES).flatmap(lambda name: event_of(REGISTRY[name], pooled=True))


def descriptions() -> list[Draft]:
    from events import ActorDescribed, PersonDescribed, PlaceDescribed, UnitDescribed

    out = [Draft(event=PlaceDescribed(place=p, name=f"Place {p}"), id=f"d-{p}") for p in PLACES]
    out += [Draft(event=ActorDescribed(actor=a, name=f"Actor {a}"), id=f"d-{a}") for a in ACTORS]
    out += [Draft(event=PersonDescribed(person=h, name=f"Person {h}"), id=f"d-{h}") for h in PEOPLE]
    out += [Draft(event=UnitDescribed(unit=u, name=f"Unit {u}"), id=f"d-{u}") for u in UNITS]
    return out


@st.composite
def fact_drafts(draw, *, min_size: int = 1, max_size: int = 12, distinct_starts: bool = False,
                times: st.SearchStrategy[ValidTime] | None = None) -> list[Draft]:
    """World facts with unique ids; with distinct_starts no two windows open at the same minute,
    so valid-time order never needs the log position to break a tie; with `times`, windows drawn
    from it."""
    n = draw(st.integers(min_size, max_size))
    starts = draw(st.lists(st.integers(0, 2_000), min_size=n, max_size=n, unique=True)) if distinct_starts else [None] * n
    out = []
    for i in range(n):
        if times is not None:
            valid = draw(times)
        else:
            valid = draw(valid_times(distinct_starts=st.just(starts[i]))) if distinct_starts else draw(valid_times())
        out.append(Draft(event=draw(world_events), valid=valid, sources=draw(sources), id=f"e{i}"))
    return out


query_times = st.integers(-60, 2_700).map(lambda m: BASE + timedelta(minutes=m))


@st.composite
def spread_times(draw) -> ValidTime:
    """Windows of every width a range of valid time must find: minutes to days near BASE, weeks and
    months around it (wider than the cache's narrow ones), years, an open or unknown end, a month or
    a year as stated, in other zones."""
    return draw(st.one_of(
        valid_times(),
        st.builds(lambda start, days, zone: ValidTime(earliest=BASE + timedelta(minutes=start), latest=BASE + timedelta(minutes=start, days=days),
                                                      precision="interval", zone=zone),
                  st.integers(-40 * 24 * 60, 40 * 24 * 60), st.integers(1, 400), st.sampled_from(["UTC", "Asia/Damascus", "Pacific/Kiritimati"])),
        st.tuples(st.sampled_from(["open", "bounded"]), st.sampled_from(["open", "bounded", "unknown"]), st.sampled_from(["UTC", "Asia/Damascus"]))
        .filter(lambda t: "bounded" in t[:2]).map(lambda t: ValidTime(
            earliest=BASE if t[0] == "bounded" else None, latest=BASE + timedelta(days=3) if t[1] == "bounded" else None,
            precision="interval", zone=t[2], start=t[0], end=t[1])),
        st.sampled_from(["2024-11", "2024-12", "2024", "2024-11-27", "2024-11-26"]).flatmap(
            lambda literal: st.sampled_from(["UTC", "Asia/Damascus", "Pacific/Kiritimati", "America/Los_Angeles"]).map(
                lambda zone: parse_valid_time(literal, zone))),
        any_valid_times(),
    ))
