"""Runs a cache rebuild's steps on a connection: SQL statements, and a point at which to wait for the
word to go on. Another process runs the mentions part of a large rebuild this way while Chrono builds
the facts part, so the two use two cores (threads would not: SQLite's allocator and page caches share
mutexes across a process's threads). It needs nothing but the standard library, so it starts in the
time Python does.

As a program: reads one line of JSON from stdin (`{"log": path, "steps": [...], "sync": path}`),
connects to the log, runs the steps, reads a line at each wait (`go` to go on, anything else to stop),
flushes the file `sync` (the one it built) to disk, and prints `done`."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Callable

WAIT = "wait"  # a step: wait until the facts part is complete


def run(conn: sqlite3.Connection, steps: list, wait: Callable[[], bool] | None = None) -> bool:
    """Run `steps` ([sql, params, many] or WAIT) on `conn`; False when told to stop at a wait (without
    `wait`, every wait goes straight on)."""
    for step in steps:
        if step == WAIT:
            if wait is not None and not wait():
                return False
            continue
        sql, params, many = step
        if many:
            conn.executemany(sql, params)
        else:
            conn.execute(sql, params or ())
    return True


def main() -> int:
    job = json.loads(sys.stdin.readline())
    conn = sqlite3.connect(job["log"], isolation_level=None, timeout=30.0)
    try:
        if run(conn, job["steps"], lambda: sys.stdin.readline().strip() == "go"):
            if job.get("sync"):
                with open(job["sync"], "rb+") as f:
                    os.fsync(f.fileno())
            print("done", flush=True)
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
