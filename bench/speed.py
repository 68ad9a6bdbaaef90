"""Chrono's speed benchmark (issue 5): every path against its floor, as same-run ratios.

    python bench/speed.py                                   # 10k and 100k, 3 runs each (5 at 10k)
    python bench/speed.py --sizes 10k,100k,1m --runs 3 --out results.json
    python bench/speed.py --sizes 100k --profile            # also cProfile import and replay

Run from anywhere; it uses the Chrono in this checkout. It generates the synthetic chronologies
(bench/generate.py, seeded, cached in --work), builds the logs, and measures:

 1. import: Chrono's `chrono import` path in-process (the file read by a second process when large,
    written by Log.import_stream)
    vs a raw sqlite3 batched insert of the same lines vs eventsourcing's batched save, end to end;
 2. replay: projections.cache.rebuild vs a raw scan + orjson decode of the same table vs
    eventsourcing's notification-log replay (select every notification and decode it);
 3. state --at T (known now) in-process, what `chrono state --at T --json` computes (its default
    --limit of rows per section), as a fraction of the replay, and its growth over sizes;
 4. state --at T --as-of K (K = the recorded time of the middle entry), as a fraction of the replay;
 5. whole-process `chrono state --at T --json` (and `--entity ID` when the CLI has it) vs `chrono --version`;
 6. `chrono history ENTITY --json` (a popular place) in-process (and as a whole process, for context)
    as a fraction of the replay;
 7. peak memory (ru_maxrss) of a full replay in a fresh process, largest size vs 100k;
 8. whole-process `chrono --version` and `chrono state` on the bundled chronicle vs `python -c "import click"`;
 9. one durable Log.append (synchronous=FULL) vs a raw one-row-per-transaction insert, same settings;
10. a live log: the first `state` after one append and after a correction vs a fresh cache; catching
    up 10,000 new entries vs importing them;
11. whole-process `chrono timeline` of one week and 12. `chrono history ENTITY` vs `chrono state --entity`;
13. whole-process `chrono check` and 14. `chrono export` of the whole log (every format) vs the import;
15. the peak memory of each of those commands (a whole process), the largest size vs 100k.

Times are medians with min-max over --runs runs (gc.collect() before each, time.perf_counter); every
ratio is between medians measured in this one invocation, and the contenders of an import or a replay
take turns (one run of each, then the next round), so the machine's drift falls on them alike. Nothing here asserts anything about time:
the PASS/FAIL column only compares a ratio with the issue's bar. The 1m size runs the imports once
and the replays 3 times (the cheap questions, in-process or as a whole process, at least 5 times at
every size) and skips (reporting why) any path whose cost, extrapolated from 100k, would overrun
--budget-1m seconds.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import json
import os
import platform
import pstats
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import orjson  # noqa: E402

import generate  # noqa: E402

BATCH = 10_000
ZONE = generate.ZONE
AT = "2020-01-01T12:00"  # the middle of the generated valid-time range (2015-2024)
BUNDLED_AT = "2024-12-07T21:30"


# --- environment ---------------------------------------------------------------------------------


def ensure_bench_deps(install: bool) -> None:
    """The `bench` extra of pyproject.toml: install it (just those requirements) when it is missing."""
    try:
        import eventsourcing  # noqa: F401
        return
    except ImportError:
        pass
    import tomllib

    reqs = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["bench"]
    if not install:
        sys.exit(f"the benchmark needs {', '.join(reqs)}: pip install -e '.[bench]' (or run without --no-install)")
    print(f"installing the bench extra: {' '.join(reqs)}", file=sys.stderr)
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", *reqs])


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    import eventsourcing

    try:
        from importlib.metadata import version as v
        es_version = v("eventsourcing")
    except Exception:
        es_version = getattr(eventsourcing, "__version__", "?")
    return {
        "nproc": os.cpu_count(), "cpu": cpu, "mem_gb": mem, "python": platform.python_version(),
        "platform": platform.platform(), "sqlite": sqlite3.sqlite_version, "orjson": orjson.__version__,
        "eventsourcing": es_version,
    }


def git_state() -> dict:
    """The checkout measured: HEAD and the files that differ from it (the engine may be mid-change)."""
    def git(*a):
        p = subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True)
        return p.stdout if p.returncode == 0 else ""

    status = git("status", "--porcelain")
    return {"head": git("rev-parse", "--short", "HEAD").strip() or None,
            "dirty": [line[3:] for line in status.splitlines() if len(line) > 3]}


# --- timing helpers ------------------------------------------------------------------------------


def summarize(samples: list[float]) -> dict:
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples), "runs": len(samples),
            "samples": samples}


def timed_in_turn(contenders: dict, runs: int) -> dict:
    """Run each of `contenders` (key: (fn, setup or None)) `runs` times, taking turns: one run of each,
    then the next round, so that the machine's drift within an invocation (its speed moves by a fifth
    and more over minutes) falls on them alike and not on whichever ran last. Returns key: (summary,
    last result)."""
    samples: dict = {key: [] for key in contenders}
    results: dict = {}
    for _ in range(runs):
        for key, (fn, setup) in contenders.items():
            arg = setup() if setup else None
            gc.collect()
            t = time.perf_counter()
            results[key] = fn(arg) if setup else fn()
            samples[key].append(time.perf_counter() - t)
    return {key: (summarize(samples[key]), results[key]) for key in contenders}


def remove_db(path: str | Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal", "-cache", "-cache-mentions"):
        p = Path(str(path) + suffix)
        if p.exists():
            p.unlink()


CACHE_HOME: str | None = None  # XDG_CACHE_HOME of the measured processes: inside --work


def child_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("CHRONO_DB", "PYTHONSTARTUP")}
    if CACHE_HOME:
        env["XDG_CACHE_HOME"] = CACHE_HOME
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["NO_COLOR"] = "1"
    return env


CHRONO = [sys.executable, "-m", "cli"]


def run_process(argv: list[str], cwd: str, runs: int) -> dict:
    env = child_env()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        samples.append(time.perf_counter() - t)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({p.returncode}): {p.stderr.decode()[-500:]}")
    return summarize(samples)


# A whole `chrono` process that also reports its peak memory: the command runs in this interpreter (as
# `python -m cli` runs it) and, at exit, writes to the pipe named by $CHRONO_PEAK_FD its VmHWM (the
# peak RSS of this process image, which exec resets) and its children's peak (a forked helper's, added
# whole, as if the peaks came at once).
PEAK = r"""
import atexit, os, resource, runpy, sys
_fd = int(os.environ.pop("CHRONO_PEAK_FD"))
def _peak():
    hwm = next((int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")), 0)
    os.write(_fd, f"{hwm} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}".encode())
atexit.register(_peak)
sys.argv = ["chrono", *sys.argv[1:]]
runpy.run_module("cli", run_name="__main__", alter_sys=True)
"""


def run_measured(argv: list[str], cwd: str, runs: int, ok: tuple[int, ...] = (0,)) -> dict:
    """`run_process` of `chrono ARGV...`, with the peak memory of each run (KiB, the largest) and the
    command's exit codes that count as success (`check` exits 1 when it finds problems)."""
    env = child_env()
    samples, peaks = [], []
    for _ in range(runs):
        r, w = os.pipe()
        t = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-c", PEAK, *argv], cwd=cwd, env={**env, "CHRONO_PEAK_FD": str(w)}, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, pass_fds=(w,))
        os.close(w)
        _, err = p.communicate()
        samples.append(time.perf_counter() - t)
        with os.fdopen(r, "rb") as got:
            hwm, children = (int(x) for x in (got.read().split() or [b"0", b"0"]))
        if p.returncode not in ok:
            raise RuntimeError(f"chrono {' '.join(argv)} failed ({p.returncode}): {err.decode()[-500:]}")
        peaks.append(hwm + children)
    return {**summarize(samples), "peak_kb": max(peaks), "peaks_kb": peaks}


WEEK = ("2020-01-01", "2020-01-08")  # `timeline --from --to`: a week in the middle of the generated valid time
MONTH = ("2020-01-01", "2020-02-01")  # `diff --from --to`: a month
EXPORTS = ("jsonl", "csv", "geojson", "timelinejs")


def cli_has(cwd: str, *argv: str) -> bool:
    p = subprocess.run([*CHRONO, *argv], cwd=cwd, env=child_env(), capture_output=True, text=True)
    return p.returncode == 0


# --- 1. import -----------------------------------------------------------------------------------


def chrono_import(jsonl: str, db: str, create=None) -> int:
    """What `chrono import FILE` does: read_records (or, for a large file on two cores, read_prepared)
    into Log.import_stream (one transaction, written in batches); into a new log made by `create`
    (default: a SQLite log, `Log.create`)."""
    from chrono.jsonl import parallel_reading, read_prepared, read_records
    from chrono.store import Log

    log = (create or Log.create)(db, zone=ZONE)
    try:
        with open(jsonl, "rb") as f:
            records = read_prepared(f, log.zone) if parallel_reading(f) else read_records(f, log.zone, allow_stored=True)
            log.import_stream(records)
        return len(log)
    finally:
        log.close()


RAW_DDL = """
CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL, version INTEGER NOT NULL,
  valid_lo INTEGER, valid_hi INTEGER, valid_meta TEXT, recorded TEXT NOT NULL, body TEXT NOT NULL,
  sources TEXT NOT NULL, links TEXT NOT NULL, target TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, provenance TEXT);
CREATE UNIQUE INDEX idx_events_id ON events (id);
CREATE INDEX idx_events_recorded ON events (recorded);
CREATE INDEX idx_events_target ON events (target);
CREATE INDEX idx_events_settings ON events (seq) WHERE type = 'SettingChanged';
"""


def raw_connect(db: str) -> sqlite3.Connection:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")  # what chrono.store._connect sets
    return conn


def raw_import(jsonl: str, db: str) -> int:
    """The floor: parse each line with orjson, re-encode the payloads with orjson, executemany per batch
    into a table of Chrono's shape (same columns and indexes), WAL, synchronous=FULL. No validation,
    no time parsing, no hash chain."""
    conn = raw_connect(db)
    conn.executescript(RAW_DDL)
    dumps, loads = orjson.dumps, orjson.loads
    sql = "INSERT INTO events VALUES (?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?, '', '', NULL)"
    seq, rows = 0, []
    with open(jsonl, "rb") as f:
        for raw in f:
            o = loads(raw)
            seq += 1
            ev = o["event"]
            rows.append((seq, o["id"], o["type"], o.get("version", 1), dumps(o.get("valid")), o["recorded"], dumps(ev),
                         dumps(o.get("sources", [])), dumps({"after": o.get("after", []), "before": o.get("before", [])}),
                         ev.get("target") if o["type"] in ("EventCorrected", "EventRetracted") else None))
            if len(rows) >= BATCH:
                conn.execute("BEGIN")
                conn.executemany(sql, rows)
                conn.execute("COMMIT")
                rows = []
    if rows:
        conn.execute("BEGIN")
        conn.executemany(sql, rows)
        conn.execute("COMMIT")
    conn.close()
    return seq


_ES_CLASSES = None


def es_classes():
    global _ES_CLASSES
    if _ES_CLASSES is None:
        from eventsourcing.domain import Aggregate, event

        class Entity(Aggregate):
            """One aggregate per entity (place, person, actor); every event about it is a `Recorded`."""

            @event("Created")
            def __init__(self, key: str):
                self.key = key

            @classmethod
            def create_id(cls, key: str):
                return uuid.uuid5(uuid.NAMESPACE_URL, "chrono-bench:" + key)

            @event("Recorded")
            def record(self, event_id: str, type: str, valid, event: dict, sources: list, recorded: str):
                pass

        _ES_CLASSES = Entity
    return _ES_CLASSES


def es_app(db: str):
    from eventsourcing.application import Application

    return Application(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": db})


_PREFIXES = ("place-", "person", "actor-")


def _es_key(o: dict, owner: dict) -> str:
    ev = o["event"]
    if o["type"] == "EventRetracted":
        return owner.get(ev["target"], "misc")
    if o["type"] == "EventCorrected":
        ev = ev["replacement"]
    for v in ev.values():
        if isinstance(v, str) and v[:6] in _PREFIXES:
            return v
        if isinstance(v, list) and v and isinstance(v[0], str) and v[0][:6] in _PREFIXES:
            return v[0]
    return "misc"


def es_import(jsonl: str, db: str) -> int:
    """eventsourcing end to end: parse each line, map it to a domain event on the aggregate of its main
    entity (created on first sight, kept in memory), and app.save(*touched) every BATCH events."""
    Entity = es_classes()
    app = es_app(db)
    aggregates, touched, owner = {}, {}, {}
    n = 0
    with open(jsonl, "rb") as f:
        for raw in f:
            o = orjson.loads(raw)
            key = _es_key(o, owner)
            owner[o["id"]] = key
            a = aggregates.get(key)
            if a is None:
                a = aggregates[key] = Entity(key)
            a.record(event_id=o["id"], type=o["type"], valid=o.get("valid"), event=o["event"], sources=o.get("sources", []),
                     recorded=o["recorded"])
            touched[key] = a
            n += 1
            if n % BATCH == 0:
                app.save(*touched.values())
                touched = {}
    if touched:
        app.save(*touched.values())
    app.close()
    return n


# --- 2. replay -----------------------------------------------------------------------------------


def chrono_replay(db: str) -> int:
    from chrono.store import Log
    from projections import cache

    with Log.open(db) as log:
        return cache.rebuild(log)


def raw_scan(db: str) -> int:
    """The floor: select every row of Chrono's events table in order and orjson-decode its JSON columns."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    loads = orjson.loads
    n = 0
    for _seq, _id, _type, _v, _lo, _hi, meta, _rec, body, sources, links in conn.execute(
            "SELECT seq, id, type, version, valid_lo, valid_hi, valid_meta, recorded, body, sources, links FROM events ORDER BY seq"):
        loads(body)
        loads(sources)
        loads(links)
        if meta is not None:
            loads(meta)
        n += 1
    conn.close()
    return n


def es_replay(db: str) -> int:
    """eventsourcing: page through the notification log and decode every notification to a domain event."""
    es_classes()
    app = es_app(db)
    start, n = 1, 0
    to_event = app.mapper.to_domain_event
    while True:
        page = app.recorder.select_notifications(start=start, limit=BATCH)
        if not page:
            break
        for notification in page:
            to_event(notification)
        n += len(page)
        start = page[-1].id + 1
    app.close()
    return n


# --- 3, 4. state in-process ----------------------------------------------------------------------


def chrono_state(db: str, at: str, as_of: str | None = None) -> int:
    """What `chrono state --at T [--as-of K] --json` computes, in-process: the document, as JSON."""
    from chrono.store import Log
    from chrono.timeval import parse_instant
    from projections.query import state

    with Log.open(db) as log:
        known = parse_instant(as_of, log.zone) if as_of else None
        doc, _names = state(log, parse_instant(at, log.zone), known, zone=log.zone)
        return len(orjson.dumps(doc))


def chrono_history(db: str, entity: str) -> int:
    """What `chrono history ENTITY --json` computes, in-process: the document, as JSON."""
    from chrono.store import Log
    from projections import investigate
    from projections.query import knowledge

    with Log.open(db) as log:
        found = knowledge(log).entity(entity)
        doc = investigate.history(investigate.load_for(log, found, mentions=False), found, zone=log.zone)
        return len(orjson.dumps(doc))


def middle_recorded(db: str) -> str:
    from chrono.timeval import from_micros

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    n = conn.execute("SELECT max(seq) FROM events").fetchone()[0]
    us = conn.execute("SELECT recorded FROM events WHERE seq = ?", (n // 2,)).fetchone()[0]
    conn.close()
    return from_micros(us).isoformat()


# --- 7. memory (child process) -------------------------------------------------------------------


def _hwm_kb() -> int:
    """Peak resident set of this process image, in KiB. VmHWM is reset by exec; ru_maxrss is not on Linux
    (a child started from a large parent inherits the parent's peak), so it is the fallback only."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def replay_child(db: str) -> None:
    before = _hwm_kb()
    import chrono.store  # noqa: F401
    import projections.cache  # noqa: F401
    import projections.query  # noqa: F401

    loaded = _hwm_kb()
    gc.collect()
    t = time.perf_counter()
    facts = chrono_replay(db)
    seconds = time.perf_counter() - t
    # A large log's replay has a helper process build half the cache: its peak counts too, added whole
    # (as if the two peaks came at once).
    helper = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    peak = _hwm_kb() + helper
    print(json.dumps({"seconds": seconds, "facts": facts, "maxrss_kb_start": before, "maxrss_kb_loaded": loaded,
                      "maxrss_kb": peak, "helper_maxrss_kb": helper, "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


def replay_memory(db: str, timeout: float | None) -> dict:
    p = subprocess.run([sys.executable, __file__, "--_replay-child", db], env=child_env(), capture_output=True, text=True,
                       timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-1000:])
    return json.loads(p.stdout.strip().splitlines()[-1])


# --- 9. one durable append -----------------------------------------------------------------------


def single_appends(base_db: str, work: Path, n: int) -> tuple[dict, dict]:
    """n single-event Log.append calls on a copy of base_db vs n raw one-row transactions on a copy."""
    from chrono.entry import Draft
    from chrono.store import Log, row_hash
    from chrono.timeval import parse_valid_time
    from events import CallMade, Source

    chrono_db, raw_db = str(work / "append-chrono.db"), str(work / "append-raw.db")
    for target in (chrono_db, raw_db):
        remove_db(target)
        src, dst = sqlite3.connect(base_db), sqlite3.connect(target)
        src.backup(dst)
        src.close()
        dst.close()
    drafts = [Draft(event=CallMade(caller="person-00001", callee="person-00002", summary=f"single append {i}"),
                    valid=parse_valid_time("2024-12-01T10:15", ZONE), sources=(Source(outlet="bench", quote=f"q{i}"),),
                    id=f"single-{i:05d}") for i in range(n)]
    log = Log.open(chrono_db)
    samples = []
    for d in drafts:
        gc.collect()
        t = time.perf_counter()
        log.append(d)
        samples.append(time.perf_counter() - t)
    assert log.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    log.close()
    chrono = summarize(samples)

    conn = raw_connect(raw_db)
    head_seq, prev = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    recorded = conn.execute("SELECT max(recorded) FROM events").fetchone()[0]
    rows = []
    for i in range(n):
        row = [head_seq + 1 + i, f"raw-{i:05d}", "CallMade", 1, 1733040900000000, 1733040960000000,
               '{"precision":"minute","qualifier":null,"wording":null,"zone":"Asia/Damascus"}', recorded,
               orjson.dumps({"callee": "person-00002", "caller": "person-00001", "summary": f"single append {i}"}).decode(),
               orjson.dumps([{"outlet": "bench", "quote": f"q{i}"}]).decode(), '{"after":[],"before":[]}', None, prev]
        row.append(row_hash(row))  # precomputed: the floor does no work per row but the insert
        prev = row[-1]
        row.append(None)  # (no provenance)
        rows.append(row)
    sql = f"INSERT INTO events VALUES ({', '.join('?' * 15)})"
    samples = []
    for row in rows:
        gc.collect()
        t = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(sql, row)
        conn.execute("COMMIT")
        samples.append(time.perf_counter() - t)
    conn.close()
    remove_db(chrono_db)
    remove_db(raw_db)
    return chrono, summarize(samples)


# --- 10. a live log: the first read after a write catches the cache up ---------------------------


def time_process(argv: list[str], cwd: str) -> float:
    t = time.perf_counter()
    p = subprocess.run(argv, cwd=cwd, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({p.returncode}): {p.stderr.decode()[-500:]}")
    return time.perf_counter() - t


def early_facts(db: str, k: int) -> list[str]:
    """Ids of the first k moves and calls in the log that nothing corrects (a correction of one of them
    changes its versions from the correction's position on)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    ids = [r[0] for r in conn.execute(
        "SELECT id FROM events WHERE target IS NULL AND valid_lo IS NOT NULL AND type IN ('PersonMoved', 'CallMade') "
        "AND id NOT IN (SELECT target FROM events WHERE target IS NOT NULL) ORDER BY seq LIMIT ?", (k,))]
    conn.close()
    return ids


def reads_after_writes(db: str, cwd: str, runs: int) -> dict:
    """`chrono state --at T --json`, a whole process, in turn: with a fresh cache; the first after one
    appended event; the first after a correction of an early fact (the writes untimed)."""
    from chrono.entry import Draft
    from chrono.store import Log
    from chrono.timeval import parse_valid_time
    from events import CallMade, Source
    from projections.corrections import correction

    argv = [*CHRONO, "--db", db, "state", "--at", AT, "--json"]
    early = early_facts(db, runs)
    samples: dict = {"state_fresh": [], "state_after_append": [], "state_after_correction": []}
    for i in range(min(runs, len(early))):
        time_process(argv, cwd)  # (the cache is fresh after this one)
        samples["state_fresh"].append(time_process(argv, cwd))
        with Log.open(db) as log:
            log.append(Draft(event=CallMade(caller="person-00001", callee="person-00002", summary=f"live {i}"),
                             valid=parse_valid_time("2020-01-01T10:15", ZONE), sources=(Source(outlet="bench"),), id=f"live-{i:05d}"))
        samples["state_after_append"].append(time_process(argv, cwd))
        with Log.open(db) as log:
            log.append(correction(log, early[i], changes={}, valid=parse_valid_time("2014-06-01", ZONE), reason="redated"))
        samples["state_after_correction"].append(time_process(argv, cwd))
    return {key: summarize(s) for key, s in samples.items()}


def new_entries(path: Path, n: int, k: int, seed: int) -> Path:
    """k entries the log of n generated events does not have: moves, calls and changes of control over
    its entities, every fiftieth a correction of the third entry before it, with a new event of its
    type (JSON Lines, as `chrono import` reads)."""
    rng = random.Random(seed)
    actors, places, people = generate.entity_counts(n)
    person, place = (lambda: f"person-{rng.randrange(people):05d}"), (lambda: f"place-{rng.randrange(places):05d}")
    makers = (lambda: ("PersonMoved", {"person": person(), "to_place": place()}),
              lambda: ("CallMade", {"caller": person(), "callee": person()}),
              lambda: ("ControlChanged", {"place": place(), "controller": f"actor-{rng.randrange(actors):02d}"}))
    with open(path, "wb") as f:
        for i in range(k):
            when = f"2020-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}"
            if i % 50 == 49:
                kind, fields = makers[(i - 3) % 3]()
                line = {"id": f"more-{i:06d}-fix", "type": "EventCorrected", "valid": when,
                        "event": {"target": f"more-{i - 3:06d}", "reason": "redated", "replacement": {"type": kind, **fields}}}
            else:
                kind, fields = makers[i % 3]()
                line = {"id": f"more-{i:06d}", "type": kind, "valid": when, "event": fields}
            f.write(orjson.dumps({**line, "sources": [{"outlet": "bench"}]}) + b"\n")
    return path


def catch_up_vs_import(ref: str, work: Path, n: int, k: int, runs: int, seed: int) -> dict:
    """Importing k new entries into a copy of the log (its cache fresh), and then catching its cache
    up with them, both in-process, in turn, run after run."""
    from chrono.jsonl import read_records
    from chrono.store import Log
    from projections import cache

    extra = new_entries(work / f"more-{generate.label(n)}.jsonl", n, k, seed)
    copy = str(work / f"live-{generate.label(n)}.db")
    with Log.open(ref) as log:
        log.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    imports, catch_ups = [], []
    for _ in range(runs):
        remove_db(copy)
        for suffix in ("", "-cache", "-cache-mentions"):
            shutil.copyfile(ref + suffix, copy + suffix)
        with Log.open(copy) as log:
            assert cache.is_fresh(log)
            gc.collect()
            t = time.perf_counter()
            with open(extra, "rb") as f:
                log.import_stream(read_records(f, log.zone, allow_stored=True))
            imports.append(time.perf_counter() - t)
        with Log.open(copy) as log:
            cache.built_from(log)
            gc.collect()
            t = time.perf_counter()
            if not cache.catch_up(log):
                raise RuntimeError("the cache was not caught up")
            catch_ups.append(time.perf_counter() - t)
    remove_db(copy)
    return {"import_new": summarize(imports), "catch_up_new": summarize(catch_ups), "new_entries": k}


# --- the run -------------------------------------------------------------------------------------


def data_file(work: Path, n: int, seed: int) -> Path:
    digest = hashlib.sha256((ROOT / "bench" / "generate.py").read_bytes()).hexdigest()[:10]
    path = work / f"chrono-{generate.label(n)}-s{seed}-{digest}.jsonl"
    if not path.exists():
        t = time.perf_counter()
        info = generate.generate(n, str(path), seed=seed)
        print(f"  generated {path.name}: {info['events']:,} events, {info['bytes'] / 1e6:.0f} MB in {time.perf_counter() - t:.1f}s",
              file=sys.stderr)
    return path


def popular_entity(n: int, seed: int) -> str:
    g = generate.Generator(n, seed)
    return g.places[g.pick_place.perm[0]]


class Budget:
    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self.start = time.perf_counter()

    def left(self) -> float:
        return float("inf") if self.seconds is None else self.seconds - (time.perf_counter() - self.start)


def measure_size(n: int, args, work: Path, results: dict, scale_from: dict | None) -> dict:
    """Everything for one size; with scale_from (the 100k figures) and a budget, skip what cannot finish."""
    label = generate.label(n)
    big = n >= 1_000_000
    runs = args.runs_1m if big else (max(args.runs, 5) if n <= 10_000 else args.runs)
    budget = Budget(args.budget_1m if big else None)
    out: dict = {"events": n, "runs": runs, "skipped": {}}
    factor = n / scale_from["events"] if scale_from else None
    print(f"\n== {label}: {n:,} events, {runs} run(s) ==", file=sys.stderr)

    def affordable(key: str, estimate_from: str | None, per_run: float = 1) -> bool:
        if not (big and scale_from and estimate_from):
            return True
        base = scale_from.get(estimate_from)
        if not base:
            return True
        estimate = base["median"] * factor * 1.3 * runs * per_run
        if estimate > budget.left():
            out["skipped"][key] = (f"not measured: ~{estimate:.0f}s estimated from the {generate.label(scale_from['events'])} run "
                                   f"(x{factor:.0f}, +30%), {max(budget.left(), 0):.0f}s left of the {args.budget_1m:.0f}s budget")
            print(f"  skip {key}: {out['skipped'][key]}", file=sys.stderr)
            return False
        return True

    def step(key: str, fn, *, setup=None, estimate_from: str | None = None, at_least: int = 1):
        return steps_in_turn({key: (fn, setup)}, at_least=at_least, estimate_from=estimate_from).get(key)

    def steps_in_turn(contenders: dict, *, at_least: int = 1, estimate_from: str | None = None) -> dict:
        """`timed_in_turn` for the contenders this size can afford (key: (fn, setup)); their results."""
        n = max(runs, at_least)
        contenders = {key: c for key, c in contenders.items() if affordable(key, estimate_from or key, per_run=n / runs)}
        got = timed_in_turn(contenders, n) if contenders else {}
        for key, (s, result) in got.items():
            out[key] = s
            print(f"  {key:28} median {s['median']:.3f}s  [{s['min']:.3f}-{s['max']:.3f}]  -> {result}", file=sys.stderr)
        return {key: result for key, (_s, result) in got.items()}

    jsonl = str(data_file(work, n, args.seed))
    ref = str(work / f"ref-{label}.db")
    es_ref = str(work / f"es-{label}.db")

    # 1. import: each run into a fresh database; the last one is kept as the reference log.
    def fresh(path):
        def setup():
            remove_db(path)
            return path
        return setup

    # (Each comparison's contenders take turns, run after run: `timed_in_turn`.)
    raw_db = str(work / f"raw-{label}.db")
    imported = steps_in_turn({"import_chrono": (lambda p: chrono_import(jsonl, p), fresh(ref)),
                              "import_raw_sqlite": (lambda p: raw_import(jsonl, p), fresh(raw_db)),
                              "import_eventsourcing": (lambda p: es_import(jsonl, p), fresh(es_ref))})
    remove_db(raw_db)
    if "import_chrono" not in imported:
        out["skipped"]["everything else"] = "needs the imported log"
        return out
    have_es = "import_eventsourcing" in imported

    # 2. replay (at least 3 runs at every size: one run at 1m ranged over a third between invocations)
    replays = {"replay_chrono": (lambda: chrono_replay(ref), None), "replay_raw_scan": (lambda: raw_scan(ref), None)}
    if have_es:
        replays["replay_eventsourcing"] = (lambda: es_replay(es_ref), None)
    steps_in_turn(replays, at_least=3)
    remove_db(es_ref)

    # 3, 4. state in-process (the cache is fresh: the replay just rebuilt it)
    out["at"] = AT
    # (cheap questions: at least 5 runs at every size, each on a freshly opened log)
    step("state_now", lambda: chrono_state(ref, AT), at_least=5)
    out["as_of"] = middle_recorded(ref)
    step("state_as_of", lambda: chrono_state(ref, AT, out["as_of"]), at_least=5)

    # 5, 6. whole process on this log; 6. history in-process too
    entity = popular_entity(n, args.seed)
    out["entity"] = entity
    if args.has_history:
        step("history", lambda: chrono_history(ref, entity), at_least=5)
    cwd = str(work)
    cheap = max(runs, 5)  # a whole process answering one question: under a second at every size
    if affordable("process_state", "state_now"):
        out["process_state"] = run_process([*CHRONO, "--db", ref, "state", "--at", AT, "--json"], cwd, cheap)
    if args.has_entity_option:
        if affordable("process_state_entity", "state_now"):
            out["process_state_entity"] = run_process([*CHRONO, "--db", ref, "state", "--at", AT, "--entity", entity, "--json"], cwd, cheap)
    else:
        out["skipped"]["process_state_entity"] = "not measurable: `chrono state` has no --entity option in this checkout"
    if args.has_history:
        if affordable("process_history", "process_history"):
            out["process_history"] = run_measured(["--db", ref, "history", entity, "--json"], cwd, cheap)
    else:
        out["skipped"]["process_history"] = "n/a: `chrono history` is not in this checkout's CLI"
    for key in ("process_state", "process_state_entity", "process_history"):
        if key in out:
            s = out[key]
            print(f"  {key:28} median {s['median']:.3f}s  [{s['min']:.3f}-{s['max']:.3f}]", file=sys.stderr)

    # 11-15. the investigation commands and exports as whole processes, with their peak memory: a range
    # of valid time (the cheap questions' runs), the whole log (the imports' runs: once at 1m)
    commands = {"process_timeline_week": (["timeline", "--from", WEEK[0], "--to", WEEK[1]], cheap, (0,)),
                "process_diff_month": (["diff", "--from", MONTH[0], "--to", MONTH[1]], cheap, (0,)),
                "process_check": (["check"], runs, (0, 1)),
                **{f"process_export_{fmt}": (["export", "--format", fmt, *(["--at", AT] if fmt == "geojson" else [])], runs, (0,))
                   for fmt in EXPORTS}}
    for key, (argv, times, ok) in commands.items():
        if affordable(key, key, per_run=times / runs):
            try:
                out[key] = run_measured(["--db", ref, *argv], cwd, times, ok)
            except RuntimeError as e:  # (a checkout without the command or the format)
                out["skipped"][key] = f"not measured: {e}"
                continue
            s = out[key]
            print(f"  {key:28} median {s['median']:.3f}s  [{s['min']:.3f}-{s['max']:.3f}]  peak {s['peak_kb'] / 1024:.0f} MB", file=sys.stderr)

    # 10. a live log: reads after writes, and catching up with many new entries (the copy is taken
    # before the reads append to the log)
    if args.has_catch_up:
        # (At least 3 runs at every size, as the replays: each run copies the log and its cache, over
        # 1 GB at 1M, and the first run's import and catch-up share the disk with the copy's writeback.
        # At 1M on the 2-core VM the first catch-up read 1.03 s, the next two 0.60 s and 0.59 s.)
        if affordable("catch_up_new", "import_chrono", per_run=0.05 * max(3, runs) / runs):
            out.update(catch_up_vs_import(ref, work, n, 10_000, max(3, runs), args.seed))
            for key in ("import_new", "catch_up_new"):
                print(f"  {key:28} median {out[key]['median']:.3f}s", file=sys.stderr)
        if affordable("state_after_append", "process_state"):
            out.update(reads_after_writes(ref, cwd, cheap))
            for key in ("state_fresh", "state_after_append", "state_after_correction"):
                print(f"  {key:28} median {out[key]['median']:.3f}s", file=sys.stderr)
    else:
        out["skipped"]["catch_up"] = "n/a: this checkout's cache is rebuilt, not caught up"

    # 7. peak memory of a replay in a fresh process (100k and up; the smaller sizes too, for the record)
    if affordable("replay_memory", "replay_chrono"):
        try:
            out["replay_memory"] = replay_memory(ref, timeout=budget.left() if big else None)
            print(f"  replay_memory                peak {out['replay_memory']['maxrss_kb'] / 1024:.0f} MB", file=sys.stderr)
        except subprocess.TimeoutExpired:
            out["skipped"]["replay_memory"] = "not measured: the replay child outran the 1m budget"

    if not args.keep:
        remove_db(ref)
    return out


def measure_global(args, work: Path, base_db: str | None) -> dict:
    """Process start-up on the bundled chronicle (8) and one durable append (9)."""
    out: dict = {}
    cwd = str(work / "empty")  # no chrono.db here: read commands use the bundled chronicle
    os.makedirs(cwd, exist_ok=True)
    runs = max(args.runs, 10)
    print(f"\n== process start-up ({runs} runs) and single appends ==", file=sys.stderr)
    out["python_pass"] = run_process([sys.executable, "-c", "pass"], cwd, runs)
    out["python_import_click"] = run_process([sys.executable, "-c", "import click"], cwd, runs)
    out["chrono_version"] = run_process([*CHRONO, "--version"], cwd, runs)
    # The first read of the bundled chronicle after an install loads it and saves its prepared image
    # (in $XDG_CACHE_HOME/chrono, here inside --work); every later one starts from the image.
    out["chrono_state_bundled_first"] = run_process([*CHRONO, "state", "--at", BUNDLED_AT], cwd, 1)
    out["chrono_state_bundled"] = run_process([*CHRONO, "state", "--at", BUNDLED_AT], cwd, runs)
    for k in ("python_pass", "python_import_click", "chrono_version", "chrono_state_bundled_first", "chrono_state_bundled"):
        print(f"  {k:28} median {out[k]['median'] * 1000:.0f} ms", file=sys.stderr)
    if base_db:
        out["append_chrono"], out["append_raw"] = single_appends(base_db, work, args.appends)
        print(f"  append_chrono                median {out['append_chrono']['median'] * 1000:.2f} ms", file=sys.stderr)
        print(f"  append_raw                   median {out['append_raw']['median'] * 1000:.2f} ms", file=sys.stderr)
    return out


# --- the table -----------------------------------------------------------------------------------


def fmt_t(s: dict | None) -> str:
    if not s:
        return "—"
    m = s["median"]
    unit, k = ("ms", 1000) if m < 1 else ("s", 1)
    if s["runs"] == 1:
        return f"{m * k:.3g} {unit} (1 run)"
    return f"{m * k:.3g} {unit} [{s['min'] * k:.3g}–{s['max'] * k:.3g}]"


def rate(n: int, s: dict | None) -> str:
    return f"{n / s['median']:,.0f}/s" if s else "—"


def rows_for(results: dict) -> list[dict]:
    """One row per (bar, size): what was measured, against what, the ratio, the bar, PASS/FAIL."""
    rows = []
    sizes = results["sizes"]
    g = results["global"]
    largest = max((int(k) for k in sizes), default=0)

    def add(bar_id, path, size, measured, baseline, ratio, bar, ok, note=""):
        rows.append({"bar": bar_id, "path": path, "size": size, "measured": measured, "baseline": baseline,
                     "ratio": ratio, "target": bar, "verdict": ("PASS" if ok else "FAIL") if ok is not None else note or "n/a"})

    for key in sorted(sizes, key=int):
        r = sizes[key]
        n = r["events"]
        lab = generate.label(n)
        skip = r.get("skipped", {})
        ci, cr, ce = r.get("import_chrono"), r.get("import_raw_sqlite"), r.get("import_eventsourcing")
        if ci and cr:
            q = cr["median"] / ci["median"]
            add(1, "import vs raw sqlite3 batched insert", lab, f"{fmt_t(ci)} ({rate(n, ci)})", f"{fmt_t(cr)} ({rate(n, cr)})",
                f"{q:.1%}", "≥ 50%", q >= 0.5)
        if ci and ce:
            q = ce["median"] / ci["median"]
            add(1, "import vs eventsourcing batched save", lab, f"{fmt_t(ci)} ({rate(n, ci)})", f"{fmt_t(ce)} ({rate(n, ce)})",
                f"{q:.2f}×", "≥ 3×", q >= 3)
        rc, rr, re_ = r.get("replay_chrono"), r.get("replay_raw_scan"), r.get("replay_eventsourcing")
        if rc and rr:
            q = rr["median"] / rc["median"]
            add(2, "replay vs raw scan + orjson decode", lab, f"{fmt_t(rc)} ({rate(n, rc)})", f"{fmt_t(rr)} ({rate(n, rr)})",
                f"{q:.1%}", "≥ 40%", q >= 0.4)
        if rc and re_:
            q = re_["median"] / rc["median"]
            add(2, "replay vs eventsourcing notification replay", lab, f"{fmt_t(rc)} ({rate(n, rc)})", f"{fmt_t(re_)} ({rate(n, re_)})",
                f"{q:.2f}×", "≥ 2×", q >= 2)
        sn = r.get("state_now")
        if sn and rc:
            q = sn["median"] / rc["median"]
            add(3, "state --at T (known now), in-process, / replay", lab, fmt_t(sn), f"replay {fmt_t(rc)}", f"{q:.1%}",
                "≤ 1% (on 1M)", q <= 0.01 if n >= 1_000_000 else None, "" if n >= 1_000_000 else "(bar is at 1M)")
        sa = r.get("state_as_of")
        if sa and rc:
            q = sa["median"] / rc["median"]
            add(4, "state --at T --as-of K, in-process, / replay", lab, fmt_t(sa), f"replay {fmt_t(rc)}", f"{q:.1%}",
                "≤ 10% (on 1M)", q <= 0.10 if n >= 1_000_000 else None, "" if n >= 1_000_000 else "(bar is at 1M)")
        ver = g.get("chrono_version")
        pe = r.get("process_state_entity")
        if pe and ver:
            q = pe["median"] / ver["median"]
            add(5, "`state --at T --entity ID --json`, process, / `--version`", lab, fmt_t(pe), f"--version {fmt_t(ver)}",
                f"{q:.1f}×", "≤ 3× (on 1M)", q <= 3 if n >= 1_000_000 else None, "" if n >= 1_000_000 else "(bar is at 1M)")
        elif "process_state_entity" in skip:
            add(5, "`state --at T --entity ID`, process", lab, "—", "—", "—", "≤ 3× (on 1M)", None, skip["process_state_entity"])
        ps = r.get("process_state")
        if ps and ver:
            q = ps["median"] / ver["median"]
            add(5, "`state --at T --json` (no --entity), process, / `--version`", lab, fmt_t(ps), f"--version {fmt_t(ver)}",
                f"{q:.1f}×", "(context)", None, "context")
        hi = r.get("history")
        if hi and rc:
            q = hi["median"] / rc["median"]
            add(6, "`history ENTITY` (a popular place), in-process, / replay", lab, fmt_t(hi), f"replay {fmt_t(rc)}", f"{q:.1%}",
                "≤ 1% (on 1M)", q <= 0.01 if n >= 1_000_000 else None, "" if n >= 1_000_000 else "(bar is at 1M)")
        ph = r.get("process_history")
        if ph and rc:
            q = ph["median"] / rc["median"]
            add(6, "`history ENTITY --json`, process, / replay", lab, fmt_t(ph), f"replay {fmt_t(rc)}", f"{q:.1%}",
                "(context)", None, "context")
        elif "process_history" in skip:
            add(6, "`history ENTITY`", lab, "—", "—", "—", "≤ 1% (on 1M)", None, skip["process_history"])
        big = n >= 1_000_000
        for key, bar_id, path in (("process_timeline_week", 11, f"`timeline --from {WEEK[0]} --to {WEEK[1]}` (one week)"),
                                  ("process_history", 12, "`history ENTITY --json` (a popular place)")):
            got = r.get(key)
            if got and pe:
                q = got["median"] / pe["median"]
                add(bar_id, f"{path}, process, / `state --entity`, process", lab, fmt_t(got), f"`state --entity` {fmt_t(pe)}", f"{q:.2f}×",
                    "≤ 3× (on 1M)", q <= 3 if big else None, "" if big else "(bar is at 1M)")
        dm = r.get("process_diff_month")
        if dm:
            add(11, f"`diff --from {MONTH[0]} --to {MONTH[1]}` (one month), process", lab, fmt_t(dm), "—", "—", "(context)", None, "context")
        for key, bar_id, path in (("process_check", 13, "`check` (the whole log), process"),
                                  *((f"process_export_{fmt}", 14, f"`export --format {fmt}` (the whole log), process") for fmt in EXPORTS)):
            got = r.get(key)
            if got and ci:
                q = got["median"] / ci["median"]
                add(bar_id, f"{path}, / import", lab, fmt_t(got), f"import {fmt_t(ci)}", f"{q:.2f}×", "≤ 1.5× (on 1M)",
                    q <= 1.5 if big else None, "" if big else "(bar is at 1M)")

        fresh = r.get("state_fresh")
        for key, what in (("state_after_append", "the first `state --json` after appending one event"),
                          ("state_after_correction", "the first `state --json` after a correction of an early fact")):
            s = r.get(key)
            if s and fresh:
                q = s["median"] / fresh["median"]
                add(10, f"{what}, process, / with a fresh cache", lab, fmt_t(s), f"fresh {fmt_t(fresh)}", f"{q:.2f}×",
                    "≤ 1.5× (on 1M)", q <= 1.5 if n >= 1_000_000 else None, "" if n >= 1_000_000 else "(bar is at 1M)")
        cu, im = r.get("catch_up_new"), r.get("import_new")
        if cu and im:
            q = cu["median"] / im["median"]
            add(10, f"catching the cache up with {r['new_entries']:,} new entries, in-process, / importing them", lab, fmt_t(cu),
                f"import {fmt_t(im)}", f"{q:.2f}×", "≤ 2× (on 1M)", q <= 2 if n >= 1_000_000 else None,
                "" if n >= 1_000_000 else "(bar is at 1M)")
        for k, why in skip.items():
            if k not in ("process_state_entity", "process_history"):
                add("—", f"{k}", lab, "—", "—", "—", "—", None, why)

    # 3. growth of state --at T from the smallest to the largest size
    ks = sorted((int(k) for k in sizes if sizes[k].get("state_now")))
    if len(ks) >= 2:
        a, b = sizes[str(ks[0])]["state_now"], sizes[str(ks[-1])]["state_now"]
        q = b["median"] / a["median"]
        add(3, "state --at T growth", f"{generate.label(ks[0])}→{generate.label(ks[-1])}", fmt_t(b), fmt_t(a), f"{q:.1f}×",
            "≤ 3× (10k→1M)", q <= 3 if ks[-1] >= 1_000_000 else None, "" if ks[-1] >= 1_000_000 else "(bar is 10k→1M)")
    # 7. memory
    m100 = sizes.get("100000", {}).get("replay_memory")
    mbig = sizes.get(str(largest), {}).get("replay_memory") if largest > 100_000 else None
    for key in sorted(sizes, key=int):
        m = sizes[key].get("replay_memory")
        if m:
            add(7, "peak RSS of a full replay (fresh process)", generate.label(int(key)), f"{m['maxrss_kb'] / 1024:.0f} MB",
                f"interpreter + Chrono loaded {m['maxrss_kb_loaded'] / 1024:.0f} MB", "—", "(context)", None, "context")
    if m100 and mbig:
        q = mbig["maxrss_kb"] / m100["maxrss_kb"]
        add(7, "peak memory of a replay, 1M / 100k", "1m vs 100k", f"{mbig['maxrss_kb'] / 1024:.0f} MB", f"{m100['maxrss_kb'] / 1024:.0f} MB",
            f"{q:.2f}×", "≤ 1.5×", q <= 1.5)
    elif m100:
        add(7, "peak memory of a replay, 1M / 100k", "1m vs 100k", "—", f"{m100['maxrss_kb'] / 1024:.0f} MB", "—", "≤ 1.5×", None,
            "1M replay memory not measured")
    # 15. peak memory of each command, the largest size over 100k
    if largest > 100_000 and "100000" in sizes:
        small, large = sizes["100000"], sizes[str(largest)]
        for key in sorted({k for k in (*small, *large) if k.startswith("process_") and "peak_kb" in (small.get(k) or large.get(k) or {})}):
            a, b = small.get(key), large.get(key)
            what = f"peak memory of `{key.removeprefix('process_').replace('_', ' ')}`, {generate.label(largest)} / 100k"
            if a and b:
                q = b["peak_kb"] / a["peak_kb"]
                add(15, what, f"{generate.label(largest)} vs 100k", f"{b['peak_kb'] / 1024:.0f} MB", f"{a['peak_kb'] / 1024:.0f} MB",
                    f"{q:.2f}×", "≤ 2×", q <= 2)
            else:
                add(15, what, f"{generate.label(largest)} vs 100k", "—", "—", "—", "≤ 2×", None, "not measured at both sizes")

    # 8. start-up
    base = g.get("python_import_click")
    if base:
        for key, path, bar, limit in (("chrono_version", "`chrono --version`, process", "≤ 2×", 2),
                                      ("chrono_state_bundled", f"`chrono state --at {BUNDLED_AT}` (bundled chronicle), process", "≤ 4×", 4)):
            s = g.get(key)
            q = s["median"] / base["median"]
            add(8, path, "bundled", fmt_t(s), f"`python -c \"import click\"` {fmt_t(base)} (`-c pass` {fmt_t(g['python_pass'])})",
                f"{q:.1f}×", bar, q <= limit)
    first = g.get("chrono_state_bundled_first")
    if base and first:
        add(8, "the first `chrono state` after an install (loads the chronicle, saves its image), process", "bundled", fmt_t(first),
            f"`python -c \"import click\"` {fmt_t(base)}", f"{first['median'] / base['median']:.1f}×", "(context)", None, "context")
    # 9. single append
    ac, ar = g.get("append_chrono"), g.get("append_raw")
    if ac and ar:
        q = ar["median"] / ac["median"]
        add(9, "one durable Log.append (synchronous=FULL) vs raw 1-row transaction", f"{g['append_n']} appends on 10k log",
            fmt_t(ac), fmt_t(ar), f"{q:.1%}", "≥ 50%", q >= 0.5)
    return sorted(rows, key=lambda r: r["bar"] if isinstance(r["bar"], int) else 99)  # stable: sizes stay in order


def markdown(rows: list[dict]) -> str:
    head = "| # | path | size | Chrono: median [min–max] | baseline: median [min–max] | ratio | bar | verdict |\n|---|---|---|---|---|---|---|---|\n"
    return head + "".join(
        f"| {r['bar']} | {r['path']} | {r['size']} | {r['measured']} | {r['baseline']} | {r['ratio']} | {r['target']} | {r['verdict']} |\n"
        for r in rows)


# --- profiling -----------------------------------------------------------------------------------


def profiled(fn, path: Path, title: str) -> dict:
    """Run `fn` under cProfile; its top functions, by own and by cumulative time, go to the text file
    `path`, headed by `title` and the time it took."""
    gc.collect()
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.runcall(fn)
    wall = time.perf_counter() - t
    text = io.StringIO()
    st = pstats.Stats(prof, stream=text)
    st.sort_stats("tottime").print_stats(30)
    st.sort_stats("cumulative").print_stats(40)
    path.write_text(f"# {title}, {wall:.1f}s under cProfile\n" + text.getvalue())
    print(f"  profile: {path}", file=sys.stderr)
    return {"file": str(path), "seconds_under_profile": wall}


def profile(args, work: Path, n: int) -> dict:
    """cProfile the import and the replay of the n-event log; writes the top functions to text files."""
    jsonl = str(data_file(work, n, args.seed))
    db = str(work / f"profile-{generate.label(n)}.db")
    out = {}
    for name, fn in (("import", lambda: chrono_import(jsonl, db)), ("replay", lambda: chrono_replay(db))):
        if name == "import":
            remove_db(db)
        out[name] = profiled(fn, work / f"profile-{name}-{generate.label(n)}.txt", f"{name} of {n:,} events")
    remove_db(db)
    return out


# --- main ----------------------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Chrono's speed benchmark (issue 5).")
    ap.add_argument("--sizes", default="10k,100k", help="comma-separated: 10k, 100k, 1m or numbers (default 10k,100k)")
    ap.add_argument("--runs", type=int, default=3, help="runs per measurement (at least 5 at 10k; default 3)")
    ap.add_argument("--runs-1m", type=int, default=1, help="runs per measurement at 1m and above (default 1)")
    ap.add_argument("--budget-1m", type=float, default=900, help="seconds for the 1m size; paths that would overrun are skipped")
    ap.add_argument("--appends", type=int, default=200, help="single durable appends to time (9)")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--work", default=os.environ.get("CHRONO_BENCH_WORK", "/tmp/chrono-bench"), help="cache of generated files and logs")
    ap.add_argument("--out", default="results.json", help="where to write the JSON results")
    ap.add_argument("--md", help="also write the markdown table to this file")
    ap.add_argument("--keep", action="store_true", help="keep the reference logs in --work")
    ap.add_argument("--profile", action="store_true", help="also cProfile import and replay at 100k (or the largest size <= 100k)")
    ap.add_argument("--no-install", action="store_true", help="do not pip install the bench extra when it is missing")
    ap.add_argument("--render", metavar="RESULTS_JSON", help="only print the table of an earlier run's results")
    ap.add_argument("--_replay-child", dest="replay_child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.replay_child:
        replay_child(args.replay_child)
        return 0

    if args.render:
        results = json.loads(Path(args.render).read_text())
        print(markdown(rows_for(results)))
        return 0
    ensure_bench_deps(install=not args.no_install)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    global CACHE_HOME
    CACHE_HOME = str(work / "xdg-cache")
    # Compiled modules, as an installed Chrono has them (pip compiles them; a checkout run with
    # PYTHONDONTWRITEBYTECODE would otherwise recompile Chrono in every process measured).
    subprocess.run([sys.executable, "-m", "compileall", "-q", *(str(ROOT / d) for d in ("chrono", "events", "projections", "cli"))], check=True)
    sizes = sorted({generate.parse_size(s) for s in args.sizes.split(",") if s.strip()})
    args.has_entity_option = "--entity" in subprocess.run([*CHRONO, "state", "--help"], cwd=str(work), env=child_env(),
                                                          capture_output=True, text=True).stdout
    args.has_history = cli_has(str(work), "history", "--help")
    args.has_catch_up = (ROOT / "projections" / "cache" / "catchup.py").exists()
    started = time.perf_counter()
    results: dict = {
        "command": "python bench/speed.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "batch": BATCH,
        "git": git_state(),
        "cli": {"state_entity_option": args.has_entity_option, "history_command": args.has_history},
        "sizes": {}, "global": {},
    }
    print(f"machine: {results['machine']}", file=sys.stderr)

    # 9 runs on a copy of the 10k log: build it first (kept for the appends, then removed).
    small = min(sizes)
    prev = None
    base_db = None
    for n in sizes:
        keep = args.keep
        if n == small:
            args.keep = True
        r = measure_size(n, args, work, results, prev if n >= 1_000_000 else None)
        args.keep = keep
        results["sizes"][str(n)] = r
        if n == small:
            base_db = str(work / f"ref-{generate.label(n)}.db")
        if n < 1_000_000:
            prev = r
        Path(args.out).write_text(json.dumps(results, indent=1))
    results["global"] = measure_global(args, work, base_db if base_db and Path(base_db).exists() else None)
    results["global"]["append_n"] = args.appends
    if base_db and not args.keep:
        remove_db(base_db)
    if args.profile:
        target = max((n for n in sizes if n <= 100_000), default=100_000)
        results["profile"] = profile(args, work, target)
    results["seconds"] = time.perf_counter() - started
    m = results["machine"]
    report(results, rows_for(results), args, f"Chrono speed benchmark — {m['nproc']} × {m['cpu']}, Python {m['python']}, "
           f"SQLite {m['sqlite']}, eventsourcing {m['eventsourcing']}; {results['seconds']:.0f}s")
    return 0


def report(results: dict, rows: list, args, heading: str) -> None:
    """A run's end: its table into the results, the results to --out (and the table to --md), the
    heading and the table to stdout."""
    results["table"] = rows
    table = markdown(rows)
    Path(args.out).write_text(json.dumps(results, indent=1))
    if args.md:
        Path(args.md).write_text(table)
    print(f"\n{heading}\n")
    print(table)
    print(f"results: {args.out}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
