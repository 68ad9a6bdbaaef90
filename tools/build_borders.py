"""Build `projections/pictures/geodata/world.json`, the country outlines Chrono's maps draw, from Natural
Earth's 1:110m Admin 0 - Countries (public domain). Standard library only.

Run once by hand; the output is committed, and Chrono never runs this at install or run time:

    pip download --no-deps -d /tmp/ne geopandas==0.14.4      # its wheel bundles naturalearth_lowres
    cd /tmp/ne && python -m zipfile -e geopandas-0.14.4-py3-none-any.whl .
    python tools/build_borders.py /tmp/ne/geopandas/datasets/naturalearth_lowres/naturalearth_lowres.shp

Every country is kept. Coordinates are snapped to a grid of 1/100 degree, and each ring is simplified
(Douglas-Peucker) between the points where the set of countries sharing it changes, so a border two
countries share is simplified once, the same way for both, and no slivers open between them. Rings
are written as integers on that grid, the first point absolute and the rest as differences.
"""

from __future__ import annotations

import json
import math
import struct
import sys
from pathlib import Path

GRID = 100  # grid steps per degree: 1/100 degree, about a kilometre, finer than a 1:110m line
TOLERANCE = 4  # grid steps (0.04 degree): what Douglas-Peucker may move a border by
OUT = Path(__file__).resolve().parent.parent / "projections" / "pictures" / "geodata" / "world.json"
ATTRIBUTION = "Made with Natural Earth (1:110m Admin 0 - Countries, public domain; naturalearthdata.com)"

Point = tuple[int, int]


def read_dbf(path: Path, encoding: str) -> list[dict[str, str]]:
    """The records of a dBASE III table, every field as stripped text."""
    data = path.read_bytes()
    count, header_len, record_len = struct.unpack_from("<IHH", data, 4)
    fields, at = [], 32
    while data[at] != 0x0D:
        name = data[at : at + 11].split(b"\0", 1)[0].decode("ascii")
        fields.append((name, data[at + 16]))
        at += 32
    rows = []
    for i in range(count):
        start = header_len + i * record_len
        if data[start : start + 1] == b"*":  # deleted
            continue
        at, row = start + 1, {}
        for name, length in fields:
            row[name] = data[at : at + length].decode(encoding).strip()
            at += length
        rows.append(row)
    return rows


def read_shp(path: Path) -> list[list[list[tuple[float, float]]]]:
    """The rings of every polygon record (shape type 5) of an ESRI shapefile, in record order."""
    data = path.read_bytes()
    shapes, at = [], 100
    while at < len(data):
        _number, words = struct.unpack_from(">ii", data, at)
        body = at + 8
        (kind,) = struct.unpack_from("<i", data, body)
        if kind == 0:
            shapes.append([])
        elif kind == 5:
            n_parts, n_points = struct.unpack_from("<ii", data, body + 36)
            parts = list(struct.unpack_from(f"<{n_parts}i", data, body + 44)) + [n_points]
            coords = struct.unpack_from(f"<{2 * n_points}d", data, body + 44 + 4 * n_parts)
            points = list(zip(coords[0::2], coords[1::2]))
            shapes.append([points[s:e] for s, e in zip(parts, parts[1:])])
        else:
            raise SystemExit(f"shape type {kind} at byte {at}: only polygons are expected")
        at = body + 2 * words
    return shapes


def snap(ring: list[tuple[float, float]]) -> list[Point]:
    out: list[Point] = []
    for lon, lat in ring:
        p = (round(lon * GRID), round(lat * GRID))
        if not out or out[-1] != p:
            out.append(p)
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()  # rings are stored open; the closing point is implied
    return out


def _distance(p: Point, a: Point, b: Point) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    if dx == dy == 0:
        return math.dist(p, a)
    return abs(dy * (p[0] - a[0]) - dx * (p[1] - a[1])) / math.hypot(dx, dy)


def douglas_peucker(points: list[Point], tol: float) -> list[Point]:
    """The points of the polyline (ends kept) that stay within `tol` of it. Symmetric in direction
    except on exact ties, so a border simplified from either side comes out the same."""
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        i, j = stack.pop()
        worst, index = 0.0, -1
        for k in range(i + 1, j):
            d = _distance(points[k], points[i], points[j])
            if d > worst:
                worst, index = d, k
        if worst > tol:
            keep[index] = True
            stack += [(i, index), (index, j)]
    return [p for p, k in zip(points, keep) if k]


def simplify(rings: list[list[Point]], tol: float) -> list[list[Point]]:
    """Simplify every ring between anchors: the points where the set of rings passing through a
    point changes (a border starts or ends there), so shared stretches are simplified alike."""
    owners: dict[Point, set[int]] = {}
    for r, ring in enumerate(rings):
        for p in ring:
            owners.setdefault(p, set()).add(r)
    out = []
    for ring in rings:
        n = len(ring)
        anchors = [i for i in range(n) if owners[ring[i]] != owners[ring[i - 1]] or owners[ring[i]] != owners[ring[(i + 1) % n]]]
        if not anchors:
            # A ring nobody shares: anchor it at its first point and the point farthest from it.
            far = max(range(n), key=lambda i: math.dist(ring[i], ring[0]))
            anchors = sorted({0, far})
        kept: list[Point] = []
        for a, b in zip(anchors, anchors[1:] + [anchors[0] + n]):
            stretch = [ring[i % n] for i in range(a, b + 1)]
            kept += douglas_peucker(stretch, tol)[:-1]
        if len(set(kept)) >= 3:
            out.append(kept)
    return out


def encode(ring: list[Point]) -> list[int]:
    flat = list(ring[0])
    for (x0, y0), (x1, y1) in zip(ring, ring[1:]):
        flat += [x1 - x0, y1 - y0]
    return flat


def build(shp: Path) -> dict:
    cpg = shp.with_suffix(".cpg")
    encoding = cpg.read_text().strip() if cpg.exists() else "utf-8"
    records = read_dbf(shp.with_suffix(".dbf"), encoding)
    shapes = read_shp(shp)
    if len(records) != len(shapes):
        raise SystemExit(f"{len(records)} records but {len(shapes)} shapes")
    rings, owner = [], []
    for c, shape in enumerate(shapes):
        for ring in shape:
            snapped = snap(ring)
            if len(snapped) >= 3:
                rings.append(snapped)
                owner.append(c)
    simple = simplify(rings, TOLERANCE)
    by_country: dict[int, list[list[Point]]] = {}
    for c, ring in zip(owner, simple):
        by_country.setdefault(c, []).append(ring)
    countries = []
    for c, rec in enumerate(records):
        if c not in by_country:
            continue
        xs = [x for ring in by_country[c] for x, _ in ring]
        ys = [y for ring in by_country[c] for _, y in ring]
        countries.append({
            "name": rec["name"],
            "iso_a3": rec["iso_a3"],
            "bbox": [min(xs), min(ys), max(xs), max(ys)],
            "rings": [encode(ring) for ring in by_country[c]],
        })
    countries.sort(key=lambda c: c["name"])
    return {
        "attribution": ATTRIBUTION,
        "grid": GRID,
        "about": "Coordinates are integers in 1/grid degree (lon, lat); each ring's first point is absolute, "
                 "the others differences from the point before; rings close on their first point. "
                 "Built by tools/build_borders.py.",
        "countries": countries,
    }


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        sys.exit(__doc__)
    doc = build(Path(argv[1]))
    OUT.write_text(json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")
    points = sum(len(r) // 2 for c in doc["countries"] for r in c["rings"])
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(doc['countries'])} countries, {points} points)")


if __name__ == "__main__":
    main(sys.argv)
