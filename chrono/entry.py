"""What a caller appends (a Draft) and what the log holds (an Entry)."""

from __future__ import annotations

from datetime import datetime

import attrs

from events import Event, Source

from .timeval import ValidTime


AUTHOR = "author"  # the member of an entry's provenance that says who recorded it (LogStore.author)


def author_of(provenance: dict | None) -> str | None:
    """Who recorded an entry, by its provenance; None for one recorded before authors were."""
    author = provenance.get(AUTHOR) if type(provenance) is dict else None
    return author if type(author) is str else None


@attrs.frozen(kw_only=True)
class Draft:
    """An event on its way into the log: the log adds position, recorded time and hashes."""

    event: Event
    valid: ValidTime | None = None
    sources: tuple[Source, ...] = attrs.field(default=(), converter=tuple)
    id: str | None = None
    after: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    before: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    # The canonical JSON of the event and of the sources, when the reader that made this draft from JSON
    # already had them; the log computes them otherwise. Not part of the draft's value.
    encoded: tuple[str, str] | None = attrs.field(default=None, init=False, eq=False, repr=False)

    @property
    def type_name(self) -> str:
        return self.event.type_name


@attrs.frozen(kw_only=True)
class Entry:
    """One stored event with both of its times and its place in the hash chain."""

    seq: int
    id: str
    event: Event
    valid: ValidTime | None
    sources: tuple[Source, ...]
    recorded: datetime
    after: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    version: int = 0
    prev_hash: str = ""
    hash: str = ""
    # The payload as stored, when it was written by an older schema (the hash covers those bytes).
    stored_payload: dict | None = None
    # How the entry came to the log (logstore.COLUMNS): its `author`, and `origin` for one merged from
    # another log.
    provenance: dict | None = None

    @property
    def author(self) -> str | None:
        """Who recorded the entry in this log; None for one recorded before authors were."""
        return author_of(self.provenance)

    @property
    def origin(self) -> dict | None:
        """Where an entry merged from another log was there (its log, position, id, recorded time and hash)."""
        return self.provenance.get("origin") if self.provenance else None

    @property
    def type_name(self) -> str:
        return self.event.type_name

    @property
    def target(self) -> str | None:
        return getattr(self.event, "target", None) if self.event.correction else None
