"""Bringing in a whole log from its export: a copy of it, or the continuation of this one
(`import_log`), or another chronology's entries appended as new ones, each with its origin (`merge`).
The settings an export carries meet this log's own: a difference is refused unless the caller says
which to keep."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from . import codec
from .entry import AUTHOR, Draft, Entry
from .errors import ChronoError, DuplicateEventError, InvalidEventError, TamperedError
from .logstore import BACKWARDS, NOT_CONTINUED, Head, LogStore, _same_content
from .settings import change, settings

KEEP, TAKE = "keep", "take"  # which settings win when a log and what it imports differ: this log's, or the import's
CHOICES = (KEEP, TAKE)


def own_settings(log: LogStore) -> dict[str, str]:
    """The settings `log` sets itself (by its entries, or the zone in its metadata), by key."""
    return {k: s.value for k, s in settings(log).items() if s.source != "default" and s.value is not None}


def differing(ours: dict[str, str], theirs: dict[str, str | None]) -> list[tuple[str, str, str | None]]:
    """(key, this log's value, the other's) of each setting both set, to different values."""
    return [(k, v, theirs[k]) for k, v in ours.items() if k in theirs and theirs[k] != v]


def settle(differ: list[tuple[str, str, str | None]], prefer: str | None) -> None:
    """Refuse settings that differ (`differing`) unless `prefer` says which hold."""
    if differ and prefer is None:
        said = "; ".join(f"its {k} is {t if t is not None else 'unset'}, this log's {o}" for k, o, t in differ)
        raise ChronoError(f"the imported log's settings differ from this log's ({said}): say which to keep, "
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
        settle(differ, prefer)
        return [change(k, o) for k, o, _ in differ] if prefer == KEEP else []

    try:
        return log.import_stream(records, finish=finish if ours else None)
    except ChronoError as e:
        if head.seq and (isinstance(e, DuplicateEventError) or str(e).endswith((BACKWARDS, f"({NOT_CONTINUED})"))):
            e.args = (f"{e}; to add another chronology's entries to this log, `chrono import --merge`",)
        raise


# --- merging another chronology -----------------------------------------------------------------------


@attrs.frozen
class Merged:
    """What a merge did: the merged log (its name, as the entries' origins give it, and head), how
    many entries it holds, how many were added here (its new entries, and the settings taken), how
    many were here already, the ids renamed (its id -> this log's), and the settings taken from it."""

    name: str
    head: Head
    read: int
    added: int
    present: int
    renamed: dict[str, str]
    taken: list[str]


def root(entry_hash: str, provenance: dict | None) -> str:
    """What identifies an entry across logs: the hash it had where it was first recorded (its origin's,
    followed back through merges of merges), else its own."""
    origin = provenance.get("origin") if type(provenance) is dict else None
    while type(origin) is dict and type(origin.get("hash")) is str:
        entry_hash = origin["hash"]
        inner = origin.get("provenance")
        origin = inner.get("origin") if type(inner) is dict else None
    return entry_hash


def merge(log: LogStore, records: Iterable, *, name: str | None = None, file: str = "", prefer: str | None = None,
          rename: str | None = None) -> Merged:
    """Append another chronology (an export of a whole log: what jsonl.read_records or read_prepared
    read) to `log` as new entries, all or nothing. Each keeps where it was (its origin: the other log's
    name — `name`, else its title, else `file`, the file's name — and head, its position, id, recorded
    time and hash there) in its provenance, which the hash
    chain covers, beside who merged it (its `author`, `log.author`): who recorded it there stays in the
    provenance its origin keeps. An entry already here — merged before, or this log's own come back, or an equal event
    under the same id — is not added again, so a second merge adds only what is new. An id this log
    uses for another event is refused, or with `rename` given becomes `rename` + id (references to it
    follow). Settings that both logs set differently are refused unless `prefer` says which hold; the
    merged log's settings entries are kept but set nothing here (TAKE sets them as this log's own)."""
    from .store import Log  # a scratch log in memory, whatever stores `log`

    with Log.create(":memory:", clock=log.clock) as source:
        try:
            read, _ = source.import_stream(_exported(records))  # (every hash checked: an intact export of a whole log)
        except TamperedError as e:
            said = str(e).replace(f"({NOT_CONTINUED})", "(the file was altered, or is not the export of a whole log)")
            raise TamperedError(f"{said}; nothing was merged", position=e.position) from e
        head = source.head()
        theirs = own_settings(source)
        name = name or theirs.get("title") or file
        entries = list(source.entries())
    settle(differing(own_settings(log), theirs), prefer)
    roots = {root(e.hash, e.provenance) for e in entries}
    here: dict[str, str] = {}  # root -> the id of the entry that has it in this log
    for row in log.stored_rows():
        r = root(row[13], None if row[14] is None else codec.loads(row[14]))
        if r in roots:
            here[r] = row[1]
    ids = {e.id: here.get(root(e.hash, e.provenance), e.id) for e in entries}  # its ids -> this log's
    new = [e for e in entries if root(e.hash, e.provenance) not in here]
    # An id this log has: the same event (the same content under it), or a clash.
    clashes, renamed, same = [], {}, set()
    for e in new:
        mine = log.find(e.id)
        if mine is None:
            continue
        if _same_content(mine, _draft(e, ids)):
            same.add(e.id)
        elif rename is None or log.find(rename + e.id) is not None:
            clashes.append(e.id)
        else:
            renamed[e.id] = ids[e.id] = rename + e.id
    if clashes:
        more = f" (and {len(clashes) - 3} more)" if len(clashes) > 3 else ""
        which = f"the id {clashes[0]} for another event" if len(clashes) == 1 else f"the ids {', '.join(clashes[:3])}{more} for other events"
        hint = "; `--rename PREFIX` gives its entries the ids PREFIX + id here" if rename is None else f", {rename} + id too"
        raise DuplicateEventError(f"this log uses {which}{hint}; nothing was merged")
    new = [e for e in new if e.id not in same]
    origin = {"log": name, "head": {"seq": head.seq, "hash": head.hash}}
    # Who merged it recorded it here (its author); who recorded it there is in its origin's provenance.
    author = log.author
    records = [(_draft(e, ids), {"provenance": {AUTHOR: author, "origin": {**origin, "seq": e.seq, "id": e.id, "recorded": e.recorded.isoformat(),
                                                           "hash": e.hash, **({"provenance": e.provenance} if e.provenance else {})}}})
               for e in new]
    now = settings(log)
    taken = [k for k, v in theirs.items() if prefer == TAKE and (k not in now or now[k].value != v)]
    records += [(change(k, theirs[k]), {}) for k in taken]
    added = len(log.import_records(records)) if records else 0
    return Merged(name=name, head=head, read=read, added=added, present=read - len(new), renamed=renamed, taken=taken)


def _exported(records: Iterable) -> Iterable:
    """The records of an export, each with the hash it had; a line without is refused (a file of events
    to append is no log to merge)."""
    for number, item, stored in records:
        given = item[11] if type(item) is tuple else (stored or {}).get("hash")
        if given is None:
            raise InvalidEventError(f"line {number}: not an export of a log (no hash): `chrono append --json` appends events")
        yield number, item, stored


def _draft(e: Entry, ids: dict[str, str]) -> Draft:
    """Entry `e` of another log as a new entry here, its id and the ids it names as `ids` map them."""
    event = e.event
    if event.correction:
        event = attrs.evolve(event, target=ids.get(event.target, event.target))
    return Draft(event=event, valid=e.valid, sources=e.sources, id=ids[e.id],
                 after=[ids.get(i, i) for i in e.after], before=[ids.get(i, i) for i in e.before])
