"""Which log a command reads: a log named by --db or $CHRONO_DB must exist (a missing one is refused, and
nothing is written); with none named, ./chrono.db if there is one, else the bundled chronicle."""

import os

import pytest
from click.testing import CliRunner

import cli
from cli.app import COMMANDS

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
    "map": ["--at", "2024-12-07T21:30", "--out", "map.svg"],
}
WRITES = {"init", "append", "correct", "retract", "import"}
HOW = ["--db", "CHRONO_DB"]


def chrono(*args, db=None, chrono_db=None, input=None):
    """`chrono [--db DB] ARGS` with $CHRONO_DB set to `chrono_db` (or unset), as a user types it."""
    argv = (["--db", str(db)] if db is not None else []) + list(args)
    return CliRunner().invoke(cli.main, argv, env={"CHRONO_DB": chrono_db}, input=input, prog_name="chrono")


def named(how: str, path: str, *args, input=None):
    """`chrono ARGS` on the log at `path`, named the way `how` says."""
    if how == "--db":
        return chrono(*args, db=path, input=input)
    return chrono(*args, chrono_db=path, input=input)


@pytest.fixture
def here(tmp_path, monkeypatch):
    """An empty working directory (so no ./chrono.db), with a cache directory of its own inside it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path


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
    assert_refused(named(how, "typo.db", "state", "--at", "2024-12-07T21:30", "--json"), "typo.db", how, here)


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


# --- no log named ---------------------------------------------------------------------------------------------------


def test_state_with_no_log_named_reads_the_bundled_chronicle(here):
    result = chrono("state", "--at", "2024-12-07T21:30")  # the README's first command
    assert 0 == result.exit_code, result.output
    assert "Control of places" in result.stdout
    assert "from the bundled chronicle syria-2024" in result.stdout
    assert ["xdg"] == os.listdir(here)  # only the chronicle's saved image


def test_state_with_an_empty_chrono_db_reads_the_bundled_chronicle(here):
    result = chrono("state", "--at", "2024-12-07T21:30", chrono_db="")
    assert 0 == result.exit_code, result.output
    assert "from the bundled chronicle syria-2024" in result.stdout


def test_state_with_no_log_named_reads_chrono_db_in_the_working_directory(here):
    assert 0 == chrono("init", "--zone", "Asia/Damascus").exit_code
    result = chrono("state", "--at", "2024-12-07T21:30")
    assert 0 == result.exit_code, result.output
    assert "from log chrono.db" in result.stdout
