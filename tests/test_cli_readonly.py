"""A log that cannot be written — in a read-only folder, or a read-only file — reads cleanly: every read
command answers as on a writable copy, and nothing is written in or beside it (no -wal, -shm or cache
file). Root ignores file modes, so Chrono goes by them as well as by what the user may do; the same
commands run as another user, where the machine lets one run Chrono, show the modes enforced."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import cli

from .sudan_typed import ZONE, chrono, make, ok, refused

ROOT = Path(__file__).resolve().parents[1]
# Every read command, with what it needs (`map` writes its picture elsewhere: the folder is the log's).
READS = [
    ["state", "--at", "2023-12-19T12:00", "--json"], ["state", "--at", "2023-12-19T12:00", "--as-of", "2030-01-01"],
    ["history", "wad-madani", "--json"], ["show", "rsf-takes-madani", "--json"], ["timeline", "--json"], ["log", "--json"],
    ["entities", "--json"], ["verify", "--json"], ["head", "--json"], ["export"], ["export", "--format", "csv"],
    ["diff", "--from", "2023-12-10", "--to", "2023-12-20", "--json"], ["sources", "--json"], ["check", "--json"],
    ["settings", "--json"], ["replay"],
]


def answers(db) -> list:
    """What each read command says, without naming the log (its path differs between copies), nor how
    long a replay took and where it kept its cache."""
    out = []
    for args in READS:
        text = ok(chrono(db, *args)).stdout.replace(str(db), "LOG")
        if args[0] == "log":  # (JSON Lines)
            out.append([json.loads(line) for line in text.splitlines()])
        elif args[-1] == "--json":
            doc = json.loads(text)
            if isinstance(doc, dict):  # (an array names no log)
                doc.pop("log")
            out.append(doc)
        elif args[0] == "replay":
            out.append(re.sub(r" in [0-9.]+s ", " ", "".join(text.splitlines(keepends=True)[:3])))
        else:
            out.append(text)
    return out


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def folder():
    """A folder another user can reach (pytest's own live under a folder only its user may enter)."""
    d = Path(tempfile.mkdtemp(prefix="chrono-ro-"))
    d.chmod(0o777)
    yield d
    for p in (d, *d.iterdir()):
        p.chmod(0o777)
    shutil.rmtree(d, ignore_errors=True)


def sudan_log(folder: Path, *, cached: bool) -> Path:
    db = folder / "sudan.db"
    make(db, "--zone", ZONE)
    if cached:
        ok(chrono(db, "replay"))  # (a cache beside it, as a log that was read before its folder was made read-only)
    else:  # what a rebuild killed before it finished leaves (which a rebuild beside a writable log clears away)
        ended = subprocess.Popen(["true"])
        ended.wait()
        (folder / f"sudan.db-cache.{ended.pid}.tmp").write_bytes(b"stray")
    for p in folder.iterdir():
        p.chmod(0o644)
    return db


def make_read_only(db: Path, where: str) -> None:
    db.chmod(0o444)
    if where == "folder":
        db.parent.chmod(0o555)


@pytest.mark.parametrize("cached", [False, True], ids=["no cache", "a cache beside it"])
@pytest.mark.parametrize("where", ["folder", "file"])
def test_a_read_only_log_answers_every_read_command_as_a_writable_copy_and_leaves_nothing_behind(folder, tmp_path, where, cached):
    db = sudan_log(folder, cached=cached)
    copy = tmp_path / "copy.db"
    shutil.copy(db, copy)
    expected = answers(copy)
    make_read_only(db, where)
    before = listing(folder)
    assert expected == answers(db)
    ok(chrono(db, "map", "--at", "2023-12-19", "--out", tmp_path / "map.svg"))
    ok(chrono(db, "timeline", "--html", tmp_path / "timeline.html"))
    assert before == listing(folder)  # no -wal, -shm or cache file, and the log's bytes as they were


@pytest.mark.parametrize("where", ["folder", "file"])
def test_a_read_only_log_is_opened_read_only_and_as_it_stands(folder, where):
    db = sudan_log(folder, cached=False)
    make_read_only(db, where)
    log = cli.Env(db=str(db)).reader()
    try:
        assert log.readonly
        with pytest.raises(sqlite3.OperationalError, match="readonly|read-only"):
            log.conn.execute("CREATE TABLE scribble (x)")  # (SQLite's own refusal: root is refused too)
        assert ZONE == log.zone
    finally:
        log.close()


@pytest.mark.parametrize("where", ["folder", "file"])
def test_a_write_to_a_read_only_log_is_refused_in_one_line_and_writes_nothing(folder, where):
    db = sudan_log(folder, cached=False)
    make_read_only(db, where)
    before = listing(folder)
    message = refused(chrono(db, "append", "PlaceDescribed", "--place", "kosti", "--name", "Kosti"))
    assert f"{db} is read-only (the file or its folder cannot be written); nothing was written" in message
    refused(chrono(db, "settings", "set", "title", "x"))
    assert before == listing(folder)


def test_a_read_only_log_with_a_writer_at_work_is_read_with_locks_and_sees_what_it_wrote(folder, tmp_path):
    db = sudan_log(folder, cached=False)
    writer = sqlite3.connect(db, isolation_level=None)  # another user's writer, the WAL open (as while it appends)
    try:
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute("SELECT count(*) FROM events").fetchone()  # (it holds the WAL open: the append stays in it)
        ok(chrono(db, "append", "PlaceDescribed", "--place", "kosti", "--name", "Kosti", "--id", "d-kosti"))
        assert os.path.getsize(f"{db}-wal") > 0  # (the append is in the -wal alone)
        db.chmod(0o444)
        assert "d-kosti" in ok(chrono(db, "show", "d-kosti")).stdout
        ok(chrono(db, "verify"))
    finally:
        writer.close()


# --- as another user ---------------------------------------------------------------------------------------


def as_another_user(*args, cwd) -> subprocess.CompletedProcess:
    """`chrono ARGS` in a new process: as the user nobody when this runs as root (which file modes do
    not bind), as this user otherwise."""
    command = [sys.executable, "-m", "cli", *map(str, args)]
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: no other user to run Chrono as, and root ignores file modes")
        command = ["runuser", "-u", "nobody", "--", *command]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(cwd), "XDG_CACHE_HOME": str(cwd / "xdg"), "CHRONO_DB": ""}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("where", ["folder", "file"])
def test_as_a_user_who_cannot_write_it_a_read_only_log_reads_and_leaves_nothing_behind(folder, tmp_path, where):
    db = sudan_log(folder, cached=False)
    make_read_only(db, where)
    home = Path(tempfile.mkdtemp(prefix="chrono-home-"))
    home.chmod(0o777)
    try:
        probe = as_another_user("--version", cwd=home)
        if probe.returncode != 0:
            pytest.skip(f"the other user cannot run this Python here ({probe.stderr.strip()[-160:]})")
        before = listing(folder)
        for args in READS:
            result = as_another_user("--db", db, *args, cwd=home)
            assert 0 == result.returncode, (args, result.stderr)
            assert "Traceback" not in result.stderr
        assert before == listing(folder)
        result = as_another_user("--db", db, "append", "PlaceDescribed", "--place", "kosti", "--name", "Kosti", cwd=home)
        assert 1 == result.returncode and result.stderr.startswith("Error: ") and "read-only" in result.stderr
        assert before == listing(folder)
    finally:
        shutil.rmtree(home, ignore_errors=True)
