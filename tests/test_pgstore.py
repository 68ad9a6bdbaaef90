"""What only the log on PostgreSQL has to show, on a throwaway cluster (tests/pgserver.py): many writers
on separate connections, a reader that never skips a late commit, a writer killed in a batch, a server
restarted under a writer, the server refusing changes (triggers, grants), a superuser's tampering
caught by verify, hostile text, the round trip through SQLite, the server's clock, LISTEN/NOTIFY, and
opening what is not a log. The store laws themselves are test_store_contract.py's (TestPostgres).
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st

from chrono import jsonl
from chrono.chronicles import open_in_memory
from chrono.clock import FixedClock
from chrono.entry import Draft
from chrono.errors import ChronoError, ConflictError, DuplicateEventError, NotALogError, StorageError, TamperedError
from chrono.logs import create_log, on_server, open_log
from chrono.logstore import GENESIS, row_hash, verify
from chrono.store import Log
from events import CallMade, EventRetracted, Source, StatementIssued
from tests import strategies
from tests.test_store_contract import ZONE, call, day, export, place, rows

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'chrono[postgres]')")

from chrono.pgstore import PgLog  # noqa: E402  (after the skip: a PostgreSQL log needs psycopg)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
_roles = itertools.count(1)


@pytest.fixture
def log(pg_url):
    with PgLog.create(pg_url, zone=ZONE) as store:
        yield store


def superuser(url: str):
    """A plain connection to the log's database as the cluster's superuser (the tests' own role)."""
    return psycopg.connect(url, autocommit=True)


def one_line(e: Exception) -> bool:
    return "\n" not in str(e) and "Traceback" not in str(e)


def batch_ids(writer: int, n: int, size: int) -> list[str]:
    return [f"w{writer}-b{n}-{i}" for i in range(size)]


def calls(ids: list[str]) -> list[Draft]:
    return [call(caller=i.replace(":", "-"), callee="x", id=i) for i in ids]


# --- many writers ----------------------------------------------------------------------------------------


def test_concurrent_writers_lose_and_repeat_nothing_and_positions_are_gap_free(pg_url):
    PgLog.create(pg_url, zone=ZONE).close()
    writers, batches = 6, 25
    errors: list[BaseException] = []
    written: list[str] = []

    def write(w: int) -> None:
        try:
            with PgLog.open(pg_url) as lg:
                for n in range(batches):
                    ids = batch_ids(w, n, 1 + (w + n) % 3)
                    if w % 2:  # half of them state the position they expect, and retry on a conflict
                        while True:
                            try:
                                lg.append(calls(ids), expected_position=lg.head().seq)
                                break
                            except ConflictError:
                                continue
                    else:
                        lg.append(calls(ids))
                    written.extend(ids)
        except BaseException as e:  # (said by the main thread)
            errors.append(e)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [] == errors
    with PgLog.open(pg_url) as lg:
        stored = [(e.seq, e.id) for e in lg.entries()]
        assert list(range(1, len(written) + 1)) == [s for s, _ in stored]
        assert sorted(written) == sorted(i for _, i in stored)
        assert verify(lg).ok


def test_a_reader_never_sees_a_position_before_every_lower_one(pg_url):
    PgLog.create(pg_url, zone=ZONE).close()
    errors: list[BaseException] = []

    def write(w: int) -> None:
        try:
            with PgLog.open(pg_url) as lg:
                for n in range(40):
                    lg.append(calls(batch_ids(w, n, 1 + n % 4)))
        except BaseException as e:
            errors.append(e)

    seen: list[int] = []
    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    with PgLog.open(pg_url) as reader:
        last = 0
        while True:
            finished = not any(t.is_alive() for t in threads)  # (then one more reading sees the end)
            for entry in reader.entries(after_seq=last):
                seen.append(entry.seq)
                assert last + 1 == entry.seq, f"the reader skipped from {last} to {entry.seq}"
                last = entry.seq
            if finished:
                break
        for t in threads:
            t.join()
        assert [] == errors
        assert reader.head().seq == last == len(seen)


def test_positions_are_the_lock_s_not_a_sequence_s_a_second_writer_waits_for_the_first(pg_url):
    PgLog.create(pg_url, zone=ZONE).close()
    with PgLog.open(pg_url) as a, PgLog.open(pg_url) as b:
        order: list[str] = []
        with a.staged() as stage:  # (holds the append lock until it ends)
            a.append(call(id="a1"))
            t = threading.Thread(target=lambda: order.append(b.append(call(caller="b", callee="c", id="b1"))[0].id))
            t.start()
            time.sleep(0.3)
            assert [] == order  # b waits for the lock
            order.append("a-commits")
            stage.commit()
        t.join()
        assert ["a-commits", "b1"] == order
        assert [(1, "a1"), (2, "b1")] == [(e.seq, e.id) for e in b.entries()]


def test_a_writer_waiting_past_the_lock_timeout_is_told_the_log_is_locked(log, pg_url):
    from chrono.errors import LogLockedError

    with superuser(pg_url) as conn:
        conn.execute("ALTER FUNCTION chrono_append_lock() SET lock_timeout = '200ms'")
    with PgLog.open(pg_url) as other, log.staged():  # (the stage holds the lock)
        with pytest.raises(LogLockedError) as e:
            other.append(call(id="c1"))
        assert one_line(e.value) and "locked by another writer" in str(e.value)
    assert 1 == log.append(call(id="c1"))[0].seq  # (and released with the stage)


# --- killed writers and a restarted server -----------------------------------------------------------------

_WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[2])
    from chrono.pgstore import PgLog
    from tests.test_store_contract import call
    with PgLog.open(sys.argv[1]) as log:
        print("ready", flush=True)
        log.append([call(caller=f"p{i}", callee="x", id=f"big-{i}") for i in range(int(sys.argv[3]))])
        print("done", flush=True)
""")


def _copying(url: str) -> bool:
    """Whether a writer is in the middle of COPYing its batch's rows into the log."""
    with superuser(url) as conn:
        return bool(conn.execute("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'COPY events%'").fetchone()[0])


def test_a_writer_killed_in_the_middle_of_a_batch_leaves_nothing_of_it(pg_url):
    with PgLog.create(pg_url, zone=ZONE) as lg:
        lg.append([place(id="p1"), call(id="c1")])
        before = rows(lg)
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, pg_url, ROOT, "40000"], stdout=subprocess.PIPE, text=True)
        try:
            assert "ready" == proc.stdout.readline().strip()
            deadline = time.monotonic() + 60
            while not _copying(pg_url):  # (some of the batch's rows are in the table, uncommitted)
                assert proc.poll() is None and time.monotonic() < deadline, "the writer finished before it could be killed"
                time.sleep(0.005)
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait()
        assert -signal.SIGKILL == proc.returncode
        # The server notices the writer gone, rolls its transaction back and releases the lock.
        lg.append(call(caller="after", callee="x", id="after"))
        assert before == rows(lg)[:2]
        assert [1, 2, 3] == [r[0] for r in rows(lg)]
        assert lg.find("big-0") is None
        assert verify(lg).ok


def test_a_server_restart_under_a_writer_fails_it_cleanly_and_leaves_each_batch_whole_or_absent(pg_server):
    from tests.pgserver import PgUnavailable, cluster

    try:
        own = cluster()
        server = own.__enter__()
    except PgUnavailable as e:
        pytest.skip(str(e))
    try:
        url = server.new_database()
        PgLog.create(url, zone=ZONE).close()
        failures: list[ChronoError] = []
        others: list[BaseException] = []
        tried: list[list[str]] = []
        stop = threading.Event()

        def write() -> None:
            lg = None
            n = 0
            while not stop.is_set():
                try:
                    if lg is None:
                        lg = PgLog.open(url)
                    ids = batch_ids(0, n, 50)
                    tried.append(ids)
                    n += 1
                    lg.append(calls(ids))
                except ChronoError as e:
                    failures.append(e)
                    if lg is not None:
                        lg.close()
                    lg = None
                    time.sleep(0.05)
                except BaseException as e:
                    others.append(e)
                    return
            if lg is not None:
                lg.close()

        t = threading.Thread(target=write)
        t.start()
        time.sleep(0.5)
        server.restart("fast")
        time.sleep(0.5)
        stop.set()
        t.join()
        assert [] == others
        assert failures, "the writer did not notice the restart"
        assert all(isinstance(e, StorageError) and one_line(e) and "PostgreSQL at" in str(e) for e in failures), failures
        with PgLog.open(url) as lg:  # (a new connection works)
            present = {e.id for e in lg.entries()}
            for ids in tried:
                assert {i in present for i in ids} in ({True}, {False}), f"batch {ids[0]} is half written"
            lg.append(call(caller="after", callee="x", id="after"))
            assert verify(lg).ok
    finally:
        own.__exit__(None, None, None)


# --- what the server refuses ---------------------------------------------------------------------------------


def test_the_server_refuses_update_delete_and_truncate_even_to_the_owner(log, pg_url):
    log.append([place(id="p1"), call(id="c1")])
    with superuser(pg_url) as conn:
        for statement in ("UPDATE events SET body = body WHERE seq = 1", "DELETE FROM events WHERE seq = 2", "TRUNCATE events"):
            with pytest.raises(psycopg.Error, match="append-only"):
                conn.execute(statement)
    assert 2 == len(log) and verify(log).ok


def _login(server, url: str, group: str) -> str:
    """The address of `url`'s database for a new login role granted `group`."""
    name = f"person_{os.getpid()}_{next(_roles)}"
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{name}" LOGIN IN ROLE "{group}"')
    return server.url(url.split("/")[3].split("?")[0], user=name)


def test_the_writer_role_appends_and_cannot_update_delete_or_truncate(log, pg_server, pg_url):
    log.append(place(id="p1"))
    writer_url = _login(pg_server, pg_url, "chrono_writer")
    with PgLog.open(writer_url) as lg:
        assert lg.default_author.startswith("person_")
        lg.append(call(id="c1"))
        assert [1, 2] == [e.seq for e in lg.entries()]
    with psycopg.connect(writer_url, autocommit=True) as conn:
        for statement in ("UPDATE events SET body = body", "DELETE FROM events", "TRUNCATE events", "UPDATE chrono_meta SET value = 'x'"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
                conn.execute(statement)
        assert (False, False, False) == conn.execute(
            "SELECT has_table_privilege('events', 'UPDATE'), has_table_privilege('events', 'DELETE'), "
            "has_table_privilege('events', 'TRUNCATE')").fetchone()
    assert verify(log).ok and 2 == len(log)


def test_a_writer_who_may_not_run_chrono_append_appends_the_careful_way(log, pg_server, pg_url):
    """A role granted what appending took before chrono_append (INSERT, and the lock's function),
    as a DBA may have granted it by hand: its appends take the lock first, and hold."""
    log.append(place(id="p1"))
    writer_url = _login(pg_server, pg_url, "chrono_writer")
    with superuser(pg_url) as conn:
        conn.execute("REVOKE EXECUTE ON FUNCTION chrono_append FROM chrono_writer")
    with PgLog.open(writer_url) as lg:
        assert [2, 3] == [e.seq for e in lg.append([call(id="c1"), call(caller="x", callee="y")])]
        assert 4 == lg.append(call(caller="z", callee="w"))[0].seq
    assert verify(log).ok and 4 == len(log)


def test_the_reader_role_reads_and_cannot_write(log, pg_server, pg_url):
    log.append([place(id="p1"), call(id="c1")])
    reader_url = _login(pg_server, pg_url, "chrono_reader")
    with PgLog.open(reader_url) as lg:
        assert ["p1", "c1"] == [e.id for e in lg.entries()] and verify(lg).ok
        with pytest.raises(StorageError) as e:
            lg.append(call(caller="x", callee="y", id="c2"))
        assert one_line(e.value)
    with psycopg.connect(reader_url, autocommit=True) as conn:
        row = conn.execute("SELECT * FROM events WHERE seq = 1").fetchone()
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute("INSERT INTO events SELECT 3, 'c3', type, version, valid_lo, valid_hi, valid_meta, recorded, body, sources, "
                         "links, target, hash, hash, provenance FROM events WHERE seq = 2")
        assert row is not None
    assert 2 == len(log)


def test_a_write_refused_by_a_trigger_is_said_as_the_log_s(log):
    log.append(place(id="p1"))
    with pytest.raises(TamperedError, match="append-only"):
        with log._transaction():
            log.conn.execute("DELETE FROM events")
    assert 1 == len(log)


# --- tampering ------------------------------------------------------------------------------------------------


def test_a_superuser_s_update_is_caught_by_verify_and_by_verify_head(log, pg_url):
    log.append([place(id="p1"), call(id="c1"), call(caller="x", callee="y", id="c2")])
    head = log.head().hash
    with superuser(pg_url) as conn:
        conn.execute("ALTER TABLE events DISABLE TRIGGER events_no_update")
        conn.execute("UPDATE events SET body = replace(body, 'lavrov', 'lavrow') WHERE seq = 2")
        conn.execute("ALTER TABLE events ENABLE TRIGGER events_no_update")
    report = verify(log)
    assert (False, 2) == (report.ok, report.position)
    assert not verify(log, head=head).ok


def test_a_superuser_s_rewrite_of_the_whole_chain_is_caught_by_verify_head(log, pg_url):
    log.append([place(id="p1"), call(id="c1"), call(caller="x", callee="y", id="c2")])
    head = log.head().hash
    rewritten = []
    prev = GENESIS
    for r in rows(log):
        r = list(r)
        if r[0] == 2:
            r[8] = r[8].replace("lavrov", "lavrow")
        r[12] = prev
        r[13] = prev = row_hash(r[:13], r[14])
        rewritten.append(r)
    with superuser(pg_url) as conn:
        conn.execute("ALTER TABLE events DISABLE TRIGGER events_no_update")
        for r in rewritten:
            conn.execute("UPDATE events SET body = %s, prev_hash = %s, hash = %s WHERE seq = %s", (r[8], r[12], r[13], r[0]))
        conn.execute("ALTER TABLE events ENABLE TRIGGER events_no_update")
    assert verify(log).ok  # a consistent rewrite: only a head kept from before shows it
    report = verify(log, head=head)
    assert not report.ok and "no longer reaches head" in report.problem


# --- hostile input ----------------------------------------------------------------------------------------------

HOSTILE = [
    "O'Brien \"the\" \\ back\\slash", "'); DROP TABLE events; --", "$$ LANGUAGE plpgsql $$", "\\x00 \\N \\.", "%s %(x)s {}",
    "".join(chr(c) for c in range(1, 32)), "tab\tnew\nline\rreturn", "ﺡﻠﺑ — 🕌 \u202e\u200b", "x" * 1_000_000, "\x00 nul",
]


@pytest.mark.parametrize("padding", [0, 60], ids=["one-call", "copy"])  # (a batch of more than a few rows is COPYed)
def test_hostile_text_round_trips_byte_for_byte_and_hashes_as_on_sqlite(log, padding):
    drafts = [place(pid=f"p{i}", name=text, id=f"h.{i}:x-{i}", sources=[Source(outlet=text, quote=text[:1000])])
              for i, text in enumerate(HOSTILE)]
    drafts.append(Draft(event=StatementIssued(speaker="someone", text=HOSTILE[1] + HOSTILE[5]), valid=day("2024-12-01"), id="st"))
    drafts += [place(pid=f"pad{i}", name=HOSTILE[i % len(HOSTILE)][:100], id=f"pad-{i}") for i in range(padding)]
    log.clock = FixedClock(T0)
    log.append(drafts)
    for d in drafts:
        assert (d.event, d.sources) == (log.get(d.id).event, log.get(d.id).sources)
    with Log.create(":memory:", zone=ZONE, clock=FixedClock(T0), author=log.author) as lite:
        lite.append(drafts)
        assert rows(lite) == rows(log)
    assert verify(log).ok


# --- between the backends ------------------------------------------------------------------------------------------


def _import(store, data: bytes) -> None:
    store.import_stream(jsonl.read_records(data.splitlines(), store.zone, allow_stored=True))


def test_the_bundled_chronicle_goes_sqlite_to_postgres_to_sqlite_to_the_same_head(pg_url):
    with open_in_memory() as bundled:
        data = export(bundled)
        with PgLog.create(pg_url, zone=bundled.zone) as pg:
            _import(pg, data)
            assert bundled.head() == pg.head() and verify(pg).ok
            assert data == export(pg)
            with Log.create(":memory:", zone=bundled.zone) as back:
                _import(back, export(pg))
                assert bundled.head() == back.head()
                assert rows(bundled) == rows(back) == rows(pg)


def test_a_log_with_corrections_provenance_and_settings_round_trips_through_postgres(pg_url, tmp_path):
    with Log.create(str(tmp_path / "a.db"), zone=ZONE, clock=FixedClock(T0, step=timedelta(seconds=1))) as lite:
        lite.append([place(id="p1"), call(id="c1", after=["p1"])])
        lite.import_records([(call(caller="m", callee="n", id="m1"), {"provenance": {"origin": {"log": "other", "seq": 9}}})])
        lite.append(Draft(event=EventRetracted(target="c1", reason="a 'rumour'"), id="r1"))
        data = export(lite)
        with PgLog.create(pg_url, zone=ZONE) as pg:
            _import(pg, data)
            assert lite.head() == pg.head() and rows(lite) == rows(pg)
            assert ["r1"] == [e.id for e in pg.corrections_of("c1")]


# --- properties: what SQLite stores, PostgreSQL stores the same ------------------------------------------------------


@given(st.lists(strategies.any_event, min_size=1, max_size=5), strategies.valid_times() | strategies.any_valid_times(),
       strategies.sources)
def test_any_events_are_stored_as_sqlite_stores_them_byte_for_byte(pg_server, evs, valid, sources):
    drafts = [Draft(event=e, valid=None if (e.timeless or isinstance(e, EventRetracted)) else valid, sources=sources, id=f"x{i}")
              for i, e in enumerate(evs)]
    assume(not any(e.correction for e in evs))
    with pg_server.database() as url, PgLog.create(url, zone=ZONE, clock=FixedClock(T0)) as pg, \
            Log.create(":memory:", zone=ZONE, clock=FixedClock(T0), author=pg.author) as lite:
        assert lite.append(drafts) == pg.append(drafts)
        assert rows(lite) == rows(pg)
        assert [(d.event, d.valid, d.sources) for d in drafts] == [(e.event, e.valid, e.sources) for e in pg.entries()]


@given(strategies.fact_drafts(max_size=8), st.data())
def test_an_export_from_sqlite_imports_into_postgres_to_the_same_log_and_back(pg_server, drafts, data):
    with Log.create(":memory:", zone=ZONE, clock=FixedClock(T0, step=timedelta(seconds=1))) as lite:
        lite.append(strategies.descriptions())
        lite.append(drafts)
        if data.draw(st.booleans()):
            lite.append(Draft(event=EventRetracted(target=drafts[0].id, reason="x")))
        lines = export(lite).splitlines()
        batch = data.draw(st.integers(1, 60))
        with pg_server.database() as url, PgLog.create(url, zone=ZONE, clock=FixedClock(T0 + timedelta(days=1))) as pg:
            for _ in range(2):  # (the second import of the same file adds nothing)
                pg.import_stream(jsonl.read_records(lines, ZONE, allow_stored=True), batch_size=batch)
                assert lite.head() == pg.head() and rows(lite) == rows(pg)
            with Log.create(":memory:", zone=ZONE) as back:
                _import(back, export(pg))
                assert rows(lite) == rows(back)


_TEXT_COLUMNS = ("id", "type", "valid_meta", "body", "sources", "links", "prev_hash", "hash")
_INT_COLUMNS = ("version", "valid_lo", "valid_hi", "recorded")


@given(strategies.fact_drafts(max_size=6), st.data())
def test_any_change_a_superuser_makes_to_a_stored_row_is_caught_by_verify(pg_server, drafts, data):
    with pg_server.database() as url, PgLog.create(url, zone=ZONE, clock=FixedClock(T0, step=timedelta(seconds=1))) as pg, \
            superuser(url) as conn:
        pg.append(strategies.descriptions())
        pg.append(drafts)
        seq = data.draw(st.integers(1, pg.head().seq))
        column = data.draw(st.sampled_from(_TEXT_COLUMNS + _INT_COLUMNS))
        value = conn.execute(f"SELECT {column} FROM events WHERE seq = %s", (seq,)).fetchone()[0]
        assume(value is not None)
        if column in _INT_COLUMNS:
            new = value + data.draw(st.integers(1, 10**6) | st.integers(-(10**6), -1))
        else:
            pos = data.draw(st.integers(0, len(value) - 1))
            new = value[:pos] + data.draw(st.characters(codec="ascii", min_codepoint=1).filter(lambda c: c != value[pos])) + value[pos + 1:]
        note(f"{column} of {seq}: {value!r} -> {new!r}")
        conn.execute("ALTER TABLE events DISABLE TRIGGER events_no_update")
        try:
            conn.execute(f"UPDATE events SET {column} = %s WHERE seq = %s", (new, seq))
        except psycopg.errors.UniqueViolation:
            assume(False)  # the server itself refuses this change (an id made equal to another): nothing to catch
        report = verify(pg)
        assert (False, seq) == (report.ok, report.position)


# --- the server's clock, NOTIFY, opening --------------------------------------------------------------------------------


@pytest.mark.parametrize("careful", [False, True], ids=["one-call", "under-the-lock"])
def test_recorded_time_is_the_server_s_clock_and_never_decreases(log, pg_url, careful):
    def append(store, draft):  # (an expected position takes the careful way: the lock, then the write)
        return store.append(draft, expected_position=store.head().seq if careful else None)[0]

    with superuser(pg_url) as conn:
        before = conn.execute("SELECT clock_timestamp()").fetchone()[0]
        first = append(log, call(id="c1"))
        with PgLog.open(pg_url) as other:
            second = append(other, call(caller="x", callee="y", id="c2"))
        after = conn.execute("SELECT clock_timestamp()").fetchone()[0]
    assert before <= first.recorded <= second.recorded <= after


# --- an append in one call (chrono_append), and the careful way beside it ----------------------------------


def test_a_log_made_before_chrono_append_is_appended_to_the_careful_way(log, pg_url):
    log.append(call(id="c1"))
    with superuser(pg_url) as conn:
        conn.execute("DROP FUNCTION chrono_append")
    with PgLog.open(pg_url) as old:
        assert [2, 3] == [e.seq for e in old.append([call(caller="x", callee="y", id="c2"), call(caller="z", callee="w")])]
        assert 4 == old.append(call(caller="q", callee="r"))[0].seq
        assert verify(old).ok and 4 == len(list(old.entries()))


def test_an_id_already_in_the_log_is_refused_by_the_server_and_found_the_careful_way(log, pg_url):
    first = log.append(call(id="c1"))[0]
    with PgLog.open(pg_url) as other:  # (a writer that has not seen c1)
        assert [first] == other.append(call(id="c1"))  # the same content: the entry there
        with pytest.raises(DuplicateEventError):
            other.append(call(caller="x", callee="y", id="c1"))
        with pytest.raises(DuplicateEventError):
            other.append([call(caller="x", callee="y", id="c2"), call(caller="z", callee="w", id="c2")])
        assert 1 == other.head().seq and verify(other).ok


def test_a_server_that_chains_an_append_otherwise_is_caught_at_its_first_append(log, pg_url):
    log.append(call(id="c1"))
    with superuser(pg_url) as conn:
        definition = conn.execute("SELECT pg_get_functiondef('chrono_append'::regproc)").fetchone()[0]
        altered = definition.replace("ELSE E'\\x1f' || provenance", "ELSE E'\\x1e' || provenance")
        assert altered != definition
        conn.execute(altered)
    with pytest.raises(TamperedError) as e:
        log.append(call(caller="x", callee="y", id="c2"))
    assert one_line(e.value) and "c2" in str(e.value) and 2 == e.value.position
    assert not verify(log).ok  # (what the server wrote is there: verify shows it too)


def test_an_append_notifies_its_new_head_on_commit_and_a_failed_one_nothing(log, pg_url):
    with log.listen() as listener, PgLog.open(pg_url) as other:
        assert listener.wait(0.05) is None
        other.append([call(id="c1"), call(caller="x", callee="y", id="c2")])
        assert 2 == listener.wait(10)
        with pytest.raises(ChronoError):
            other.append([call(caller="z", callee="w", id="c3"), Draft(event=CallMade(caller="q", callee="r"))])
        assert listener.wait(0.2) is None
        with other.staged():
            other.append(call(caller="z", callee="w", id="c3"))
        assert listener.wait(0.2) is None  # (a stage not committed)
        other.append(call(caller="z", callee="w", id="c3"))
        assert [3] == list(listener.heads(timeout=0.2))


def test_opening_a_database_without_a_log_is_refused_in_one_line(pg_url):
    with pytest.raises(NotALogError) as e:
        PgLog.open(pg_url)
    assert one_line(e.value) and "no Chrono log" in str(e.value) and "chrono init" in str(e.value)


def test_opening_a_log_of_a_newer_schema_is_refused(log, pg_url):
    with superuser(pg_url) as conn:
        conn.execute("UPDATE chrono_meta SET value = '99' WHERE key = 'schema'")
    with pytest.raises(NotALogError, match="newer Chrono"):
        PgLog.open(pg_url)


def test_no_server_is_a_one_line_storage_error_naming_it(tmp_path):
    url = f"postgresql://nobody@/chrono?host={tmp_path}&port=5999"
    for attempt in (PgLog.open, PgLog.create):
        with pytest.raises(StorageError) as e:
            attempt(url)
        assert one_line(e.value) and f"PostgreSQL at {tmp_path}:5999/chrono" in str(e.value)


def test_creating_a_log_where_one_is_refuses(log, pg_url):
    with pytest.raises(ChronoError, match="already holds a Chrono log"):
        PgLog.create(pg_url)


def test_a_read_only_handle_cannot_write(log, pg_url):
    log.append(call(id="c1"))
    with PgLog.open(pg_url, readonly=True) as ro:
        assert ["c1"] == [e.id for e in ro.entries()]
        with pytest.raises(StorageError, match="read-only"):
            ro.append(call(caller="x", callee="y", id="c2"))


def test_the_default_author_is_the_connection_s_role(log):
    assert "postgres" == log.default_author


def test_a_password_in_the_address_is_never_shown(log, pg_server, pg_url):
    with pytest.raises(StorageError) as e:
        PgLog.open(pg_server.url("nothere", password="s3cret"))
    assert "s3cret" not in str(e.value)
    database = pg_url.split("/")[3].split("?")[0]
    with PgLog.open(pg_server.url(database, password="s3cret")) as lg:  # (the test cluster trusts: any password will do)
        assert "s3cret" not in lg.path + lg.where and lg.path.startswith("postgresql://postgres@/")


# --- choosing the backend -------------------------------------------------------------------------------------------------


def test_an_address_chooses_postgres_and_a_path_sqlite(pg_url, tmp_path):
    assert on_server(pg_url) and on_server("postgres://h/db") and not on_server(str(tmp_path / "x.db"))
    with create_log(pg_url, zone=ZONE) as pg, create_log(str(tmp_path / "x.db"), zone=ZONE) as lite:
        assert (PgLog, Log) == (type(pg), type(lite))
    with open_log(pg_url) as pg, open_log(str(tmp_path / "x.db")) as lite:
        assert (PgLog, Log) == (type(pg), type(lite))


def test_psycopg_is_imported_only_for_a_postgres_address():
    code = "import sys, chrono.logs, chrono.pgstore, chrono.store, cli; print('psycopg' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert "False" == out.strip()


def test_without_psycopg_a_postgres_address_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # (import psycopg then raises ImportError)
    with pytest.raises(StorageError) as e:
        open_log("postgresql://localhost/chrono")
    assert "pip install 'chrono[postgres]'" in str(e.value) and one_line(e.value)


def test_a_creator_that_may_not_make_the_roles_is_told_what_a_dba_must_do(pg_server, pg_url):
    name = f"owner_{os.getpid()}_{next(_roles)}"
    with superuser(pg_url) as conn:
        conn.execute(f'CREATE ROLE "{name}" LOGIN; GRANT CREATE ON SCHEMA public TO "{name}"')
    owner_url = pg_server.url(pg_url.split("/")[3].split("?")[0], user=name)
    with pytest.raises(ChronoError) as e:
        PgLog.create(owner_url, writer_role="chrono_nobody_w", reader_role="chrono_nobody_r")
    assert one_line(e.value) and "CREATE ROLE chrono_nobody_w NOLOGIN" in str(e.value)
    with pg_server.database() as other:
        PgLog.create(other).close()  # (which makes the default roles)
    with PgLog.create(owner_url, zone=ZONE) as lg:  # (they exist: granting its own tables needs nothing more)
        lg.append(call(id="c1"))
        assert name == lg.default_author


def test_logs_in_two_schemas_of_one_database_are_apart(pg_url):
    with superuser(pg_url) as conn:
        conn.execute("CREATE SCHEMA syria; CREATE SCHEMA sudan")
    at = {s: f"{pg_url}&options=-csearch_path%3D{s}" for s in ("syria", "sudan")}
    with PgLog.create(at["syria"], zone=ZONE) as syria, PgLog.create(at["sudan"], zone="Africa/Khartoum") as sudan:
        assert ("syria", "sudan") == (syria.name, sudan.name) and syria.channel != sudan.channel
        with syria.listen() as heard:
            syria.append([place(id="p1"), call(id="c1")])
            sudan.append(call(id="c1"))
            assert 2 == heard.wait(10) and heard.wait(0.2) is None
        assert ([1, 2], [1]) == ([e.seq for e in syria.entries()], [e.seq for e in sudan.entries()])
        with PgLog.open(at["sudan"]) as again:
            assert "Africa/Khartoum" == again.zone
