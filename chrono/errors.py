"""One exception hierarchy for everything Chrono refuses to do; the CLI maps it to messages and exit codes."""

from __future__ import annotations


class ChronoError(Exception):
    """Base of every error Chrono raises on purpose. The message is for a person; context is in attributes."""


class TimeLiteralError(ChronoError):
    """A time literal could not be read."""


class InvalidEventError(ChronoError):
    """An event's type, fields, time or sources are not acceptable."""

    def __init__(self, message: str, *, line: int | None = None):
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.line = line


class UnknownEventError(ChronoError):
    """No event with that id is in the log."""


class UnknownEntityError(ChronoError):
    """No place, person, actor or unit with that id or alias."""


class DuplicateEventError(ChronoError):
    """An event id already in the log was appended again with different content."""


class ConflictError(ChronoError):
    """Optimistic concurrency: another writer appended after the position this append expected."""

    def __init__(self, expected: int, actual: int):
        super().__init__(f"conflict: expected the log to end at position {expected}, but it ends at {actual}")
        self.expected = expected
        self.actual = actual


class NotALogError(ChronoError):
    """The file is not a Chrono log (or is from a newer Chrono)."""


class LogLockedError(ChronoError):
    """Another writer holds the log past the timeout."""


class StorageError(ChronoError):
    """The file system refused (read-only, full disk, ...)."""


class TamperedError(ChronoError):
    """The hash chain or the log's invariants do not hold."""

    def __init__(self, message: str, *, position: int | None = None):
        super().__init__(message)
        self.position = position


class NotContinuedError(TamperedError):
    """A local copy of a log and the log it copies part ways at `position`: the log was replaced or
    rewritten, or a row it gives does not hold (chrono.replica)."""
