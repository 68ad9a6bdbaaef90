"""What `chrono search` costs: building its index from nothing, catching it up after one append and
after one correction, and answering, each beside a replay of the read cache timed in the same run (the
machine's speed cancels out of the ratios). Prints a markdown table; asserts nothing about time.

    python bench/search.py                          # a 100k log (generated and imported into --work)
    python bench/search.py --size 10k --runs 3
    python bench/search.py --log my.db              # an existing log (it is appended to: use a copy)

Run from the repository root.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chrono.entry import Draft  # noqa: E402
from chrono.jsonl import read_records  # noqa: E402
from chrono.store import Log  # noqa: E402
from chrono.timeval import parse_valid_time  # noqa: E402
from events import EventCorrected, StatementIssued  # noqa: E402
from projections import cache, search  # noqa: E402

WORDS = ("elections", "Reuters", '"fuel supplies"', "negotiat*")


def _log(work: Path, size: str) -> Path:
    data = work / f"search-{size}.jsonl"
    if not data.exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), size, "--out", str(data)], check=True)
    path = work / f"search-{size}.db"
    for old in work.glob(f"search-{size}.db*"):
        old.unlink()
    with Log.create(str(path), zone="Asia/Damascus") as log, open(data, "rb") as f:
        log.import_stream(read_records(f, log.zone, allow_stored=True))
    return path


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="100k", help="of the generated log (10k, 100k, 1m or a number)")
    ap.add_argument("--log", help="an existing log to measure instead (it is appended to)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", default=os.environ.get("CHRONO_BENCH_WORK", "/tmp/chrono-bench"))
    args = ap.parse_args(argv)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    path = Path(args.log) if args.log else _log(work, args.size)
    log = Log.open(str(path))
    index_file = search.path_of(log)
    rows: dict[str, list[float]] = {"replay (the read cache)": [], "index from nothing": [], "catch up one append": [],
                                    "catch up one correction": [], **{f"search {w}": [] for w in WORDS}}
    for run in range(args.runs):
        rows["replay (the read cache)"].append(_timed(lambda: cache.rebuild(log)))
        if os.path.exists(index_file):
            os.remove(index_file)
        rows["index from nothing"].append(_timed(lambda: search.ready_index(log).conn.close()))
        new = f"bench-search-{os.getpid()}-{run}"
        log.append(Draft(event=StatementIssued(text="Talks resumed in Homs"), valid=parse_valid_time("2024-12-02", log.zone), id=new))
        rows["catch up one append"].append(_timed(lambda: search.ready_index(log).conn.close()))
        log.append(Draft(event=EventCorrected(target=new, replacement=StatementIssued(text="Talks stalled in Homs"), reason="bench"),
                         valid=parse_valid_time("2024-12-02", log.zone)))
        rows["catch up one correction"].append(_timed(lambda: search.ready_index(log).conn.close()))
        for w in WORDS:
            rows[f"search {w}"].append(_timed(lambda: search.search(log, w, limit=50)))  # noqa: B023 (called at once)
    replay = statistics.median(rows["replay (the read cache)"])
    print(f"Search on {path} ({log.head().seq} entries), {args.runs} runs; medians, and each as a share of a replay's median\n")
    print("| what | median | min–max | ÷ replay |")
    print("|---|---|---|---|")
    for name, samples in rows.items():
        m = statistics.median(samples)
        print(f"| {name} | {m * 1000:.1f} ms | {min(samples) * 1000:.1f}–{max(samples) * 1000:.1f} ms | {m / replay:.4f} |")
    print(f"\nindex file: {os.path.getsize(index_file) / 1e6:.1f} MB; log file: {os.path.getsize(path) / 1e6:.1f} MB")
    log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
