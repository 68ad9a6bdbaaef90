"""Exports for other tools: CSV (one row per event, ACLED-like), GeoJSON of the state at T, Knight Lab
TimelineJS JSON; `export` dispatches every format, JSON Lines included."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import IO

import orjson

from chrono.errors import ChronoError
from chrono.jsonl import write_entries
from chrono.store import Log
from chrono.timeval import CALENDAR_HI, CALENDAR_LO, from_micros, iso, to_micros, zone_info

from . import FORMATS
from ._model import Scene, scene
from ._svg import colour_of, describe_control


CSV_COLUMNS = (
    "event_id", "event_type", "valid_earliest", "valid_latest", "time_precision", "time_qualifier", "time_wording",
    "time_described", "summary", "actor1", "actor2", "actors", "people", "units", "place_id", "location",
    "latitude", "longitude", "places", "source", "source_attribution", "source_quote", "source_title", "source_url",
    "corrected_by", "log_position",
)


def _timed_facts(sc: Scene, at: datetime | None):
    """Facts with a valid time in valid-time order; with `at`, only those begun (possibly) by then."""
    facts = sorted(sc.k.timed(), key=lambda f: (f.lo, f.seq))
    if at is not None:
        facts = [f for f in facts if f.lo <= to_micros(at)]
    return facts


def csv_rows(log: Log, *, at: datetime | None = None, known_at: datetime | None = None) -> list[dict]:
    """One row per event that stands (corrections applied, retractions gone) as known at `known_at`."""
    sc = scene(log, known_at)
    n = sc.g.name
    rows = []
    for f in _timed_facts(sc, at):
        info = sc.event_info(f)
        place = info["places"][0] if info["places"] else None
        coords = sc.coords(place)
        sources = info["sources"]
        join = lambda key: " | ".join(s[key] or "" for s in sources) if any(s[key] for s in sources) else ""  # noqa: E731
        rows.append({
            "event_id": f.id,
            "event_type": info["type"],
            "valid_earliest": info["earliest"],
            "valid_latest": info["latest"],
            "time_precision": info["precision"],
            "time_qualifier": info["qualifier"] or "",
            "time_wording": info["wording"] or "",
            "time_described": info["when"],
            "summary": info["summary"],
            "actor1": n(info["actors"][0]) if info["actors"] else "",
            "actor2": n(info["actors"][1]) if len(info["actors"]) > 1 else "",
            "actors": "; ".join(info["actors"]),
            "people": "; ".join(info["people"]),
            "units": "; ".join(info["units"]),
            "place_id": place or "",
            "location": n(place) if place else "",
            "latitude": coords[1] if coords else "",
            "longitude": coords[0] if coords else "",
            "places": "; ".join(info["places"]),
            "source": join("outlet"),
            "source_attribution": join("attribution"),
            "source_quote": join("quote"),
            "source_title": join("title"),
            "source_url": join("url"),
            "corrected_by": "; ".join(info["corrected_by"]),
            "log_position": f.seq,
        })
    return rows


def write_csv(log: Log, out: IO[str], *, at: datetime | None = None, known_at: datetime | None = None) -> int:
    """CSV with a header row (CSV_COLUMNS); returns the number of events written."""
    rows = csv_rows(log, at=at, known_at=known_at)
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
    people: dict[str, list[str]] = {}
    for w in doc["whereabouts"]:
        if w["place"] and w["status"] != "unknown":
            people.setdefault(w["place"], []).append(w["person"])
    features = []
    for c in doc["control"]:
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
    return {"type": "FeatureCollection", "valid_at": doc["valid_at"], "known_at": doc["known_at"], "log": sc.log_name, "features": features}


def _tl_date(dt: datetime, zone: str, display: str | None = None) -> dict:
    local = dt.astimezone(zone_info(zone))
    out = {"year": local.year, "month": local.month, "day": local.day, "hour": local.hour, "minute": local.minute}
    if display:
        out["display_date"] = display
    return out


def timelinejs(log: Log, *, at: datetime | None = None, known_at: datetime | None = None, title: str | None = None) -> dict:
    """Knight Lab TimelineJS3 JSON: one slide per event spanning its whole window (start_date to
    end_date, in the log's zone), grouped by type, with the sources and quotes in the text."""
    from html import escape

    sc = scene(log, known_at)
    events = []
    for f in _timed_facts(sc, at):
        info = sc.event_info(f)
        sources = "".join(
            f"<p><b>{escape(s['outlet'])}</b>"
            + (f", {escape(s['attribution'])}" if s["attribution"] and s["attribution"] != s["outlet"] else "")
            + (f": <i>“{escape(s['quote'])}”</i>" if s["quote"] else "")
            + "</p>"
            for s in info["sources"]
        )
        text = (f"<p>{escape(info['when'])}" + (f" — “{escape(info['wording'])}”" if info["wording"] else "") + "</p>") + sources
        events.append({
            "unique_id": f.id,
            # (An open or unknown end has no date: a start only, or the end as the only date.)
            "start_date": _tl_date(from_micros(f.lo if f.lo > CALENDAR_LO else f.hi), sc.zone, info["when"]),
            **({"end_date": _tl_date(from_micros(f.hi), sc.zone)} if CALENDAR_LO < f.lo and f.hi < CALENDAR_HI else {}),
            "text": {"headline": escape(info["summary"]), "text": text},
            "group": info["type"],
        })
    return {
        "title": {"text": {"headline": escape(title or sc.title), "text": f"<p>As known at {escape(iso(sc.k.known_at, sc.zone))}</p>"}},
        "events": events,
    }


def export(log: Log, fmt: str, out: IO[bytes], *, at: datetime | None = None, known_at: datetime | None = None) -> int:
    """Write `log` to the binary stream `out` in `fmt` (one of FORMATS); returns how many entries,
    events or features were written. `jsonl` is the whole log, lossless (what `import` reads) and
    ignores `at`/`known_at`; `csv` and `timelinejs` hold the events standing as known at `known_at`
    (with `at`, only those begun by then); `geojson` is the state at `at`."""
    if fmt == "jsonl":
        return write_entries(log.entries(), out)
    if fmt == "csv":
        text = io.StringIO(newline="")
        n = write_csv(log, text, at=at, known_at=known_at)
        out.write(text.getvalue().encode("utf-8"))
        return n
    if fmt == "geojson":
        doc = geojson(log, at, known_at)
        out.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
        return len(doc["features"])
    if fmt == "timelinejs":
        doc = timelinejs(log, at=at, known_at=known_at)
        out.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
        return len(doc["events"])
    raise ChronoError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
