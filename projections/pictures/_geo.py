"""The bundled world outlines, which of a log's places a map frames, and the projection from
longitude/latitude to picture coordinates."""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources

import attrs

# A place is far away, and listed beside the map rather than drawn on it, when it lies more than
# FAR_FACTOR times as far from the middle of the log's places as three quarters of them do, and more
# than FAR_MIN_KM: Moscow beside Syria, Abu Dhabi beside Sudan; never Port Sudan beside Khartoum.
FAR_FACTOR = 3.0
FAR_MIN_KM = 400.0
MIN_SPAN = 1.5  # degrees of latitude (or their width in longitude): a frame never closes in further
PAD = 0.1  # of the places' span, on each side, and at least PAD_MIN degrees
PAD_MIN = 0.3
EARTH_KM = 6371.0


@attrs.frozen
class Country:
    name: str
    iso_a3: str
    bbox: tuple[float, float, float, float]  # lon0, lat0, lon1, lat1
    rings: tuple[tuple[tuple[float, float], ...], ...]  # (lon, lat); holes are rings too (even-odd)

    def contains(self, lon: float, lat: float) -> bool:
        x0, y0, x1, y1 = self.bbox
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            return False
        inside = False
        for ring in self.rings:
            (ax, ay) = ring[-1]
            for bx, by in ring:
                if (ay > lat) != (by > lat) and lon < ax + (lat - ay) * (bx - ax) / (by - ay):
                    inside = not inside
                ax, ay = bx, by
        return inside


@cache
def world() -> tuple[tuple[Country, ...], str]:
    """Natural Earth 1:110m countries (see geodata/README.md), and the attribution to print."""
    doc = json.loads(resources.files(__package__).joinpath("geodata", "world.json").read_text(encoding="utf-8"))
    grid = doc["grid"]
    countries = []
    for c in doc["countries"]:
        rings = []
        for flat in c["rings"]:
            x, y, pts = flat[0], flat[1], [(flat[0] / grid, flat[1] / grid)]
            for i in range(2, len(flat), 2):
                x, y = x + flat[i], y + flat[i + 1]
                pts.append((x / grid, y / grid))
            rings.append(tuple(pts))
        countries.append(Country(name=c["name"], iso_a3=c["iso_a3"], bbox=tuple(v / grid for v in c["bbox"]), rings=tuple(rings)))
    return tuple(countries), doc["attribution"]


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lon, lat) points."""
    (lon1, lat1), (lon2, lat2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def far_away(points: dict[str, tuple[float, float]]) -> set[str]:
    """The places that lie far from the rest (see FAR_FACTOR): the map frames the others."""
    if len(points) < 3:
        return set()
    lons = sorted(lon for lon, _ in points.values())
    lats = sorted(lat for _, lat in points.values())
    middle = (lons[len(lons) // 2], lats[len(lats) // 2])
    dist = {p: km(middle, xy) for p, xy in points.items()}
    most = sorted(dist.values())[int(0.75 * (len(dist) - 1))]
    limit = max(FAR_FACTOR * most, FAR_MIN_KM)
    return {p for p, d in dist.items() if d > limit}


def _k(lat0: float, lat1: float) -> float:
    """How much narrower a degree of longitude is than one of latitude in the middle of the frame."""
    return max(0.2, math.cos(math.radians((lat0 + lat1) / 2)))


@attrs.frozen
class Frame:
    """An equirectangular projection (scaled by cos of the middle latitude) of a lon/lat box onto
    a rectangle of the picture; good enough at a region's size and honest about where places are."""

    lon0: float
    lat0: float
    lon1: float
    lat1: float
    x: float
    y: float
    width: float
    height: float

    @classmethod
    def around(cls, points: list[tuple[float, float]], *, x: float, y: float, width: float, shape=(0.5, 1.0)) -> Frame:
        """A frame of `width` around `points`, padded and at least MIN_SPAN across, whose height is
        the box's own shape held between `shape` times the width."""
        if not points:
            return cls.fit((-180.0, -60.0, 180.0, 80.0), x=x, y=y, width=width, height=width * shape[0])
        lon0, lon1 = min(p[0] for p in points), max(p[0] for p in points)
        lat0, lat1 = min(p[1] for p in points), max(p[1] for p in points)
        k = _k(lat0, lat1)
        pad_lat = max(PAD * (lat1 - lat0), PAD_MIN)
        pad_lon = max(PAD * (lon1 - lon0), PAD_MIN / k)
        lon0, lon1, lat0, lat1 = lon0 - pad_lon, lon1 + pad_lon, lat0 - pad_lat, lat1 + pad_lat
        if lat1 - lat0 < MIN_SPAN:
            grow = (MIN_SPAN - (lat1 - lat0)) / 2
            lat0, lat1 = lat0 - grow, lat1 + grow
        if (lon1 - lon0) * k < MIN_SPAN:
            grow = (MIN_SPAN / k - (lon1 - lon0)) / 2
            lon0, lon1 = lon0 - grow, lon1 + grow
        lat0, lat1 = max(lat0, -85.0), min(lat1, 85.0)
        ratio = (lat1 - lat0) / ((lon1 - lon0) * _k(lat0, lat1))
        height = width * min(max(ratio, shape[0]), shape[1])
        return cls.fit((lon0, lat0, lon1, lat1), x=x, y=y, width=width, height=height)

    @classmethod
    def fit(cls, box: tuple[float, float, float, float], *, x: float, y: float, width: float, height: float) -> Frame:
        """The lon/lat box grown to the rectangle's shape, centred in it."""
        lon0, lat0, lon1, lat1 = box
        k = _k(lat0, lat1)
        span_lon, span_lat = max(lon1 - lon0, 1e-3), max(lat1 - lat0, 1e-3)
        if span_lon * k / span_lat > width / height:
            grow = (span_lon * k * height / width - span_lat) / 2
            lat0, lat1 = lat0 - grow, lat1 + grow
        else:
            grow = (span_lat * width / height / k - span_lon) / 2
            lon0, lon1 = lon0 - grow, lon1 + grow
        return cls(lon0, lat0, lon1, lat1, x, y, width, height)

    @property
    def scale(self) -> float:
        return self.height / (self.lat1 - self.lat0)

    def project(self, lon: float, lat: float) -> tuple[float, float]:
        px = self.x + (lon - self.lon0) / (self.lon1 - self.lon0) * self.width
        py = self.y + (self.lat1 - lat) / (self.lat1 - self.lat0) * self.height
        return round(px, 1), round(py, 1)

    def unproject(self, px: float, py: float) -> tuple[float, float]:
        return (self.lon0 + (px - self.x) / self.width * (self.lon1 - self.lon0),
                self.lat1 - (py - self.y) / self.height * (self.lat1 - self.lat0))

    def contains(self, lon: float, lat: float) -> bool:
        return self.lon0 <= lon <= self.lon1 and self.lat0 <= lat <= self.lat1

    def countries(self) -> list[Country]:
        """The bundled countries that reach into the frame."""
        return [c for c in world()[0] if c.bbox[0] <= self.lon1 and c.bbox[2] >= self.lon0 and c.bbox[1] <= self.lat1 and c.bbox[3] >= self.lat0]

    def path(self, c: Country) -> str:
        """SVG path data of a country's rings (fill it with fill-rule evenodd)."""
        return "".join("M" + "L".join("{:g},{:g}".format(*self.project(lon, lat)) for lon, lat in ring) + "Z" for ring in c.rings)

    def label_spot(self, c: Country, width: float, height: float, *, margin: float = 6) -> tuple[float, float] | None:
        """Where a label of `width` x `height` pixels, centred on the point, lies inside the country
        and inside the frame, as near the middle of the room it has there as a coarse search finds;
        None if nowhere."""
        x0 = max(self.x + margin + width / 2, self.project(c.bbox[0], 0)[0] + width / 2)
        x1 = min(self.x + self.width - margin - width / 2, self.project(c.bbox[2], 0)[0] - width / 2)
        y0 = max(self.y + margin + height / 2, self.project(0, c.bbox[3])[1] + height / 2)
        y1 = min(self.y + self.height - margin - height / 2, self.project(0, c.bbox[1])[1] - height / 2)
        if x0 > x1 or y0 > y1:
            return None
        best, steps = None, 9
        for i in range(steps):
            for j in range(steps):
                px, py = x0 + (x1 - x0) * (i + 0.5) / steps, y0 + (y1 - y0) * (j + 0.5) / steps
                corners = [(px + dx * width / 2, py + dy * height / 2) for dx in (-1, 0, 1) for dy in (-1, 1)] + [(px, py)]
                if not all(c.contains(*self.unproject(*corner)) for corner in corners):
                    continue
                score = -abs(px - (x0 + x1) / 2) / max(x1 - x0, 1) - abs(py - (y0 + y1) / 2) / max(y1 - y0, 1)
                if best is None or score > best[0]:
                    best = (score, px, py)
        return None if best is None else (round(best[1], 1), round(best[2], 1))
