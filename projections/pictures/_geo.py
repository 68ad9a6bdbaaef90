"""The bundled country outlines and the projection from longitude/latitude to picture coordinates."""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources

import attrs

# Syria's box, padded; nearby places widen it, places beyond NEAR go to the "beyond the map" panel.
SYRIA = (35.2, 31.9, 42.8, 37.7)
NEAR = (33.0, 29.5, 45.0, 38.6)


@cache
def borders() -> dict:
    """Natural Earth 1:110m outlines of Syria and its neighbours (see geodata/README.md)."""
    data = resources.files(__package__).joinpath("geodata", "borders.geojson").read_text()
    return json.loads(data)


def is_near(lon: float, lat: float) -> bool:
    return NEAR[0] <= lon <= NEAR[2] and NEAR[1] <= lat <= NEAR[3]


@attrs.frozen
class Frame:
    """An equirectangular projection (scaled by cos of the middle latitude) of a lon/lat box onto
    a rectangle of the picture; good enough at this size and honest about where places are."""

    lon0: float
    lat0: float
    lon1: float
    lat1: float
    x: float
    y: float
    width: float
    height: float

    @classmethod
    def around(cls, points: list[tuple[float, float]], *, x: float, y: float, width: float) -> Frame:
        lon0, lat0, lon1, lat1 = SYRIA
        for lon, lat in points:
            if is_near(lon, lat):
                lon0, lon1 = min(lon0, lon - 0.4), max(lon1, lon + 0.4)
                lat0, lat1 = min(lat0, lat - 0.3), max(lat1, lat + 0.3)
        k = math.cos(math.radians((lat0 + lat1) / 2))
        height = width * (lat1 - lat0) / ((lon1 - lon0) * k)
        return cls(lon0, lat0, lon1, lat1, x, y, width, height)

    @classmethod
    def fit(cls, box: tuple[float, float, float, float], *, x: float, y: float, width: float, height: float) -> Frame:
        """The lon/lat box grown to the rectangle's shape, centred in it."""
        lon0, lat0, lon1, lat1 = box
        k = math.cos(math.radians((lat0 + lat1) / 2))
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

    def contains(self, lon: float, lat: float) -> bool:
        return self.lon0 <= lon <= self.lon1 and self.lat0 <= lat <= self.lat1

    def country_paths(self) -> list[tuple[str, str, str]]:
        """(name, role, SVG path data) for every bundled country."""
        out = []
        for f in borders()["features"]:
            d = []
            for polygon in f["geometry"]["coordinates"]:
                for ring in polygon:
                    pts = [self.project(lon, lat) for lon, lat in ring]
                    d.append("M" + "L".join(f"{x:g},{y:g}" for x, y in pts) + "Z")
            out.append((f["properties"]["name"], f["properties"]["role"], "".join(d)))
        return out

    def country_label_points(self) -> list[tuple[str, float, float]]:
        """Where to write each country's name: hand-picked, since centroids of clipped outlines fall in odd places."""
        spots = {
            "Syria": (38.9, 35.0), "Turkey": (39.6, 37.5), "Iraq": (42.4, 33.6), "Jordan": (37.4, 32.05),
            "Lebanon": (35.75, 33.6), "Israel": (34.75, 31.0), "Cyprus": (33.2, 34.85), "Saudi Arabia": (39.0, 30.1),
            "Egypt": (33.4, 30.3), "Iran": (46.5, 33.5),
        }
        return [(name, *self.project(lon, lat)) for name, (lon, lat) in spots.items() if self.contains(lon, lat)]
