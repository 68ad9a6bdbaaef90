"""Which log a command reads: a log named by --db or $CHRONO_DB must exist (a missing one is refused, and
nothing is written); with none named, ./chrono.db if there is one, else the bundled chronicle."""

import gc
import io
import json
import os
import shutil

import pytest
from click.testing import CliRunner

import cli
from chrono.chronicles import chronicle
from chrono.store import Log
from chrono.timeval import parse_instant
from cli.app import COMMANDS
from projections.pictures import FORMATS
from projections.pictures import export as export_log

# Every command that reads a log, with arguments it accepts on the bundled chronicle (and on a copy of it).
READ_ARGS = {
    "state": ["--at", "2024-12-07T21:30"],
    "log": [],
    "entities": [],
    "replay": [],
    "verify": [],
    "head": [],
    "export": [],
    "history": ["aleppo"],
    "show": ["aleppo-captured-hts"],
    "diff": ["--from", "2024-12-05", "--to", "2024-12-08"],
    "timeline": [],
    "sources": [],
    "check": [],
    "search": ["Hmeimim"],
    "map": ["--at", "2024-12-07T21:30", "--out", "map.svg"],
    "follow": ["--after", "0", "--count", "1"],
    "settings": [],
}
WRITES = {"init", "append", "correct", "retract", "import"}
HOW = ["--db", "CHRONO_DB"]
# The bundled chronicle's head position as it ships: one entry a line.
BUNDLED_ENTRIES = len(chronicle("syria-2024").data().splitlines())
# A log made from it (`init --chronicle`): the chronicle, then its zone and title as settings.
SYRIA_ENTRIES = BUNDLED_ENTRIES + 2


def chrono(*args, db=None, chrono_db=None):
    """`chrono [--db DB] ARGS` with $CHRONO_DB set to `chrono_db` (or unset), as a user types it."""
    argv = (["--db", str(db)] if db is not None else []) + list(args)
    return CliRunner().invoke(cli.main, argv, env={"CHRONO_DB": chrono_db}, prog_name="chrono")


def named(how: str, path: str, *args):
    """`chrono ARGS` on the log at `path`, named the way `how` says."""
    if how == "--db":
        return chrono(*args, db=path)
    return chrono(*args, chrono_db=path)


@pytest.fixture
def here(tmp_path, monkeypatch):
    """An empty working directory (so no ./chrono.db), with a cache directory of its own inside it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    """An empty working directory; the bundled chronicle's image is shared with the other tests."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "syria.db"
    assert 0 == chrono("init", "--chronicle", "syria-2024", db=path).exit_code
    assert 0 == chrono("replay", db=path).exit_code
    gc.collect()  # closes the commands' connections, which checkpoints the WAL into the log's own file
    return path


@pytest.fixture
def syria(template, cwd):
    """A log of the user's own, ./syria.db, holding the bundled chronicle (with its read cache)."""
    for part in ("", "-cache", "-cache-mentions"):
        shutil.copy(f"{template}{part}", cwd / f"syria.db{part}")
    return "syria.db"


def head_json(**named) -> dict:
    result = chrono("head", "--json", **named)
    assert 0 == result.exit_code, result.output
    return json.loads(result.stdout)


def assert_refused(result, path: str, how: str, here) -> None:
    """Exit 1, one line naming the path and what named it, nothing on stdout, and nothing written."""
    what = "--db" if how == "--db" else "$CHRONO_DB"
    assert 1 == result.exit_code, result.output
    assert "" == result.stdout
    assert 1 == len(result.output.splitlines()), result.output
    assert result.output.startswith(f"Error: no log at {path} (named by {what}); "), result.output
    assert [] == os.listdir(here)  # no log, no cache beside it, no image of the bundled chronicle, no --out file


def test_read_commands_are_the_commands_that_are_not_writes():
    assert set(COMMANDS) - WRITES - {"types"} == set(READ_ARGS)


# --- a named log that does not exist ------------------------------------------------------------------------


@pytest.mark.parametrize("how", HOW)
def test_verify_missing_named_log_is_refused(here, how):
    assert_refused(named(how, "nothere.db", "verify"), "nothere.db", how, here)


@pytest.mark.parametrize("how", HOW)
def test_head_missing_named_log_is_refused(here, how):
    assert_refused(named(how, "typo.db", "head"), "typo.db", how, here)


@pytest.mark.parametrize("how", HOW)
def test_export_missing_named_log_is_refused(here, how):
    assert_refused(named(how, "typo.db", "export", "--out", "backup.jsonl"), "typo.db", how, here)


@pytest.mark.parametrize("how", HOW)
def test_state_missing_named_log_is_refused(here, how):
    assert_refused(named(how, "typo.db", "state", "--at", "2024-12-07T21:30"), "typo.db", how, here)


@pytest.mark.parametrize("how", HOW)
def test_state_json_missing_named_log_is_refused_as_json(here, how):
    result = named(how, "typo.db", "state", "--at", "2024-12-07T21:30", "--json")
    what = "--db" if how == "--db" else "$CHRONO_DB"
    assert (1, "", 1) == (result.exit_code, result.stdout, json.loads(result.stderr)["code"])
    assert json.loads(result.stderr)["error"].startswith(f"no log at typo.db (named by {what}); ")
    assert [] == os.listdir(here)


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("command", sorted(READ_ARGS))
def test_every_read_command_refuses_a_missing_named_log(here, command, how):
    assert_refused(named(how, "nothere.db", command, *READ_ARGS[command]), "nothere.db", how, here)


def test_verify_missing_db_message_says_how_to_create_it_or_read_the_bundled_chronicle(here):
    assert ("Error: no log at nothere.db (named by --db); create one with `chrono --db nothere.db init`, "
            "or leave out --db to read the bundled chronicle\n") == chrono("verify", db="nothere.db").output


def test_head_missing_chrono_db_message_says_how_to_create_it_or_read_the_bundled_chronicle(here):
    assert ("Error: no log at typo.db (named by $CHRONO_DB); create one with `chrono init`, "
            "or unset CHRONO_DB to read the bundled chronicle\n") == chrono("head", chrono_db="typo.db").output


def test_verify_missing_db_message_offers_no_bundled_chronicle_when_chrono_db_is_set(here):
    # Without --db this command would read $CHRONO_DB's log, not the bundled chronicle: say nothing of it.
    out = chrono("verify", db="nothere.db", chrono_db="other.db").output
    assert "bundled chronicle\n" not in out and "leave out --db" not in out
    assert out.startswith("Error: no log at nothere.db (named by --db); create one with `chrono --db nothere.db init`")


def test_verify_missing_db_path_with_a_space_is_quoted_in_the_advice(here):
    out = chrono("verify", db="my notes.db").output
    assert "create one with `chrono --db 'my notes.db' init`" in out


@pytest.mark.parametrize("how", HOW)
def test_append_missing_named_log_message_matches_the_reads(here, how):
    result = named(how, "typo.db", "append", "CallMade", "--caller", "a", "--callee", "b", "--valid", "2024-12-01")
    assert_refused(result, "typo.db", how, here)
    init = "chrono --db typo.db init" if how == "--db" else "chrono init"
    assert result.output.endswith(f"create one with `{init}` (add --chronicle syria-2024 to start from the bundled chronicle)\n")


def test_append_without_any_log_says_the_default_was_used(here):
    result = chrono("retract", "x", "--reason", "r")
    assert ("Error: no log at chrono.db (the default, as neither --db nor $CHRONO_DB names a log); create one with "
            "`chrono init` (add --chronicle syria-2024 to start from the bundled chronicle)\n") == result.output
    assert [] == os.listdir(here)


def test_db_empty_is_a_usage_error(here):
    # `chrono --db "$LOG" verify` with LOG unset must not read another log.
    result = chrono("verify", db="")
    assert 2 == result.exit_code
    assert "--db" in result.output and "needs a path" in result.output
    assert [] == os.listdir(here)


@pytest.mark.parametrize("how", HOW)
def test_completion_with_a_missing_named_log_offers_nothing(here, how):
    words = "chrono --db nothere.db show aleppo-" if how == "--db" else "chrono show aleppo-"
    result = CliRunner().invoke(cli.main, [], prog_name="chrono", env={
        "_CHRONO_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1),
        "CHRONO_DB": "nothere.db" if how == "CHRONO_DB" else None})
    assert (0, []) == (result.exit_code, result.output.split())
    assert [] == os.listdir(here)


def test_completion_with_no_log_named_offers_the_bundled_chronicle(here):
    words = "chrono show aleppo-captured-"
    result = CliRunner().invoke(cli.main, [], prog_name="chrono", env={
        "_CHRONO_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": "2", "CHRONO_DB": None})
    assert "plain,aleppo-captured-hts" in result.output.splitlines()


# --- every read command names the log it read --------------------------------------------------------------------

# Where the line naming the log goes: stdout, unless stdout carries what scripts and files consume.
ON_STDERR = {"head", "export", "map", "follow"}
BUNDLED_NOTE = " (read-only; no --db, $CHRONO_DB or ./chrono.db)"


def assert_named_once(result, line: str, command: str) -> None:
    assert 0 == result.exit_code, result.output
    said, silent = (result.stderr, result.stdout) if command in ON_STDERR else (result.stdout, result.stderr)
    # (A history row may start "from an open start to ...": the log's line names a log or the bundled chronicle.)
    assert [line] == [x for x in said.splitlines() if x.startswith(("from log ", "from the bundled chronicle "))]
    assert line not in silent


@pytest.mark.parametrize("command", sorted(READ_ARGS))
def test_every_read_command_names_the_log_it_read(syria, command):
    head = head_json(db=syria)
    result = chrono(command, *READ_ARGS[command], db=syria)
    assert_named_once(result, f"from log syria.db, head {head['seq']} {head['hash'][:16]}", command)


@pytest.mark.parametrize("command", sorted(READ_ARGS))
def test_every_read_command_names_the_log_chrono_db_named(syria, command):
    head = head_json(chrono_db=syria)
    result = chrono(command, *READ_ARGS[command], chrono_db=syria)
    assert_named_once(result, f"from log syria.db, head {head['seq']} {head['hash'][:16]}", command)


@pytest.mark.parametrize("command", sorted(READ_ARGS))
def test_every_read_command_names_the_bundled_chronicle_when_no_log_is_named(cwd, command):
    head = head_json()
    result = chrono(command, *READ_ARGS[command])
    line = f"from the bundled chronicle syria-2024, head {head['seq']} {head['hash'][:16]}{BUNDLED_NOTE}"
    assert_named_once(result, line, command)
    assert set(os.listdir(cwd)) <= {"map.svg"}


# Every read command whose --json prints one JSON object.
JSON_ARGS = {
    "state": ["state", "--at", "2024-12-07T21:30"],
    "verify": ["verify"],
    "head": ["head"],
    "history": ["history", "aleppo"],
    "show": ["show", "aleppo-captured-hts"],
    "diff": ["diff", "--from", "2024-12-05", "--to", "2024-12-08"],
    "diff-belief": ["diff", "--at", "2024-12-07T21:30", "--as-of", "2026-11-24T12:30Z"],
    "timeline": ["timeline"],
    "sources": ["sources"],
    "check": ["check"],
    "search": ["search", "Hmeimim"],
    "settings": ["settings"],
}


@pytest.mark.parametrize("label", sorted(JSON_ARGS))
def test_every_json_object_carries_the_log_it_read(syria, label):
    head = head_json(db=syria)
    result = chrono(*JSON_ARGS[label], "--json", db=syria)
    assert 0 == result.exit_code, result.output
    assert "" == result.stderr
    doc = json.loads(result.stdout)
    assert {"path": "syria.db", "bundled": None, "head": {"seq": head["seq"], "hash": head["hash"]}} == doc["log"]


@pytest.mark.parametrize("label", sorted(JSON_ARGS))
def test_every_json_object_carries_the_bundled_chronicle_when_no_log_is_named(cwd, label):
    head = head_json()
    doc = json.loads(chrono(*JSON_ARGS[label], "--json").stdout)
    assert {"path": None, "bundled": "syria-2024", "head": {"seq": BUNDLED_ENTRIES, "hash": head["hash"]}} == doc["log"]


def test_state_json_log_member_is_the_head_after_an_append(syria):
    assert 0 == chrono("append", "CallMade", "--caller", "lavrov", "--callee", "fidan", "--valid", "2024-12-09", db=syria).exit_code
    doc = json.loads(chrono("state", "--at", "2024-12-07T21:30", "--json", db=syria).stdout)
    assert (SYRIA_ENTRIES + 1, head_json(db=syria)["hash"]) == (doc["log"]["head"]["seq"], doc["log"]["head"]["hash"])


def test_json_commands_are_every_read_command_but_the_arrays_and_the_files():
    # entities --json is an array and log --json and follow --json JSON Lines (their shapes stay); replay, export and
    # map print no JSON.
    assert {args[0] for args in JSON_ARGS.values()} == set(READ_ARGS) - {"entities", "log", "follow", "replay", "export", "map"}


def test_log_json_lines_stay_entries_and_the_log_is_named_on_stderr(syria):
    head = head_json(db=syria)
    result = chrono("log", "--json", db=syria)
    entries = [json.loads(line) for line in result.stdout.splitlines()]
    assert list(range(1, head["seq"] + 1)) == [e["seq"] for e in entries]
    assert all("log" not in e for e in entries)
    assert f"from log syria.db, head {head['seq']} {head['hash'][:16]}\n" == result.stderr


def test_entities_json_stays_an_array_and_the_log_is_named_on_stderr(syria):
    head = head_json(db=syria)
    result = chrono("entities", "--json", db=syria)
    items = json.loads(result.stdout)
    assert isinstance(items, list) and all("id" in e for e in items)
    assert f"from log syria.db, head {head['seq']} {head['hash'][:16]}\n" == result.stderr


def test_head_stdout_is_the_position_and_hash_alone(syria):
    head = head_json(db=syria)
    result = chrono("head", db=syria)
    assert f"{head['seq']} {head['hash']}\n" == result.stdout
    assert f"from log syria.db, head {head['seq']} {head['hash'][:16]}\n" == result.stderr


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_formats_are_unchanged_and_the_log_is_named_on_stderr(syria, fmt):
    as_of = [] if fmt == "jsonl" else ["--as-of", "2026-11-25T00:00Z"]
    result = chrono("export", "--format", fmt, *as_of, db=syria)
    assert 0 == result.exit_code, result.output
    expected = io.BytesIO()
    with Log.open(syria, readonly=True) as log:
        known_at = parse_instant(as_of[1], log.zone) if as_of else None
        export_log(log, fmt, expected, known_at=known_at)
    assert expected.getvalue() == result.stdout_bytes
    assert result.stderr.startswith(f"from log syria.db, head {SYRIA_ENTRIES} ")


def test_map_names_the_log_and_its_head_in_the_picture(syria):
    head = head_json(db=syria)
    assert 0 == chrono("map", *READ_ARGS["map"], db=syria).exit_code
    with open("map.svg", encoding="utf-8") as f:
        assert f"log: syria.db, head {head['seq']} {head['hash'][:16]}" in f.read()


# --- no log named ---------------------------------------------------------------------------------------------------


def test_state_with_no_log_named_reads_the_bundled_chronicle(here):
    result = chrono("state", "--at", "2024-12-07T21:30")  # the README's first command
    assert 0 == result.exit_code, result.output
    assert "Control of places" in result.stdout
    head = head_json()
    assert f"from the bundled chronicle syria-2024, head {BUNDLED_ENTRIES} {head['hash'][:16]}{BUNDLED_NOTE}" == result.stdout.splitlines()[1]
    assert ["xdg"] == os.listdir(here)  # only the chronicle's saved image


def test_state_with_an_empty_chrono_db_reads_the_bundled_chronicle(cwd):
    result = chrono("state", "--at", "2024-12-07T21:30", "--json", chrono_db="")
    assert 0 == result.exit_code, result.output
    assert "syria-2024" == json.loads(result.stdout)["log"]["bundled"]


def test_state_with_no_log_named_reads_chrono_db_in_the_working_directory(syria):
    os.rename(syria, "chrono.db")
    result = chrono("state", "--at", "2024-12-07T21:30", "--json")
    assert 0 == result.exit_code, result.output
    assert {"path": "chrono.db", "bundled": None} == {k: v for k, v in json.loads(result.stdout)["log"].items() if k != "head"}
