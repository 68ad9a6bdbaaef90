"""Maps of control: a static SVG at one moment, and a self-contained HTML page with a time slider."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from importlib import resources

import orjson

from chrono.errors import ChronoError
from chrono.store import Log
from chrono.timeval import iso

from . import _svg
from ._model import Scene, changes, compact_state, scene, step_times


def _subtitle(sc: Scene, known_at: datetime | None, doc: dict) -> str:
    """What the map at one moment shows, counted: the line under its title, and the slider page's
    header at each stop."""
    located = set(sc.located_places())
    counts = {"certain": 0, "possible": 0, "contested": 0}
    for c in doc["control"]:
        if c["place"] in located and c["status"] != "unknown":
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


def slider_data(sc: Scene, start: datetime, end: datetime, every: timedelta | None = None, known_at: datetime | None = None) -> dict:
    """The page's data: for each stop, what the map shows there and what changed since the previous
    stop; every event named by a change, with its sources; and the markers and label layers the stops
    share (each drawn once, by the code that draws the static map)."""
    times = step_times(sc, start, end, every)
    docs = [sc.state(t) for t in times]
    people = [_svg.people_at(sc, doc) for doc in docs]
    lay = _svg.layout(sc)
    reserve = {p: max(_svg.reserve_for(sc, [p], at_stop)[p] for at_stop in people) for p in lay.beyond}
    key_actors = _svg.legend_actors([doc["control"] for doc in docs])
    _key, side = _svg.key_and_side(sc, lay, docs[0], key_actors, reserve)
    order = sorted(sc.located_places())
    marks: list[dict] = []
    texts: list[str] = []
    label_sets: list[dict[str, int]] = []
    index: dict = {}

    def intern(items: list, key, make) -> int:
        """The position in `items` of the value `make()` makes for `key`, made once."""
        if (id(items), key) not in index:
            index[id(items), key] = len(items)
            items.append(make())
        return index[id(items), key]

    steps, events, before = [], {}, None
    facts = {f.id: f for f in sc.k.facts}
    for t, doc, at_stop in zip(times, docs, people):
        state = compact_state(doc)
        delta = changes(before, state, sc)
        for ch in delta:
            for ev in ch["events"]:
                if ev not in events and ev in facts:
                    events[ev] = sc.event_info(facts[ev])
            if ch["kind"] == "happening":
                info = events.get(ch["events"][0])
                ch["text"] = info["summary"] if info else ch["events"][0]
        control = {c["place"]: c for c in doc["control"]}
        step_marks = []
        for p in order:
            m = _svg.marker_state(sc, control[p], _svg.place_radius(sc, p))
            step_marks.append(intern(marks, orjson.dumps(m), lambda m=m: m))

        def layers(at_stop=at_stop) -> dict[str, int]:
            return {name: intern(texts, markup, lambda markup=markup: markup) for name, markup in _svg.label_layers(sc, lay, side, at_stop).items()}

        labels = intern(label_sets, tuple(sorted((p, tuple(w)) for p, w in at_stop.items())), layers)
        steps.append({
            "t": iso(t, sc.zone), "label": sc.when(t), "summary": _subtitle(sc, known_at, doc),
            "places": state["places"], "marks": step_marks, "labels": labels, "changes": delta,
        })
        before = state
    return {"steps": steps, "events": events, "order": order, "marks": marks, "label_sets": label_sets, "label_texts": texts,
            "reserve": reserve, "actors": sorted(key_actors)}


def render_slider_html(log: Log, start: datetime, end: datetime, known_at: datetime | None = None, *, every: timedelta | None = None, log_name: str | None = None) -> str:
    """One self-contained page (data, style and script inline; no network) with a slider through
    valid time from `start` to `end`: the map redraws at each stop, and a side panel lists what
    changed there, with sources. Stops are every `every`, or by default each moment the state can change."""
    sc = scene(log, known_at, name=log_name)
    data = slider_data(sc, start, end, every, known_at)
    doc = sc.state(start)
    title = f"Control from {sc.when(start)} to {sc.when(end)}"
    svg = _svg.render(sc, doc, title=title, subtitle=data["steps"][0]["summary"], actors=set(data.pop("actors")), reserve=data.pop("reserve"))
    svg = svg.replace(' xmlns="http://www.w3.org/2000/svg"', "", 1)
    page = data
    script = resources.files(__package__).joinpath("_slider.js").read_text()
    style = resources.files(__package__).joinpath("_page.css").read_text()
    return _PAGE.format(
        title=escape(title),
        style=style,
        svg=svg,
        n=len(data["steps"]) - 1,
        data=_json_for_script(page),
        script=script,
        known=escape(data["steps"][0]["summary"]),
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
<header><h1>{title}</h1><p class="known" id="summary">{known}</p></header>
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
