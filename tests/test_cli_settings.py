"""`chrono settings` and `init --zone`: a log's settings are entries in the log, shown, set with checks,
and read by everything that reads a zone, a title or an actor's colour. Shown with the Sudan chronology."""

from __future__ import annotations

import json
import sqlite3

import pytest

from chrono import settings
from chrono.store import Log

from .sudan_typed import ZONE, chrono, control, make, ok, refused, state


def settings_json(db) -> dict:
    doc = json.loads(ok(chrono(db, "settings", "--json")).stdout)
    return {s["key"]: s for s in doc["settings"]}


def head(db) -> str:
    return ok(chrono(db, "head")).stdout


def test_init_zone_writes_the_zone_as_the_logs_first_entry_and_settings_shows_it(tmp_path):
    db = tmp_path / "sudan.db"
    make(db, "--zone", ZONE)
    zone = settings_json(db)["zone"]
    assert (ZONE, "entry", 1) == (zone["value"], zone["from"], zone["seq"])
    shown = ok(chrono(db, "log", "--json")).stdout.splitlines()[0]
    assert {"type": "SettingChanged", "event": {"key": "zone", "value": ZONE}} == {k: v for k, v in json.loads(shown).items() if k in ("type", "event")}
    # Naive times are read in it: 01:00 on 18 December in Khartoum is 23:00 UTC the day before.
    assert "2023-12-18T01:00:00+02:00" == state(db, "2023-12-18T01:00")["valid_at"]


def test_settings_set_changes_the_zone_that_times_are_read_and_shown_in(tmp_path):
    db = tmp_path / "sudan.db"
    make(db)  # no zone: UTC
    assert ("UTC", "default") == (settings_json(db)["zone"]["value"], settings_json(db)["zone"]["from"])
    assert "2023-12-18T01:00:00+00:00" == state(db, "2023-12-18T01:00")["valid_at"]
    out = ok(chrono(db, "settings", "set", "zone", ZONE)).stdout
    assert out.startswith(f"zone: {ZONE} (was UTC); entry ")
    assert "2023-12-18T01:00:00+02:00" == state(db, "2023-12-18T01:00")["valid_at"]
    # The Hantoub capture at 00:30 local on 1 December is filed under that day, as the source says.
    days = json.loads(ok(chrono(db, "timeline", "--json")).stdout)["days"]
    assert "2023-12-01" == next(d["day"] for d in days if any(e["event"] == "rsf-at-hantoub" for e in d["events"]))


def test_settings_set_the_same_value_again_writes_nothing(tmp_path):
    db = tmp_path / "sudan.db"
    make(db, "--zone", ZONE)
    before = head(db)
    assert f"zone is already {ZONE}; nothing written\n" == ok(chrono(db, "settings", "set", "zone", ZONE)).stdout
    assert "colour.rsf is not set; nothing written\n" == ok(chrono(db, "settings", "unset", "colour.rsf")).stdout
    assert before == head(db)


@pytest.mark.parametrize(("key", "value", "says"), [
    ("zone", "Mars/Olympus_Mons", "setting zone: unknown time zone 'Mars/Olympus_Mons'"),
    ("require-source", "maybe", "setting require-source: takes yes or no"),
    ("colour.rsf", "red", "setting colour.rsf: takes a colour as #RRGGBB"),
    ("title", "  ", "setting title: needs some text"),
    ("zoen", "UTC", "no setting 'zoen'; the settings are zone, title, description, require-source, colour.ACTOR"),
])
def test_settings_set_refuses_a_value_the_key_does_not_take_in_one_line_and_writes_nothing(tmp_path, key, value, says):
    db = tmp_path / "sudan.db"
    make(db, "--zone", ZONE)
    before = head(db)
    assert refused(chrono(db, "settings", "set", key, value)).startswith(f"Error: {says}")
    assert before == head(db)


def test_settings_set_dry_run_shows_the_entry_and_writes_nothing(tmp_path):
    db = tmp_path / "sudan.db"
    make(db, "--zone", ZONE)
    before = head(db)
    result = ok(chrono(db, "settings", "set", "require-source", "YES", "--dry-run"))
    assert {"type": "SettingChanged", "event": {"key": "require-source", "value": "yes"}} == json.loads(result.stdout)
    assert "would set require-source to yes (was no); nothing written (--dry-run)" in result.stderr
    assert before == head(db)
    doc = json.loads(ok(chrono(db, "settings", "set", "require-source", "yes", "--dry-run", "--json")).stdout)
    assert (False, None, "yes", "no") == (doc["written"], doc["entry"], doc["value"], doc["previous"])
    assert before == head(db)


def test_settings_set_json_says_what_was_written(tmp_path):
    db = tmp_path / "sudan.db"
    make(db, "--zone", ZONE)
    doc = json.loads(ok(chrono(db, "settings", "set", "title", "Wad Madani, December 2023", "--json")).stdout)
    assert (True, "title", "Wad Madani, December 2023", None) == (doc["written"], doc["key"], doc["value"], doc["previous"])
    assert head(db).split()[:2] == [str(doc["entry"]["seq"]), doc["entry"]["hash"]]
    assert doc["log"]["head"]["seq"] == doc["entry"]["seq"]


def test_the_latest_setting_of_a_key_holds_and_unset_goes_back_to_the_default(tmp_path):
    db = tmp_path / "sudan.db"
    make(db, "--zone", ZONE)
    ok(chrono(db, "settings", "set", "require-source", "yes"))
    ok(chrono(db, "settings", "set", "title", "Wad Madani"))
    ok(chrono(db, "settings", "set", "title", "Wad Madani, December 2023"))
    with Log.open(str(db)) as log:
        assert ("yes", "Wad Madani, December 2023") == (settings.setting(log, "require-source"), settings.setting(log, "title"))
    ok(chrono(db, "settings", "unset", "require-source"))
    got = settings_json(db)
    assert ("no", "default") == (got["require-source"]["value"], got["require-source"]["from"])
    assert "Wad Madani, December 2023" == got["title"]["value"]
    table = ok(chrono(db, "settings")).stdout
    assert "title           Wad Madani, December 2023" in table and "require-source  no" in table


def test_an_actor_colour_is_set_by_name_or_alias_and_read_by_actor_colours(tmp_path):
    db = tmp_path / "sudan.db"
    make(db, "--zone", ZONE)
    ok(chrono(db, "settings", "set", "colour.RSF", "#AA00FF"))  # the alias names the actor; the colour is kept as #rrggbb
    with Log.open(str(db)) as log:
        assert {"rsf": "#aa00ff"} == settings.actor_colours(log)
    assert "#aa00ff" == settings_json(db)["colour.rsf"]["value"]
    ok(chrono(db, "settings", "unset", "colour.rsf"))
    with Log.open(str(db)) as log:
        assert {} == settings.actor_colours(log)


def test_the_pictures_draw_an_actor_in_the_colour_the_log_sets_and_the_others_in_the_palettes(tmp_path):
    from projections.pictures import actor_colors

    db = tmp_path / "sudan.db"
    make(db, "--zone", ZONE)
    chosen = "#0a0b0c"

    def drawn() -> str:
        ok(chrono(db, "map", "--at", "2023-12-10", "--out", tmp_path / "map.svg"))  # the SAF holds Wad Madani, the RSF Hantoub
        return (tmp_path / "map.svg").read_text()

    before = drawn()
    assert chosen not in before and actor_colors({"saf", "rsf"})["rsf"] in before
    ok(chrono(db, "settings", "set", "colour.rsf", chosen))
    after = drawn()
    assert chosen in after and actor_colors({"saf", "rsf"}, chosen={"rsf": chosen})["saf"] in after
    ok(chrono(db, "timeline", "--html", tmp_path / "timeline.html"))
    assert f'"color":"{chosen}"' in (tmp_path / "timeline.html").read_text().replace(" ", "")


def test_the_palette_gives_no_other_actor_a_colour_the_log_chose():
    from projections.pictures import actor_colors

    free = actor_colors({"saf", "rsf"})
    both = actor_colors({"saf", "rsf"}, chosen={"rsf": free["saf"]})
    assert free["saf"] == both["rsf"] and both["saf"] != both["rsf"]


def test_a_title_names_the_timeline_page(tmp_path):
    db = tmp_path / "sudan.db"
    make(db, "--zone", ZONE)
    ok(chrono(db, "settings", "set", "title", "Wad Madani, December 2023"))
    ok(chrono(db, "timeline", "--html", tmp_path / "timeline.html"))
    assert "<h1>Timeline of Wad Madani, December 2023</h1>" in (tmp_path / "timeline.html").read_text()


def test_a_log_written_before_settings_reads_its_zone_from_its_metadata(tmp_path):
    db = tmp_path / "old.db"
    Log.create(str(db), zone=ZONE).close()  # the zone in the log's own metadata, as every log before settings kept it
    conn = sqlite3.connect(db)
    conn.execute("DROP INDEX events_settings")  # (nor had it this index)
    conn.close()
    ok(chrono(db, "append", "--json", "-", "--new-entity", "wad-madani", "--new-entity", "rsf", input=json.dumps({"type": "ControlChanged", "event": {"place": "wad-madani", "controller": "rsf"},
                                                               "valid": "2023-12-18"})))
    zone = settings_json(db)["zone"]
    assert (ZONE, "meta", None) == (zone["value"], zone["from"], zone["event"])
    assert "2023-12-18T01:00:00+02:00" == state(db, "2023-12-18T01:00")["valid_at"]
    assert "rsf" == control(state(db, "2023-12-19"), "wad-madani")["controller"]


def test_init_chronicle_records_the_chronicles_zone_and_title(tmp_path):
    from chrono.chronicles import chronicle

    db = tmp_path / "syria.db"
    ok(chrono(db, "init", "--chronicle", "syria-2024"))
    got = settings_json(db)
    c = chronicle("syria-2024")
    assert (c.zone, c.title) == (got["zone"]["value"], got["title"]["value"])
    assert ("entry", "entry") == (got["zone"]["from"], got["title"]["from"])


@pytest.mark.parametrize("command", [["retract", "{id}", "--reason", "r"], ["correct", "{id}", "--value", "UTC", "--reason", "r"]])
def test_a_setting_is_changed_by_setting_it_again_not_by_a_correction(tmp_path, command):
    db = tmp_path / "sudan.db"
    make(db, "--zone", ZONE)
    setting_id = settings_json(db)["zone"]["event"]
    before = head(db)
    assert "is a setting; to change it, set it again (`chrono settings set`)" in refused(chrono(db, *[a.format(id=setting_id) for a in command]))
    assert before == head(db)


def test_a_setting_has_no_valid_time_and_is_checked_on_every_way_in(tmp_path):
    db = tmp_path / "sudan.db"
    make(db, "--zone", ZONE)
    before = head(db)
    timed = {"type": "SettingChanged", "event": {"key": "title", "value": "x"}, "valid": "2023-12-18"}
    assert "a setting holds for the whole log: it has no valid time" in refused(chrono(db, "append", "--json", "-", input=json.dumps(timed)))
    bad = {"type": "SettingChanged", "event": {"key": "zone", "value": "Mars/Base"}}
    assert "setting zone: unknown time zone 'Mars/Base'" in refused(chrono(db, "append", "--json", "-", input=json.dumps(bad)))
    (tmp_path / "bad.jsonl").write_text(json.dumps(bad) + "\n")
    assert "line 1: setting zone: unknown time zone" in refused(chrono(db, "import", tmp_path / "bad.jsonl"))
    assert before == head(db)


def test_settings_are_found_by_an_index_of_their_own(tmp_path):
    db = tmp_path / "sudan.db"
    make(db, "--zone", ZONE)
    with Log.open(str(db)) as log:
        from chrono.store import _SETTINGS_ROWS

        plan = " ".join(str(r) for r in log.conn.execute(f"EXPLAIN QUERY PLAN SELECT seq FROM events WHERE {_SETTINGS_ROWS} ORDER BY seq"))
        assert "events_settings" in plan
        assert [e.seq for e in log.entries() if e.type_name == "SettingChanged"] == [e.seq for e in log.settings_entries()]


@pytest.mark.parametrize("command", [["settings"], ["settings", "set"], ["settings", "unset"]])
def test_settings_help_explains_with_examples(command):
    from click.testing import CliRunner

    import cli

    out = ok(CliRunner().invoke(cli.main, [*command, "--help"])).output
    assert "Example" in out
    if command == ["settings"]:
        for key in (*settings.KEYS, settings.COLOUR_KEY.name):
            assert key in out
