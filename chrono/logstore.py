"""The log's one interface, which every backend implements (SQLite in chrono.store; PostgreSQL in
chrono.pgstore), and what every backend shares: the stored row and its hash, the write path's rules, verify.
"""

from __future__ import annotations

import abc
import contextlib
import getpass
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Self

import attrs

from events import EVENT_ID_RE, EventCorrected, EventRetracted, SettingChanged, valid_event_id

from . import codec, settings
from .clock import Clock
from .entry import AUTHOR, Draft, Entry
from .errors import ChronoError, ConflictError, DuplicateEventError, InvalidEventError, TamperedError, UnknownEventError
from .timeval import CALENDAR_HI, CALENDAR_LO, from_micros, to_micros

GENESIS = "0" * 64  # the previous hash of the first row
SETTING = SettingChanged.type_name
# What an import says of an export that is not this log's own (nor a copy or continuation of it).
BACKWARDS = "recorded times must not go backwards along the log"
NOT_CONTINUED = "the file was altered, or it does not continue this log"

# A stored row's columns, in the order a row is kept, hashed and read: `row_hash` takes the first
# thirteen (all but the hash) and the provenance, `entry_from_row` all fifteen. The names are the
# SQLite table's columns; the SQLite read cache selects them to read a log's rows through its
# connection. Every backend stores these values and gives them back in this order
# (`LogStore.stored_rows`).
#
# `provenance` holds what the log knows of how an entry came to it, rather than what it says of the
# world: canonical JSON of an object, or None. Its `origin` says where an entry merged from another
# log was (that log's name and head, the entry's position, id, recorded time and hash there); its
# `author` says who recorded the entry in this log (LogStore.author). A log written before provenance
# has no such column, and its rows read None; a row written before authors has no `author`.
COLUMNS = "seq, id, type, version, valid_lo, valid_hi, valid_meta, recorded, body, sources, links, target, prev_hash, hash, provenance"
NO_LINKS = codec.canonical({"after": [], "before": []})  # the links column of an event with none

# An incoming row: a draft or a line of an export on its way into the log, before the log gives it its
# position, its recorded time and its hash. LogStore._incoming makes one of a draft; jsonl.read_prepared
# of a plain line, in a second process. Its id (None: the log makes one) must be a valid event id, and
# its columns what the log would encode of the draft (canonical JSON, valid_columns), with `recorded`
# the ISO time an export kept and `hash` the one it gave, or None for each, and its provenance (as
# stored: canonical JSON, or None):
INCOMING = ("id", "type", "version", "valid_lo", "valid_hi", "valid_meta", "body", "sources", "links", "target", "recorded", "hash",
            "provenance")

_EPOCH = from_micros(0)
_UTC = _EPOCH.tzinfo
_MICROSECOND = from_micros(1) - _EPOCH
_fromisoformat = datetime.fromisoformat
_ENTRY_ORDER = ("seq", "id", "event", "valid", "sources", "recorded", "after", "before", "version", "prev_hash", "hash", "stored_payload",
                "provenance")
_ENTRY_BUILDER: list = []
# valid_meta of the valid times without wording, gloss or EDTF kept, by (precision, zone, qualifier,
# start, end, qualifiers): a log repeats a few.
_VALID_METAS: dict[tuple, str] = {}


# What a row's hash covers, in order: the previous hash, then the other columns up to `target` as COLUMNS
# orders them, each as text (an integer in decimal, None as nothing), joined by SEPARATOR; then, only
# for a row that has one, SEPARATOR and its provenance. `row_hash` writes this out for speed;
# chrono.pgstore derives the server's expression from these names (tests/test_pgstore.py holds the two
# to each other).
HASHED = ("prev_hash", *[c.strip() for c in COLUMNS.split(",")][:12])
SEPARATOR = "\x1f"


def row_hash(row: Sequence, provenance: str | None = None) -> str:
    """sha256 over every stored column but the hash itself (`row`: the first thirteen COLUMNS, then
    `provenance`), in order, with the previous hash first: HASHED, written out.

    The JSON columns are canonical and escape control characters, so the unit separator cannot occur
    inside a field: no two different rows share an encoding. A row without a provenance is hashed as
    every row was before there were any (so every log written before verifies as it did); a row with
    one adds it last, after one more separator (log schema 2).
    """
    seq, event_id, type_name, version, lo, hi, meta, recorded, body, sources, links, target, prev = row[:13]
    text = (
        f"{prev}\x1f{seq}\x1f{event_id}\x1f{type_name}\x1f{version}\x1f{'' if lo is None else lo}\x1f{'' if hi is None else hi}\x1f"
        f"{'' if meta is None else meta}\x1f{recorded}\x1f{body}\x1f{sources}\x1f{links}\x1f{'' if target is None else target}"
    )
    if provenance is not None:
        text += f"\x1f{provenance}"
    return hashlib.sha256(text.encode()).hexdigest()


@attrs.frozen
class Head:
    """The last entry's position, hash and recorded time; (0, GENESIS, None) for an empty log."""

    seq: int
    hash: str
    recorded: datetime | None


@attrs.frozen
class VerifyReport:
    """What `verify` found: whether the log holds, how many rows it checked and the last good head;
    when not, the first bad position and what is wrong there."""

    ok: bool
    count: int
    head: Head
    position: int | None = None
    problem: str | None = None


class Stage:
    """The writes of one `LogStore.staged()` block: kept when `commit()` has been called by its end."""

    def __init__(self) -> None:
        self.committed = False

    def commit(self) -> None:
        self.committed = True


class LogStore(abc.ABC):
    """An open Chrono log, whatever stores it: the interface every backend implements, and the laws it
    keeps. tests/test_store_contract.py states each law as a test (StoreContract); a backend is done
    when a subclass of it that makes the backend's stores passes.

    Positions. The entries are numbered 1, 2, 3, ... in the order their appends committed, without a
    gap; `head().seq` is the last (0 for an empty log). A reader never sees a position before every
    lower one is visible: a backend whose sequences commit out of order (PostgreSQL) must serialise
    appends (a table lock) or read only below a commit-ordered high-water mark.

    Optimistic concurrency. `append(..., expected_position=n)` writes only if the log ends at n, and
    otherwise raises ConflictError(n, actual), writing nothing.

    Idempotent ids. Every entry has an id, the caller's or one the log makes. Appending an id the log
    (or the same batch) already holds, with the same content (event, valid time, sources, after,
    before), adds nothing and returns the stored entry; with other content it is DuplicateEventError.
    Who appends it is not content: the same event appended by another author is a repeat.

    Authors. Every entry a write records records who recorded it (`author`) as the `author` member of
    its provenance, which the hash covers. An entry an import brings with fields of a stored entry (a
    recorded time, a hash, a provenance) keeps the provenance it came with, or none (the hash covers
    it, so an export imports to the same head), and an entry from before authors has none
    (`Entry.author` is None).

    Recorded time. Set by the store's clock (`clock`, read once per batch), never by the caller, and
    never decreasing along the log: a clock that goes back records the log's last time again. Only an
    import keeps the recorded times an export gives, and refuses ones that go backwards.

    Batches. `append`, `import_records` and `import_stream` are each all or nothing: after any error
    the log is exactly as it was.

    Staging. Inside `with log.staged() as stage:` writes are checked, positioned and hashed as they
    would be, and this handle reads them (`head`, `entries`, `get`) as if they were in the log; no
    other writer can write meanwhile. They stay only if `stage.commit()` was called when the block
    ends without an error; otherwise the log is exactly as it was. A dry run is a stage never
    committed; a check that needs the batch in the log (a second retraction) is made before committing.

    The hash chain. A row's `prev_hash` is the previous row's `hash` (GENESIS for the first), and its
    `hash` is `row_hash` of its other columns (COLUMNS), its provenance among them when it has one. An import that gives hashes must reproduce
    them, which it does exactly when it continues the log it was exported from. `verify` recomputes
    the chain over `stored_rows()`, which gives the rows as stored, in position order.

    What is accepted. A fact needs a valid time, a retraction has none, after/before and a
    correction's target must name events in the log or the batch, a replacement is a fact of its
    target's type (see _check_draft); messages name the input line when given `line_numbers`.

    The write path's rules (ids, repeats, checks, recorded time, the chain) are this class's, in
    `_write_locked`: a backend runs it inside a transaction that holds its write lock, and gives it
    `head()`, `find()`, `_existing(ids)` and `_insert(rows)`; and it names who records when no author
    is given (`default_author`). Opening and creating a log are each backend's own
    (`chrono.store.Log.create` / `.open`, `chrono.pgstore.PgLog`'s); chrono.logs chooses the backend
    from where the log is.
    """

    # The zone a log keeps in its own metadata from its creation (a log written before settings, the
    # bundled chronicle), or None: what it reads naive times in unless a setting says otherwise.
    created_zone: str | None
    name: str  # what the log is called (the file's name unless given)
    path: str  # where it is (a file, ":memory:", a database's address)
    clock: Clock  # the store's clock, which gives every recorded time
    readonly: bool = False  # this handle neither writes the log nor keeps anything beside it (a cache)
    # A local copy of this log (chrono.replica) as it stood when last brought up to date, which what a
    # write asks of the log's state (which entities it describes, what a fact says now) may read
    # instead of a log kept elsewhere; None for a log read where it is.
    local: LogStore | None = None
    _author: str | None = None  # the author given, if any (see `author`)

    @property
    def author(self) -> str:
        """Who this handle records each entry it appends as (the `author` of its provenance, inside the
        hash chain): the one given (`store.author = name`: `--author`, `$CHRONO_AUTHOR`), else the
        backend's `default_author`. What a user says, not a credential: on a shared server the
        default is the database role the writer logged in as."""
        return self._author if self._author is not None else self.default_author

    @author.setter
    def author(self, value: str | None) -> None:
        self._author = None if value is None else check_author(value)

    @property
    @abc.abstractmethod
    def default_author(self) -> str:
        """Who records entries when no author is given: SQLite's log, the user the process runs as;
        a server's, the role it connects as."""

    @property
    def zone(self) -> str:
        """The IANA zone naive times are read in: the log's `zone` setting (chrono.settings)."""
        from .settings import setting

        return setting(self, "zone")

    # --- reading -----------------------------------------------------------------------------------

    @abc.abstractmethod
    def head(self) -> Head:
        """The last entry's position, hash and recorded time."""

    def __len__(self) -> int:
        return self.head().seq

    @abc.abstractmethod
    def entries(self, *, known_at: datetime | None = None, after_seq: int = 0) -> Iterator[Entry]:
        """Entries in position order after `after_seq`; with `known_at`, only those recorded at or
        before it."""

    @abc.abstractmethod
    def get(self, event_id: str) -> Entry:
        """The entry of `event_id`; UnknownEventError when the log has none."""

    def find(self, event_id: str) -> Entry | None:
        """The entry of `event_id`, or None."""
        try:
            return self.get(event_id)
        except UnknownEventError:
            return None

    @abc.abstractmethod
    def corrections_of(self, event_id: str) -> list[Entry]:
        """The corrections and retractions that target `event_id`, in position order."""

    def chains(self, ids: Iterable[str], position: int) -> list[Entry]:
        """The entries `ids` and every correction or retraction of them (and of those), recorded by
        `position`, in log order: what an entry's story is resolved from. (Entry by entry here; a
        backend may ask for a whole frontier at once.)"""
        out: dict[int, Entry] = {}
        frontier = [e for e in map(self.find, dict.fromkeys(ids)) if e is not None and e.seq <= position]
        while frontier:
            found = []
            for e in frontier:
                if e.seq not in out:
                    out[e.seq] = e
                    found += [c for c in self.corrections_of(e.id) if c.seq <= position]
            frontier = found
        return [out[seq] for seq in sorted(out)]

    def settings_entries(self) -> Iterator[Entry]:
        """The entries that change the log's settings (SettingChanged), in position order. Read by
        every command, for the zone: a backend finds them by an index rather than this scan."""
        return (e for e in self.entries() if e.type_name == SETTING)

    @abc.abstractmethod
    def stored_rows(self, *, after_seq: int = 0) -> Iterator[tuple]:
        """Every row after `after_seq` as stored (its COLUMNS, in order), in position order, without
        checking or decoding anything: what `verify` reads, and what a local copy of the log takes
        (chrono.replica)."""

    # --- writing -----------------------------------------------------------------------------------

    @abc.abstractmethod
    def append(self, drafts: Draft | Iterable[Draft], *, expected_position: int | None = None,
               line_numbers: Sequence[int] | None = None) -> list[Entry]:
        """Append a batch atomically; returns the stored entries (existing ones for idempotent
        repeats). `line_numbers` name each draft's input line in error messages."""

    @abc.abstractmethod
    def import_records(self, records: Iterable[tuple[Draft, dict]], *, line_numbers: Sequence[int] | None = None) -> list[Entry]:
        """Append drafts that carry stored-log fields (recorded time, hashes) from an export, in one
        batch. Recorded times are kept when given (they must not go backwards); a given hash must
        match the one this log computes, which it does exactly when the file is imported into an
        empty log."""

    @abc.abstractmethod
    def import_stream(self, records: Iterable[tuple[int, Draft | tuple, dict | None]], *, batch_size: int = 2000,
                      finish: Callable[[LogStore], Iterable[Draft]] | None = None) -> tuple[int, int]:
        """Import what `jsonl.read_records` reads (line number, draft, stored-log fields), or
        `jsonl.read_prepared` (which may give an incoming row in place of a draft), all or nothing,
        `batch_size` records at a time: memory stays bounded whatever the file's length, and no
        entry objects are made. Returns how many records were read and how many added (entries
        already in the log are skipped, as `import_records` does). `finish`, when given, is called
        inside the import's transaction once every record is written: it may look at the log as the
        import leaves it and raise (then nothing is imported), and the drafts it returns are appended
        in the same transaction."""

    @abc.abstractmethod
    def staged(self) -> contextlib.AbstractContextManager[Stage]:
        """A unit of writes kept only if committed (see "Staging" above)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the store; the object is not used again."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- what the write path asks of a backend --------------------------------------------------------

    @abc.abstractmethod
    def _existing(self, ids: list[str]) -> set[str]:
        """Which of `ids` the log holds."""

    @abc.abstractmethod
    def _insert(self, rows: list[tuple]) -> None:
        """Insert chained rows (every column, in COLUMNS' order), inside the write's transaction."""

    # --- the write path --------------------------------------------------------------------------------

    def _write_locked(self, batch, expected_position, preserved, line_numbers, *, keep: bool = True,
                      assume_new: bool = False, later: list | None = None) -> tuple[list[Entry], int]:
        """Check and insert one batch inside a transaction; returns the batch's entries (with `keep`:
        the stored ones for idempotent repeats) and how many rows were added. With `assume_new`, ids
        are not looked up (`_existing`): one already there must make `_insert` fail (the SQLite log's
        unique index does, see chrono.store.Log._write_new).

        A batch holds drafts, or (from a parallel import, see jsonl.read_prepared) incoming rows. Each
        item in turn: its id (_draft_id), skipped when it repeats an event (_repeated), made an
        incoming row (_incoming), given its recorded time (_recorded_time), then its position and
        hash (_chained); the rows are inserted together at the end (_insert). With `later` (an import),
        an after/before naming an event neither in the log nor in the batch is noted there, as (line,
        key, id), for `_import_locked` to look up once the whole file is written."""
        head = self._head_expecting(expected_position)
        now, floor = _batch_time(self.clock(), head)
        authored = codec.canonical({AUTHOR: self.author})  # the provenance of what this batch records itself
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
                event_id = (item[0] or new_event_id()) if type(item) is tuple else _draft_id(item)
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
                    incoming, stored_payload = self._incoming(item, event_id, stored, pending, in_batch,
                                                              later, line_numbers[i] if line_numbers else None)
                recorded = _recorded_time(incoming[10], now, floor, last)
            except ChronoError as e:
                _name_line(e, line_numbers, i)
                raise
            seq += 1
            row = _chained(seq, event_id, incoming, recorded[0], prev, line_numbers, i, authored)
            rows.append(row)
            if keep:
                entry = make_entry(seq, event_id, item.event, item.valid, item.sources, recorded[1], item.after, item.before,
                                   row[3], prev, row[13], stored_payload, None if row[14] is None else codec.loads(row[14]))
                pending[event_id] = entry
                out.append(entry)
            else:
                pending[event_id] = item
            prev, last = row[13], recorded
        self._insert(rows)
        return out, len(rows)

    def _unchained(self, batch: list[Draft], line_numbers: Sequence[int] | None) -> tuple[list[str], list[tuple]]:
        """A batch of drafts as their ids and incoming rows, checked against the log without its lock,
        for a backend whose server chains them (chrono.pgstore). What the checks look for (an event
        named, a target to correct) stays once it is in the log: the log only grows. An id already in
        the log or twice in the batch is for the server's unique index to refuse, and the backend then
        to write the careful way (_write_locked), which knows a repeat."""
        in_batch = {d.id for d in batch if d.id}
        pending: dict[str, Draft] = {}
        ids, rows = [], []
        for i, draft in enumerate(batch):
            try:
                event_id = _draft_id(draft)
                row, _ = self._incoming(draft, event_id, None, pending, in_batch, None, line_numbers[i] if line_numbers else None)
            except ChronoError as e:
                _name_line(e, line_numbers, i)
                raise
            pending[event_id] = draft
            ids.append(event_id)
            rows.append(row)
        return ids, rows

    def _chained_entries(self, batch: list[Draft], ids: list[str], rows: list[tuple], head: Head, hashes: list[str],
                         recorded: int, authored: str) -> list[Entry]:
        """The entries of `_unchained`'s rows as a server chained them after `head`, recorded at
        `recorded` (UTC microseconds) by `authored`, each hash checked against row_hash: a server
        whose chaining differs is caught at its first append."""
        make_entry = _entry_builder()
        at = from_micros(recorded)
        provenance = codec.loads(authored)
        seq, prev = head.seq, head.hash
        out = []
        for draft, event_id, row, h in zip(batch, ids, rows, hashes, strict=True):
            seq += 1
            if _chained(seq, event_id, row, recorded, prev, None, 0, authored)[13] != h:
                raise TamperedError(f"the server chained event {event_id!r} with a hash this Chrono does not make: "
                                    "its append function differs from Chrono's (`chrono verify` shows the row)", position=seq)
            out.append(make_entry(seq, event_id, draft.event, draft.valid, draft.sources, at, draft.after, draft.before, row[2], prev, h,
                                  None, provenance))
            prev = h
        return out

    def _import_locked(self, records: Iterable[tuple[int, Draft | tuple, dict | None]], batch_size: int,
                       finish: Callable[[LogStore], Iterable[Draft]] | None) -> tuple[int, int]:
        """`import_stream`'s work, inside the backend's transaction: the records `batch_size` at a time,
        each batch written as new first (the backend's `_write_new`). The whole file is one batch as
        far as after/before go: one naming an event later in the file (in a batch still to come) is
        looked up once every record is written, and refused, naming its line, only if it is in
        neither the log nor the file."""
        read = added = 0
        later: list[tuple[int | None, str, str]] = []
        batch: list[Draft | tuple] = []
        preserved: list[dict | None] = []
        lines: list[int] = []
        for number, draft, stored in records:
            batch.append(draft)
            preserved.append(stored)
            lines.append(number)
            if len(batch) >= batch_size:
                added += self._write_new(batch, preserved, lines, later)
                read += len(batch)
                batch, preserved, lines = [], [], []
        if batch:
            added += self._write_new(batch, preserved, lines, later)
            read += len(batch)
        if later:
            known = self._existing(sorted({other for _line, _key, other in later}))
            for line, key, other in later:
                if other not in known:
                    raise UnknownEventError(f"{'line %d: ' % line if line else ''}{key}: no event {other!r} in the log or the file")
        if finish is not None:
            added += self._write_locked(list(finish(self)), None, None, None)[1]
        return read, added

    @abc.abstractmethod
    def _write_new(self, batch: list, preserved: list, lines: list[int], later: list) -> int:
        """Write a batch of an import (`_import_locked`) inside its transaction, as `_write_locked` with
        `keep=False` and `later`, and return how many rows were added: a backend may first try it as
        all new (`assume_new`), and write it again the careful way if an id was already there."""

    def _head_expecting(self, expected_position: int | None) -> Head:
        """The head a batch continues; ConflictError when it is not at the position the caller expected."""
        head = self.head()
        if expected_position is not None and expected_position != head.seq:
            raise ConflictError(expected_position, head.seq)
        return head

    def _incoming(self, draft: Draft, event_id: str, stored: dict | None, pending: dict, in_batch: set[str],
                  later: list | None = None, line: int | None = None) -> tuple[tuple, dict | None]:
        """A draft as an incoming row (see INCOMING), checked against the log and the batch, and the
        payload an export from an older schema stored (kept as stored: its hash covers those bytes)."""
        event = draft.event
        if needs_checking(event, draft.valid, draft.after, draft.before):
            self._check_draft(draft, pending, in_batch, later, line)
        version = event.version
        body, sources = draft.encoded or (codec.canonical(codec.unstructure_event(event)), codec.canonical(codec.unstructure_sources(draft.sources)))
        stored_payload = recorded = given_hash = provenance = None
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
            if stored.get("provenance") is not None:
                if type(stored["provenance"]) is not dict:
                    raise InvalidEventError("provenance must be a JSON object")
                provenance = codec.canonical(stored["provenance"])
        lo, hi, meta = valid_columns(draft.valid)
        links = NO_LINKS if not draft.after and not draft.before else codec.canonical({"after": list(draft.after), "before": list(draft.before)})
        target = event.target if event.correction else None
        return (event_id, event.type_name, version, lo, hi, meta, body, sources, links, target, recorded, given_hash, provenance), stored_payload

    def _repeated(self, event_id: str, item: Draft | tuple, pending: dict) -> Entry | Draft | tuple | None:
        """The event in the log or the batch that `item` repeats (to be skipped), if any; an event by
        that id with other content is refused."""
        existing = pending.get(event_id) or self.find(event_id)
        if existing is None or _same_content(_as_draft(existing), _as_draft(item)):
            return existing
        raise DuplicateEventError(f"event {event_id!r} is already in the log with different content")

    def _check_draft(self, draft: Draft, pending: dict[str, Entry | Draft], in_batch: set[str] = frozenset(),
                     later: list | None = None, line: int | None = None) -> None:
        """Refuse a draft the log does not accept (see "What is accepted" above), looking its references
        up in the batch (`pending`, `in_batch`) and the log; with `later` (an import), an after/before
        found in neither is noted there, with the draft's input `line`, to be looked up at the end."""
        ev = draft.event
        name = ev.type_name
        needs_time = not (ev.timeless or (isinstance(ev, EventCorrected) and ev.replacement.timeless))
        if needs_time and draft.valid is None:
            raise InvalidEventError(f"{name} needs a valid time (when did it happen?)")
        if isinstance(ev, EventRetracted) and draft.valid is not None:
            raise InvalidEventError("a retraction has no valid time of its own")
        if isinstance(ev, SettingChanged):
            if draft.valid is not None:
                raise InvalidEventError("a setting holds for the whole log: it has no valid time")
            settings.check(ev)
        for key in ("after", "before"):
            for other in getattr(draft, key):
                if other not in pending and other not in in_batch and self.find(other) is None:
                    if later is not None:
                        later.append((line, key, other))
                        continue
                    raise UnknownEventError(f"{key}: no event {other!r} in the log")
        if ev.correction:
            target = _as_draft(pending.get(ev.target) or self.find(ev.target))
            if target is None:
                raise UnknownEventError(f"{name}: no event {ev.target!r} in the log to correct")
            if isinstance(target.event, SettingChanged):
                raise InvalidEventError(f"{ev.target} is a setting; to change it, set it again (`chrono settings set`)")
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


def needs_checking(event, valid, after, before) -> bool:
    """Whether an incoming event has anything for `_check_draft` to look at: not a fact with a valid
    time, nor a description without one, that corrects nothing and names no other event. A reader
    that prepares rows without the log (jsonl.read_prepared) leaves these to it."""
    return bool(event.correction or after or before or valid is None and not event.timeless or type(event) is SettingChanged)


def _draft_id(draft: Draft) -> str:
    """A draft's id: its own, checked, or a new one."""
    event_id = draft.id or new_event_id()
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
        raise InvalidEventError(BACKWARDS)
    return us, dt.astimezone(_UTC)  # equal to from_micros(us), without the slow way round


def _chained(seq: int, event_id: str, incoming: tuple, recorded: int, prev: str, line_numbers: Sequence[int] | None, i: int,
             authored: str | None = None) -> tuple:
    """The row to insert at position `seq`, after the row hashed `prev`: the incoming row's columns
    with its position, id and recorded time, then its hash and provenance. An incoming row that brings
    nothing of a stored entry (no recorded time, hash or provenance: a draft appended, a plain event
    imported) is recorded now, by this write's author: its provenance is `authored`. One that brings
    any of them is an export's entry and keeps the provenance it brings, or none (the bundled
    chronicle's entries, which keep their recorded times, so their hashes are everyone's). An incoming
    row that gives another hash is refused (the i-th of the batch, named by its line)."""
    _, type_name, version, lo, hi, meta, body, sources, links, target, given_recorded, given_hash, provenance = incoming
    if provenance is None and given_hash is None and given_recorded is None:
        provenance = authored
    row = (seq, event_id, type_name, version, lo, hi, meta, recorded, body, sources, links, target, prev)
    h = row_hash(row, provenance)
    if given_hash is not None and given_hash != h:
        line = line_numbers[i] if line_numbers else None
        raise TamperedError(
            f"{'line %d: ' % line if line else ''}event {event_id!r}: its hash does not match the content "
            f"({NOT_CONTINUED})", position=seq)
    return (*row, h, provenance)


def _name_line(e: ChronoError, line_numbers: Sequence[int] | None, i: int) -> None:
    """Begin the message of an error about the i-th item of a batch with its input line, if known."""
    line = line_numbers[i] if line_numbers else None
    if line is not None and not str(e).startswith("line "):
        e.args = (f"line {line}: {e}",)




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


def valid_columns(valid) -> tuple[int | None, int | None, str | None]:
    """A valid time as the log stores it: (valid_lo, valid_hi, valid_meta); an end with no datetime
    (open, unknown, the calendar's end) at the calendar's edge."""
    if valid is None:
        return None, None, None
    if valid.wording is None and valid.edtf is None and valid.gloss is None:
        key = (valid.precision, valid.zone, valid.qualifier, valid.start, valid.end, valid.qualifiers)
        meta = _VALID_METAS.get(key)
        if meta is None:
            meta = _VALID_METAS[key] = codec.valid_meta(valid)
    else:
        meta = codec.valid_meta(valid)
    earliest, latest = valid.earliest, valid.latest
    return (CALENDAR_LO if earliest is None else (earliest - _EPOCH) // _MICROSECOND,  # to_micros
            CALENDAR_HI if latest is None else (latest - _EPOCH) // _MICROSECOND, meta)


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


def check_author(author) -> str:
    """`author` if it can name who recorded an entry: a name on one line, not empty."""
    if type(author) is not str or not author.strip():
        raise ChronoError("an author must be a name, not empty (--author or $CHRONO_AUTHOR)")
    if not author.isprintable():
        raise ChronoError(f"an author must be a name on one line, not {author!r}")
    return author


def os_user() -> str:
    """The user this process runs as, by name (a SQLite log's default author); by number when the
    system has no name for it (a container's user without a passwd entry)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"


def new_event_id() -> str:
    return "ev-" + os.urandom(8).hex()


def entry_from_row(row: Sequence) -> Entry:
    """The entry a stored row (its fifteen COLUMNS, in order) holds, its event upcast to the current
    schema. The row is trusted as the log's own: its event is not validated again (see
    codec.decode_stored); `verify` is what checks a row against its hash."""
    seq, event_id, type_name, version, lo, hi, meta, recorded, body, sources, links, _target, prev_hash, h, provenance = row
    event = codec.decode_stored(type_name, version, body)
    if links == NO_LINKS:
        after = before = ()
    else:
        link = codec.loads(links)
        after, before = tuple(link["after"]), tuple(link["before"])
    return (_ENTRY_BUILDER[0] if _ENTRY_BUILDER else _entry_builder())(
        seq, event_id, event, codec.valid_from_columns(lo, hi, meta), codec.decode_sources(sources), from_micros(recorded),
        after, before, version, prev_hash, h, codec.loads(body) if version != event.version else None,
        None if provenance is None else codec.loads(provenance))


def row_problem(row: Sequence, seq: int, prev: str, last_recorded: int) -> str | None:
    """What is wrong with a stored row (its COLUMNS) as the one at position `seq`, after the row hashed
    `prev` and recorded at `last_recorded` (UTC microseconds), or None: what `verify` checks of each row,
    and what a local copy of a log checks of each row it takes (chrono.replica)."""
    if row[0] != seq:
        return f"position {seq} is missing (found {row[0]})"
    if row[12] != prev:
        return f"position {seq} does not follow the previous entry's hash"
    if row_hash(row[:13], row[14]) != row[13]:
        return f"position {seq} was altered: its content does not match its hash"
    if row[7] < last_recorded:
        return f"position {seq} was recorded before the entry it follows"
    return None


def verify(log: LogStore, *, head: str | None = None, progress: Callable[[int], None] | None = None) -> VerifyReport:
    """Recompute the hash chain and check the log's invariants; report the first bad position."""
    prev, expect_seq, last_recorded, count = GENESIS, 1, 0, 0
    seen_head = head is None
    last = Head(0, GENESIS, None)
    ids: set[str] = set()
    for row in log.stored_rows():
        seq = expect_seq
        problem = row_problem(row, seq, prev, last_recorded)
        if problem is None and row[1] in ids:
            problem = f"position {seq} repeats event id {row[1]!r}"
        elif problem is None:
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
