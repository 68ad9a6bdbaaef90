"""The timeline page: one lane per place or person, each event drawn across its whole uncertain window,
filters by actor and type, and the sources of an event on click. Self-contained: nothing from the network."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from importlib import resources

from chrono.store import Log
from chrono.timeval import CALENDAR_HI, CALENDAR_LO, to_micros

from ._model import scene
from ._svg import colour_of
from .maps import _json_for_script

# Windows longer than this (months, years) would stretch the axis; they are drawn clipped at its ends.
SHORT = timedelta(days=7)


def timeline_data(log: Log, known_at: datetime | None = None, *, start: datetime | None = None, end: datetime | None = None, log_name: str | None = None) -> dict:
    sc = scene(log, known_at, name=log_name)
    facts = sorted(sc.k.timed(), key=lambda f: (f.lo, f.seq))
    events = [sc.event_info(f) for f in facts]
    short = [e for e in events if e["hi"] - e["lo"] <= SHORT.total_seconds() * 1e6] or events
    # The axis spans the ends that are bounds (an open or unknown end sits at the calendar's edge).
    points = [t for e in short for t in (e["lo"], e["hi"]) if CALENDAR_LO < t < CALENDAR_HI]
    lo = to_micros(start) if start else min(points, default=0)
    hi = to_micros(end) if end else max(points, default=lo + 1)
    if hi <= lo:
        lo, hi = min(lo, hi), max(lo, hi) + 1
    pad = max((hi - lo) // 50, 60_000_000)
    if not start:
        lo = max(lo - pad, CALENDAR_LO)
    if not end:
        hi = min(hi + pad, CALENDAR_HI - 1)  # (an axis never reaches past the calendar: no datetime holds its end)
    for e in events:  # an open end runs to the axis's edge
        e["lo"], e["hi"] = max(e["lo"], lo), min(e["hi"], hi)
    lanes: dict[str, dict] = {}
    order = {"place": 0, "person": 1, "actor": 2, "other": 3}

    def lane(key: str, kind: str) -> dict:
        if key not in lanes:
            lanes[key] = {"id": key, "name": sc.g.name(key) if kind != "other" else "(no place or person)", "kind": kind, "events": []}
        return lanes[key]

    for e in events:
        keys = [(p, "place") for p in e["places"]] + [(p, "person") for p in e["people"]]
        if not keys:
            keys = [(a, "actor") for a in e["actors"]] or [("_other", "other")]
        for key, kind in keys:
            lane(key, kind)["events"].append(e["id"])
    by_id = {e["id"]: e for e in events}
    ordered = sorted(lanes.values(), key=lambda ln: (order[ln["kind"]], min(by_id[i]["lo"] for i in ln["events"]), ln["name"].casefold()))
    actors = sorted({a for e in events for a in e["actors"]}, key=lambda a: sc.g.name(a).casefold())
    types = sorted({e["type"] for e in events})
    return {
        "range": [lo, hi],
        "zone": sc.zone,
        "events": events,
        "lanes": ordered,
        "actors": [{"id": a, "name": sc.g.name(a), "color": colour_of(sc, a)} for a in actors],
        "types": types,
        "ticks": _ticks(sc, lo, hi),
        "title": f"Timeline of {sc.title}",
        "known": f"As known {'at ' + sc.when(known_at) if known_at else 'now, ' + sc.when(sc.k.known_at)} · times in {sc.zone}",
    }


def _ticks(sc, lo: int, hi: int) -> list[dict]:
    """Axis ticks at local midnights (or every 6 hours on a short axis, every week on a long one)."""
    from chrono.timeval import from_micros

    start, end = sc.local(from_micros(lo)), sc.local(from_micros(hi))
    span = end - start
    step = timedelta(hours=6) if span <= timedelta(days=3) else timedelta(days=1) if span <= timedelta(days=45) else timedelta(days=7)
    t = start.replace(hour=0, minute=0, second=0, microsecond=0)
    out = []
    while t <= end and len(out) < 400:
        if t >= start:
            label = f"{t:%-d %b}" if t.hour == 0 else f"{t:%H:%M}"
            out.append({"at": to_micros(t), "label": label})
        try:
            t = t + step
        except OverflowError:  # (the calendar's end)
            break
        # Re-anchor in local time so a change of offset does not shift ticks off midnight.
        t = sc.local(t)
    return out


def render_timeline_html(log: Log, known_at: datetime | None = None, *, start: datetime | None = None, end: datetime | None = None, log_name: str | None = None) -> str:
    """A self-contained page: lanes of events over their whole windows, filters, and sources on click.
    `start`/`end` fix the axis (default: around every event whose window is a week or less)."""
    data = timeline_data(log, known_at, start=start, end=end, log_name=log_name)
    script = resources.files(__package__).joinpath("_timeline.js").read_text()
    style = resources.files(__package__).joinpath("_page.css").read_text()
    return _PAGE.format(title=escape(data["title"]), known=escape(data["known"]), style=style, data=_json_for_script(data), script=script)


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style></head>
<body class="timeline-page">
<header><h1>{title}</h1><p class="known">{known} · each bar spans the event's whole window: it happened somewhere inside it. Click a bar for its sources.</p></header>
<form class="filters" id="filters" onsubmit="return false">
  <fieldset id="actor-filter"><legend>Actors <button type="button" data-all="actor">all</button> <button type="button" data-none="actor">none</button></legend></fieldset>
  <fieldset id="type-filter"><legend>Types <button type="button" data-all="type">all</button> <button type="button" data-none="type">none</button></legend></fieldset>
</form>
<main class="with-panel">
  <div id="timeline"><div class="axis-row"><div class="axis-corner"></div><div class="axis" id="axis"></div></div><div id="lanes"></div></div>
  <aside id="panel"><h2>Event</h2><div id="detail"><p class="empty">Click an event to see its sources.</p></div></aside>
</main>
<script type="application/json" id="chrono-data">{data}</script>
<script>{script}</script>
</body></html>
"""
