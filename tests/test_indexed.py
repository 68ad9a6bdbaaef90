"""The investigation commands and exports read through the cache's indexes (`projections.indexed`)
say what the fold of the resolved log says (`investigate`, `pictures.exports`), for any log hypothesis
can build: corrections of corrections, retractions, ordering constraints, every event type, windows of
every width, and at any --as-of."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import orjson
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from chrono import jsonout
from chrono.entry import Draft
from chrono.timeval import CALENDAR_HI, CALENDAR_LO, from_micros, parse_instant, parse_valid_time, to_micros
from projections import cache
from projections import indexed
from projections import investigate as inv
from projections.pictures import exports
from projections.query import ensure_cache

from . import strategies as s
from .test_investigate import PLANTS, plant
from .test_properties import NOW, ZONE, history_log

wide_batches = st.lists(s.fact_drafts(max_size=6, times=s.spread_times()), min_size=1, max_size=4)
batches = st.lists(s.fact_drafts(max_size=6), min_size=1, max_size=4)


def _log(batches, data):
    """`history_log`, then the units described again as some actor's (or none's), so that an actor's
    end has members to reach."""
    from chrono.entry import Draft
    from events import UnitDescribed

    log, times = history_log(batches, data)
    log.append([Draft(event=UnitDescribed(unit=u, name=f"Unit {u}", actor=data.draw(st.none() | st.sampled_from(s.ACTORS)))) for u in s.UNITS])
    return log, [*times, log.head().recorded]


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
# (A stay wider than the longest journey, 20 h, at once with a short one that starts late in it, half the
# world away: the sweep must try stays up to twice that wide.)
@example(stays=[(0, 30 * _HOURS, "madrid"), (13 * _HOURS, 5, "wellington")])
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


# --- diff ------------------------------------------------------------------------------------------


@given(st.one_of(wide_batches, batches), st.data())
def test_a_diff_through_the_indexes_is_the_folds_between_any_two_times(batches, data):
    """Only the keys a fact (or an actor's end) starting or ending in between may have changed are
    answered at both times; the diff must still be the fold's, change for change and happening for
    happening, with --source and --as-of."""
    log, times = _log(batches, data)
    known_at, position = _as_known(log, data, times)
    moments = [from_micros(t) for t in _bounds(log)] or [s.BASE]
    t1, t2 = sorted(data.draw(st.sampled_from(moments) | s.query_times) for _ in range(2))
    source = data.draw(st.none() | st.sampled_from(["a", "e", "zz"]))
    k = inv.load(log, known_at)
    expected = inv.diff_world(k, t1, t2, zone=ZONE, source=source)
    got = indexed.diff_world(log, position, k.known_at, t1, t2, zone=ZONE, source=source)
    assert expected == {**got, "changes": list(got["changes"]), "happenings": list(got["happenings"])}


@given(st.one_of(wide_batches, batches), st.data())
def test_a_diff_of_beliefs_through_the_indexes_is_the_folds_between_any_two_recorded_times(batches, data):
    """Only the facts whose standing version changed between K1 and K2 (new, corrected, retracted,
    narrowed, re-described) can change the belief about T: the diff must still be the fold's, with
    the entries recorded in between and what each explains."""
    log, times = _log(batches, data)
    assert ensure_cache(log)
    k1, k2 = sorted(data.draw(st.sampled_from(times)) for _ in range(2))
    k2 = data.draw(st.sampled_from([k2, None]))
    moments = [from_micros(t) for t in _bounds(log)] or [s.BASE]
    at = data.draw(st.sampled_from(moments) | s.query_times)
    source = data.draw(st.none() | st.sampled_from(["a", "e", "zz"]))
    now = log.clock()
    log.clock = lambda: now
    assert inv.diff_belief(log, at, k1, k2, zone=ZONE, source=source) == indexed.diff_belief(log, at, k1, k2 or now, zone=ZONE, source=source)


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


@given(json_values, st.lists(st.lists(json_values, min_size=1, max_size=4), max_size=4), st.integers(0, 3))
def test_items_written_ahead_in_runs_read_byte_for_byte_as_the_whole(inner, runs, nesting):
    """An array's items written ahead of it, a run at a time (jsonout.RawItems, as a large TimelineJS
    export's two processes write its slides), read as the array written whole, at any depth."""
    value = [item for run in runs for item in run]
    streamed = iter([jsonout.RawItems.of([orjson.dumps(item, option=orjson.OPT_INDENT_2) for item in run], nesting + 1) for run in runs])
    whole, lazy = value, streamed
    for _ in range(nesting):  # (the array `nesting` levels down, beside another value)
        whole, lazy = {"a": inner, "b": whole}, {"a": inner, "b": lazy}
    out = io.BytesIO()
    jsonout.write(lazy, out.write)
    assert orjson.dumps(whole, option=orjson.OPT_INDENT_2) == out.getvalue()


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


# --- through the command line, on a chronology of the war in Sudan -----------------------------------


@pytest.fixture
def sudan(tmp_path):
    """The fall of Wad Madani, December 2023, in a log file recorded in two batches (the second an hour
    later: a correction, a militia's end, a late report), as the commands read it through the cache."""
    from chrono.clock import FixedClock
    from chrono.store import Log
    from events import ActorEnded, CallMade, ControlChanged, ControlObserved, EventCorrected, PersonLocated, StatementIssued, UnitObserved

    from .test_state_says import GAZETTEER, ZONE as KHARTOUM, fact

    path = str(tmp_path / "sudan.db")
    log = Log.create(path, zone=KHARTOUM, clock=FixedClock(NOW, step=timedelta(hours=1)))
    log.append(GAZETTEER)
    log.append([
        fact(ControlObserved(place="wad-madani", controller="saf"), "../2023-12-15", "saf-holds-madani"),
        fact(ControlChanged(place="wad-madani", controller="rsf", how="captured", previous="saf"), "2023-12-18", "rsf-takes-madani"),
        fact(ControlChanged(place="hantoub", controller="gezira-militia", how="held"), "2023-12-10", "militia-holds-hantoub"),
        fact(UnitObserved(unit="militia-brigade", state="active"), "2023-12-01/2023-12-30", "brigade-stands"),
        fact(PersonLocated(person="burhan", place="port-sudan"), "2023-12-19", "burhan-in-port-sudan"),
        fact(CallMade(caller="burhan", callee="saf", summary="on the withdrawal"), "2023-12-19T10:00", "burhan-calls"),
        fact(StatementIssued(speaker="rsf", kind="claim", text="Gezira is ours"), "2023-12", "rsf-claims-gezira"),
        # (An actor the log never describes: a map still gives it a colour of its own.)
        fact(ControlChanged(place="port-sudan", controller="juba-peace-forces", how="held"), "2023-12-01", "juba-holds-port"),
    ])
    log.append([
        Draft(event=EventCorrected(target="burhan-calls", replacement=CallMade(caller="burhan", callee="rsf", summary="on a truce"), reason="the caller's office"),
              valid=parse_valid_time("2023-12-19T11:00", KHARTOUM), id="fix-call"),
        fact(ActorEnded(actor="gezira-militia", how="merged", into="rsf"), "2023-12-20", "militia-merges"),
        fact(PersonLocated(person="burhan", place="jeddah"), "2023-12-19T12:00", "burhan-in-jeddah"),
    ])
    log.close()
    return path


def _cli(db, *args):
    from click.testing import CliRunner

    import cli
    from chrono.clock import FixedClock

    result = CliRunner().invoke(cli.main, ["--db", db, *args], obj=cli.Env(clock=FixedClock(NOW + timedelta(days=1))))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def _truth(db):
    from chrono.store import Log

    log = Log.open(db)
    return log, inv.load(log)


def test_diff_through_the_cli_reads_an_actors_end_and_an_observation_open_at_the_start(sudan):
    doc = orjson.loads(_cli(sudan, "diff", "--from", "2023-12-15", "--to", "2023-12-21", "--json").stdout)
    log, k = _truth(sudan)
    expected = inv.diff_world(k, parse_instant("2023-12-15", log.zone), parse_instant("2023-12-21", log.zone), zone=log.zone)
    assert {**expected, "known_at": doc["known_at"]} == {key: doc[key] for key in expected}
    changes = {c["key"]: c for c in doc["changes"]}
    assert ("gezira-militia", "unknown") == (changes["hantoub"]["from"]["controller"], changes["hantoub"]["to"]["status"])
    assert ("saf", "rsf") == (changes["wad-madani"]["from"]["controller"], changes["wad-madani"]["to"]["controller"])
    assert {"burhan-calls", "rsf-claims-gezira"} <= {h["event"] for h in doc["happenings"]}


def test_timeline_and_check_through_the_cli_say_what_the_fold_says(sudan):
    log, k = _truth(sudan)
    doc = orjson.loads(_cli(sudan, "timeline", "--json").stdout)
    assert {**inv.timeline(k, zone=log.zone), "known_at": doc["known_at"]} == {key: doc[key] for key in doc if key != "log"}
    assert [("burhan-calls", ["fix-call"])] == [(e["event"], e["via"]) for d in doc["days"] for e in d["events"] if e["via"]]
    week = orjson.loads(_cli(sudan, "timeline", "--from", "2023-12-19", "--to", "2023-12-19", "--json").stdout)
    # (The brigade's month-long sighting and the month's claim reach into the day.)
    assert [("2023-12-01", ["brigade-stands"]), ("2023-12", ["rsf-claims-gezira"]),
            ("2023-12-19", ["burhan-in-port-sudan", "burhan-calls", "burhan-in-jeddah"])] == [
        (d["day"], [e["event"] for e in d["events"]]) for d in week["days"]]
    checked = _cli(sudan, "check", "--json")
    findings = inv.check(k, list(k.resolution.entries.values()))
    assert (1 if findings else 0, findings) == (checked.exit_code, orjson.loads(checked.stdout)["findings"])


# --- exports -----------------------------------------------------------------------------------------


def _exported(log, fmt, **kw) -> tuple[int, bytes]:
    out = io.BytesIO()
    n = exports.export(log, fmt, out, **kw)
    return n, out.getvalue()


def _folded(log, fmt, **kw) -> tuple[int, bytes]:
    out = io.BytesIO()
    n = exports._export_folded(log, fmt, out, **kw)
    return n, out.getvalue()


@given(st.one_of(wide_batches, batches), st.sampled_from(["csv", "timelinejs", "geojson"]), st.data())
def test_an_export_written_as_it_is_read_is_byte_for_byte_the_folds(batches, fmt, data):
    log, times = _log(batches, data)
    known_at = data.draw(st.sampled_from([None, *times]))
    moments = [from_micros(t) for t in _bounds(log)]
    at = data.draw(st.none() | (st.sampled_from(moments) if moments else st.none()) | s.query_times)
    now = log.clock()
    log.clock = lambda: now  # (both read "now" as the same moment)
    shape = {"group": data.draw(st.sampled_from(["none", "place", "actor"])), "span": data.draw(st.sampled_from(["own", "all"]))} \
        if fmt == "timelinejs" else {}
    assert _folded(log, fmt, at=at, known_at=known_at, **shape) == _exported(log, fmt, at=at, known_at=known_at, **shape)


def test_a_large_export_is_written_by_two_processes_as_by_one(sudan, monkeypatch):
    """The later half of a large export's facts is written by a forked child (here, any export is
    large); the file is what one process writes, and what the fold writes. When the child cannot, this
    process writes its half too."""
    from chrono.store import Log

    monkeypatch.setattr(exports, "PARALLEL_FROM", 1)
    monkeypatch.setattr(exports, "_SAMPLE", 8)
    monkeypatch.setattr(exports, "_RUN", 3)  # (TimelineJS's slides go in runs: several here, the last one short)
    log = Log.open(sudan)
    now = log.clock()
    log.clock = lambda: now
    assert ensure_cache(log) and exports._middle(log, cache.position_at(log, None), None) is not None
    for fmt, shape in (("csv", {}), ("timelinejs", {}), ("timelinejs", {"group": "place", "span": "all"})):
        expected = _folded(log, fmt, at=None, known_at=None, **shape)
        assert expected == _exported(log, fmt, **shape)
        monkeypatch.setattr(exports.Log, "open", lambda *a, **k: (_ for _ in ()).throw(OSError("no second reader")))
        assert expected == _exported(log, fmt, **shape)
        monkeypatch.undo()
        monkeypatch.setattr(exports, "PARALLEL_FROM", 1)
        monkeypatch.setattr(exports, "_SAMPLE", 8)
        monkeypatch.setattr(exports, "_RUN", 3)


def test_export_through_the_cli_writes_every_format_as_the_fold_does(sudan, tmp_path):
    log, k = _truth(sudan)
    for fmt, suffix in (("csv", "csv"), ("timelinejs", "json"), ("geojson", "geojson")):
        out = tmp_path / f"sudan.{suffix}"
        result = _cli(sudan, "export", "--format", fmt, "--out", str(out), "--as-of", "2026-01-01T01:30Z")
        assert 0 == result.exit_code, result.output
        n, expected = _folded(log, fmt, at=None, known_at=parse_instant("2026-01-01T01:30Z", log.zone))
        assert expected == out.read_bytes()
        assert f"exported {n} " in result.output
    mapped = orjson.loads(_cli(sudan, "export", "--format", "geojson").stdout)
    port = next(f for f in mapped["features"] if f["id"] == "port-sudan")
    assert ("juba-peace-forces", "certain") == (port["properties"]["controller"], port["properties"]["status"])
    assert port["properties"]["marker-color"] not in ("#9e9e9e", "#ffffff")  # (not the colour of an actor nobody named)


# --- history of an actor ---------------------------------------------------------------------------------


@given(st.one_of(batches, wide_batches), st.data())
def test_an_actors_history_read_through_the_indexes_is_the_whole_logs(batches, data):
    """An actor's history (every place it gained or lost, its units) reads only the facts naming it
    or its units and the facts of control on the places those touch, with the actors' ends; it must
    say what the whole log's history says, with and without --mentions, at any --as-of."""
    log, times = _log(batches, data)
    known_at = data.draw(st.sampled_from([None, *times]))
    whole = inv.load(log, known_at)
    actor = whole.gazetteer.by_id[data.draw(st.sampled_from(sorted(s.ACTORS)))]
    mentions = data.draw(st.booleans())
    expected = inv.history(whole, actor, zone=ZONE, mentions=mentions)
    got = inv.history(inv.load_for(log, actor, known_at, mentions=mentions), actor, zone=ZONE, mentions=mentions)
    expected.pop("known_at"), got.pop("known_at")
    assert expected == got


def test_an_actors_history_read_through_the_indexes_shows_the_places_it_lost_to_facts_that_never_name_it(sudan):
    from chrono.store import Log
    from chrono.timeval import ValidTime
    from events import ControlChanged

    from .test_properties import loaded

    def minute(m):
        return ValidTime(earliest=s.BASE + timedelta(minutes=m), latest=s.BASE + timedelta(minutes=m + 1), precision="minute", zone=ZONE)

    log = loaded([Draft(event=ControlChanged(place="p0", controller="a0"), valid=minute(0), id="held"),
                  Draft(event=ControlChanged(place="p0", controller="a1"), valid=minute(10), id="taken")])
    a0 = inv.load(log).gazetteer.by_id["a0"]
    assert ["held", "taken"] == [r["event"] for r in inv.history(inv.load_for(log, a0), a0, zone=ZONE)["changes"]]
    # (In Sudan: the militia's end reaches Hantoub, which it held, and its brigade's standing.)
    log = Log.open(sudan)
    whole = inv.load(log)
    militia = whole.gazetteer.by_id["gezira-militia"]
    expected = inv.history(whole, militia, zone=log.zone)
    got = inv.history(inv.load_for(log, militia), militia, zone=log.zone)
    assert {**expected, "known_at": None} == {**got, "known_at": None}
    assert {("militia-holds-hantoub", "hantoub"), ("militia-merges", "hantoub")} <= {(r["event"], r["key"]) for r in got["changes"]}
    # (And Hantoub's own history, though the militia's end never names it: the actors' ends are read
    # by the recency index.)
    hantoub = whole.gazetteer.by_id["hantoub"]
    expected = inv.history(whole, hantoub, zone=log.zone)
    got = inv.history(inv.load_for(log, hantoub), hantoub, zone=log.zone)
    assert {**expected, "known_at": None} == {**got, "known_at": None}
    assert "militia-merges" in {r["event"] for r in got["changes"]}


def test_an_entitys_state_through_the_cache_lists_the_happenings_naming_it(sudan):
    """`state --entity` reads only the listed types' facts naming the entity (a call, as corrected), and
    says what the fold says."""
    from chrono.store import Log
    from projections.query import state as state_document

    log = Log.open(sudan)
    at = parse_instant("2023-12-20", log.zone)
    folded, _ = state_document(log, at, zone=log.zone, entities={"burhan"}, use_cache=False)
    cached, _ = state_document(log, at, zone=log.zone, entities={"burhan"}, use_cache=True)
    folded.pop("known_at"), cached.pop("known_at")
    assert folded == cached
    assert [("burhan-calls", "rsf")] == [(c["event"], c["callee"]) for c in cached["calls"]]


def test_diff_of_beliefs_through_the_cli_reads_an_end_recorded_later_and_a_unit_described_anew(sudan):
    """What we believed of 21 December before and after the militia's end was recorded (Hantoub, which
    it held, and its brigade), and after the 1st Division was described as the militia's (its standing
    ends with the militia, though nothing recorded about the division itself changed)."""
    from chrono.clock import FixedClock
    from chrono.store import Log
    from events import UnitDescribed, UnitObserved

    from .test_state_says import fact

    log = Log.open(sudan, clock=FixedClock(NOW + timedelta(hours=12), step=timedelta(hours=1)))
    log.append([fact(UnitObserved(unit="first-division", state="active"), "2023-12-01/2023-12-30", "division-stands")])
    log.append([Draft(event=UnitDescribed(unit="first-division", name="1st Infantry Division", kind="division", actor="gezira-militia"),
                      id="d-1st-again")])
    recorded = {e.id: e.recorded for e in log.entries()}
    log.close()
    log, _k = _truth(sudan)
    for k1, k2 in ((recorded["rsf-claims-gezira"], recorded["militia-merges"]), (recorded["division-stands"], recorded["d-1st-again"])):
        args = ["diff", "--at", "2023-12-21", "--as-of", k1.isoformat(), "--vs", k2.isoformat(), "--json"]
        doc = orjson.loads(_cli(sudan, *args).stdout)
        expected = inv.diff_belief(log, parse_instant("2023-12-21", log.zone), k1, k2, zone=log.zone)
        assert expected == {key: doc[key] for key in expected}
        changed = {c["key"] for c in doc["changes"]}
        assert ({"hantoub", "militia-brigade"} if k2 == recorded["militia-merges"] else {"first-division"}) <= changed


def test_a_fact_over_the_whole_calendar_has_no_slide_in_timelinejs_and_breaks_nothing(tmp_path):
    """A window from the first instant the calendar holds to its last has no end to date a slide by
    (`slide_dates`): the export leaves it out, streamed as folded."""
    from chrono.timeval import CALENDAR_LO
    from chrono.timeval import ValidTime
    from events import CallMade

    from .test_investigate import build

    always = ValidTime(earliest=from_micros(CALENDAR_LO), latest=None, precision="second", zone="America/New_York")
    db = build(tmp_path / "always.db", [Draft(event=CallMade(caller="a0", callee="a1"), valid=always, id="always"),
                                        Draft(event=CallMade(caller="a1", callee="a0"), valid=parse_valid_time("2024-11-28", ZONE), id="dated")])
    result = _cli(db, "export", "--format", "timelinejs")
    assert 0 == result.exit_code, result.output
    assert ["dated"] == [e["unique_id"] for e in orjson.loads(result.stdout)["events"]]


def test_an_event_whose_wall_clock_is_past_the_calendar_exports_at_its_edge(tmp_path):
    """The last hours of 9999 in UTC are past the calendar's end on the wall clocks east of it: a log
    kept in Damascus time dates such an event on the calendar's last day, in every format, streamed as
    folded (a crash before)."""
    from chrono.store import Log
    from chrono.timeval import ValidTime
    from events import CallMade

    from .test_investigate import build

    late = ValidTime(earliest=datetime(9999, 12, 31, 21, 0, tzinfo=UTC), latest=datetime(9999, 12, 31, 21, 0, 0, 1, tzinfo=UTC),
                     precision="second", zone="UTC")
    db = build(tmp_path / "late.db", [Draft(event=CallMade(caller="a0", callee="a1"), valid=late, id="late"),
                                      Draft(event=CallMade(caller="a1", callee="a0"), valid=parse_valid_time("2024-11-28", ZONE), id="dated")])
    log = Log.open(db)
    assert ZONE == log.zone
    now = log.clock()
    log.clock = lambda: now
    for fmt in ("csv", "timelinejs"):
        assert _folded(log, fmt, at=None, known_at=None) == _exported(log, fmt)
    rows = {r["event_id"]: r for r in csv.DictReader(io.StringIO(_exported(log, "csv")[1].decode(), newline=""))}
    assert ("9999-12-31", "9999", "1") == (rows["late"]["event_date"], rows["late"]["year"], rows["late"]["time_precision"])
    slide = next(e for e in orjson.loads(_exported(log, "timelinejs")[1])["events"] if e["unique_id"] == "late")
    assert 9999 == slide["start_date"]["year"]


def test_an_event_whose_wall_clock_is_past_the_calendar_is_on_every_timeline(tmp_path):
    """The same event in the text and JSON timelines (filed under the calendar's last day, where the
    zone's clocks stop) and on the timeline page, whose axis, padded beyond its events (by a fiftieth
    of the 8,000 years between these two), stops at the calendar's end."""
    from chrono.timeval import ValidTime
    from events import CallMade

    from .test_investigate import build

    late = ValidTime(earliest=datetime(9999, 12, 31, 21, 0, tzinfo=UTC), latest=datetime(9999, 12, 31, 21, 0, 0, 1, tzinfo=UTC),
                     precision="second", zone="UTC")
    db = build(tmp_path / "late.db", [Draft(event=CallMade(caller="a0", callee="a1"), valid=late, id="late"),
                                      Draft(event=CallMade(caller="a1", callee="a0"), valid=parse_valid_time("2024-11-28", ZONE), id="dated")])
    text = _cli(db, "timeline")
    assert 0 == text.exit_code and "late" in text.stdout, text.output
    doc = _cli(db, "timeline", "--json")
    assert 0 == doc.exit_code, doc.output
    assert ["2024-11-28", "9999-12-31"] == [d["day"] for d in orjson.loads(doc.stdout)["days"]]
    page = _cli(db, "timeline", "--html", str(tmp_path / "late.html"))
    assert 0 == page.exit_code and "late" in (tmp_path / "late.html").read_text(), page.output


def test_timelinejs_lists_events_far_outside_the_chronicles_span_on_its_title_slide_as_the_fold_does(tmp_path):
    """A chronicle of a few days, with one event years before it and one years after: both go on the
    title slide (by the quartiles of the windows' bounds, read by a sort on disk), the rest are
    slides; grouped by place, the groups are counted over the slides alone."""
    from chrono.store import Log
    from events import CallMade, ControlChanged

    from .test_investigate import build

    days = [draft for i in range(12) for draft in [Draft(event=ControlChanged(place=s.PLACES[i % 3], controller=s.ACTORS[i % 2]),
                                                         valid=parse_valid_time(f"2024-11-{27 + i % 3}T{10 + i:02d}:00", ZONE), id=f"c{i}")]]
    far = [Draft(event=CallMade(caller="a0", callee="a1"), valid=parse_valid_time("2016-05", ZONE), id="long-before"),
           Draft(event=CallMade(caller="a1", callee="a0"), valid=parse_valid_time("2031", ZONE), id="long-after")]
    db = build(tmp_path / "far.db", days + far)
    log = Log.open(db)
    now = log.clock()
    log.clock = lambda: now
    for shape in ({}, {"group": "place"}, {"span": "all"}):
        expected = _folded(log, "timelinejs", at=None, known_at=None, **shape)
        assert expected == _exported(log, "timelinejs", **shape)
    doc = orjson.loads(_exported(log, "timelinejs")[1])
    assert {"long-before", "long-after"}.isdisjoint(e["unique_id"] for e in doc["events"]) and len(doc["events"]) == 12
    assert "far outside" in doc["title"]["text"]["text"] and "May 2016" in doc["title"]["text"]["text"]
