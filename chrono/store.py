"""The log: one SQLite table, append-only by trigger, hash-chained, with a gap-free global position.

Appends run inside BEGIN IMMEDIATE so a batch is all or nothing and positions never skip. The recorded
time comes from the injected clock, never from the caller, and never goes backwards along the log.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime

import attrs

from events import EVENT_ID_RE, EventCorrected, EventRetracted, valid_event_id

from . import codec
from .clock import Clock, system_clock
from .entry import Draft, Entry
from .errors import (
    ChronoError,
    ConflictError,
    DuplicateEventError,
    InvalidEventError,
    LogLockedError,
    NotALogError,
    StorageError,
    TamperedError,
    UnknownEventError,
)
from .timeval import from_micros, to_micros, zone_info

SCHEMA_VERSION = 1
GENESIS = "0" * 64
DEFAULT_ZONE = "UTC"

# The events table's columns in the order a stored row is kept, hashed and read: `row_hash` takes the
# first thirteen (all but the hash), `entry_from_row` all fourteen. The SQLite read cache selects them
# to read a log's rows through its connection; a reader may rely on this order and these names.
COLUMNS = "seq, id, type, version, valid_lo, valid_hi, valid_meta, recorded, body, sources, links, target, prev_hash, hash"


def row_hash(row: Sequence) -> str:
    """sha256 over every stored column but the hash itself, in order, with the previous hash first.

    The JSON columns are canonical and escape control characters, so the unit separator cannot occur
    inside a field: no two different rows share an encoding.
    """
    seq, event_id, type_name, version, lo, hi, meta, recorded, body, sources, links, target, prev = row[:13]
    return hashlib.sha256((
        f"{prev}\x1f{seq}\x1f{event_id}\x1f{type_name}\x1f{version}\x1f{'' if lo is None else lo}\x1f{'' if hi is None else hi}\x1f"
        f"{'' if meta is None else meta}\x1f{recorded}\x1f{body}\x1f{sources}\x1f{links}\x1f{'' if target is None else target}"
    ).encode()).hexdigest()


@attrs.frozen
class Head:
    seq: int
    hash: str
    recorded: datetime | None


@attrs.frozen
class VerifyReport:
    ok: bool
    count: int
    head: Head
    position: int | None = None
    problem: str | None = None


class Log:
    """An open Chrono log. Use `Log.create` for a new one and `Log.open` for an existing one."""

    def __init__(self, conn: sqlite3.Connection, *, clock: Clock = system_clock, path: str = ":memory:"):
        self.conn = conn
        self.clock = clock
        self.path = path
        meta = dict(conn.execute("SELECT key, value FROM chrono_meta").fetchall())
        self.zone: str = meta.get("zone", DEFAULT_ZONE)
        self.name: str = meta.get("name") or os.path.basename(path)

    # --- opening -----------------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str, *, zone: str = DEFAULT_ZONE, name: str | None = None, clock: Clock = system_clock) -> Log:
        zone_info(zone)  # refuse an unknown zone before touching the disk
        if path != ":memory:" and os.path.exists(path) and os.path.getsize(path) > 0:
            raise ChronoError(f"{path} already exists; choose another --db or remove it first")
        conn = _connect(path)
        try:
            _create_schema(conn, zone=zone, name=name or os.path.basename(path), created=clock())
        except sqlite3.Error as e:
            conn.close()
            raise StorageError(f"cannot create a log at {path}: {e}") from e
        return cls(conn, clock=clock, path=path)

    @classmethod
    def open(cls, path: str, *, clock: Clock = system_clock, readonly: bool = False) -> Log:
        if not os.path.exists(path):
            raise ChronoError(f"no log at {path}; create one with `chrono init`")
        # Look before touching: switching to WAL rewrites the file header, which must not happen to
        # another application's database (or a newer Chrono's) opened by mistake.
        conn = _connect(path, readonly=readonly, wal=False)
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
            except sqlite3.Error as e:
                conn.close()
                raise _storage_error(e, path) from e
        return cls(conn, clock=clock, path=path)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Log:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- reading -----------------------------------------------------------------------------------

    def head(self) -> Head:
        row = self.conn.execute("SELECT seq, hash, recorded FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        if row is None:
            return Head(0, GENESIS, None)
        return Head(row[0], row[1], from_micros(row[2]))

    def __len__(self) -> int:
        return self.head().seq

    def entries(self, *, known_at: datetime | None = None, after_seq: int = 0) -> Iterator[Entry]:
        """Entries in log order; with `known_at`, only those recorded at or before it."""
        sql = f"SELECT {COLUMNS} FROM events WHERE seq > ?"
        args: list = [after_seq]
        if known_at is not None:
            sql += " AND recorded <= ?"
            args.append(to_micros(known_at))
        for row in self.conn.execute(sql + " ORDER BY seq", args):
            yield entry_from_row(row)

    def get(self, event_id: str) -> Entry:
        row = self.conn.execute(f"SELECT {COLUMNS} FROM events WHERE id = ?", (event_id,)).fetchone()
        if row is None:
            raise UnknownEventError(f"no event {event_id!r} in the log")
        return entry_from_row(row)

    def find(self, event_id: str) -> Entry | None:
        try:
            return self.get(event_id)
        except UnknownEventError:
            return None

    def corrections_of(self, event_id: str) -> list[Entry]:
        rows = self.conn.execute(f"SELECT {COLUMNS} FROM events WHERE target = ? ORDER BY seq", (event_id,))
        return [entry_from_row(r) for r in rows]

    # --- writing -----------------------------------------------------------------------------------

    def append(self, drafts: Draft | Iterable[Draft], *, expected_position: int | None = None, line_numbers: Sequence[int] | None = None) -> list[Entry]:
        """Append a batch atomically; returns the stored entries (existing ones for idempotent repeats).
        `line_numbers` name each draft's input line in error messages."""
        batch = [drafts] if isinstance(drafts, Draft) else list(drafts)
        return self._write(batch, expected_position=expected_position, preserved=None, line_numbers=line_numbers)

    def import_records(self, records: Iterable[tuple[Draft, dict]], *, line_numbers: Sequence[int] | None = None) -> list[Entry]:
        """Append drafts that carry stored-log fields (recorded time, hashes) from an export, in one batch.

        Recorded times are kept when given (they must not go backwards); a given hash must match the one
        this log computes, which it does exactly when the file is imported into an empty log.
        """
        records = list(records)
        drafts = [d for d, _ in records]
        preserved = [stored for _, stored in records]
        return self._write(drafts, expected_position=None, preserved=preserved, line_numbers=line_numbers)

    def import_stream(self, records: Iterable[tuple[int, Draft | tuple, dict | None]], *, batch_size: int = 2000) -> tuple[int, int]:
        """Import what `jsonl.read_records` reads (line number, draft, stored-log fields), or
        `jsonl.read_prepared` (which may give an incoming row in place of a draft), all or nothing in one
        transaction, `batch_size` records at a time: memory stays bounded whatever the file's length,
        and no entry objects are made. Returns how many records were read and how many added (entries
        already in the log are skipped, as `import_records` does)."""
        read = added = 0
        with self._transaction():
            batch: list[Draft | tuple] = []
            preserved: list[dict | None] = []
            lines: list[int] = []
            for number, draft, stored in records:
                batch.append(draft)
                preserved.append(stored)
                lines.append(number)
                if len(batch) >= batch_size:
                    added += self._write_new(batch, preserved, lines)
                    read += len(batch)
                    batch, preserved, lines = [], [], []
            if batch:
                added += self._write_new(batch, preserved, lines)
                read += len(batch)
        return read, added

    def _write_new(self, batch: list, preserved: list, lines: list[int]) -> int:
        """Write a batch of an import as new events, without first looking up which ids the log has (a
        query costing about a third of the insert). Should one be there already, the id's unique index
        refuses the insert (or its export's recorded time or hash, which continue another position,
        are refused first), and the batch is written again the careful way, which skips repeats and
        says what is wrong with anything else."""
        conn = self.conn
        conn.execute("SAVEPOINT chrono_batch")
        try:
            added = self._write_locked(batch, None, preserved, lines, keep=False, assume_new=True)[1]
        except (sqlite3.IntegrityError, ChronoError):
            conn.execute("ROLLBACK TO chrono_batch")
            added = self._write_locked(batch, None, preserved, lines, keep=False)[1]
        conn.execute("RELEASE chrono_batch")
        return added

    def _write(self, batch: list[Draft], *, expected_position: int | None, preserved: list[dict] | None, line_numbers: Sequence[int] | None = None) -> list[Entry]:
        with self._transaction():
            return self._write_locked(batch, expected_position, preserved, line_numbers)[0]

    @contextlib.contextmanager
    def _transaction(self):
        """BEGIN IMMEDIATE ... COMMIT around a write, with the cyclic collector held off; any failure
        rolls everything back and storage errors are said in the log's terms."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            raise _storage_error(e, self.path) from e
        try:
            with bulk():
                yield
            conn.execute("COMMIT")
        except BaseException as e:
            # SQLite has already rolled back after some errors (SQLITE_FULL, SQLITE_IOERR); a second
            # ROLLBACK would fail and hide the real reason behind "no transaction is active".
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(e, sqlite3.Error):
                raise _storage_error(e, self.path) from e
            raise

    def _write_locked(self, batch, expected_position, preserved, line_numbers, *, keep: bool = True,
                      assume_new: bool = False) -> tuple[list[Entry], int]:
        """Check and insert one batch inside a transaction; returns the batch's entries (with `keep`:
        the stored ones for idempotent repeats) and how many rows were added. With `assume_new`, ids
        are not looked up in the table: one already there makes the insert fail (see _write_new).

        A batch holds drafts, or (from a parallel import, see jsonl.read_prepared) incoming rows. Each
        item in turn: its id (_draft_id), skipped when it repeats an event (_repeated), made an
        incoming row (_incoming), given its recorded time (_recorded_time), then its position and
        hash (_chained); the rows are inserted together at the end (_insert)."""
        head = self._head_expecting(expected_position)
        now, floor = _batch_time(self.clock(), head)
        # One query for the ids already in the log, not one per event; and a batch may name its own
        # events in after/before in any order.
        given = [i for i in (d[0] if type(d) is tuple else d.id for d in batch) if i]
        present = () if assume_new else self._existing(given)
        in_batch = set(given)
        # This batch's events by id, as entries or (without `keep`) as their drafts or incoming rows:
        # what repeats and _check_draft compare against, before they are in the table.
        pending: dict[str, Entry | Draft | tuple] = {}
        out: list[Entry] = []
        rows: list[tuple] = []
        seq, prev = head.seq, head.hash
        last = None  # the recorded time of the batch's last row, as _recorded_time gives it
        make_entry = _entry_builder()
        for i, item in enumerate(batch):
            try:
                # (An incoming row's id was checked by its reader. Inline rather than in _draft_id: this is
                # the import's hot loop, and a call per row costs it about 0.5%.)
                event_id = (item[0] or _new_id()) if type(item) is tuple else _draft_id(item)
                if event_id in pending or event_id in present:
                    existing = self._repeated(event_id, item, pending)
                    if existing is not None:
                        if keep:
                            out.append(existing)
                        continue
                if type(item) is tuple:
                    incoming, stored_payload = item, None
                else:
                    stored = preserved[i] if preserved is not None else None
                    incoming, stored_payload = self._incoming(item, event_id, stored, pending, in_batch)
                recorded = _recorded_time(incoming[10], now, floor, last)
            except ChronoError as e:
                _name_line(e, line_numbers, i)
                raise
            seq += 1
            row = _chained(seq, event_id, incoming, recorded[0], prev, line_numbers, i)
            rows.append(row)
            if keep:
                entry = make_entry(seq, event_id, item.event, item.valid, item.sources, recorded[1], item.after, item.before,
                                   row[3], prev, row[13], stored_payload)
                pending[event_id] = entry
                out.append(entry)
            else:
                pending[event_id] = item
            prev, last = row[13], recorded
        self._insert(rows)
        return out, len(rows)

    def _head_expecting(self, expected_position: int | None) -> Head:
        """The head a batch continues; ConflictError when it is not at the position the caller expected."""
        head = self.head()
        if expected_position is not None and expected_position != head.seq:
            raise ConflictError(expected_position, head.seq)
        return head

    def _incoming(self, draft: Draft, event_id: str, stored: dict | None, pending: dict, in_batch: set[str]) -> tuple[tuple, dict | None]:
        """A draft as an incoming row (see INCOMING), checked against the log and the batch, and the
        payload an export from an older schema stored (kept as stored: its hash covers those bytes)."""
        event = draft.event
        if event.correction or draft.after or draft.before or draft.valid is None and not event.timeless:
            # Otherwise nothing for _check_draft to look at: a fact with a valid time, or a
            # description without one, that corrects nothing and names no other event.
            self._check_draft(draft, pending, in_batch)
        version = event.version
        body, sources = draft.encoded or (codec.canonical(codec.unstructure_event(event)), codec.canonical(codec.unstructure_sources(draft.sources)))
        stored_payload = recorded = given_hash = None
        if stored is not None:
            if "stored_version" in stored:
                # An import from a log written by an older schema: store the payload as that log
                # stored it; it is upcast on read like any old row.
                stored_payload = stored["stored_event"]
                version, body = stored["stored_version"], codec.canonical(stored_payload)
            if "recorded" in stored:
                recorded = stored["recorded"]
                if recorded is None:  # (which an incoming row says for "not given")
                    raise InvalidEventError("recorded: None is not an ISO time")
            given_hash = stored.get("hash")
        lo, hi, meta = valid_columns(draft.valid)
        links = NO_LINKS if not draft.after and not draft.before else codec.canonical({"after": list(draft.after), "before": list(draft.before)})
        target = event.target if event.correction else None
        return (event_id, event.type_name, version, lo, hi, meta, body, sources, links, target, recorded, given_hash), stored_payload

    def _insert(self, rows: list[tuple]) -> None:
        """Insert chained rows (every column, in COLUMNS' order)."""
        if rows:
            self.conn.executemany(_INSERT, rows)

    def _repeated(self, event_id: str, item: Draft | tuple, pending: dict) -> Entry | Draft | tuple | None:
        """The event in the log or the batch that `item` repeats (to be skipped), if any; an event by
        that id with other content is refused."""
        existing = pending.get(event_id) or self.find(event_id)
        if existing is None or _same_content(_as_draft(existing), _as_draft(item)):
            return existing
        raise DuplicateEventError(f"event {event_id!r} is already in the log with different content")

    def _existing(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            found.update(r[0] for r in self.conn.execute(f"SELECT id FROM events WHERE id IN ({', '.join('?' * len(chunk))})", chunk))
        return found

    def _check_draft(self, draft: Draft, pending: dict[str, Entry | Draft], in_batch: set[str] = frozenset()) -> None:
        ev = draft.event
        name = ev.type_name
        needs_time = not (ev.timeless or (isinstance(ev, EventCorrected) and ev.replacement.timeless))
        if needs_time and draft.valid is None:
            raise InvalidEventError(f"{name} needs a valid time (when did it happen?)")
        if isinstance(ev, EventRetracted) and draft.valid is not None:
            raise InvalidEventError("a retraction has no valid time of its own")
        for key in ("after", "before"):
            for other in getattr(draft, key):
                if other not in pending and other not in in_batch and self.find(other) is None:
                    raise UnknownEventError(f"{key}: no event {other!r} in the log")
        if ev.correction:
            target = _as_draft(pending.get(ev.target) or self.find(ev.target))
            if target is None:
                raise UnknownEventError(f"{name}: no event {ev.target!r} in the log to correct")
            if isinstance(ev, EventCorrected):
                if ev.replacement.correction:
                    raise InvalidEventError("a replacement must be an event about the world, not a correction")
                if isinstance(target.event, EventRetracted):
                    raise InvalidEventError(f"{ev.target} is a retraction; to undo it, retract it")
                inner = target.event.replacement if isinstance(target.event, EventCorrected) else target.event
                if type(inner) is not type(ev.replacement):
                    raise InvalidEventError(
                        f"{ev.target} is a {inner.type_name}; its replacement must be one too "
                        "(retract it and append the new event instead)")


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


# An incoming row: a draft or a line of an export on its way into the log, before the log gives it its
# position, its recorded time and its hash. Log._incoming makes one of a draft; jsonl.read_prepared of a
# plain line, in a second process. Its id (None: the log makes one) must be a valid event id, and its
# columns what the log would encode of the draft (canonical JSON, valid_columns):
# (id, type, version, valid_lo, valid_hi, valid_meta, body, sources, links, target, recorded, hash)
# with `recorded` the ISO time an export kept, and `hash` the one it gave, or None for each.
INCOMING = ("id", "type", "version", "valid_lo", "valid_hi", "valid_meta", "body", "sources", "links", "target", "recorded", "hash")


def _draft_id(draft: Draft) -> str:
    """A draft's id: its own, checked, or a new one."""
    event_id = draft.id or _new_id()
    if (type(event_id) is not str or EVENT_ID_RE.match(event_id) is None) and not valid_event_id(event_id):
        raise InvalidEventError(f"{event_id!r} is not an event id (letters, digits, '.', '_', ':' or '-')")
    return event_id


def _batch_time(now: datetime, head: Head) -> tuple[tuple[int, datetime], int]:
    """A batch's recorded time from the clock's reading `now`, as (UTC microseconds, datetime), never
    before the log's last recorded time (`floor`, returned beside it in microseconds)."""
    if now.tzinfo is None:
        raise ChronoError("the clock must give timezone-aware times")
    floor = to_micros(head.recorded) if head.recorded else 0
    us = max(to_micros(now), floor)
    return (us, from_micros(us)), floor


def _recorded_time(given: str | None, now: tuple[int, datetime], floor: int, last: tuple[int, datetime] | None) -> tuple[int, datetime]:
    """The recorded time of a batch's next row, as (UTC microseconds, datetime): the time an export
    kept (`given`), which must not be before the log's last (`floor`) nor the batch's last row's
    (`last`); else the batch's time `now`, or the last row's when that is later (an export's kept
    times may run ahead of the clock, and the rows after them are recorded no earlier)."""
    if given is None:
        return last if last is not None and last[0] > now[0] else now
    # _preserved_recorded, written out for the usual case; it explains any other.
    try:
        dt = _fromisoformat(given)
        since = dt - _EPOCH  # (a naive time cannot)
    except (TypeError, ValueError):
        dt = None
    else:
        us = (since.days * 86_400 + since.seconds) * 1_000_000 + since.microseconds  # to_micros, in half the time
    if dt is None or us < floor or last is not None and us < last[0]:
        return _preserved_recorded(given, recorded_floor=floor, last=None if last is None else last[0])
    return us, dt if dt.tzinfo is _UTC else dt.astimezone(_UTC)  # (an export's times are in UTC)


def _preserved_recorded(value, *, recorded_floor: int, last: int | None) -> tuple[int, datetime]:
    """A recorded time an export kept, as stored (UTC microseconds) and as an entry holds it."""
    try:
        dt = datetime.fromisoformat(value)
    except (TypeError, ValueError) as e:
        raise InvalidEventError(f"recorded: {value!r} is not an ISO time") from e
    if dt.tzinfo is None:
        raise InvalidEventError("recorded needs an offset")
    us = to_micros(dt)
    if us < recorded_floor or (last is not None and us < last):
        raise InvalidEventError("recorded times must not go backwards along the log")
    return us, dt.astimezone(_UTC)  # equal to from_micros(us), without the slow way round


def _chained(seq: int, event_id: str, incoming: tuple, recorded: int, prev: str, line_numbers: Sequence[int] | None, i: int) -> tuple:
    """The row to insert at position `seq`, after the row hashed `prev`: the incoming row's columns
    with its position, id and recorded time, then its hash. An incoming row that gives another hash
    is refused (the i-th of the batch, named by its line)."""
    _, type_name, version, lo, hi, meta, body, sources, links, target, _, given_hash = incoming
    row = (seq, event_id, type_name, version, lo, hi, meta, recorded, body, sources, links, target, prev)
    h = row_hash(row)
    if given_hash is not None and given_hash != h:
        line = line_numbers[i] if line_numbers else None
        raise TamperedError(
            f"{'line %d: ' % line if line else ''}event {event_id!r}: its hash does not match the content "
            "(the file was altered, or it does not continue this log)", position=seq)
    return (*row, h)


def _name_line(e: ChronoError, line_numbers: Sequence[int] | None, i: int) -> None:
    """Begin the message of an error about the i-th item of a batch with its input line, if known."""
    line = line_numbers[i] if line_numbers else None
    if line is not None and not str(e).startswith("line "):
        e.args = (f"line {line}: {e}",)


_EPOCH = from_micros(0)
_UTC = _EPOCH.tzinfo
_ENTRY_ORDER = ("seq", "id", "event", "valid", "sources", "recorded", "after", "before", "version", "prev_hash", "hash", "stored_payload")
_ENTRY_BUILDER: list = []


def _entry_builder() -> Callable[..., Entry]:
    """Entry(...) taking its fields in order, setting its slots directly while its constructor does
    nothing more than that (no validators, converters or post-init)."""
    if not _ENTRY_BUILDER:
        from ._build import builder

        fields = attrs.fields(Entry)
        plain = (tuple(a.name for a in fields) == _ENTRY_ORDER and all(a.validator is None and a.converter is None for a in fields)
                 and not hasattr(Entry, "__attrs_pre_init__") and not hasattr(Entry, "__attrs_post_init__"))
        build = plain and builder(Entry, _ENTRY_ORDER)
        _ENTRY_BUILDER.append(build or (lambda *values: Entry(**dict(zip(_ENTRY_ORDER, values, strict=True)))))
    return _ENTRY_BUILDER[0]
_MICROSECOND = from_micros(1) - _EPOCH
NO_LINKS = codec.canonical({"after": [], "before": []})  # the links column of an event with none
# valid_meta of the valid times without wording, by (precision, zone, qualifier): a log repeats a few.
_VALID_METAS: dict[tuple, str] = {}
_fromisoformat = datetime.fromisoformat
_INSERT = f"INSERT INTO events ({COLUMNS}) VALUES ({', '.join('?' * 14)})"


def valid_columns(valid) -> tuple[int | None, int | None, str | None]:
    """A valid time as the log stores it: (valid_lo, valid_hi, valid_meta)."""
    if valid is None:
        return None, None, None
    if valid.wording is None:
        key = (valid.precision, valid.zone, valid.qualifier)
        meta = _VALID_METAS.get(key)
        if meta is None:
            meta = _VALID_METAS[key] = codec.valid_meta(valid)
    else:
        meta = codec.valid_meta(valid)
    return (valid.earliest - _EPOCH) // _MICROSECOND, (valid.latest - _EPOCH) // _MICROSECOND, meta  # to_micros


def _as_draft(item):
    """What duplicates and corrections are checked against, as an object with a Draft's fields: an entry
    or draft as it is, an incoming row (INCOMING) decoded from its columns."""
    if type(item) is not tuple:
        return item
    event_id, type_name, version, lo, hi, meta, body, sources = item[:8]
    return Draft(event=codec.decode_stored(type_name, version, body), valid=codec.valid_from_columns(lo, hi, meta),
                 sources=codec.decode_sources(sources), id=event_id)


def _same_content(existing: Entry | Draft, draft: Draft) -> bool:
    return (
        existing.event == draft.event
        and existing.valid == draft.valid
        and existing.sources == draft.sources
        and existing.after == draft.after
        and existing.before == draft.before
    )


def _new_id() -> str:
    return "ev-" + os.urandom(8).hex()


def entry_from_row(row: Sequence) -> Entry:
    """The entry a stored row (its fourteen COLUMNS, in order) holds, its event upcast to the current
    schema. The row is trusted as the log's own: its event is not validated again (see
    codec.decode_stored); `verify` is what checks a row against its hash."""
    seq, event_id, type_name, version, lo, hi, meta, recorded, body, sources, links, _target, prev_hash, h = row
    event = codec.decode_stored(type_name, version, body)
    if links == NO_LINKS:
        after = before = ()
    else:
        link = codec.loads(links)
        after, before = tuple(link["after"]), tuple(link["before"])
    return (_ENTRY_BUILDER[0] if _ENTRY_BUILDER else _entry_builder())(
        seq, event_id, event, codec.valid_from_columns(lo, hi, meta), codec.decode_sources(sources), from_micros(recorded),
        after, before, version, prev_hash, h, codec.loads(body) if version != event.version else None)


def _connect(path: str, *, readonly: bool = False, wal: bool = True) -> sqlite3.Connection:
    try:
        if readonly:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, timeout=5.0)
        else:
            conn = sqlite3.connect(path, isolation_level=None, timeout=5.0)
            if wal:
                _use_wal(conn)
            conn.execute("PRAGMA synchronous=FULL")
    except sqlite3.Error as e:
        raise _storage_error(e, path) from e
    return conn


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


def _create_schema(conn: sqlite3.Connection, *, zone: str, name: str, created: datetime) -> None:
    import sqlite_utils  # only a new log needs it; keep it off every read's start-up

    db = sqlite_utils.Database(conn)
    conn.execute("BEGIN IMMEDIATE")
    db["chrono_meta"].create({"key": str, "value": str}, pk="key")
    db["chrono_meta"].insert_all(
        [
            {"key": "app", "value": "chrono"},
            {"key": "schema", "value": str(SCHEMA_VERSION)},
            {"key": "zone", "value": zone},
            {"key": "name", "value": name},
            {"key": "created", "value": created.isoformat()},
        ]
    )
    db["events"].create(
        {
            "seq": int, "id": str, "type": str, "version": int, "valid_lo": int, "valid_hi": int,
            "valid_meta": str, "recorded": int, "body": str, "sources": str, "links": str, "target": str,
            "prev_hash": str, "hash": str,
        },
        pk="seq",
        not_null={"id", "type", "version", "recorded", "body", "sources", "links", "prev_hash", "hash"},
    )
    db["events"].create_index(["id"], unique=True)
    db["events"].create_index(["recorded"])
    db["events"].create_index(["target"])
    for op in ("UPDATE", "DELETE"):
        conn.execute(
            f"CREATE TRIGGER events_no_{op.lower()} BEFORE {op} ON events "
            "BEGIN SELECT RAISE(ABORT, 'the chrono log is append-only'); END"
        )
    conn.execute("COMMIT")


def verify(log: Log, *, head: str | None = None, progress: Callable[[int], None] | None = None) -> VerifyReport:
    """Recompute the hash chain and check the log's invariants; report the first bad position."""
    prev, expect_seq, last_recorded, count = GENESIS, 1, 0, 0
    seen_head = head is None
    last = Head(0, GENESIS, None)
    ids: set[str] = set()
    for row in log.conn.execute(f"SELECT {COLUMNS} FROM events ORDER BY seq"):
        seq = row[0]
        problem = None
        if seq != expect_seq:
            problem = f"position {expect_seq} is missing (found {seq})"
            seq = expect_seq
        elif row[12] != prev:
            problem = f"position {seq} does not follow the previous entry's hash"
        elif row_hash(row[:13]) != row[13]:
            problem = f"position {seq} was altered: its content does not match its hash"
        elif row[7] < last_recorded:
            problem = f"position {seq} was recorded before the entry it follows"
        elif row[1] in ids:
            problem = f"position {seq} repeats event id {row[1]!r}"
        else:
            try:
                entry_from_row(row)
            except ChronoError as e:
                problem = f"position {seq} cannot be read: {e}"
        if problem:
            return VerifyReport(False, count, last, position=seq, problem=problem)
        ids.add(row[1])
        prev, last_recorded, expect_seq, count = row[13], row[7], expect_seq + 1, count + 1
        last = Head(row[0], row[13], from_micros(row[7]))
        if head is not None and row[13] == head:
            seen_head = True
        if progress:
            progress(count)
    if not seen_head:
        return VerifyReport(False, count, last, position=last.seq + 1, problem=f"the log no longer reaches head {head}: it was truncated or rewritten")
    return VerifyReport(True, count, last)
