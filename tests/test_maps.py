"""Maps of any region: the world's borders, a frame around the log's own places, close-ups where they
crowd, and a side list only for what lies far away; shown on a Sudan log and on the bundled chronicle."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET

from projections.pictures._geo import far_away, km, world

from . import sudan
from .logs import bundled, chrono, sudan_db  # noqa: F401  (fixtures)

SVG = "{http://www.w3.org/2000/svg}"


def map_of(tmp_path, *db: str, at: str) -> ET.Element:
    out = tmp_path / "map.svg"
    chrono(*db, "map", "--at", at, "--out", str(out))
    return ET.fromstring(out.read_bytes())


def groups(root: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if (g.get("class") or "").split()[:1] == [cls]]


def on_the_map(root: ET.Element) -> set[str]:
    """The places drawn on the main map: every marker but those in the side lists."""
    listed = {g.get("data-place") for side in groups(root, "side-list") for g in side.iter(f"{SVG}g") if g.get("class") == "place"}
    return {g.get("data-place") for g in groups(root, "place")} - listed


def side_list(root: ET.Element, section: str) -> set[str]:
    side = next((g for g in groups(root, "side-list") if g.get("data-section") == section), None)
    return set() if side is None else {g.get("data-place") for g in side.iter(f"{SVG}g") if g.get("class") == "place"}


def countries(root: ET.Element, role: str) -> set[str]:
    return {p.get("data-country") for p in root.iter(f"{SVG}path") if p.get("class") == f"country {role}"}


def country_names(root: ET.Element) -> set[str]:
    return {t.get("data-country") for t in root.iter(f"{SVG}text") if (t.get("class") or "").startswith("country-name")}


def texts(root: ET.Element) -> str:
    return " ".join(t.text or "" for t in root.iter(f"{SVG}text"))


def test_map_of_a_sudan_log_frames_its_own_places_in_sudans_outline(sudan_db, tmp_path):  # noqa: F811
    root = map_of(tmp_path, "--db", sudan_db, at="2023-12-19T12:00")
    assert sudan.ON_THE_MAP == on_the_map(root)
    assert sudan.FAR == side_list(root, "far")
    assert sudan.COUNTRIES == side_list(root, "countries")
    assert {"Sudan", "Saudi Arabia"} == countries(root, "focus")  # where the drawn places lie
    assert {"Eritrea", "Egypt"} <= countries(root, "other")
    assert "Sudan" in country_names(root)
    assert "Syria" not in texts(root) and "Syria" not in {p.get("data-country") for p in root.iter(f"{SVG}path")}
    assert "Natural Earth" in texts(root)


def test_map_of_a_sudan_log_draws_close_ups_where_places_crowd(sudan_db, tmp_path):  # noqa: F811
    root = map_of(tmp_path, "--db", sudan_db, at="2023-12-19T12:00")
    copies = {g.get("data-copy-of").removeprefix("place-") for g in root.iter(f"{SVG}g") if g.get("class") == "place-copy"}
    for crowd in sudan.CROWDS:
        assert crowd <= copies
    assert len(sudan.CROWDS) == len(groups(root, "inset"))
    assert "Close-ups below." in texts(root)


def test_map_of_places_far_apart_has_no_close_ups_and_says_none(tmp_path):
    from chrono.clock import FixedClock
    from chrono.entry import Draft
    from chrono.store import Log
    from events import PlaceDescribed

    path = str(tmp_path / "apart.db")
    log = Log.create(path, zone=sudan.ZONE, clock=FixedClock(sudan.RECORDED))
    log.append([Draft(event=PlaceDescribed(place=p, name=name, kind="city", lat=lat, lon=lon), id=f"d-{p}")
                for p, name, lat, lon in (("khartoum", "Khartoum", 15.50, 32.56), ("kassala", "Kassala", 15.45, 36.40),
                                          ("el-obeid", "El Obeid", 13.18, 30.22), ("port-sudan", "Port Sudan", 19.62, 37.22))])
    log.close()
    root = map_of(tmp_path, "--db", path, at="2023-12-19T12:00")
    assert {"khartoum", "kassala", "el-obeid", "port-sudan"} == on_the_map(root)
    assert [] == groups(root, "inset")
    assert "Close-ups" not in texts(root)
    assert set() == side_list(root, "far")


def test_map_of_the_bundled_chronicle_lists_only_what_lies_far_from_syria(bundled, tmp_path):  # noqa: F811
    root = map_of(tmp_path, at="2024-12-07T21:30")
    drawn = on_the_map(root)
    assert {"aleppo", "damascus", "hama", "homs", "daraa", "al-bukamal-crossing", "hmeimim-airbase"} <= drawn
    far = side_list(root, "far")
    assert {"moscow", "doha", "astana", "geneva", "dubai"} <= far
    assert not far & drawn
    assert {"country-syria", "country-russia"} <= side_list(root, "countries")
    assert "Syria" in countries(root, "focus") and "Syria" in country_names(root)


def test_far_away_is_relative_to_the_spread_of_the_places():
    khartoum, omdurman, madani, port_sudan, fasher = (32.56, 15.50), (32.48, 15.64), (33.52, 14.40), (37.22, 19.62), (25.35, 13.63)
    sudan_places = {"khartoum": khartoum, "omdurman": omdurman, "madani": madani, "port-sudan": port_sudan, "fasher": fasher}
    assert set() == far_away(sudan_places)
    assert {"abu-dhabi"} == far_away({**sudan_places, "abu-dhabi": (54.38, 24.45)})
    assert set() == far_away({"khartoum": khartoum, "abu-dhabi": (54.38, 24.45)})  # two places: nothing to be far from
    assert 7 < km(khartoum, omdurman) < 20


def test_the_bundled_world_has_every_country_and_places_lie_in_theirs():
    countries_, attribution = world()
    by_name = {c.name: c for c in countries_}
    assert 177 == len(countries_)
    assert "Natural Earth" in attribution
    assert by_name["Sudan"].contains(33.5199, 14.4012)  # Wad Madani
    assert by_name["Syria"].contains(37.1343, 36.2021)  # Aleppo
    assert not by_name["Sudan"].contains(37.1343, 36.2021)
    assert by_name["South Africa"].contains(25.0, -29.0) and not by_name["South Africa"].contains(28.2, -29.5)  # Lesotho is a hole


def _ring_points(c) -> set[tuple[float, float]]:
    return {p for ring in c.rings for p in ring}


def test_neighbours_share_their_simplified_border():
    by_name = {c.name: c for c in world()[0]}
    for a, b in (("Syria", "Turkey"), ("Sudan", "Chad"), ("Sudan", "S. Sudan"), ("Israel", "Lebanon")):
        assert len(_ring_points(by_name[a]) & _ring_points(by_name[b])) >= 2, (a, b)


# --- the builder, on a shapefile of two squares sharing an edge ----------------------------------------


def _write_shapefile(base, shapes: list[list[list[tuple[float, float]]]], names: list[str]) -> None:
    records = b""
    for n, rings in enumerate(shapes, 1):
        points = [p for ring in rings for p in ring]
        parts, at = [], 0
        for ring in rings:
            parts.append(at)
            at += len(ring)
        body = struct.pack("<i4d2i", 5, 0, 0, 0, 0, len(rings), len(points)) + struct.pack(f"<{len(parts)}i", *parts)
        body += b"".join(struct.pack("<2d", *p) for p in points)
        records += struct.pack(">2i", n, len(body) // 2) + body
    (base.with_suffix(".shp")).write_bytes(b"\0" * 100 + records)
    fields = [(b"name", 20), (b"iso_a3", 3)]
    header_len, record_len = 32 + 32 * len(fields) + 1, 1 + sum(n for _, n in fields)
    dbf = struct.pack("<B3BIHH20x", 3, 124, 1, 1, len(names), header_len, record_len)
    for name, length in fields:
        dbf += name.ljust(11, b"\0") + b"C" + b"\0" * 4 + bytes([length, 0]) + b"\0" * 14
    dbf += b"\r"
    for name in names:
        dbf += b" " + name.encode().ljust(20) + b"XXX"
    (base.with_suffix(".dbf")).write_bytes(dbf + b"\x1a")


def test_border_builder_reads_a_shapefile_and_keeps_one_shared_border(tmp_path):
    from tools.build_borders import build

    # Two squares whose common edge bends by less than the tolerance. West's ring starts on the bend,
    # so simplifying each ring on its own would keep the bend in West only: a sliver between the two.
    west = [[(1.03, 0.5), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0), (1.0, 0.0), (1.03, 0.5)]]
    east = [[(1.0, 0.0), (2.0, 0.0), (2.0, 1.0), (1.0, 1.0), (1.03, 0.5), (1.0, 0.0)]]
    _write_shapefile(tmp_path / "two", [west, east], ["West", "East"])
    doc = build(tmp_path / "two.shp")
    assert ["East", "West"] == [c["name"] for c in doc["countries"]]

    def points(c):
        flat = c["rings"][0]
        out, x, y = [(flat[0], flat[1])], flat[0], flat[1]
        for i in range(2, len(flat), 2):
            x, y = x + flat[i], y + flat[i + 1]
            out.append((x, y))
        return set(out)

    east_pts, west_pts = (points(c) for c in doc["countries"])
    shared = east_pts & west_pts
    assert {(100, 0), (100, 100)} == shared  # the bend is gone from both, the ends kept by both
    assert (103, 50) not in west_pts | east_pts
    assert {(0, 0), (0, 100)} <= west_pts and {(200, 0), (200, 100)} <= east_pts
