"""Nothing lost, nothing forged (issue 6): concurrent writers, crashes, tampering, hostile input and a
hostile environment, schema evolution and moving logs — each proved with a test that can fail.

These are the CI sizes; `python bench/reliability.py` runs the same checks larger (docs/reliability.md).
The child processes run functions from this module (`python -c "from tests.test_reliability import ..."`).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chrono import codec
from chrono.clock import FixedClock
from chrono.entry import Draft
from chrono.errors import ConflictError, LogLockedError, StorageError
from chrono.jsonl import read_records
from chrono.store import Log, row_hash, verify
from chrono.timeval import parse_valid_time
from cli.app import main
from events import CallMade, EventCorrected, EventRetracted, PersonMoved, PlaceDescribed
from projections import cache
from projections.query import state
from projections.resolve import resolve

from . import strategies as s

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).with_name("fixtures")
ZONE = "Asia/Damascus"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
VALID = "2024-12-01T10:00/2024-12-01T12:00"
NOT_A_POSITION = 999_999_999  # --expect-position that never holds: an input that parses still cannot land


# --- helpers shared with bench/reliability.py ----------------------------------------------------


def child(fn: str, *args, **popen) -> subprocess.Popen:
    """Run `fn(*args)` from this module in a fresh Python process (no state shared with the parent)."""
    code = f"import sys; from tests.test_reliability import {fn}; {fn}(*sys.argv[1:])"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], cwd=ROOT, env=env, **popen)


def call(i: int, prefix: str) -> Draft:
    return Draft(event=CallMade(caller=f"a{i % 3}", callee=f"h{i % 5}"), valid=parse_valid_time(VALID, ZONE), id=f"{prefix}-{i}")


def writer_main(path: str, writer: str, count: str, batch: str) -> None:
    """Append `count` events in batches (every tenth round five single appends instead); print a summary.

    A LogLockedError means the batch was not written (the transaction never began), so it is retried."""
    count, batch = int(count), int(batch)
    log = Log.open(path)
    i = rounds = retries = 0
    while i < count:
        size = 1 if rounds % 10 == 9 else batch
        drafts = [call(j, f"w{writer}") for j in range(i, min(count, i + (5 if size == 1 else size)))]
        groups = [[d] for d in drafts] if size == 1 else [drafts]
        for group in groups:
            while True:
                try:
                    log.append(group)
                    break
                except LogLockedError:
                    retries += 1
        i += len(drafts)
        rounds += 1
    print(json.dumps({"writer": writer, "appended": i, "retries": retries}), flush=True)


def reader_main(path: str, target: str) -> None:
    """Replay the log over and over while writers append; every read must be a verified prefix."""
    target, reads, last, bad = int(target), 0, 0, []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        log = Log.open(path, readonly=True)
        try:
            log.conn.execute("BEGIN")  # one snapshot for the whole replay
            report = verify(log)
            n = sum(1 for _ in log.entries())
            log.conn.execute("COMMIT")
        finally:
            log.close()
        reads += 1
        if not report.ok or n != report.count or report.count < last:
            bad.append({"ok": report.ok, "problem": report.problem, "count": report.count, "replayed": n, "before": last})
        last = report.count
        if last >= target:
            break
    print(json.dumps({"reads": reads, "bad": bad, "last": last}), flush=True)


def crasher_main(path: str, mode: str, batch: str, tag: str) -> None:
    """Append (or import) batches of `batch` events forever, rebuilding the cache now and then, until killed."""
    batch = int(batch)
    log = Log.open(path)
    print("ready", flush=True)
    b = 0
    while True:
        drafts = [call(j, f"{tag}-b{b}") for j in range(batch)]
        if mode == "import":
            lines = [codec.canonical({"id": d.id, "type": "CallMade", "event": codec.unstructure_event(d.event), "valid": VALID}) for d in drafts]
            # As `chrono import` writes a file: in several batches inside one transaction, all or nothing.
            log.import_stream(read_records(lines, ZONE, allow_stored=True), batch_size=max(1, batch // 4))
        else:
            log.append(drafts)
        if b % 3 == 2:
            cache.rebuild(log)
        b += 1


def snapshot(path: str) -> str:
    """The log's committed bytes: checkpoint the WAL into the file, then hash the file."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def cli(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def assert_clean_failure(result, codes=(1, 2)) -> str:
    """Exit 1 or 2, no traceback, one `Error:` line; returns that line."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in codes, result.output
    assert "Traceback" not in result.output
    errors = [ln for ln in result.output.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1, result.output
    if result.exit_code == 1:  # a library error: the message is the whole output (warnings aside)
        lines = [ln for ln in result.output.splitlines() if ln.strip() and not ln.startswith("warning:")]
        assert lines == errors, result.output
    return errors[0]


def new_log(path, *, step=timedelta(seconds=1)) -> Log:
    return Log.create(str(path), zone=ZONE, clock=FixedClock(NOW, step=step))


def state_doc(log: Log, at: datetime, known_at: datetime | None = None, *, use_cache: bool = False) -> dict:
    doc, _names = state(log, at, known_at, zone=ZONE, limit=None, use_cache=use_cache)
    doc.pop("known_at")  # "now" moves with the clock between the two questions
    return doc


def facts_key(facts) -> list:
    return [(f.id, f.seq, f.lo, f.hi, codec.canonical(codec.unstructure_event(f.event)), f.via) for f in facts]


def cache_matches_fold(log: Log) -> bool:
    return facts_key(cache.all_facts(log)) == facts_key(resolve(log.entries()).facts)


# --- concurrent writers ----------------------------------------------------------------------------

WRITERS, EVENTS, BATCH = 4, 5_000, 50


def test_concurrent_writers_lose_nothing_and_readers_see_verified_prefixes(tmp_path):
    path = str(tmp_path / "log.db")
    new_log(path).close()
    total = WRITERS * EVENTS
    reader = child("reader_main", path, total, stdout=subprocess.PIPE, text=True)
    writers = [child("writer_main", path, w, EVENTS, BATCH, stdout=subprocess.PIPE, text=True) for w in range(WRITERS)]
    outs = [json.loads(p.communicate(timeout=120)[0]) for p in writers]
    seen = json.loads(reader.communicate(timeout=120)[0])
    assert [0] * WRITERS == [p.returncode for p in writers]
    assert [EVENTS] * WRITERS == [o["appended"] for o in outs]

    with Log.open(path, readonly=True) as log:
        seqs = [r[0] for r in log.conn.execute("SELECT seq FROM events ORDER BY seq")]
        ids = [r[0] for r in log.conn.execute("SELECT id FROM events")]
        report = verify(log)
    assert list(range(1, total + 1)) == seqs  # gap-free
    assert total == len(set(ids))  # nothing duplicated
    assert {f"w{w}-{i}" for w in range(WRITERS) for i in range(EVENTS)} == set(ids)  # nothing lost
    assert report.ok, report.problem
    assert [] == seen["bad"] and seen["reads"] >= 2


def test_two_writers_expecting_the_same_position_one_gets_a_conflict(tmp_path):
    path = str(tmp_path / "log.db")
    new_log(path).close()
    a, b = Log.open(path), Log.open(path)
    at = a.head().seq
    a.append(call(1, "a"), expected_position=at)
    with pytest.raises(ConflictError) as info:
        b.append(call(1, "b"), expected_position=at)
    assert (at, at + 1) == (info.value.expected, info.value.actual)
    assert ["a-1"] == [e.id for e in b.entries()]  # the loser's event was not merged in


def test_racing_writers_with_expected_positions_never_both_win(tmp_path):
    path = str(tmp_path / "log.db")
    new_log(path).close()
    code = ("import sys; from chrono.store import Log; from chrono.errors import ConflictError;"
            "from tests.test_reliability import call; log = Log.open(sys.argv[1]); print('ready', flush=True); sys.stdin.readline()\n"
            "try:\n log.append(call(0, sys.argv[2]), expected_position=0); print('won')\n"
            "except ConflictError: print('conflict')")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", code, path, f"p{i}"], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for i in range(2)]
    for p in procs:
        assert "ready" == p.stdout.readline().strip()
    for p in procs:  # release both at once
        p.stdin.write("go\n")
        p.stdin.flush()
    results = sorted(p.communicate(timeout=30)[0].strip() for p in procs)
    assert ["conflict", "won"] == results
    with Log.open(path) as log:
        assert 1 == len(log)


# --- crashes -----------------------------------------------------------------------------------------

KILL_POINTS, CRASH_BATCH = 16, 200


def kill_points(path: str, n: int, batch: int, rng: random.Random, max_delay: float = 0.6) -> dict:
    """SIGKILL a batch-appending child `n` times at random moments; check the log after every kill."""
    torn = cache_wrong = stale = 0
    for k in range(n):
        mode = "import" if k % 2 else "append"
        with Log.open(path) as log:
            before = len(log)
        p = child("crasher_main", path, mode, batch, f"k{k}", stdout=subprocess.PIPE, text=True)
        assert "ready" == p.stdout.readline().strip()
        time.sleep(rng.uniform(0, max_delay))
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
        p.stdout.close()
        with Log.open(path) as log:
            after = len(log)
            per_batch = log.conn.execute("SELECT count(*) FROM events WHERE id LIKE ? GROUP BY substr(id, 1, instr(substr(id, length(?) + 2), '-') + length(?))",
                                         (f"k{k}-b%", f"k{k}", f"k{k}")).fetchall()
            torn += (after - before) % batch != 0 or any(c != batch for (c,) in per_batch)
            assert verify(log).ok
            if cache.is_fresh(log):
                cache_wrong += not cache_matches_fold(log)
            else:
                stale += 1
    return {"tried": n, "torn": torn, "cache_wrong": cache_wrong, "stale": stale}


def test_sigkill_during_batches_and_imports_leaves_whole_batches_and_a_verifiable_log(tmp_path):
    path = str(tmp_path / "log.db")
    log = new_log(path)
    log.append(s.descriptions())
    log.close()
    figures = kill_points(path, KILL_POINTS, CRASH_BATCH, random.Random(6))
    assert 0 == figures["torn"] and 0 == figures["cache_wrong"], figures

    result = cli("--db", path, "replay")
    assert 0 == result.exit_code, result.output
    with Log.open(path) as log:
        assert cache.is_fresh(log)
        assert cache_matches_fold(log)
        at = datetime(2024, 12, 1, 11, tzinfo=UTC)
        assert state_doc(log, at) == state_doc(log, at, use_cache=True)


def test_a_stale_cache_is_detected_and_rebuilt_on_read(tmp_path):
    path = str(tmp_path / "log.db")
    log = new_log(path)
    log.append(s.descriptions())
    cache.rebuild(log)
    log.append(call(1, "late"))  # the cache no longer matches the head
    assert not cache.is_fresh(log)
    at = datetime(2024, 12, 1, 11, tzinfo=UTC)
    assert state_doc(log, at) == state_doc(log, at, use_cache=True)
    assert cache.is_fresh(log)


# --- tampering -----------------------------------------------------------------------------------------


def _event_log(path) -> str:
    log = new_log(path)
    log.append(s.descriptions())
    log.append([call(i, "c") for i in range(8)])
    log.append(Draft(event=EventRetracted(target="c-3", reason="duplicate"), id="r-1"))
    log.append(Draft(event=EventCorrected(target="c-4", replacement=CallMade(caller="a1", callee="h2"), reason="wrong caller"),
                     valid=parse_valid_time(VALID, ZONE), id="x-1"))
    head = log.head().hash
    log.close()
    return head


def _tamper(path: str, *sql: str, params=()) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER IF EXISTS events_no_update")
    conn.execute("DROP TRIGGER IF EXISTS events_no_delete")
    for stmt in sql:
        conn.execute(stmt, params if "?" in stmt else ())
    conn.close()


def _rehash_all(path: str) -> None:
    """A careful forger: recompute every hash after the edit so the chain is internally consistent."""
    from chrono.store import COLUMNS, GENESIS

    conn = sqlite3.connect(path, isolation_level=None)
    prev = GENESIS
    for row in conn.execute(f"SELECT {COLUMNS} FROM events ORDER BY seq").fetchall():
        row, provenance = list(row[:13]), row[14]
        row[12] = prev
        prev = row_hash(row, provenance)
        conn.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE seq = ?", (row[12], prev, row[0]))
    conn.close()


TAMPERINGS = {
    "payload": (["UPDATE events SET body = replace(body, '\"a1\"', '\"a2\"') WHERE seq = 16"], 16),
    "valid time": (["UPDATE events SET valid_lo = valid_lo - 3600000000 WHERE seq = 14"], 14),
    "recorded time": (["UPDATE events SET recorded = recorded - 1 WHERE seq = 13"], 13),
    "type": (["UPDATE events SET type = 'MeetingHeld' WHERE seq = 12"], 12),
    "id": (["UPDATE events SET id = 'c-99' WHERE seq = 18"], 18),
    "sources": (["UPDATE events SET sources = '[{\"outlet\":\"forged\"}]' WHERE seq = 17"], 17),
    "correction target": (["UPDATE events SET target = 'c-5' WHERE seq = 21"], 21),
    "order (swap)": (["UPDATE events SET seq = -1 WHERE seq = 13", "UPDATE events SET seq = 13 WHERE seq = 18",
                      "UPDATE events SET seq = 18 WHERE seq = -1"], 13),
    "deleted middle": (["DELETE FROM events WHERE seq = 19"], 19),
    "inserted row": (["UPDATE events SET seq = seq + 100 WHERE seq >= 16", "UPDATE events SET seq = seq - 99 WHERE seq >= 116",
                      "INSERT INTO events SELECT 16, 'forged', type, version, valid_lo, valid_hi, valid_meta, recorded, body, sources, links, target, prev_hash, hash, provenance FROM events WHERE seq = 15"], 16),
}


@pytest.mark.parametrize("kind", sorted(TAMPERINGS))
def test_verify_names_the_first_tampered_position(tmp_path, kind):
    path = str(tmp_path / "log.db")
    _event_log(path)
    assert 0 == cli("--db", path, "verify").exit_code
    statements, position = TAMPERINGS[kind]
    _tamper(path, *statements)
    result = cli("--db", path, "verify")
    assert 1 == result.exit_code, result.output
    assert f"TAMPERED at position {position}:" in result.output


@pytest.mark.parametrize("kind", ["deleted tail", "rewritten and rehashed"])
def test_verify_head_catches_a_truncated_or_rewritten_log(tmp_path, kind):
    path = str(tmp_path / "log.db")
    _event_log(path)
    published = cli("--db", path, "head").stdout.split()
    assert ["21"] == published[:1]
    if kind == "deleted tail":
        _tamper(path, "DELETE FROM events WHERE seq >= 19")
    else:
        _tamper(path, "UPDATE events SET body = replace(body, '\"a1\"', '\"a2\"') WHERE seq = 16")
        _rehash_all(path)
    assert 0 == cli("--db", path, "verify").exit_code  # consistent on its own: only the published head tells
    result = cli("--db", path, "verify", "--head", published[1])
    assert 1 == result.exit_code
    assert "no longer reaches head" in result.output


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(data=st.data())
def test_any_single_byte_change_to_a_stored_row_is_caught(tmp_path_factory, data):
    base = tmp_path_factory.getbasetemp() / "tamper-base.db"
    if not base.exists():
        _event_log(str(base))
    path = str(tmp_path_factory.mktemp("t") / "log.db")
    shutil.copy(base, path)
    seq = data.draw(st.integers(1, 21))
    column = data.draw(st.sampled_from(["id", "type", "valid_meta", "body", "sources", "links", "prev_hash", "hash"]))
    conn = sqlite3.connect(path)
    value = conn.execute(f"SELECT {column} FROM events WHERE seq = ?", (seq,)).fetchone()[0]
    conn.close()
    if value is None:
        column, value = "body", None
        conn = sqlite3.connect(path)
        value = conn.execute("SELECT body FROM events WHERE seq = ?", (seq,)).fetchone()[0]
        conn.close()
    raw = bytearray(value.encode())
    i = data.draw(st.integers(0, len(raw) - 1))
    raw[i] = data.draw(st.integers(0, 255).filter(lambda b: b != raw[i]))
    forged = raw.decode("utf-8", errors="replace")
    if forged == value:
        return
    try:
        _tamper(path, f"UPDATE events SET {column} = ? WHERE seq = ?", params=(forged, seq))
    except sqlite3.IntegrityError:  # the edit made an id another row has: the unique index refuses it
        return
    with Log.open(path, readonly=True) as log:
        report = verify(log)
    assert not report.ok
    assert seq == report.position


# --- hostile and broken input ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def victim(tmp_path_factory):
    """A small log with a fresh cache: any command given bad input must leave its bytes as they are."""
    path = str(tmp_path_factory.mktemp("victim") / "log.db")
    _event_log(path)
    assert 0 == cli("--db", path, "replay").exit_code
    return path, snapshot(path)


def _unchanged(victim) -> None:
    path, before = victim
    assert before == snapshot(path), "the log changed"


EVENT_TYPES = ["CallMade", "PersonMoved", "PlaceDescribed", "ControlChanged", "StatementIssued", "EventCorrected", "EventRetracted", "Nope", ""]
json_scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=20) | st.just("x" * 100_000)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
FIELDS = ["caller", "callee", "person", "to_place", "destination", "origin", "place", "name", "lat", "target", "replacement", "reason", "controller", "text"]


@st.composite
def hostile_records(draw) -> dict:
    """A mostly plausible event with at least one thing wrong, or just anything JSON."""
    if draw(st.booleans()):
        rec = {"type": "CallMade", "event": {"caller": "a1", "callee": "h1"}, "valid": VALID}
        for _ in range(draw(st.integers(1, 4))):
            what = draw(st.sampled_from(["type", "version", "field", "drop", "extra", "valid", "after", "id", "sources", "stored"]))
            if what == "type":
                rec["type"] = draw(st.sampled_from(EVENT_TYPES) | json_values)
            elif what == "version":
                rec["version"] = draw(json_values)
            elif what == "field":
                rec.setdefault("event", {})
                if isinstance(rec["event"], dict):
                    rec["event"][draw(st.sampled_from(FIELDS))] = draw(json_values)
            elif what == "drop":
                rec.pop(draw(st.sampled_from(["type", "event", "valid"])), None)
            elif what == "extra":
                rec[draw(st.text(min_size=1, max_size=8))] = draw(json_values)
            elif what == "valid":
                rec["valid"] = draw(json_values | st.text(max_size=40) | st.fixed_dictionaries({"earliest": json_values, "latest": json_values}))
            elif what == "after":
                rec[draw(st.sampled_from(["after", "before"]))] = draw(st.lists(st.text(max_size=10), min_size=1, max_size=2) | json_values)
            elif what == "id":
                rec["id"] = draw(json_values)
            elif what == "sources":
                rec["sources"] = draw(json_values)
            else:
                rec["recorded"] = draw(json_values)
        return rec
    return draw(json_values)


hostile_documents = (
    st.binary(max_size=300)
    | st.builds(lambda v: json.dumps(v).encode(), hostile_records())
    | st.builds(lambda vs: b"\n".join(json.dumps(v).encode() for v in vs), st.lists(hostile_records(), min_size=1, max_size=4))
    | st.builds(lambda v, cut: json.dumps(v).encode()[:cut], hostile_records(), st.integers(0, 60))
    | st.builds(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", errors="surrogatepass"), hostile_records())
    | st.builds(lambda v, junk: json.dumps(v).encode() + junk, hostile_records(), st.binary(min_size=1, max_size=8))
)
FUZZ = settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)


@FUZZ
@given(doc=hostile_documents)
def test_append_json_rejects_hostile_documents_in_one_line_and_leaves_the_log_alone(victim, doc):
    result = cli("--db", victim[0], "append", "--json", "-", "--expect-position", NOT_A_POSITION, input=doc)
    assert_clean_failure(result)
    _unchanged(victim)


def _parses(record) -> bool:
    try:
        codec.draft_from_json(record, ZONE, allow_stored=True)
    except Exception:
        return False
    return True


@FUZZ
@given(good=st.integers(0, 4), bad=hostile_records().filter(lambda r: not _parses(r)), tail=st.integers(0, 2))
def test_import_rejects_a_bad_line_by_number_and_imports_nothing(victim, tmp_path_factory, good, bad, tail):
    lines = [codec.canonical({"id": f"imp-{i}", "type": "CallMade", "event": {"caller": "a1", "callee": "h2"}, "valid": VALID}) for i in range(good)]
    lines.append(json.dumps(bad))
    lines += [codec.canonical({"id": f"imp-t{i}", "type": "CallMade", "event": {"caller": "a1", "callee": "h2"}, "valid": VALID}) for i in range(tail)]
    f = tmp_path_factory.mktemp("imp") / "in.jsonl"
    f.write_text("\n".join(lines) + "\n")
    result = cli("--db", victim[0], "import", f)
    if result.exit_code == 0:  # hypothesis made a valid event after all: only possible without a defect
        pytest.fail(f"accepted a hostile record: {bad!r}")
    line = assert_clean_failure(result)
    assert f"line {good + 1}:" in line or f"line {good + 1} " in line, line
    _unchanged(victim)


@FUZZ
@given(text=st.text(max_size=40) | st.from_regex(r"[0-9T:/?~+Z. -]{1,30}", fullmatch=True))
def test_time_literals_never_crash_and_never_write(victim, text):
    for args in (["state", "--at", text], ["state", "--at", "2024-12-01", "--as-of", text], ["log", "--since", text]):
        result = cli("--db", victim[0], *args)
        if result.exit_code != 0:
            assert_clean_failure(result)
        else:
            assert result.exception is None
    _unchanged(victim)


@FUZZ
@given(field=st.sampled_from(["--caller", "--callee", "--valid", "--id", "--after", "--before", "--title", "--wording", "--nope"]),
       value=st.text(max_size=30) | st.sampled_from(["", "-", "--", "x" * 5000, "h1,,h2", "\x00", "2024-13-45", "a1"]))
def test_field_values_and_entity_names_fail_cleanly_and_never_write(victim, field, value):
    result = cli("--db", victim[0], "append", "CallMade", "--caller", "a1", "--callee", "h1", "--valid", VALID, field, value,
                 "--expect-position", NOT_A_POSITION)
    assert_clean_failure(result)
    _unchanged(victim)


@FUZZ
@given(kind=st.sampled_from(["PlaceDescribed", "PersonMoved", "ControlChanged", "StatementIssued"]),
       field=st.sampled_from(["--lat", "--lon", "--kind", "--place", "--person", "--to-place", "--controller", "--name", "--how"]),
       value=st.text(max_size=20) | st.sampled_from(["1e999", "nan", "-inf", "91", "0x10", "Damascus", "al-Joulani"]))
def test_typed_fields_fail_cleanly_and_never_write(victim, kind, field, value):
    result = cli("--db", victim[0], "append", kind, field, value, "--expect-position", NOT_A_POSITION)
    assert_clean_failure(result)
    _unchanged(victim)


@FUZZ
@given(event_id=st.text(max_size=40) | st.sampled_from(["c-99", "../c-1", "c-1'; DROP TABLE events; --", "x" * 1000]),
       command=st.sampled_from(["correct", "retract"]))
def test_unknown_event_ids_fail_cleanly_and_never_write(victim, event_id, command):
    extra = ["--caller", "a2"] if command == "correct" else []
    result = cli("--db", victim[0], command, event_id, "--reason", "fuzz", *extra)
    assert_clean_failure(result)
    _unchanged(victim)


def test_an_empty_source_fails_cleanly(victim):
    assert_clean_failure(cli("--db", victim[0], "append", "CallMade", "--caller", "a1", "--callee", "h1", "--valid", VALID,
                             "--source", "", "--expect-position", NOT_A_POSITION))
    _unchanged(victim)


@pytest.mark.parametrize("doc", [
    b'{"type":"PersonMoved","version":1,"event":{}}',  # an upcaster meeting a payload it cannot read
    b'{"type":"PersonMoved","version":1,"event":{"person":"h0","to_place":"p1"},"valid":"2024-12-01"}',
    b'{"type":"PlaceDescribed","event":{"place":"p","name":"P","lat":1e999}}',
    b'{"type":"CallMade","event":{"caller":"a1","callee":"h1"},"valid":"2024-12-01","after":["nope"]}',
    b'{"type":"EventRetracted","event":{"target":"nope","reason":"x"}}',
    b'\xff\xfe{"type"}',
])
def test_append_json_regressions(victim, doc):
    assert_clean_failure(cli("--db", victim[0], "append", "--json", "-", input=doc))
    _unchanged(victim)


# --- a hostile environment -------------------------------------------------------------------------------


def _world_dir() -> Path:
    """A directory another user can reach (pytest's tmp_path lives under a 0700 directory)."""
    d = Path(tempfile.mkdtemp(prefix="chrono-ro-"))
    d.chmod(0o777)
    return d


def _run_as_nobody(*args, cwd) -> subprocess.CompletedProcess:
    def drop():
        os.setgid(65534)
        os.setuid(65534)

    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": "/tmp"}
    return subprocess.run([sys.executable, "-m", "cli", *map(str, args)], cwd=cwd, env=env, preexec_fn=drop if os.geteuid() == 0 else None,
                          capture_output=True, text=True, timeout=60)


def test_a_readonly_connection_refuses_writes_with_a_clear_error(tmp_path):
    path = str(tmp_path / "log.db")
    _event_log(path)
    before = snapshot(path)
    with Log.open(path, readonly=True) as log, pytest.raises(StorageError, match="read-only"):
        log.append(call(1, "ro"))
    assert before == snapshot(path)


@pytest.mark.parametrize("where", ["file", "directory"])
def test_a_readonly_log_gives_a_clear_error_and_loses_nothing(where):
    d = _world_dir()
    try:
        path = d / "log.db"
        _event_log(str(path))
        before = snapshot(str(path))
        path.chmod(0o444)
        if where == "directory":
            d.chmod(0o555)
        if os.geteuid() == 0:
            try:
                probe = _run_as_nobody("--version", cwd=d)
            except (PermissionError, OSError) as e:
                pytest.skip(f"running as root and cannot drop to nobody ({e}); root ignores file modes")
            if probe.returncode != 0:
                pytest.skip(f"running as root and nobody cannot run Chrono here: {probe.stderr.strip()[:200]}")
        result = _run_as_nobody("--db", path, "append", "CallMade", "--caller", "a1", "--callee", "h1", "--valid", VALID, cwd=d)
        assert 1 == result.returncode, result.stderr
        assert "Traceback" not in result.stderr
        lines = [ln for ln in result.stderr.splitlines() if ln.strip() and not ln.startswith("warning:")]
        assert 1 == len(lines) and lines[0].startswith("Error:") and ("read-only" in lines[0] or "readonly" in lines[0] or "cannot" in lines[0]), result.stderr
        d.chmod(0o777)
        path.chmod(0o644)
        assert before == snapshot(str(path))
    finally:
        d.chmod(0o777)
        shutil.rmtree(d, ignore_errors=True)


def test_a_log_locked_past_the_timeout_says_so_and_loses_nothing(tmp_path):
    path = str(tmp_path / "log.db")
    _event_log(path)
    assert 0 == cli("--db", path, "replay").exit_code  # a fresh cache: the append then waits only for its own lock
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with Log.open(path) as log:
            log.conn.execute("PRAGMA busy_timeout = 200")
            with pytest.raises(LogLockedError, match="locked by another writer"):
                log.append(call(1, "locked"))
        started = time.monotonic()
        result = cli("--db", path, "append", "CallMade", "--caller", "a1", "--callee", "h1", "--valid", VALID)
        assert "locked by another writer" in assert_clean_failure(result)
        assert time.monotonic() - started < 30
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert 0 == cli("--db", path, "verify").exit_code
    assert 0 == cli("--db", path, "append", "CallMade", "--caller", "a1", "--callee", "h1", "--valid", VALID).exit_code


def _foreign_files(tmp_path) -> dict[str, Path]:
    files = {"random bytes": os.urandom(8192), "text": b"name,place\nAssad,Moscow\n", "empty sqlite header": b"SQLite format 3\x00" + b"\x00" * 84}
    out = {}
    for name, data in files.items():
        out[name] = tmp_path / (name.replace(" ", "-") + ".db")
        out[name].write_bytes(data)
    other = tmp_path / "other-app.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE events (x)")
    conn.execute("CREATE TABLE chrono_meta (key, value)")  # looks like a log, is not one
    conn.commit()
    conn.close()
    out["other app"] = other
    newer = tmp_path / "newer.db"
    _event_log(str(newer))
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE chrono_meta SET value = '99' WHERE key = 'schema'")
    conn.commit()
    conn.close()
    snapshot(str(newer))
    out["newer schema"] = newer
    return out


@pytest.mark.parametrize("command", [["verify"], ["state", "--at", "2024-12-01"], ["append", "CallMade", "--caller", "a1", "--callee", "h1", "--valid", VALID], ["export"], ["replay"]])
def test_not_a_log_or_a_newer_schema_is_refused_and_left_byte_for_byte(tmp_path, command):
    for name, path in _foreign_files(tmp_path).items():
        before = path.read_bytes()
        result = cli("--db", path, *command)
        line = assert_clean_failure(result, codes=(1,))
        assert ("newer Chrono" if name == "newer schema" else "not a Chrono log") in line, (name, line)
        assert before == path.read_bytes(), f"{name}: the file was changed"


def test_a_full_disk_gives_a_clear_error_and_loses_nothing(tmp_path):
    path = str(tmp_path / "log.db")
    head = _event_log(path)
    with Log.open(path) as log:
        pages = log.conn.execute("PRAGMA page_count").fetchone()[0]
        log.conn.execute(f"PRAGMA max_page_count = {pages + 2}")
        big = [Draft(event=PlaceDescribed(place=f"p{i}", name="x" * 2000), id=f"big-{i}") for i in range(200)]
        with pytest.raises(StorageError, match="full"):
            log.append(big)
        assert head == log.head().hash
        assert verify(log).ok
        log.conn.execute("PRAGMA max_page_count = 1073741823")
        log.append(big)
        assert verify(log).ok and 221 == len(log)


# --- schema evolution --------------------------------------------------------------------------------------


def test_a_log_written_with_person_moved_version_1_replays_to_the_same_state(tmp_path):
    path = str(tmp_path / "old.db")
    Log.create(path, zone=ZONE).close()
    fixture = FIXTURES / "person-moved-v1.jsonl"
    lines = [json.loads(ln) for ln in fixture.read_text().splitlines()]
    assert 3 == sum(d["type"] == "PersonMoved" and d["version"] == 1 and "destination" in d["event"] for d in lines)
    result = cli("--db", path, "import", fixture)
    assert 0 == result.exit_code, result.output
    assert json.loads(fixture.read_text().splitlines()[-1])["hash"] == cli("--db", path, "head").stdout.split()[1]
    assert 0 == cli("--db", path, "verify").exit_code
    with Log.open(path) as log:
        assert {1} == {r[0] for r in log.conn.execute("SELECT version FROM events WHERE type = 'PersonMoved'")}  # stored as written
        moved = log.get("assad-to-hmeimim").event
        assert PersonMoved(person="assad", to_place="hmeimim", from_place="damascus") == moved

    def where(at):
        doc = json.loads(cli("--db", path, "state", "--at", at, "--json").output)
        return {w["person"]: (w["place"], w["status"]) for w in doc["whereabouts"]}

    assert {"assad": (None, "unknown"), "maher": ("damascus", "possible")} == where("2024-12-07T12:00")  # maher: from damascus, as the move says; hmeimim pending
    assert {"assad": ("hmeimim", "certain"), "maher": ("hmeimim", "certain")} == where("2024-12-08T03:00")
    assert {"assad": ("moscow", "certain"), "maher": ("hmeimim", "certain")} == where("2024-12-09")
    assert "added 0" in cli("--db", path, "import", fixture).output


def test_an_old_log_exports_and_imports_to_the_same_head(tmp_path):
    a, b = str(tmp_path / "a.db"), str(tmp_path / "b.db")
    for p in (a, b):
        Log.create(p, zone=ZONE).close()
    assert 0 == cli("--db", a, "import", FIXTURES / "person-moved-v1.jsonl").exit_code
    out = tmp_path / "a.jsonl"
    assert 0 == cli("--db", a, "export", "--out", out).exit_code
    assert 0 == cli("--db", b, "import", out).exit_code


# --- moving logs ---------------------------------------------------------------------------------------------


def test_export_then_import_into_an_empty_log_reproduces_it_exactly(tmp_path):
    a, b = str(tmp_path / "a.db"), str(tmp_path / "b.db")
    _event_log(a)
    out = tmp_path / "a.jsonl"
    assert 0 == cli("--db", a, "export", "--out", out).exit_code
    Log.create(b, zone=ZONE).close()
    assert 0 == cli("--db", b, "import", out).exit_code
    assert cli("--db", a, "head").stdout == cli("--db", b, "head").stdout
    assert cli("--db", a, "export").stdout == cli("--db", b, "export").stdout  # same ids, times and hashes
    with Log.open(a) as la, Log.open(b) as lb:
        recorded = [e.recorded for e in la.entries()]
        for at in (datetime(2024, 12, 1, 9, tzinfo=UTC), datetime(2024, 12, 1, 11, tzinfo=UTC), datetime(2024, 12, 2, tzinfo=UTC)):
            for known in (recorded[10], recorded[-2], None):
                assert state_doc(la, at, known) == state_doc(lb, at, known)
    result = cli("--db", b, "import", out)
    assert "added 0" in result.output
    assert cli("--db", a, "head").stdout == cli("--db", b, "head").stdout


def test_importing_an_export_into_a_log_it_does_not_continue_is_refused(tmp_path):
    a, b = str(tmp_path / "a.db"), str(tmp_path / "b.db")
    _event_log(a)
    out = tmp_path / "a.jsonl"
    assert 0 == cli("--db", a, "export", "--out", out).exit_code
    log = new_log(b)
    log.append(call(1, "other"))
    log.close()
    before = snapshot(b)
    assert_clean_failure(cli("--db", b, "import", out), codes=(1,))
    assert before == snapshot(b)


@pytest.mark.parametrize("secure", [0, 1])
def test_a_replay_drops_the_old_cache_without_zeroing_it_and_restores_the_connections_setting(tmp_path, secure):
    """The cache is derived from the log, so dropping it need not overwrite its pages; the setting a
    user's SQLite has is left as it was."""
    log = Log.create(str(tmp_path / "log.db"), zone="UTC", clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC)))
    log.append([Draft(event=PlaceDescribed(place=f"p{i}", name=f"P{i}"), id=f"d{i}") for i in range(50)])
    log.conn.execute(f"PRAGMA secure_delete = {secure}")
    seen = []
    log.conn.set_trace_callback(seen.append)
    cache.rebuild(log)
    cache.rebuild(log)
    log.conn.set_trace_callback(None)
    assert "PRAGMA secure_delete = OFF" in seen
    assert secure == log.conn.execute("PRAGMA secure_delete").fetchone()[0]
    assert cache.is_fresh(log)


# --- the cache file beside the log ---------------------------------------------------------------------


def _logs_tables(path: str) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


def _cached_log(path: str) -> Log:
    log = new_log(path)
    log.append(s.descriptions())
    log.append([call(i, "c") for i in range(5)])
    return log


def test_the_cache_lives_in_a_file_beside_the_log_and_the_log_holds_nothing_derived(tmp_path):
    path = str(tmp_path / "log.db")
    _cached_log(path).close()
    assert 0 == cli("--db", path, "replay").exit_code
    assert os.path.exists(path + "-cache")
    assert not any(t.startswith("proj_") for t in _logs_tables(path))
    assert [f for f in os.listdir(tmp_path) if f.endswith(".tmp")] == []
    with Log.open(path) as log:
        assert cache.is_fresh(log)
        assert cache_matches_fold(log)


@pytest.mark.parametrize("where", ["here", "helper"])
def test_both_cache_files_are_written_in_large_pages(tmp_path, monkeypatch, where):
    # (16 KiB pages: a 1M-event rebuild's inserts and index builds ran ~9% faster than with 4 KiB.)
    monkeypatch.setattr(cache.build, "_PARALLEL_FROM", 10**9 if where == "here" else 0)
    path = str(tmp_path / "log.db")
    log = _cached_log(path)
    cache.rebuild(log)
    log.close()
    sizes = [sqlite3.connect(p).execute("PRAGMA page_size").fetchone()[0] for p in (path + "-cache", path + "-cache-mentions")]
    assert sizes == [cache.build._PAGE, cache.build._PAGE] and cache.build._PAGE > 4096


def test_a_cache_an_older_chrono_kept_inside_the_log_is_dropped_on_rebuild(tmp_path):
    path = str(tmp_path / "log.db")
    log = _cached_log(path)
    log.conn.execute("CREATE TABLE proj_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")  # as format 8 left it
    log.conn.execute("INSERT INTO proj_meta VALUES ('format', '8'), ('seq', '1'), ('hash', 'x')")
    log.conn.execute("CREATE TABLE proj_facts (seq INTEGER)")
    assert not cache.is_fresh(log)
    cache.rebuild(log)
    log.close()
    assert not any(t.startswith("proj_") for t in _logs_tables(path))
    with Log.open(path) as log:
        assert cache.is_fresh(log) and cache_matches_fold(log)


def test_a_cache_written_by_a_chrono_with_other_event_types_is_rebuilt_not_read(tmp_path, monkeypatch):
    """The format a cache names digests how its rows and indexes are made: a new event type shifts the
    codes its indexes lead with (and may add fields that name entities), so a cache of the same log
    head written before is stale, and the next read rebuilds it."""
    path = str(tmp_path / "log.db")
    log = _cached_log(path)
    cache.rebuild(log)
    assert cache.is_fresh(log)
    before = cache.schema.format_id()
    monkeypatch.setattr(cache.schema, "PARTS", {part: (meta, tables, indexes.replace(cache.schema.TYPE_TIME, cache.schema.TYPE_TIME.replace(" END", " WHEN 'X' THEN 11 END")))
                                          for part, (meta, tables, indexes) in cache.schema.PARTS.items()})
    cache.schema.format_id.cache_clear()
    try:
        assert cache.schema.format_id() != before and cache.schema.format_id().startswith(cache.schema.FORMAT + "-")
        assert not cache.is_fresh(log)
        cache.rebuild(log)
        assert cache.is_fresh(log)
    finally:
        cache.schema.format_id.cache_clear()
    log.close()


@pytest.mark.parametrize("where", ["here", "helper"])
@pytest.mark.parametrize("fails", ["facts", "mentions"])
def test_a_rebuild_that_fails_leaves_the_old_cache_and_no_stray_file(tmp_path, monkeypatch, where, fails):
    """Either part failing, built in this process or (the mentions part of a large log) in a helper."""
    path = str(tmp_path / "log.db")
    log = _cached_log(path)
    cache.rebuild(log)
    before = {part: open(cache.path_of(log, part), "rb").read() for part in ("facts", "mentions")}
    log.append(call(9, "late"))
    monkeypatch.setattr(cache.build, "_PARALLEL_FROM", 0 if where == "helper" else 10**9)
    if fails == "facts":
        monkeypatch.setattr(cache.build, "ENTITIES_SQL", "INSERT INTO nowhere SELECT 1")
    else:
        mentions_sql = cache.build.mentions_sql  # the facts part reads some mentions too: only the mentions part fails
        monkeypatch.setattr(cache.build, "mentions_sql", lambda source, keyed: "INSERT INTO nowhere SELECT 1" if keyed else mentions_sql(source, keyed=keyed))
        resolve_the_few = cache.build.resolve_the_few

        def slowly(*args):  # the helper has stopped before it is told to go on
            time.sleep(1.0)
            resolve_the_few(*args)

        monkeypatch.setattr(cache.build, "resolve_the_few", slowly)
    with pytest.raises((sqlite3.OperationalError, StorageError), match="nowhere"):
        cache.rebuild(log)
    assert before == {part: open(cache.path_of(log, part), "rb").read() for part in ("facts", "mentions")}
    assert [f for f in os.listdir(tmp_path) if f.endswith(".tmp")] == []
    assert not cache.is_fresh(log)  # the old cache, of the old head: never read as this one's
    monkeypatch.undo()
    at = datetime(2024, 12, 1, 11, tzinfo=UTC)
    assert state_doc(log, at) == state_doc(log, at, use_cache=True)
    assert cache.is_fresh(log)


@pytest.mark.parametrize("damage", ["garbage", "empty", "truncated"])
def test_a_damaged_cache_file_is_never_read_and_is_rebuilt(tmp_path, damage):
    path = str(tmp_path / "log.db")
    _cached_log(path).close()
    assert 0 == cli("--db", path, "replay").exit_code
    data = open(path + "-cache", "rb").read()
    with open(path + "-cache", "wb") as f:
        f.write({"garbage": os.urandom(len(data)), "empty": b"", "truncated": data[: len(data) // 3]}[damage])
    with Log.open(path) as log:
        at = datetime(2024, 12, 1, 11, tzinfo=UTC)
        assert state_doc(log, at) == state_doc(log, at, use_cache=True)
        assert cache.is_fresh(log) and cache_matches_fold(log)


def test_a_cache_another_process_rebuilt_is_picked_up_without_rebuilding(tmp_path):
    path = str(tmp_path / "log.db")
    first = _cached_log(path)
    cache.rebuild(first)
    with Log.open(path) as second:
        second.append(call(9, "late"))
        cache.rebuild(second)
    seen = []
    first.conn.set_trace_callback(seen.append)
    assert cache.is_fresh(first)  # the new file, opened again: no rebuild of its own
    first.conn.set_trace_callback(None)
    assert not any("INSERT INTO proj_facts" in q for q in seen)
    assert cache_matches_fold(first)
    first.close()


def test_a_helper_process_builds_the_same_cache_as_this_one(tmp_path, monkeypatch):
    path = str(tmp_path / "log.db")
    log = _cached_log(path)
    valid = parse_valid_time(VALID, ZONE)
    log.append([Draft(event=EventRetracted(target="c-3", reason="duplicate"), id="r-1"),
                Draft(event=PersonMoved(person="a1", to_place="h2", companions=("a2",)), valid=valid, id="m-1"),
                Draft(event=EventCorrected(target="c-2", replacement=CallMade(caller="a2", callee="h4"), reason="misheard"),
                      valid=valid, id="x-1"),
                Draft(event=EventCorrected(target="m-1", replacement=PersonMoved(person="a1", to_place="h3"), reason="later report"),
                      valid=valid, id="x-2")])
    tables = {}
    for where, start in (("here", 10**9), ("helper", 0)):
        monkeypatch.setattr(cache.build, "_PARALLEL_FROM", start)
        assert cache.rebuild(log) == len(resolve(log.entries()).facts)
        assert cache.is_fresh(log) and cache_matches_fold(log)
        tables[where] = {t: sorted(log.conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
                         for t in (cache.schema.FACTS, cache.schema.MENTIONS, cache.schema.REFS, cache.schema.KEYS, cache.schema.ENTITIES)}
    assert tables["here"] == tables["helper"]
    assert tables["here"][cache.schema.MENTIONS] and tables["here"][cache.schema.REFS] and tables["here"][cache.schema.KEYS]


@pytest.mark.parametrize("words", ["go\n", "go\nalone\n"])
def test_the_helper_waits_for_go_and_sorts_on_every_core_only_once_told_it_is_alone(tmp_path, words):
    # Both words may come before it reaches its wait (a small log's facts part is quick): the first
    # statements still run on the threads it was given, and the wait still reads its `go`.
    from projections.cache import helper as _steps

    path, built = str(tmp_path / "log.db"), str(tmp_path / "built.db")
    sqlite3.connect(path).close()
    steps = [["ATTACH DATABASE ? AS b", [built], False], ["PRAGMA threads = 0", None, False],
             ["CREATE TABLE b.first AS SELECT threads FROM pragma_threads", None, False], _steps.WAIT,
             ["CREATE TABLE b.after_go AS SELECT threads FROM pragma_threads", None, False],
             ["CREATE TABLE b.last AS SELECT threads FROM pragma_threads", None, False]]
    job = _steps.job_message({"log": path, "steps": steps, "sync": built, "threads": 2})
    out = subprocess.run([sys.executable, "-S", _steps.__file__], input=job + words.encode(), capture_output=True, timeout=60)
    assert (out.returncode, out.stdout.strip()) == (0, b"done"), out.stderr
    with sqlite3.connect(built) as conn:
        seen = [conn.execute(f"SELECT threads FROM {t}").fetchone()[0] for t in ("first", "after_go", "last")]
    assert seen == ([0, 2, 2] if "alone" in words else [0, 0, 0])


def test_a_helper_told_to_stop_at_its_wait_builds_nothing_more(tmp_path):
    from projections.cache import helper as _steps

    path, built = str(tmp_path / "log.db"), str(tmp_path / "built.db")
    sqlite3.connect(path).close()
    steps = [["ATTACH DATABASE ? AS b", [built], False], ["CREATE TABLE b.first (x)", None, False], _steps.WAIT,
             ["CREATE TABLE b.after_go (x)", None, False]]
    job = _steps.job_message({"log": path, "steps": steps, "sync": built})
    out = subprocess.run([sys.executable, "-S", _steps.__file__], input=job, capture_output=True, timeout=60)
    assert (out.returncode, out.stdout.strip()) == (0, b""), out.stderr
    with sqlite3.connect(built) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["first"]


def test_a_part_is_flushed_to_disk_behind_its_steps_and_a_failed_flush_is_told(tmp_path, monkeypatch):
    """`helper.Flush`: once `EVERY` more bytes are written, a step starts a flush on a thread of its
    own (never two at once); finishing waits for it and flushes the rest; an error of a flush behind
    is raised by `finish`, not lost with its thread."""
    import threading

    from projections.cache import helper as _steps

    path = tmp_path / "part.db"
    path.write_bytes(b"")
    monkeypatch.setattr(_steps.Flush, "EVERY", 1 << 20)
    real, seen = os.fsync, []

    def fsync(fd):
        seen.append(threading.current_thread() is threading.main_thread())
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    flush = _steps.Flush(str(path))
    flush.behind()  # nothing written yet: no flush
    for size in (1 << 19, 3 << 19, 5 << 19):
        path.write_bytes(b"x" * size)
        flush.behind()
        if flush.thread is not None:
            flush.thread.join()
    assert seen == [False, False]  # at 1.5 and 2.5 MiB (0.5 MiB is less than EVERY)
    flush.finish()
    assert seen == [False, False, True] and flush.fd is None

    def failing(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing)
    flush = _steps.Flush(str(path))
    flush.behind()
    flush.thread.join()
    monkeypatch.setattr(os, "fsync", real)  # the final flush would succeed: the error is the one behind
    with pytest.raises(OSError, match="Input/output"):
        flush.finish()
    assert flush.fd is None


def rebuilder_main(path: str) -> None:
    """Rebuild the cache (its mentions part in a helper process, whatever the log's size) forever,
    saying when the first rebuild has begun, until killed."""
    cache.build._PARALLEL_FROM = 0
    with Log.open(path) as log:
        print("ready", flush=True)
        while True:
            cache.rebuild(log)


def test_a_replay_killed_at_any_moment_leaves_a_whole_cache_and_its_strays_are_removed(tmp_path):
    path = str(tmp_path / "log.db")
    log = _cached_log(path)
    log.append([call(i, "more") for i in range(300)])
    cache.rebuild(log)
    log.close()
    rng = random.Random(11)
    strays = 0
    for _ in range(6):
        p = child("rebuilder_main", path, stdout=subprocess.PIPE, text=True)
        assert "ready" == p.stdout.readline().strip()
        time.sleep(rng.uniform(0.05, 0.5))
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
        p.stdout.close()
        strays += any(f.endswith(".tmp") for f in os.listdir(tmp_path))  # killed mid-rebuild
        with Log.open(path) as log:  # never a damaged or half-swapped cache: whole, of this head, equal to the fold
            assert cache.is_fresh(log) and cache_matches_fold(log)
    time.sleep(0.5)  # a helper of the killed process reads the end of its input and stops
    with Log.open(path) as log:
        cache.rebuild(log)
    assert [f for f in os.listdir(tmp_path) if f.endswith(".tmp")] == []
    assert strays > 0  # the kills did land inside rebuilds


def test_an_in_memory_log_keeps_its_cache_inside(tmp_path):
    log = Log.create(":memory:", zone="UTC", clock=FixedClock(NOW, step=timedelta(seconds=1)))
    log.append(s.descriptions())
    cache.rebuild(log)
    assert "proj_facts" in {r[0] for r in log.conn.execute("SELECT name FROM main.sqlite_master")}
    assert cache.is_fresh(log) and cache_matches_fold(log)
    assert [p for p in os.listdir(tmp_path)] == []
