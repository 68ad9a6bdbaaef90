"""What only the SQLite log has: creating and opening files (and refusing foreign ones), append-only
triggers, verify catching rows changed behind the log's back, a file log reopened after an import, and
rows written by an older schema. The laws every store keeps are in test_store_contract.py."""

import io
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from chrono import codec, jsonl
from chrono.clock import FixedClock
from chrono.entry import Draft
from chrono.errors import ChronoError, InvalidEventError, NotALogError
from chrono.store import Log, row_hash, verify
from chrono.timeval import parse_valid_time, to_micros
from events import CallMade, PersonMoved, PlaceDescribed

ZONE = "Asia/Damascus"
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
COLUMNS = "seq, id, type, version, valid_lo, valid_hi, valid_meta, recorded, body, sources, links, target, prev_hash, hash"


def day(literal: str):
    return parse_valid_time(literal, ZONE)


def call(caller="lavrov", callee="fidan", when="2024-12-01", **kw) -> Draft:
    return Draft(event=CallMade(caller=caller, callee=callee), valid=day(when), **kw)


def place(pid="aleppo", name="Aleppo", **kw) -> Draft:
    return Draft(event=PlaceDescribed(place=pid, name=name), **kw)


def rows(log: Log) -> list[tuple]:
    return log.conn.execute(f"SELECT {COLUMNS} FROM events ORDER BY seq").fetchall()


@pytest.fixture
def log():
    with Log.create(":memory:", zone=ZONE, clock=FixedClock(T0, step=timedelta(seconds=1))) as lg:
        yield lg


@pytest.fixture
def file_log(tmp_path):
    path = str(tmp_path / "log.db")
    lg = Log.create(path, zone=ZONE, clock=FixedClock(T0, step=timedelta(seconds=1)))
    lg.append([place(id="p1"), call(id="c1"), call(caller="a", callee="b", id="c2"), call(caller="c", callee="d", id="c3")])
    yield lg, path
    lg.close()


def unlock(conn: sqlite3.Connection) -> None:
    """Tampering needs the append-only triggers out of the way first."""
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("DROP TRIGGER events_no_delete")


# --- creating and opening ----------------------------------------------------------------------------


def test_create_refuses_unknown_zone(tmp_path):
    path = tmp_path / "x.db"
    with pytest.raises(ChronoError):
        Log.create(str(path), zone="Mars/Base")
    assert not path.exists()


def test_create_refuses_existing_file(tmp_path):
    path = tmp_path / "x.db"
    path.write_bytes(b"precious")
    with pytest.raises(ChronoError):
        Log.create(str(path))
    assert b"precious" == path.read_bytes()


def test_open_reads_back_zone_and_entries(file_log):
    lg, path = file_log
    with Log.open(path) as again:
        assert ZONE == again.zone
        assert ["p1", "c1", "c2", "c3"] == [e.id for e in again.entries()]


def test_open_missing_file_is_an_error(tmp_path):
    with pytest.raises(ChronoError):
        Log.open(str(tmp_path / "none.db"))
    assert not (tmp_path / "none.db").exists()


def test_open_non_sqlite_file_is_not_a_log(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("these are my notes, not a database\n" * 50)
    with pytest.raises(NotALogError):
        Log.open(str(path))


def test_open_sqlite_without_chrono_tables_is_not_a_log(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE things (x)")
    conn.commit()
    conn.close()
    with pytest.raises(NotALogError):
        Log.open(str(path))


def test_open_sqlite_with_foreign_meta_is_not_a_log(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE chrono_meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("CREATE TABLE events (seq INTEGER)")
    conn.execute("INSERT INTO chrono_meta VALUES ('app', 'something-else')")
    conn.commit()
    conn.close()
    with pytest.raises(NotALogError):
        Log.open(str(path))


def test_open_newer_schema_is_not_a_log(file_log):
    lg, path = file_log
    lg.conn.execute("UPDATE chrono_meta SET value = '99' WHERE key = 'schema'")
    with pytest.raises(NotALogError) as e:
        Log.open(path)
    assert "newer" in str(e.value)


# --- append-only ---------------------------------------------------------------------------------------------


def test_update_is_refused_by_the_database(log):
    log.append(call(id="c1"))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        log.conn.execute("UPDATE events SET body = '{}' WHERE seq = 1")
    assert "c1" == log.get("c1").id


def test_delete_is_refused_by_the_database(log):
    log.append(call(id="c1"))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        log.conn.execute("DELETE FROM events")
    assert 1 == len(log)


def test_update_is_refused_from_another_connection(file_log):
    lg, path = file_log
    other = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            other.execute("UPDATE events SET recorded = 0")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            other.execute("DELETE FROM events WHERE seq = 4")
    finally:
        other.close()
    assert verify(lg).ok


# --- verify catches what was changed behind the log's back ----------------------------------------------


def test_verify_catches_a_changed_payload_byte(file_log):
    lg, _ = file_log
    unlock(lg.conn)
    lg.conn.execute("UPDATE events SET body = replace(body, 'lavrov', 'lavrox') WHERE seq = 2")
    report = verify(lg)
    assert (False, 2) == (report.ok, report.position)
    assert 1 == report.count


def test_verify_catches_a_changed_recorded_time(file_log):
    lg, _ = file_log
    unlock(lg.conn)
    lg.conn.execute("UPDATE events SET recorded = recorded + 1 WHERE seq = 3")
    report = verify(lg)
    assert (False, 3) == (report.ok, report.position)


def test_verify_catches_a_changed_valid_time(file_log):
    lg, _ = file_log
    unlock(lg.conn)
    lg.conn.execute("UPDATE events SET valid_lo = valid_lo - 1 WHERE seq = 2")
    assert (False, 2) == (verify(lg).ok, verify(lg).position)


def test_verify_catches_two_swapped_rows(file_log):
    lg, _ = file_log
    unlock(lg.conn)
    lg.conn.execute("UPDATE events SET seq = -1 WHERE seq = 2")
    lg.conn.execute("UPDATE events SET seq = 2 WHERE seq = 3")
    lg.conn.execute("UPDATE events SET seq = 3 WHERE seq = -1")
    report = verify(lg)
    assert (False, 2) == (report.ok, report.position)


def test_verify_catches_a_row_that_does_not_follow_the_one_before(file_log):
    lg, _ = file_log
    unlock(lg.conn)
    # Row 2 given another previous hash and its own hash recomputed: every row's hash still matches
    # its content, and only the link between rows 1 and 2 is broken.
    row = list(lg.conn.execute(f"SELECT {COLUMNS}, provenance FROM events WHERE seq = 2").fetchone())
    row[12] = "f" * 64
    row[13] = row_hash(row[:13], row[14])
    lg.conn.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE seq = 2", (row[12], row[13]))
    report = verify(lg)
    assert (False, 2, "position 2 does not follow the previous entry's hash") == (report.ok, report.position, report.problem)


def test_verify_catches_a_deleted_middle_row(file_log):
    lg, _ = file_log
    unlock(lg.conn)
    lg.conn.execute("DELETE FROM events WHERE seq = 2")
    report = verify(lg)
    assert (False, 2) == (report.ok, report.position)


def test_verify_catches_a_deleted_last_row_given_the_old_head(file_log):
    lg, _ = file_log
    old_head = lg.head().hash
    unlock(lg.conn)
    lg.conn.execute("DELETE FROM events WHERE seq = 4")
    assert verify(lg).ok  # a shorter chain is still a chain ...
    report = verify(lg, head=old_head)  # ... but no longer reaches the published head
    assert (False, 4) == (report.ok, report.position)


def test_verify_catches_a_rewritten_chain_given_the_old_head(file_log):
    lg, _ = file_log
    old_head = lg.head().hash
    unlock(lg.conn)
    # Rewrite entry 4 and recompute its hash so the chain itself is consistent again.
    row = list(lg.conn.execute(f"SELECT {COLUMNS}, provenance FROM events WHERE seq = 4").fetchone())
    row[8] = row[8].replace('"c"', '"e"')
    row[13] = row_hash(row[:13], row[14])
    lg.conn.execute("UPDATE events SET body = ?, hash = ? WHERE seq = 4", (row[8], row[13]))
    assert verify(lg).ok
    assert (False, 5) == (verify(lg, head=old_head).ok, verify(lg, head=old_head).position)


def test_verify_catches_tampering_through_another_connection(file_log):
    lg, path = file_log
    other = sqlite3.connect(path)
    unlock(other)
    other.execute("UPDATE events SET sources = '[{\"outlet\":\"forged\"}]' WHERE seq = 1")
    other.commit()
    other.close()
    with Log.open(path) as again:
        report = verify(again)
    assert (False, 1) == (report.ok, report.position)


# --- export and import -----------------------------------------------------------------------------------


def export(lg: Log) -> bytes:
    buf = io.BytesIO()
    jsonl.write_entries(lg.entries(), buf)
    return buf.getvalue()


def import_into(lg: Log, data: bytes):
    records = list(jsonl.read_records(data.splitlines(), lg.zone, allow_stored=True))
    return lg.import_records([(d, s) for _, d, s in records], line_numbers=[n for n, _, _ in records])


def test_export_then_import_into_a_file_log_reproduces_the_head_hash_when_reopened(file_log, tmp_path):
    lg, _ = file_log
    data = export(lg)
    with Log.create(str(tmp_path / "copy.db"), zone=ZONE) as copy:
        import_into(copy, data)
    with Log.open(str(tmp_path / "copy.db")) as again:
        assert lg.head().hash == again.head().hash
        assert rows(lg) == rows(again)


def test_read_records_refuses_stored_fields_unless_allowed():
    line = b'{"id":"a","type":"CallMade","event":{"caller":"a","callee":"b"},"valid":"2024-12-01","recorded":"2024-12-02T00:00:00+00:00"}'
    with pytest.raises(InvalidEventError) as e:
        list(jsonl.read_records([line], ZONE, allow_stored=False))
    assert str(e.value).startswith("line 1:")


# --- upcasting ---------------------------------------------------------------------------------------------


def insert_v1_person_moved(lg: Log, event_id: str = "mv-old") -> None:
    """A row exactly as a Chrono with PersonMoved version 1 wrote it (destination/origin)."""
    head = lg.head()
    valid = day("2024-12-08")
    row = [
        head.seq + 1, event_id, "PersonMoved", 1, valid.lo, valid.hi, codec.valid_meta(valid),
        to_micros(head.recorded or T0), codec.canonical({"person": "assad", "destination": "moscow", "origin": "damascus"}),
        "[]", codec.canonical({"after": [], "before": []}), None, head.hash,
    ]
    row.append(row_hash(row))
    lg.conn.execute(f"INSERT INTO events ({COLUMNS}) VALUES ({', '.join('?' * 14)})", row)


def test_replay_upcasts_person_moved_version_one(log):
    log.append(place(id="p1"))
    insert_v1_person_moved(log)
    entry = log.get("mv-old")
    assert PersonMoved(person="assad", to_place="moscow", from_place="damascus") == entry.event
    assert (1, 2) == (entry.version, entry.event.version)
    assert verify(log).ok


def test_replay_upcasts_version_one_without_origin(log):
    assert {"person": "p", "to_place": "x"} == codec.upcast("PersonMoved", 1, {"person": "p", "destination": "x"})


def test_structure_newer_version_than_known_is_refused():
    with pytest.raises(InvalidEventError):
        codec.structure_event("PersonMoved", 3, {"person": "a", "to_place": "b"})


def test_export_then_import_of_a_log_with_an_old_version_entry_reproduces_the_head_hash(log):
    log.append(place(id="p1"))
    insert_v1_person_moved(log)
    data = export(log)
    with Log.create(":memory:", zone=ZONE) as copy:
        import_into(copy, data)
        assert log.head().hash == copy.head().hash
