"""The SQLite log: positions, recorded time, batches, idempotency, concurrency, append-only, verify,
opening foreign files, export/import and upcasting old payloads."""

import io
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from chrono import codec, jsonl
from chrono.clock import FixedClock
from chrono.entry import Draft
from chrono.errors import (
    ChronoError,
    ConflictError,
    DuplicateEventError,
    InvalidEventError,
    NotALogError,
    TamperedError,
    UnknownEventError,
)
from chrono.store import GENESIS, Log, row_hash, verify
from chrono.timeval import parse_valid_time, to_micros
from events import (
    CallMade,
    CityCaptured,
    EventCorrected,
    EventRetracted,
    PersonDescribed,
    PersonMoved,
    PlaceDescribed,
    Source,
)

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


def test_create_empty_log_has_genesis_head(log):
    head = log.head()
    assert (0, GENESIS, None) == (head.seq, head.hash, head.recorded)
    assert 0 == len(log)
    assert ZONE == log.zone


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


# --- positions and recorded time --------------------------------------------------------------------


def test_append_positions_are_gap_free_from_one(log):
    log.append(place(id="p1"))
    log.append([call(id="c1"), call(caller="x", callee="y", id="c2")])
    log.append(call(caller="z", callee="w", id="c3"))
    assert [1, 2, 3, 4] == [e.seq for e in log.entries()]
    assert 4 == log.head().seq


def test_append_returns_stored_entries(log):
    out = log.append([place(id="p1"), call(id="c1")])
    assert [(1, "p1"), (2, "c1")] == [(e.seq, e.id) for e in out]
    assert [e.hash for e in out] == [e.hash for e in log.entries()]


def test_append_generates_ids(log):
    a, b = log.append([call(), call(caller="x", callee="y")])
    assert a.id != b.id
    assert a.id.startswith("ev-")


def test_append_recorded_time_comes_from_the_clock(log):
    log.clock.now = T0
    first = log.append(call(id="c1"))[0]
    second = log.append(call(caller="x", callee="y", id="c2"))[0]
    assert T0 == first.recorded
    assert T0 + timedelta(seconds=1) == second.recorded


def test_append_batch_shares_one_recorded_time(log):
    log.clock.now = T0
    out = log.append([call(id="c1"), call(caller="x", callee="y", id="c2")])
    assert [T0, T0] == [e.recorded for e in out]


def test_append_recorded_time_never_goes_backwards_when_the_clock_does():
    clock = FixedClock(T0)
    with Log.create(":memory:", clock=clock) as lg:
        lg.append(call(id="c1"))
        clock.now = T0 - timedelta(days=3)
        second = lg.append(call(caller="x", callee="y", id="c2"))[0]
        assert T0 == second.recorded
        assert verify(lg).ok


def test_append_refuses_naive_clock():
    with Log.create(":memory:", clock=lambda: datetime(2025, 1, 1)) as lg:
        with pytest.raises(ChronoError):
            lg.append(call(id="c1"))
        assert 0 == len(lg)


def test_entries_known_at_sees_only_what_was_recorded_by_then(log):
    log.clock.now = T0
    log.append(call(id="c1"))
    log.append(call(caller="x", callee="y", id="c2"))
    assert ["c1"] == [e.id for e in log.entries(known_at=T0)]
    assert [] == [e.id for e in log.entries(known_at=T0 - timedelta(microseconds=1))]


# --- batches ------------------------------------------------------------------------------------------


def test_append_batch_with_bad_draft_in_the_middle_leaves_the_log_unchanged(log):
    log.append(place(id="p1"))
    before = rows(log)
    batch = [call(id="c1"), Draft(event=CallMade(caller="x", callee="y"), valid=None, id="c2"), call(caller="z", callee="w", id="c3")]
    with pytest.raises(InvalidEventError):
        log.append(batch)
    assert before == rows(log)
    assert log.find("c1") is None


def test_append_batch_with_bad_id_in_the_middle_leaves_the_log_unchanged(log):
    before = rows(log)
    with pytest.raises(InvalidEventError):
        log.append([call(id="c1"), call(id="not an id!"), call(id="c3")])
    assert before == rows(log)


def test_append_batch_error_names_the_input_line(log):
    with pytest.raises(InvalidEventError) as e:
        log.append([call(id="c1"), Draft(event=CallMade(caller="x", callee="y"), id="c2")], line_numbers=[7, 9])
    assert str(e.value).startswith("line 9:")


def test_append_after_failed_batch_continues_the_positions(log):
    with pytest.raises(InvalidEventError):
        log.append([call(id="c1"), Draft(event=CallMade(caller="x", callee="y"))])
    log.append(call(id="c9"))
    assert [(1, "c9")] == [(e.seq, e.id) for e in log.entries()]


# --- idempotency ---------------------------------------------------------------------------------------


def test_append_same_id_same_content_is_a_no_op(log):
    first = log.append(call(id="c1"))[0]
    again = log.append(call(id="c1"))
    assert [first] == again
    assert 1 == len(log)


def test_append_same_id_same_content_inside_a_batch_adds_only_the_new(log):
    log.append(call(id="c1"))
    out = log.append([call(id="c1"), call(caller="x", callee="y", id="c2")])
    assert ["c1", "c2"] == [e.id for e in out]
    assert [1, 2] == [e.seq for e in out]
    assert 2 == len(log)


def test_append_same_id_different_content_is_a_duplicate(log):
    log.append(call(id="c1"))
    before = rows(log)
    with pytest.raises(DuplicateEventError):
        log.append(call(caller="someone-else", id="c1"))
    assert before == rows(log)


def test_append_same_id_different_valid_time_is_a_duplicate(log):
    log.append(call(id="c1"))
    with pytest.raises(DuplicateEventError):
        log.append(call(id="c1", when="2024-12-02"))


def test_append_same_id_different_sources_is_a_duplicate(log):
    log.append(call(id="c1"))
    with pytest.raises(DuplicateEventError):
        log.append(call(id="c1", sources=[Source(outlet="Al Majalla")]))


def test_append_same_id_twice_in_one_batch_with_different_content_is_a_duplicate(log):
    with pytest.raises(DuplicateEventError):
        log.append([call(id="c1"), call(caller="x", callee="y", id="c1")])
    assert 0 == len(log)


# --- optimistic concurrency ------------------------------------------------------------------------------


def test_append_expected_position_matching_appends(log):
    log.append(call(id="c1"))
    out = log.append(call(caller="x", callee="y", id="c2"), expected_position=1)
    assert 2 == out[0].seq


def test_append_expected_position_on_empty_log_is_zero(log):
    assert 1 == log.append(call(id="c1"), expected_position=0)[0].seq


def test_append_expected_position_mismatch_is_a_conflict(log):
    log.append([call(id="c1"), call(caller="x", callee="y", id="c2")])
    before = rows(log)
    with pytest.raises(ConflictError) as e:
        log.append(call(caller="z", callee="w", id="c3"), expected_position=1)
    assert (1, 2) == (e.value.expected, e.value.actual)
    assert before == rows(log)


def test_append_two_writers_second_one_conflicts(tmp_path):
    path = str(tmp_path / "log.db")
    Log.create(path, clock=FixedClock(T0)).close()
    with Log.open(path, clock=FixedClock(T0)) as a, Log.open(path, clock=FixedClock(T0)) as b:
        seen = a.head().seq
        assert seen == b.head().seq
        a.append(call(id="c1"), expected_position=seen)
        with pytest.raises(ConflictError):
            b.append(call(caller="x", callee="y", id="c2"), expected_position=seen)
        assert ["c1"] == [e.id for e in b.entries()]


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


# --- what is accepted --------------------------------------------------------------------------------------


def test_append_fact_without_valid_time_is_invalid(log):
    with pytest.raises(InvalidEventError) as e:
        log.append(Draft(event=CityCaptured(place="aleppo", by="hts")))
    assert "valid time" in str(e.value)
    assert 0 == len(log)


def test_append_description_needs_no_valid_time(log):
    entry = log.append(place(id="p1"))[0]
    assert entry.valid is None


def test_append_correction_of_unknown_event_is_refused(log):
    draft = Draft(event=EventCorrected(target="nope", replacement=CallMade(caller="a", callee="b"), reason="r"), valid=day("2024-12-01"))
    with pytest.raises(UnknownEventError):
        log.append(draft)
    assert 0 == len(log)


def test_append_retraction_of_unknown_event_is_refused(log):
    with pytest.raises(UnknownEventError):
        log.append(Draft(event=EventRetracted(target="nope", reason="r")))
    assert 0 == len(log)


def test_append_retraction_with_valid_time_is_invalid(log):
    log.append(call(id="c1"))
    with pytest.raises(InvalidEventError):
        log.append(Draft(event=EventRetracted(target="c1", reason="r"), valid=day("2024-12-01")))


def test_append_correction_of_event_in_the_same_batch_is_accepted(log):
    out = log.append([call(id="c1"), Draft(event=EventRetracted(target="c1", reason="dup"), id="r1")])
    assert "c1" == out[1].target


def test_append_correction_with_other_type_is_invalid(log):
    log.append(call(id="c1"))
    draft = Draft(event=EventCorrected(target="c1", replacement=CityCaptured(place="x", by="y"), reason="r"), valid=day("2024-12-01"))
    with pytest.raises(InvalidEventError):
        log.append(draft)


def test_append_after_unknown_event_is_refused(log):
    with pytest.raises(UnknownEventError):
        log.append(call(id="c1", after=["nope"]))


def test_get_unknown_event_is_an_error(log):
    with pytest.raises(UnknownEventError):
        log.get("nope")


def test_corrections_of_lists_corrections_in_order(log):
    log.append(call(id="c1"))
    log.append(Draft(event=EventCorrected(target="c1", replacement=CallMade(caller="a", callee="b"), reason="r"), valid=day("2024-12-02"), id="k1"))
    log.append(Draft(event=EventRetracted(target="c1", reason="r"), id="k2"))
    assert ["k1", "k2"] == [e.id for e in log.corrections_of("c1")]


# --- verify ------------------------------------------------------------------------------------------------


def test_verify_passes_on_a_good_log(file_log):
    lg, _ = file_log
    report = verify(lg)
    assert (True, 4, 4) == (report.ok, report.count, report.head.seq)
    assert report.position is None


def test_verify_passes_on_an_empty_log(log):
    assert verify(log).ok


def test_verify_passes_with_the_current_head(file_log):
    lg, _ = file_log
    assert verify(lg, head=lg.head().hash).ok


def test_verify_passes_with_an_earlier_head(file_log):
    lg, _ = file_log
    old = lg.head().hash
    lg.append(call(caller="later", callee="b", id="c5"))
    assert verify(lg, head=old).ok


def test_verify_chain_links_every_entry(file_log):
    lg, _ = file_log
    entries = list(lg.entries())
    assert [GENESIS] + [e.hash for e in entries[:-1]] == [e.prev_hash for e in entries]


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
    row = list(lg.conn.execute(f"SELECT {COLUMNS} FROM events WHERE seq = 4").fetchone())
    row[8] = row[8].replace('"c"', '"e"')
    row[13] = row_hash(row[:13])
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


def test_verify_reports_progress(file_log):
    lg, _ = file_log
    seen = []
    verify(lg, progress=seen.append)
    assert [1, 2, 3, 4] == seen


# --- the hash chain, pinned ----------------------------------------------------------------------------
# A hash covers every stored column but itself, in a fixed order, joined by a fixed separator. Any change
# to that encoding makes every existing log fail verify, so it is pinned here to literal values.

PINNED_ROW = (
    3, "k1", "EventCorrected", 1, 1732827600000000, 1733086800000000,
    '{"precision":"day","qualifier":"approximate","wording":"by the weekend","zone":"Asia/Damascus"}', 1735732802000000,
    '{"reason":"the date","replacement":{"by":"hts","place":"aleppo","previous":"government","type":"CityCaptured"},"target":"cap"}',
    '[{"attribution":"a source in the operations room","outlet":"Al Majalla","quote":"«they entered»","title":"Revealed",'
    '"url":"https://example.org/a"}]',
    '{"after":["p1"],"before":["cap"]}', "cap", "bfe4c75cf425e86b75f035b47ed773c223b6744005c8ea93cb036ff148ff5f96",
)
PINNED_HASH = "0250e7a8e0e9ecf8ae08b438b35d99f4520ba22460b438ac53629952e5b054fc"


def test_row_hash_of_a_fixed_row_is_pinned():
    assert PINNED_HASH == row_hash(PINNED_ROW)


def test_a_fixed_entry_appended_to_a_new_log_has_a_pinned_hash():
    with Log.create(":memory:", zone=ZONE, clock=FixedClock(T0, step=timedelta(seconds=1))) as lg:
        first = lg.append([
            Draft(event=PlaceDescribed(place="aleppo", name="Aleppo", kind="city", lat=36.2, lon=37.16, aliases=("Halab", "حلب")), id="p1"),
            Draft(event=CityCaptured(place="aleppo", by="hts"), valid=day("2024-11-29"), id="cap"),
        ])
        fixed = lg.append(Draft(
            event=EventCorrected(target="cap", replacement=CityCaptured(place="aleppo", by="hts", previous="government"), reason="the date"),
            valid=parse_valid_time("2024-11-30~", ZONE, "by the weekend"),
            sources=[Source(outlet="Al Majalla", title="Revealed", attribution="a source in the operations room",
                            quote="«they entered»", url="https://example.org/a")],
            id="k1", after=["p1"], before=["cap"]))[0]
        assert ["617a89e2575d9dfd3fd9dba77dd44dcb26191285326c78b2a5b5ed3cc5a6376a",
                "bfe4c75cf425e86b75f035b47ed773c223b6744005c8ea93cb036ff148ff5f96"] == [e.hash for e in first]
        assert PINNED_HASH == fixed.hash
        assert (*PINNED_ROW, PINNED_HASH) == rows(lg)[2]


# --- export and import -----------------------------------------------------------------------------------


def export(lg: Log) -> bytes:
    buf = io.BytesIO()
    jsonl.write_entries(lg.entries(), buf)
    return buf.getvalue()


def import_into(lg: Log, data: bytes):
    records = list(jsonl.read_records(data.splitlines(), lg.zone, allow_stored=True))
    return lg.import_records([(d, s) for _, d, s in records], line_numbers=[n for n, _, _ in records])


@pytest.fixture
def rich_log(log):
    log.append([
        Draft(event=PlaceDescribed(place="aleppo", name="Aleppo", kind="city", lat=36.2, lon=37.16, aliases=("Halab",)), id="p1"),
        Draft(event=PersonDescribed(person="al-sharaa", name="Ahmed al-Sharaa", aliases=("al-Joulani",)), id="a1"),
    ])
    log.append(Draft(
        event=CityCaptured(place="aleppo", by="hts"), valid=parse_valid_time("2024-11-29/2024-11-30", ZONE, "by the weekend"),
        sources=[Source(outlet="Al Majalla", attribution="eyewitnesses", quote="«they entered»")], id="cap",
    ))
    log.append(Draft(event=PersonMoved(person="al-sharaa", to_place="aleppo"), valid=day("2024-12-05~"), id="mv", after=["cap"]))
    log.append(Draft(event=EventCorrected(target="cap", replacement=CityCaptured(place="aleppo", by="hts"), reason="date"), valid=day("2024-11-30"), id="k1"))
    log.append(Draft(event=EventRetracted(target="mv", reason="rumour"), id="k2"))
    return log


def test_export_then_import_into_empty_log_reproduces_the_head_hash(rich_log):
    data = export(rich_log)
    with Log.create(":memory:", zone=ZONE, clock=FixedClock(T0 - timedelta(days=100))) as copy:
        import_into(copy, data)
        assert rich_log.head() == copy.head()
        assert rows(rich_log) == rows(copy)
        assert verify(copy).ok


def test_export_then_import_into_a_file_log_reproduces_the_head_hash(rich_log, tmp_path):
    data = export(rich_log)
    with Log.create(str(tmp_path / "copy.db"), zone=ZONE) as copy:
        import_into(copy, data)
    with Log.open(str(tmp_path / "copy.db")) as again:
        assert rich_log.head().hash == again.head().hash


def test_export_writes_one_line_per_entry(rich_log):
    lines = export(rich_log).splitlines()
    assert 6 == len(lines)
    assert [1, 2, 3, 4, 5, 6] == [codec.loads(line)["seq"] for line in lines]


def test_import_same_file_twice_adds_nothing(rich_log):
    data = export(rich_log)
    with Log.create(":memory:", zone=ZONE) as copy:
        import_into(copy, data)
        head = copy.head()
        import_into(copy, data)
        assert head == copy.head()
        assert 6 == len(copy)


def test_import_altered_export_is_refused(rich_log):
    data = export(rich_log).replace(b"eyewitnesses", b"eyewitnessez")
    with Log.create(":memory:", zone=ZONE) as copy:
        with pytest.raises(TamperedError):
            import_into(copy, data)
        assert 0 == len(copy)


def test_import_export_onto_a_different_log_is_refused(rich_log):
    data = export(rich_log)
    with Log.create(":memory:", zone=ZONE, clock=FixedClock(T0)) as other:
        other.append(call(id="unrelated"))
        with pytest.raises(TamperedError):
            import_into(other, data)
        assert 1 == len(other)


def test_import_recorded_times_going_backwards_is_refused(log):
    later = '{"id":"a","type":"CallMade","event":{"caller":"a","callee":"b"},"valid":"2024-12-01","recorded":"2025-02-01T00:00:00+00:00"}'
    earlier = '{"id":"b","type":"CallMade","event":{"caller":"a","callee":"b"},"valid":"2024-12-01","recorded":"2025-01-01T00:00:00+00:00"}'
    with pytest.raises(InvalidEventError):
        import_into(log, f"{later}\n{earlier}\n".encode())
    assert 0 == len(log)


def test_import_keeps_recorded_times(log):
    line = b'{"id":"a","type":"CallMade","event":{"caller":"a","callee":"b"},"valid":"2024-12-01","recorded":"2024-12-02T00:00:00+00:00"}'
    import_into(log, line)
    assert datetime(2024, 12, 2, tzinfo=UTC) == log.get("a").recorded


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


def test_import_version_one_line_replays_as_version_two(log):
    line = b'{"id":"mv","type":"PersonMoved","version":1,"event":{"person":"assad","destination":"moscow","origin":"damascus"},"valid":"2024-12-08"}'
    import_into(log, line)
    assert PersonMoved(person="assad", to_place="moscow", from_place="damascus") == log.get("mv").event


def test_structure_newer_version_than_known_is_refused():
    with pytest.raises(InvalidEventError):
        codec.structure_event("PersonMoved", 3, {"person": "a", "to_place": "b"})


def test_import_version_one_line_missing_destination_is_invalid(log):
    line = b'{"id":"mv","type":"PersonMoved","version":1,"event":{"person":"assad"},"valid":"2024-12-08"}'
    with pytest.raises(InvalidEventError):
        import_into(log, line)


def test_export_then_import_of_a_log_with_an_old_version_entry_reproduces_the_head_hash(log):
    log.append(place(id="p1"))
    insert_v1_person_moved(log)
    data = export(log)
    with Log.create(":memory:", zone=ZONE) as copy:
        import_into(copy, data)
        assert log.head().hash == copy.head().hash
