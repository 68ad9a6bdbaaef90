"""Chrono's log on PostgreSQL (issue 21, item 6): many writers, and a local read model's catch-up and
answers, against their contenders on one throwaway server, as same-run ratios.

    python bench/postgres.py                  # quick: 1, 4, 16 writers for 2 s; 10k entries
    python bench/postgres.py --seconds 6 --runs 3 --batches 1,10 --sizes 100k,1m --out pg.json --md pg.md

Run from anywhere; it uses the Chrono in this checkout and starts its own PostgreSQL cluster
(tests/pgserver.py: the server's binaries, a unix socket in a temporary directory, fsync=off), which it
stops and removes at the end. It measures:

 1. appends per second with N writer processes (--writers, default 1,4,16), each on its own
    connection, each append one event (--batches 1; add 10 for batches of ten events), for --seconds:
    (a) Chrono on PostgreSQL (PgLog.append of a Draft of a CallMade with a valid time, the id left to
    the log), (b) eventsourcing's PostgreSQL application recorder (PostgresApplicationRecorder.insert_events
    of one StoredEvent per call, of a new aggregate, its state the same event as JSON), (c) Chrono on
    SQLite (Log.append into one file, synchronous=FULL). Each contender writes into a fresh database
    or file; within a run the three take turns at each writer count;
 2. no writer starves: each writer's 99th-percentile append time over its median (the worst writer's,
    over every run), and how many appends the least and the most served writers made;
 3. a local read model catching up: `chrono.replica.synced(log, path)` of the size's generated log,
    imported into PostgreSQL beforehand (and analysed, as autovacuum would soon after), into a fresh
    local copy, and then its read cache brought up to date (`projections.query.ensure_cache`), vs
    importing the same file into a fresh SQLite log as `chrono import` does (bench/speed.py's
    chrono_import); both in-process, in turn. Also, for where the time goes: reading every row from
    the server alone (PgLog.stored_rows), the copy (synced) and the cache each on their own, and the
    import into PostgreSQL;
 4. `state --at T` in-process (bench/speed.py's chrono_state: projections.query.state on a freshly
    opened log) on the caught-up local copy vs on the SQLite log of row 3's import, its cache built;
    and, for context, a `synced` that finds nothing new (what a read of a shared log adds before it).

Times are medians with min-max over --runs (gc.collect() before each, time.perf_counter); rows 3 and 4
run at every --sizes size (row 3 at least 3 times below 1M, once at 1M; row 4 at least 5 times). The
bars are the issue's: 1 at every writer count, 2 at every count above one, 3 at 100k, 4 at 1M; other
sizes are context. Nothing asserts anything about time: the verdicts compare ratios with the bars.
Progress goes to stderr, the table to stdout, everything (every run, the machine, the server, the git
state) to --out. `python bench/postgres.py --render FILE` prints the table of an earlier run.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402
import speed  # noqa: E402
from speed import ZONE, AT, chrono_import, chrono_state, data_file, fmt_t, markdown, remove_db, report, summarize  # noqa: E402

CONTENDERS = ("chrono_pg", "es_pg", "chrono_sqlite")
NAMES = {"chrono_pg": "Chrono on PostgreSQL", "es_pg": "eventsourcing's PostgreSQL recorder", "chrono_sqlite": "Chrono on SQLite"}
VALID = "2024-12-01T10:15"
UNAVAILABLE = 3  # the exit status when no PostgreSQL cluster can be made here (the reason on stderr)


# --- 1, 2. writers -------------------------------------------------------------------------------


def _appender(kind: str, target: str, batch: int):
    """A function appending `batch` events as a writer of `kind` does, with what it holds open."""
    if kind == "es_pg":
        import uuid

        import orjson
        from eventsourcing.persistence import StoredEvent
        from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
        from psycopg.conninfo import conninfo_to_dict

        info = conninfo_to_dict(target)
        datastore = PostgresDatastore(dbname=info["dbname"], host=info["host"], port=info.get("port", 5432),
                                      user=info["user"], password=info.get("password", ""))
        recorder = PostgresApplicationRecorder(datastore)
        with datastore.get_connection():  # (its pool connects on first use: before the clock starts, as PgLog.open does)
            pass
        counter = iter(range(1 << 62))

        def append():
            events = []
            for _ in range(batch):
                i = next(counter)
                state = orjson.dumps({"event": {"caller": "person-00001", "callee": "person-00002", "summary": f"append {i}"},
                                      "valid": VALID, "sources": [{"outlet": "bench"}]})
                events.append(StoredEvent(originator_id=uuid.uuid4(), originator_version=1, topic="bench:CallMade", state=state))
            return lambda: recorder.insert_events(events)

        return append, datastore.close
    from chrono.entry import Draft
    from chrono.timeval import parse_valid_time
    from events import CallMade, Source

    if kind == "chrono_pg":
        from chrono.pgstore import PgLog

        log = PgLog.open(target)
    else:
        from chrono.store import Log

        log = Log.open(target)
    valid = parse_valid_time(VALID, ZONE)
    sources = (Source(outlet="bench"),)
    counter = iter(range(1 << 62))

    def append():
        drafts = [Draft(event=CallMade(caller="person-00001", callee="person-00002", summary=f"append {next(counter)}"),
                        valid=valid, sources=sources) for _ in range(batch)]
        return lambda: log.append(drafts if batch > 1 else drafts[0])

    return append, log.close


def writer_child(spec: str) -> None:
    """One writer process: open, say `ready`, wait for `START DEADLINE` (time.monotonic, which every
    process on the machine shares), append until the deadline, print what each append took."""
    from chrono.errors import ChronoError

    s = json.loads(spec)
    prepare, close = _appender(s["kind"], s["target"], s["batch"])
    print("ready", flush=True)
    start, deadline = (float(x) for x in sys.stdin.readline().split())
    took, errors = [], 0
    time.sleep(max(0.0, start - time.monotonic()))
    perf, mono = time.perf_counter, time.monotonic
    end = mono()
    while end < deadline:
        append = prepare()  # (the caller's part, untimed: the drafts or stored events)
        t = perf()
        try:
            append()
        except ChronoError:  # (SQLite: still locked by another writer after its busy timeout)
            errors += 1
            end = mono()
            continue
        took.append(perf() - t)
        end = mono()
    close()
    print(json.dumps({"took": took, "errors": errors, "end": end}))


def percentile(sorted_values: list[float], p: float) -> float:
    """The nearest-rank percentile."""
    k = max(0, min(len(sorted_values) - 1, -(-len(sorted_values) * p // 100) - 1))
    return sorted_values[int(k)]


def run_writers(kind: str, target: str, writers: int, batch: int, seconds: float) -> dict:
    """`writers` processes appending to `target` for `seconds` at once: their throughput and each
    writer's append times."""
    spec = json.dumps({"kind": kind, "target": target, "batch": batch})
    procs = [subprocess.Popen([sys.executable, __file__, "--_writer", spec], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=speed.child_env()) for _ in range(writers)]
    try:
        for p in procs:
            if p.stdout.readline().strip() != "ready":
                raise RuntimeError(f"a {kind} writer did not start: {p.stderr.read()[-1000:]}")
        start = time.monotonic() + 0.2
        for p in procs:
            p.stdin.write(f"{start} {start + seconds}\n")
            p.stdin.flush()
        outs = []
        for p in procs:
            out, err = p.communicate(timeout=seconds + 120)
            if p.returncode != 0:
                raise RuntimeError(f"a {kind} writer failed ({p.returncode}): {err[-1000:]}")
            outs.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    per = []
    for o in outs:
        took = sorted(o["took"])
        per.append({"appends": len(took), "errors": o["errors"], "median": percentile(took, 50) if took else None,
                    "p99": percentile(took, 99) if took else None, "max": took[-1] if took else None})
    appends = sum(w["appends"] for w in per)
    wall = max(o["end"] for o in outs) - start
    starving = [w for w in per if w["appends"] < 2]
    return {"writers": writers, "batch": batch, "seconds": wall, "appends": appends, "events": appends * batch,
            "events_per_s": appends * batch / wall, "appends_per_s": appends / wall,
            "errors": sum(w["errors"] for w in per), "per_writer": per,
            # (None: a writer made fewer than two appends, which no percentile describes: it starved)
            "worst_p99_over_median": None if starving else max(w["p99"] / w["median"] for w in per),
            "appends_per_writer": [min(w["appends"] for w in per), max(w["appends"] for w in per)]}


def fresh_target(server, kind: str, work: Path, i: int) -> str:
    """A new, empty store for `kind`'s writers."""
    if kind == "chrono_sqlite":
        from chrono.store import Log

        path = str(work / f"writers-{i}.db")
        remove_db(path)
        Log.create(path, zone=ZONE).close()
        return path
    url = server.new_database()
    if kind == "chrono_pg":
        from chrono.pgstore import PgLog

        PgLog.create(url, zone=ZONE).close()
    else:
        from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
        from psycopg.conninfo import conninfo_to_dict

        info = conninfo_to_dict(url)
        datastore = PostgresDatastore(dbname=info["dbname"], host=info["host"], port=info.get("port", 5432), user=info["user"], password="")
        PostgresApplicationRecorder(datastore).create_table()
        datastore.close()
    return url


def stored(kind: str, target: str) -> int:
    """How many events `target` holds: every append a writer counted must be there, once."""
    if kind == "chrono_sqlite":
        from chrono.store import Log

        with Log.open(target) as log:
            return len(log)
    import psycopg

    with psycopg.connect(target) as conn:
        return conn.execute("SELECT count(*) FROM " + ("events" if kind == "chrono_pg" else "stored_events")).fetchone()[0]


def drop(server, target: str) -> None:
    if target.startswith("postgresql://"):
        import psycopg
        from psycopg import sql
        from psycopg.conninfo import conninfo_to_dict

        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(conninfo_to_dict(target)["dbname"])))
    else:
        remove_db(target)


def measure_writers(server, args, work: Path) -> list[dict]:
    """Every (writer count, batch, contender), `--runs` times, the contenders in turn."""
    got: list[dict] = []
    counts = [int(x) for x in args.writers.split(",")]
    batches = [int(x) for x in args.batches.split(",")]
    i = 0
    for run in range(args.runs):
        print(f"\n== writers, run {run + 1} of {args.runs}: {args.seconds:g} s each ==", file=sys.stderr)
        for writers in counts:
            for batch in batches:
                for kind in CONTENDERS:
                    i += 1
                    target = fresh_target(server, kind, work, i)
                    try:
                        r = run_writers(kind, target, writers, batch, args.seconds)
                        r["stored"] = stored(kind, target)
                        if r["stored"] != r["events"]:
                            raise RuntimeError(f"{kind}: the writers appended {r['events']} events, the store holds {r['stored']}")
                    finally:
                        drop(server, target)
                    got.append({"kind": kind, "run": run, **r})
                    worst = r["worst_p99_over_median"]
                    print(f"  {kind:14} {writers:2} writer(s) x {batch:2}-event appends: {r['events_per_s']:8,.0f} events/s  "
                          f"worst p99/median {'starved' if worst is None else f'{worst:.1f}x'}  appends per writer {r['appends_per_writer']}"
                          + (f"  {r['errors']} failed" if r["errors"] else ""), file=sys.stderr)
    return got


# --- 3, 4. a local read model --------------------------------------------------------------------


def pg_import(jsonl: str, url: str) -> int:
    """`chrono import FILE` into a new log on PostgreSQL (as speed.chrono_import reads it)."""
    from chrono.pgstore import PgLog

    return chrono_import(jsonl, url, create=PgLog.create)


def catch_up(url: str, path: str) -> dict:
    """A fresh local copy of the log at `url` (replica.synced), then its read cache brought up to date;
    the time of each part."""
    from chrono import replica
    from chrono.pgstore import PgLog
    from projections.query import ensure_cache

    t0 = time.perf_counter()
    with PgLog.open(url, readonly=True) as remote:
        local = replica.synced(remote, path)
    t1 = time.perf_counter()
    try:
        if not ensure_cache(local):
            raise RuntimeError("the local copy's cache was not built")
        rows = len(local)
    finally:
        local.close()
    return {"sync": t1 - t0, "cache": time.perf_counter() - t1, "rows": rows}


def fetch_only(url: str) -> int:
    """Every row read from the server, as the copy reads them, and nothing else."""
    from chrono.pgstore import PgLog

    with PgLog.open(url, readonly=True) as remote:
        return sum(1 for _ in remote.stored_rows())


def sync_nothing_new(url: str, path: str) -> int:
    from chrono import replica
    from chrono.pgstore import PgLog

    with PgLog.open(url, readonly=True) as remote:
        local = replica.synced(remote, path)
        local.close()
        return 0


def remove_copy(path: str) -> None:
    remove_db(path)


def measure_size(server, n: int, args, work: Path) -> dict:
    from chrono.store import Log
    from projections.query import ensure_cache

    label = generate.label(n)
    big = n >= 1_000_000
    runs = 1 if big else max(args.runs, 3)
    out: dict = {"events": n, "runs": runs}
    print(f"\n== {label}: {n:,} entries, {runs} run(s) ==", file=sys.stderr)
    jsonl = str(data_file(Path(args.data or work), n, args.seed))
    url = server.new_database()
    t = time.perf_counter()
    out["rows"] = pg_import(jsonl, url)
    out["import_pg"] = summarize([time.perf_counter() - t])
    # The table's statistics, as autovacuum gathers them within a minute of a large import. Before
    # that, the planner reads each page of `stored_rows` by sorting every row up to the head (on
    # disk): 100k rows read in 1.4-1.6 s against 0.31 s (docs/performance.md). The rows measured
    # here are those of a log the server has analysed.
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE events")
    print(f"  import into PostgreSQL       {out['import_pg']['median']:.2f}s ({out['rows']:,} rows)", file=sys.stderr)

    local, db = str(work / f"copy-{label}.db"), str(work / f"sqlite-{label}.db")
    samples: dict = {"catch_up": [], "sync": [], "cache": [], "import_sqlite": [], "fetch": []}
    for _ in range(runs):
        # (In turn: the copy and its cache, the import, the reading alone.)
        remove_copy(local)
        gc.collect()
        t = time.perf_counter()
        parts = catch_up(url, local)
        samples["catch_up"].append(time.perf_counter() - t)
        samples["sync"].append(parts["sync"])
        samples["cache"].append(parts["cache"])
        remove_db(db)
        gc.collect()
        t = time.perf_counter()
        chrono_import(jsonl, db)
        samples["import_sqlite"].append(time.perf_counter() - t)
        gc.collect()
        t = time.perf_counter()
        fetch_only(url)
        samples["fetch"].append(time.perf_counter() - t)
    for key, s in samples.items():
        out[key] = summarize(s)
        print(f"  {key:28} median {out[key]['median']:.3f}s  [{out[key]['min']:.3f}-{out[key]['max']:.3f}]", file=sys.stderr)

    if args.profile and n == args.profile_size:
        out["profile"] = profile_catch_up(url, local, work, n)

    # 4. state --at T, each log's cache up to date (the copy's was built by its catch-up)
    with Log.open(db) as log:
        t = time.perf_counter()
        ensure_cache(log)
        out["cache_sqlite"] = summarize([time.perf_counter() - t])
    chrono_state(local, AT)  # (a first read of each, untimed)
    chrono_state(db, AT)
    got = speed.timed_in_turn({"state_copy": (lambda: chrono_state(local, AT), None), "state_sqlite": (lambda: chrono_state(db, AT), None),
                               "sync_nothing_new": (lambda: sync_nothing_new(url, local), None)}, max(args.runs, 5))
    for key, (s, _) in got.items():
        out[key] = s
        print(f"  {key:28} median {s['median'] * 1000:.1f} ms  [{s['min'] * 1000:.1f}-{s['max'] * 1000:.1f}]", file=sys.stderr)
    out["at"] = AT
    remove_copy(local)
    remove_db(db)
    drop(server, url)
    return out


def profile_catch_up(url: str, path: str, work: Path, n: int) -> dict:
    """cProfile a catch-up into a fresh copy; the top functions go to a text file."""
    remove_copy(path)
    return speed.profiled(lambda: catch_up(url, path), work / f"profile-catch-up-{generate.label(n)}.txt",
                          f"catch-up of {n:,} entries from PostgreSQL")


# --- the table -----------------------------------------------------------------------------------


def fmt_rate(s: dict) -> str:
    if s["runs"] == 1:
        return f"{s['median']:,.0f}/s (1 run)"
    return f"{s['median']:,.0f}/s [{s['min']:,.0f}–{s['max']:,.0f}]"


def rows_for(results: dict) -> list[dict]:
    """One row per (bar, size or writer count): what, against what, the ratio, the bar, PASS/FAIL."""
    rows: list[dict] = []

    def add(bar_id, path, size, measured, baseline, ratio, bar, ok, note=""):
        rows.append({"bar": bar_id, "path": path, "size": size, "measured": measured, "baseline": baseline,
                     "ratio": ratio, "target": bar, "verdict": ("PASS" if ok else "FAIL") if ok is not None else note or "n/a"})

    writes = results.get("writers", [])
    groups: dict = {}
    for r in writes:
        groups.setdefault((r["writers"], r["batch"]), {}).setdefault(r["kind"], []).append(r)
    for (writers, batch), by_kind in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        rate = {k: summarize([r["events_per_s"] for r in rs]) for k, rs in by_kind.items()}
        size = f"{writers} writer{'s' if writers > 1 else ''}"
        what = "events appended per second, one event per append" if batch == 1 else f"events appended per second, {batch} per append"
        c, e, s = rate.get("chrono_pg"), rate.get("es_pg"), rate.get("chrono_sqlite")
        if c and e:
            q = c["median"] / e["median"]
            add(1, f"{what}: Chrono on PostgreSQL / eventsourcing's PostgreSQL recorder", size, fmt_rate(c), f"eventsourcing {fmt_rate(e)}",
                f"{q:.2f}×", "≥ 1×" if batch == 1 else "(context)", q >= 1 if batch == 1 else None, "context")
        if c and s:
            failed = sum(r["errors"] for r in by_kind["chrono_sqlite"])
            q = c["median"] / s["median"]
            add(1, f"{what}: Chrono on PostgreSQL / Chrono on SQLite", size, fmt_rate(c),
                f"SQLite {fmt_rate(s)}" + (f", {failed} appends timed out" if failed else ""), f"{q:.2f}×", "(context)", None, "context")
        for kind in CONTENDERS:
            rs = by_kind.get(kind)
            if not rs:
                continue
            worst = max(rs, key=lambda r: float("inf") if r["worst_p99_over_median"] is None else r["worst_p99_over_median"])
            q = worst["worst_p99_over_median"]
            timed = [w for w in worst["per_writer"] if w["appends"] >= 2]
            w = max(timed, key=lambda w: w["p99"] / w["median"]) if timed else None
            lo, hi = min(r["appends_per_writer"][0] for r in rs), max(r["appends_per_writer"][1] for r in rs)
            judged = kind == "chrono_pg" and batch == 1 and writers > 1
            each = ", ".join("starved" if r["worst_p99_over_median"] is None else f"{r['worst_p99_over_median']:.1f}×" for r in rs)
            add(2, f"the worst writer's p99 / median append, {NAMES[kind]}" + ("" if batch == 1 else f", {batch} per append"), size,
                "—" if w is None else f"p99 {w['p99'] * 1000:.3g} ms, median {w['median'] * 1000:.3g} ms",
                f"appends per writer {lo:,}–{hi:,}" + (f"; each run's worst {each}" if len(rs) > 1 else ""), "starved" if q is None else f"{q:.1f}×", "≤ 10×" if judged else "(context)",
                (q is not None and q <= 10) if judged else None, "context")

    for key in sorted(results.get("sizes", {}), key=int):
        r = results["sizes"][key]
        n = r["events"]
        lab = generate.label(n)
        cu, im = r.get("catch_up"), r.get("import_sqlite")
        at_bar = n == 100_000
        if cu and im:
            q = cu["median"] / im["median"]
            add(3, "a local read model catching up (replica.synced + ensure_cache), in-process, / `chrono import` into SQLite, in-process",
                lab, fmt_t(cu), f"import {fmt_t(im)}", f"{q:.2f}×", "≤ 2× (on 100k)", q <= 2 if at_bar else None,
                "" if at_bar else "(bar is at 100k)")
            add(3, "where the catch-up's time goes: reading every row from the server alone; the copy (synced); the cache", lab,
                f"copy {fmt_t(r['sync'])}, cache {fmt_t(r['cache'])}", f"reading alone {fmt_t(r['fetch'])}", "—", "(context)", None, "context")
            add(3, "`chrono import` into PostgreSQL / into SQLite, in-process", lab, fmt_t(r["import_pg"]), f"SQLite {fmt_t(im)}",
                f"{r['import_pg']['median'] / im['median']:.2f}×", "(context)", None, "context")
        sc, ss = r.get("state_copy"), r.get("state_sqlite")
        big = n >= 1_000_000
        if sc and ss:
            q = sc["median"] / ss["median"]
            add(4, "`state --at T`, in-process, on the local copy of the PostgreSQL log / on the SQLite log", lab, fmt_t(sc),
                f"SQLite {fmt_t(ss)}", f"{q:.2f}×", "≤ 1.5× (on 1M)", q <= 1.5 if big else None, "" if big else "(bar is at 1M)")
        sn = r.get("sync_nothing_new")
        if sn and sc:
            add(4, "replica.synced finding nothing new (before each read of a shared log) / `state --at T` on the copy", lab, fmt_t(sn),
                f"state {fmt_t(sc)}", f"{sn['median'] / sc['median']:.2f}×", "(context)", None, "context")
    return sorted(rows, key=lambda r: r["bar"])  # (stable: writer counts and sizes stay in order)


# --- main ----------------------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description="Chrono's log on PostgreSQL (issue 21, item 6), measured on a throwaway server in one run: appends per second "
                    "with many writer processes (vs eventsourcing's PostgreSQL recorder and Chrono on SQLite), each writer's "
                    "p99/median append, a local read model catching up vs an SQLite import, and `state --at T` on the local "
                    "copy vs on SQLite. Prints a markdown table with the bars and PASS/FAIL; writes every figure as JSON.",
        epilog="The full run: --seconds 6 --runs 3 --batches 1,10 --sizes 100k,1m (10-14 minutes on two cores, "
               "a third of it the 1m size). See docs/performance.md, \"A shared log on PostgreSQL\".")
    ap.add_argument("--writers", default="1,4,16", help="comma-separated writer process counts (default 1,4,16)")
    ap.add_argument("--batches", default="1", help="comma-separated events per append (default 1; 1,10 adds batches of ten)")
    ap.add_argument("--seconds", type=float, default=2.0, help="how long each contender's writers append, per run (default 2)")
    ap.add_argument("--runs", type=int, default=1, help="runs of the writers (the contenders take turns); rows 3-4 run at least "
                                                        "3 (5 for state) times below 1m, the catch-up once at 1m (default 1)")
    ap.add_argument("--sizes", default="10k", help="comma-separated log sizes for rows 3 and 4: 10k, 100k, 1m or numbers; "
                                                   "none to skip them (default 10k; the bars are at 100k and 1m)")
    ap.add_argument("--seed", type=int, default=2024, help="of the generated logs (bench/generate.py)")
    ap.add_argument("--work", default=os.environ.get("CHRONO_BENCH_WORK", "/tmp/chrono-bench"),
                    help="where the logs are made while measured (default $CHRONO_BENCH_WORK or /tmp/chrono-bench)")
    ap.add_argument("--data", help="where the generated logs are cached (default: --work; generated there when missing)")
    ap.add_argument("--profile", action="store_true", help="also cProfile one catch-up at 100k (or the largest size below), "
                                                           "top functions to <work>/profile-catch-up-<size>.txt")
    ap.add_argument("--out", default="results-postgres.json", help="where to write the JSON results (default results-postgres.json)")
    ap.add_argument("--md", help="also write the markdown table to this file")
    ap.add_argument("--render", metavar="RESULTS_JSON", help="only print the table of an earlier run's results")
    ap.add_argument("--_writer", dest="writer", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.writer:
        writer_child(args.writer)
        return 0
    if args.render:
        print(markdown(rows_for(json.loads(Path(args.render).read_text()))))
        return 0
    try:
        for module in ("psycopg", "eventsourcing.postgres"):
            importlib.import_module(module)
    except ImportError as e:
        sys.exit(f"the benchmark needs eventsourcing's PostgreSQL recorder and psycopg ({e}): pip install -e '.[bench,postgres]'")
    from tests.pgserver import PgUnavailable, cluster

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    speed.CACHE_HOME = str(work / "xdg-cache")
    sizes = sorted({generate.parse_size(s) for s in args.sizes.split(",") if s.strip() and s.strip() != "none"})
    args.profile_size = max((n for n in sizes if n <= 100_000), default=None)
    started = time.perf_counter()
    results: dict = {"command": "python bench/postgres.py " + " ".join(argv if argv is not None else sys.argv[1:]),
                     "machine": speed.machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "git": speed.git_state(),
                     "settings": {"writers": args.writers, "batches": args.batches, "seconds": args.seconds, "runs": args.runs},
                     "writers": [], "sizes": {}}
    print(f"machine: {results['machine']}", file=sys.stderr)
    try:
        with cluster() as server:
            import psycopg

            with psycopg.connect(server.url(), autocommit=True) as conn:
                results["server"] = {"version": conn.execute("SHOW server_version").fetchone()[0],
                                     "fsync": conn.execute("SHOW fsync").fetchone()[0],
                                     "shared_buffers": conn.execute("SHOW shared_buffers").fetchone()[0]}
            print(f"server: PostgreSQL {results['server']}", file=sys.stderr)
            results["writers"] = measure_writers(server, args, work)
            Path(args.out).write_text(json.dumps(results, indent=1))
            for n in sizes:
                results["sizes"][str(n)] = measure_size(server, n, args, work)
                Path(args.out).write_text(json.dumps(results, indent=1))
    except PgUnavailable as e:
        print(f"no PostgreSQL cluster can be made here: {e}", file=sys.stderr)
        return UNAVAILABLE
    results["seconds"] = time.perf_counter() - started
    m = results["machine"]
    report(results, rows_for(results), args, f"Chrono on PostgreSQL — {m['nproc']} × {m['cpu']}, Python {m['python']}, PostgreSQL "
           f"{results['server']['version']} (fsync {results['server']['fsync']}), SQLite {m['sqlite']}, "
           f"eventsourcing {m['eventsourcing']}; {results['seconds']:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
