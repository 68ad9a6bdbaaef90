"""Bringing in a whole log from its export: a copy of it, or the continuation of this one
(`import_log`). The settings an export carries meet this log's own: a difference is refused unless
the caller says which to keep."""

from __future__ import annotations

from collections.abc import Iterable

from .errors import ChronoError, DuplicateEventError
from .logstore import BACKWARDS, NOT_CONTINUED, LogStore
from .settings import change, settings

KEEP, TAKE = "keep", "take"  # which settings win when a log and what it imports differ: this log's, or the import's
CHOICES = (KEEP, TAKE)


def own_settings(log: LogStore) -> dict[str, str]:
    """The settings `log` sets itself (by its entries, or the zone in its metadata), by key."""
    return {k: s.value for k, s in settings(log).items() if s.source != "default" and s.value is not None}


def differing(ours: dict[str, str], theirs: dict[str, str | None]) -> list[tuple[str, str, str | None]]:
    """(key, this log's value, the other's) of each setting both set, to different values."""
    return [(k, v, theirs[k]) for k, v in ours.items() if k in theirs and theirs[k] != v]


def refusal(differ: list[tuple[str, str, str | None]]) -> ChronoError:
    said = "; ".join(f"its {k} is {t if t is not None else 'unset'}, this log's {o}" for k, o, t in differ)
    return ChronoError(f"the imported log's settings differ from this log's ({said}): say which to keep, "
                       f"`--settings {KEEP}` (this log's) or `--settings {TAKE}` (the imported log's)")


def import_log(log: LogStore, records: Iterable, *, prefer: str | None = None) -> tuple[int, int]:
    """Import an export (what jsonl.read_records or read_prepared read) into `log`, all or nothing, as
    `LogStore.import_stream` does; returns (read, added). Into an empty log that sets a zone of its
    own (in its metadata: written before settings were entries), the export's settings must agree
    with it, or `prefer` say which win (KEEP: this log's are set again after the import)."""
    head = log.head()
    ours = own_settings(log) if head.seq == 0 else {}

    def finish(store: LogStore) -> list:
        differ = differing(ours, {k: s.value for k, s in settings(store).items()})
        if differ and prefer is None:
            raise refusal(differ)
        return [change(k, o) for k, o, _ in differ] if prefer == KEEP else []

    try:
        return log.import_stream(records, finish=finish if ours else None)
    except ChronoError as e:
        if head.seq and (isinstance(e, DuplicateEventError) or str(e).endswith((BACKWARDS, f"({NOT_CONTINUED})"))):
            e.args = (f"{e}; to add another chronology's entries to this log, `chrono import --merge`",)
        raise
