"""Drawing a map of control as SVG: outlines, one marker per located place, people, legend and title.

The same pieces make the static map and the base of the slider page, whose script redraws the markers
with the same rules (see `marker_inner` and its twin `markerInner` in _slider.js).
"""

from __future__ import annotations

from html import escape

import attrs

from ..describe import NO_ONE, candidate_text
from ..rules import CONTROL
from ._colors import NOBODY, UNKNOWN_ACTOR
from ._geo import Frame, far_away, world
from ._model import PLACE_RANK, Scene

WIDTH = 1280
MAP_X, MAP_Y, MAP_W = 16, 78, 900
SIDE_X = MAP_X + MAP_W + 24
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
LABEL_SIZE = 11
CHAR_W = 6.3  # average advance of an 11px sans glyph, for placing labels without a font engine


def esc(text) -> str:
    return escape(str(text), quote=True)


def radius(kind: str | None) -> float:
    rank = PLACE_RANK.get(kind or "", 5)
    return 7.0 if rank == 0 else 5.5 if rank <= 3 else 4.5


def colour_of(sc: Scene, actor: str | None) -> str:
    return NOBODY if actor is None else sc.colors.get(actor, UNKNOWN_ACTOR)


def marker_inner(r: float, fill: str, status: str, pending: str | None, contested: bool) -> str:
    """The shapes of one place marker: a disc in the holder's colour; when control is only possible,
    its right half in the pending holder's colour and a dashed ring; when contested, hatching and a
    solid dark ring; when nothing is known yet, a hollow disc."""
    hollow = status == "unknown"
    parts = [f'<circle class="marker-disc" r="{r:g}" fill="{"#fff" if hollow else fill}" stroke="{"#777" if hollow else "#222"}" stroke-width="1"/>']
    if status == "possible" and pending:
        parts.append(f'<path class="marker-pending" d="M0,{-r:g}A{r:g},{r:g} 0 0 1 0,{r:g}Z" fill="{pending}" stroke="#222" stroke-width="0.6"/>')
    if contested:
        parts.append(f'<circle class="marker-hatch" r="{r:g}" fill="url(#hatch)"/>')
        parts.append(f'<circle class="marker-ring" r="{r + 3:g}" fill="none" stroke="#111" stroke-width="1.6"/>')
    elif status == "possible":
        parts.append(f'<circle class="marker-ring" r="{r + 3:g}" fill="none" stroke="#111" stroke-width="1.4" stroke-dasharray="2.5,2"/>')
    return "".join(parts)


def place_marker(sc: Scene, c: dict, x: float, y: float, r: float) -> str:
    """One place's marker group; `data-*` attributes carry its state for tests and scripts."""
    ctrl, status = c["controller"], c["status"]
    pending = next((colour_of(sc, a) for a in c["candidates"][1:]), None) if status == "possible" else None
    fill = colour_of(sc, ctrl)
    title = f"{c['name']}: {describe_control(sc, c)}"
    return (
        f'<g class="place" id="place-{esc(c["place"])}" data-place="{esc(c["place"])}" data-controller="{esc(ctrl or "")}" '
        f'data-status="{status}" data-contested="{esc(" ".join(c["contested_with"]))}" data-color="{fill}" '
        f'transform="translate({x:g},{y:g})"><title>{esc(title)}</title>'
        f'<g class="marker" data-place="{esc(c["place"])}" data-controller="{esc(ctrl or "")}" fill="{fill}">'
        f'{marker_inner(r, fill, status, pending, bool(c["contested_with"]))}</g></g>'
    )


def describe_control(sc: Scene, c: dict) -> str:
    n = sc.g.name
    if c["status"] == "unknown":
        return "nothing known yet"
    if c["status"] == "possible":
        text = "possibly " + " or ".join(candidate_text(CONTROL, a, sc.g) for a in c["candidates"])
    else:
        text = f"held by {n(c['controller'])}" if c["controller"] else NO_ONE[CONTROL]
    if c["contested_with"]:
        text += f", contested by {', '.join(n(a) for a in c['contested_with'])}"
    return text


# --- label placement -------------------------------------------------------------------------------


@attrs.define
class Label:
    key: str
    x: float  # the marker's centre
    y: float
    r: float
    lines: list[tuple[str, str]]  # (text, css class)
    priority: tuple
    box: tuple[float, float, float, float] | None = None  # placed: left, top, right, bottom
    leader: bool = False

    @property
    def size(self) -> tuple[float, float]:
        w = max(len(t) * (CHAR_W if cls == "place-label" else CHAR_W * 0.93) for t, cls in self.lines) + 2
        return w, LABEL_SIZE + 2 + (len(self.lines) - 1) * (LABEL_SIZE + 1)


def _overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def place_labels(labels: list[Label], markers: list[tuple[float, float, float]], bounds: tuple[float, float, float, float], reserved=()) -> None:
    """Greedy placement, most important first: try eight positions around the marker at growing
    distances and take the one that covers the fewest markers and earlier labels (a leader line
    joins a label pushed away from its marker)."""
    placed: list[tuple] = list(reserved)
    marker_boxes = [(x - r - 1, y - r - 1, x + r + 1, y + r + 1) for x, y, r in markers]
    for lab in sorted(labels, key=lambda lab: lab.priority):
        w, h = lab.size
        best = None
        for ring, gap in enumerate((3, 12, 24, 40)):
            d = lab.r + gap
            line0 = LABEL_SIZE / 2 + 1
            spots = [
                (lab.x + d, lab.y - line0), (lab.x - d - w, lab.y - line0),  # right, left (first line level with the marker)
                (lab.x - w / 2, lab.y - d - h), (lab.x - w / 2, lab.y + d),  # above, below
                (lab.x + d * 0.7, lab.y - d * 0.7 - h), (lab.x + d * 0.7, lab.y + d * 0.7),
                (lab.x - d * 0.7 - w, lab.y - d * 0.7 - h), (lab.x - d * 0.7 - w, lab.y + d * 0.7),
            ]
            for i, (left, top) in enumerate(spots):
                box = (left, top, left + w, top + h)
                cost = ring * 40 + i * 2
                if box[0] < bounds[0] or box[1] < bounds[1] or box[2] > bounds[2] or box[3] > bounds[3]:
                    cost += 1e6
                cost += sum(_overlap(box, m) for m in marker_boxes) * 30
                cost += sum(_overlap(box, p) for p in placed) * 10
                if best is None or cost < best[0]:
                    best = (cost, box, ring > 0)
            if best[0] < (ring + 1) * 40:
                break
        lab.box, lab.leader = best[1], best[2]
        placed.append(best[1])


def label_svg(lab: Label) -> str:
    left, top, right, bottom = lab.box
    out = []
    if lab.leader:
        cx, cy = min(max(lab.x, left), right), min(max(lab.y, top), bottom)
        out.append(f'<line class="leader" x1="{lab.x:g}" y1="{lab.y:g}" x2="{cx:.1f}" y2="{cy:.1f}" stroke="#555" stroke-width="0.7"/>')
    y = top + LABEL_SIZE
    for text, cls in lab.lines:
        out.append(f'<text class="{cls}" x="{left + 1:.1f}" y="{y:.1f}">{esc(text)}</text>')
        y += LABEL_SIZE + 1
    return f'<g class="label" data-for="{esc(lab.key)}">{"".join(out)}</g>'


# --- the whole picture -----------------------------------------------------------------------------

COUNTRY_STYLE = {"focus": ("#fffcf2", "#444", 1.2), "other": ("#efebe0", "#9a9486", 0.8)}
COUNTRY_LABEL = {"focus": 20, "other": 12}  # font size; .country-name in STYLE


STYLE = f"""
text {{ font-family: {FONT}; }}
.title {{ font-size: 19px; font-weight: bold; fill: #111; }}
.subtitle {{ font-size: 12px; fill: #333; }}
.country {{ stroke-linejoin: round; }}
.country-name {{ font-size: {COUNTRY_LABEL["other"]}px; fill: #a09a8c; letter-spacing: {COUNTRY_LABEL["other"] * 0.3:g}px; text-transform: uppercase; }}
.country-name.focus {{ font-size: {COUNTRY_LABEL["focus"]}px; fill: #cfc8b6; letter-spacing: {COUNTRY_LABEL["focus"] * 0.3:g}px; }}
.place-label, .person-label {{ font-size: {LABEL_SIZE}px; paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }}
.place-label {{ fill: #111; }}
.person-label {{ fill: #5a1a7a; font-style: italic; font-size: {LABEL_SIZE - 0.5}px; }}
.legend-head {{ font-size: 13px; font-weight: bold; fill: #111; }}
.legend {{ font-size: 11.5px; fill: #222; }}
.note {{ font-size: 10px; fill: #555; }}
"""


def defs(lay: Layout) -> str:
    clips = f'<clipPath id="map-clip"><rect x="{MAP_X}" y="{MAP_Y}" width="{MAP_W}" height="{lay.frame.height:.1f}"/></clipPath>'
    for inset in lay.insets:
        f = inset.frame
        clips += f'<clipPath id="inset-clip-{inset.number}"><rect x="{f.x - 4:g}" y="{f.y - 4:g}" width="{INSET_W}" height="{INSET_H}"/></clipPath>'
    return (
        '<defs><pattern id="hatch" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="4" height="4" fill="none"/><line x1="0" y1="0" x2="0" y2="4" stroke="#111" stroke-width="1.6"/></pattern>'
        + clips +
        f'<style>{STYLE}</style></defs>'
    )


def person_glyph(x: float, y: float, dead: bool = False) -> str:
    fill = "#777" if dead else "#5a1a7a"
    return f'<path class="person-glyph" d="M{x:g},{y - 4:g}L{x + 4:g},{y:g}L{x:g},{y + 4:g}L{x - 4:g},{y:g}Z" fill="{fill}" stroke="#fff" stroke-width="0.8"/>'


def people_at(sc: Scene, doc: dict) -> dict[str, list[str]]:
    """Person label text by place id, for people whose place is known (or possibly known)."""
    out: dict[str, list[str]] = {}
    for w in doc["whereabouts"]:
        if w["status"] == "unknown" or not w["place"]:
            continue
        text = w["name"]
        if w["alive"] is False:
            text = "† " + text
        if w["status"] == "possible":
            others = [sc.g.name(c) for c in w["candidates"][1:] if c]
            text += f" (or {', '.join(others)}?)" if others else "?"
        out.setdefault(w["place"], []).append(text)
    return out


INSET_W, INSET_H, INSET_GAP = 292, 290, 12
CLUSTER_PX = 18  # markers closer than this on the main map are drawn again, enlarged, in a close-up


@attrs.frozen
class Inset:
    number: int
    name: str
    places: list[str]
    frame: Frame


@attrs.frozen
class Layout:
    frame: Frame
    height: float
    near: list[str]  # located places drawn on the map
    beyond: list[str]  # located places far from the rest (or whole countries): drawn in the side panel
    insets: list[Inset]
    focus: frozenset[str]  # the countries the drawn places lie in


def _clusters(points: dict[str, tuple[float, float]]) -> list[list[str]]:
    """Single-linkage groups of places whose markers would pile up."""
    parent = {p: p for p in points}

    def root(p):
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    keys = sorted(points)
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            (ax, ay), (bx, by) = points[a], points[b]
            if (ax - bx) ** 2 + (ay - by) ** 2 < CLUSTER_PX**2:
                parent[root(a)] = root(b)
    groups: dict[str, list[str]] = {}
    for p in keys:
        groups.setdefault(root(p), []).append(p)
    return [g for g in groups.values() if len(g) >= 3]


def layout(sc: Scene) -> Layout:
    """The main map framed to the log's own places (less those far from the rest, and whole
    countries, which stand in the side panel), and close-ups of the spots where markers crowd."""
    located = sc.located_places()
    points = {p: sc.coords(p) for p in located if sc.g.by_id[p].details.get("kind") != "country"}
    far = far_away(points)
    frame = Frame.around([xy for p, xy in points.items() if p not in far], x=MAP_X, y=MAP_Y, width=MAP_W)
    near = [p for p in points if frame.contains(*points[p])]
    beyond = [p for p in located if p not in near]
    groups = _clusters({p: frame.project(*sc.coords(p)) for p in near})
    groups.sort(key=lambda g: (-len(g), min(sc.g.name(p) for p in g)))
    groups = sorted(groups[:6], key=lambda g: -max(sc.coords(p)[1] for p in g))  # north to south
    insets = []
    per_row = 3
    top = MAP_Y + frame.height + 54  # below the two lines of notes
    for i, group in enumerate(groups):
        lons = [sc.coords(p)[0] for p in group]
        lats = [sc.coords(p)[1] for p in group]
        pad_lon, pad_lat = max(0.012, (max(lons) - min(lons)) * 0.25), max(0.01, (max(lats) - min(lats)) * 0.25)
        box = (min(lons) - pad_lon, min(lats) - pad_lat, max(lons) + pad_lon, max(lats) + pad_lat)
        x = MAP_X + (i % per_row) * (INSET_W + INSET_GAP)
        y = top + (i // per_row) * (INSET_H + 34)
        f = Frame.fit(box, x=x + 4, y=y + 4, width=INSET_W - 8, height=INSET_H - 8)
        main = min(group, key=lambda p: (PLACE_RANK.get(sc.g.by_id[p].details.get("kind"), 5), sc.g.name(p)))
        insets.append(Inset(number=i + 1, name=sc.g.name(main), places=sorted(group), frame=f))
    rows = (len(insets) + per_row - 1) // per_row
    height = max(MAP_Y + frame.height + 60 + rows * (INSET_H + 34), 720)
    focus = {c.name for c in frame.countries() if any(c.contains(*sc.coords(p)) for p in near)}
    return Layout(frame=frame, height=height, near=near, beyond=beyond, insets=insets, focus=frozenset(focus))


def spread(points: dict[str, tuple[float, float]], r: float) -> dict[str, tuple[float, float]]:
    """Move markers that would sit on top of each other (the same coordinates) onto a small circle."""
    import math

    out = dict(points)
    seen: dict[tuple[int, int], list[str]] = {}
    for p, (x, y) in sorted(points.items()):
        seen.setdefault((round(x / (r * 1.5)), round(y / (r * 1.5))), []).append(p)
    for group in seen.values():
        if len(group) < 2:
            continue
        cx = sum(points[p][0] for p in group) / len(group)
        cy = sum(points[p][1] for p in group) / len(group)
        for i, p in enumerate(group):
            a = 2 * math.pi * i / len(group) - math.pi / 2
            out[p] = (round(cx + 1.3 * r * math.cos(a), 1), round(cy + 1.3 * r * math.sin(a), 1))
    return out


def outlines(frame: Frame, clip: str, focus: frozenset[str]) -> str:
    out = [f'<g clip-path="url(#{clip})">']
    for c in frame.countries():
        role = "focus" if c.name in focus else "other"
        fill, stroke, width = COUNTRY_STYLE[role]
        out.append(f'<path class="country {role}" data-country="{esc(c.name)}" d="{frame.path(c)}" fill="{fill}" '
                   f'fill-rule="evenodd" stroke="{stroke}" stroke-width="{width}"/>')
    return "".join(out)


def country_labels(frame: Frame, focus: frozenset[str]) -> str:
    """Each country's name where it fits inside the country within the frame: large for the countries
    the places lie in, smaller for the rest, and none where even the small one does not fit."""
    out = []
    for c in frame.countries():
        sizes = [COUNTRY_LABEL["focus"], COUNTRY_LABEL["other"]] if c.name in focus else [COUNTRY_LABEL["other"]]
        for size in sizes:
            role = "focus" if size == COUNTRY_LABEL["focus"] else "other"
            spacing = size * 0.3
            w, h = len(c.name) * (size * 0.68 + spacing), size * 1.1
            spot = frame.label_spot(c, w, h)
            if spot:
                x, y = spot
                out.append(f'<text class="country-name {role}" data-country="{esc(c.name)}" x="{x:g}" y="{y + size * 0.36:.1f}" '
                           f'text-anchor="middle">{esc(c.name)}</text>')
                break
    return "".join(out)


def base_map(lay: Layout) -> str:
    f = lay.frame
    out = [f'<rect class="sea" x="{MAP_X}" y="{MAP_Y}" width="{MAP_W}" height="{f.height:.1f}" fill="#dcebf5"/>', outlines(f, "map-clip", lay.focus)]
    out.append(country_labels(f, lay.focus))
    out.append("</g>")
    out.append(f'<rect x="{MAP_X}" y="{MAP_Y}" width="{MAP_W}" height="{f.height:.1f}" fill="none" stroke="#888"/>')
    return "".join(out)


def legend_actors(docs_places) -> set[str]:
    """Every actor holding, possibly holding or contesting a place in any of the given control lists."""
    shown = set()
    for control in docs_places:
        for c in control:
            shown |= {a for a in [c["controller"], *c["candidates"], *c["contested_with"]] if a}
    return shown


def legend(sc: Scene, doc: dict, x: float, y: float, *, actors: set[str] | None = None) -> tuple[str, float]:
    """The key: a swatch per actor holding, possibly holding or contesting a place, then the symbols."""
    n = sc.g.name
    shown = sorted(actors if actors is not None else legend_actors([doc["control"]]), key=lambda a: n(a).casefold())
    out = [f'<g class="legend-box"><text class="legend-head" x="{x}" y="{y}">Held by</text>']
    y += 8
    for a in shown:
        y += 19
        out.append(
            f'<g class="legend-actor" data-actor="{esc(a)}"><circle cx="{x + 7}" cy="{y - 4}" r="6.5" fill="{colour_of(sc, a)}" stroke="#222"/>'
            f'<text class="legend" x="{x + 20}" y="{y}">{esc(n(a))}</text></g>'
        )
    y += 19
    out.append(f'<circle cx="{x + 7}" cy="{y - 4}" r="6.5" fill="{NOBODY}" stroke="#222"/><text class="legend" x="{x + 20}" y="{y}">nobody we can name</text>')
    y += 19
    out.append(f'<circle cx="{x + 7}" cy="{y - 4}" r="6.5" fill="#fff" stroke="#777"/><text class="legend" x="{x + 20}" y="{y}">nothing known yet</text>')
    y += 28
    out.append(f'<text class="legend-head" x="{x}" y="{y}">How sure</text>')
    y += 26
    out.append(f'<g transform="translate({x + 7},{y - 4})">{marker_inner(6.5, "#8a8a8a", "certain", None, False)}</g>'
               f'<text class="legend" x="{x + 22}" y="{y}">certain at this moment</text>')
    y += 26
    out.append(f'<g transform="translate({x + 7},{y - 4})">{marker_inner(6.5, "#8a8a8a", "possible", "#ffffff", False)}</g>'
               f'<text class="legend" x="{x + 22}" y="{y - 6}">possible: a change is under way</text>'
               f'<text class="note" x="{x + 22}" y="{y + 6}">left half holder before, right half after</text>')
    y += 26
    out.append(f'<g transform="translate({x + 7},{y - 4})">{marker_inner(6.5, "#8a8a8a", "certain", None, True)}</g>'
               f'<text class="legend" x="{x + 22}" y="{y}">contested</text>')
    y += 24
    out.append(person_glyph(x + 7, y - 4) + f'<text class="person-label" x="{x + 20}" y="{y}">named person, where they are</text>')
    out.append("</g>")
    return "".join(out), y


def beyond_panel(sc: Scene, doc: dict, lay: Layout, x: float, y: float, people: dict[str, list[str]]) -> str:
    """The places not drawn on the map, beside it: those far from the rest, then whole countries."""
    control = {c["place"]: c for c in doc["control"]}
    countries = [p for p in lay.beyond if sc.g.by_id[p].details.get("kind") == "country"]
    sections = (("far", "Far from the map", [p for p in lay.beyond if p not in countries]), ("countries", "Whole countries", countries))
    out = []
    for section, head, places in sections:
        if not places:
            continue
        out.append(f'<g class="side-list" data-section="{section}"><text class="legend-head" x="{x}" y="{y}">{head}</text>')
        for p in sorted(places, key=lambda p: sc.g.name(p).casefold()):
            y += 20
            c = control[p]
            out.append(place_marker(sc, c, x + 7, y - 4, radius(sc.g.by_id[p].details.get("kind"))))
            lines = [f'<text class="place-label" x="{x + 20}" y="{y}">{esc(c["name"])}</text>']
            for who in people.get(p, []):
                y += 15
                lines.append(f'<text class="person-label" x="{x + 20}" y="{y}">◆ {esc(who)}</text>')
            out.append(f'<g class="label beyond" data-for="{esc(p)}">{"".join(lines)}</g>')
        out.append("</g>")
        y += 34
    return "".join(out), y


def _markers_and_labels(sc: Scene, frame: Frame, places: list[str], control: dict, people: dict, *, copy: bool, skip_labels=frozenset()):
    """Markers (spread apart where they coincide) and their labels for `places` drawn in `frame`."""
    radii = {p: radius(sc.g.by_id[p].details.get("kind")) for p in places}
    spots = spread({p: frame.project(*sc.coords(p)) for p in places}, max(radii.values(), default=5))
    markers, labels, obstacles = [], [], []
    for p in places:
        e = sc.g.by_id[p]
        (x, y), r = spots[p], radii[p]
        c = control[p]
        obstacles.append((x, y, r + (3 if c["status"] == "possible" or c["contested_with"] else 0)))
        m = place_marker(sc, c, x, y, r)
        if copy:
            m = m.replace('<g class="place" id="place-', '<g class="place-copy" data-copy-of="place-', 1)
        markers.append(m)
        if p in skip_labels:
            continue
        who = people.get(p, [])
        lines = [(e.name, "place-label")] + [(f"◆ {w}", "person-label") for w in who]
        priority = (0 if who else 1, PLACE_RANK.get(e.details.get("kind"), 5), c["status"] == "unknown", e.name)
        labels.append(Label(key=p, x=x, y=y, r=r, lines=lines, priority=priority))
    return markers, labels, obstacles


def render(sc: Scene, doc: dict, *, title: str, subtitle: str, actors: set[str] | None = None) -> str:
    """The whole static map for one state document: the main map, close-ups of crowded spots below
    it, the key and the places beyond the map at the side."""
    lay = layout(sc)
    f = lay.frame
    control = {c["place"]: c for c in doc["control"]}
    people = people_at(sc, doc)
    body = [base_map(lay)]
    in_inset = {p for inset in lay.insets for p in inset.places}
    markers, labels, obstacles = _markers_and_labels(sc, f, lay.near, control, people, copy=False, skip_labels=in_inset)
    # A crowded spot gets a box and one label on the main map; its places are labelled in the close-up.
    boxes = []
    for inset in lay.insets:
        pts = [f.project(*sc.coords(p)) for p in inset.places]
        x0, y0 = min(x for x, _ in pts) - 10, min(y for _, y in pts) - 10
        x1, y1 = max(x for x, _ in pts) + 10, max(y for _, y in pts) + 10
        boxes.append(f'<rect class="inset-box" x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" fill="none" stroke="#333" stroke-width="0.9" stroke-dasharray="3,2"/>')
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        labels.append(Label(key=f"inset-{inset.number}", x=cx, y=cy, r=max(x1 - x0, y1 - y0) / 2, lines=[(f"{inset.name} ({inset.number})", "place-label")], priority=(-1, inset.number)))
    place_labels(labels, obstacles, (MAP_X + 2, MAP_Y + 2, MAP_X + MAP_W - 2, MAP_Y + f.height - 2))
    body.append('<g class="inset-boxes">' + "".join(boxes) + "</g>")
    body.append('<g class="markers">' + "".join(markers) + "</g>")
    body.append('<g class="labels">' + "".join(label_svg(lab) for lab in labels) + "</g>")
    foot = MAP_Y + f.height + 16
    body.append(
        f'<text class="note" x="{MAP_X}" y="{foot:.0f}">Borders: {esc(world()[1])}, simplified; de facto lines, for orientation only.</text>'
        f'<text class="note" x="{MAP_X}" y="{foot + 13:.0f}">Each marker is a place in the log; its colour is the holder at this moment, as the log knew it.'
        + (" Close-ups below." if lay.insets else "") + "</text>"
    )
    for inset in lay.insets:
        fi = inset.frame
        x, y = fi.x - 4, fi.y - 4
        body.append(f'<g class="inset" data-inset="{inset.number}"><rect x="{x:g}" y="{y:g}" width="{INSET_W}" height="{INSET_H}" fill="#dcebf5"/>')
        body.append(outlines(fi, f"inset-clip-{inset.number}", lay.focus) + "</g>")
        m, labs, obs = _markers_and_labels(sc, fi, inset.places, control, people, copy=True)
        place_labels(labs, obs, (x + 2, y + 2, x + INSET_W - 2, y + INSET_H - 2))
        body.append("".join(m) + '<g class="labels">' + "".join(label_svg(lab).replace('class="label"', 'class="label copy"', 1) for lab in labs) + "</g>")
        body.append(f'<rect x="{x:g}" y="{y:g}" width="{INSET_W}" height="{INSET_H}" fill="none" stroke="#888"/>')
        km = 1.852 * 60 * (fi.lat1 - fi.lat0) / (fi.height / 60)  # km per 60px, from degrees of latitude
        body.append(f'<text class="legend-head" x="{x:g}" y="{y - 6:g}">{inset.number}. Close-up: {esc(inset.name)}</text>'
                    f'<line x1="{x + 8:g}" y1="{y + INSET_H - 10:g}" x2="{x + 68:g}" y2="{y + INSET_H - 10:g}" stroke="#333" stroke-width="2"/>'
                    f'<text class="note" x="{x + 72:g}" y="{y + INSET_H - 7:g}">{km:.1f} km</text></g>')
    key, y = legend(sc, doc, SIDE_X, MAP_Y + 14, actors=actors)
    body.append(key)
    side, y = beyond_panel(sc, doc, lay, SIDE_X, y + 34, people)
    body.append(side)
    height = max(lay.height, y)
    head = (
        f'<text class="title" x="{MAP_X}" y="30">{esc(title)}</text>'
        f'<text class="subtitle" x="{MAP_X}" y="52">{esc(subtitle)}</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chrono-map" width="{WIDTH}" height="{height:.0f}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" font-family="{FONT}">'
        f'<rect width="100%" height="100%" fill="#fff"/>{defs(lay)}{head}{"".join(body)}</svg>'
    )
