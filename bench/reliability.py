"""The reliability checks of tests/test_reliability.py at benchmark sizes; prints a markdown table.

    python bench/reliability.py                      # 8 writers x 50,000 events, 200 kill points, 10,000 fuzzed inputs
    python bench/reliability.py --writers 4 --events 5000 --kills 20 --fuzz 500   # about CI size

Run from the repository root. The figures go into docs/reliability.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from chrono.store import Log, verify  # noqa: E402
from tests import strategies as s  # noqa: E402
from tests.test_reliability import (  # noqa: E402
    NOT_A_POSITION, TAMPERINGS, VALID, _event_log, _parses, _rehash_all, _tamper, child, cli, hostile_documents,
    hostile_records, kill_points, new_log, snapshot,
)


def writers(tmp: Path, n: int, events: int, batch: int) -> dict:
    path = str(tmp / "writers.db")
    new_log(path).close()
    started = time.perf_counter()
    reader = child("reader_main", path, n * events, stdout=subprocess.PIPE, text=True)
    procs = [child("writer_main", path, w, events, batch, stdout=subprocess.PIPE, text=True) for w in range(n)]
    outs = [json.loads(p.communicate()[0]) for p in procs]
    seen = json.loads(reader.communicate()[0])
    elapsed = time.perf_counter() - started
    with Log.open(path, readonly=True) as log:
        seqs = [r[0] for r in log.conn.execute("SELECT seq FROM events ORDER BY seq")]
        ids = {r[0] for r in log.conn.execute("SELECT id FROM events")}
        ok = verify(log).ok
    acknowledged = {f"w{w}-{i}" for w in range(n) for i in range(events)}
    return {"appended": sum(o["appended"] for o in outs), "lost": len(acknowledged - ids), "duplicated": len(seqs) - len(ids),
            "gaps": seqs != list(range(1, len(seqs) + 1)), "verify": ok, "retries": sum(o["retries"] for o in outs),
            "reads": seen["reads"], "bad_reads": len(seen["bad"]), "seconds": elapsed}


def kills(tmp: Path, n: int, batch: int, per_log: int = 25) -> dict:
    rng = random.Random(6)
    total = {"tried": 0, "torn": 0, "cache_wrong": 0, "stale": 0, "replay_fixed": 0}
    started = time.perf_counter()
    for i in range(0, n, per_log):
        path = str(tmp / f"kills-{i}.db")
        log = new_log(path)
        log.append(s.descriptions())
        log.close()
        figures = kill_points(path, min(per_log, n - i), batch, rng)
        for k in ("tried", "torn", "cache_wrong", "stale"):
            total[k] += figures[k]
        cli("--db", path, "replay")
        from projections import cache

        from tests.test_reliability import cache_matches_fold
        with Log.open(path) as log:
            total["replay_fixed"] += cache.is_fresh(log) and cache_matches_fold(log) and verify(log).ok
    total["logs"] = -(-n // per_log)
    total["seconds"] = time.perf_counter() - started
    return total


def tamperings(tmp: Path, random_changes: int) -> dict:
    base = str(tmp / "tamper-base.db")
    published = _event_log(base)
    tried = missed = 0
    copies = iter(range(10**9))  # a fresh file per case: a stale -wal beside a reused name would replay old edits
    for kind, (statements, position) in TAMPERINGS.items():
        path = str(tmp / f"t{next(copies)}.db")
        shutil.copy(base, path)
        _tamper(path, *statements)
        r = cli("--db", path, "verify")
        tried += 1
        missed += not (r.exit_code == 1 and f"position {position}:" in r.output)
    for kind in ("deleted tail", "rewritten and rehashed"):
        path = str(tmp / f"t{next(copies)}.db")
        shutil.copy(base, path)
        if kind == "deleted tail":
            _tamper(path, "DELETE FROM events WHERE seq >= 19")
        else:
            _tamper(path, "UPDATE events SET body = replace(body, '\"a1\"', '\"a2\"') WHERE seq = 16")
            _rehash_all(path)
        r = cli("--db", path, "verify", "--head", published)
        tried += 1
        missed += r.exit_code != 1
    rng = random.Random(6)
    columns = ["id", "type", "valid_meta", "body", "sources", "links", "prev_hash", "hash"]
    src = sqlite3.connect(base)
    rows = {seq: dict(zip(columns, vals)) for seq, *vals in src.execute(f"SELECT seq, {', '.join(columns)} FROM events")}
    src.close()
    for _ in range(random_changes):
        seq = rng.randint(1, len(rows))
        column = rng.choice([c for c in columns if rows[seq][c] is not None])
        raw = bytearray(rows[seq][column].encode())
        i = rng.randrange(len(raw))
        raw[i] = rng.choice([b for b in range(256) if b != raw[i]])
        forged = raw.decode("utf-8", errors="replace")
        if forged == rows[seq][column]:
            continue
        path = str(tmp / f"t{next(copies)}.db")
        shutil.copy(base, path)
        try:
            _tamper(path, f"UPDATE events SET {column} = ? WHERE seq = ?", params=(forged, seq))
        except sqlite3.IntegrityError:  # the edit made an id another row has: the unique index refuses it
            continue
        with Log.open(path, readonly=True) as log:
            report = verify(log)
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
        tried += 1
        missed += report.ok or report.position != seq
    return {"tried": tried, "missed": missed}


def fuzz(tmp: Path, n: int) -> dict:
    path = str(tmp / "victim.db")
    _event_log(path)
    cli("--db", path, "replay")
    before = snapshot(path)
    counts = {"tried": 0, "tracebacks": 0, "changed": 0, "not_one_line": 0, "bad_exit": 0, "accepted": 0}
    samples: list[str] = []

    def check(result, must_fail=True):
        counts["tried"] += 1
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            counts["tracebacks"] += 1
            if len(samples) < 5:
                samples.append(f"{type(result.exception).__name__}: {result.exception}"[:200])
        elif result.exit_code == 0:
            counts["accepted"] += 1
            counts["bad_exit"] += must_fail
        else:
            counts["bad_exit"] += result.exit_code not in (1, 2)
            errors = [ln for ln in result.output.splitlines() if ln.startswith("Error:")]
            extra = [ln for ln in result.output.splitlines() if ln.strip() and not ln.startswith(("Error:", "warning:"))]
            counts["not_one_line"] += len(errors) != 1 or (result.exit_code == 1 and bool(extra))
        if snapshot(path) != before:
            counts["changed"] += 1

    per = max(1, n // 6)
    cfg = settings(max_examples=per, deadline=None, database=None, suppress_health_check=list(HealthCheck))

    @cfg
    @given(hostile_documents)
    def append_json(doc):
        check(cli("--db", path, "append", "--json", "-", "--expect-position", NOT_A_POSITION, input=doc))

    @cfg
    @given(st.integers(0, 4), hostile_records().filter(lambda r: not _parses(r)))
    def import_lines(good, bad):
        lines = [json.dumps({"id": f"imp-{i}", "type": "CallMade", "event": {"caller": "a1", "callee": "h2"}, "valid": VALID}) for i in range(good)]
        f = tmp / "in.jsonl"
        f.write_text("\n".join([*lines, json.dumps(bad)]) + "\n")
        check(cli("--db", path, "import", f))

    @cfg
    @given(st.text(max_size=40) | st.from_regex(r"[0-9T:/?~+Z. -]{1,30}", fullmatch=True))
    def time_literals(text):
        check(cli("--db", path, "state", "--at", text), must_fail=False)

    @cfg
    @given(st.sampled_from(["--caller", "--callee", "--valid", "--id", "--after", "--before", "--title", "--wording", "--source", "--nope"]),
           st.text(max_size=30) | st.sampled_from(["", "-", "x" * 5000, "h1,,h2", "\x00", "2024-13-45"]))
    def field_values(field, value):
        check(cli("--db", path, "append", "CallMade", "--caller", "a1", "--callee", "h1", "--valid", VALID, field, value, "--expect-position", NOT_A_POSITION))

    @cfg
    @given(st.sampled_from(["PlaceDescribed", "PersonMoved", "ControlChanged", "StatementIssued"]),
           st.sampled_from(["--lat", "--lon", "--kind", "--place", "--person", "--to-place", "--controller", "--name", "--how"]),
           st.text(max_size=20) | st.sampled_from(["1e999", "nan", "-inf", "91", "Damascus", "al-Joulani"]))
    def entity_and_typed_fields(kind, field, value):
        check(cli("--db", path, "append", kind, field, value, "--expect-position", NOT_A_POSITION))

    @cfg
    @given(st.text(max_size=40), st.sampled_from(["correct", "retract"]))
    def event_ids(event_id, command):
        extra = ["--caller", "a2"] if command == "correct" else []
        check(cli("--db", path, command, event_id, "--reason", "fuzz", *extra))

    started = time.perf_counter()
    for run in (append_json, import_lines, time_literals, field_values, entity_and_typed_fields, event_ids):
        run()
    counts["seconds"] = time.perf_counter() - started
    counts["samples"] = samples
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--events", type=int, default=50_000)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--kills", type=int, default=200)
    ap.add_argument("--kill-batch", type=int, default=200)
    ap.add_argument("--tamper", type=int, default=1_000, help="random single-byte changes on top of the named tamperings")
    ap.add_argument("--fuzz", type=int, default=10_000)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="chrono-bench-"))
    try:
        w = writers(tmp, a.writers, a.events, a.batch)
        k = kills(tmp, a.kills, a.kill_batch)
        t = tamperings(tmp, a.tamper)
        f = fuzz(tmp, a.fuzz)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.system()} {platform.release()}")
    print(f"command: python bench/reliability.py {' '.join(sys.argv[1:])}".rstrip())
    print()
    print("| check | tried | held | figure that must be 0 |")
    print("|---|---|---|---|")
    print(f"| concurrent writers | {a.writers} writers × {a.events:,} events = {w['appended']:,} appended (batches of {a.batch}, every tenth round 5 single appends), {w['reads']} verified replays during the writes | verify {'ok' if w['verify'] else 'FAILED'}, positions gap-free: {not w['gaps']}, {w['retries']} lock-timeout retries, {w['seconds']:.0f} s | lost {w['lost']}, duplicated {w['duplicated']}, inconsistent reads {w['bad_reads']} |")
    print(f"| SIGKILL during batch append / import | {k['tried']} kill points (batches of {a.kill_batch}, random delay 0–0.6 s, {k['logs']} logs) | verify ok after every kill; cache stale-and-detected {k['stale']} times; `chrono replay` rebuilt a correct cache on {k['replay_fixed']}/{k['logs']} logs; {k['seconds']:.0f} s | batches torn {k['torn']}, fresh-but-wrong caches {k['cache_wrong']} |")
    print(f"| tampering behind Chrono's back | {t['tried']} ({len(TAMPERINGS)} named edits, 2 tail/rehash cases with `verify --head`, the rest random single-byte changes) | first bad position named | missed {t['missed']} |")
    print(f"| hostile input (append --json, import, time literals, --field values, entity names, event ids) | {f['tried']:,} fuzzed inputs | {f['accepted']} harmless inputs accepted (time literals that parse), {f['seconds']:.0f} s | tracebacks {f['tracebacks']}, logs changed {f['changed']}, not one line {f['not_one_line']}, wrong exit code {f['bad_exit']} |")
    if f["samples"]:
        print()
        print("tracebacks seen: " + "; ".join(f["samples"]))


if __name__ == "__main__":
    main()
