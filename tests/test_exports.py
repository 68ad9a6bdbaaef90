"""Exports through the CLI, on a log of Sudan and on the bundled chronicle: CSV with ACLED's column names
and codes beside Chrono's own, every time in one offset; TimelineJS with inclusive end dates, a
display_date on both ends, groups a reader uses and the chronicle's own span."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta

import pytest
from click.testing import CliRunner

from cli import main
from projections.pictures import CSV_COLUMNS, MAX_GROUPS

from . import sudan
from .logs import bundled, chrono, either, sudan_db  # noqa: F401  (fixtures)

ACLED = ("event_date", "year", "time_precision", "actor1", "actor2", "country", "admin1", "location", "latitude", "longitude",
         "geo_precision", "source", "notes", "timestamp")
UTC_COLUMNS = ("valid_earliest_utc", "valid_latest_utc", "recorded_utc")


def csv_of(*db: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(chrono(*db, "export", "--format", "csv"), newline="")))


def recorded(db: str, event_id: str) -> datetime:
    entries = [json.loads(line) for line in chrono("--db", db, "log", "--json").splitlines()]
    return datetime.fromisoformat(next(e["recorded"] for e in entries if e["id"] == event_id))


def test_csv_export_has_acleds_columns_first_then_chronos(sudan_db):  # noqa: F811
    header = next(csv.reader(io.StringIO(chrono("--db", sudan_db, "export", "--format", "csv"))))
    assert list(CSV_COLUMNS) == header
    assert ACLED == tuple(header[: len(ACLED)])
    assert {"event_id", "chrono_type", "fact_or_claim", "valid_earliest_utc", "valid_latest_utc"} <= set(header[len(ACLED):])
    assert "event_type" not in header  # ACLED's event_type is its own typology, not Chrono's types


def test_csv_export_says_what_acled_says_where_the_meaning_is_the_same(sudan_db):  # noqa: F811
    rows = {r["event_id"]: r for r in csv_of("--db", sudan_db)}
    assert set(sudan.STANDING) == set(rows)  # as known now: the retracted report is gone
    madani = rows["rsf-takes-madani"]  # corrected to "by Tuesday": 18 or 19 December
    assert {
        "event_date": "2023-12-18", "year": "2023", "time_precision": "2", "actor1": "Rapid Support Forces", "actor2": "",
        "country": "Sudan", "admin1": "Gezira State", "location": "Wad Madani", "latitude": "14.4012", "longitude": "33.5199",
        "geo_precision": "1", "source": "Radio Dabanga", "notes": "Rapid Support Forces captured Wad Madani",
        "timestamp": str(int(recorded(sudan_db, "madani-redated").timestamp())),  # when the log learned what it now says
        "fact_or_claim": "fact", "valid_earliest_utc": "2023-12-17T22:00:00+00:00", "valid_latest_utc": "2023-12-19T22:00:00+00:00",
        "corrected_by": "madani-redated",
    } == {k: madani[k] for k in (*ACLED, "fact_or_claim", "valid_earliest_utc", "valid_latest_utc", "corrected_by")}
    assert ("1", "claim") == (rows["saf-denies"]["time_precision"], rows["saf-denies"]["fact_or_claim"])  # two hours of one day; said, not done
    assert ("3", "Saudi Arabia", "") == (rows["jeddah-talks"]["time_precision"], rows["jeddah-talks"]["country"], rows["jeddah-talks"]["admin1"])
    assert ("", "", "") == tuple(rows["saf-holds-madani"][k] for k in ("event_date", "time_precision", "valid_earliest_utc"))  # an open start
    assert ("Sudanese Armed Forces", "Rapid Support Forces") == (rows["war-begins"]["actor1"], rows["war-begins"]["actor2"])


def test_csv_export_times_parse_in_one_offset(either):  # noqa: F811
    rows = csv_of(*either)
    assert len(rows) > 10
    for row in rows:
        for column in UTC_COLUMNS:
            if row[column]:
                assert timedelta(0) == datetime.fromisoformat(row[column]).utcoffset(), (column, row[column])
        if row["event_date"]:
            assert int(row["year"]) == date.fromisoformat(row["event_date"]).year
        assert int(datetime.fromisoformat(row["recorded_utc"]).timestamp()) == int(row["timestamp"])  # ACLED's: seconds since 1970
        assert row["time_precision"] in ("", "1", "2", "3") and row["geo_precision"] in ("", "1", "2", "3")
    assert all(r["recorded_utc"] for r in rows) and any(r["valid_latest_utc"] for r in rows)


def timeline_of(*args: str) -> dict:
    return json.loads(chrono(*args))


def test_timelinejs_export_gives_inclusive_ends_with_display_dates(sudan_db):  # noqa: F811
    doc = timeline_of("--db", sudan_db, "export", "--format", "timelinejs", "--span", "all")
    slides = {e["unique_id"]: e for e in doc["events"]}
    madani = slides["rsf-takes-madani"]
    assert ({"year": 2023, "month": 12, "day": 18, "display_date": "18 Dec 2023"}, {"year": 2023, "month": 12, "day": 19, "display_date": "19 Dec 2023"}) == (
        madani["start_date"], madani["end_date"])
    assert ({"year": 2023, "month": 5, "display_date": "May 2023"}, None) == (slides["jeddah-talks"]["start_date"], slides["jeddah-talks"].get("end_date"))
    assert "15 Apr 2023" == slides["war-begins"]["start_date"]["display_date"] and "end_date" not in slides["war-begins"]
    denial = slides["saf-denies"]
    assert ("19 Dec 2023 10:00", "19 Dec 2023 12:00") == (denial["start_date"]["display_date"], denial["end_date"]["display_date"])
    assert "from an open start to 15 Dec 2023" == slides["saf-holds-madani"]["start_date"]["display_date"]
    assert all("display_date" in d for e in doc["events"] for d in (e["start_date"], e.get("end_date") or {"display_date": ""}))


def test_timelinejs_export_opens_on_the_chronicles_own_span(sudan_db):  # noqa: F811
    doc = timeline_of("--db", sudan_db, "export", "--format", "timelinejs")
    ids = {e["unique_id"] for e in doc["events"]}
    assert not ids & {"war-begins", "jeddah-talks"}  # months before the story: listed on the title slide instead
    assert "Fighting breaks out in Khartoum" in doc["title"]["text"]["text"] and "May 2023" in doc["title"]["text"]["text"]
    assert set(sudan.STANDING) - {"war-begins", "jeddah-talks"} == ids
    assert set(sudan.STANDING) == {e["unique_id"] for e in timeline_of("--db", sudan_db, "export", "--format", "timelinejs", "--span", "all")["events"]}


def test_timelinejs_export_of_the_bundled_chronicle_leaves_its_background_on_the_title_slide(bundled):  # noqa: F811
    doc = timeline_of("export", "--format", "timelinejs")
    years = {e["start_date"]["year"] for e in doc["events"]}
    assert {2024} == years
    assert "2016" in doc["title"]["text"]["text"] and "2017" in doc["title"]["text"]["text"]


@pytest.mark.parametrize("by", ["place", "actor"])
def test_timelinejs_export_groups_by_place_or_actor_in_few_rows(sudan_db, by):  # noqa: F811
    doc = timeline_of("--db", sudan_db, "export", "--format", "timelinejs", "--group", by)
    groups = {e["group"] for e in doc["events"]}
    assert 1 < len(groups) <= MAX_GROUPS
    names = {"place": {"Wad Madani", "Khartoum", "Port Sudan"}, "actor": {"Sudanese Armed Forces", "Rapid Support Forces"}}[by]
    assert names & groups
    madani = next(e for e in doc["events"] if e["unique_id"] == "rsf-takes-madani")
    assert {"place": "Wad Madani", "actor": "Rapid Support Forces"}[by] == madani["group"]
    assert all("group" not in e for e in timeline_of("--db", sudan_db, "export", "--format", "timelinejs")["events"])


def test_export_options_for_timelinejs_are_refused_elsewhere(sudan_db):  # noqa: F811
    runner = CliRunner()
    assert 2 == runner.invoke(main, ["--db", sudan_db, "export", "--format", "csv", "--group", "place"]).exit_code
    assert 2 == runner.invoke(main, ["--db", sudan_db, "export", "--format", "timelinejs", "--group", "type"]).exit_code
    assert 2 == runner.invoke(main, ["--db", sudan_db, "export", "--format", "timelinejs", "--span", "most"]).exit_code
