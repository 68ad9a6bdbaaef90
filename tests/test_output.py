"""What every command prints, for people and for scripts: lines that fit the terminal, colours that tell
actors apart, files whose names say what they hold, Ctrl-C, one naming for time ranges, errors that name
the accepted forms, and JSON. Shown with a small chronology of the war in Sudan (the fall of Wad Madani,
December 2023), kept as a user keeps one, and with the bundled chronicle."""

from __future__ import annotations

import gc
import json
import re
import shutil
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

import cli
from chrono.clock import FixedClock
from projections.colors import MORE, SAFE, actor_colors

ZONE = "Africa/Khartoum"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # the log's first entry is recorded then, the next a minute apart
NOW = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)  # when the tests read it
DABANGA = {"outlet": "Radio Dabanga", "attribution": "residents of Wad Madani", "quote": "the army still held the city"}
TRIBUNE = {"outlet": "Sudan Tribune", "quote": "the Rapid Support Forces entered Wad Madani on Monday after the army pulled out of its headquarters"}

SUDAN = [
    {"id": "d-wad-madani", "type": "PlaceDescribed", "event": {"place": "wad-madani", "name": "Wad Madani", "kind": "city", "lat": 14.4012, "lon": 33.5199, "aliases": ["Madani"]}},
    {"id": "d-hantoub", "type": "PlaceDescribed", "event": {"place": "hantoub", "name": "Hantoub", "kind": "town", "lat": 14.42, "lon": 33.55}},
    {"id": "d-rufaa", "type": "PlaceDescribed", "event": {"place": "rufaa", "name": "Rufaa", "kind": "town", "lat": 14.7669, "lon": 33.3628}},
    {"id": "d-port-sudan", "type": "PlaceDescribed", "event": {"place": "port-sudan", "name": "Port Sudan", "kind": "city", "lat": 19.6158, "lon": 37.2164}},
    {"id": "d-saf", "type": "ActorDescribed", "event": {"actor": "saf", "name": "Sudanese Armed Forces", "kind": "state", "aliases": ["SAF"]}},
    {"id": "d-rsf", "type": "ActorDescribed", "event": {"actor": "rsf", "name": "Rapid Support Forces", "kind": "militia", "aliases": ["RSF"]}},
    {"id": "d-burhan", "type": "PersonDescribed", "event": {"person": "burhan", "name": "Abdel Fattah al-Burhan", "affiliation": "saf"}},
    {"id": "d-hemedti", "type": "PersonDescribed", "event": {"person": "hemedti", "name": "Mohamed Hamdan Dagalo", "aliases": ["Hemedti"], "affiliation": "rsf"}},
    {"id": "saf-holds-madani", "type": "ControlObserved", "event": {"place": "wad-madani", "controller": "saf"},
     "valid": {"literal": "../2023-12-15", "wording": "before the Rapid Support Forces crossed the Blue Nile at Hantoub and advanced on the city"},
     "sources": [DABANGA]},
    {"id": "saf-holds-rufaa", "type": "ControlObserved", "event": {"place": "rufaa", "controller": "saf"}, "valid": "../2023-12-15", "sources": [DABANGA]},
    {"id": "rsf-takes-hantoub", "type": "ControlChanged", "event": {"place": "hantoub", "controller": "rsf", "previous": "saf", "how": "captured"},
     "valid": {"literal": "2023-12-15/2023-12-17", "wording": "in the days before the fall of the city, as the paramilitaries pressed on along the eastern bank"},
     "sources": [TRIBUNE]},
    {"id": "rsf-enters-madani", "type": "ControlChanged", "event": {"place": "wad-madani", "controller": "rsf", "previous": "saf", "how": "captured"},
     "valid": {"literal": "2023-12-18", "wording": "on Monday"}, "sources": [TRIBUNE]},
    {"id": "saf-withdraws", "type": "ForcesWithdrew", "event": {"actor": "saf", "from_place": "wad-madani"},
     "valid": {"literal": "2023-12-18/2023-12-19", "wording": "overnight, from the First Infantry Division's headquarters"}, "sources": [TRIBUNE]},
    {"id": "saf-holds-port-sudan", "type": "ControlObserved", "event": {"place": "port-sudan", "controller": "saf"},
     "valid": {"literal": "2023-12", "wording": "throughout December, as the seat of the army-led government"}, "sources": [DABANGA]},
    {"id": "burhan-in-port-sudan", "type": "PersonLocated", "event": {"person": "burhan", "place": "port-sudan"}, "valid": "2023-12", "sources": [DABANGA]},
    {"id": "hemedti-claims-madani", "type": "StatementIssued", "event": {"speaker": "hemedti", "kind": "claim", "about": ["wad-madani"],
     "text": "Our forces have liberated Wad Madani and will protect its people and the displaced who sheltered there since April"},
     "valid": "2023-12-19", "sources": [TRIBUNE]},
    {"id": "saf-denies-withdrawal", "type": "StatementIssued", "event": {"speaker": "saf", "kind": "denial", "about": ["wad-madani"],
     "text": "The army did not abandon Wad Madani; units repositioned and an investigation into the withdrawal has been opened"},
     "valid": "2023-12-19T20:00", "sources": [DABANGA]},
    {"id": "rsf-takes-rufaa", "type": "ControlChanged", "event": {"place": "rufaa", "controller": "rsf", "previous": "saf", "how": "entered"},
     "valid": "2023-12-20~", "sources": [DABANGA]},
    {"id": "rufaa-again", "type": "ControlChanged", "event": {"place": "rufaa", "controller": "rsf", "how": "entered"}, "valid": "2023-12-20", "sources": [DABANGA]},
]


def run(db, *args, env=None, color=False, input=None, clk=None):
    """A command as a user types it, on the log `db` (None: no --db), at NOW unless `clk` says otherwise."""
    argv = ["--db", str(db), *args] if db is not None else list(args)
    return CliRunner().invoke(cli.main, argv, obj=cli.Env(clock=clk or FixedClock(NOW)), env=env, color=color, input=input)


def ok(result):
    assert result.exception is None, result.output
    assert 0 == result.exit_code, result.output
    return result


@pytest.fixture(scope="module")
def sudan_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("sudan") / "sudan.db"
    clk = FixedClock(T0, step=timedelta(minutes=1))
    ok(run(path, "init", "--zone", ZONE, clk=clk))
    ok(run(path, "append", "--json", "-", input="\n".join(json.dumps(x) for x in SUDAN), clk=clk))
    ok(run(path, "correct", "rsf-enters-madani", "--valid", "2023-12-18T14:00/2023-12-19T02:00",
           "--wording", "on Monday afternoon, hours after the army left", "--reason", "the afternoon, as the second report times it", clk=clk))
    ok(run(path, "retract", "rufaa-again", "--reason", "a duplicate of rsf-takes-rufaa", clk=clk))
    gc.collect()  # closing the commands' connections checkpoints the WAL: the file holds the whole log
    return path


@pytest.fixture
def sudan(sudan_template, tmp_path):
    """The Sudan log, a copy of its own for each test."""
    path = tmp_path / "sudan.db"
    shutil.copy(sudan_template, path)
    return path


# --- 1. lines fit the terminal ---------------------------------------------------------------------------

WIDTH = 64
# Every command's report for people: prose (folded, never cut) or with a table (whose cells are cut to fit).
PROSE = [["types"], ["types", "ControlChanged"], ["history", "wad-madani"], ["history", "saf", "--mentions"], ["show", "rsf-enters-madani"],
         ["timeline"], ["diff", "--from", "2023-12-14", "--to", "2023-12-21"], ["check"], ["verify"]]
TABLES = [["state", "--at", "2023-12-18T12:00"], ["log"], ["entities"], ["sources"], ["replay"],
          ["diff", "--at", "2023-12-18T20:00", "--as-of", "2026-01-05T09:01Z"], ["search", "Madani OR RSF"]]


def narrow(db, args: list[str]) -> str:
    out = ok(run(db, *args, env={"COLUMNS": str(WIDTH)})).stdout
    assert [] == [ln for ln in out.splitlines() if len(ln) > WIDTH and " " in ln.strip()]  # (a single word stays whole)
    return out


@pytest.mark.parametrize("args", TABLES, ids=" ".join)
def test_every_line_of_a_report_with_tables_fits_the_terminal(sudan, args):
    narrow(sudan, args)


@pytest.mark.parametrize("args", PROSE, ids=" ".join)
def test_prose_folds_to_the_terminal_without_losing_a_word(sudan, args):
    assert ok(run(sudan, *args)).stdout.split() == narrow(sudan, args).split()


@pytest.mark.parametrize("args", [["timeline", "--from", "2024-12-07", "--to", "2024-12-08"], ["history", "aleppo"], ["types"]], ids=" ".join)
def test_the_bundled_chronicle_fits_the_terminal_too(args):
    out = ok(CliRunner().invoke(cli.main, args, env={"COLUMNS": "80"})).stdout
    assert [] == [ln for ln in out.splitlines() if len(ln) > 80 and " " in ln.strip()]


def test_a_pipe_takes_every_line_whole(sudan):
    out = ok(run(sudan, "timeline")).stdout
    assert any(len(ln) > WIDTH for ln in out.splitlines())


# --- 2. colours that tell actors apart -------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def map_colours(path) -> tuple[dict[str, str], dict[str, str]]:
    """The fill of each place's marker, and of each actor's swatch in the key."""
    root = ET.parse(path).getroot()
    places = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "place" and g.get("data-controller") and g.get("data-status") == "certain":
            places[g.get("data-place")] = g.get("data-color")
    key = {g.get("data-actor"): g.find(f"{SVG}circle").get("fill") for g in root.iter(f"{SVG}g") if g.get("class") == "legend-actor"}
    return places, key


def test_a_map_gives_saf_and_rsf_distinct_colour_blind_safe_colours(sudan, tmp_path):
    out = tmp_path / "madani.svg"
    ok(run(sudan, "map", "--at", "2023-12-19T12:00", "--out", str(out)))
    places, key = map_colours(out)
    assert {"saf", "rsf"} == set(key)
    assert key["saf"] != key["rsf"] and {key["saf"], key["rsf"]} <= set(SAFE)
    assert (key["saf"], key["rsf"], key["rsf"]) == (places["port-sudan"], places["hantoub"], places["wad-madani"])


def test_every_actor_in_the_key_of_a_bundled_chronicle_map_has_its_own_colour_blind_safe_colour(tmp_path):
    out = tmp_path / "fall.svg"
    ok(CliRunner().invoke(cli.main, ["map", "--at", "2024-12-07T21:30", "--out", str(out)]))
    places, key = map_colours(out)
    assert {"hts", "syrian-government", "russia", "sdf"} <= set(key)
    assert len(key) == len(set(key.values())) and set(key.values()) <= set(SAFE)
    assert (key["hts"], key["russia"], key["sdf"]) == (places["aleppo"], places["hmeimim-airbase"], places["al-bukamal-crossing"])


def test_a_table_gives_actors_shown_together_distinct_colours():
    args = ["state", "--at", "2024-12-07T21:30"]
    doc = json.loads(ok(CliRunner().invoke(cli.main, [*args, "--json"])).stdout)
    held = {c["name"]: c["controller"] for c in doc["control"] if c["status"] == "certain" and not c["contested_with"]}
    lines = ok(CliRunner().invoke(cli.main, args, color=True)).stdout.splitlines()
    codes: dict[str, set[str]] = {}
    for name, actor in held.items():
        line = next(ln for ln in lines if ln.startswith(f"{name} "))
        codes.setdefault(actor, set()).add(re.search(r"\x1b\[[\d;]*m", line).group())
    assert {"hts", "syrian-government", "russia", "sdf"} <= set(codes)
    assert all(1 == len(c) for c in codes.values())  # an actor's colour is the same in every row
    assert len(codes) == len(set().union(*codes.values()))  # and no other actor's
    assert click_yellow not in set().union(*codes.values())  # (yellow says "possible")


click_yellow = "\x1b[33m"


def test_colours_chosen_for_actors_win_and_the_rest_keep_clear_of_them():
    chosen = {"saf": SAFE[0].upper(), "rsf": "#000000"}
    colours = actor_colors({"saf", "rsf", "gezira-militia", "hemedti-guard"}, chosen=chosen)
    assert (SAFE[0].upper(), "#000000") == (colours["saf"], colours["rsf"])
    assert SAFE[0] not in {colours["gezira-militia"], colours["hemedti-guard"]}
    assert colours["gezira-militia"] != colours["hemedti-guard"]


def test_holders_take_the_safe_colours_before_anyone_else():
    others = {f"outlet-{i}" for i in range(30)}
    holders = {"saf", "rsf", "gezira-militia", "sudan-shield", "jem", "slm", "splm-n", "tamazuj", "popular-resistance"}
    colours = actor_colors(others | holders, first=holders)
    assert set(SAFE) == {colours[a] for a in holders}
    assert set(MORE) <= {colours[a] for a in others}  # then the larger palette, then colours repeat


def test_a_picture_takes_a_colour_chosen_for_an_actor(sudan):
    from chrono.store import Log
    from projections.pictures._model import scene

    with Log.open(str(sudan), readonly=True) as log:
        colours = scene(log, colors={"rsf": "#123456"}).colors
    assert "#123456" == colours["rsf"] and colours["saf"] in SAFE


# --- 3. files whose names say what they hold ------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["map", "--at", "2023-12-19T12:00", "--out", "madani.png"],
    ["map", "--at", "2023-12-19T12:00", "--out", "madani.html"],
    ["map", "--from", "2023-12-14", "--to", "2023-12-21", "--out", "madani.svg"],
    ["timeline", "--html", "timeline.svg"],
    ["export", "--format", "csv", "--out", "events.png"],
    ["export", "--format", "geojson", "--at", "2023-12-19", "--out", "events.csv"],
    ["export", "--out", "events.json"],  # GeoJSON or TimelineJS?
], ids=" ".join)
def test_a_file_whose_suffix_is_not_the_format_is_refused_and_not_written(sudan, tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    r = run(sudan, *args)
    assert 2 == r.exit_code, r.output
    message = r.stderr.strip().splitlines()[-1]
    assert message.startswith("Error: Invalid value for --") and "the formats: " in message
    assert [] == [p.name for p in tmp_path.iterdir() if not p.name.startswith("sudan.db")]


def test_the_formats_are_named_in_the_refusal(sudan, tmp_path):
    r = run(sudan, "map", "--at", "2023-12-19T12:00", "--out", str(tmp_path / "madani.png"))
    assert "svg (.svg); html (.html, .htm)" in r.stderr
    r = run(sudan, "export", "--out", str(tmp_path / "events.png"))
    assert "jsonl (.jsonl, .ndjson); csv (.csv); geojson (.geojson, .json); timelinejs (.json)" in r.stderr


@pytest.mark.parametrize("name, first", [("events.csv", "event_date,"), ("state.geojson", '{\n  "type": "FeatureCollection"'),
                                         ("backup.jsonl", '{"seq":1,'), ("backup", '{"seq":1,')])
def test_the_export_format_follows_the_suffix(sudan, tmp_path, name, first):
    out = tmp_path / name
    ok(run(sudan, "export", "--out", str(out), *(["--at", "2023-12-19"] if name.endswith(".geojson") else [])))
    assert out.read_text().startswith(first)


def test_a_format_named_with_its_own_suffix_is_written(sudan, tmp_path):
    out = tmp_path / "timeline.json"
    ok(run(sudan, "export", "--format", "timelinejs", "--out", str(out)))
    assert "events" in json.loads(out.read_text())


# --- 4. Ctrl-C ----------------------------------------------------------------------------------------------

# Arguments each command accepts, to reach the point where it runs.
RUNNABLE = {
    "init": ["init"], "append": ["append", "CallMade"], "correct": ["correct", "x", "--reason", "r"],
    "retract": ["retract", "x", "--reason", "r"], "import": ["import", "-"], "state": ["state", "--at", "2023-12-19"],
    "log": ["log"], "entities": ["entities"], "types": ["types"], "replay": ["replay"], "verify": ["verify"], "head": ["head"],
    "export": ["export"], "history": ["history", "saf"], "show": ["show", "x"], "diff": ["diff"], "timeline": ["timeline"],
    "sources": ["sources"], "check": ["check"], "map": ["map", "--at", "2023-12-19", "--out", "m.svg"], "search": ["search", "Madani"],
    "follow": ["follow", "--count", "1"], "settings": ["settings"],
}


def test_every_command_is_tried_here():
    assert set(cli.app.COMMANDS) == set(RUNNABLE)


@pytest.mark.parametrize("name", sorted(RUNNABLE))
def test_ctrl_c_in_any_command_exits_130_with_one_line_and_no_traceback(sudan, monkeypatch, name):
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.main.get_command(None, name), "callback", interrupted)
    r = run(sudan, *RUNNABLE[name])
    assert (130, "Error: interrupted") == (r.exit_code, r.output.strip()), r.output


def _interrupt(argv: list[str], *, ready, **popen):
    """Run `python -m cli ARGV`, send it SIGINT once `ready(process)` says it is at work, and return
    its exit code and stderr."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    p = subprocess.Popen([sys.executable, "-m", "cli", *argv], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)
    try:
        deadline = time.monotonic() + 120
        while not ready(p):
            assert p.poll() is None and time.monotonic() < deadline, p.stderr.read().decode()
            time.sleep(0.01)
        p.send_signal(signal.SIGINT)
        _out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    return p.returncode, err.decode()


def test_ctrl_c_while_a_read_command_writes_exits_130_without_a_traceback():
    # `log --json` of the bundled chronicle is more than a pipe holds: it waits, mid-output, for a reader.
    code, err = _interrupt(["log", "--json"], ready=lambda p: p.stderr.readline().startswith(b"from "))
    assert (130, {"error": "interrupted", "code": 130}) == (code, json.loads(err)), err  # (as JSON, as asked)


@pytest.mark.skipif(not __import__("os").path.isdir("/proc/self/fd"), reason="needs /proc to see the log open")
def test_ctrl_c_while_a_write_command_waits_for_input_exits_130_and_leaves_the_log_as_it_was(sudan):
    import os
    import subprocess

    head = ok(run(sudan, "head")).stdout

    def opened_the_log(p) -> bool:  # then it reads stdin, which stays open and empty
        try:
            return any(os.path.realpath(f"/proc/{p.pid}/fd/{fd}") == str(sudan) for fd in os.listdir(f"/proc/{p.pid}/fd"))
        except OSError:
            return False

    code, err = _interrupt(["--db", str(sudan), "append", "--json", "-"], ready=opened_the_log, stdin=subprocess.PIPE)
    assert (130, "Error: interrupted") == (code, err.strip()), err
    assert head == ok(run(sudan, "head")).stdout


# --- 5. one name for a range of time ------------------------------------------------------------------------


def test_log_takes_from_and_to_as_timeline_does(sudan):
    ids = lambda r: [json.loads(line)["id"] for line in ok(r).stdout.splitlines()]  # noqa: E731
    on_monday = ids(run(sudan, "log", "--json", "--from", "2023-12-18", "--to", "2023-12-18"))
    assert {"saf-holds-port-sudan", "burhan-in-port-sudan", "saf-withdraws", "rsf-enters-madani"} <= set(on_monday)
    assert not {"saf-holds-madani", "rsf-takes-hantoub", "rsf-takes-rufaa"} & set(on_monday)
    timeline = json.loads(ok(run(sudan, "timeline", "--json", "--from", "2023-12-18", "--to", "2023-12-18")).stdout)
    assert {e["event"] for d in timeline["days"] for e in d["events"]} <= set(on_monday)


def test_log_still_takes_since_and_until_but_no_help_names_them(sudan):
    new = ok(run(sudan, "log", "--from", "2023-12-18", "--to", "2023-12-19")).stdout
    assert new == ok(run(sudan, "log", "--since", "2023-12-18", "--until", "2023-12-19")).stdout
    for name in cli.app.COMMANDS:
        text = ok(CliRunner().invoke(cli.main, [name, "--help"])).stdout
        assert "--since" not in text and "--until" not in text, name
    assert "--from TIME" in ok(CliRunner().invoke(cli.main, ["log", "--help"])).stdout


# --- 6. errors that name the accepted forms -----------------------------------------------------------------


def one_error_line(r, code: int = 1) -> str:
    assert code == r.exit_code, r.output
    assert "Traceback" not in r.output and (r.exception is None or isinstance(r.exception, SystemExit))
    [line] = r.output.strip().splitlines()
    assert line.startswith("Error: ")
    return line


def test_a_date_written_day_first_is_answered_with_the_accepted_forms_and_what_it_may_mean(sudan):
    line = one_error_line(run(sudan, "state", "--at", "19/12/2023"))
    assert line.startswith("Error: --at: cannot read '19/12/2023' as a time: write the year first, 2023-12-19;")
    assert "accepted forms (ISO 8601 and EDTF" in line and "2024-12-05/2024-12-08" in line
    ambiguous = one_error_line(run(sudan, "state", "--at", "07/12/2024"))
    assert "2024-12-07 if 07 is the day or 2024-07-12 if 07 is the month" in ambiguous


@pytest.mark.parametrize("args, option", [
    (["state", "--at", "2023-12-19", "--as-of", "yesterday"], "--as-of"), (["log", "--from", "Monday"], "--from"),
    (["timeline", "--to", "18.12.2023"], "--to"), (["diff", "--from", "2023-12-14", "--to", "12/21"], "--to"),
    (["history", "wad-madani", "--as-of", "now"], "--as-of"), (["map", "--at", "noon", "--out", "m.svg"], "--at"),
    (["export", "--format", "geojson", "--at", "Dec 19"], "--at"), (["correct", "rsf-enters-madani", "--valid", "18/12", "--reason", "r"], "--valid"),
    (["append", "StatementIssued", "--text", "t", "--speaker", "saf", "--valid", "last Monday"], "--valid"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_a_time_that_cannot_be_read_is_refused_naming_the_option_and_what_was_typed(sudan, args, option):
    typed = args[args.index(option) + 1]
    line = one_error_line(run(sudan, *args))
    assert line.startswith(f"Error: {option}: cannot read {typed!r} as a time") and "accepted forms" in line


# --- 7. JSON from every command, errors included -------------------------------------------------------------

def test_every_command_has_a_json_flag():
    assert set() == {name for name in cli.app.COMMANDS if not cli.app.json_flags(cli.main.get_command(None, name))}


def log_member(doc: dict, path) -> dict:
    assert {"path", "bundled", "head"} == set(doc["log"]) and str(path) == doc["log"]["path"]
    return doc["log"]["head"]


def test_init_import_and_replay_report_as_json(tmp_path, sudan):
    zoned = tmp_path / "zoned.db"
    init = json.loads(ok(run(zoned, "init", "--zone", ZONE, "--json")).stdout)
    assert ({"seq": 1}, ZONE) == ({"seq": log_member(init, zoned)["seq"]}, init["zone"])  # (the zone is its first entry, a setting)
    copy = tmp_path / "copy.db"  # (a copy is made in a log with no entries: the export carries the zone)
    init = json.loads(ok(run(copy, "init", "--json")).stdout)
    assert {"seq": 0} == {"seq": log_member(init, copy)["seq"]} and ("UTC", None, 0) == (init["zone"], init["chronicle"], init["entries"])
    backup = tmp_path / "backup.jsonl"
    exported = json.loads(ok(run(sudan, "export", "--out", str(backup), "--json")).stdout)
    assert ("jsonl", str(backup)) == (exported["format"], exported["out"])
    imported = json.loads(ok(run(copy, "import", str(backup), "--json")).stdout)
    assert (exported["count"], exported["count"]) == (imported["read"], imported["added"])
    assert log_member(exported, sudan) == log_member(imported, copy)  # the same head
    replayed = json.loads(ok(run(copy, "replay", "--json")).stdout)
    assert (exported["count"], 1, {"actor": 2, "person": 2, "place": 4}) == (replayed["entries"], replayed["retractions"], replayed["entities"])


def test_correct_and_retract_print_their_entries_as_json_as_append_does(sudan):
    corrected = json.loads(ok(run(sudan, "correct", "rsf-takes-rufaa", "--valid", "2023-12-20", "--reason", "dated", "--json", "--id", "fix")).stdout)
    retracted = json.loads(ok(run(sudan, "retract", "hemedti-claims-madani", "--reason", "unsourced", "--json")).stdout)
    head = json.loads(ok(run(sudan, "head", "--json")).stdout)
    assert "fix" == corrected[0]["id"] and {"id", "seq", "hash", "recorded"} <= set(retracted[0])
    assert (head["seq"], head["hash"]) == (retracted[0]["seq"], retracted[0]["hash"])


def test_map_reports_the_file_it_wrote_as_json(sudan, tmp_path):
    out = tmp_path / "madani.html"
    doc = json.loads(ok(run(sudan, "map", "--from", "2023-12-14", "--to", "2023-12-21", "--out", str(out), "--json")).stdout)
    assert ("html", str(out)) == (doc["format"], doc["out"]) and out.exists()
    log_member(doc, sudan)


@pytest.mark.parametrize("args, code", [
    (["state", "--json"], 2),  # no --at
    (["state", "--at", "19/12/2023", "--json"], 1),  # (read before --json)
    (["show", "no-such-event", "--json"], 1),
    (["history", "atlantis", "--json"], 1),
    (["log", "--json", "--type", "CityBurned"], 2),
    (["map", "--at", "2023-12-19", "--out", "madani.png", "--json"], 2),
    (["export", "--json"], 2),  # the data would go to stdout
    (["init", "--json"], 1),  # the log exists
    (["correct", "rsf-takes-rufaa", "--colour", "red", "--reason", "r", "--json"], 2),
    (["retract", "no-such-event", "--reason", "r", "--json"], 1),
    (["append", "CallMade", "--caller", "burhan", "--callee", "hemedti", "--ids-json"], 1),  # no valid time
    (["import", "missing.jsonl", "--json"], 2),
    (["--bogus", "entities", "--json"], 2),
], ids=lambda v: " ".join(v) if isinstance(v, list) else str(v))
def test_with_json_an_error_is_a_json_object_on_stderr_and_the_exit_code_is_unchanged(sudan, tmp_path, monkeypatch, args, code):
    monkeypatch.chdir(tmp_path)
    plain = [a for a in args if a not in ("--json", "--ids-json")]
    r = run(sudan, *args)
    assert (code, "") == (r.exit_code, r.stdout), r.output
    doc = json.loads(r.stderr)
    assert {"error", "code"} == set(doc) and code == doc["code"]
    people = run(sudan, *plain)
    if people.exit_code:  # (without --json, `export` writes to stdout: no error)
        assert f"Error: {doc['error']}" == people.stderr.strip().splitlines()[-1]  # the message people get


def test_with_json_ctrl_c_is_a_json_object_too(sudan, monkeypatch):
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.main.get_command(None, "state"), "callback", interrupted)
    r = run(sudan, "state", "--at", "2023-12-19", "--json")
    assert (130, {"error": "interrupted", "code": 130}) == (r.exit_code, json.loads(r.stderr))
