"""A local copy of a log kept elsewhere (chrono.replica): the same rows, taken by position; a log that
no longer continues the copy is copied anew; a row that does not hold is never served; a file that is
not a copy is never touched. The log copied here is a SQLite log (any LogStore is copied the same way:
tests/test_pgstore.py copies one on PostgreSQL)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chrono import replica
from chrono.logs import public_address
from chrono.clock import FixedClock
from chrono.errors import ChronoError, NotContinuedError
from chrono.logstore import verify
from chrono.store import Log
from chrono.entry import Draft
from events import PlaceDescribed
from projections.query import state

from . import sudan

ROOT = Path(__file__).resolve().parents[1]


def rows(log) -> list[tuple]:
    return [tuple(r) for r in log.stored_rows()]


@pytest.fixture
def shared(tmp_path) -> Log:
    """The log the copies copy (a SQLite file standing in for a server's)."""
    log = sudan.make_log(str(tmp_path / "shared.db"))
    yield log
    log.close()


def test_a_copy_holds_the_logs_rows_and_takes_only_the_new_ones(shared, tmp_path):
    path = str(tmp_path / "copy.db")
    taken = []
    with replica.synced(shared, path, report=taken.append) as copy:
        assert rows(copy) == rows(shared) and copy.copy_of == shared.path and copy.name == shared.name
        assert taken[-1] == len(shared)
    shared.append(Draft(event=PlaceDescribed(place="kosti", name="Kosti", kind="city")))
    taken.clear()
    with replica.synced(shared, path, report=taken.append) as copy:
        assert rows(copy) == rows(shared) and taken[-1] == 1
        assert verify(copy).ok


def test_a_copy_answers_as_the_log_does(shared, tmp_path):
    at, now = sudan.at("2023-12-20"), shared.head().recorded
    with replica.synced(shared, str(tmp_path / "copy.db")) as copy:
        assert state(copy, at, now, zone=sudan.ZONE, limit=None)[0] == state(shared, at, now, zone=sudan.ZONE, limit=None)[0]


def test_a_log_replaced_since_the_copy_is_copied_anew(tmp_path):
    path, copy_path = str(tmp_path / "shared.db"), str(tmp_path / "copy.db")
    with sudan.make_log(path) as first:
        replica.synced(first, copy_path).close()
    os.remove(path)
    # The same name, other entries: the copy's head is not this log's row at that position.
    with Log.create(path, zone=sudan.ZONE, clock=FixedClock(datetime(2027, 1, 1, tzinfo=UTC), step=timedelta(seconds=1))) as second:
        second.append([Draft(event=PlaceDescribed(place=f"p{i}", name=f"P{i}")) for i in range(100)])
        with replica.synced(second, copy_path) as copy:
            assert rows(copy) == rows(second)


def test_a_log_shorter_than_the_copy_is_copied_anew(shared, tmp_path):
    """(A server restored from an older backup.)"""
    copy_path = str(tmp_path / "copy.db")
    replica.synced(shared, copy_path).close()
    older = str(tmp_path / "older.db")
    with Log.create(older, zone=sudan.ZONE) as log:
        log.conn.execute("ATTACH DATABASE ? AS s", (shared.path,))
        log.conn.execute("INSERT INTO events SELECT * FROM s.events WHERE seq <= 5")
        log.conn.execute("DETACH DATABASE s")
    with Log.open(older) as log:
        log.path = shared.path  # (the same address, as a restored server has)
        with replica.synced(log, copy_path) as copy:
            assert rows(copy) == rows(log) and len(copy) == 5


def test_a_row_that_does_not_hold_is_never_copied(shared, tmp_path):
    copy_path = str(tmp_path / "copy.db")
    replica.synced(shared, copy_path).close()
    shared.append(Draft(event=PlaceDescribed(place="kosti", name="Kosti", kind="city")))
    before = os.path.getsize(copy_path)
    tamper = sqlite3.connect(shared.path)
    tamper.execute("DROP TRIGGER events_no_update")
    tamper.execute("UPDATE events SET body = replace(body, 'Kosti', 'Kusti') WHERE seq = (SELECT max(seq) FROM events)")
    tamper.commit()
    tamper.close()
    with pytest.raises(NotContinuedError, match="altered"):
        replica.synced(shared, copy_path)
    with Log.open(copy_path) as copy:
        assert len(copy) == len(shared) - 1 and os.path.getsize(copy_path) >= before


def test_a_file_that_is_not_a_copy_is_refused_and_left_as_it_is(shared, tmp_path):
    own = str(tmp_path / "own.db")
    sudan.make_log(own).close()
    before = Path(own).read_bytes()
    with pytest.raises(ChronoError, match="a log of its own, not a local copy"):
        replica.synced(shared, own)
    assert Path(own).read_bytes() == before


def test_two_processes_making_and_filling_one_copy_at_once(shared, tmp_path):
    copy_path = str(tmp_path / "cache" / "copy.db")
    script = ("import sys; from chrono import replica; from chrono.store import Log\n"
              "with Log.open(sys.argv[1]) as log:\n    replica.synced(log, sys.argv[2]).close()\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", script, shared.path, copy_path], env=env, stderr=subprocess.PIPE) for _ in range(3)]
    for p in procs:
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err.decode()
    with Log.open(copy_path) as copy:
        assert rows(copy) == rows(shared)
    assert sorted(os.listdir(tmp_path / "cache")) in (["copy.db"], ["copy.db", "copy.db-shm", "copy.db-wal"])


def test_an_address_is_shown_and_kept_without_its_password():
    assert public_address("postgresql://ana:s3cret@db.example.org:5432/news?sslmode=require&password=x") == \
        "postgresql://ana@db.example.org:5432/news?sslmode=require"
    a, b = (replica.default_path(f"postgresql://ana:{pw}@db/news", "/c") for pw in ("one", "two"))
    assert a == b and a.startswith("/c/shared/news-")
    assert replica.default_path("postgresql://db/other", "/c") != a


def test_an_address_that_cannot_be_read_is_a_one_line_error_without_its_password():
    from click.testing import CliRunner

    from cli import main

    with pytest.raises(ChronoError) as e:
        public_address("postgresql://ana:s3cret@[db/news")
    assert "s3cret" not in str(e.value) and "postgresql://USER@HOST/DATABASE" in str(e.value)
    for args in (["state", "--at", "2024-12-07"], ["init"], ["head"]):
        result = CliRunner().invoke(main, ["--db", "postgresql://ana:s3cret@[db/news", *args])
        assert 1 == result.exit_code and not isinstance(result.exception, ValueError), result.output
        assert "cannot read the PostgreSQL address" in result.output and "s3cret" not in result.output


def test_a_copy_is_read_by_every_command_and_written_by_none(shared, tmp_path):
    from click.testing import CliRunner

    from cli import main

    path = str(tmp_path / "copy.db")
    replica.synced(shared, path).close()
    before = Path(path).read_bytes()
    runner = CliRunner()
    read = runner.invoke(main, ["--db", path, "state", "--at", "2023-12-20", "--json"])
    assert read.exit_code == 0, read.output
    wrote = runner.invoke(main, ["--db", path, "settings", "set", "title", "Mine"])
    assert wrote.exit_code == 1 and f"is a local copy of {shared.path}, which only copying writes" in wrote.output
    with Log.open(path) as copy:
        assert rows(copy) == rows(shared)
    assert len(Path(path).read_bytes()) == len(before)
