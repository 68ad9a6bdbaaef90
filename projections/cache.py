"""Materialized read models: every version of every fact over recorded time, and the keyed effects
they have, indexed by both times so that `state --at T --as-of K` is a range scan, not a replay.

A cache, never the truth: it records the log head it was built from, is rebuilt by `chrono replay`
(or on the next read when the log has moved on), and the property tests hold it equal to the fold
for any T and K.

Two parts, each in a file beside a log in a file (inside an in-memory log): the facts, every version
over recorded time, with the gazetteer and the entities named by facts of types that have no keyed
effects; and the mentions, every entity each fact of the other types names, those that are keyed
effects marked as such. Rebuilding is mostly SQL: a fact nobody corrected and no ordering
constraint touches has one version, its log row; its mentions are read out of its JSON by SQLite.
Only the few facts with corrections or ordering constraints are resolved in Python, version by version.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import itertools
import os
import sqlite3
import subprocess
import sys

import attrs
from collections import defaultdict
from collections.abc import Callable, Iterator

from chrono import codec
from chrono.entry import Entry
from chrono.errors import StorageError
from chrono.store import COLUMNS, NO_LINKS, Head, Log, bulk, entry_from_row

from events import REGISTRY

from . import _steps

from .resolve import Fact, narrow, resolve
from .world import CONTROL, UNIT, WHERE, Op, Step

FACTS = "proj_facts"
META = "proj_meta"
ENTITIES = "proj_entities"
KEYS = "proj_keys"
MENTIONS = "proj_mentions"
REFS = "proj_refs"
NEVER = 2**62  # seq_to of a version that still stands
FORMAT = "15"  # of the cache's tables: a cache written in another format is rebuilt, not read

_FACT_COLUMNS = "seq, id, seq_from, seq_to, type, version, lo, hi, valid_lo, valid_hi, valid_meta, body, sources, links, via"
# A version that is the log's own row (most facts: nothing corrected or narrowed them) leaves its
# payload, sources, valid-time columns and links NULL and reads them from the log, so a replay copies
# no payloads and its rows stay narrow (an own row keeps links that are not empty: the rebuild looks
# for them). FACT_ROWS is the table as if every row held its own.
FACT_ROWS = (
    "(SELECT f.seq AS seq, f.id AS id, f.seq_from AS seq_from, f.seq_to AS seq_to, f.type AS type, f.version AS version, "
    "f.lo AS lo, f.hi AS hi, coalesce(f.valid_lo, f.lo) AS valid_lo, coalesce(f.valid_hi, f.hi) AS valid_hi, "
    "CASE WHEN f.body IS NULL THEN e.valid_meta ELSE f.valid_meta END AS valid_meta, "
    "coalesce(f.body, e.body) AS body, coalesce(f.sources, e.sources) AS sources, "
    f"coalesce(f.links, '{NO_LINKS}') AS links, coalesce(f.via, '[]') AS via "
    f"FROM {FACTS} AS f JOIN events AS e ON e.seq = f.seq)"
)
# The same rows read in the log's order, for the rebuild's passes over every fact: read through an
# index on another column, each fact's payload would be fetched from a random page of the log.
_SCAN_ROWS = FACT_ROWS.replace(f"FROM {FACTS} AS f JOIN", f"FROM {FACTS} AS f NOT INDEXED JOIN")

# Two indexes lead with one integer that holds a code (of a keyed effect's channel; of a fact's type)
# and a valid time: each code's times in a range of their own, `_SPAN` apart (valid times run from
# year 1 to 9999, -6.2e16 to 2.6e17 microseconds, inside [-_HALF, _HALF); no time at all is -_HALF).
# Led by the code's text, an index's sort compared whole records on every tie of its few values:
# building the recency index from the 1M log's 830k keyed effects took 1.5 s led by the channel,
# 1.0 s led by this; the facts' type index 1.2 s and 0.8 s. The queries ask for a range of it.
_SPAN = 2**59
_HALF = _SPAN // 2


def _coded(column: str, codes: dict[str, int], time: str) -> str:
    """The integer that orders rows by `column`'s code, then by `time` (an expression an index is on:
    a query that would use it must say the same)."""
    if not all(-15 <= code <= 15 for code in codes.values()):  # (a code's range must fit in 64 bits)
        raise AssertionError(f"codes out of range: {codes}")
    return f"(CASE {column} " + " ".join(f"WHEN '{k}' THEN {code}" for k, code in codes.items()) + f" END * {_SPAN} + {time})"


def _between(code: int, lo: int, hi: int) -> tuple[int, int]:
    """The bounds of `_coded` for times from `lo` to `hi` (both included) with `code`."""
    return code * _SPAN + max(-_HALF + 1, min(lo, _HALF - 1)), code * _SPAN + max(-_HALF + 1, min(hi, _HALF - 1))


_CHANNEL_CODES = {CONTROL: 0, WHERE: 1, UNIT: 2}
_RECENCY = _coded("channel", _CHANNEL_CODES, "lo")  # (a keyed effect's window always has a start)
_FACT_TYPES = sorted(n for n, cls in REGISTRY.items() if not cls.correction)
_TYPE_CODES = {name: i - len(_FACT_TYPES) // 2 for i, name in enumerate(_FACT_TYPES)}  # (centred on 0: up to 31 fit)
_TYPE_TIME = _coded("type", _TYPE_CODES, f"coalesce(lo, {-_HALF})")

# The cache's two parts, each with its own tables (and, beside a file log, a file of its own, so the
# two are built at once, each by its own connection): the facts, the gazetteer, and the entities named
# by facts of the types that have no keyed effects (`proj_refs`); the mentions (every entity each fact
# of the other types names, those that are keyed effects marked with their channel). The entities a
# fact names are in one table or the other, by its type: the split shares the reading of the payloads
# between the two builders. Each part's meta names the log head it was built from. Statements create
# in `{s}` (the schema being built) and otherwise name tables unqualified: SQLite finds them wherever
# they are attached, as nothing else holds tables of these names. An index leads with a column whose
# values seldom tie where the queries allow it (the keys' index with the entity, not the channel):
# SQLite's sort compares the first column quickly and the whole record only on a tie (building it
# from 1.5M mentions: 1.5 s led by the channel, 1.1 s by the entity).
_PARTS: dict[str, tuple[str, str, str]] = {  # part: (meta table, tables, indexes)
    "facts": (META, f"""
CREATE TABLE {{s}}.{FACTS} (
    seq INTEGER NOT NULL, id TEXT NOT NULL, seq_from INTEGER NOT NULL, seq_to INTEGER NOT NULL,
    type TEXT NOT NULL, version INTEGER NOT NULL, lo INTEGER, hi INTEGER, valid_lo INTEGER, valid_hi INTEGER,
    valid_meta TEXT, body TEXT, sources TEXT, links TEXT, via TEXT
);
CREATE TABLE {{s}}.{ENTITIES} (
    id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT, actor TEXT, seq INTEGER NOT NULL, fact TEXT NOT NULL,
    seq_from INTEGER NOT NULL, seq_to INTEGER NOT NULL
);
CREATE TABLE {{s}}.{REFS} (
    entity TEXT NOT NULL, lo INTEGER NOT NULL, seq INTEGER NOT NULL, seq_from INTEGER NOT NULL, seq_to INTEGER NOT NULL, fact TEXT NOT NULL
)""", f"""
CREATE INDEX {{s}}.{FACTS}_id ON {FACTS} (id, seq_from, seq_to, lo, hi);
CREATE INDEX {{s}}.{FACTS}_type ON {FACTS} ({_TYPE_TIME}, seq, seq_from, seq_to);
CREATE INDEX {{s}}.{ENTITIES}_id ON {ENTITIES} (id, seq_from, seq_to);
CREATE INDEX {{s}}.{ENTITIES}_kind ON {ENTITIES} (kind, id, seq_from, seq_to);
CREATE INDEX {{s}}.{REFS}_entity ON {REFS} (entity, lo, seq, seq_from, seq_to, fact)"""),
    "mentions": ("proj_meta_mentions", f"""
CREATE TABLE {{s}}.{MENTIONS} (
    entity TEXT NOT NULL, lo INTEGER NOT NULL, hi INTEGER NOT NULL, seq INTEGER NOT NULL, seq_from INTEGER NOT NULL,
    seq_to INTEGER NOT NULL, fact TEXT NOT NULL, channel TEXT, n INTEGER, op TEXT, settle INTEGER, spec INTEGER, own INTEGER
)""", f"""
CREATE INDEX {{s}}.{MENTIONS}_entity ON {MENTIONS} (entity, lo, seq, seq_from, seq_to, fact) WHERE channel IS NULL;
CREATE INDEX {{s}}.{MENTIONS}_key ON {MENTIONS} (entity, channel, lo, seq, n, settle) WHERE channel IS NOT NULL;
CREATE INDEX {{s}}.{MENTIONS}_when ON {MENTIONS} ({_RECENCY}, seq, entity, seq_from, seq_to) WHERE channel IS NOT NULL;
CREATE INDEX {{s}}.{MENTIONS}_deaths ON {MENTIONS} (entity, settle, seq_from, seq_to) WHERE op = 'die';
CREATE TABLE {{s}}.{KEYS} (channel TEXT NOT NULL, key TEXT NOT NULL, width INTEGER NOT NULL, PRIMARY KEY (key, channel)) WITHOUT ROWID"""),
}
# Each key's widest window, once the mentions part holds every version.
_KEYS_SQL = f"INSERT INTO {KEYS} SELECT channel, entity, max(settle - lo) FROM {MENTIONS} WHERE channel IS NOT NULL GROUP BY entity, channel"
# Every table a cache has had (those of older formats too, which a rebuild drops from a log that kept them).
_TABLES = (META, FACTS, ENTITIES, "proj_meta_mentions", MENTIONS, KEYS, "proj_effects", REFS)


def _statements(sql: str, schema: str) -> list[str]:
    return [s.format(s=schema) for s in sql.strip().split(";\n") if s.strip()]


# Which entity each description describes, and of what kind (the gazetteer, one row per version).
_DESCRIBED = {"PlaceDescribed": ("place", "$.place"), "PersonDescribed": ("person", "$.person"),
              "ActorDescribed": ("actor", "$.actor"), "UnitDescribed": ("unit", "$.unit")}

# Every description's entity, kind, name and (a unit's) actor, in one pass over the facts: what a
# document names its entities by, without reading their payloads (`names_of`). SQLite cuts a string
# short at a NUL character (in JSON, \u0000): the name of a payload holding one is left NULL, and
# read from the payload when asked for.
_ENTITIES_SQL = (
    f"INSERT INTO {ENTITIES} (id, kind, name, actor, seq, fact, seq_from, seq_to) SELECT json_extract(f.body, CASE f.type "
    + " ".join(f"WHEN '{t}' THEN '{path}'" for t, (_kind, path) in _DESCRIBED.items())
    + " END), CASE f.type " + " ".join(f"WHEN '{t}' THEN '{kind}'" for t, (kind, _path) in _DESCRIBED.items())
    + " END, CASE WHEN instr(f.body, '\\u0000') THEN NULL ELSE json_extract(f.body, '$.name') END, "
    + "CASE f.type WHEN 'UnitDescribed' THEN json_extract(f.body, '$.actor') END, "
    + f"f.seq, f.id, f.seq_from, f.seq_to FROM {_SCAN_ROWS} AS f WHERE f.type IN ({', '.join(repr(t) for t in _DESCRIBED)})"
)

# Where each type's keyed effects sit in its JSON: (type, field naming the key or keys, channel, n of
# its first effect within the event, op, the op's argument, settles at lo or hi). Must say what
# `projections.world.effects` says; a property test holds the two equal for every fact.
_EFFECTS_SPEC = [
    ("ControlChanged", "place", CONTROL, 0, "hold", "json_array(json_extract(f.body, '$.controller'), json(json_extract(f.body, '$.contested_with')))", "hi"),
    ("CityCaptured", "place", CONTROL, 0, "hold", "json_array(json_extract(f.body, '$.by'), json('[]'))", "hi"),
    ("ForcesWithdrew", "from_place", CONTROL, 0, "withdraw", "json_quote(json_extract(f.body, '$.actor'))", "hi"),
    ("ForcesWithdrew", "unit", UNIT, 1, "unit", "json_quote('withdrawn')", "hi"),  # after its control effect
    ("PersonMoved", "person", WHERE, 0, "go", "json_quote(json_extract(f.body, '$.to_place'))", "hi"),
    ("PersonMoved", "companions", WHERE, 1, "go", "json_quote(json_extract(f.body, '$.to_place'))", "hi"),
    ("PersonFled", "person", WHERE, 0, "go", "json_quote(json_extract(f.body, '$.to_place'))", "hi"),
    ("PersonFled", "companions", WHERE, 1, "go", "json_quote(json_extract(f.body, '$.to_place'))", "hi"),
    ("PersonLocated", "person", WHERE, 0, "go", "json_quote(json_extract(f.body, '$.place'))", "lo"),
    ("PersonDied", "person", WHERE, 0, "die", "json_quote(json_extract(f.body, '$.place'))", "hi"),
    ("UnitDefeated", "unit", UNIT, 0, "unit", "json_quote('defeated')", "hi"),
    ("UnitDissolved", "unit", UNIT, 0, "unit", "json_quote('dissolved')", "hi"),
    # A meeting places each participant, when it has a place.
    ("MeetingHeld", "participants", WHERE, 0, "go", "json_quote(json_extract(f.body, '$.place'))", "hi"),
]


# The keyed effects: the mentions that have a channel, each with its op's argument read out of the
# payload of the fact version that has it (`_EFFECTS_SPEC`). A version that is its log row's own
# (`own`: most) has its payload read straight from the log by position; only the others' are looked
# up among the facts, by id (a third of the time of a state's keyed answers on the 1M log). The ops'
# arguments (`_EFFECTS_SPEC`) are written against `f.body`, which this reads as `_VERSION_BODY`.
_VERSION_BODY = (f"CASE WHEN m.own THEN e.body ELSE (SELECT v.body FROM {FACTS} AS v WHERE v.id = m.fact AND v.seq_from = m.seq_from) END")
EFFECT_ROWS = (
    "(SELECT m.channel AS channel, m.entity AS key, m.lo AS lo, m.hi AS hi, m.settle AS settle, m.seq AS seq, m.n AS n, "
    "m.fact AS fact, m.seq_from AS seq_from, m.seq_to AS seq_to, m.op AS op, "
    f"CASE m.spec {' '.join(f'WHEN {i} THEN {arg}' for i, (*_, arg, _settle) in enumerate(_EFFECTS_SPEC))} END AS arg "
    f"FROM {MENTIONS} AS m JOIN events AS e ON e.seq = m.seq WHERE m.channel IS NOT NULL)"
).replace("f.body", f"({_VERSION_BODY})")


# The types of which some facts have keyed effects: the mentions part holds the entities their facts
# name; the facts part those every other timed fact names.
_KEYED_TYPES = sorted({t for t, *_ in _EFFECTS_SPEC})


def _types_in(types: list[str]) -> str:
    return ", ".join(f"'{t}'" for t in types)


def _spec_steps() -> list:
    """A temporary table of the fields by which each type's payload names entities (`_ref_fields`),
    those that are keyed effects with their spec (`_EFFECTS_SPEC`: its index, channel, n, op, when it
    settles, and whether it needs the payload to have a place, as a meeting does)."""
    spec = {(t, field): (i, channel, n, op, settle) for i, (t, field, channel, n, op, _arg, settle) in enumerate(_EFFECTS_SPEC)}
    fields = _ref_fields()
    if not set(spec) <= set(fields):  # a keyed effect is only found among the fields that name entities
        raise AssertionError(f"keyed effects in fields that name no entity: {sorted(set(spec) - set(fields))}")
    rows = []
    for t, field in fields:
        i, channel, n, op, settle = spec.get((t, field), (None,) * 5)
        rows.append([t, field, channel, n, op, settle, i, int(t == "MeetingHeld" and i is not None)])
    return [
        ["CREATE TEMP TABLE IF NOT EXISTS chrono_mention_fields (type TEXT, field TEXT, channel TEXT, n INTEGER, op TEXT, "
         "settle TEXT, spec INTEGER, needs_place INTEGER, PRIMARY KEY (type, field)) WITHOUT ROWID", None, False],
        ["DELETE FROM chrono_mention_fields", None, False],
        ["INSERT INTO chrono_mention_fields VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows, True],
    ]


def _ref_fields() -> list[tuple[str, str]]:
    """(type, field) of every field by which a timed fact names an entity (`events.entity_refs`)."""
    return [(type_name, a.name) for type_name, cls in sorted(REGISTRY.items()) if not (cls.timeless or cls.correction)
            for a in attrs.fields(cls) if a.metadata.get("ref") is not None and not a.metadata.get("declares")]


def _mentions_sql(source: str, *, keyed: bool) -> str:
    """Every entity each timed fact in `source` names, in one pass over the payloads, each parsed
    once: json_tree walks a payload's fields and the items of its lists (an item's field is its path's
    last step, which SQLite quotes when it holds more than letters and digits). CROSS JOIN keeps SQLite
    from walking a payload once per field. `keyed`: of the facts whose types have keyed effects, into
    the mentions part, those that are keyed effects with their channel, n, op, when they settle and
    their spec (the op's argument is read from the payload when asked for); otherwise of the other
    types' facts, into the facts part's `proj_refs`."""
    tree = ("FROM {source} AS f CROSS JOIN json_tree(f.body) AS j CROSS JOIN chrono_mention_fields AS m ON m.type = f.type "
            "AND m.field = CASE WHEN j.parent = 0 THEN j.key ELSE trim(substr(j.path, 3), '\"') END "
            "WHERE f.lo IS NOT NULL AND j.type = 'text' AND f.type {test} ({types})").format(
                source=source, test="IN" if keyed else "NOT IN", types=_types_in(_KEYED_TYPES))
    if not keyed:
        return f"INSERT INTO {REFS} (entity, lo, seq, seq_from, seq_to, fact) SELECT j.value, f.lo, f.seq, f.seq_from, f.seq_to, f.id {tree}"
    effect = "(m.channel IS NOT NULL AND (m.needs_place = 0 OR json_extract(f.body, '$.place') IS NOT NULL))"
    return (
        f"INSERT INTO {MENTIONS} (entity, lo, hi, seq, seq_from, seq_to, fact, channel, n, op, settle, spec, own) "
        f"SELECT j.value, f.lo, f.hi, f.seq, f.seq_from, f.seq_to, f.id, CASE WHEN {effect} THEN m.channel END, "
        f"CASE WHEN {effect} THEN m.n + CASE WHEN j.parent = 0 THEN 0 ELSE j.key END END, CASE WHEN {effect} THEN m.op END, "
        f"CASE WHEN {effect} THEN CASE m.settle WHEN 'lo' THEN f.lo ELSE f.hi END END, CASE WHEN {effect} THEN m.spec END, "
        f"CASE WHEN {effect} THEN f.own END {tree}"
    )


# Where the mentions pass reads facts: every fact's own row, straight from the log (bounded by the
# head: a log's rows never change), but those of the facts a correction or retraction names, which
# the facts part resolves version by version; then their versions, and in place of the own rows of
# the few others it resolves so (facts with ordering constraints, or of an older schema), theirs,
# which it lists (`_versions_steps`).
def _corrected(head: int) -> str:
    # (By the target index, which holds only corrections' and retractions' rows: `+` keeps SQLite
    # from reading the whole log by position instead.)
    return f"(SELECT t.target FROM events AS t WHERE t.target IS NOT NULL AND +t.seq <= {int(head)})"


def _own_rows(head: int) -> str:
    return (f"(SELECT e.seq AS seq, e.id AS id, e.seq AS seq_from, {NEVER} AS seq_to, e.type AS type, e.valid_lo AS lo, "
            f"e.valid_hi AS hi, e.body AS body, 1 AS own FROM events AS e WHERE e.seq <= {int(head)} AND e.target IS NULL "
            f"AND e.type IN ({_types_in(_KEYED_TYPES)}) AND e.id NOT IN {_corrected(head)})")


ATTACHED = {"facts": "chrono_cache", "mentions": "chrono_cache_mentions"}  # schema names, once attached
_BUILDING = "chrono_build"  # of the file a rebuild writes, on the connection writing it
_LISTED = "chrono_listed"  # of the file in which the facts part lists the versions for a helper


def path_of(log: Log, part: str = "facts") -> str | None:
    """The file beside a log that holds one part of its cache (`<log>-cache`, `<log>-cache-mentions`);
    None for an in-memory log, which keeps its cache in its own database."""
    if log.path == ":memory:":
        return None
    return f"{log.path}-cache" + ("" if part == "facts" else f"-{part}")


def _schemas(conn) -> list[str]:
    return [r[1] for r in conn.execute("PRAGMA database_list")]


def _attach(log: Log, *, again: bool = False) -> None:
    """Attach the cache files beside the log that exist (`again`: reopen them, as another process may
    have put newer ones in their place). A file that cannot be opened is as good as none."""
    if path_of(log) is None:
        return
    attached = _schemas(log.conn)
    for part, name in ATTACHED.items():
        if name in attached:
            if not again:
                continue
            log.conn.execute(f"DETACH DATABASE {name}")
        path = path_of(log, part)
        if os.path.exists(path):
            try:
                log.conn.execute(f"ATTACH DATABASE ? AS {name}", (path,))
            except sqlite3.Error:
                pass


def _detach(conn, schema: str) -> None:
    if schema in _schemas(conn):
        conn.execute(f"DETACH DATABASE {schema}")


def built_from(log: Log) -> Head | None:
    """The log head the cache was built from (None: no cache, a part missing, parts of different heads,
    or a cache in another format or unreadable)."""
    _attach(log)
    heads = set()
    for meta_table, _tables, _indexes in _PARTS.values():
        try:
            meta = dict(log.conn.execute(f"SELECT key, value FROM {meta_table}").fetchall())
        except sqlite3.DatabaseError:  # no cache yet, or a damaged file: rebuilt, never read
            return None
        if "seq" not in meta or meta.get("format") != _format_id():
            return None
        heads.add((int(meta["seq"]), meta["hash"]))
    if len(heads) != 1:
        return None
    ((seq, hash_),) = heads
    return Head(seq, hash_, None)


def is_fresh(log: Log) -> bool:
    head = log.head()

    def fresh() -> bool:
        built = built_from(log)
        return built is not None and (built.seq, built.hash) == (head.seq, head.hash)

    if fresh():
        return True
    if path_of(log) is None:
        return False
    _attach(log, again=True)  # another process may have rebuilt it since this one opened it
    return fresh()


def rebuild(log: Log, *, progress: Callable[[int], None] | None = None) -> int:
    """Replay the whole log into its cache; returns how many facts stand now.

    Beside a log in a file, each part is written to a new file of its own without a journal (it is
    derived: a crash leaves a stray temporary file, never a damaged cache), the mentions part of a
    large log by a helper process at the same time as this one writes the facts part, and each new
    file is moved over the old one when both are complete; the log's own file holds nothing derived
    and no page is written twice. An in-memory log's cache is rebuilt inside it, part after part, in
    one transaction."""
    conn = log.conn
    # Pages a drop frees need not be zeroed (SQLite builds that overwrite freed pages by default do
    # so): everything in a cache is derived from the log, which keeps it all.
    (secure,) = conn.execute("PRAGMA secure_delete").fetchone()
    (threads,) = conn.execute("PRAGMA threads").fetchone()
    conn.execute("PRAGMA secure_delete = OFF")
    conn.execute(f"PRAGMA threads = {_THREADS}")  # index sorts use the machine's cores
    try:
        with bulk():
            if path_of(log) is None:
                return _rebuild_inside(log, progress)
            return _rebuild_beside(log, progress)
    finally:
        conn.execute(f"PRAGMA secure_delete = {int(secure)}")
        conn.execute(f"PRAGMA threads = {int(threads)}")


# Index sorts: how many helper threads SQLite may start for each. A builder alone uses the cores (up
# to four); the two that build the parts at once use half of them each (each sorting on every core,
# they take turns on the cores and both run slower than with none: two 830k-row index builds on two
# cores at once took 2.7 s each with 2 threads, 2.0 s each with none), until the facts part is done:
# the helper's last indexes then sort on all of them.
_CORES = os.cpu_count() or 1
_THREADS = min(4, _CORES)
_THREADS_SHARED = max(0, min(4, _CORES // 2 - 1))


def _rebuild_inside(log: Log, progress: Callable[[int], None] | None) -> int:
    """The facts part, then the mentions part, in the log's own database (a part not complete has no
    meta: the cache is not fresh, and the next read rebuilds it)."""
    conn = log.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        head = _begin(log)
        standing = _build_facts(log, "main", head, progress)
        conn.execute("COMMIT")
        _steps.run(conn, _mentions_steps(head, None, None))
    except BaseException:
        if conn.in_transaction:  # SQLite may already have rolled back (a full disk, say)
            conn.execute("ROLLBACK")
        raise
    if progress:
        progress(head.seq)
    return standing


def _begin(log: Log) -> Head:
    """In the rebuild's transaction (which holds the log's write lock): drop an older cache kept in the
    log itself (as Chrono kept it before, or an in-memory log's)."""
    head = log.head()
    for table in _TABLES:
        log.conn.execute(f"DROP TABLE IF EXISTS main.{table}")
    return head


def _rebuild_beside(log: Log, progress: Callable[[int], None] | None) -> int:
    conn = log.conn
    for name in ATTACHED.values():
        _detach(conn, name)
    tmp = {part: f"{path_of(log, part)}.{os.getpid()}.tmp" for part in _PARTS}
    listed_tmp = f"{path_of(log)}-listed.{os.getpid()}.tmp"
    _remove_strays(log)
    for path in (*tmp.values(), listed_tmp):
        _remove(path)
    helper: subprocess.Popen | None = None
    try:
        _open_build(conn, tmp["facts"], _BUILDING)
        _open_build(conn, listed_tmp, _LISTED)  # (a file only once written to: only for a helper)
        conn.execute("BEGIN IMMEDIATE")
        head = _begin(log)
        # The mentions part needs nothing of the facts part until it has every fact's own mentions:
        # a helper starts on it at once, and reads the versions from a file of their own, which this
        # writes as soon as it has them.
        parallel = _parallel(head)
        if parallel:
            conn.execute(f"PRAGMA threads = {_THREADS_SHARED}")
        steps = _mentions_steps(head, tmp["mentions"], listed_tmp if parallel else None)
        helper = _helper(log, steps, tmp["mentions"]) if parallel else None

        def tell(word: str) -> None:
            try:
                assert helper is not None and helper.stdin is not None
                helper.stdin.write(f"{word}\n".encode())
                helper.stdin.flush()
            except OSError:  # it has stopped: what it says when it is waited for explains why
                pass

        def listed() -> None:
            conn.execute("COMMIT")
            conn.execute(f"DETACH DATABASE {_LISTED}")
            tell("go")
            conn.execute("BEGIN")  # the rest writes only the new file

        standing = _build_facts(log, _BUILDING, head, progress, into=_LISTED if helper else "temp", listed=listed if helper else None)
        if helper is not None:
            tell("alone")  # its last indexes may sort on every core
        conn.execute("COMMIT")
        conn.execute(f"DETACH DATABASE {_BUILDING}")
        _detach(conn, _LISTED)
        _sync(tmp["facts"])
        if helper is None:
            _steps.run(conn, steps)
            _sync(tmp["mentions"])
        else:  # (which flushes its file itself)
            out, err = (text.decode(errors="replace") for text in helper.communicate())
            if helper.returncode != 0 or out.strip() != "done":
                why = (err.strip().splitlines() or [f"exit status {helper.returncode}"])[-1]
                raise StorageError(f"could not build the cache beside {log.path}: {why}")
        for part in ("mentions", "facts"):  # on disk (above), then in place of the old
            os.replace(tmp[part], path_of(log, part))
    except BaseException:
        if helper is not None and helper.poll() is None:
            helper.kill()
            helper.communicate()
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        for name in (_BUILDING, f"{_BUILDING}_mentions", _LISTED):
            _detach(conn, name)
        for path in tmp.values():
            _remove(path)
        raise
    finally:
        _remove(listed_tmp)
        _attach(log)
    if progress:
        progress(head.seq)
    return standing


def _sync(path: str) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


_PARALLEL_FROM = 5_000  # log entries: below this, a second process costs more than it saves


def _parallel(head: Head) -> bool:
    """Whether a helper process builds the mentions part: for a log large enough to be worth one, on
    a machine with a second core."""
    return head.seq >= _PARALLEL_FROM and (os.cpu_count() or 1) >= 2 and bool(sys.executable)


def _helper(log: Log, steps: list, sync: str) -> subprocess.Popen:
    """A process that builds the mentions part (into the file `sync`, which it flushes to disk) while
    this one builds the facts part."""
    # (-S: it needs no site packages, and starts in half the time without them.)
    helper = subprocess.Popen([sys.executable, "-S", _steps.__file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    assert helper.stdin is not None
    helper.stdin.write(_steps.job_message({"log": os.path.abspath(log.path), "steps": steps, "sync": sync, "threads": _THREADS}))
    helper.stdin.flush()
    return helper


def _mentions_steps(head: Head, tmp: str | None, listed_tmp: str | None) -> list:
    """The mentions part's build as steps (`projections._steps`), for this process or a helper: every
    fact's own row, straight from the log; then, once the facts part has listed the facts it resolves
    version by version and their versions (`_versions_steps`), those in place of their own rows, the
    indexes, the widths of the keys and the meta. Into the file `tmp` (None: the log's own database,
    for an in-memory log), reading the list from the file `listed_tmp` (None: from `temp`, where the
    facts part leaves it when both are built by one connection)."""
    name = "main" if tmp is None else f"{_BUILDING}_mentions"
    meta_table, tables, indexes = _PARTS["mentions"]

    def sql(text: str, params=None) -> list:
        return [text, params, False]

    into = [] if tmp is None else [sql(f"ATTACH DATABASE ? AS {name}", [tmp]), *(sql(p) for p in _build_pragmas(name))]
    listed = "temp" if listed_tmp is None else _LISTED
    versions = ([], []) if listed_tmp is None else ([sql(f"ATTACH DATABASE ? AS {_LISTED}", [listed_tmp])],
                                                    [sql(f"DETACH DATABASE {_LISTED}")])
    return [
        # (In one process the facts part has made the spec's table already.)
        *into, sql(f"PRAGMA threads = {_THREADS if listed_tmp is None else _THREADS_SHARED}"), *(_spec_steps() if listed_tmp else []),
        sql("BEGIN"), *(sql(t) for t in _statements(tables, name)), sql(_mentions_sql(_own_rows(head.seq), keyed=True)), sql("COMMIT"),
        _steps.WAIT,
        # (A scan of every mention, so only when one is listed: most logs have none.)
        *versions[0], sql("BEGIN"), sql(f"DELETE FROM {MENTIONS} WHERE EXISTS (SELECT 1 FROM {listed}.chrono_replaced_at) "
                                        f"AND seq IN (SELECT seq FROM {listed}.chrono_replaced_at)"),
        sql(_mentions_sql(f"{listed}.chrono_versions", keyed=True)), sql("COMMIT"), *versions[1],
        sql("BEGIN"), *(sql(t) for t in _statements(indexes, name)), sql(_KEYS_SQL), *_meta_steps(name, meta_table, head), sql("COMMIT"),
        *([] if tmp is None else [sql(f"DETACH DATABASE {name}")]),
    ]


def _versions_steps(schema: str, head: Head) -> list:
    """Into `schema`, for the mentions part: every version of each fact the facts part replaced with
    its versions (the rows past the head's, as `_Writer` leaves them; the facts it replaced are in
    `temp.chrono_replaced`), and the log positions of those of them no correction or retraction names
    (the mentions pass read their own rows, whose mentions the versions' replace: `_own_rows`)."""
    return [
        [f"DROP TABLE IF EXISTS {schema}.chrono_versions", None, False],
        [f"CREATE TABLE {schema}.chrono_versions AS SELECT f.seq AS seq, f.id AS id, f.seq_from AS seq_from, f.seq_to AS seq_to, "
         f"f.type AS type, f.lo AS lo, f.hi AS hi, coalesce(f.body, e.body) AS body, f.body IS NULL AS own FROM {FACTS} AS f "
         f"JOIN events AS e ON e.seq = f.seq WHERE f.rowid > {int(head.seq)}", None, False],
        [f"DROP TABLE IF EXISTS {schema}.chrono_replaced_at", None, False],
        [f"CREATE TABLE {schema}.chrono_replaced_at (seq INTEGER PRIMARY KEY)", None, False],
        [f"INSERT INTO {schema}.chrono_replaced_at SELECT e.seq FROM temp.chrono_replaced AS r CROSS JOIN events AS e ON e.id = r.id "
         f"WHERE e.id NOT IN {_corrected(head.seq)}", None, False],  # (CROSS: the few, each by the id index; not every id)
    ]


_PAGE = 16384  # bytes, of a cache file's pages


def _build_pragmas(name: str) -> list[str]:
    """How a new cache file attached as `name` is written: large pages, no journal, no syncs (it is
    derived, and flushed once when complete)."""
    return [f"PRAGMA {name}.page_size = {_PAGE}", f"PRAGMA {name}.journal_mode = OFF", f"PRAGMA {name}.synchronous = OFF"]


def _open_build(conn, path: str, name: str) -> None:
    conn.execute(f"ATTACH DATABASE ? AS {name}", (path,))
    for pragma in _build_pragmas(name):
        conn.execute(pragma)


def _meta_steps(schema: str, meta_table: str, head: Head) -> list:
    return [[f"CREATE TABLE {schema}.{meta_table} (key TEXT PRIMARY KEY, value TEXT NOT NULL)", None, False],
            [f"INSERT INTO {schema}.{meta_table} (key, value) VALUES (?, ?)", [["seq", str(head.seq)], ["hash", head.hash], ["format", _format_id()]], True]]



@functools.cache
def _format_id() -> str:
    """The format a cache's meta names: FORMAT, and a digest of what its rows and indexes are made by
    (its tables and indexes, which name event types and channels by code; where each type's keyed
    effects and references sit). A Chrono whose event types differ from the one that wrote a cache
    rebuilds it, rather than read indexes its queries no longer name or miss what a new field names."""
    made_by = repr((_PARTS, _EFFECTS_SPEC, _ref_fields(), _DESCRIBED)).encode()
    return f"{FORMAT}-{hashlib.sha256(made_by).hexdigest()[:12]}"

def _find_resolved(conn) -> tuple[dict[str, dict], list[int]]:
    """What the facts part resolves version by version besides the correction chains (into
    `temp.chrono_roots`, each correction under the fact at its chain's root): the links of the facts
    with ordering constraints, and the positions of the facts an older schema wrote (found in the
    facts part's narrow rows, not the log's wide ones), for `_resolve_the_few`."""
    # (The few by the target index; asked for their ids as well, SQLite would read the whole log.)
    target_of = dict(conn.execute("SELECT e.id, e.target FROM (SELECT seq FROM events WHERE target IS NOT NULL) AS t "
                                  "CROSS JOIN events AS e ON e.seq = t.seq"))
    roots = []
    for correction in target_of:
        root, steps = target_of[correction], 0
        while root in target_of and steps <= len(target_of):  # a correction of a correction: up to the fact
            root, steps = target_of[root], steps + 1
        roots.append((correction, root))
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS chrono_roots (id TEXT PRIMARY KEY, root TEXT NOT NULL)")
    conn.execute("DELETE FROM chrono_roots")
    conn.executemany("INSERT INTO chrono_roots VALUES (?, ?)", roots)
    # (By id in the log, which has the index: the facts part has none yet.)
    conn.execute("DELETE FROM chrono_roots WHERE NOT EXISTS (SELECT 1 FROM events AS e WHERE e.id = chrono_roots.root AND e.target IS NULL)")
    linked: dict[str, dict] = {}
    old: list[int] = []
    for seq, fact_id, links, current in conn.execute(
            f"SELECT seq, id, links, ({_CURRENT}) FROM {FACTS} WHERE links IS NOT NULL OR NOT ({_CURRENT})"):
        if not current:
            old.append(seq)
        if links is not None:
            linked[fact_id] = codec.loads(links)
    return linked, old


def _remove_strays(log: Log) -> None:
    """Remove the files a rebuild killed before it finished left beside the log (`<part>.<pid>.tmp`
    of a process no longer running): each as large as the cache."""
    folder, prefix = os.path.split(path_of(log))
    try:
        names = os.listdir(folder or ".")
    except OSError:
        return
    for name in names:
        if not (name.startswith(os.path.basename(prefix)) and name.endswith(".tmp")):
            continue
        pid = name[:-len(".tmp")].rpartition(".")[2]
        if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
            _remove(os.path.join(folder, name))


def _running(pid: int) -> bool:
    if os.name == "nt":  # where signal 0 would end the process, not ask about it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # not ours to signal, or no way to tell: leave its files alone
        return True
    return True


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _build_facts(log: Log, schema: str, head: Head, progress: Callable[[int], None] | None, *,
                 into: str = "temp", listed: Callable[[], None] | None = None) -> int:
    """The facts part: every fact's own row, the few resolved version by version, the gazetteer, the
    entities named by facts of the types that have no keyed effects. The few and their versions are
    listed for the mentions part in `into` (`_versions_steps`); then `listed` runs."""
    conn = log.conn
    for statement in _statements(_PARTS["facts"][1], schema):
        conn.execute(statement)
    facts = conn.execute(
        f"INSERT INTO {FACTS} (rowid, seq, id, seq_from, seq_to, type, version, lo, hi, links) "
        f"SELECT seq, seq, id, seq, {NEVER}, type, version, valid_lo, valid_hi, nullif(links, ?) FROM events WHERE seq <= ? AND target IS NULL",
        (NO_LINKS, head.seq),
    ).rowcount
    linked, old = _find_resolved(conn)
    if progress:
        progress(head.seq // 2)
    _resolve_the_few(log, linked, old, head)
    _steps.run(conn, _versions_steps(into, head))
    # Every fact had one row that stands; each of the few replaced has the versions listed instead.
    (replaced,) = conn.execute("SELECT count(*) FROM temp.chrono_replaced").fetchone()
    (standing,) = conn.execute(f"SELECT count(*) FROM {into}.chrono_versions WHERE seq_to = {NEVER}").fetchone()
    standing += facts - replaced
    if listed:
        listed()
    conn.execute(_ENTITIES_SQL)
    _steps.run(conn, _spec_steps())
    conn.execute(_mentions_sql(_SCAN_ROWS, keyed=False))
    for statement in _statements(_PARTS["facts"][2], schema):
        conn.execute(statement)
    _steps.run(conn, _meta_steps(schema, _PARTS["facts"][0], head))
    return standing


_TIMED = sorted(name for name, cls in REGISTRY.items() if not (cls.timeless or cls.correction))
# Which (type, version) pairs are current: a fact of another was written by an older schema. (One
# lookup in a list SQLite makes once, not a test of each pair: a third less of a pass over 1M rows.)
_CURRENT = "(type, version) IN (VALUES " + ", ".join(f"('{name}', {cls.version})" for name, cls in REGISTRY.items()) + ")"


def _resolve_the_few(log: Log, linked: dict[str, dict], old: list[int], head: Head) -> None:
    """Replace the rows of facts that corrections, ordering constraints (`linked`: each fact's links)
    or an older schema (`old`: their positions) touch with their versions (`_Writer`). Streams:
    memory grows with one correction chain, not with the log."""
    conn = log.conn
    # Ordering constraints first: their groups are narrowed together, so their members' versions wait.
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for event_id, link in linked.items():
        for other in (*link["after"], *link["before"]):
            parent[find(other)] = find(event_id)
    members = set(parent)
    waiting: dict[str, list[tuple[int, int, Fact | None]]] = {}
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS chrono_replaced (id TEXT PRIMARY KEY) WITHOUT ROWID")
    conn.execute("DELETE FROM temp.chrono_replaced")
    out = _Writer(conn, head)

    def settle(fact_id: str, spans: list[tuple[int, int, Fact | None]]) -> None:
        if fact_id in members:
            waiting[fact_id] = spans
        else:
            out.replace(fact_id, spans)

    # Every version of each corrected fact, by the recorded positions where it changed: one chain
    # (the fact, its corrections, their corrections) at a time, in root order.
    columns = ", ".join(f"e.{c.strip()}" for c in COLUMNS.split(","))
    # Each chain's fact first (it precedes its corrections in the log), then its corrections.
    rows = conn.execute(f"SELECT r.root, {columns} FROM (SELECT id, root FROM chrono_roots UNION SELECT root, root FROM chrono_roots) AS r "
                        "JOIN events AS e ON e.id = r.id ORDER BY r.root, e.seq")
    for target_id, group in itertools.groupby(rows, key=lambda row: row[0]):
        first = next(group)
        group = list(group)
        if target_id not in members and len(group) == 1 and (versions := _one_step(first[1:], group[0][1:])) is not None:
            out.replace_rows(target_id, versions)
            continue
        target = entry_from_row(first[1:])
        prefix, points = [target], []
        for row in group:
            c = entry_from_row(row[1:])
            prefix.append(c)
            facts = resolve(prefix).facts
            points.append((c.seq, facts[0] if facts and facts[0].id == target_id else None))
        starts = [(target.seq, resolve([target]).facts[0]), *points]
        settle(target_id, [(s, (starts[i + 1][0] if i + 1 < len(starts) else NEVER), f) for i, (s, f) in enumerate(starts)])

    # Rows an older schema wrote are stored as written; the cache holds them upcast, so SQLite can read them.
    rows = (row for chunk in _chunks(old) for row in conn.execute(
        f"SELECT {COLUMNS} FROM events WHERE seq IN ({', '.join('?' * len(chunk))}) AND id NOT IN (SELECT root FROM chrono_roots)", chunk
    ).fetchall())
    for row in rows:
        e = entry_from_row(row)
        settle(e.id, [(e.seq, NEVER, resolve([e]).facts[0])])

    # Ordering constraints: narrow each connected group at every position where one of it changed.
    groups: dict[str, list[str]] = defaultdict(list)
    for member in members:
        groups[find(member)].append(member)
    for group_members in groups.values():
        for member in group_members:
            if member not in waiting:
                entry = log.find(member)
                if entry is not None and not entry.event.correction:
                    waiting[member] = [(entry.seq, NEVER, resolve([entry]).facts[0])]
        present = [m for m in group_members if m in waiting]
        points = sorted({s for m in present for s, _, _ in waiting[m]})
        split: dict[str, list] = {m: [] for m in present}
        for i, s in enumerate(points):
            end = points[i + 1] if i + 1 < len(points) else NEVER
            known = [f for m in present for (a, b, f) in waiting[m] if a <= s < b and f is not None]
            narrowed = {f.id: f for f in narrow(known)}
            for m in present:
                if any(a <= s < b for a, b, _ in waiting[m]):
                    split[m].append((s, end, narrowed.get(m)))
        for m in present:
            out.replace(m, split[m])
    out.flush()


@functools.cache
def _replacement_shape(type_name: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """The keys of a replacement of this type as Chrono writes it, and the fields whose values a
    reader turns into floats (JSON keeps 1 and 1.0 apart). Made on first use: only a rebuild needs it."""
    fields = attrs.fields(REGISTRY[type_name])
    return frozenset(["type", *(a.name for a in fields)]), tuple(a.name for a in fields if a.metadata.get("form") == "number")


def _one_step(fact: tuple, change: tuple) -> list[tuple] | None:
    """The cache rows of a fact with one correction or retraction and nothing else to it (no ordering
    constraint, written and corrected by the current schema), read off the two log rows without
    building either: its own row until the change, then (a correction) the replacement as written,
    with the correction's valid time and its sources, or the fact's when it gives none. None when
    anything is unusual: `resolve` then works it out, as it does every other chain. (Its rows hold the
    columns `COLUMNS` names, in order.)"""
    seq, fact_id, type_name, version, lo, hi, _meta, _rec, _body, _sources, links = fact[:11]
    c_seq, c_id, c_type, c_version, c_lo, c_hi, c_meta, _c_rec, c_body, c_sources = change[:10]
    if links != NO_LINKS or REGISTRY.get(type_name) is None or REGISTRY[type_name].version != version:
        return None
    if REGISTRY.get(c_type) is None or REGISTRY[c_type].version != c_version:
        return None
    own = (seq, fact_id, seq, c_seq, type_name, version, lo, hi, None, None, None, None, None, None, None)
    if c_type == "EventRetracted":
        return [own]
    if c_type != "EventCorrected":
        return None
    replacement = codec.loads(c_body).get("replacement")
    new_type = replacement.get("type") if type(replacement) is dict else None
    cls = REGISTRY.get(new_type) if type(new_type) is str else None
    if cls is None or cls.correction:
        return None
    keys, numbers = _replacement_shape(new_type)
    if replacement.keys() != keys:
        return None  # (a payload missing a field, or saying its version: read it as resolve does)
    if any(type(replacement[name]) is not float and replacement[name] is not None for name in numbers):
        return None
    del replacement["type"]
    return [own, (seq, fact_id, c_seq, NEVER, new_type, cls.version, c_lo, c_hi, c_lo, c_hi, c_meta, codec.canonical(replacement),
                  None if c_sources == "[]" else c_sources, None, codec.canonical([c_id]))]


class _Writer:
    """Replaces a fact's own cache row with its versions, in batches, and lists the facts it replaced
    (`temp.chrono_replaced`). A fact's own row is the row at its log position (`_build_facts`); the
    versions go after the head's, so they are the rows past it (`_versions_steps`), and no index is
    needed before the last row is written."""

    def __init__(self, conn, head: Head):
        self.conn = conn
        self.ids: list[tuple[str]] = []
        self.rows: list[tuple] = []
        self.rowid = head.seq

    def replace(self, fact_id: str, spans: list[tuple[int, int, Fact | None]]) -> None:
        self.replace_rows(fact_id, [_row(f, a, b) for a, b, f in _merge(spans) if f is not None])

    def replace_rows(self, fact_id: str, rows: list[tuple]) -> None:
        self.ids.append((fact_id,))
        self.rows.extend(rows)
        if len(self.ids) >= 1000:
            self.flush()

    def flush(self) -> None:
        self.conn.executemany(f"DELETE FROM {FACTS} WHERE rowid = (SELECT seq FROM events WHERE id = ?)", self.ids)
        # (Its key refuses a fact replaced twice, whose first versions would stay: only its own row is removed.)
        self.conn.executemany("INSERT INTO temp.chrono_replaced (id) VALUES (?)", self.ids)
        first, self.rowid = self.rowid + 1, self.rowid + len(self.rows)
        self.conn.executemany(f"INSERT INTO {FACTS} (rowid, {_FACT_COLUMNS}) VALUES ({', '.join('?' * 16)})",
                              [(rowid, *row) for rowid, row in enumerate(self.rows, first)])
        self.ids, self.rows = [], []


def _merge(spans: list[tuple[int, int, Fact | None]]) -> list[tuple[int, int, Fact | None]]:
    out: list[list] = []
    for a, b, f in spans:
        if out and out[-1][2] == f and out[-1][1] == a:
            out[-1][1] = b
        else:
            out.append([a, b, f])
    return [tuple(x) for x in out]


def _row(f: Fact, seq_from: int, seq_to: int) -> tuple:
    v = f.valid
    return (
        f.seq, f.id, seq_from, seq_to, f.type_name, f.event.version, f.lo, f.hi, v.lo if v else None, v.hi if v else None,
        codec.valid_meta(v), codec.canonical(codec.unstructure_event(f.event)),
        codec.canonical(codec.unstructure_sources(f.sources)),
        codec.canonical({"after": list(f.after), "before": list(f.before)}), codec.canonical(list(f.via)),
    )


def _fact(row) -> Fact:
    seq, fid, _from, _to, type_name, version, lo, hi, vlo, vhi, vmeta, body, sources, links, via = row
    link = codec.loads(links)
    return Fact(
        id=fid, seq=seq, event=codec.decode_stored(type_name, version, body),
        valid=codec.valid_from_columns(vlo, vhi, vmeta), sources=codec.decode_sources(sources),
        after=tuple(link["after"]), before=tuple(link["before"]), via=tuple(codec.loads(via)), lo=lo, hi=hi,
    )


def position_at(log: Log, known_at) -> int:
    """The last log position recorded at or before `known_at` (everything, when None)."""
    if known_at is None:
        return NEVER - 1
    from chrono.timeval import to_micros

    row = log.conn.execute("SELECT max(seq) FROM events WHERE recorded <= ?", (to_micros(known_at),)).fetchone()
    return row[0] or 0


def _live(position: int) -> tuple[str, tuple]:
    return "seq_from <= ? AND ? < seq_to", (position, position)


def all_facts(log: Log, position: int | None = None) -> list[Fact]:
    """Every fact standing at log position `position` (now by default), in log order."""
    where, args = _live(NEVER - 1 if position is None else position)
    return [_fact(r) for r in log.conn.execute(f"SELECT {_FACT_COLUMNS} FROM {FACT_ROWS} WHERE {where} ORDER BY seq", args)]


def fact(log: Log, event_id: str, position: int) -> Fact | None:
    where, args = _live(position)
    row = log.conn.execute(f"SELECT {_FACT_COLUMNS} FROM {FACT_ROWS} WHERE id = ? AND {where}", (event_id, *args)).fetchone()
    return _fact(row) if row else None


def facts_after(log: Log, at: int, position: int) -> Iterator[Fact]:
    """The facts standing at `position` whose window opens after `at`, soonest first (lazily): the
    soonest of each type by the type index (its type and window start), merged."""
    where, args = _live(position)
    lo, seq = _FACT_COLUMNS.replace(" ", "").split(",").index("lo"), 0
    cursors = [log.conn.execute(f"SELECT {_FACT_COLUMNS} FROM {FACT_ROWS} WHERE {_TYPE_TIME} BETWEEN ? AND ? AND {where} "
                                f"ORDER BY {_TYPE_TIME}, seq", (*_between(_TYPE_CODES[type_name], at + 1, _HALF), *args))
               for type_name in _TIMED]
    for row in heapq.merge(*cursors, key=lambda row: (row[lo], row[seq])):
        yield _fact(row)


def descriptions(log: Log, position: int) -> Iterator[tuple[str, str, dict]]:
    """(event id, type, payload) of every entity description standing at `position`, in log order (by
    the gazetteer's rows, one for each version of a description)."""
    for fid, type_name, version, body in log.conn.execute(
        f"SELECT f.id, f.type, f.version, f.body FROM {ENTITIES} AS d JOIN {FACT_ROWS} AS f ON f.id = d.fact "
        "AND f.seq_from = d.seq_from WHERE d.seq_from <= ? AND ? < d.seq_to ORDER BY d.seq",
        (position, position),
    ):
        yield fid, type_name, _payload(type_name, version, body)


def _payload(type_name: str, version: int, body: str) -> dict:
    """A stored payload as the current schema has it."""
    payload = codec.loads(body)
    return payload if version == REGISTRY[type_name].version else codec.upcast(type_name, version, payload)


def recent_keys(log: Log, channel: str, at: int, position: int) -> Iterator[str]:
    """The keys of `channel` touched by effects whose window opens by `at`, most recently touched first
    (by the latest such effect's (lo, seq), ties by key, descending); each once. Lazy: stop reading
    when you have enough."""
    where, args = _live(position)
    seen: set[str] = set()
    for (key,) in log.conn.execute(
        f"SELECT entity FROM {MENTIONS} WHERE channel IS NOT NULL AND {_RECENCY} BETWEEN ? AND ? AND {where} "
        f"ORDER BY {_RECENCY} DESC, seq DESC, entity DESC",
        (*_between(_CHANNEL_CODES[channel], -_HALF, at), *args),
    ):
        if key not in seen:
            seen.add(key)
            yield key


def key_steps(log: Log, channel: str, key: str, at: int, position: int) -> tuple[Iterator[Step], int]:
    """The keyed effects on one key standing at `position` whose window opens by `at`, latest first
    (by lo, seq; lazily), and the widest any of the key's windows is (`settle - lo`, over every
    version): a step that opens earlier than `at - width` has settled by `at`."""
    row = log.conn.execute(f"SELECT width FROM {KEYS} WHERE channel = ? AND key = ?", (channel, key)).fetchone()
    if row is None:
        return iter(()), 0
    where, args = _live(position)
    rows = log.conn.execute(
        f"SELECT fact, seq, lo, hi, settle, op, arg FROM {EFFECT_ROWS} WHERE channel = ? AND key = ? AND lo <= ? AND {where} "
        "ORDER BY lo DESC, seq DESC, n DESC",
        (channel, key, at, *args),
    )
    return (Step(fact, seq, lo, hi, settle, _op(op, arg)) for fact, seq, lo, hi, settle, op, arg in rows), row[0]


def died_by(log: Log, person: str, at: int, position: int) -> bool:
    """Whether a death of `person` standing at `position` has certainly happened by `at`."""
    where, args = _live(position)
    return log.conn.execute(
        f"SELECT 1 FROM {MENTIONS} WHERE op = 'die' AND entity = ? AND settle <= ? AND {where} LIMIT 1",  # settle <= T: lo <= T too
        (person, at, *args),
    ).fetchone() is not None


@functools.lru_cache(maxsize=4096)
def _op(op: str, arg: str | None) -> Op:
    return Op(op, codec.loads(arg))


def _chunks(items: list, size: int = 500) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def latest_listed(log: Log, type_name: str, at: int, position: int, limit: int | None) -> list[tuple]:
    """(type, id, lo, hi, valid_meta, body) of the last `limit` happenings of `type_name` standing at
    `position` whose window opens by `at` (all of them when `limit` is None, or one more than `limit`
    when there are more), in valid-time order."""
    where, args = _live(position)
    cap = -1 if limit is None else limit + 1
    rows = log.conn.execute(
        f"SELECT type, id, lo, hi, valid_meta, body FROM {FACT_ROWS} WHERE {_TYPE_TIME} BETWEEN ? AND ? AND {where} "
        f"ORDER BY {_TYPE_TIME} DESC, seq DESC LIMIT ?",
        (*_between(_TYPE_CODES[type_name], -_HALF + 1, at), *args, cap),
    ).fetchall()
    rows.reverse()
    return rows


def naming(log: Log, ids, position: int, *, until: int | None = None, after: int | None = None) -> Iterator[Fact]:
    """The facts standing at `position` that name one of `ids` (`events.entity_refs`), in valid-time
    order (lazily): those whose window opens by `until`, or after `after`."""
    ids = sorted(set(ids))
    when, bound = ("lo <= ?", until) if after is None else ("lo > ?", after)
    columns = ", ".join(f"f.{c.strip()}" for c in _FACT_COLUMNS.split(","))
    mentions, args = _mentioning(ids, f"{when} AND seq_from <= ? AND ? < seq_to", (bound, position, position))
    rows = log.conn.execute(
        f"SELECT {columns} FROM ({mentions}) AS r JOIN {FACT_ROWS} AS f ON f.id = r.fact AND f.seq_from = r.seq_from ORDER BY f.lo, f.seq",
        args,
    )
    for row in rows:
        yield _fact(row)


def naming_ids(log: Log, entity: str, position: int, *, channel: str | None = None) -> list[str]:
    """Ids of the facts any version of which, recorded by `position`, names `entity`; with `channel`,
    only those any version of which is a keyed effect on `entity` in that channel."""
    if channel is None:
        mentions, args = _mentioning([entity], "seq_from <= ?", (position,))
    else:
        mentions, args = f"SELECT fact FROM {MENTIONS} WHERE channel = ? AND entity = ? AND seq_from <= ?", (channel, entity, position)
    return list(dict.fromkeys(r[0] for r in log.conn.execute(mentions, args)))


def _mentioning(ids: list[str], where: str, args: tuple) -> tuple[str, tuple]:
    """(fact, seq_from) of each fact version that mentions one of `ids` and meets `where`, once each:
    the mentions that are keyed effects by their index, the others by theirs, and the references of
    the facts part by its own."""
    marks = ", ".join("?" * len(ids))
    channels = (CONTROL, WHERE, UNIT)
    return (
        f"SELECT fact, seq_from FROM {MENTIONS} WHERE channel IS NULL AND entity IN ({marks}) AND {where} UNION "
        f"SELECT fact, seq_from FROM {MENTIONS} WHERE channel IN (?, ?, ?) AND entity IN ({marks}) AND {where} UNION "
        f"SELECT fact, seq_from FROM {REFS} WHERE entity IN ({marks}) AND {where}",
        (*ids, *args, *channels, *ids, *args, *ids, *args),
    )


def chains(log: Log, ids: list[str], position: int) -> list[Entry]:
    """The entries `ids` and every correction or retraction of them (and of those), recorded by
    `position`, in log order."""
    out: dict[int, Entry] = {}
    frontier = list(dict.fromkeys(ids))
    first = True
    while frontier:
        found = []
        for chunk in _chunks(frontier):
            marks = ", ".join("?" * len(chunk))
            column = "id" if first else "target"
            for row in log.conn.execute(f"SELECT {COLUMNS} FROM events WHERE {column} IN ({marks}) AND seq <= ?", (*chunk, position)):
                if row[0] not in out:
                    out[row[0]] = entry_from_row(row)
                    found.append(row[1])
        frontier, first = found, False
    return [out[seq] for seq in sorted(out)]


def windows_of(log: Log, ids: list[str], position: int) -> dict[str, tuple[int | None, int | None]]:
    """id -> (lo, hi) of the facts `ids` standing at `position`: their windows, narrowed."""
    where, args = _live(position)
    out = {}
    for chunk in _chunks(sorted(set(ids))):
        marks = ", ".join("?" * len(chunk))
        out.update((fid, (lo, hi)) for fid, lo, hi in log.conn.execute(
            f"SELECT id, lo, hi FROM {FACTS} WHERE id IN ({marks}) AND {where}", (*chunk, *args)))
    return out


def described(log: Log, ids, position: int) -> Iterator[tuple[str, str, dict]]:
    """`descriptions` of the entities `ids` only."""
    args = (position, position)
    for chunk in _chunks(sorted(set(ids))):
        marks = ", ".join("?" * len(chunk))
        for fid, type_name, version, body in log.conn.execute(
            f"SELECT f.id, f.type, f.version, f.body FROM {ENTITIES} AS d JOIN {FACT_ROWS} AS f ON f.id = d.fact "
            f"AND f.seq_from = d.seq_from WHERE d.id IN ({marks}) AND d.seq_from <= ? AND ? < d.seq_to ORDER BY f.seq",
            (*chunk, *args),
        ):
            yield fid, type_name, _payload(type_name, version, body)


def names_of(log: Log, ids, position: int) -> Iterator[tuple[str, str, str, str | None]]:
    """(id, kind, name, actor) of each description of the entities `ids` standing at `position`, in
    the order `described` gives them (the last one of an entity is the one that counts), read from
    the gazetteer's rows alone (no payload)."""
    args = (position, position)
    for chunk in _chunks(sorted(set(ids))):
        marks = ", ".join("?" * len(chunk))
        rows = log.conn.execute(
            f"SELECT id, kind, name, actor, fact, seq_from FROM {ENTITIES} WHERE id IN ({marks}) AND seq_from <= ? AND ? < seq_to ORDER BY seq",
            (*chunk, *args),
        ).fetchall()
        for entity_id, kind, name, actor, fact_id, seq_from in rows:
            if name is None:  # (one SQLite could not read: `_ENTITIES_SQL`)
                type_name, version, body = log.conn.execute(
                    f"SELECT type, version, body FROM {FACT_ROWS} WHERE id = ? AND seq_from = ?", (fact_id, seq_from)).fetchone()
                payload = _payload(type_name, version, body)
                name, actor = payload["name"], payload.get("actor") if kind == "unit" else None
            yield entity_id, kind, name, actor


def described_ids(log: Log, kind: str, position: int, limit: int | None = None) -> list[str]:
    """Ids of the entities of `kind` described at `position`, sorted (the first `limit` + 1 at most)."""
    where, args = _live(position)
    cap = -1 if limit is None else limit + 1
    return [r[0] for r in log.conn.execute(
        f"SELECT DISTINCT id FROM {ENTITIES} WHERE kind = ? AND {where} ORDER BY id LIMIT ?", (kind, *args, cap))]


__all__ = ["chains", "windows_of", "naming", "naming_ids", "all_facts", "built_from", "described", "described_ids", "descriptions", "fact", "facts_after", "is_fresh", "key_steps", "names_of",
           "latest_listed", "position_at", "rebuild", "recent_keys"]
