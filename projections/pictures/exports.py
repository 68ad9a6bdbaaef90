"""Exports for other tools: CSV (one row per event, ACLED-like), GeoJSON of the state at T, Knight Lab
TimelineJS JSON; `export` dispatches every format, JSON Lines included."""

from __future__ import annotations

import csv
import io
import os
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import IO

import orjson

from chrono import jsonout
from chrono.errors import ChronoError
from chrono.jsonl import write_entries
from chrono.store import Log, bulk
from chrono.timeval import CALENDAR_HI, CALENDAR_LO, from_micros, iso, to_micros, zone_info
from events import REGISTRY, ref_fields

from .. import cache
from ..indexed import Progress, gazetteer, quietly
from ..query import Knowledge, ensure_cache, keyed_json
from ..rules import CHANNELS, CONTROL, WHERE, rule_of
from ..world import answer
from . import FORMATS
from ._colors import actor_colors
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
    return [csv_row(f, sc.event_info(f), sc) for f in _timed_facts(sc, at)]


def _joined(sources: list[dict], key: str) -> str:
    """One field of every source, joined by " | " (empty when none has it)."""
    if len(sources) == 1:  # (most facts: the same text, without the generators)
        return sources[0][key] or ""
    return " | ".join(s[key] or "" for s in sources) if any(s[key] for s in sources) else ""


def csv_row(f, info: dict, sc: Scene) -> dict:
    """The CSV row of one fact (`CSV_COLUMNS`), from its `event_info`."""
    n = sc.g.name
    place = info["places"][0] if info["places"] else None
    coords = sc.coords(place)
    sources = info["sources"]
    join = lambda key: _joined(sources, key)  # noqa: E731
    return {
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
    }


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


def _tl_date(dt: datetime, zone: str, display: str | None = None) -> dict:
    try:
        local = dt.astimezone(zone_info(zone))
    except OverflowError:  # (the calendar's first hours west of UTC, its last east of it: its edge)
        local = datetime.min if dt.year == 1 else datetime.max
    out = {"year": local.year, "month": local.month, "day": local.day, "hour": local.hour, "minute": local.minute}
    if display:
        out["display_date"] = display
    return out


def timelinejs(log: Log, *, at: datetime | None = None, known_at: datetime | None = None, title: str | None = None) -> dict:
    """Knight Lab TimelineJS3 JSON: one slide per event spanning its whole window (start_date to
    end_date, in the log's zone), grouped by type, with the sources and quotes in the text."""
    sc = scene(log, known_at)
    return timelinejs_of(sc, [slide(f, sc.event_info(f), sc.zone) for f in _timed_facts(sc, at)], title=title)


def timelinejs_of(sc: Scene, events, *, title: str | None = None) -> dict:
    """The TimelineJS document of `timelinejs` around its slides (a list, or an iterator to stream)."""
    from html import escape

    return {
        "title": {"text": {"headline": escape(title or sc.log_name), "text": f"<p>As known at {escape(iso(sc.k.known_at, sc.zone))}</p>"}},
        "events": events,
    }


def slide(f, info: dict, zone: str) -> dict:
    """One fact's TimelineJS slide, from its `event_info`."""
    from html import escape

    sources = "".join(
        f"<p><b>{escape(s['outlet'])}</b>"
        + (f", {escape(s['attribution'])}" if s["attribution"] and s["attribution"] != s["outlet"] else "")
        + (f": <i>“{escape(s['quote'])}”</i>" if s["quote"] else "")
        + "</p>"
        for s in info["sources"]
    )
    text = (f"<p>{escape(info['when'])}" + (f" — “{escape(info['wording'])}”" if info["wording"] else "") + "</p>") + sources
    return {
        "unique_id": f.id,
        # (An open or unknown end has no date: a start only, or the end as the only date; a window
        # from the calendar's first instant to its last starts at the first.)
        "start_date": _tl_date(from_micros(f.lo if f.lo > CALENDAR_LO or f.hi >= CALENDAR_HI else f.hi), zone, info["when"]),
        **({"end_date": _tl_date(from_micros(f.hi), zone)} if CALENDAR_LO < f.lo and f.hi < CALENDAR_HI else {}),
        "text": {"headline": escape(info["summary"]), "text": text},
        "group": info["type"],
    }


def export(log: Log, fmt: str, out: IO[bytes], *, at: datetime | None = None, known_at: datetime | None = None,
           step: Progress = quietly) -> int:
    """Write `log` to the binary stream `out` in `fmt` (one of FORMATS); returns how many entries,
    events or features were written. `jsonl` is the whole log, lossless (what `import` reads) and
    ignores `at`/`known_at`; `csv` and `timelinejs` hold the events standing as known at `known_at`
    (with `at`, only those begun by then); `geojson` is the state at `at`.

    Every format is written as it is read, in memory that does not grow with the log: the events in
    valid-time order through the cache's indexes (`cache.overlapping`), the state a key at a time
    (`cache.key_cell`). Without a cache that can be brought up to date (a read-only log behind its
    cache), from the fold. `step` reports how far a long export has got."""
    if fmt == "jsonl":
        with step("exporting", lambda: len(log)) as report:
            return write_entries(_reporting(log.entries(), report), out)
    if fmt not in FORMATS:
        raise ChronoError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
    position = cache.position_at(log, known_at) if ensure_cache(log) else None
    if position is None:
        return _export_folded(log, fmt, out, at=at, known_at=known_at)
    g = gazetteer(log, position)
    k = Knowledge(known_at=known_at or log.clock(), log=log, position=position)
    k.use_gazetteer(g)
    colors = _actor_colors(log, position, g) if fmt == "geojson" else {}
    sc = Scene(log_name=log.name, zone=log.zone, k=k, colors=colors)
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
            return _write_pieces(_pieces(log, position, end, lambda facts: _csv_pieces(facts, sc)), out.write, report)
        count = [0]

        def slides():
            for piece, n in _pieces(log, position, end, lambda facts: _slide_pieces(facts, sc)):
                count[0] += n
                if count[0] % 4096 == 0:
                    report(count[0])
                yield jsonout.Raw(piece)
            report(count[0])

        jsonout.write(timelinejs_of(sc, slides()), out.write)
        out.write(b"\n")
        return count[0]


def _csv_pieces(facts, sc: Scene, batch: int = 1024) -> Iterator[tuple[bytes, int]]:
    """The CSV rows of `facts` (as `write_csv` writes them), a batch at a time, with how many."""
    text = io.StringIO(newline="")
    w = csv.writer(text, lineterminator="\r\n")  # (what csv.DictWriter writes, without its checks of every row's keys)
    n = 0
    for f in facts:
        row = csv_row(f, sc.event_info(f), sc)
        w.writerow([row[c] for c in CSV_COLUMNS])
        n += 1
        if n == batch:
            yield text.getvalue().encode("utf-8"), n
            text.seek(0)
            text.truncate()
            n = 0
    if n:
        yield text.getvalue().encode("utf-8"), n


def _slide_pieces(facts, sc: Scene) -> Iterator[tuple[bytes, int]]:
    """Each fact's TimelineJS slide as JSON (`jsonout.Raw`)."""
    for f in facts:
        yield orjson.dumps(slide(f, sc.event_info(f), sc.zone), option=orjson.OPT_INDENT_2), 1


def _write_pieces(pieces, write, report) -> int:
    n = 0
    for piece, count in pieces:
        write(piece)
        before, n = n, n + count
        if n // 4096 != before // 4096:
            report(n)
    report(n)
    return n


# A large export is written by two processes: the facts opening before the middle of the log's valid
# time here, the rest by a forked child at once, into a temporary file this one copies when done. A
# row costs about three times what reading its fact does (naming, wording, encoding), so the two
# halves take about as long.
PARALLEL_FROM = 20_000  # facts; below this the fork costs more than it saves
_SAMPLE = 512  # facts looked at to find the middle


def _pieces(log: Log, position: int, end: int | None, pieces_of: Callable) -> Iterator[tuple[bytes, int]]:
    """`pieces_of(facts)` for the facts standing at `position` whose windows open by `end`, in
    valid-time order: in two processes when the log is large, in a file, and there are two cores."""
    middle = _middle(log, position, end)
    if middle is None:
        yield from pieces_of(cache.opening(log, position, None, end))
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
                for piece, n in pieces_of(cache.opening(other, position, middle, end)):
                    put.write(struct.pack("<QI", len(piece), n))
                    put.write(piece)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    try:
        yield from pieces_of(cache.opening(log, position, None, middle - 1))
        _, status = os.waitpid(pid, 0)
        pid = None
        if status != 0:  # (the child could not: this process writes its half too)
            yield from pieces_of(cache.opening(log, position, middle, end))
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
    names an actor, or naming a described one), those that facts of control name first; from the
    stored JSON of the fields that name entities, not from the facts."""
    described = {e.id for e in g.of_kind("actor")}
    fields = [(name, f, kind) for name, cls in REGISTRY.items() if not cls.correction for f, kind, _many in ref_fields(cls)]
    control = {name for name in REGISTRY if any(e.channel == CONTROL for e in rule_of(name).effects)}
    named = cache.named_in(log, position, [(t, f) for t, f, kind in fields if kind == "actor"])
    of_control = cache.named_in(log, position, [(t, f) for t, f, _kind in fields if t in control])
    holders = {v for v in of_control if v in described} | cache.named_in(log, position, [(t, f) for t, f, kind in fields if t in control and kind == "actor"])
    return actor_colors(described | named, first=holders)


def _export_folded(log: Log, fmt: str, out: IO[bytes], *, at: datetime | None, known_at: datetime | None) -> int:
    if fmt == "csv":
        text = io.StringIO(newline="")
        n = write_csv(log, text, at=at, known_at=known_at)
        out.write(text.getvalue().encode("utf-8"))
        return n
    doc = geojson(log, at, known_at) if fmt == "geojson" else timelinejs(log, at=at, known_at=known_at)
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
