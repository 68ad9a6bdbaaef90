"""Build `borders.geojson`, the country outlines the maps draw, from Natural Earth 1:110m (public domain).

Run once by hand; the output is committed and Chrono never runs this at install or run time:

    pip download --no-deps -d /tmp/gp geopandas==0.14.4      # its wheel bundles naturalearth_lowres
    cd /tmp/gp && unzip -o geopandas-0.14.4-py3-none-any.whl 'geopandas/datasets/*'
    pip install pyshp                                         # only for this script
    python projections/pictures/geodata/build_borders.py \
        /tmp/gp/geopandas/datasets/naturalearth_lowres/naturalearth_lowres.shp

Each country is clipped to a box around Syria, simplified (Douglas-Peucker) and its coordinates rounded,
so the file stays a few kilobytes.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import shapefile  # pyshp: a build-time tool only, never a runtime dependency

# Syria, the countries it borders, and the ones that close the frame.
ROLES = {
    "Syria": "focus",
    **{n: "neighbour" for n in ("Turkey", "Iraq", "Jordan", "Lebanon", "Israel", "Palestine", "Cyprus", "N. Cyprus")},
    **{n: "context" for n in ("Iran", "Saudi Arabia", "Egypt")},
}
BOX = (29.0, 27.0, 50.0, 41.0)  # lon_min, lat_min, lon_max, lat_max
TOLERANCE = 0.01  # degrees: below what a 1:110m outline can show anyway
DIGITS = 3


def clip(ring: list[tuple[float, float]], box=BOX) -> list[tuple[float, float]]:
    """Sutherland-Hodgman against an axis-aligned box (good enough for filled outlines)."""
    x0, y0, x1, y1 = box
    edges = [
        (lambda p: p[0] >= x0, lambda a, b: _cut_x(a, b, x0)),
        (lambda p: p[0] <= x1, lambda a, b: _cut_x(a, b, x1)),
        (lambda p: p[1] >= y0, lambda a, b: _cut_y(a, b, y0)),
        (lambda p: p[1] <= y1, lambda a, b: _cut_y(a, b, y1)),
    ]
    out = ring
    for inside, cut in edges:
        src, out = out, []
        if not src:
            break
        prev = src[-1]
        for cur in src:
            if inside(cur):
                if not inside(prev):
                    out.append(cut(prev, cur))
                out.append(cur)
            elif inside(prev):
                out.append(cut(prev, cur))
            prev = cur
    return out


def _cut_x(a, b, x):
    t = (x - a[0]) / (b[0] - a[0])
    return (x, a[1] + t * (b[1] - a[1]))


def _cut_y(a, b, y):
    t = (y - a[1]) / (b[1] - a[1])
    return (a[0] + t * (b[0] - a[0]), y)


def simplify(points: list[tuple[float, float]], tol: float = TOLERANCE) -> list[tuple[float, float]]:
    if len(points) < 4:
        return points
    a, b = points[0], points[-1]
    worst, index = 0.0, 0
    for i in range(1, len(points) - 1):
        d = _distance(points[i], a, b)
        if d > worst:
            worst, index = d, i
    if worst <= tol:
        return [a, b]
    return simplify(points[: index + 1], tol)[:-1] + simplify(points[index:], tol)


def _distance(p, a, b) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    if dx == dy == 0:
        return math.dist(p, a)
    return abs(dy * p[0] - dx * p[1] + b[0] * a[1] - b[1] * a[0]) / math.hypot(dx, dy)


def rings(shape) -> list[list[tuple[float, float]]]:
    parts = list(shape.parts) + [len(shape.points)]
    return [[tuple(p) for p in shape.points[s:e]] for s, e in zip(parts, parts[1:])]


def build(shp_path: str) -> dict:
    features = []
    for sr in shapefile.Reader(shp_path).shapeRecords():
        rec = sr.record.as_dict()
        role = ROLES.get(rec["name"])
        if role is None:
            continue
        polygons = []
        for ring in rings(sr.shape):
            clipped = clip(ring)
            if len(clipped) < 3:
                continue
            clipped = simplify(clipped + [clipped[0]] if clipped[0] != clipped[-1] else clipped)
            pts = [[round(x, DIGITS), round(y, DIGITS)] for x, y in clipped]
            if len(pts) >= 4:
                polygons.append([pts])
        if polygons:
            features.append({
                "type": "Feature",
                "properties": {"name": rec["name"], "iso_a3": rec["iso_a3"], "role": role},
                "geometry": {"type": "MultiPolygon", "coordinates": polygons},
            })
    features.sort(key=lambda f: ({"context": 0, "neighbour": 1, "focus": 2}[f["properties"]["role"]], f["properties"]["name"]))
    return {
        "type": "FeatureCollection",
        "attribution": "Made with Natural Earth (1:110m Admin 0 - Countries, public domain), naturalearthdata.com",
        "features": features,
    }


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = Path(__file__).with_name("borders.geojson")
    doc = build(sys.argv[1])
    out.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote {out} ({out.stat().st_size} bytes, {len(doc['features'])} countries)")
