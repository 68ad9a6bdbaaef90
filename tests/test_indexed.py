"""The investigation commands and exports read through the cache's indexes (`projections.indexed`)
say what the fold of the resolved log says (`investigate`, `pictures.exports`), for any log hypothesis
can build: corrections of corrections, retractions, ordering constraints, every event type, windows of
every width, and at any --as-of."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import orjson
from hypothesis import given
from hypothesis import strategies as st

from chrono import jsonout
from chrono.timeval import CALENDAR_HI, CALENDAR_LO, from_micros, to_micros
from projections import cache
from projections import indexed
from projections import investigate as inv
from projections.query import ensure_cache

from . import strategies as s
from .test_investigate import PLANTS, plant
from .test_properties import ZONE, history_log

wide_batches = st.lists(s.fact_drafts(max_size=6, times=s.spread_times()), min_size=1, max_size=4)
batches = st.lists(s.fact_drafts(max_size=6), min_size=1, max_size=4)


def _as_known(log, data, times):
    """A recorded time to ask at (None: now) and the cache's position for it."""
    known_at = data.draw(st.sampled_from([None, *times]))
    assert ensure_cache(log)
    return known_at, cache.position_at(log, known_at)


def _bounds(log) -> list:
    """Moments worth asking about: every window's ends and the moments either side of them."""
    ends = {t for (lo, hi) in log.conn.execute("SELECT valid_lo, valid_hi FROM events WHERE valid_lo IS NOT NULL") for t in (lo, hi)}
    return sorted({t + d for t in ends for d in (-1, 0, 1) if CALENDAR_LO < t + d < CALENDAR_HI})


# --- check -----------------------------------------------------------------------------------------


@given(batches, st.lists(st.tuples(st.sampled_from(PLANTS), st.integers(0, 2_000)), max_size=4), st.data())
def test_check_through_the_indexes_finds_what_the_fold_finds_in_the_same_order(batches, plants, data):
    log, times = history_log(batches, data)
    planted = []
    for n, (kind, minute) in enumerate(plants):
        planted += plant(kind, n, minute)[0]
    if planted:
        log.append(planted)
        times.append(log.head().recorded)
    known_at, position = _as_known(log, data, times)
    k = inv.load(log, known_at)
    expected = inv.check(k, list(k.resolution.entries.values()))
    assert (expected, len(k.facts)) == indexed.check(log, position)


# Places a person may be put in: near each other, far apart, within another, and without coordinates.
PLACES_AROUND = [("damascus", 33.51, 36.29, None), ("jobar", 33.53, 36.33, "damascus"), ("aleppo", 36.2, 37.16, None),
                 ("moscow", 55.75, 37.62, None), ("madrid", 40.42, -3.70, None), ("wellington", -41.29, 174.78, None),
                 ("nowhere", None, None, None)]
_HOURS = 60  # (minutes)


@given(st.lists(st.tuples(st.integers(0, 48 * _HOURS), st.one_of(st.integers(1, 60), st.integers(18 * _HOURS, 42 * _HOURS)),
                          st.sampled_from([p[0] for p in PLACES_AROUND])), min_size=2, max_size=30))
def test_two_places_at_once_are_found_without_trying_every_pair_as_by_trying_every_pair(stays):
    """`check`'s sweep over one person's stays (`indexed._at_once`) finds the pairs the fold's double
    loop finds, in its order, among windows of every width (a minute to nearly two days) close
    together and far apart, between places a minute to half the world apart."""
    g = inv.Gazetteer(inv.Entity(id=p, kind="place", name=p, aliases=(), details={"lat": lat, "lon": lon, "within": within}, event=f"d-{p}")
                      for p, lat, lon, within in PLACES_AROUND)
    stays = [(f"e{i}", lo * 60_000_000, (lo + length) * 60_000_000, place) for i, (lo, length, place) in enumerate(stays)]
    expected = [inv.two_places("h0", a, b, g) for i, a in enumerate(stays) for b in stays[i + 1:] if inv.at_once(a, b, g)]
    assert expected == indexed._at_once("h0", stays, g)


def test_check_lists_each_facts_findings_in_log_order_whatever_order_the_cache_keeps_them_in(tmp_path):
    """A corrected fact's version is kept apart from the facts that stand as written; its findings
    still come in its place in the log."""
    from events import CallMade, EventCorrected

    from .test_investigate import build, draft

    db = build(tmp_path / "order.db", [draft(CallMade(caller="ghost-1", callee="a0"), "2024-11-28", "first"),
                                       draft(CallMade(caller="ghost-2", callee="a0"), "2024-11-28", "second")],
               [draft(EventCorrected(target="first", replacement=CallMade(caller="ghost-3", callee="a0"), reason="r"), "2024-11-29", "fix")])
    from chrono.store import Log

    with Log.open(db) as log:
        findings, count = indexed.check(log, cache.position_at(log, None) if ensure_cache(log) else None)
    assert [("first", "ghost-3"), ("second", "ghost-2")] == [(f["events"][0], f["message"].split("'")[1]) for f in findings]


def test_a_range_finds_a_wide_window_that_opens_at_its_inclusive_end_and_a_narrow_one_alike():
    from chrono.entry import Draft
    from chrono.timeval import ValidTime, to_micros
    from events import CallMade

    from .test_properties import loaded

    week, minute = (ValidTime(earliest=s.BASE, latest=s.BASE + length, precision="interval", zone=ZONE) for length in (timedelta(days=30), timedelta(minutes=1)))
    log = loaded([Draft(event=CallMade(caller="a0", callee="a1"), valid=week, id="wide"), Draft(event=CallMade(caller="a1", callee="a0"), valid=minute, id="narrow")])
    assert ensure_cache(log)
    at = to_micros(s.BASE)
    assert ["wide", "narrow"] == [f.id for f in cache.overlapping(log, cache.position_at(log, None), at - 10, at, through=True)]
    assert [] == [f.id for f in cache.overlapping(log, cache.position_at(log, None), at - 10, at)]


# --- timeline --------------------------------------------------------------------------------------


@given(wide_batches, st.data())
def test_a_timeline_through_the_indexes_is_the_folds_for_any_range_and_filters(batches, data):
    log, times = history_log(batches, data)
    known_at, position = _as_known(log, data, times)
    moments = _bounds(log)
    lo, hi = (data.draw(st.none() | st.sampled_from(moments).map(from_micros)) for _ in range(2)) if moments else (None, None)
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    entities = tuple(data.draw(st.lists(st.sampled_from(sorted({*s.PLACES, *s.PEOPLE, *s.ACTORS, *s.UNITS})), max_size=2, unique=True)))
    types = tuple(data.draw(st.lists(st.sampled_from(s.FACT_TYPES), max_size=3, unique=True)))
    source = data.draw(st.none() | st.sampled_from(["a", "e", "zz"]))
    k = inv.load(log, known_at)
    expected = inv.timeline(k, zone=ZONE, lo=lo, hi=hi, entities=entities, types=types, source=source)
    got = indexed.timeline(log, position, k.known_at, zone=ZONE, lo=lo, hi=hi, entities=entities, types=types, source=source)
    assert expected == {**got, "days": list(got["days"])}


@given(wide_batches, st.data())
def test_the_facts_a_range_holds_are_read_by_where_their_windows_open_wide_or_narrow(batches, data):
    """`cache.overlapping`: the facts standing at K whose narrowed windows reach into a range, in
    valid-time order, whatever their widths (open and unknown ends too) and the range's ends."""
    log, times = history_log(batches, data)
    known_at, position = _as_known(log, data, times)
    moments = _bounds(log) or [0]
    lo, hi = (data.draw(st.none() | st.sampled_from(moments)) for _ in range(2))
    through = data.draw(st.booleans())
    facts = inv.valid_order(inv.load(log, known_at).facts)
    expected = [f for f in facts if (lo is None or f.hi > lo) and (hi is None or (f.lo <= hi if through else f.lo < hi))]
    assert expected == list(cache.overlapping(log, position, lo, hi, through=through))


# --- streamed JSON ---------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=12)


@given(json_values, st.data())
def test_a_document_streamed_with_iterators_in_it_reads_byte_for_byte_as_the_whole(value, data):
    def lazily(v):
        if isinstance(v, dict):
            return {k: lazily(x) for k, x in v.items()}
        if isinstance(v, list):
            items = [lazily(x) for x in v]
            return iter(items) if data.draw(st.booleans()) else items
        return v

    out = io.BytesIO()
    jsonout.write(lazily(value), out.write, size=data.draw(st.integers(1, 64)))
    assert orjson.dumps(value, option=orjson.OPT_INDENT_2) == out.getvalue()


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)), st.sampled_from(["day", "month", "year"]))
def test_a_timeline_heading_is_given_only_once_every_window_it_may_hold_has_opened(day, length):
    """The streamed timeline gives a heading (a local day, month or year: `investigate.period`) once
    the facts have passed the moment it closes; no window filed under it opens that late, in any zone
    (offsets run from -12 to +14 hours)."""
    heading = {"day": day.isoformat(), "month": f"{day.year:04d}-{day.month:02d}", "year": f"{day.year:04d}"}[length]
    last = {"day": day, "month": (date(day.year + (day.month == 12), day.month % 12 + 1, 1) if (day.year, day.month) != (9999, 12) else None),
            "year": date(day.year + 1, 1, 1) if day.year < 9999 else None}[length]
    if length == "day":
        last = day + timedelta(days=1) if day < date(9999, 12, 31) else None
    opened_by = CALENDAR_HI if last is None else to_micros(datetime(last.year, last.month, last.day, 12, tzinfo=UTC))
    assert indexed._closes(heading) >= opened_by
    assert indexed._closes("before") == CALENDAR_LO + 1
