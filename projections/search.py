"""Full-text search over what a log says in words: descriptions (names, aliases, roles), quotes, time
wordings and glosses, statement texts, summaries and every other free-text field, and the sources'
outlets, titles and attributions — in SQLite FTS5.

The index is a cache, like the read cache: a file beside the log (`<log>-search`; inside an in-memory
log, tables of its own), safe to delete. It holds every version of every fact over recorded time, as
the read cache does: a fact's own text from its position on, and, from each correction's position,
the text the correction puts in place (a retraction ends the last). So a search as known at K finds
what the log said at K, and can say when a word is found only in a version since superseded. It
names the log head it has indexed; a search first indexes the entries after it (a correction
re-indexes the fact it corrects), never the whole log again, unless the log is not the one indexed.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

import attrs

from chrono.entry import Entry
from chrono.errors import ChronoError
from chrono.logstore import Head, LogStore
from chrono.timeval import ValidTime, iso
from events import REGISTRY, Event, Source, entity_refs, fields_of

from . import cache
from .describe import summarize
from .gazetteer import Names
from .investigate import concerns, valid_json
from .query import knowledge
from .resolve import resolve
from .sources import attribution, source_matches, sources_json

FORMAT = "1"  # of the index's tables: an index in another format is rebuilt
NEVER = 2**62  # seq_to of a version that still stands
_SCHEMA = """
CREATE TABLE search_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE search_versions (
    id INTEGER PRIMARY KEY, fact TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,
    seq_from INTEGER NOT NULL, seq_to INTEGER NOT NULL, made_by TEXT, closed_by TEXT,
    lo INTEGER, hi INTEGER, entities TEXT NOT NULL
);
CREATE INDEX search_versions_fact ON search_versions (fact, seq_to);
CREATE VIRTUAL TABLE search_text USING fts5(what, time, sources, tokenize = 'unicode61 remove_diacritics 2')
"""
_TABLES = ("search_meta", "search_versions", "search_text")


@functools.cache
def _words_fields() -> dict[str, tuple[str, ...]]:
    """Each type's fields of free text, which the index reads (`events.FieldInfo.words`)."""
    return {name: tuple(f.name for f in fields_of(cls) if f.words) for name, cls in sorted(REGISTRY.items())}


@functools.cache
def format_id() -> str:
    """FORMAT and what the index reads of each type: other fields of words, another index."""
    return f"{FORMAT}-{hashlib.sha256(repr((_SCHEMA, _words_fields())).encode()).hexdigest()[:12]}"


def path_of(log: LogStore) -> str | None:
    """The index's file beside a log in a file; None for an in-memory log, which keeps it inside."""
    return None if log.path == ":memory:" else f"{log.path}-search"


# --- what a version says ---------------------------------------------------------------------------


def texts(event: Event, valid: ValidTime | None, sources: Sequence[Source]) -> tuple[str, str, str]:
    """The words a fact's version says, in the index's three columns: the event's own (its fields of
    free text), the time's (the source's wording, the chronicler's gloss), and its sources' (outlets,
    titles, attributions, quotes)."""
    what = []
    for name in _words_fields()[event.type_name]:
        value = getattr(event, name)
        what.extend(value if isinstance(value, tuple) else [value] if value else [])
    time = [t for t in (valid.wording, valid.gloss) if t] if valid is not None else []
    said = [v for s in sources for v in (s.outlet, s.title, s.attribution, s.quote) if v]
    return "\n".join(what), "\n".join(time), "\n".join(said)


@attrs.frozen
class Content:
    """What a fact reads as in one version: its event, valid time and sources, and the corrections
    that made it so (oldest first; none for the fact as written)."""

    event: Event
    valid: ValidTime | None
    sources: tuple[Source, ...]
    via: tuple[str, ...] = ()


def content_at(log: LogStore, fact: str, position: int) -> Content | None:
    """What `fact` reads as at log position `position` (None: retracted), by the log's one rule of
    corrections (`resolve`) over the fact's chain alone."""
    res = resolve(cache.chains(log, [fact], position))
    f = next((f for f in res.facts if f.id == fact), None)
    return None if f is None else Content(f.event, f.valid, f.sources, f.via)


def _root(log: LogStore, entry: Entry) -> str:
    """The fact a correction (or a correction of one, ...) acts on in the end."""
    while entry.event.correction:
        entry = log.get(entry.event.target)
    return entry.id


# --- keeping the index ------------------------------------------------------------------------------


class Index:
    """A log's search index, open. `catch_up` brings it to the log's head; `search` asks it."""

    def __init__(self, log: LogStore, conn: sqlite3.Connection):
        self.log = log
        self.conn = conn
        # Versions on their way in, written together (`_flush`): a row at a time costs twice as much.
        self._versions: list[tuple] = []
        self._texts: list[tuple] = []
        self._next = 1

    def _insert(self, fact: str, seq: int, position: int, made_by: str | None, content: Content) -> None:
        lo, hi = (None, None) if content.valid is None else (content.valid.lo, content.valid.hi)
        row_id, self._next = self._next, self._next + 1
        self._versions.append((row_id, fact, seq, content.event.type_name, position, NEVER, made_by, lo, hi,
                               " " + " ".join(sorted(concerns(content.event))) + " "))
        self._texts.append((row_id, *texts(content.event, content.valid, content.sources)))
        if len(self._versions) >= 2000:
            self._flush()

    def _flush(self) -> None:
        self.conn.executemany("INSERT INTO search_versions (id, fact, seq, type, seq_from, seq_to, made_by, lo, hi, entities) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self._versions)
        self.conn.executemany("INSERT INTO search_text (rowid, what, time, sources) VALUES (?, ?, ?, ?)", self._texts)
        self._versions, self._texts = [], []

    def _add(self, entry: Entry) -> None:
        """Index one log entry, in log order: a fact's first version, or a correction's new version of the
        fact it acts on (and the end of the one it replaces)."""
        if not entry.event.correction:
            self._insert(entry.id, entry.seq, entry.seq, None, Content(entry.event, entry.valid, entry.sources))
            return
        self._flush()  # (the version it ends may be on its way in)
        fact = _root(self.log, entry)
        self.conn.execute("UPDATE search_versions SET seq_to = ?, closed_by = ? WHERE fact = ? AND seq_to = ?", (entry.seq, entry.id, fact, NEVER))
        now = content_at(self.log, fact, entry.seq)
        if now is not None:
            self._insert(fact, self.log.get(fact).seq, entry.seq, entry.id, now)

    def indexed(self) -> Head | None:
        """The log head the index has read up to (None: none, or another format's)."""
        try:
            meta = dict(self.conn.execute("SELECT key, value FROM search_meta"))
        except sqlite3.OperationalError:
            return None
        if meta.get("format") != format_id() or "seq" not in meta:
            return None
        return Head(int(meta["seq"]), meta["hash"], None)

    def _continues(self, done: Head | None, head: Head) -> bool:
        """Whether the log still holds the head indexed (it was not replaced, truncated or rewritten)."""
        if done is None or done.seq > head.seq:
            return False
        if done.seq == 0:
            return True
        first = next(self.log.entries(after_seq=done.seq - 1), None)
        return first is not None and first.hash == done.hash

    def catch_up(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Index the entries past the head indexed (all of them, when the log is not the one indexed), in
        one transaction; `progress(done, total)` is told as it goes. Returns how many it indexed."""
        head = self.log.head()
        done = self.indexed()
        if done is not None and (done.seq, done.hash) == (head.seq, head.hash):
            return 0
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            done = self.indexed()  # (another process may have caught up meanwhile)
            if not self._continues(done, head):
                for table in _TABLES:
                    conn.execute(f"DROP TABLE IF EXISTS {table}")
                for statement in _SCHEMA.strip().split(";\n"):
                    conn.execute(statement)
                done = Head(0, "", None)
            self._next = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM search_versions").fetchone()[0]
            total, n = head.seq - done.seq, 0
            for entry in self.log.entries(after_seq=done.seq):
                if entry.seq > head.seq:
                    break
                self._add(entry)
                n += 1
                if progress is not None and n % 1000 == 0:
                    progress(n, total)
            self._flush()
            conn.executemany("INSERT OR REPLACE INTO search_meta (key, value) VALUES (?, ?)",
                             [("format", format_id()), ("seq", str(head.seq)), ("hash", head.hash)])
            conn.execute("COMMIT")
        except BaseException:
            self._versions, self._texts = [], []
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return n


def open_index(log: LogStore) -> Index:
    """The log's index: its file beside the log, made when missing and remade when damaged; inside the
    log when it is in memory; in memory of its own when the file cannot be written (a read-only
    directory), built afresh for this one search."""
    path = path_of(log)
    if path is None:
        return Index(log, log.conn)
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=5.0)
    except sqlite3.Error:
        return Index(log, sqlite3.connect(":memory:", isolation_level=None))
    return Index(log, conn)


def _damaged(e: sqlite3.Error) -> bool:
    return isinstance(e, sqlite3.DatabaseError) and ("not a database" in str(e) or "malformed" in str(e))


def ready_index(log: LogStore, progress: Callable[[int, int], None] | None = None) -> Index:
    """The log's index, caught up with the log's head: remade when its file is damaged, and kept in
    memory for this one search when the file cannot be written."""
    index = open_index(log)
    try:
        index.catch_up(progress)
        return index
    except sqlite3.Error as e:
        if index.conn is log.conn:
            raise
        index.conn.close()
        if _damaged(e):
            with contextlib.suppress(OSError):
                os.remove(path_of(log))
            index = open_index(log)
        else:  # (a read-only file or directory)
            index = Index(log, sqlite3.connect(":memory:", isolation_level=None))
    index.catch_up(progress)
    return index


# --- asking it -----------------------------------------------------------------------------------------

_TOKEN = re.compile(r'"([^"]*)"|(\S+)')


def fts_query(text: str) -> str:
    """What a user types, as an FTS5 query: every word must match (in any field), "a phrase" as it
    stands, a word ending in * as a prefix, OR between two alternatives; nothing else is an operator."""
    parts = []
    for phrase, word in _TOKEN.findall(text):
        if word == "OR" and parts and parts[-1] != "OR":
            parts.append("OR")
            continue
        term = phrase if phrase else word
        prefix = not phrase and term.endswith("*") and len(term) > 1
        term = term.rstrip("*") if prefix else term
        if term.strip():
            parts.append('"' + term.replace('"', '""') + '"' + ("*" if prefix else ""))
    while parts and parts[-1] == "OR":
        parts.pop()
    if not parts:
        raise ChronoError(f"nothing to search for in {text!r}; give a word, \"a phrase\" or a prefix*")
    return " ".join(parts)


@attrs.frozen
class Hit:
    """A fact found: the version whose words matched (its content, the corrections that made it, the
    entry that ended it if it no longer stands), and a snippet of the words with the match marked."""

    fact: str
    seq: int
    type: str
    content: Content
    snippet: str
    superseded_by: str | None  # None: the version that stands at the position asked about
    retracted: bool  # the fact no longer stands at all


def search(log: LogStore, text: str, *, known_at: datetime | None = None, types: Iterable[str] = (), entities: Iterable[str] = (),
           lo: int | None = None, hi: int | None = None, source: str | None = None, limit: int | None = None,
           progress: Callable[[int, int], None] | None = None) -> tuple[list[Hit], bool]:
    """The facts whose words match `text` as the log read at `known_at` (now by default), best first,
    and whether there were more than `limit`. A fact is found by the version that stood then; a fact
    whose words match only in a version superseded by then (or retracted) is found by that version,
    marked so. Filters: of the types `types`, concerning one of `entities`, with a window reaching
    [lo, hi) (UTC microseconds; a fact without a time is left out when either is given), resting on
    a source whose outlet, title or attribution contains `source`."""
    index = ready_index(log, progress)
    try:
        return _search(index, text, position=cache.position_at(log, known_at), types=list(types), entities=list(entities),
                       lo=lo, hi=hi, source=source, limit=limit)
    finally:
        if index.conn is not log.conn:
            index.conn.close()


def _search(index: Index, text: str, *, position: int, types: list[str], entities: list[str], lo: int | None, hi: int | None,
            source: str | None, limit: int | None) -> tuple[list[Hit], bool]:
    log = index.log
    where, args = ["v.seq_from <= ?"], [position]
    if types:
        where.append(f"v.type IN ({', '.join('?' * len(types))})")
        args += types
    if entities:
        where.append("(" + " OR ".join("v.entities LIKE ?" for _ in entities) + ")")
        args += [f"% {e} %" for e in entities]
    if lo is not None:
        where.append("v.hi > ?")
        args.append(lo)
    if hi is not None:
        where.append("v.lo < ?")
        args.append(hi)
    query = fts_query(text)
    # Of the versions of a fact that matched, the latest by the position: the one that stood there if it
    # matched (a later one begins past the position), else the last that was superseded by then. (With
    # one max(), SQLite takes the other columns from the row that has it.) A source is matched here.
    cut = "" if limit is None or source else f" LIMIT {limit + 1}"
    try:
        rows = index.conn.execute(
            "WITH m AS (SELECT rowid AS id, rank FROM search_text WHERE search_text MATCH ?) "
            "SELECT v.fact, v.seq, v.type, max(v.seq_from), v.seq_to, v.made_by, v.closed_by, v.id, m.rank FROM m "
            f"JOIN search_versions AS v ON v.id = m.id WHERE {' AND '.join(where)} GROUP BY v.fact ORDER BY m.rank, v.seq{cut}",
            (query, *args)).fetchall()
    except sqlite3.OperationalError as e:
        raise ChronoError(f"cannot search for {text!r}: {e}") from e

    def snippet(version: int) -> str:  # (made only for the hits shown: it costs more than the match)
        return index.conn.execute("SELECT snippet(search_text, -1, '[', ']', '…', 12) FROM search_text WHERE search_text MATCH ? "
                                  "AND rowid = ?", (query, version)).fetchone()[0]
    hits = []
    for fact, seq, type_name, seq_from, seq_to, made_by, closed_by, version, _rank in rows:
        if made_by is None:  # the fact as written
            entry = log.get(fact)
            content = Content(entry.event, entry.valid, entry.sources)
        else:
            content = content_at(log, fact, seq_from)
        if not source_matches(content.sources, source):
            continue
        if limit is not None and len(hits) == limit:
            return hits, True
        standing = position < seq_to
        stands = standing or index.conn.execute(
            "SELECT 1 FROM search_versions WHERE fact = ? AND seq_from <= ? AND ? < seq_to", (fact, position, position)).fetchone() is not None
        hits.append(Hit(fact=fact, seq=seq, type=type_name, content=content, snippet=snippet(version), superseded_by=None if standing else closed_by,
                        retracted=not stands))
    return hits, False


def document(log: LogStore, text: str, *, zone: str, known_at: datetime | None = None, limit: int | None = None,
             progress: Callable[[int, int], None] | None = None, **filters) -> dict:
    """`search`'s answer as `chrono search --json` gives it (each hit's summary naming entities as the
    log knew them at `known_at`)."""
    hits, more = search(log, text, known_at=known_at, limit=limit, progress=progress, **filters)
    k = knowledge(log, known_at)
    # Only the names the hits need, from the cache when there is one (a big log's gazetteer is big).
    g = Names(cache.names_of(log, {i for h in hits for _f, _k, i in entity_refs(h.content.event)}, k.position)) if k.cached else k.gazetteer
    return {
        "query": text, "known_at": iso(k.known_at, zone), "limit": limit, "more": more,
        "hits": [{
            "event": h.fact, "type": h.type, "seq": h.seq, "valid": valid_json(h.content.valid, zone),
            "summary": summarize(h.content.event, g), "snippet": h.snippet, "sources": sources_json(h.content.sources),
            "attribution": attribution(h.content.sources),
            "status": "stands" if h.superseded_by is None else "retracted" if h.retracted else "superseded",
            "via": list(h.content.via), "superseded_by": h.superseded_by,
        } for h in hits],
    }
