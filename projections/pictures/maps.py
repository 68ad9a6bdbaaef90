"""Maps of control: a static SVG at one moment, and a self-contained HTML page with a time slider."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from importlib import resources

import orjson

from chrono.errors import ChronoError
from chrono.store import Log
from chrono.timeval import iso

from ..describe import NO_ONE
from ..rules import CONTROL
from . import _svg
from ._model import Scene, changes, compact_state, scene, step_times


def _subtitle(sc: Scene, known_at: datetime | None, doc: dict) -> str:
    counts = {"certain": 0, "possible": 0, "contested": 0}
    for c in doc["control"]:
        if c["place"] in sc.located_places() and c["status"] != "unknown":
            counts[c["status"]] += 1
            counts["contested"] += bool(c["contested_with"])
    k = f"at {sc.when(known_at)}" if known_at else f"now, {sc.when(sc.k.known_at)}"
    return (
        f"As known {k} · log: {sc.log_name} · {counts['certain']} places certain, "
        f"{counts['possible']} possible, {counts['contested']} contested"
    )


def render_map_svg(log: Log, at: datetime, known_at: datetime | None = None, *, log_name: str | None = None) -> str:
    """A map of who held each located place at valid time `at`, as the log knew it at `known_at`
    (default now): a standalone SVG document as text."""
    sc = scene(log, known_at, name=log_name)
    doc = sc.state(at)
    title = f"Who held what at {sc.when(at)}"
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + _svg.render(sc, doc, title=title, subtitle=_subtitle(sc, known_at, doc)) + "\n"


def parse_step(text: str | None) -> timedelta | None:
    """`6h`, `30m`, `1d`; None or `events` for a stop at each moment the state can change."""
    if text is None or text in ("events", "event"):
        return None
    units = {"m": 60, "h": 3600, "d": 86400}
    try:
        value, unit = float(text[:-1]), text[-1]
        seconds = value * units[unit]
    except (KeyError, ValueError, IndexError):
        raise ChronoError(f"cannot read step {text!r}: use a number with m, h or d (6h), or `events`") from None
    if seconds <= 0:
        raise ChronoError("the step must be positive")
    return timedelta(seconds=seconds)


def slider_data(sc: Scene, start: datetime, end: datetime, every: timedelta | None = None) -> dict:
    """The page's data: one compact state per stop, what changed since the previous stop, and every
    event named by a change, with its sources."""
    times = step_times(sc, start, end, every)
    steps, events, before = [], {}, None
    facts = {f.id: f for f in sc.k.facts}
    for t in times:
        state = compact_state(sc.state(t))
        delta = changes(before, state, sc)
        for ch in delta:
            for ev in ch["events"]:
                if ev not in events and ev in facts:
                    events[ev] = sc.event_info(facts[ev])
            if ch["kind"] == "happening":
                info = events.get(ch["events"][0])
                ch["text"] = info["summary"] if info else ch["events"][0]
        steps.append({"t": iso(t, sc.zone), "label": sc.when(t), "places": state["places"], "people": state["people"], "changes": delta})
        before = state
    return {"steps": steps, "events": events}


def render_slider_html(log: Log, start: datetime, end: datetime, known_at: datetime | None = None, *, every: timedelta | None = None, log_name: str | None = None) -> str:
    """One self-contained page (data, style and script inline; no network) with a slider through
    valid time from `start` to `end`: the map redraws at each stop, and a side panel lists what
    changed there, with sources. Stops are every `every`, or by default each moment the state can change."""
    sc = scene(log, known_at, name=log_name)
    data = slider_data(sc, start, end, every)
    doc = sc.state(start)
    lay = _svg.layout(sc)
    title = f"Control from {sc.when(start)} to {sc.when(end)}"
    actors = _svg.legend_actors([[{"controller": v[0], "candidates": v[2], "contested_with": v[3]} for v in step["places"].values()] for step in data["steps"]])
    svg = _svg.render(sc, doc, title=title, subtitle=_subtitle(sc, known_at, doc), actors=actors)
    svg = svg.replace(' xmlns="http://www.w3.org/2000/svg"', "", 1)
    geometry = {}
    for p in lay.near:
        x, y = lay.frame.project(*sc.coords(p))
        geometry[p] = [x, y, _svg.radius(sc.g.by_id[p].details.get("kind"))]
    page = {
        **data,
        "colors": sc.colors,
        "nobody": _svg.NOBODY,
        "names": {e.id: e.name for e in sc.g},
        "no_holder": NO_ONE[CONTROL],
        "geometry": geometry,
    }
    script = resources.files(__package__).joinpath("_slider.js").read_text()
    style = resources.files(__package__).joinpath("_page.css").read_text()
    return _PAGE.format(
        title=escape(title),
        style=style,
        svg=svg,
        n=len(data["steps"]) - 1,
        data=_json_for_script(page),
        script=script,
        known=escape(_subtitle(sc, known_at, doc)),
    )


def _json_for_script(obj) -> str:
    # "</" would end the script element early; "\u003c" is the same character to JSON.
    return orjson.dumps(obj).decode().replace("<", "\\u003c")


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style></head>
<body class="slider-page">
<header><h1>{title}</h1><p class="known">{known}</p></header>
<div class="controls">
  <button id="prev" type="button" aria-label="previous stop">◀</button>
  <input id="slider" type="range" min="0" max="{n}" value="0" step="1" aria-label="valid time">
  <button id="next" type="button" aria-label="next stop">▶</button>
  <button id="play" type="button">play</button>
  <output id="when" for="slider"></output>
</div>
<main class="with-panel">
  <div id="map">{svg}</div>
  <aside id="panel"><h2>What changed at this stop</h2><div id="changes"></div></aside>
</main>
<script type="application/json" id="chrono-data">{data}</script>
<script>{script}</script>
</body></html>
"""
