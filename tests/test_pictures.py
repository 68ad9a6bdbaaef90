"""Pictures and exports on a small purpose-built log: the SVG map, the slider and timeline pages, CSV,
GeoJSON and TimelineJS."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from chrono.clock import FixedClock
from chrono.entry import Draft
from chrono.store import Log
from chrono.timeval import parse_instant, parse_valid_time
from cli import main
from events import ActorDescribed, ControlChanged, PersonDescribed, PersonFled, PersonMoved, PlaceDescribed, Source
from projections.colors import actor_colors
from projections.pictures import CSV_COLUMNS, export, geojson, render_map_svg, render_slider_html, render_timeline_html, timelinejs

ZONE = "Asia/Damascus"
SVG = "{http://www.w3.org/2000/svg}"
# The colours the key gives the log's two actors, both holders of places (`projections.colors`).
_KEY = actor_colors({"hts", "syrian-government"}, first={"hts", "syrian-government"})
GOVERNMENT, HTS = _KEY["syrian-government"], _KEY["hts"]
LOCATED = {"aleppo", "aleppo-citadel", "aleppo-airport", "hama", "damascus", "idlib", "moscow"}


def source(quote: str) -> tuple[Source, ...]:
    return (Source(outlet="Al Majalla", attribution="a source in the operations room", quote=quote),)


def drafts() -> list[Draft]:
    v = lambda literal: parse_valid_time(literal, ZONE)  # noqa: E731
    place = lambda pid, name, lat, lon, kind="city": Draft(event=PlaceDescribed(place=pid, name=name, kind=kind, lat=lat, lon=lon), id=f"d-{pid}")  # noqa: E731
    return [
        place("aleppo", "Aleppo", 36.2021, 37.1343),
        place("aleppo-citadel", "Aleppo Citadel", 36.1993, 37.1626, "building"),
        place("aleppo-airport", "Aleppo International Airport", 36.1807, 37.2244, "airport"),
        place("hama", "Hama", 35.1318, 36.7578),
        place("damascus", "Damascus", 33.5138, 36.2765),
        place("idlib", "Idlib", 35.93, 36.63, "governorate"),
        place("moscow", "Moscow", 55.7558, 37.6173),
        Draft(event=PlaceDescribed(place="somewhere", name="Somewhere unmapped"), id="d-somewhere"),
        Draft(event=ActorDescribed(actor="hts", name="Hayat Tahrir al-Sham", kind="faction"), id="d-hts"),
        Draft(event=ActorDescribed(actor="syrian-government", name="Syrian government", kind="government"), id="d-gov"),
        Draft(event=PersonDescribed(person="assad", name="Bashar al-Assad", affiliation="syrian-government"), id="d-assad"),
        Draft(event=ControlChanged(place="aleppo", controller="syrian-government", how="held"), valid=v("2024-11-20"), id="gov-holds-aleppo", sources=source("the regime held Aleppo")),
        Draft(event=ControlChanged(place="hama", controller="syrian-government", how="held"), valid=v("2024-11-20"), id="gov-holds-hama", sources=source("the regime held Hama")),
        Draft(event=ControlChanged(place="idlib", controller="hts", how="held"), valid=v("2024-11-20"), id="hts-holds-idlib", sources=source("setting out from Idlib")),
        Draft(event=ControlChanged(place="aleppo", controller="hts"), valid=v("2024-11-27/2024-11-29"), id="aleppo-captured", sources=source("By Friday, with Aleppo having fallen")),
        Draft(event=ControlChanged(place="hama", controller="syrian-government", how="contested", contested_with=("hts",)), valid=v("2024-12-04"), id="hama-contested", sources=source("fighting in Hama")),
        Draft(event=PersonMoved(person="assad", to_place="damascus"), valid=v("2024-11-29"), id="assad-returned", sources=source("Assad was on a plane heading back to Damascus")),
        Draft(event=PersonFled(person="assad", from_place="damascus", to_place="moscow"), valid=v("2024-12-08"), id="assad-fled", sources=source("then flew to Moscow")),
    ]


@pytest.fixture
def log_path(tmp_path) -> str:
    path = str(tmp_path / "small.db")
    log = Log.create(path, zone=ZONE, clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC)))
    log.append(drafts())
    log.close()
    return path


@pytest.fixture
def log(log_path):
    log = Log.open(log_path)
    yield log
    log.close()


def at(literal: str) -> datetime:
    return parse_instant(literal, ZONE)


def markers(svg_text: str) -> dict[str, ET.Element]:
    """The one marker group per place (close-ups hold copies, class place-copy)."""
    root = ET.fromstring(svg_text.encode())
    out = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "place":
            assert g.get("data-place") not in out, f"two markers for {g.get('data-place')}"
            out[g.get("data-place")] = g
    return out


def fill(g: ET.Element) -> str:
    return next(m for m in g.iter(f"{SVG}g") if m.get("class") == "marker").get("fill")


def test_map_svg_parses_with_one_marker_per_located_place_coloured_by_its_controller(log):
    svg = render_map_svg(log, at("2024-11-30T12:00"))
    found = markers(svg)
    assert LOCATED == set(found)
    assert ("hts", "certain", HTS) == (found["aleppo"].get("data-controller"), found["aleppo"].get("data-status"), fill(found["aleppo"]))
    assert ("syrian-government", GOVERNMENT) == (found["hama"].get("data-controller"), fill(found["hama"]))
    assert ("hts", HTS) == (found["idlib"].get("data-controller"), fill(found["idlib"]))
    assert "unknown" == found["damascus"].get("data-status")


def test_map_svg_draws_possible_and_contested_control_distinctly(log):
    found = markers(render_map_svg(log, at("2024-11-28T12:00")))
    aleppo = found["aleppo"]
    assert ("syrian-government", "possible", GOVERNMENT) == (aleppo.get("data-controller"), aleppo.get("data-status"), fill(aleppo))
    classes = {el.get("class") for el in aleppo.iter()}
    assert {"marker-pending", "marker-ring"} <= classes
    pending = next(el for el in aleppo.iter() if el.get("class") == "marker-pending")
    assert HTS == pending.get("fill")
    hama = markers(render_map_svg(log, at("2024-12-05T12:00")))["hama"]
    assert ("hts", "marker-hatch") == (hama.get("data-contested"), next(el.get("class") for el in hama.iter() if el.get("class") == "marker-hatch"))


def test_map_svg_has_a_title_with_t_k_and_the_log_a_legend_by_actor_and_people_where_they_are(log):
    svg = render_map_svg(log, at("2024-12-09T12:00"), at("2026-06-01T00:00"), log_name="log small.db")
    root = ET.fromstring(svg.encode())
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert "Who held what at 9 Dec 2024 12:00 (Asia/Damascus)" in texts
    assert any("As known at 1 Jun 2026 00:00" in t and "log small.db" in t for t in texts)
    legend = {g.get("data-actor") for g in root.iter(f"{SVG}g") if g.get("class") == "legend-actor"}
    assert {"hts", "syrian-government"} == legend
    moscow_label = next(g for g in root.iter(f"{SVG}g") if g.get("data-for") == "moscow")
    assert ["Moscow", "◆ Bashar al-Assad"] == [t.text for t in moscow_label.iter(f"{SVG}text")]
    assert "Natural Earth" in svg


def test_map_command_writes_an_svg_and_a_slider_page(log_path, tmp_path):
    out = tmp_path / "m.svg"
    result = CliRunner().invoke(main, ["--db", log_path, "map", "--at", "2024-11-30T12:00", "--out", str(out)])
    assert 0 == result.exit_code, result.output
    assert HTS == fill(markers(out.read_text())["aleppo"])
    page = tmp_path / "m.html"
    result = CliRunner().invoke(main, ["--db", log_path, "map", "--from", "2024-11-26", "--to", "2024-12-10", "--step", "12h", "--out", str(page)])
    assert 0 == result.exit_code, result.output
    assert 'id="slider"' in page.read_text()


def test_map_command_refuses_unclear_requests(log_path, tmp_path):
    runner = CliRunner()
    assert 2 == runner.invoke(main, ["--db", log_path, "map", "--out", str(tmp_path / "x.svg")]).exit_code
    assert 2 == runner.invoke(main, ["--db", log_path, "map", "--at", "2024-11-30", "--from", "2024-11-26", "--out", str(tmp_path / "x.svg")]).exit_code
    result = runner.invoke(main, ["--db", log_path, "map", "--at", "yesterday", "--out", str(tmp_path / "x.svg")])
    assert (1, "Traceback" not in result.output) == (result.exit_code, True)
    result = runner.invoke(main, ["--db", log_path, "map", "--from", "2024-11-26", "--to", "2024-12-10", "--step", "often", "--out", str(tmp_path / "x.html")])
    assert 1 == result.exit_code and "cannot read step" in result.output


def page_data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="chrono-data">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))


def no_network(html: str) -> None:
    assert not re.search(r"https?://", html), "the page must not reference anything on the network"
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\((?!#)", html)


def test_slider_page_is_self_contained_and_steps_through_each_change_with_sources(log):
    html = render_slider_html(log, at("2024-11-26"), at("2024-12-10"))
    no_network(html)
    data = page_data(html)
    times = [s["t"] for s in data["steps"]]
    assert times == sorted(times)
    assert "2024-11-27T00:00:00+03:00" in times and "2024-11-30T00:00:00+03:00" in times  # Aleppo's window opens and closes
    aleppo = {s["t"]: s["places"]["aleppo"][:2] for s in data["steps"]}
    assert ["syrian-government", "possible"] == aleppo["2024-11-27T00:00:00+03:00"]
    assert ["hts", "certain"] == aleppo["2024-11-30T00:00:00+03:00"]
    closing = next(s for s in data["steps"] if s["t"] == "2024-11-30T00:00:00+03:00")
    change = next(c for c in closing["changes"] if c.get("place") == "aleppo")
    assert ["aleppo-captured"] == change["events"]
    assert "By Friday, with Aleppo having fallen" == data["events"]["aleppo-captured"]["sources"][0]["quote"]
    assert 'data-place="aleppo"' in html


def test_slider_page_with_a_regular_step(log):
    data = page_data(render_slider_html(log, at("2024-11-26"), at("2024-11-28"), every=parse_step_h(6)))
    assert 9 == len(data["steps"])


def parse_step_h(hours: int):
    from projections.pictures import parse_step

    return parse_step(f"{hours}h")


def test_timeline_page_is_self_contained_with_lanes_per_place_and_person_and_whole_windows(log):
    html = render_timeline_html(log)
    no_network(html)
    data = page_data(html)
    lanes = {lane["id"]: lane for lane in data["lanes"]}
    assert {"aleppo", "hama", "idlib", "damascus", "moscow", "assad"} == set(lanes)
    assert ("place", "person") == (lanes["aleppo"]["kind"], lanes["assad"]["kind"])
    assert ["gov-holds-aleppo", "aleppo-captured"] == lanes["aleppo"]["events"]
    captured = next(e for e in data["events"] if e["id"] == "aleppo-captured")
    assert ("2024-11-27T00:00:00+03:00", "2024-11-30T00:00:00+03:00") == (captured["earliest"], captured["latest"])
    assert ["hts"] == captured["actors"]
    assert {"ControlChanged", "PersonMoved", "PersonFled"} == set(data["types"])


def test_csv_export_has_one_row_per_event_with_bounds_place_coordinates_and_source(log):
    buf = io.BytesIO()
    assert 7 == export(log, "csv", buf)
    rows = list(csv.DictReader(io.StringIO(buf.getvalue().decode())))
    assert list(CSV_COLUMNS) == list(rows[0])
    assert 7 == len(rows)
    row = next(r for r in rows if r["event_id"] == "aleppo-captured")
    assert {
        "chrono_type": "ControlChanged", "valid_earliest_utc": "2024-11-26T21:00:00+00:00", "valid_latest_utc": "2024-11-29T21:00:00+00:00",
        "event_date": "2024-11-27", "time_precision": "2", "actor1": "Hayat Tahrir al-Sham", "location": "Aleppo", "latitude": "36.2021",
        "longitude": "37.1343", "source": "Al Majalla", "source_quote": "By Friday, with Aleppo having fallen",
    } == {k: row[k] for k in ("chrono_type", "valid_earliest_utc", "valid_latest_utc", "event_date", "time_precision", "actor1", "location", "latitude",
                              "longitude", "source", "source_quote")}
    buf = io.BytesIO()
    assert 4 == export(log, "csv", buf, at=at("2024-11-27T12:00"))


def test_geojson_export_has_a_feature_per_place_with_controller_and_status(log):
    buf = io.BytesIO()
    export(log, "geojson", buf, at=at("2024-11-28T12:00"))
    doc = json.loads(buf.getvalue())
    assert "FeatureCollection" == doc["type"]
    by_place = {f["properties"]["place"]: f for f in doc["features"]}
    assert LOCATED | {"somewhere"} == set(by_place)
    aleppo = by_place["aleppo"]
    assert {"type": "Point", "coordinates": [37.1343, 36.2021]} == aleppo["geometry"]
    assert ("syrian-government", "possible", ["syrian-government", "hts"]) == tuple(aleppo["properties"][k] for k in ("controller", "status", "candidates"))
    assert None is by_place["somewhere"]["geometry"]
    assert "hts" == geojson(log, at("2024-12-01"))["features"][0]["properties"]["controller"]  # aleppo sorts first


def test_timelinejs_export_spans_each_window_with_sources(log):
    doc = timelinejs(log)
    assert 7 == len(doc["events"])
    slide = next(e for e in doc["events"] if e["unique_id"] == "aleppo-captured")
    assert {"year": 2024, "month": 11, "day": 27, "display_date": "27 Nov 2024"} == slide["start_date"]
    assert {"year": 2024, "month": 11, "day": 29, "display_date": "29 Nov 2024"} == slide["end_date"]  # the last day, not the first after
    assert "By Friday, with Aleppo having fallen" in slide["text"]["text"]
    assert "group" not in slide
    buf = io.BytesIO()
    assert 7 == export(log, "timelinejs", buf)
    assert doc["events"] == json.loads(buf.getvalue())["events"]


def test_jsonl_export_is_the_whole_log_and_unknown_formats_are_refused(log):
    from chrono.errors import ChronoError

    buf = io.BytesIO()
    assert 18 == export(log, "jsonl", buf)
    assert 18 == len(buf.getvalue().splitlines())
    with pytest.raises(ChronoError):
        export(log, "kml", io.BytesIO())
