"""Runs a cache rebuild's steps on a connection: SQL statements, and a point at which to wait for the
word to go on. Another process runs the mentions part of a large rebuild this way while Chrono builds
the facts part, so the two use two cores (threads would not: SQLite's allocator and page caches share
mutexes across a process's threads). It needs nothing but the standard library, so it starts in the
time Python does.

As a program: reads a job from stdin (`job_message`: `{"log": path, "steps": [...], "sync": path,
"threads": n}`), connects to the log, runs the steps, reads a line at each wait (`go` to go on,
anything else to stop), flushes the file `sync` (the one it built) to disk, and prints `done`. Once
the facts part is complete, Chrono sends `alone`: the steps after it may sort on `threads` helper
threads, the cores being this process's alone."""

from __future__ import annotations

import marshal
import os
import select
import sqlite3
import sys
from collections.abc import Callable

WAIT = "wait"  # a step: wait until the facts part is complete


def job_message(job: dict) -> bytes:
    """How Chrono hands a helper its job: the length in bytes on a line, then the job in marshal's
    format, which this program reads with no module to import (importing json took a quarter of
    its start-up, which a small log's rebuild waits for)."""
    blob = marshal.dumps(job)
    return b"%d\n" % len(blob) + blob


def run(conn: sqlite3.Connection, steps: list, wait: Callable[[], bool] | None = None,
        before: Callable[[], None] | None = None) -> bool:
    """Run `steps` ([sql, params, many] or WAIT) on `conn`; False when told to stop at a wait (without
    `wait`, every wait goes straight on). `before` runs before each statement."""
    for step in steps:
        if step == WAIT:
            if wait is not None and not wait():
                return False
            continue
        if before is not None:
            before()
        sql, params, many = step
        if many:
            conn.executemany(sql, params)
        else:
            conn.execute(sql, params or ())
    return True


class _Lines:
    """The lines Chrono sends on stdin, read unbuffered, so `next` can tell whether one has come
    without waiting for it (what a buffered reader holds, select cannot see)."""

    def __init__(self, fd: int) -> None:
        self.fd, self.got, self.ended = fd, b"", False

    def _fill(self) -> None:
        chunk = os.read(self.fd, 4096)
        self.ended = not chunk
        self.got += chunk

    def read(self, n: int) -> bytes:
        while len(self.got) < n and not self.ended:
            self._fill()
        out, self.got = self.got[:n], self.got[n:]
        return out

    def readline(self) -> str:
        while b"\n" not in self.got and not self.ended:
            self._fill()
        line, _, self.got = self.got.partition(b"\n")
        return line.decode()

    def next(self) -> str | None:
        """The line that has come and not been read yet, left to read; None if none has come."""
        if b"\n" not in self.got and not self.ended and os.name != "nt":  # (select cannot wait on a pipe there)
            if select.select([self.fd], [], [], 0)[0]:
                self._fill()
        return self.got.partition(b"\n")[0].decode() if b"\n" in self.got else None


def main() -> int:
    lines = _Lines(sys.stdin.fileno())
    size = lines.readline()
    job = marshal.loads(lines.read(int(size)))
    conn = sqlite3.connect(job["log"], isolation_level=None, timeout=30.0)
    alone = []

    def before() -> None:  # when Chrono has said it is done, sort on the cores it used
        if not alone and lines.next() == "alone":  # (after `go`, which its wait reads)
            alone.append(lines.readline())
            conn.execute(f"PRAGMA threads = {int(job.get('threads', 0))}")

    try:
        if run(conn, job["steps"], lambda: lines.readline().strip() == "go", before):
            if job.get("sync"):
                with open(job["sync"], "rb+") as f:
                    os.fsync(f.fileno())
            print("done", flush=True)
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
