"""JSON Lines in and out: the log's import and export format."""

from __future__ import annotations

import gc
import itertools
import os
import signal
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import IO

import orjson

from events import EVENT_ID_RE

from . import codec
from .entry import Draft, Entry
from .errors import ChronoError, InvalidEventError
from .logstore import NO_LINKS, needs_checking, valid_columns


_BLANK = object()


def read_records(lines: Iterable[bytes | str], zone: str, *, allow_stored: bool) -> Iterator[tuple[int, Draft, dict]]:
    """Parse every non-blank line; errors name the line.

    The cyclic collector waits while the records are read, until the iterator is exhausted or closed:
    a reader's caller keeps the events in batches for the log (which holds the collector off while it
    writes them, see store.bulk), its scans of that growing heap cost more than the reading itself,
    and nothing read makes cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        for number, raw in enumerate(lines, 1):
            record = _read_line(number, raw, zone, allow_stored)
            if record is not None:
                yield record
    finally:
        if enabled:
            gc.enable()


def _read_line(number: int, raw: bytes | str, zone: str, allow_stored: bool) -> tuple[int, Draft, dict] | None:
    """One line as read_records reads it; None for a blank one."""
    # orjson reads UTF-8 bytes as they are, and refuses what decoding would; a line it cannot read is
    # blank, or takes the slow path to say what is wrong with it.
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        obj = _parse_line(number, raw)
        if obj is _BLANK:
            return None
    # A current event as an export writes it is read at once; anything else is read (and its faults
    # explained) by draft_from_json.
    got = codec._read_draft(obj, zone, allow_stored)
    return _record(number, obj, zone, allow_stored) if got is None else (number, *got)


def _parse_line(number: int, raw: bytes | str):
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InvalidEventError(f"not UTF-8 text ({e.reason} at byte {e.start})", line=number) from e
    if not raw.strip():
        return _BLANK
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise InvalidEventError(f"malformed JSON ({e.msg})", line=number) from e


def _record(number: int, obj, zone: str, allow_stored: bool) -> tuple[int, Draft, dict]:
    try:
        draft, stored = codec.draft_from_json(obj, zone, allow_stored=allow_stored)
    except ChronoError as e:
        raise InvalidEventError(str(e), line=number) from e
    except Exception as e:  # an upcaster or validator tripping over hostile input: still the line's fault
        raise InvalidEventError(f"cannot read this event ({type(e).__name__}: {e})", line=number) from e
    if allow_stored and isinstance(obj.get("version"), int) and obj["version"] < draft.event.version:
        # An export from an older schema: the hash covers the payload as it was stored, so keep it.
        stored = {**stored, "stored_version": obj["version"], "stored_event": obj.get("event", {})}
    return number, draft, stored


def parse_document(data: bytes, zone: str) -> list[tuple[int, Draft, dict]]:
    """`append --json`: one JSON object, a JSON array of objects (errors name the item), or JSON Lines."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        if data.lstrip().startswith(b"["):
            raise InvalidEventError(f"malformed JSON array ({e.msg})") from e
        return list(read_records(data.splitlines(), zone, allow_stored=False))
    items = doc if isinstance(doc, list) else [doc]
    return [_record(number, obj, zone, False) for number, obj in enumerate(items, 1)]


# --- reading in a second process ------------------------------------------------------------------
# Reading a line (JSON, checks, canonical encoding, the valid time) costs about what writing it does, so
# a large import reads in a forked child while this process writes. The child sends incoming rows
# (logstore.INCOMING) of plain facts and descriptions (no correction, no after/before, a current schema, a
# well-formed id): nothing in them needs the log to check, and Log.import_stream writes them as it would
# the drafts; any other line comes back as its bytes and is read here, by the same path as
# read_records, which explains what is wrong with it.

PARALLEL_FROM = 2 << 20  # bytes of input (~6,000 lines); below this the fork and the pipe cost more than they save
_CHUNK = 2000  # lines per message from the child
# Lines read by this process while the child starts, as it would otherwise wait for the child's first
# message; about what it reads and writes in the time the child reads the rest of a small file.
_FIRST = 4000


def parallel_reading(file: IO[bytes]) -> bool:
    """Whether `read_prepared` would pay on this file: a regular file of some size, a machine with a
    second core, and a fork that is safe (Linux: nothing in Chrono runs threads)."""
    if not sys.platform.startswith("linux") or len(os.sched_getaffinity(0)) < 2:
        return False
    try:
        st = os.fstat(file.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size - file.tell() >= PARALLEL_FROM


def read_prepared(file: IO[bytes], zone: str, *, report: Callable[[int], None] | None = None, first: int | None = None) -> Iterator[tuple]:
    """read_records(file, zone, allow_stored=True) for Log.import_stream, the `first` lines (_FIRST by
    default) read here and the rest by a forked child: yields (line number, incoming row, None) or
    (line number, draft, stored fields). `report` is told the bytes read so far. Nothing may read
    `file` in this process once it has begun."""
    import pickle  # only an import of a large file needs it: keep it off every command's start-up

    lines = iter(file)
    first = list(itertools.islice(lines, _FIRST if first is None else first))
    first_bytes = sum(map(len, first))
    r, w = os.pipe()
    _widen_pipe(w)
    pid = os.fork()
    if pid == 0:  # the child: read, send, and leave without running anything of the parent's
        code = 0
        try:
            os.close(r)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            with open(w, "wb", buffering=1 << 20) as out:
                _send_prepared(lines, zone, out, start=len(first) + 1, done=first_bytes)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    enabled = gc.isenabled()
    gc.disable()
    try:
        for number, raw in enumerate(first, 1):  # (as the child reads the rest)
            item = _prepared(raw, zone)
            if item is not None:
                yield number, item, None
            elif (record := _read_line(number, raw, zone, True)) is not None:
                yield record
        del first
        if report is not None:
            report(first_bytes)
        with open(r, "rb", buffering=1 << 20) as got:
            load = pickle.load
            while True:
                # (bytes read so far, lines) for each message; then (True, None) at the end, or the
                # reason with None when the file could not be read.
                try:
                    done, chunk = load(got)
                except EOFError:
                    raise ChronoError("the reading process ended early; nothing was imported") from None
                if chunk is None:
                    if done is not True:
                        raise ChronoError(f"cannot read the file: {done}")
                    break
                for number, item, stored in chunk:
                    if type(item) is tuple:
                        yield number, item, stored
                    elif (record := _read_line(number, item, zone, True)) is not None:
                        yield record
                if report is not None:
                    report(done)
    finally:
        if enabled:
            gc.enable()
        try:
            os.kill(pid, signal.SIGKILL)  # gone already when all was read; otherwise not needed any more
        except ProcessLookupError:
            pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:  # reaped already (a program that ignores SIGCHLD reaps its children)
            pass


def _widen_pipe(fd: int) -> None:
    """Let the child run ahead by a batch or so while this process writes one (a pipe holds 64 KiB by
    default, about 200 lines: the child would wait on every write)."""
    import fcntl

    for size in (4 << 20, 1 << 20):
        try:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)
            return
        except OSError:
            continue  # above this user's limit (/proc/sys/fs/pipe-max-size)


def _send_prepared(lines: Iterable[bytes], zone: str, out: IO[bytes], *, start: int = 1, done: int = 0) -> None:
    """The child's work: read `lines` (numbered from `start`, `done` bytes having been read before
    them) and send them to `out` in messages of _CHUNK lines."""
    import pickle

    gc.disable()
    dump = pickle.dump
    chunk: list = []
    try:
        for number, raw in enumerate(lines, start):
            done += len(raw)
            item = _prepared(raw, zone)
            chunk.append((number, raw if item is None else item, None))
            if len(chunk) >= _CHUNK:
                dump((done, chunk), out, protocol=pickle.HIGHEST_PROTOCOL)
                chunk = []
    except OSError as e:
        dump((str(e), None), out)
        return
    if chunk:
        dump((done, chunk), out, protocol=pickle.HIGHEST_PROTOCOL)
    dump((True, None), out)


def _prepared(raw: bytes, zone: str) -> tuple | None:
    """A line as an incoming row (logstore.INCOMING), when it is a plain fact or description (see above);
    None for any other line, which read_records' path reads and explains. Only the encoding of the
    draft is made: not the draft, nor its sources."""
    try:
        got = codec._read_parts(orjson.loads(raw), zone, True, sources=False)
        if got is None:
            return None
        ev, valid, _sources, event_id, after, before, encoded, stored = got
        recorded, provenance = stored.get("recorded"), stored.get("provenance")
        if (needs_checking(ev, valid, after, before)
                or event_id is not None and EVENT_ID_RE.match(event_id) is None
                or "recorded" in stored and type(recorded) is not str or provenance is not None and type(provenance) is not dict):
            return None
        # (An export's entries each have a provenance now, saying who recorded them: kept as stored.)
        return (event_id, ev.type_name, ev.version, *valid_columns(valid), *encoded, NO_LINKS, None, recorded, stored.get("hash"),
                None if provenance is None else codec.canonical(provenance))
    except Exception:  # the line is read (and what is wrong with it explained) by the other path
        return None


def write_entries(entries: Iterable[Entry], out: IO[bytes]) -> int:
    n = 0
    for e in entries:
        out.write(orjson.dumps(codec.entry_to_json(e)) + b"\n")
        n += 1
    return n
