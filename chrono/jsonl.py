"""JSON Lines in and out: the log's import and export format."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from typing import IO

import orjson

from . import codec
from .entry import Draft, Entry
from .errors import ChronoError, InvalidEventError


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
        loads, error, read = orjson.loads, orjson.JSONDecodeError, codec._read_draft
        for number, raw in enumerate(lines, 1):
            # orjson reads UTF-8 bytes as they are, and refuses what decoding would; a line it cannot
            # read is blank, or takes the slow path to say what is wrong with it.
            try:
                obj = loads(raw)
            except error:
                obj = _parse_line(number, raw)
                if obj is _BLANK:
                    continue
            # A current event as an export writes it is read at once; anything else is read (and its
            # faults explained) by draft_from_json.
            got = read(obj, zone, allow_stored)
            if got is None:
                yield _record(number, obj, zone, allow_stored)
            else:
                yield number, got[0], got[1]
    finally:
        if enabled:
            gc.enable()


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


def write_entries(entries: Iterable[Entry], out: IO[bytes]) -> int:
    n = 0
    for e in entries:
        out.write(orjson.dumps(codec.entry_to_json(e)) + b"\n")
        n += 1
    return n
