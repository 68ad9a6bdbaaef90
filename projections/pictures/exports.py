"""Exports for other tools: CSV (one row per event, ACLED-like), GeoJSON of the state at T, Knight Lab
TimelineJS JSON; `export` dispatches every format, JSON Lines included."""

from __future__ import annotations

import csv
import functools
import io
import itertools
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from html import escape
from typing import IO

import orjson

from chrono import jsonout
from chrono.errors import ChronoError
from chrono.jsonl import write_entries
from chrono.settings import actor_colours, setting
from chrono.store import Log, bulk
from chrono.timeval import CALENDAR_HI, CALENDAR_LO, from_micros, iso, to_micros, wall, zone_info
from events import REGISTRY, StatementIssued, ref_fields

from .. import cache
from ..indexed import Progress, gazetteer, quietly
from ..query import Knowledge, ensure_cache, keyed_json
from ..resolve import Fact
from ..rules import CHANNELS, CONTROL, WHERE, rule_of
from ..world import answer
from . import AUTHOR_FORMATS, BY_AUTHOR, FORMATS, GROUPINGS, MAX_GROUPS, SPANS
from ._colors import actor_colors
from ._model import Scene, scene
from ._svg import colour_of, describe_control


# ACLED's names, where Chrono's value means what ACLED's does (https://acleddata.com codebook), then
# Chrono's own. Every time is UTC, or a date: a whole file parses in one offset.
ACLED_COLUMNS = (
    "event_date", "year", "time_precision", "actor1", "actor2", "country", "admin1", "location", "latitude", "longitude",
    "geo_precision", "source", "notes", "timestamp",
)
CHRONO_COLUMNS = (
    "event_id", "chrono_type", "fact_or_claim", "valid_earliest_utc", "valid_latest_utc", "time_qualifier", "time_wording",
    "time_described", "actors", "people", "units", "place_id", "places", "source_attribution", "source_quote", "source_title",
    "source_url", "corrected_by", "recorded_utc", "log_position", "recorded_by",
)
CSV_COLUMNS = ACLED_COLUMNS + CHRONO_COLUMNS

# ACLED's geo_precision by the kind of place: 1, the place itself (a town, a building); 2, a part of a
# region, or near a place; 3, only a larger region. Other kinds say nothing about it: left empty.
GEO_PRECISION = {
    **dict.fromkeys(("city", "town", "village", "airport", "airbase", "military-site", "border-crossing", "bridge", "building", "camp", "mountain"), 1),
    **dict.fromkeys(("district", "area"), 2),
    **dict.fromkeys(("governorate", "region", "country"), 3),
}
DAY_US, WEEK_US, MONTH_US = 86_400_000_000, 7 * 86_400_000_000, 31 * 86_400_000_000


def _timed_facts(sc: Scene, at: datetime | None):
    """Facts with a valid time in valid-time order; with `at`, only those begun (possibly) by then."""
    facts = sorted(sc.k.timed(), key=lambda f: (f.lo, f.seq))
    if at is not None:
        facts = [f for f in facts if f.lo <= to_micros(at)]
    return facts


def time_precision(lo: int, hi: int, zone: str, first: date | None = None) -> int | None:
    """ACLED's time_precision of a window: 1, within one day (of the log's zone); 2, within a week;
    3, within a month; None for a longer window or an open or unknown end, which ACLED cannot say.
    (`first`: the day it opens on, in the zone, when the caller has it.)"""
    if lo <= CALENDAR_LO or hi >= CALENDAR_HI:
        return None
    tz = zone_info(zone)
    if (first or wall(from_micros(lo), tz).date()) == wall(from_micros(hi - 1), tz).date():
        return 1
    return 2 if hi - lo <= WEEK_US else 3 if hi - lo <= MONTH_US else None


def fact_or_claim(f: Fact) -> str:
    """What someone said (a StatementIssued: claim, denial, plan, rumour...) is a claim, never a fact."""
    return "claim" if isinstance(f.event, StatementIssued) else "fact"


def _utc(us: int) -> str:
    """A bound in UTC; empty for an open or unknown end (the calendar's edge, where the fold keeps it)."""
    return "" if us <= CALENDAR_LO or us >= CALENDAR_HI else from_micros(us).isoformat()  # (from_micros gives UTC)


class CsvRows:
    """The CSV rows (CSV_COLUMNS) of one export's events. What a row says of its place (country,
    region, name, coordinates, precision) is worked out once per place, and what it says of its window
    (date, year, precision, bounds in UTC) once per window among the last few thousand: a log names few
    places and repeats windows (a day, a week), and ACLED's columns, worked out per row, were about a
    third of a row's CPU (docs/performance.md, "What is thin")."""

    def __init__(self, sc: Scene) -> None:
        self.sc = sc
        self._places: dict[str | None, tuple] = {}
        self.window = functools.lru_cache(maxsize=4096)(self._window)

    def row(self, f: Fact, recorded: datetime, author: str | None = None) -> dict:
        """One event as a CSV row, by column; `recorded` is when the log learned what it now says of it
        (its latest correction, or the event itself), `author` who recorded that."""
        return dict(zip(CSV_COLUMNS, self.values(f, recorded, author), strict=True))

    def values(self, f: Fact, recorded: datetime, author: str | None = None) -> list:
        """The row's values in CSV_COLUMNS' order (what the CSV writer takes: the named row costs a
        tenth of an export's time more)."""
        n, info = self.sc.g.name, self.sc.event_info(f, instants=False)
        place = info["places"][0] if info["places"] else None
        country, admin1, location, lat, lon, geo_precision = self._place(place)
        event_date, year, precision, earliest, latest = self.window(f.lo, f.hi)
        sources = info["sources"]
        if len(sources) == 1:  # (most facts: the texts as they are)
            s = sources[0]
            outlets, attribution, quote, title, url = s["outlet"], s["attribution"] or "", s["quote"] or "", s["title"] or "", s["url"] or ""
        else:
            outlets = "; ".join(dict.fromkeys(s["outlet"] for s in sources))
            attribution, quote, title, url = (_joined(sources, key) for key in ("attribution", "quote", "title", "url"))
        return [  # (CSV_COLUMNS)
            event_date,                                               # event_date
            year,                                                     # year
            precision,                                                # time_precision
            n(info["actors"][0]) if info["actors"] else "",           # actor1
            n(info["actors"][1]) if len(info["actors"]) > 1 else "",  # actor2
            country,                                                  # country
            admin1,                                                   # admin1
            location,                                                 # location
            lat,                                                      # latitude
            lon,                                                      # longitude
            geo_precision,                                            # geo_precision
            outlets,                                                  # source
            info["summary"],                                          # notes
            int(recorded.timestamp()),                                # timestamp
            f.id,                                                     # event_id
            info["type"],                                             # chrono_type
            fact_or_claim(f),                                         # fact_or_claim
            earliest,                                                 # valid_earliest_utc
            latest,                                                   # valid_latest_utc
            info["qualifier"] or "",                                  # time_qualifier
            info["wording"] or "",                                    # time_wording
            info["when"],                                             # time_described
            "; ".join(info["actors"]),                                # actors
            "; ".join(info["people"]),                                # people
            "; ".join(info["units"]),                                 # units
            place or "",                                              # place_id
            "; ".join(info["places"]),                                # places
            attribution,                                              # source_attribution
            quote,                                                    # source_quote
            title,                                                    # source_title
            url,                                                      # source_url
            "; ".join(info["corrected_by"]),                          # corrected_by
            recorded.isoformat(),                                     # recorded_utc (a recorded time is read in UTC)
            f.seq,                                                    # log_position
            author or "",                                             # recorded_by
        ]

    def _place(self, place: str | None) -> tuple:
        """country, admin1, location, latitude, longitude, geo_precision of an event at `place`."""
        if place not in self._places:
            g = self.sc.g
            coords = self.sc.coords(place)
            chain = [g.by_id[p] for p in g.within(place) if p in g.by_id] if place else []
            country = next((e for e in chain if e.details.get("kind") == "country"), None)
            governorates = [e for e in chain if e.details.get("kind") == "governorate"]
            self._places[place] = (
                country.name if country else "",
                governorates[-1].name if governorates else "",  # the largest, nearest the country
                g.name(place) if place else "",
                coords[1] if coords else "",
                coords[0] if coords else "",
                GEO_PRECISION.get(g.by_id[place].details.get("kind"), "") if coords else "",
            )
        return self._places[place]

    def _window(self, lo: int, hi: int) -> tuple:
        """event_date, year, time_precision, valid_earliest_utc, valid_latest_utc of a window."""
        start = from_micros(lo) if lo > CALENDAR_LO else None  # (a start is never the calendar's end, which `_utc` also leaves empty)
        day = wall(start, zone_info(self.sc.zone)).date() if start else None
        return (day.isoformat() if day else "", day.year if day else "", time_precision(lo, hi, self.sc.zone, day) or "",
                start.isoformat() if start else "", _utc(hi))


def _joined(sources: list[dict], key: str) -> str:
    """One source column of a CSV row of several sources: their texts, joined ("" when none has one)."""
    return " | ".join(s[key] or "" for s in sources) if any(s[key] for s in sources) else ""


def said_now(f: Fact) -> str:
    """The entry that recorded what a fact says now: its latest correction, else its own. An export's
    recorded time and author of a fact are this entry's, and its --author picks facts by it."""
    return (f.via or (f.id,))[-1]


def recorded_times(log: Log) -> dict[str, tuple[datetime, str | None]]:
    """When the log recorded each entry and who did, by event id."""
    return {e.id: (e.recorded, e.author) for e in log.entries()}


def csv_rows(log: Log, *, at: datetime | None = None, known_at: datetime | None = None, author: str | None = None) -> list[dict]:
    """One row per event that stands (corrections applied, retractions gone) as known at `known_at`;
    with `author`, only those whose present wording `author` recorded (`said_now`)."""
    sc = scene(log, known_at)
    recorded, rows = recorded_times(log), CsvRows(sc)
    return [rows.row(f, *recorded[said_now(f)]) for f in _timed_facts(sc, at) if author is None or recorded[said_now(f)][1] == author]


def write_csv(log: Log, out: IO[str], *, at: datetime | None = None, known_at: datetime | None = None, author: str | None = None) -> int:
    """CSV with a header row (CSV_COLUMNS); returns the number of events written."""
    rows = csv_rows(log, at=at, known_at=known_at, author=author)
    w = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    return len(rows)


def latest_moment(log: Log, known_at: datetime | None = None) -> datetime:
    """The first moment at which every event in the log whose window has an end has certainly happened."""
    return _latest(scene(log, known_at))


def _latest(sc) -> datetime:
    his = [f.hi for f in sc.k.timed() if f.hi < CALENDAR_HI]  # (an open or unknown end never comes)
    return from_micros(max(his)) if his else sc.k.known_at


def geojson(log: Log, at: datetime | None = None, known_at: datetime | None = None) -> dict:
    """A FeatureCollection of the state at `at` (default: once every event has happened): a Feature
    per place with its controller, status, candidates, contesting actors and the people there.
    Places without coordinates get a null geometry, as GeoJSON allows. simplestyle's `marker-color`
    makes geojson.io and similar tools colour the points by controller."""
    sc = scene(log, known_at)
    if at is None:
        at = _latest(sc)
    doc = sc.state(at)
    return geojson_of(sc, doc["valid_at"], doc["known_at"], doc["control"], doc["whereabouts"])


def geojson_of(sc: Scene, valid_at: str, known_at: str, control: list[dict], whereabouts: list[dict]) -> dict:
    """The FeatureCollection of `geojson` from the rows of a state's control and whereabouts."""
    people: dict[str, list[str]] = {}
    for w in whereabouts:
        if w["place"] and w["status"] != "unknown":
            people.setdefault(w["place"], []).append(w["person"])
    features = []
    for c in control:
        e = sc.g.by_id.get(c["place"])
        coords = sc.coords(c["place"])
        n = sc.g.name
        features.append({
            "type": "Feature",
            "id": c["place"],
            "geometry": {"type": "Point", "coordinates": [coords[0], coords[1]]} if coords else None,
            "properties": {
                "place": c["place"],
                "name": c["name"],
                "kind": e.details.get("kind") if e else None,
                "controller": c["controller"],
                "controller_name": n(c["controller"]) if c["controller"] else None,
                "status": c["status"],
                "candidates": c["candidates"],
                "contested_with": c["contested_with"],
                "since": c["since"],
                "events": c["events"],
                "people": people.get(c["place"], []),
                "description": describe_control(sc, c),
                "marker-color": colour_of(sc, c["controller"]) if c["status"] != "unknown" else "#ffffff",
            },
        })
    return {"type": "FeatureCollection", "valid_at": valid_at, "known_at": known_at, "log": sc.log_name, "features": features}


# --- TimelineJS ------------------------------------------------------------------------------------

FAR_OUT = 3  # an event this many interquartile ranges of the slides' dates before or after them is far out

_UNITS = ("year", "month", "day", "hour", "minute", "second")  # coarsest first
_DATES = ("year", "month", "day")  # units a reader counts inclusively ("27 to 29 November")
_DISPLAY = {"year": "%Y", "month": "%B %Y", "day": "%-d %b %Y", "hour": "%-d %b %Y %H:%M", "minute": "%-d %b %Y %H:%M", "second": "%-d %b %Y %H:%M:%S"}
_STEP = {"day": timedelta(days=1), "hour": timedelta(hours=1), "minute": timedelta(minutes=1), "second": timedelta(seconds=1)}


def _starts(t: datetime) -> tuple[str, ...]:
    """The units wall-clock time `t` is the start of, coarsest first: a suffix of _UNITS, from the
    coarsest whose finer fields are all at their first value (a midnight starts a day and the units
    below it; the first of January at midnight, a year too)."""
    firsts = (t.month == 1, t.day == 1, t.hour == 0, t.minute == 0, t.second == 0, t.microsecond == 0)
    n = len(_UNITS)
    while n and firsts[n - 1]:
        n -= 1
    return _UNITS[n:]


def _shift(t: datetime, unit: str, n: int) -> datetime:
    """Wall-clock time `t` moved by `n` units; past the calendar's edge, the edge (where a window at the
    end of 9999 in UTC reads, east of it)."""
    try:
        if unit == "year":
            return t.replace(year=t.year + n)
        if unit == "month":
            months = t.year * 12 + t.month - 1 + n
            return t.replace(year=months // 12, month=months % 12 + 1)
        return t + n * _STEP[unit]
    except (OverflowError, ValueError):
        return datetime.max if n > 0 else datetime.min


def _tl_date(t: datetime, unit: str) -> dict:
    """A TimelineJS date down to `unit`, with the display_date it should print."""
    n = _UNITS.index(unit) + 1
    date = dict(zip(_UNITS[:n], (t.year, t.month, t.day, t.hour, t.minute, t.second)[:n]))
    date["display_date"] = t.strftime(_DISPLAY[unit])
    return date


def slide_dates(lo: int, hi: int, zone: str, when: str | None = None) -> tuple[dict, dict | None] | None:
    """TimelineJS's start_date and end_date of the window [lo, hi), in `zone`. Each end is given to
    the coarsest unit it is a whole number of (a year, a month, a day, else a clock time). A date end
    is inclusive: the last day (month, year) in the window, never the first after it; a clock end is
    the moment the window closes. A window of one day, month or year, or of one minute, has one date.
    An open or unknown end has no date: the other end is the only one, and prints `when` (Chrono's
    reading of the window, which says the end is open). None when neither end is known."""
    tz = zone_info(zone)
    start = wall(from_micros(lo), tz).replace(tzinfo=None) if lo > CALENDAR_LO else None
    stop = wall(from_micros(hi), tz).replace(tzinfo=None) if hi < CALENDAR_HI else None
    if start is None and stop is None:
        return None
    # An end alone says nothing of how long the window is: never more than a day of it.
    units = _UNITS if start is not None and stop is not None else _UNITS[2:]
    ending = first = None
    if stop is not None:
        aligned = _starts(stop)[-len(units):]  # (both suffixes of _UNITS: the shorter is what they share)
        e_unit = next((u for u in aligned if start is None or _shift(stop, u, -1) >= start), "second")
        ending = _tl_date(_shift(stop, e_unit, -1) if e_unit in _DATES else stop, e_unit)
    if start is not None:
        aligned = _starts(start)[-len(units):]
        s_unit = next((u for u in aligned if stop is None or _shift(start, u, 1) <= stop), "second")
        first = _tl_date(start, s_unit)
    if first is None or ending is None:
        only = first or ending
        return (only | {"display_date": when} if when else only), None
    one_unit = s_unit == e_unit and (first == ending if e_unit in _DATES else e_unit != "hour" and _shift(start, s_unit, 1) == stop)
    return (first, None) if one_unit else (first, ending)


def own_span(points: list[int]) -> tuple[int, int]:
    """The chronicle's own span, from the known bounds of its events' windows: their quartiles,
    widened by FAR_OUT times the distance between them (at least a day) on each side."""
    p = sorted(points)
    return span_of(len(p), p.__getitem__)


def span_ranks(n: int) -> list[int]:
    """Where in the sorted bounds `span_of` looks, when there are `n`."""
    return [0, n - 1] if n < 4 else [n // 4, (3 * n) // 4]


def span_of(n: int, nth: Callable[[int], int]) -> tuple[int, int]:
    """`own_span` of `n` bounds, the i-th smallest of which is `nth(i)` (asked only at `span_ranks`)."""
    if n < 4:
        return (nth(0), nth(n - 1)) if n else (0, 0)
    q1, q3 = (nth(i) for i in span_ranks(n))
    spread = max(q3 - q1, DAY_US)
    return q1 - FAR_OUT * spread, q3 + FAR_OUT * spread


def slide_groups(sc: Scene, infos: list[dict], by: str) -> dict[str, str]:
    """The group (a row of TimelineJS's time bar) of each event, by id: the name of its first place
    (or actor, `by`), when there are no more than MAX_GROUPS; else the MAX_GROUPS - 1 largest are
    named and the rest share one. Nothing for `none`."""
    if by == "none":
        return {}
    named, other = group_names(sc, Counter(group_key(i, by) for i in infos), by)
    return {i["id"]: group_of(sc, i, by, named, other) for i in infos}


def group_key(info: dict, by: str) -> str | None:
    """What an event is grouped by: its first place or actor (None: it names none)."""
    return next(iter(info["places"] if by == "place" else info["actors"]), None)


def group_names(sc: Scene, counts: Counter, by: str) -> tuple[set, str]:
    """The keys that name a group of their own, from how many events each has (`group_key`), and the
    name of the group the rest share."""
    ranked = sorted(((k, c) for k, c in counts.items() if k), key=lambda kv: (-kv[1], sc.g.name(kv[0]).casefold()))
    rows = len(ranked) + (None in counts)
    named = {k for k, _ in (ranked if rows <= MAX_GROUPS else ranked[: MAX_GROUPS - 1])}
    return named, "Other places, or none" if by == "place" else "Other actors, or none"


def group_of(sc: Scene, info: dict, by: str, named: set, other: str) -> str:
    k = group_key(info, by)
    return sc.g.name(k) if k in named else other


def timelinejs_slide(info: dict, dates: tuple[dict, dict | None], group: str | None, author: str | None = None) -> dict:
    """One event as a TimelineJS slide: its window's dates, its summary, its time in the source's
    words, its sources, and who recorded what it says (`said_now`)."""
    sources = "".join(
        f"<p><b>{escape(s['outlet'])}</b>"
        + (f", {escape(s['attribution'])}" if s["attribution"] and s["attribution"] != s["outlet"] else "")
        + (f": <i>“{escape(s['quote'])}”</i>" if s["quote"] else "")
        + "</p>"
        for s in info["sources"]
    )
    text = (f"<p>{escape(info['when'])}" + (f" — “{escape(info['wording'])}”" if info["wording"] else "") + "</p>") + sources
    if author is not None:
        text += f"<p><small>Recorded by {escape(author)}</small></p>"
    start, end = dates
    return {
        "unique_id": info["id"],
        "start_date": start,
        **({"end_date": end} if end else {}),
        "text": {"headline": escape(info["summary"]), "text": text},
        **({"group": group} if group else {}),
    }


def timelinejs(log: Log, *, at: datetime | None = None, known_at: datetime | None = None, title: str | None = None,
               group: str = "none", span: str = "own", author: str | None = None) -> dict:
    """Knight Lab TimelineJS3 JSON: one slide per event over its whole window (in the log's zone,
    the end inclusive, each end with the display_date to print), grouped by `group` (GROUPINGS).
    With `span` "own", events far outside the chronicle's own span (see own_span) are listed on the
    title slide rather than given slides, so the timeline opens on the chronicle, not on them. With
    `author`, only the events whose present wording `author` recorded (`said_now`); the span is the
    whole chronicle's still."""
    if group not in GROUPINGS:
        raise ChronoError(f"cannot group a timeline by {group!r}; one of {', '.join(GROUPINGS)}")
    if span not in SPANS:
        raise ChronoError(f"unknown span {span!r}; one of {', '.join(SPANS)}")
    sc = scene(log, known_at)
    dated = []
    for f in _timed_facts(sc, at):
        info = sc.event_info(f, instants=False, entities=group != "none")
        dates = slide_dates(f.lo, f.hi, sc.zone, info["when"])
        if dates is not None:
            dated.append((f, info, dates))
    lo, hi = CALENDAR_LO, CALENDAR_HI
    if span == "own":
        lo, hi = own_span([t for f, _i, _d in dated for t in (f.lo, f.hi) if CALENDAR_LO < t < CALENDAR_HI])
    recorded = recorded_times(log)
    by = {f.id: recorded[said_now(f)][1] for f, _i, _d in dated}
    inside, outside = [], []
    for f, i, d in dated:
        if author is None or by[f.id] == author:
            (outside if far_out(f, lo, hi) else inside).append((f, i, d))
    groups = slide_groups(sc, [i for _f, i, _d in inside], group)
    return timelinejs_of(sc, [(i, d) for _f, i, d in outside],
                         [timelinejs_slide(i, d, groups.get(i["id"]), by[f.id]) for f, i, d in inside], title=title)


def far_out(f: Fact, lo: int, hi: int) -> bool:
    """Whether a fact lies far outside the span [lo, hi]: its whole window before it, or after it (an
    open end reaches into any span)."""
    return f.hi < lo or max(f.lo, CALENDAR_LO + 1) > hi


def timelinejs_of(sc: Scene, outside: list[tuple[dict, tuple]], events, *, title: str | None = None) -> dict:
    """The TimelineJS document around its slides (a list, or an iterator to stream), the events far
    outside its span ((info, dates) of each) listed on the title slide."""
    text = f"<p>As known at {escape(iso(sc.k.known_at, sc.zone))}</p>"
    if outside:
        items = "".join(f"<li>{escape(d[0]['display_date'])}{' – ' + escape(d[1]['display_date']) if d[1] else ''}: {escape(i['summary'])}</li>"
                        for i, d in outside)
        text += f"<p>Also in the log, far outside this timeline's span:</p><ul>{items}</ul>"
    return {
        "title": {"text": {"headline": escape(title or sc.title), "text": text}},
        "events": events,
    }


def export(log: Log, fmt: str, out: IO[bytes], *, at: datetime | None = None, known_at: datetime | None = None,
           group: str = "none", span: str = "own", step: Progress = quietly, author: str | None = None) -> int:
    """Write `log` to the binary stream `out` in `fmt` (one of FORMATS); returns how many entries,
    events or features were written. `jsonl` is the whole log, lossless (what `import` reads) and
    ignores `at`/`known_at`; `csv` and `timelinejs` hold the events standing as known at `known_at`
    (with `at`, only those begun by then); `geojson` is the state at `at`.

    Every format is written as it is read, in memory that does not grow with the log: the events in
    valid-time order through the cache's indexes (`cache.opening`, `cache.overlapping`), the state a
    key at a time (`cache.key_cell`). Without a cache that can be brought up to date, from the fold.
    `step` reports how far a long export has got.

    `author`: only the events whose present wording `author` recorded (`said_now`), in csv and
    timelinejs; jsonl is always the whole log, and geojson a state, which no author's events alone make."""
    if author is not None and fmt not in BY_AUTHOR:
        raise ChronoError(f"{fmt} cannot be limited to what one author recorded: {AUTHOR_FORMATS}")
    if fmt == "jsonl":
        with step("exporting", lambda: len(log)) as report:
            return write_entries(_reporting(log.entries(), report), out)
    if fmt not in FORMATS:
        raise ChronoError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
    if group not in GROUPINGS:
        raise ChronoError(f"cannot group a timeline by {group!r}; one of {', '.join(GROUPINGS)}")
    if span not in SPANS:
        raise ChronoError(f"unknown span {span!r}; one of {', '.join(SPANS)}")
    position = cache.position_at(log, known_at) if ensure_cache(log) else None
    if position is None:
        return _export_folded(log, fmt, out, at=at, known_at=known_at, group=group, span=span, author=author)
    sc = _scene(log, position, known_at, colors=fmt == "geojson")
    if fmt == "geojson":
        doc = _geojson_indexed(log, sc, position, at, step)
        out.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
        return len(doc["features"])
    end = None if at is None else to_micros(at)
    with bulk(), step("exporting", lambda: cache.count_facts(log, position, timed=True)) as report:
        if fmt == "csv":
            header = io.StringIO(newline="")
            csv.writer(header, lineterminator="\r\n").writerow(CSV_COLUMNS)
            out.write(header.getvalue().encode("utf-8"))
            return _write_pieces(_pieces(log, position, end, lambda lg, start, stop: cache.opening(lg, position, start, stop),
                                         lambda facts, lg: _csv_pieces(facts, sc, lg, position, author)), out.write, report)
        return _timelinejs_indexed(log, sc, position, end, group, span, out, report, author)


def _scene(log: Log, position: int, known_at: datetime | None, *, colors: bool) -> Scene:
    """What `scene` gives an export, read from the cache: the whole gazetteer (it grows with the
    entities, not the log), and the actors' colours only when asked (a map's)."""
    g = gazetteer(log, position)
    k = Knowledge(known_at=known_at or log.clock(), log=log, position=position)
    k.use_gazetteer(g)
    return Scene(log_name=log.name, title=setting(log, "title") or log.name, zone=log.zone, k=k,
                 colors=_actor_colors(log, position, g) if colors else {})


def _recorded(log: Log, facts, position: int, author: str | None, batch: int = 1024) -> Iterator[tuple[list, dict]]:
    """`facts` a batch at a time, with when the log recorded what each says now and who did (by
    `said_now`'s id); with `author`, only the facts `author` recorded so."""
    facts = iter(facts)
    while chunk := list(itertools.islice(facts, batch)):
        # (A fact's own entry, at its position, is read by it; a correction's by its id.)
        now = [(said_now(f), f) for f in chunk]
        recorded = cache.recorded_of(log, {i for i, f in now if i != f.id}, position, at={f.seq for i, f in now if i == f.id})
        if author is not None:
            chunk = [f for f in chunk if recorded[said_now(f)][1] == author]
        yield chunk, recorded


def _csv_pieces(facts, sc: Scene, log: Log, position: int, author: str | None = None) -> Iterator[tuple[bytes, int]]:
    """The CSV rows of `facts` (as `write_csv` writes them), a batch at a time, with how many; when the
    log recorded what each says now, and who did, read a batch at a time too."""
    text = io.StringIO(newline="")
    w = csv.writer(text, lineterminator="\r\n")  # (what csv.DictWriter writes, without its checks of every row's keys)
    rows = CsvRows(sc)
    for chunk, recorded in _recorded(log, facts, position, author):
        for f in chunk:
            w.writerow(rows.values(f, *recorded[said_now(f)]))
        yield text.getvalue().encode("utf-8"), len(chunk)
        text.seek(0)
        text.truncate()


def _timelinejs_indexed(log: Log, sc: Scene, position: int, end: int | None, group: str, span: str, out: IO[bytes], report,
                        author: str | None = None) -> int:
    """`timelinejs` read as it is written: the span from the quartiles of the windows' bounds (by a
    sort SQLite does on disk), the few events far outside it first (the title slide lists them), the
    groups' sizes by a pass of their own when grouped, then every other event's slide in valid-time
    order."""
    lo, hi = CALENDAR_LO, CALENDAR_HI
    if span == "own":
        n, at_rank = cache.window_bounds(log, position, end, span_ranks)
        lo, hi = span_of(n, at_rank.__getitem__)
    top = hi if end is None else min(hi, end)

    def dated(facts, lg: Log = log):  # (`lg`: the log of the process that reads `facts`: a forked child has its own)
        for chunk, recorded in _recorded(lg, facts, position, author):
            for f in chunk:
                info = sc.event_info(f, instants=False, entities=group != "none")
                dates = slide_dates(f.lo, f.hi, sc.zone, info["when"])
                if dates is not None:
                    yield f, {**info, "recorded_by": recorded[said_now(f)][1]}, dates

    before = dated(f for f in cache.opening(log, position, None, lo - 1 if end is None else min(lo - 1, end)) if far_out(f, lo, hi)) \
        if span == "own" else ()
    after = dated(cache.opening(log, position, hi + 1, end)) if span == "own" and (end is None or end > hi) else ()
    outside = [(i, d) for _f, i, d in itertools.chain(before, after)]
    inside = lambda lg, start, stop: (cache.opening(lg, position, start, stop) if start is not None  # noqa: E731
                                      else cache.overlapping(lg, position, lo - 1, stop, through=True))
    named, other = set(), ""
    if group != "none":
        named, other = group_names(sc, Counter(group_key(i, group) for _f, i, _d in dated(_inside(inside(log, None, top), lo, hi))), group)

    def pieces_of(facts, lg):  # (the slides a run at a time, written as they stand in the document: see jsonout.RawItems)
        run = []
        for _f, i, d in dated(_inside(facts, lo, hi), lg):
            run.append(orjson.dumps(timelinejs_slide(i, d, group_of(sc, i, group, named, other) if group != "none" else None, i["recorded_by"]),
                                    option=orjson.OPT_INDENT_2))
            if len(run) == _RUN:
                yield jsonout.RawItems.of(run, _SLIDE_DEPTH), len(run)
                run = []
        if run:
            yield jsonout.RawItems.of(run, _SLIDE_DEPTH), len(run)

    count = [0]

    def slides():
        for piece, count[0] in _counted(_pieces(log, position, top, inside, pieces_of), report):
            yield jsonout.RawItems(piece)

    jsonout.write(timelinejs_of(sc, outside, slides()), out.write)
    out.write(b"\n")
    return count[0]


# A large TimelineJS export's slides go to the document a run of _RUN at a time, written ahead as items
# at the depth timelinejs_of's document holds them ({"events": [slide, ...]}): each process writes its
# own runs whole, and the one that writes the document copies the other's without touching each slide
# again (at 1M, that was 0.6 s of serial copying after both halves, and 0.75 s more for its own half).
_RUN = 256
_SLIDE_DEPTH = 2


def _inside(facts, lo: int, hi: int):
    return (f for f in facts if not far_out(f, lo, hi))


def _write_pieces(pieces, write, report) -> int:
    n = 0
    for piece, n in _counted(pieces, report):
        write(piece)
    return n


def _counted(pieces, report, every: int = 4096) -> Iterator[tuple[bytes, int]]:
    """Each of `pieces` ((bytes, how many rows they hold)) with how many rows have gone by with it,
    reporting that every `every` rows, and at the end."""
    n = 0
    for piece, count in pieces:
        before, n = n, n + count
        if n // every != before // every:
            report(n)
        yield piece, n
    report(n)


# A large export is written by two processes: the facts opening before the middle of the log's valid
# time here, the rest by a forked child at once, into a temporary file this one copies when done. A
# row costs about three times what reading its fact does (naming, wording, encoding), so the two
# halves take about as long.
PARALLEL_FROM = 20_000  # facts; below this the fork costs more than it saves
_SAMPLE = 4096  # facts looked at to find the middle: a median of 512 left the halves of a 1M export up to
# 0.85 s apart (its standard error is ~2% of the facts); of 4096, 0.1-0.3 s, for ~10 ms of lookups


def _pieces(log: Log, position: int, end: int | None, facts: Callable, pieces_of: Callable) -> Iterator[tuple[bytes, int]]:
    """`pieces_of(facts(log, start, stop), log)` for the facts of an export (`facts`: those opening from
    `start` to `stop`, None for no bound) whose windows open by `end`, in valid-time order: in two
    processes when the log is large, in a file, and there are two cores."""
    middle = _middle(log, position, end)
    if middle is None:
        yield from pieces_of(facts(log, None, end), log)
        return
    import signal
    import struct
    import tempfile

    spill = tempfile.TemporaryFile()
    pid = os.fork()
    if pid == 0:  # the child: the later half, into the file; then leave without running anything of the parent's
        code = 0
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            other = Log.open(log.path, readonly=True)
            if not ensure_cache(other):
                raise ChronoError("the cache is not the log's")
            with open(spill.fileno(), "wb", buffering=1 << 20, closefd=False) as put:
                for piece, n in pieces_of(facts(other, middle, end), other):
                    put.write(struct.pack("<QI", len(piece), n))
                    put.write(piece)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    try:
        yield from pieces_of(facts(log, None, middle - 1), log)
        _, status = os.waitpid(pid, 0)
        pid = None
        if status != 0:  # (the child could not: this process writes its half too)
            yield from pieces_of(facts(log, middle, end), log)
            return
        spill.seek(0)
        with open(spill.fileno(), "rb", buffering=1 << 20, closefd=False) as got:
            while head := got.read(12):
                size, n = struct.unpack("<QI", head)
                yield got.read(size), n
    finally:
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        spill.close()


def _middle(log: Log, position: int, end: int | None) -> int | None:
    """A moment about half the facts opening by `end` open before, from a sample of the facts' rows;
    None when the export is not worth two processes (a small log, a log in memory, one core)."""
    if log.path == ":memory:" or not sys.platform.startswith("linux") or len(os.sched_getaffinity(0)) < 2:
        return None
    starts, facts = cache.sample_starts(log, position, _SAMPLE, end)
    if facts < PARALLEL_FROM or len(starts) < _SAMPLE // 8:
        return None
    return sorted(starts)[len(starts) // 2]


def _actor_colors(log: Log, position: int, g) -> dict[str, str]:
    """The colours `scene` gives the actors: every actor the log describes or names (in a field that
    names an actor, or naming a described one), those that facts of control name first, the log's own
    colours winning; from the stored JSON of the fields that name entities, not from the facts."""
    described = {e.id for e in g.of_kind("actor")}
    fields = [(name, f, kind) for name, cls in REGISTRY.items() if not cls.correction for f, kind, _many in ref_fields(cls)]
    control = {name for name in REGISTRY if any(e.channel == CONTROL for e in rule_of(name).effects)}
    named = cache.named_in(log, position, [(t, f) for t, f, kind in fields if kind == "actor"])
    of_control = cache.named_in(log, position, [(t, f) for t, f, _kind in fields if t in control])
    holders = {v for v in of_control if v in described} | cache.named_in(log, position, [(t, f) for t, f, kind in fields if t in control and kind == "actor"])
    return actor_colors(described | named, first=holders, chosen=actor_colours(log))


def _export_folded(log: Log, fmt: str, out: IO[bytes], *, at: datetime | None, known_at: datetime | None,
                   group: str = "none", span: str = "own", author: str | None = None) -> int:
    if fmt == "csv":
        text = io.StringIO(newline="")
        n = write_csv(log, text, at=at, known_at=known_at, author=author)
        out.write(text.getvalue().encode("utf-8"))
        return n
    doc = geojson(log, at, known_at) if fmt == "geojson" else timelinejs(log, at=at, known_at=known_at, group=group, span=span,
                                                                         author=author)
    out.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
    return len(doc["features" if fmt == "geojson" else "events"])


def _reporting(items, report, every: int = 4096):
    """`items`, reporting how many have gone by every `every`, and at the end."""
    n = 0
    for item in items:
        n += 1
        if n % every == 0:
            report(n)
        yield item
    report(n)


def _geojson_indexed(log: Log, sc: Scene, position: int, at: datetime | None, step: Progress) -> dict:
    """`geojson` read a key at a time: every place's control and every person's whereabouts at `at`
    (by default, the first moment every window with an end has closed), as `state --all` gives them."""
    g = sc.g
    if at is None:
        last = cache.last_end(log, position, CALENDAR_HI)
        at = sc.k.known_at if last is None else from_micros(last)
    us = to_micros(at)
    ends = cache.ends_by(log, us, position)
    sections = {}
    for channel in (CONTROL, WHERE):
        c = CHANNELS[channel]
        keys = sorted({e.id for e in g.of_kind(c.kind)} | {key for key in cache.recent_keys(log, channel, us, position) if c.lists(g.kind(key))})
        with step(f"mapping {channel}", lambda: len(keys)) as report:
            rows = []
            for key in keys:
                cell = cache.key_cell(log, channel, key, us, position, ends=ends)[0]
                rows.append({c.kind: key, "name": g.name(key), **keyed_json(channel, None if cell is None else answer(cell, c.initial), sc.zone)})
                if len(rows) % 1024 == 0:
                    report(len(rows))
            report(len(rows))
        sections[channel] = rows
    return geojson_of(sc, iso(from_micros(us), sc.zone), iso(sc.k.known_at, sc.zone), sections[CONTROL], sections[WHERE])
