"""Runs a cache rebuild's steps on a connection: SQL statements, and a point at which to wait for the
word to go on. Another process runs the mentions part of a large rebuild this way while Chrono builds
the facts part, so the two use two cores (threads would not: SQLite's allocator and page caches share
mutexes across a process's threads). It needs nothing but the standard library, so it starts in the
time Python does.

As a program: reads a job from stdin (`job_message`: `{"log": path, "steps": [...], "sync": path,
"threads": n}`), connects to the log, runs the steps, reads a line at each wait (`go` to go on,
anything else to stop), flushes the file `sync` (the one it builds) to disk, behind its steps and
once they are done (`Flush`), and prints `done`. Once the facts part is complete, Chrono sends
`alone`: the steps after it may sort on `threads` helper threads, the cores being this process's
alone."""

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


class Flush:
    """Flushes a file that is being written to disk behind the writing, so that the flush once it is
    complete waits for its last pages only. `behind` (between two steps) starts a flush of what is
    written so far on a thread of its own, unless one is still running or less than `EVERY` bytes were
    written since the last began; `finish` waits for it and flushes the rest. (The mentions part at
    1M, 280 MB: its flush once built took 0.14-0.21 s, which the rebuild waited for; flushed behind
    its index sorts, ~0.005 s.)"""

    EVERY = 32 << 20

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd: int | None = None
        self.thread = None
        self.error: OSError | None = None
        self.started = 0  # the file's size when the last flush began

    def _open(self) -> bool:
        if self.fd is None:
            try:
                self.fd = os.open(self.path, os.O_RDWR | getattr(os, "O_BINARY", 0))
            except FileNotFoundError:  # (SQLite creates it on its first write)
                return False
        return True

    def _flush(self) -> None:
        try:
            assert self.fd is not None
            os.fsync(self.fd)
        except OSError as e:  # (told by `finish`: an error is reported to a file's descriptor once)
            self.error = e

    def behind(self) -> None:
        if (self.thread is not None and self.thread.is_alive()) or not self._open():
            return
        assert self.fd is not None
        size = os.fstat(self.fd).st_size
        if size - self.started < self.EVERY:
            return
        import threading  # (only a large part's build needs it)

        self.started = size
        self.thread = threading.Thread(target=self._flush, daemon=True)
        self.thread.start()

    def finish(self) -> None:
        """Flush the whole file to disk (once it is complete), and close it."""
        try:
            if self.thread is not None:
                self.thread.join()
            if self.error is not None:
                raise self.error
            if not self._open():
                raise FileNotFoundError(self.path)
            assert self.fd is not None
            os.fsync(self.fd)  # (the rest)
        finally:
            self.close()

    def close(self) -> None:
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


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
    flush = Flush(job["sync"]) if job.get("sync") else None
    alone = []

    def before() -> None:  # when Chrono has said it is done, sort on the cores it used
        if not alone and lines.next() == "alone":  # (after `go`, which its wait reads)
            alone.append(lines.readline())
            conn.execute(f"PRAGMA threads = {int(job.get('threads', 0))}")
        if flush is not None:
            flush.behind()

    try:
        if run(conn, job["steps"], lambda: lines.readline().strip() == "go", before):
            if flush is not None:
                flush.finish()
            print("done", flush=True)
    finally:
        conn.close()
        if flush is not None:
            flush.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
