"""Start-up costs: what a new log's schema is written with."""

import sqlite3
from datetime import UTC, datetime

import pytest

from chrono.clock import FixedClock

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


# --- the log's schema ---------------------------------------------------------------------------------


def test_a_new_log_has_the_schema_sqlite_utils_wrote(tmp_path):
    """Logs created before Chrono wrote its schema in plain SQL have it as sqlite-utils wrote it; a new
    log's schema must read the same, text for text."""
    sqlite_utils = pytest.importorskip("sqlite_utils")
    from chrono.store import Log

    conn = sqlite3.connect(":memory:", isolation_level=None)
    db = sqlite_utils.Database(conn)
    db["chrono_meta"].create({"key": str, "value": str}, pk="key")
    db["events"].create(
        {"seq": int, "id": str, "type": str, "version": int, "valid_lo": int, "valid_hi": int, "valid_meta": str,
         "recorded": int, "body": str, "sources": str, "links": str, "target": str, "prev_hash": str, "hash": str},
        pk="seq", not_null={"id", "type", "version", "recorded", "body", "sources", "links", "prev_hash", "hash"})
    db["events"].create_index(["id"], unique=True)
    db["events"].create_index(["recorded"])
    db["events"].create_index(["target"])
    for op in ("UPDATE", "DELETE"):
        conn.execute(f"CREATE TRIGGER events_no_{op.lower()} BEFORE {op} ON events "
                     "BEGIN SELECT RAISE(ABORT, 'the chrono log is append-only'); END")
    schema = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
    log = Log.create(str(tmp_path / "new.db"), zone="UTC", clock=FixedClock(NOW))
    assert conn.execute(schema).fetchall() == log.conn.execute(schema).fetchall()
    assert {"app": "chrono", "schema": "1", "zone": "UTC", "name": "new.db", "created": NOW.isoformat()} == dict(
        log.conn.execute("SELECT key, value FROM chrono_meta"))
