"""Drawing a map of control as SVG: outlines, one marker per located place, people, legend and title.

The same pieces make the static map and every stop of the slider page: the page's script only swaps in
what `marker_state` and `label_layers` drew here, so a stop and the map at the same moment agree.
"""

from __future__ import annotations

import math
import unicodedata
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
PERSON_SIZE = LABEL_SIZE - 0.5
MAX_LINE_W = 190  # px: a person's line longer than this breaks (see label_lines)
# Advance widths of DejaVu Sans (the pictures' first font; its oblique has the same), in thousandths of
# an em, for " " to "~": labels are placed without a font engine, so they are measured with these.
_ADVANCE = (
    "318 401 460 838 636 950 780 275 390 390 500 838 318 361 318 337 636 636 636 636 636 636 636 636 636 636 337 337 "
    "838 838 838 531 1000 684 686 698 770 632 575 775 752 295 295 656 557 863 748 787 603 787 695 635 611 732 684 989 "
    "685 611 685 390 337 390 838 500 500 613 635 550 635 615 352 635 634 278 278 579 278 974 634 612 635 635 411 521 "
    "392 634 592 818 592 592 525 636 337 636 838"
)
ADVANCE = {chr(32 + i): int(w) / 1000 for i, w in enumerate(_ADVANCE.split())} | {"◆": 0.769, "†": 0.5, "–": 0.5, "—": 1.0, "’": 0.318, "“": 0.518, "”": 0.518}


def text_width(text: str, size: float) -> float:
    """How wide `text` is drawn at `size` px (an accented letter as its base letter; anything else
    unknown as a wide glyph, to err on the side of room)."""
    return size * sum(ADVANCE.get(ch) or ADVANCE.get(unicodedata.normalize("NFD", ch)[0], 0.8) for ch in text)


def esc(text) -> str:
    return escape(str(text), quote=True)


def radius(kind: str | None) -> float:
    rank = PLACE_RANK.get(kind or "", 5)
    return 7.0 if rank == 0 else 5.5 if rank <= 3 else 4.5


def place_radius(sc: Scene, place: str) -> float:
    return radius(sc.g.by_id[place].details.get("kind"))


def colour_of(sc: Scene, actor: str | None) -> str:
    return NOBODY if actor is None else sc.colors.get(actor, UNKNOWN_ACTOR)


RING = 3  # how far a marker's ring (possible, contested) stands out from its disc


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
        parts.append(f'<circle class="marker-ring" r="{r + RING:g}" fill="none" stroke="#111" stroke-width="1.6"/>')
    elif status == "possible":
        parts.append(f'<circle class="marker-ring" r="{r + RING:g}" fill="none" stroke="#111" stroke-width="1.4" stroke-dasharray="2.5,2"/>')
    return "".join(parts)


def marker_state(sc: Scene, c: dict, r: float) -> dict:
    """What a place's marker shows for its control row `c`: its data attributes, its shapes and its
    tooltip. The static map and each stop of the slider page (markers and close-up copies) use this."""
    ctrl, status = c["controller"], c["status"]
    pending = next((colour_of(sc, a) for a in c["candidates"][1:]), None) if status == "possible" else None
    fill = colour_of(sc, ctrl)
    return {
        "controller": ctrl or "",
        "status": status,
        "contested": " ".join(c["contested_with"]),
        "color": fill,
        "inner": marker_inner(r, fill, status, pending, bool(c["contested_with"])),
        "title": f"{c['name']}: {describe_control(sc, c)}",
    }


def place_marker(sc: Scene, c: dict, x: float, y: float, r: float, *, copy: bool = False) -> str:
    """One place's marker group (a close-up's copy with `copy`); `data-*` attributes carry its state
    for tests and scripts."""
    m, p = marker_state(sc, c, r), esc(c["place"])
    head = f'<g class="place-copy" data-copy-of="place-{p}"' if copy else f'<g class="place" id="place-{p}"'
    return (
        f'{head} data-place="{p}" data-controller="{esc(m["controller"])}" data-status="{m["status"]}" '
        f'data-contested="{esc(m["contested"])}" data-color="{m["color"]}" transform="translate({x:g},{y:g})">'
        f'<title>{esc(m["title"])}</title>'
        f'<g class="marker" data-place="{p}" data-controller="{esc(m["controller"])}" data-status="{m["status"]}" fill="{m["color"]}">'
        f'{m["inner"]}</g></g>'
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
    lines: list[tuple[str, str, str | None]]  # (text, css class, the person it names)
    priority: tuple
    box: tuple[float, float, float, float] | None = None  # placed: left, top, right, bottom
    leader: bool = False

    @property
    def size(self) -> tuple[float, float]:
        w = max(text_width(t, LABEL_SIZE if cls == "place-label" else PERSON_SIZE) for t, cls, _ in self.lines) + 2
        return w, LABEL_SIZE + 2 + (len(self.lines) - 1) * (LABEL_SIZE + 1)


def _overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


# Where a label may go around its marker, best first: right, left, above, below, then the diagonals
# and the directions between them, each as (cos, sin) of the direction from the marker.
_DIRECTIONS = [(1, 0), (-1, 0), (0, -1), (0, 1)] + [(math.cos(a), math.sin(a)) for a in (
    -math.pi / 4, math.pi / 4, -3 * math.pi / 4, 3 * math.pi / 4,
    -math.pi / 8, math.pi / 8, -7 * math.pi / 8, 7 * math.pi / 8, -3 * math.pi / 8, 3 * math.pi / 8, -5 * math.pi / 8, 5 * math.pi / 8)]
_GAPS = (3, 12, 24, 40, 60, 85, 115)  # distances from the marker's edge, tried in turn


def place_labels(labels: list[Label], markers: list[tuple[float, float, float]], bounds: tuple[float, float, float, float], reserved=()) -> None:
    """Greedy placement, most important first: try positions all around the marker at growing
    distances and take the first free one, else the one that covers least of the markers and earlier
    labels (a leader line joins a label pushed away from its marker)."""
    placed: list[tuple] = list(reserved)
    marker_boxes = [(x - r - 1, y - r - 1, x + r + 1, y + r + 1) for x, y, r in markers]
    line0 = LABEL_SIZE / 2 + 1
    for lab in sorted(labels, key=lambda lab: lab.priority):
        w, h = lab.size
        best = None
        for ring, gap in enumerate(_GAPS):
            d = lab.r + gap
            for i, (cos, sin) in enumerate(_DIRECTIONS if ring else _DIRECTIONS[:8]):
                ax, ay = lab.x + d * cos, lab.y + d * sin
                left = ax if cos > 0.3 else ax - w if cos < -0.3 else ax - w / 2
                top = ay - line0 if abs(sin) < 0.3 else ay - h if sin < 0 else ay
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
        else:
            best = _free_spot(lab, w, h, bounds, marker_boxes + placed) or best
        lab.box, lab.leader = best[1], best[2]
        placed.append(best[1])


def _free_spot(lab: Label, w: float, h: float, bounds, taken: list[tuple], step: float = 6) -> tuple | None:
    """The free spot for a label nearest its marker anywhere within `bounds` (joined by a leader line),
    when none around the marker is free; None if there is none."""
    best = None
    top = bounds[1]
    while top + h <= bounds[3]:
        left = bounds[0]
        while left + w <= bounds[2]:
            box = (left, top, left + w, top + h)
            d = (min(max(lab.x, left), box[2]) - lab.x) ** 2 + (min(max(lab.y, top), box[3]) - lab.y) ** 2
            if (best is None or d < best[0]) and not any(_overlap(box, t) for t in taken):
                best = (d, box)
            left += step
        top += step
    return None if best is None else (0.0, best[1], True)


def _line_svg(line: tuple[str, str, str | None], x: float, y: float) -> str:
    text, cls, person = line
    who = f' data-person="{esc(person)}"' if person else ""
    return f'<text class="{cls}"{who} x="{x:.1f}" y="{y:.1f}">{esc(text)}</text>'


def label_svg(lab: Label, cls: str = "label") -> str:
    left, top, right, bottom = lab.box
    out = []
    if lab.leader:
        cx, cy = min(max(lab.x, left), right), min(max(lab.y, top), bottom)
        out.append(f'<line class="leader" x1="{lab.x:g}" y1="{lab.y:g}" x2="{cx:.1f}" y2="{cy:.1f}" stroke="#555" stroke-width="0.7"/>')
    y = top + LABEL_SIZE
    for line in lab.lines:
        out.append(_line_svg(line, left + 1, y))
        y += LABEL_SIZE + 1
    return f'<g class="{cls}" data-for="{esc(lab.key)}">{"".join(out)}</g>'


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
.person-label {{ fill: #5a1a7a; font-style: italic; font-size: {PERSON_SIZE}px; }}
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


People = dict[str, list[tuple[str, str]]]  # place -> (person, label text) of the people there


def people_at(sc: Scene, doc: dict) -> People:
    """The people at each place, with their label text, for people whose place is known (or possibly known)."""
    out: People = {}
    for w in doc["whereabouts"]:
        if w["status"] == "unknown" or not w["place"]:
            continue
        text = w["name"]
        if w["alive"] is False:
            text = "† " + text
        if w["status"] == "possible":
            others = [sc.g.name(c) for c in w["candidates"][1:] if c]
            text += f" (or {', '.join(others)}?)" if others else "?"
        out.setdefault(w["place"], []).append((w["person"], text))
    return out


INSET_W, INSET_H, INSET_GAP = 292, 290, 12
CLUSTER_PX = 18  # markers closer than this on the main map are drawn again, enlarged, in a close-up


Spots = dict[str, tuple[float, float, float]]  # place -> x, y and radius of its marker in one frame


@attrs.frozen
class Inset:
    number: int
    name: str
    places: list[str]
    frame: Frame
    spots: Spots

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        f = self.frame
        return (f.x - 2, f.y - 2, f.x - 6 + INSET_W, f.y - 6 + INSET_H)


@attrs.frozen
class Layout:
    frame: Frame
    height: float
    near: list[str]  # located places drawn on the map
    beyond: list[str]  # located places far from the rest (or whole countries): drawn in the side panel
    insets: list[Inset]
    focus: frozenset[str]  # the countries the drawn places lie in
    spots: Spots  # of the places drawn on the main map


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
        insets.append(Inset(number=i + 1, name=sc.g.name(main), places=sorted(group), frame=f, spots=_spots(sc, f, sorted(group))))
    rows = (len(insets) + per_row - 1) // per_row
    height = max(MAP_Y + frame.height + 60 + rows * (INSET_H + 34), 720)
    focus = {c.name for c in frame.countries() if any(c.contains(*sc.coords(p)) for p in near)}
    return Layout(frame=frame, height=height, near=near, beyond=beyond, insets=insets, focus=frozenset(focus), spots=_spots(sc, frame, near))


def _spots(sc: Scene, frame: Frame, places: list[str]) -> Spots:
    """Where each place's marker goes in `frame` (spread apart where they coincide), and its radius."""
    radii = {p: place_radius(sc, p) for p in places}
    xy = spread({p: frame.project(*sc.coords(p)) for p in places}, max(radii.values(), default=5))
    return {p: (*xy[p], radii[p]) for p in places}


def spread(points: dict[str, tuple[float, float]], r: float) -> dict[str, tuple[float, float]]:
    """Move markers that would sit on top of each other (the same coordinates) onto a small circle."""
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


@attrs.frozen
class Side:
    """The side panel's lists of places not drawn on the map, with a row for each, and room below it
    for as many people as `reserve` says will ever be there."""

    x: float
    sections: list[tuple[str, str, float, list[tuple[str, float]]]]  # (section, heading, its y, [(place, y)])
    bottom: float


def side_layout(sc: Scene, lay: Layout, x: float, y: float, reserve: dict[str, int]) -> Side:
    countries = [p for p in lay.beyond if sc.g.by_id[p].details.get("kind") == "country"]
    sections = []
    for section, head, places in (("far", "Far from the map", [p for p in lay.beyond if p not in countries]), ("countries", "Whole countries", countries)):
        if not places:
            continue
        top, rows = y, []
        for p in sorted(places, key=lambda p: sc.g.name(p).casefold()):
            y += 20
            rows.append((p, y))
            y += 15 * reserve.get(p, 0)
        sections.append((section, head, top, rows))
        y += 34
    return Side(x=x, sections=sections, bottom=y)


def side_panel(sc: Scene, side: Side, control: dict) -> str:
    """The side lists' headings and markers (their names are a label layer: see side_labels)."""
    out = []
    for section, head, top, rows in side.sections:
        out.append(f'<g class="side-list" data-section="{section}"><text class="legend-head" x="{side.x}" y="{top}">{head}</text>')
        out += [place_marker(sc, control[p], side.x + 7, y - 4, place_radius(sc, p)) for p, y in rows]
        out.append("</g>")
    return "".join(out)


def label_lines(sc: Scene, place: str, people: People) -> list[tuple[str, str, str | None]]:
    """A place's label: its name, then a line for each person there; a long one breaks before the
    other places the person may be in, so labels stay narrow enough to find room."""
    lines = [(sc.g.name(place), "place-label", None)]
    for person, text in people.get(place, []):
        line = f"◆ {text}"
        if text_width(line, PERSON_SIZE) > MAX_LINE_W and " (or " in text:
            name, rest = text.split(" (or ", 1)
            lines += [(f"◆ {name}", "person-label", person), (f"(or {rest}", "person-label", None)]
        else:
            lines.append((line, "person-label", person))
    return lines


def reserve_for(sc: Scene, places: list[str], people: People) -> dict[str, int]:
    """How many lines of people each of `places` needs under its name."""
    return {p: len(label_lines(sc, p, people)) - 1 for p in places}


def side_labels(sc: Scene, side: Side, people: People) -> str:
    x, out = side.x + 20, []
    for _section, _head, _top, rows in side.sections:
        for p, y in rows:
            lines = [_line_svg(line, x, y + 15 * i) for i, line in enumerate(label_lines(sc, p, people))]
            out.append(f'<g class="label beyond" data-for="{esc(p)}">{"".join(lines)}</g>')
    return "".join(out)


def _labels(sc: Scene, spots: Spots, people: People, skip=frozenset()) -> list[Label]:
    """A label per place (its name, then the people there), most important first: places with people,
    then by kind. They depend on the people alone, so the names stay put while control changes."""
    labels = []
    for p, (x, y, r) in spots.items():
        if p in skip:
            continue
        e = sc.g.by_id[p]
        priority = (0 if people.get(p) else 1, PLACE_RANK.get(e.details.get("kind"), 5), e.name)
        labels.append(Label(key=p, x=x, y=y, r=r + RING, lines=label_lines(sc, p, people), priority=priority))
    return labels


def _obstacles(spots: Spots) -> list[tuple[float, float, float]]:
    return [(x, y, r + RING) for x, y, r in spots.values()]  # room for a ring, whatever the status


def inset_box(lay: Layout, inset: Inset) -> tuple[float, float, float, float]:
    """The dashed box on the main map around a close-up's places."""
    pts = [lay.spots[p][:2] for p in inset.places]
    return min(x for x, _ in pts) - 10, min(y for _, y in pts) - 10, max(x for x, _ in pts) + 10, max(y for _, y in pts) + 10


def label_layers(sc: Scene, lay: Layout, side: Side, people: People) -> dict[str, str]:
    """Every name on the map, by layer (`main`, `inset-N`, `side`), placed around the markers so no
    two collide, for the people at each place in `people`."""
    f = lay.frame
    in_inset = {p for inset in lay.insets for p in inset.places}
    labels = _labels(sc, lay.spots, people, skip=in_inset)
    for inset in lay.insets:
        # A crowded spot gets one label on the main map; its places are labelled in the close-up.
        x0, y0, x1, y1 = inset_box(lay, inset)
        labels.append(Label(key=f"inset-{inset.number}", x=(x0 + x1) / 2, y=(y0 + y1) / 2, r=max(x1 - x0, y1 - y0) / 2,
                            lines=[(f"{inset.name} ({inset.number})", "place-label", None)], priority=(-1, inset.number)))
    place_labels(labels, _obstacles(lay.spots), (MAP_X + 2, MAP_Y + 2, MAP_X + MAP_W - 2, MAP_Y + f.height - 2))
    layers = {"main": "".join(label_svg(lab) for lab in labels)}
    for inset in lay.insets:
        labs = _labels(sc, inset.spots, people)
        place_labels(labs, _obstacles(inset.spots), inset.bounds)
        layers[f"inset-{inset.number}"] = "".join(label_svg(lab, "label copy") for lab in labs)
    layers["side"] = side_labels(sc, side, people)
    return layers


def key_and_side(sc: Scene, lay: Layout, doc: dict, actors: set[str] | None, reserve: dict[str, int]) -> tuple[str, Side]:
    """The key, and below it the side panel's layout."""
    key, y = legend(sc, doc, SIDE_X, MAP_Y + 14, actors=actors)
    return key, side_layout(sc, lay, SIDE_X, y + 34, reserve)


def label_layer(name: str, markup: str) -> str:
    return f'<g class="labels" data-layer="{name}">{markup}</g>'


def render(sc: Scene, doc: dict, *, title: str, subtitle: str, actors: set[str] | None = None, reserve: dict[str, int] | None = None) -> str:
    """The whole static map for one state document: the main map, close-ups of crowded spots below
    it, the key and the places not on the map at the side (with room for `reserve` people at each;
    by default those of `doc`)."""
    lay = layout(sc)
    f = lay.frame
    control = {c["place"]: c for c in doc["control"]}
    people = people_at(sc, doc)
    key, side = key_and_side(sc, lay, doc, actors, reserve if reserve is not None else reserve_for(sc, lay.beyond, people))
    layers = label_layers(sc, lay, side, people)
    body = [base_map(lay)]
    boxes = []
    for inset in lay.insets:
        x0, y0, x1, y1 = inset_box(lay, inset)
        boxes.append(f'<rect class="inset-box" x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" fill="none" stroke="#333" stroke-width="0.9" stroke-dasharray="3,2"/>')
    body.append('<g class="inset-boxes">' + "".join(boxes) + "</g>")
    body.append('<g class="markers">' + "".join(place_marker(sc, control[p], x, y, r) for p, (x, y, r) in lay.spots.items()) + "</g>")
    body.append(label_layer("main", layers["main"]))
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
        body.append("".join(place_marker(sc, control[p], px, py, r, copy=True) for p, (px, py, r) in inset.spots.items()))
        body.append(label_layer(f"inset-{inset.number}", layers[f"inset-{inset.number}"]))
        body.append(f'<rect x="{x:g}" y="{y:g}" width="{INSET_W}" height="{INSET_H}" fill="none" stroke="#888"/>')
        km = 1.852 * 60 * (fi.lat1 - fi.lat0) / (fi.height / 60)  # km per 60px, from degrees of latitude
        body.append(f'<text class="legend-head" x="{x:g}" y="{y - 6:g}">{inset.number}. Close-up: {esc(inset.name)}</text>'
                    f'<line x1="{x + 8:g}" y1="{y + INSET_H - 10:g}" x2="{x + 68:g}" y2="{y + INSET_H - 10:g}" stroke="#333" stroke-width="2"/>'
                    f'<text class="note" x="{x + 72:g}" y="{y + INSET_H - 7:g}">{km:.1f} km</text></g>')
    body.append(key)
    body.append(side_panel(sc, side, control))
    body.append(label_layer("side", layers["side"]))
    height = max(lay.height, side.bottom)
    head = (
        f'<text class="title" x="{MAP_X}" y="30">{esc(title)}</text>'
        f'<text class="subtitle" x="{MAP_X}" y="52">{esc(subtitle)}</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chrono-map" width="{WIDTH}" height="{height:.0f}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" font-family="{FONT}">'
        f'<rect width="100%" height="100%" fill="#fff"/>{defs(lay)}{head}{"".join(body)}</svg>'
    )
