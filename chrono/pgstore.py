"""The log on a PostgreSQL server, through psycopg 3: the SQLite log's table, rows and hash chain, shared
by many writers on many machines. Chosen by an address `postgresql://...` (chrono.logs).

Roles and grants. `PgLog.create` makes the tables, the triggers and two group roles (NOLOGIN; made
when missing, which needs CREATEROLE; their names are parameters), and grants them the log:

    chrono_writer   SELECT, INSERT on events; SELECT on chrono_meta; EXECUTE on chrono_append_lock()
                    and chrono_append()
    chrono_reader   SELECT on events and chrono_meta

and USAGE on the log's schema to both. Neither may UPDATE, DELETE or TRUNCATE anything, and triggers
refuse those to every role, the tables' owner included (only a superuser or the owner can disable
them; `chrono verify` then shows what was changed). What a DBA grants is one group role to each
person's login role, and nothing else:

    CREATE ROLE alice LOGIN PASSWORD '...';  GRANT chrono_writer TO alice;
    CREATE ROLE bob LOGIN PASSWORD '...';    GRANT chrono_reader TO bob;

Create the log (`chrono init`) as the role that is to own it, not as one of the people who write to
it: its owner can disable the triggers and drop the tables. The roles are the cluster's, so a writer
may write every Chrono log in it that granted them; give a log roles of its own (`writer_role=`,
`reader_role=`) to keep logs apart. A log lives in the schema the address's search_path names first
(`?options=-csearch_path%3Dsyria`), `public` by default.

Positions. An append takes the table lock (`LOCK TABLE events IN EXCLUSIVE MODE`, through
chrono_append_lock(), which runs as the tables' owner: the lock needs more than INSERT, which is all
the writer has), reads the head under it, and inserts head+1, head+2, ... An append of a few drafts
does it in one call of chrono_append(): the writer checks and encodes the drafts first, without the
lock, and the server chains them (the row hash derived from chrono.logstore.HASHED, which the writer
checks on the hashes returned), so that the lock is held for the server's work alone, never for a
round trip to the writer. Every other write (a stage, a long batch, an import, an append that
states the position it expects or repeats an id) takes the lock first and writes under it
(LogStore._write_locked).
Appends are therefore serialised: positions are gap-free, and they commit in position order (a lock
is released only after its transaction is visible), so a reader of `seq > n` never skips an entry
that commits late, the bug of sequence-numbered tables. Readers take no lock that conflicts with it.
This is eventsourcing's choice. A commit-ordered high-water mark (Marten's) lets appends overlap, but
Chrono's appends cannot overlap anyway: each row's prev_hash is the row before's hash, and the
position and recorded time follow the head's, so a writer must know the head it continues, which a
second writer in flight would change. A sequence would also leave gaps (a rolled-back append burns
its numbers), which the contract forbids. So: the lock. A transaction-scoped advisory lock serialises
as well, and measured the same (1, 4 and 16 writer processes); the table lock also holds back an
INSERT that does not take it, so that one cannot slip a row in between an append's head and its
commit.

Recorded time is the server's clock (`clock_timestamp()`, read under the lock), unless a clock is
given: so it follows the order of commits whatever the clients' clocks say. Each commit of an append
notifies the log's channel (`chrono_<name>`, kept in chrono_meta) with the new head position:
`PgLog.listen()`.
"""

from __future__ import annotations

import contextlib
import re
import select
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime

from . import codec
from .clock import Clock, system_clock
from .entry import AUTHOR, Draft, Entry
from .errors import ChronoError, LogLockedError, NotALogError, StorageError, TamperedError, UnknownEventError
from .logs import public_address
from .logstore import COLUMNS, GENESIS, HASHED, SEPARATOR, SETTING, Head, LogStore, Stage, _batch_time, entry_from_row
from .store import SCHEMA_VERSION, bulk
from .timeval import from_micros, to_micros, zone_info

__all__ = ["PgLog", "HeadListener", "describe", "channel_of"]

WRITER, READER = "chrono_writer", "chrono_reader"
LOCK_TIMEOUT = "60s"  # how long an append waits for the lock before it is LogLockedError
_PAGE = 5000  # rows a read fetches at a time: a long log is read in pages, never whole into memory
_SELECT = f"SELECT {COLUMNS} FROM events"
_COPY = f"COPY events ({COLUMNS}) FROM STDIN"
_INSERT = f"INSERT INTO events ({COLUMNS}) VALUES "
_VALUES = "(" + ", ".join(["%s"] * len(COLUMNS.split(","))) + ")"
_FEW = 50  # a batch of up to this many rows is appended by one call of chrono_append (or inserted by one INSERT), a longer one by COPY

# The tables are the SQLite log's (chrono.store), column for column, with PostgreSQL's types: the
# integers the row hash covers as bigint (recorded and the valid bounds in UTC microseconds), the JSON
# as text, byte for byte as hashed.
_SCHEMA = """
CREATE TABLE chrono_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE events (
    seq bigint PRIMARY KEY, id text NOT NULL, type text NOT NULL, version integer NOT NULL,
    valid_lo bigint, valid_hi bigint, valid_meta text, recorded bigint NOT NULL, body text NOT NULL,
    sources text NOT NULL, links text NOT NULL, target text, prev_hash text NOT NULL, hash text NOT NULL,
    provenance text
);
CREATE UNIQUE INDEX events_id ON events (id);
CREATE INDEX events_recorded ON events (recorded);
CREATE INDEX events_target ON events (target);
CREATE INDEX events_settings ON events (seq) WHERE type = '{setting}';

CREATE FUNCTION chrono_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the chrono log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION chrono_refuse_change();
CREATE TRIGGER events_no_delete BEFORE DELETE ON events FOR EACH ROW EXECUTE FUNCTION chrono_refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION chrono_refuse_change();

-- The new head, to whoever listens, when the append commits (a rolled-back one notifies nobody).
CREATE FUNCTION chrono_notify_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{channel}', (SELECT max(seq) FROM appended)::text);
    RETURN NULL;
END $$;
CREATE TRIGGER events_notify AFTER INSERT ON events REFERENCING NEW TABLE AS appended
    FOR EACH STATEMENT EXECUTE FUNCTION chrono_notify_head();

-- The append lock; once it is held, the server's time (the recorded time of what follows) and the head
-- (in one round trip: the lock is held meanwhile, and every other writer waits).
CREATE FUNCTION chrono_append_lock(OUT locked_at timestamptz, OUT head_seq bigint, OUT head_hash text, OUT head_recorded bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp SET lock_timeout = '{lock_timeout}' AS $$
BEGIN
    LOCK TABLE {schema}.events IN EXCLUSIVE MODE;
    locked_at := clock_timestamp();
    SELECT e.seq, e.hash, e.recorded INTO head_seq, head_hash, head_recorded FROM {schema}.events e ORDER BY e.seq DESC LIMIT 1;
END $$;
REVOKE ALL ON FUNCTION chrono_append_lock() FROM PUBLIC;

-- An append in one call (PgLog.append of a few drafts, checked by the writer beforehand): the lock, the
-- time and the head (chrono_append_lock), then the rows chained after it as the writer would chain them
-- (chrono.logstore._chained): positions head+1, head+2, ..., each row's hash over the one before's,
-- recorded at the server's time (or `given_time`, a given clock's, in UTC microseconds) but never
-- before the head's (_batch_time), by `provenance`; one INSERT. It returns the head it continued, the
-- time and the hashes, which the writer checks (LogStore._chained_entries). The lock is then held for
-- the server's work alone, not for a round trip to the writer and back.
CREATE FUNCTION chrono_append(new_ids text[], new_types text[], new_versions integer[], new_los bigint[], new_his bigint[],
    new_metas text[], new_bodies text[], new_sources text[], new_links text[], new_targets text[], provenance text, given_time bigint,
    OUT head_seq bigint, OUT head_hash text, OUT recorded bigint, OUT hashes text[])
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp SET lock_timeout = '{lock_timeout}' AS $$
DECLARE
    n integer := cardinality(new_ids);
    seqs bigint[] := '{{}}';
    prevs text[] := '{{}}';
    prev text;
    locked timestamptz;
BEGIN
    SELECT * INTO locked, head_seq, head_hash, recorded FROM {schema}.chrono_append_lock();
    head_seq := coalesce(head_seq, 0);
    head_hash := coalesce(head_hash, '{genesis}');
    recorded := greatest(coalesce(given_time, (extract(epoch FROM locked) * 1000000)::bigint), recorded);
    hashes := '{{}}';
    prev := head_hash;
    FOR i IN 1 .. n LOOP
        seqs[i] := head_seq + i;
        prevs[i] := prev;
        prev := {row_hash};
        hashes[i] := prev;
    END LOOP;
    INSERT INTO {schema}.events ({columns})
        SELECT * FROM unnest(seqs, new_ids, new_types, new_versions, new_los, new_his, new_metas, array_fill(recorded, ARRAY[n]),
                             new_bodies, new_sources, new_links, new_targets, prevs, hashes, array_fill(provenance, ARRAY[n]));
END $$;
REVOKE ALL ON FUNCTION chrono_append FROM PUBLIC;
"""

# The row hash (chrono.logstore.HASHED) of chrono_append's i-th row, as PostgreSQL computes it: each
# hashed column's value in the function, as text or nothing, joined by the separator; then the
# provenance, when there is one.
_APPENDED = {"prev_hash": "prevs[i]", "seq": "seqs[i]", "id": "new_ids[i]", "type": "new_types[i]", "version": "new_versions[i]",
             "valid_lo": "new_los[i]", "valid_hi": "new_his[i]", "valid_meta": "new_metas[i]", "recorded": "recorded",
             "body": "new_bodies[i]", "sources": "new_sources[i]", "links": "new_links[i]", "target": "new_targets[i]"}


def hash_sql(values: dict[str, str], provenance: str) -> str:
    """chrono.logstore.row_hash as a PostgreSQL expression: `values`, each HASHED column's SQL, and the
    provenance's."""
    sep = "E'\\x%02x'" % ord(SEPARATOR)
    text = f" || {sep} || ".join(f"coalesce(({values[c]})::text, '')" for c in HASHED)
    return f"encode(sha256(convert_to({text} || CASE WHEN {provenance} IS NULL THEN '' ELSE {sep} || {provenance} END, 'UTF8')), 'hex')"


_APPEND = ("SELECT * FROM chrono_append(%s::text[], %s::text[], %s::integer[], %s::bigint[], %s::bigint[], %s::text[], %s::text[], "
           "%s::text[], %s::text[], %s::text[], %s, %s)")


def describe(url: str) -> str:
    """The server and database an address names, for messages (never its password)."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        info = conninfo_to_dict(url)
    except Exception:  # (no psycopg, or an address it cannot read: say what the user gave, less a password)
        return f"PostgreSQL at {public_address(url)}"
    host = info.get("host") or "localhost"
    return f"PostgreSQL at {host}:{info.get('port') or 5432}/{info.get('dbname') or info.get('user') or ''}"


def channel_of(name: str) -> str:
    """The LISTEN/NOTIFY channel of a log called `name`: an identifier as PostgreSQL folds one."""
    return ("chrono_" + re.sub(r"[^a-z0-9_]+", "_", name.lower()))[:63]


def _psycopg():
    try:
        import psycopg
    except ImportError:
        raise StorageError("a log on PostgreSQL needs psycopg: pip install 'chrono[postgres]'") from None
    return psycopg


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _error(e: Exception, where: str) -> ChronoError:
    """A psycopg error as the log says it, in one line."""
    pg = _psycopg()
    text = _first_line(e)
    if "append-only" in text:
        return TamperedError(f"{where}: the log is append-only")
    if isinstance(e, pg.errors.LockNotAvailable):
        return LogLockedError(f"{where} is locked by another writer; try again")
    if isinstance(e, pg.errors.ReadOnlySqlTransaction):
        return StorageError(f"{where} is read-only")
    if isinstance(e, pg.errors.InsufficientPrivilege):
        return StorageError(f"{where}: {text} (is this role granted the log's writer or reader role?)")
    if isinstance(e, pg.OperationalError):
        return StorageError(f"{where}: {text}")
    return StorageError(f"{where}: {text}")


def _connect(url: str, where: str):
    pg = _psycopg()
    try:
        from psycopg.conninfo import conninfo_to_dict

        extra = {} if "connect_timeout" in conninfo_to_dict(url) else {"connect_timeout": 10}
        return pg.connect(url, autocommit=True, **extra)
    except pg.Error as e:
        raise StorageError(f"cannot connect to {where}: {_first_line(e)}") from e


class PgLog(LogStore):
    """An open Chrono log on a PostgreSQL server: `PgLog.create` for a new one, `PgLog.open` for an
    existing one. `conn` is its connection (psycopg, autocommit: every write opens its own
    transaction)."""

    def __init__(self, conn, *, url: str, clock: Clock | None = None, readonly: bool = False):
        self.conn = conn
        self._pg = _psycopg()
        self._url = url
        self.path = public_address(url)
        self.where = describe(url)
        self.readonly = readonly
        # Without a clock (or with the system's, which for a shared log is the server's), the server's,
        # read under the append lock (_lock); the time of that reading.
        self.clock = self._server_clock if clock is None or clock is system_clock else clock
        self._now: datetime | None = None
        self._locked_head: Head | None = None  # the head as the lock found it, until the write reads it
        self._staging = False
        self._chains = True  # whether the server chains an append (chrono_append): not in a log made before it
        # (The role, read with the metadata: a write would otherwise ask for it under the append lock.)
        rows = self._query("SELECT key, value, current_user FROM chrono_meta")
        self._role: str = rows[0][2] if rows else self._query("SELECT current_user")[0][0]
        meta = {key: value for key, value, _role in rows}
        self.created_zone: str | None = meta.get("zone")
        self.name: str = meta.get("name") or conn.info.dbname
        self.channel: str = meta.get("channel") or channel_of(self.name)

    # --- opening -----------------------------------------------------------------------------------

    @classmethod
    def create(cls, url: str, *, zone: str | None = None, name: str | None = None, clock: Clock | None = None,
               writer_role: str | None = WRITER, reader_role: str | None = READER) -> PgLog:
        """A new, empty log in the database at `url` (in the first schema of its search_path), with its
        triggers, and its grants to `writer_role` and `reader_role` (made when missing; None: none)."""
        if zone is not None:
            zone_info(zone)
        where = describe(url)
        conn = _connect(url, where)
        pg = _psycopg()
        from psycopg import sql

        try:
            with conn.transaction():
                encoding, schema, database = conn.execute("SELECT current_setting('server_encoding'), current_schema(), current_database()").fetchone()
                if encoding != "UTF8":
                    raise ChronoError(f"{where}: the database's encoding is {encoding}; a Chrono log needs UTF8")
                if schema is None:
                    raise ChronoError(f"{where}: no schema to create the log in (the search_path names none that exists)")
                if conn.execute("SELECT to_regclass('chrono_meta') IS NOT NULL OR to_regclass('events') IS NOT NULL").fetchone()[0]:
                    raise ChronoError(f"{where} already holds a Chrono log (or an events table); choose another database or schema")
                # A log in a schema of its own (one of several in a database) is called after it, and its
                # channel tells it from the others'.
                name = name or (database if schema == "public" else schema)
                channel = channel_of(name if schema == "public" else f"{schema}_{name}")
                conn.execute(_SCHEMA.format(setting=SETTING, channel=channel, schema=sql.Identifier(schema).as_string(conn),
                                            lock_timeout=LOCK_TIMEOUT, genesis=GENESIS, columns=COLUMNS,
                                            row_hash=hash_sql(_APPENDED, "provenance")))
                created = (clock or (lambda: conn.execute("SELECT clock_timestamp()").fetchone()[0]))()
                meta = {"app": "chrono", "schema": str(SCHEMA_VERSION), "zone": zone, "name": name, "created": created.isoformat(),
                        "channel": channel}
                with conn.cursor() as cur:
                    cur.executemany("INSERT INTO chrono_meta (key, value) VALUES (%s, %s)", [(k, v) for k, v in meta.items() if v is not None])
                _grant(conn, schema, writer_role, reader_role)
        except pg.Error as e:
            conn.close()
            raise StorageError(f"cannot create a log at {where}: {_first_line(e)}") from e
        except BaseException:
            conn.close()
            raise
        return cls(conn, url=url, clock=clock)

    @classmethod
    def open(cls, url: str, *, clock: Clock | None = None, readonly: bool = False, untouched: bool = False) -> PgLog:
        """An existing log; with `readonly` (or `untouched`: nothing is ever kept beside a server's
        log), a connection whose transactions cannot write."""
        where = describe(url)
        conn = _connect(url, where)
        pg = _psycopg()
        try:
            found = conn.execute("SELECT to_regclass('chrono_meta') IS NOT NULL AND to_regclass('events') IS NOT NULL").fetchone()[0]
            if not found:
                raise NotALogError(f"{where} holds no Chrono log (no chrono_meta and events tables); create one with `chrono init`")
            meta = dict(conn.execute("SELECT key, value FROM chrono_meta").fetchall())
            if meta.get("app") != "chrono":
                raise NotALogError(f"{where} holds no Chrono log")
            if int(meta.get("schema", "0")) > SCHEMA_VERSION:
                raise NotALogError(f"{where} holds a log written by a newer Chrono (schema {meta['schema']}); upgrade Chrono to read it")
            if readonly or untouched:
                conn.execute("SET default_transaction_read_only = on")
        except pg.Error as e:
            conn.close()
            raise _error(e, where) from e
        except BaseException:
            conn.close()
            raise
        return cls(conn, url=url, clock=clock, readonly=readonly or untouched)

    def close(self) -> None:
        """Close the connection, and the local copy a writer read (`local`) with it."""
        if self.local is not None:
            self.local.close()
        self.conn.close()

    @property
    def default_author(self) -> str:
        """Who appends through this connection, as the server knows them: its role (current_user),
        read when the log was opened."""
        return self._role

    def listen(self) -> HeadListener:
        """A listener to this log's appends, listening from now on (see HeadListener)."""
        return HeadListener(self._url, self.channel, self.where)

    # --- reading -----------------------------------------------------------------------------------

    def _query(self, query, args: Sequence = ()) -> list[tuple]:
        try:
            return self.conn.execute(query, args).fetchall()
        except self._pg.Error as e:
            raise _error(e, self.where) from e

    def head(self) -> Head:
        if self._locked_head is not None:  # (read with the lock, for the write that took it)
            head, self._locked_head = self._locked_head, None
            return head
        rows = self._query("SELECT seq, hash, recorded FROM events ORDER BY seq DESC LIMIT 1")
        if not rows:
            return Head(0, GENESIS, None)
        seq, h, recorded = rows[0]
        return Head(seq, h, from_micros(recorded))

    def _pages(self, after_seq: int = 0, where: str = "", args: Sequence = ()) -> Iterator[tuple]:
        """Rows in position order after `after_seq` up to the head when the reading starts, `_PAGE` at
        a time (a log of millions of rows is never in memory whole)."""
        end = self.head().seq
        last = after_seq
        while last < end:
            rows = self._query(f"{_SELECT} WHERE seq > %s AND seq <= %s{where} ORDER BY seq LIMIT {_PAGE}", (last, end, *args))
            yield from rows
            if len(rows) < _PAGE:
                return
            last = rows[-1][0]

    def entries(self, *, known_at: datetime | None = None, after_seq: int = 0) -> Iterator[Entry]:
        if known_at is None:
            rows = self._pages(after_seq)
        else:
            rows = self._pages(after_seq, " AND recorded <= %s", (to_micros(known_at),))
        return map(entry_from_row, rows)

    def get(self, event_id: str) -> Entry:
        rows = self._query(f"{_SELECT} WHERE id = %s", (event_id,))
        if not rows:
            raise UnknownEventError(f"no event {event_id!r} in the log")
        return entry_from_row(rows[0])

    def corrections_of(self, event_id: str) -> list[Entry]:
        return [entry_from_row(r) for r in self._query(f"{_SELECT} WHERE target = %s ORDER BY seq", (event_id,))]

    def settings_entries(self) -> Iterator[Entry]:
        # (By the partial index events_settings, which a query names by its condition.)
        return map(entry_from_row, self._query(f"{_SELECT} WHERE type = '{SETTING}' ORDER BY seq"))

    def stored_rows(self, *, after_seq: int = 0) -> Iterator[tuple]:
        return self._pages(after_seq)

    # --- writing -----------------------------------------------------------------------------------

    def append(self, drafts: Draft | Iterable[Draft], *, expected_position: int | None = None,
               line_numbers: Sequence[int] | None = None) -> list[Entry]:
        batch = [drafts] if isinstance(drafts, Draft) else list(drafts)
        if self._chains and 0 < len(batch) <= _FEW and expected_position is None and not self._staging:
            entries = self._append_at_server(batch, line_numbers)
            if entries is not None:
                return entries
        with self._transaction():
            return self._write_locked(batch, expected_position, None, line_numbers)[0]

    def _append_at_server(self, batch: list[Draft], line_numbers: Sequence[int] | None) -> list[Entry] | None:
        """A few drafts appended in one call, chained by the server (chrono_append) after the writer
        has checked them without the lock: with many writers the lock waits for the server alone (one
        append at 16 writers on 2 cores: bench/postgres.py, row 1). None, for the careful way
        (`_write_locked` under the lock), when an id the batch gives is already in the log (a repeat,
        or another writer's meanwhile) or twice in the batch, or when the log was made without
        chrono_append or this role may not run it."""
        try:
            with bulk():
                ids, rows = self._unchained(batch, line_numbers)
                authored = codec.canonical({AUTHOR: self.author})
                given = None if self.clock == self._server_clock else _batch_time(self.clock(), Head(0, GENESIS, None))[0][0]
                try:
                    head_seq, head_hash, recorded, hashes = self.conn.execute(
                        _APPEND, [list(column) for column in zip(*rows, strict=True)][:10] + [authored, given]).fetchone()
                except self._pg.errors.UniqueViolation:
                    return None
                except (self._pg.errors.UndefinedFunction, self._pg.errors.InsufficientPrivilege):
                    self._chains = False  # (a log made before it, or a role granted only what appending took before)
                    return None
                return self._chained_entries(batch, ids, rows, Head(head_seq, head_hash, None), hashes, recorded, authored)
        except self._pg.Error as e:
            raise _error(e, self.where) from e

    def import_records(self, records: Iterable[tuple[Draft, dict]], *, line_numbers: Sequence[int] | None = None) -> list[Entry]:
        records = list(records)
        with self._transaction():
            return self._write_locked([d for d, _ in records], None, [s for _, s in records], line_numbers)[0]

    def import_stream(self, records: Iterable[tuple[int, Draft | tuple, dict | None]], *, batch_size: int = 2000,
                      finish: Callable[[LogStore], Iterable[Draft]] | None = None) -> tuple[int, int]:
        """(In one transaction; each batch written as new first, see _write_new.)"""
        with self._transaction():
            return self._import_locked(records, batch_size, finish)

    def _write_new(self, batch: list, preserved: list, lines: list[int], later: list) -> int:
        """Write a batch of an import as new events without first asking which ids the log has; should
        one be there, the id's unique index refuses the batch, whose savepoint is rolled back, and it
        is written again the careful way (as chrono.store.Log._write_new does)."""
        noted = len(later)
        try:
            with self.conn.transaction():
                return self._write_locked(batch, None, preserved, lines, keep=False, assume_new=True, later=later)[1]
        except (self._pg.errors.UniqueViolation, ChronoError):
            del later[noted:]
        return self._write_locked(batch, None, preserved, lines, keep=False, later=later)[1]

    @contextlib.contextmanager
    def staged(self) -> Iterator[Stage]:
        """(One transaction holding the append lock throughout, committed at the end only if the stage
        was; each write inside it is a savepoint.)"""
        if self._staging:
            raise ChronoError("a log's writes are already being staged")
        stage = Stage()
        try:
            with bulk(), self.conn.transaction() as tx:
                self._lock()
                self._staging = True
                try:
                    yield stage
                finally:
                    self._staging = False
                    self._now = self._locked_head = None
                if not stage.committed:
                    raise self._pg.Rollback(tx)
        except self._pg.Error as e:
            raise _error(e, self.where) from e

    @contextlib.contextmanager
    def _transaction(self):
        """A write's transaction, holding the append lock (a savepoint, inside a stage); any failure
        rolls it all back, and the server's errors are said in the log's terms."""
        try:
            with bulk(), self.conn.transaction():
                self._lock()
                try:
                    yield
                finally:
                    self._locked_head = None
                    if not self._staging:
                        self._now = None
        except self._pg.Error as e:
            raise _error(e, self.where) from e

    def _lock(self) -> None:
        """Take the append lock (held to the end of the transaction); read the server's time and the head."""
        self._locked(self.conn.execute("SELECT * FROM chrono_append_lock()").fetchone())

    def _locked(self, row: tuple) -> None:
        """What the lock read: the server's time, and the head."""
        self._now, seq, h, recorded = row
        self._locked_head = Head(0, GENESIS, None) if seq is None else Head(seq, h, from_micros(recorded))

    def _server_clock(self) -> datetime:
        """The server's time: read under the append lock inside a write, now outside one."""
        if self._now is not None:
            return self._now
        return self._query("SELECT clock_timestamp()")[0][0]

    def _insert(self, rows: list[tuple]) -> None:
        # COPY: 100k entries import in 2.0-2.3 s, against 3.6-3.8 s by executemany (pipelined) and 5.9 s
        # by one INSERT of unnest()ed arrays. A few rows go in one INSERT instead: one round trip where
        # COPY takes two. Either way a batch is one statement, so it notifies once.
        if not rows:
            return
        if len(rows) <= _FEW:
            self.conn.execute(_INSERT + ", ".join([_VALUES] * len(rows)), [v for row in rows for v in row])
            return
        with self.conn.cursor() as cur, cur.copy(_COPY) as copy:
            for row in rows:
                copy.write_row(row)

    def _existing(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        return {r[0] for r in self.conn.execute("SELECT id FROM events WHERE id = ANY(%s)", (ids,))}


class HeadListener:
    """The head positions a log's appends notify as they commit (LISTEN on its channel), on a
    connection of its own: `wait()` for the next, or iterate `heads()`. Notifications sent while
    nobody listened are not kept: read the log after starting to listen, not before."""

    def __init__(self, url: str, channel: str, where: str):
        from psycopg import sql

        self.where = where
        self.conn = _connect(url, where)
        self._heads: list[int] = []
        try:
            self.conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        except _psycopg().Error as e:
            self.conn.close()
            raise _error(e, where) from e

    def wait(self, timeout: float | None = None) -> int | None:
        """The newest head notified since the last call, waiting up to `timeout` seconds (None: for
        ever) for one; None when none came."""
        pgconn = self.conn.pgconn
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                pgconn.consume_input()
                while (note := pgconn.notifies()) is not None:
                    self._heads.append(int(note.extra.decode()))
                if self._heads:
                    newest = max(self._heads)
                    self._heads.clear()
                    return newest
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                select.select([pgconn.socket], [], [], remaining)
        except _psycopg().Error as e:
            raise _error(e, self.where) from e

    def heads(self, timeout: float | None = None) -> Iterator[int]:
        """Each newer head as it is notified, until `timeout` seconds pass without one."""
        while (seq := self.wait(timeout)) is not None:
            yield seq

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> HeadListener:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _grant(conn, schema: str, writer: str | None, reader: str | None) -> None:
    """The group roles (made when missing) and their grants on a new log (see the module's docstring)."""
    from psycopg import errors, sql

    for role in (r for r in (writer, reader) if r):
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            continue
        try:
            with conn.transaction():  # (another log's creation may make it at the same moment)
                conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
        except (errors.DuplicateObject, errors.UniqueViolation):
            pass
        except errors.InsufficientPrivilege:
            raise ChronoError(f"there is no role {role} to grant the log to, and this role may not create it: a DBA can "
                              f"(CREATE ROLE {role} NOLOGIN), or name existing roles") from None
    ident = sql.Identifier
    if writer:
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {s} TO {w}; GRANT SELECT, INSERT ON events TO {w}; GRANT SELECT ON chrono_meta TO {w}; "
                             "GRANT EXECUTE ON FUNCTION chrono_append_lock() TO {w}; GRANT EXECUTE ON FUNCTION chrono_append TO {w}").format(s=ident(schema), w=ident(writer)))
    if reader:
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {s} TO {r}; GRANT SELECT ON events, chrono_meta TO {r}").format(
            s=ident(schema), r=ident(reader)))
