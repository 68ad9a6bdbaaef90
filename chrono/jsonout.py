"""JSON documents written while they are still being made: a member or item that is an iterator is
written item by item as it yields, and the bytes are exactly those orjson gives the whole document
with two-space indentation (`OPT_INDENT_2`), so a streamed document reads like any other."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import orjson

_INDENT = orjson.OPT_INDENT_2


class RawItems(bytes):
    """Several items of an array, already written as this module writes them at `depth` (`items`):
    yielded by the array's iterator in the place of one item, and placed as they are. Many small items
    cost one step here, not one each: a process that writes them (a large export's second half) does
    the work, and the one that copies them in does not do it again."""

    @classmethod
    def of(cls, items: list[bytes], depth: int) -> RawItems:
        """`items` (each as orjson.dumps(value, option=OPT_INDENT_2) writes it) as the items of an
        array whose items are at `depth` (the array's own depth + 1)."""
        return cls((b",\n" + b"  " * depth).join(_indented(item, depth) for item in items))


def chunks(value, depth: int = 0) -> Iterator[bytes]:
    """The bytes of `value` as orjson.dumps(value, option=OPT_INDENT_2) gives them once every iterator
    in it is a list, in pieces, reading each iterator only as far as written."""
    if isinstance(value, RawItems):
        yield value
    elif isinstance(value, Iterator):
        yield from _items(value, depth)
    elif not _lazy(value):
        yield _indented(orjson.dumps(value, option=_INDENT), depth)
    elif isinstance(value, dict):
        yield from _members(value, depth)
    else:
        yield from _items(iter(value), depth)


def is_lazy(value) -> bool:
    """Whether an iterator is anywhere in `value`."""
    return _lazy(value)


def _lazy(value) -> bool:
    if isinstance(value, dict):
        return any(_lazy(v) for v in value.values())
    if isinstance(value, list):
        return any(_lazy(v) for v in value)
    return isinstance(value, Iterator)


def _indented(text: bytes, depth: int) -> bytes:
    return text.replace(b"\n", b"\n" + b"  " * depth) if depth else text


def _members(value: dict, depth: int) -> Iterator[bytes]:
    if not value:
        yield b"{}"
        return
    inner = b"  " * (depth + 1)
    yield b"{"
    for i, (key, v) in enumerate(value.items()):
        yield (b",\n" if i else b"\n") + inner + orjson.dumps(key) + b": "
        yield from chunks(v, depth + 1)
    yield b"\n" + b"  " * depth + b"}"


def _items(values: Iterator, depth: int) -> Iterator[bytes]:
    inner = b"  " * (depth + 1)
    first = True
    for v in values:
        yield (b"[\n" if first else b",\n") + inner
        first = False
        yield from chunks(v, depth + 1)
    yield b"[]" if first else b"\n" + b"  " * depth + b"]"


def write(value, write: Callable[[bytes], object], *, size: int = 1 << 16) -> None:
    """`value` streamed through `write` (a binary stream's, say: `chunks`), in pieces of about `size`
    bytes."""
    pending: list[bytes] = []
    held = 0
    for piece in chunks(value):
        pending.append(piece)
        held += len(piece)
        if held >= size:
            write(b"".join(pending))
            pending, held = [], 0
    write(b"".join(pending))


__all__ = ["RawItems", "chunks", "is_lazy", "write"]
