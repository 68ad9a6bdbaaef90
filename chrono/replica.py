"""A local copy of a log kept elsewhere (a shared log on a PostgreSQL server): a SQLite log holding
the same rows, position for position and hash for hash, brought up to the other's head by taking only
the rows past its own.

Every read command reads the copy, with the read cache beside it caught up by position as any log's
is, so a question stays a local index lookup however far away the log is, and each read costs the
network only what others appended since the last. Nothing but copying writes a copy (`Log.copy_of`
names what it copies; commands that write refuse it). A copy never says what the log did not: each row
it takes must continue its chain with the hash its columns give (`Log.copy_from`); a log that no longer
continues the copy (replaced, restored from an older backup, rewritten) is copied anew, and a row that
does not hold fails the command, as `verify` would.
"""

from __future__ import annotations

import hashlib
import os
import re
import urllib.parse
from collections.abc import Callable

from .clock import Clock, system_clock
from .errors import ChronoError, NotContinuedError
from .logs import public_address
from .logstore import LogStore
from .store import Log

def default_path(address: str, cache_dir: str) -> str:
    """Where the copy of the log at `address` lives unless the user says: in `cache_dir` (the user's
    cache directory), named by the database and a digest of the whole (public) address."""
    public = public_address(address)
    database = urllib.parse.urlsplit(public).path.strip("/") or "log"
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", database)[:40]
    return os.path.join(cache_dir, "shared", f"{readable}-{hashlib.sha256(public.encode()).hexdigest()[:16]}.db")


def synced(remote: LogStore, path: str, *, clock: Clock = system_clock, report: Callable[[int], None] | None = None) -> Log:
    """The local copy at `path` of `remote` (made when missing), holding every row `remote` held when
    called, opened with `clock` (what "now" is when reading it); `report` is told how many rows it has
    taken so far."""
    address = public_address(remote.path)
    local = _open(path, remote, address, clock)
    try:
        local.copy_from(lambda n: remote.stored_rows(after_seq=n), report=report)
    except NotContinuedError as e:
        if e.position is None or e.position > local.head().seq:
            local.close()
            raise  # (a row past the copy does not hold: the log itself fails `verify`)
        # The log no longer continues the copy: it was replaced or rewritten. Copy it anew (a row that
        # does not hold fails that copy too).
        local.close()
        _remove(path)
        local = _open(path, remote, address, clock)
        try:
            local.copy_from(lambda n: remote.stored_rows(after_seq=n), report=report)
        except BaseException:
            local.close()
            raise
    except BaseException:
        local.close()
        raise
    return local


def _open(path: str, remote: LogStore, address: str, clock: Clock) -> Log:
    if not os.path.exists(path):
        _create(path, remote, address)
    local = Log.open(path, clock=clock)
    if local.copy_of != address:
        local.close()
        what = f"a local copy of {local.copy_of}" if local.copy_of else "a log of its own"
        raise ChronoError(f"{path} is {what}, not a local copy of {address}: choose another path for the copy")
    return local


def _create(path: str, remote: LogStore, address: str) -> None:
    """An empty copy at `path`, made beside it and linked into place: of two processes making it at
    once, one copy is made and both use it."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        fresh = f"{path}.{os.getpid()}.new"
        _remove(fresh)
        Log.create(fresh, zone=remote.created_zone, name=remote.name, copy_of=address).close()
        try:
            os.link(fresh, path)
        except FileExistsError:
            pass
        finally:
            _remove(fresh)
    except OSError as e:
        raise ChronoError(f"cannot keep a local copy in {folder}: {e.strerror}") from e


def _remove(path: str) -> None:
    """Remove a copy (its cache, which the new copy does not extend, is rebuilt by the next read)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass
