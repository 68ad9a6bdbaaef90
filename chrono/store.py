"""The log in SQLite: one table, append-only by trigger, hash-chained, with a gap-free global position.

Appends run inside BEGIN IMMEDIATE, which serialises writers: a batch is all or nothing and positions
never skip. What every backend shares (the interface and its laws, the row and its hash, the write
path's rules, verify) is chrono.logstore's; its names are re-exported here for the callers that
import them from this module.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sqlite3
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime

from .clock import Clock, system_clock
from .entry import Draft, Entry
from .errors import ChronoError, LogLockedError, NotALogError, NotContinuedError, StorageError, TamperedError, UnknownEventError
from .logstore import (
    COLUMNS,
    GENESIS,
    INCOMING,
    NO_LINKS,
    SETTING,
    Head,
    LogStore,
    Stage,
    VerifyReport,
    check_author,
    entry_from_row,
    os_user,
    row_hash,
    row_problem,
    valid_columns,
    verify,
)
from .timeval import from_micros, to_micros, zone_info

__all__ = [
    "COLUMNS", "GENESIS", "INCOMING", "NO_LINKS", "SCHEMA_VERSION", "Head", "Log", "LogStore", "cannot_write",
    "Stage", "VerifyReport", "bulk", "entry_from_row", "row_hash", "valid_columns", "verify",
]

# 2: the events table has a provenance column, and rows with a provenance hash it (logstore.row_hash).
# A log of schema 1 has none: it reads as rows without, and becomes schema 2 when it first stores one.
SCHEMA_VERSION = 2
_NAMES = tuple(c.strip() for c in COLUMNS.split(","))
_INSERT = f"INSERT INTO events ({COLUMNS}) VALUES ({', '.join('?' * len(_NAMES))})"
_INSERT_SCHEMA_1 = f"INSERT INTO events ({', '.join(_NAMES[:-1])}) VALUES ({', '.join('?' * (len(_NAMES) - 1))})"
# The log's settings are read by every command (its zone): an index of their few rows alone.
_SETTINGS_ROWS = f"type = '{SETTING}'"
_SETTINGS_INDEX = f"CREATE INDEX IF NOT EXISTS events_settings ON events (seq) WHERE {_SETTINGS_ROWS}"


class Log(LogStore):
    """An open Chrono log in a SQLite file (or in memory): the LogStore every command uses. Use
    `Log.create` for a new one and `Log.open` for an existing one.

    `conn` is the log's connection, in autocommit mode (isolation_level None), WAL on a file. The read
    cache (projections) is SQLite's own: it reads a SQLite log through this connection, attaching its
    cache file to it, so it needs this backend; nothing else outside this module uses `conn`. It
    selects a row's COLUMNS as `columns()` names them for this log's table."""

    def __init__(self, conn: sqlite3.Connection, *, clock: Clock = system_clock, path: str = ":memory:", readonly: bool = False,
                 author: str | None = None):
        self.author = author
        self.conn = conn
        self.clock = clock
        self.path = path
        self.readonly = readonly
        self._provenance = _has_provenance(conn)
        meta = dict(conn.execute("SELECT key, value FROM chrono_meta").fetchall())
        self.created_zone: str | None = meta.get("zone")
        # The address of the log this file is a local copy of (chrono.replica), or None for a log of its
        # own: a copy is written only by copying, never by a command.
        self.copy_of: str | None = meta.get("copy_of")
        self.name: str = meta.get("name") or os.path.basename(path)
        self._staging = False  # inside staged(): each write is a savepoint of the stage's transaction

    # --- opening -----------------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str, *, zone: str | None = None, name: str | None = None, clock: Clock = system_clock,
               copy_of: str | None = None, author: str | None = None) -> Log:
        """A new, empty log at `path`. A `zone` is kept in its metadata, as logs written before settings
        kept theirs (the bundled chronicle's is): `chrono init` records a zone as a setting instead
        (chrono.settings), which travels with the log. `author`: who its writes record (see
        LogStore.author; default, the user this process runs as)."""
        if zone is not None:
            zone_info(zone)  # refuse an unknown zone before touching the disk
        if author is not None:
            check_author(author)  # (and a bad author too)
        if path != ":memory:" and os.path.exists(path) and os.path.getsize(path) > 0:
            raise ChronoError(f"{path} already exists; choose another --db or remove it first")
        conn = _connect(path)
        try:
            _create_schema(conn, zone=zone, name=name or os.path.basename(path), created=clock(), copy_of=copy_of)
        except sqlite3.Error as e:
            conn.close()
            raise StorageError(f"cannot create a log at {path}: {e}") from e
        return cls(conn, clock=clock, path=path, author=author)

    @classmethod
    def open(cls, path: str, *, clock: Clock = system_clock, readonly: bool = False, untouched: bool = False,
             author: str | None = None) -> Log:
        """An existing log; with `readonly`, a connection that cannot write it. With `untouched`, read
        only, and nothing written beside the log either (no -wal or -shm file, no cache): for a log
        that cannot or must not be written (`cannot_write`), as on an archive or a shared drive. It is
        read as the file stands, without locks (SQLite's immutable mode), which assumes nobody writes
        it meanwhile; a -wal or -journal file beside it shows a writer at work, and it is then read
        with locks, as `readonly` reads."""
        if not os.path.exists(path):
            raise ChronoError(f"no log at {path}; create one with `chrono init`")
        if author is not None:
            check_author(author)  # (before a connection is made, which would be left open)
        readonly = readonly or untouched
        # Look before touching: switching to WAL rewrites the file header, which must not happen to
        # another application's database (or a newer Chrono's) opened by mistake.
        conn = _connect(path, readonly=readonly, wal=False, immutable=untouched and not _writing(path))
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.OperationalError as e:
            conn.close()
            raise _storage_error(e, path) from e
        except sqlite3.DatabaseError as e:
            conn.close()
            raise NotALogError(f"{path} is not a Chrono log ({e})") from e
        if not {"chrono_meta", "events"} <= tables:
            conn.close()
            raise NotALogError(f"{path} is not a Chrono log (no chrono_meta and events tables)")
        meta = dict(conn.execute("SELECT key, value FROM chrono_meta").fetchall())
        if meta.get("app") != "chrono":
            conn.close()
            raise NotALogError(f"{path} is not a Chrono log")
        if int(meta.get("schema", "0")) > SCHEMA_VERSION:
            conn.close()
            raise NotALogError(f"{path} was written by a newer Chrono (schema {meta['schema']}); upgrade Chrono to read it")
        if not readonly:
            try:
                _use_wal(conn)
                conn.execute(_SETTINGS_INDEX)  # (a log written before settings has none)
            except sqlite3.Error as e:
                conn.close()
                raise _storage_error(e, path) from e
        return cls(conn, clock=clock, path=path, readonly=readonly, author=author)

    def close(self) -> None:
        self.conn.close()

    @property
    def default_author(self) -> str:
        """The user this process runs as: on a log in a file, who holds the file."""
        return os_user()

    # --- reading -----------------------------------------------------------------------------------

    def head(self) -> Head:
        row = self.conn.execute("SELECT seq, hash, recorded FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        if row is None:
            return Head(0, GENESIS, None)
        return Head(row[0], row[1], from_micros(row[2]))

    def entries(self, *, known_at: datetime | None = None, after_seq: int = 0) -> Iterator[Entry]:
        """Entries in log order; with `known_at`, only those recorded at or before it."""
        sql = f"SELECT {self.columns()} FROM events WHERE seq > ?"
        args: list = [after_seq]
        if known_at is not None:
            sql += " AND recorded <= ?"
            args.append(to_micros(known_at))
        for row in self.conn.execute(sql + " ORDER BY seq", args):
            yield entry_from_row(row)

    def get(self, event_id: str) -> Entry:
        row = self.conn.execute(f"SELECT {self.columns()} FROM events WHERE id = ?", (event_id,)).fetchone()
        if row is None:
            raise UnknownEventError(f"no event {event_id!r} in the log")
        return entry_from_row(row)

    def corrections_of(self, event_id: str) -> list[Entry]:
        rows = self.conn.execute(f"SELECT {self.columns()} FROM events WHERE target = ? ORDER BY seq", (event_id,))
        return [entry_from_row(r) for r in rows]

    def chains(self, ids: Iterable[str], position: int) -> list[Entry]:
        """(A frontier of ids at a time, 500 to a query.)"""
        out: dict[int, Entry] = {}
        frontier = list(dict.fromkeys(ids))
        first = True
        while frontier:
            found = []
            for i in range(0, len(frontier), 500):
                chunk = frontier[i : i + 500]
                column = "id" if first else "target"
                for row in self.conn.execute(f"SELECT {self.columns()} FROM events WHERE {column} IN ({', '.join('?' * len(chunk))}) AND seq <= ?",
                                             (*chunk, position)):
                    if row[0] not in out:
                        out[row[0]] = entry_from_row(row)
                        found.append(row[1])
            frontier, first = found, False
        return [out[seq] for seq in sorted(out)]

    def columns(self, alias: str | None = None) -> str:
        """COLUMNS as a SELECT names them in this log's table (each `alias.`-qualified when given): a
        log of schema 1 has no provenance column, and reads NULL for it."""
        at = f"{alias}." if alias else ""
        return ", ".join(f"{at}{c}" for c in _NAMES[:-1]) + f", {self.provenance_column(alias)}"

    def provenance_column(self, alias: str | None = None) -> str:
        """The provenance column as a SELECT names it in this log's table: NULL in a log of schema 1."""
        return (f"{alias}.provenance" if alias else "provenance") if self._provenance else "NULL"

    def settings_entries(self) -> Iterator[Entry]:
        # (By the partial index _SETTINGS_INDEX, which a query names by its condition, word for word.)
        for row in self.conn.execute(f"SELECT {self.columns()} FROM events WHERE {_SETTINGS_ROWS} ORDER BY seq"):
            yield entry_from_row(row)

    def stored_rows(self, *, after_seq: int = 0) -> Iterator[tuple]:
        return iter(self.conn.execute(f"SELECT {self.columns()} FROM events WHERE seq > ? ORDER BY seq", (after_seq,)))

    # --- writing -----------------------------------------------------------------------------------

    def append(self, drafts: Draft | Iterable[Draft], *, expected_position: int | None = None, line_numbers: Sequence[int] | None = None) -> list[Entry]:
        batch = [drafts] if isinstance(drafts, Draft) else list(drafts)
        return self._write(batch, expected_position=expected_position, preserved=None, line_numbers=line_numbers)

    def import_records(self, records: Iterable[tuple[Draft, dict]], *, line_numbers: Sequence[int] | None = None) -> list[Entry]:
        records = list(records)
        drafts = [d for d, _ in records]
        preserved = [stored for _, stored in records]
        return self._write(drafts, expected_position=None, preserved=preserved, line_numbers=line_numbers)

    def import_stream(self, records: Iterable[tuple[int, Draft | tuple, dict | None]], *, batch_size: int = 2000,
                      finish: Callable[[LogStore], Iterable[Draft]] | None = None) -> tuple[int, int]:
        """(In one transaction; each batch written as new first, see _write_new.)"""
        with self._transaction():
            return self._import_locked(records, batch_size, finish)

    def _write_new(self, batch: list, preserved: list, lines: list[int], later: list) -> int:
        """Write a batch of an import as new events, without first looking up which ids the log has (a
        query costing about a third of the insert). Should one be there already, the id's unique index
        refuses the insert (or its export's recorded time or hash, which continue another position,
        are refused first), and the batch is written again the careful way, which skips repeats and
        says what is wrong with anything else."""
        conn = self.conn
        conn.execute("SAVEPOINT chrono_batch")
        noted = len(later)
        try:
            added = self._write_locked(batch, None, preserved, lines, keep=False, assume_new=True, later=later)[1]
        except (sqlite3.IntegrityError, ChronoError):
            conn.execute("ROLLBACK TO chrono_batch")
            self._provenance = _has_provenance(conn)  # (a column added in the batch is gone with it)
            del later[noted:]
            added = self._write_locked(batch, None, preserved, lines, keep=False, later=later)[1]
        conn.execute("RELEASE chrono_batch")
        return added

    def _write(self, batch: list[Draft], *, expected_position: int | None, preserved: list[dict] | None, line_numbers: Sequence[int] | None = None) -> list[Entry]:
        with self._transaction():
            return self._write_locked(batch, expected_position, preserved, line_numbers)[0]

    @contextlib.contextmanager
    def staged(self) -> Iterator[Stage]:
        """(One transaction, BEGIN IMMEDIATE, committed at the end only if the stage was.)"""
        if self._staging:
            raise ChronoError("a log's writes are already being staged")
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            raise _storage_error(e, self.path) from e
        stage = Stage()
        self._staging = True
        try:
            yield stage
            if stage.committed:
                conn.execute("COMMIT")
        except sqlite3.Error as e:
            raise _storage_error(e, self.path) from e
        finally:
            self._staging = False
            # (SQLite has already rolled back after some errors: see _transaction.)
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    @contextlib.contextmanager
    def _transaction(self):
        """BEGIN IMMEDIATE ... COMMIT around a write, with the cyclic collector held off; any failure
        rolls everything back and storage errors are said in the log's terms. Inside a stage, a
        savepoint of its transaction instead: a failed write leaves the stage as it was."""
        conn = self.conn
        begin, commit, undo = ("SAVEPOINT chrono_write", "RELEASE chrono_write", "ROLLBACK TO chrono_write") if self._staging \
            else ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")
        try:
            conn.execute(begin)
        except sqlite3.OperationalError as e:
            raise _storage_error(e, self.path) from e
        try:
            with bulk():
                yield
            conn.execute(commit)
        except BaseException as e:
            # SQLite has already rolled back after some errors (SQLITE_FULL, SQLITE_IOERR); a second
            # ROLLBACK would fail and hide the real reason behind "no transaction is active".
            if conn.in_transaction:
                conn.execute(undo)
                if self._staging:
                    conn.execute("RELEASE chrono_write")
            self._provenance = _has_provenance(conn)
            if isinstance(e, sqlite3.Error):
                raise _storage_error(e, self.path) from e
            raise

    def _insert(self, rows: list[tuple]) -> None:
        if not rows:
            return
        if not self._provenance:
            if all(r[14] is None for r in rows):
                self.conn.executemany(_INSERT_SCHEMA_1, (r[:14] for r in rows))
                return
            # The first row with a provenance in a log of schema 1, inside the write's transaction: a
            # rollback takes the column back too (see _transaction).
            self.conn.execute("ALTER TABLE events ADD COLUMN provenance TEXT")
            self.conn.execute("UPDATE chrono_meta SET value = ? WHERE key = 'schema'", (str(SCHEMA_VERSION),))
            self._provenance = True
        self.conn.executemany(_INSERT, rows)

    def copy_from(self, rows_after: Callable[[int], Iterable[tuple]], *, batch_size: int = 5000,
                  report: Callable[[int], None] | None = None) -> int:
        """Append the rows of another store of the same log as that store positioned and hashed them (a
        local copy of a log kept elsewhere: chrono.replica), and return how many. `rows_after(n)` gives
        the other store's rows after position n (`stored_rows(after_seq=n)`); it is asked, under this
        log's write lock, from the row at this log's head, which must be this log's own, and every row
        after must pass `row_problem` (position, chain, hash, recorded time). Else NotContinuedError,
        and nothing of this call is kept."""
        taken = 0
        with self._transaction():
            head = self.head()
            seq, prev, last = head.seq, head.hash, 0 if head.recorded is None else to_micros(head.recorded)
            rows = iter(rows_after(max(seq - 1, 0)))
            if seq:
                own = next(rows, None)
                if own is None or own[0] != seq or own[13] != head.hash:
                    raise NotContinuedError(f"the log at position {seq} is not the one {self.path} copied", position=seq)
            batch: list[tuple] = []
            for row in rows:
                problem = row_problem(row, seq + 1, prev, last)
                if problem:
                    raise NotContinuedError(problem, position=seq + 1)
                batch.append(tuple(row))
                seq, prev, last = row[0], row[13], row[7]
                if len(batch) >= batch_size:
                    self._insert(batch)
                    taken += len(batch)
                    batch = []
                    if report:
                        report(taken)
            self._insert(batch)
            taken += len(batch)
        if report:
            report(taken)
        return taken

    def _existing(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            found.update(r[0] for r in self.conn.execute(f"SELECT id FROM events WHERE id IN ({', '.join('?' * len(chunk))})", chunk))
        return found


@contextlib.contextmanager
def bulk():
    """No cyclic garbage collection while many objects are made and kept: nothing in a batch makes
    cycles, and the collector's scans of the growing heap cost more than the work itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def cannot_write(path: str) -> bool:
    """Whether the log at `path` must be read without writing anything in or beside it: its file or
    its folder cannot be written by this user, or (for a user whom file modes do not bind, as root)
    by anyone."""
    for where in (path, os.path.dirname(os.path.abspath(path))):
        try:
            if not os.access(where, os.W_OK) or not os.stat(where).st_mode & 0o222:
                return True
        except OSError:
            return True
    return False


def _writing(path: str) -> bool:
    """Whether a file beside the log shows a writer at work (or a write a crash cut short): a -wal or a
    rollback -journal with something in it."""
    for suffix in ("-wal", "-journal"):
        try:
            if os.path.getsize(path + suffix) > 0:
                return True
        except OSError:
            continue
    return False


def _connect(path: str, *, readonly: bool = False, wal: bool = True, immutable: bool = False) -> sqlite3.Connection:
    try:
        if readonly:
            # (A URI: the path quoted, so that a '?' or '#' in it is part of the name.)
            uri = f"file:{urllib.parse.quote(os.path.abspath(path))}?mode=ro" + ("&immutable=1" if immutable else "")
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=5.0)
        else:
            conn = sqlite3.connect(path, isolation_level=None, timeout=5.0)
            if wal:
                _use_wal(conn)
            conn.execute("PRAGMA synchronous=FULL")
    except sqlite3.Error as e:
        raise _storage_error(e, path) from e
    return conn


def _has_provenance(conn: sqlite3.Connection) -> bool:
    return any(r[1] == "provenance" for r in conn.execute("PRAGMA table_info(events)"))


def _use_wal(conn: sqlite3.Connection) -> None:
    if conn.execute("PRAGMA journal_mode").fetchone()[0] not in ("wal", "memory"):
        conn.execute("PRAGMA journal_mode=WAL")


def _storage_error(e: sqlite3.Error, path: str) -> ChronoError:
    text = str(e)
    if "locked" in text or "busy" in text:
        return LogLockedError(f"{path} is locked by another writer; try again")
    if "readonly" in text or "read-only" in text:
        return StorageError(f"{path} is read-only")
    if "full" in text:
        return StorageError(f"the disk holding {path} is full; nothing was written")
    if "append-only" in text:
        return TamperedError(f"{path}: the log is append-only")
    if "not a database" in text or "malformed" in text:
        return NotALogError(f"{path} is not a Chrono log ({text})")
    return StorageError(f"{path}: {text}")


def _create_schema(conn: sqlite3.Connection, *, zone: str | None, name: str, created: datetime, copy_of: str | None = None) -> None:
    import sqlite_utils  # only a new log needs it; keep it off every read's start-up

    db = sqlite_utils.Database(conn)
    conn.execute("BEGIN IMMEDIATE")
    db["chrono_meta"].create({"key": str, "value": str}, pk="key")
    db["chrono_meta"].insert_all(
        [
            {"key": "app", "value": "chrono"},
            {"key": "schema", "value": str(SCHEMA_VERSION)},
            *([{"key": "zone", "value": zone}] if zone is not None else []),
            {"key": "name", "value": name},
            {"key": "created", "value": created.isoformat()},
            *([{"key": "copy_of", "value": copy_of}] if copy_of is not None else []),
        ]
    )
    db["events"].create(
        {
            "seq": int, "id": str, "type": str, "version": int, "valid_lo": int, "valid_hi": int,
            "valid_meta": str, "recorded": int, "body": str, "sources": str, "links": str, "target": str,
            "prev_hash": str, "hash": str, "provenance": str,
        },
        pk="seq",
        not_null={"id", "type", "version", "recorded", "body", "sources", "links", "prev_hash", "hash"},
    )
    db["events"].create_index(["id"], unique=True)
    db["events"].create_index(["recorded"])
    db["events"].create_index(["target"])
    conn.execute(_SETTINGS_INDEX)
    for op in ("UPDATE", "DELETE"):
        conn.execute(
            f"CREATE TRIGGER events_no_{op.lower()} BEFORE {op} ON events "
            "BEGIN SELECT RAISE(ABORT, 'the chrono log is append-only'); END"
        )
    conn.execute("COMMIT")


