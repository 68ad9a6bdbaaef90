"""The cache's tables and indexes, in its two parts, and the format a cache names in its meta.

Two parts, each in a file of its own beside a log in a file (inside an in-memory log): the facts, every
version over recorded time, with the gazetteer and the entities named by facts of types that have no
keyed effects (`proj_refs`); and the mentions, every entity each fact of the other types names, those
that are keyed effects marked with their channel. The split shares the reading of the payloads between
the two processes that build them at once (`build`). Each part's meta names the log head it was
built from and the format.
"""

from __future__ import annotations

import functools
import hashlib

from chrono.store import NO_LINKS
from events import REGISTRY

from ..rules import CHANGED, CHANNELS, ENDED, ENDS, OBSERVED

FACTS = "proj_facts"
META = "proj_meta"
ENTITIES = "proj_entities"
KEYS = "proj_keys"
MENTIONS = "proj_mentions"
REFS = "proj_refs"
NEVER = 2**62  # seq_to of a version that still stands
FORMAT = "20"  # of the cache's tables and of the code that fills them: a cache in another format is rebuilt, not read

FACT_COLUMNS = "seq, id, seq_from, seq_to, type, version, lo, hi, valid_lo, valid_hi, valid_meta, body, sources, links, via"
# A version that is the log's own row (most facts: nothing corrected or narrowed them) leaves its
# payload, sources, valid-time columns and links NULL and reads them from the log, so a replay copies
# no payloads and its rows stay narrow (an own row keeps links that are not empty: the rebuild looks
# for them). FACT_ROWS is the table as if every row held its own.
NO_VIA = "[]"  # the via column of a version no correction put in place
FACT_ROWS = (
    "(SELECT f.seq AS seq, f.id AS id, f.seq_from AS seq_from, f.seq_to AS seq_to, f.type AS type, f.version AS version, "
    "f.lo AS lo, f.hi AS hi, coalesce(f.valid_lo, f.lo) AS valid_lo, coalesce(f.valid_hi, f.hi) AS valid_hi, "
    "CASE WHEN f.body IS NULL THEN e.valid_meta ELSE f.valid_meta END AS valid_meta, "
    "coalesce(f.body, e.body) AS body, coalesce(f.sources, e.sources) AS sources, "
    f"coalesce(f.links, '{NO_LINKS}') AS links, coalesce(f.via, '{NO_VIA}') AS via "
    f"FROM {FACTS} AS f JOIN events AS e ON e.seq = f.seq)"
)
# The same rows read in the log's order, for the rebuild's passes over every fact: read through an
# index on another column, each fact's payload would be fetched from a random page of the log.
SCAN_ROWS = FACT_ROWS.replace(f"FROM {FACTS} AS f JOIN", f"FROM {FACTS} AS f NOT INDEXED JOIN")

# Two indexes lead with one integer that holds a code (of a keyed effect's channel; of a fact's type)
# and a valid time: each code's times in a range of their own, `SPAN` apart (valid times run from year
# 1 to 9999, inside [-HALF, HALF); no time at all is -HALF). Led by the code's text, an index's sort
# compared whole records on every tie of its few values (docs/performance.md, "Indexes led by values
# that seldom tie"). The queries ask for a range of it (`between`), and read it as the index says it.
SPAN = 2**59
HALF = SPAN // 2


def coded(code: str, codes, time: str) -> str:
    """The integer that orders rows by `code` (SQL giving one of the integers `codes`), then by `time`
    (an expression an index is on: a query that would use it must say the same)."""
    if not all(-15 <= c <= 15 for c in codes):  # (a code's range must fit in 64 bits)
        raise AssertionError(f"codes out of range: {sorted(codes)}")
    return f"({code} * {SPAN} + {time})"


def between(code: int, lo: int, hi: int) -> tuple[int, int]:
    """The bounds of `coded` for times from `lo` to `hi` (both included) with `code`."""
    return code * SPAN + max(-HALF + 1, min(lo, HALF - 1)), code * SPAN + max(-HALF + 1, min(hi, HALF - 1))


CHANNEL_CODES = {name: i for i, name in enumerate((*CHANNELS, ENDS))}
CHANNEL_NAMES = tuple(CHANNEL_CODES)  # (by code)
# A keyed mention's channel and kind are one integer, its `code`: the channel's code in the high bits,
# the kind's place in KINDS in the low KIND_BITS. The keys' index is led by the entity and then the
# code: on each of the entity's many ties its sort compares one integer, where the channel's and the
# kind's text took decoding both (at 1M, building it 0.74 -> 0.60 s).
KINDS = (CHANGED, OBSERVED, ENDED)
KIND_BITS = 2
_KIND_MASK = (1 << KIND_BITS) - 1
CODE_CHANNEL, CODE_KIND = f"(code >> {KIND_BITS})", f"(code & {_KIND_MASK})"  # (in SQL; `channel_kind` in Python)


def code_of(channel: str, kind: str) -> int:
    """The `code` of a keyed mention of `channel` and `kind` (`world.Step.kind`)."""
    return CHANNEL_CODES[channel] << KIND_BITS | KINDS.index(kind)


def codes_of(channels) -> list[int]:
    """Every `code` a keyed mention of one of `channels` may have."""
    return [code_of(c, kind) for c in channels for kind in KINDS]


def channel_kind(code: int) -> tuple[str, str]:
    return CHANNEL_NAMES[code >> KIND_BITS], KINDS[code & _KIND_MASK]


RECENCY = coded(CODE_CHANNEL, CHANNEL_CODES.values(), "lo")  # (a keyed effect's window always has a start)
FACT_TYPES = sorted(n for n, cls in REGISTRY.items() if not cls.correction)
TYPE_CODES = {name: i - len(FACT_TYPES) // 2 for i, name in enumerate(FACT_TYPES)}  # (centred on 0: up to 31 fit)
TYPE_TIME = coded("(CASE type " + " ".join(f"WHEN '{k}' THEN {c}" for k, c in TYPE_CODES.items()) + " END)", TYPE_CODES.values(),
                  f"coalesce(lo, {-HALF})")
# A window wider than this (about 12.7 days: weeks, months, years, an open or unknown end) is wide.
# A range of valid time finds the facts whose windows reach into it by where they open: the others by
# the type index, from WIDE before the range's start; the wide ones, few, by an index of their own.
WIDE = 2**40

# The ops whose effect later ops never undo (`rules.Channel.sticky`): found by an index of their own.
STICKY = ", ".join(f"'{c.sticky}'" for c in CHANNELS.values() if c.sticky)

# The facts part's index of the rows that have links (the facts with ordering constraints, and every
# version of a fact resolved version by version): few, found by a catch-up without a scan.
#
# Each part: (meta table, tables, indexes). Statements create in `{s}` (the schema being built) and
# otherwise name tables unqualified: SQLite finds them wherever they are attached, as nothing else
# holds tables of these names. An index leads with a column whose values seldom tie where the queries
# allow it (the keys' index with the entity, not the channel): SQLite's sort compares the first column
# quickly and the whole record only on a tie.
PARTS: dict[str, tuple[str, str, str]] = {
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
CREATE INDEX {{s}}.{FACTS}_type ON {FACTS} ({TYPE_TIME}, seq, seq_from, seq_to);
CREATE INDEX {{s}}.{FACTS}_wide ON {FACTS} (lo, seq, hi, seq_from, seq_to) WHERE hi - lo > {WIDE};
CREATE INDEX {{s}}.{FACTS}_linked ON {FACTS} (id, links) WHERE links IS NOT NULL;
CREATE INDEX {{s}}.{ENTITIES}_id ON {ENTITIES} (id, seq_from, seq_to);
CREATE INDEX {{s}}.{ENTITIES}_kind ON {ENTITIES} (kind, id, seq_from, seq_to);
CREATE INDEX {{s}}.{REFS}_entity ON {REFS} (entity, lo, seq, seq_from, seq_to, fact)"""),
    "mentions": ("proj_meta_mentions", f"""
CREATE TABLE {{s}}.{MENTIONS} (
    entity TEXT NOT NULL, lo INTEGER NOT NULL, hi INTEGER NOT NULL, seq INTEGER NOT NULL, seq_from INTEGER NOT NULL,
    seq_to INTEGER NOT NULL, fact TEXT NOT NULL, code INTEGER, n INTEGER, op TEXT, settle INTEGER, spec INTEGER, own INTEGER
)""", f"""
CREATE INDEX {{s}}.{MENTIONS}_entity ON {MENTIONS} (entity, lo, seq, seq_from, seq_to, fact) WHERE code IS NULL;
CREATE INDEX {{s}}.{MENTIONS}_when ON {MENTIONS} ({RECENCY}, seq, entity, seq_from, seq_to) WHERE code IS NOT NULL;
CREATE INDEX {{s}}.{MENTIONS}_sticky ON {MENTIONS} (entity, op, settle, seq_from, seq_to) WHERE op IN ({STICKY});
CREATE INDEX {{s}}.{MENTIONS}_key ON {MENTIONS} (entity, code, lo, seq, n, settle, hi) WHERE code IS NOT NULL;
CREATE TABLE {{s}}.{KEYS} (channel TEXT NOT NULL, key TEXT NOT NULL, width INTEGER, seen INTEGER, PRIMARY KEY (key, channel)) WITHOUT ROWID"""),
}
# Each key's widest window of a change (`settle - lo`) and of an observation (`hi - lo`; NULL: it has
# none), once the mentions part holds every version: how far back from T a reader must look. (The keys'
# index ends with `hi` so that this reads it alone, in its order: 0.15 s at 1M against 0.29 s sorting
# the table's rows, for 0.03 s more building the index.)
def keys_sql(where: str = "1", *, merge: bool = False) -> str:
    """The keys' rows, of the mentions `where` selects (every one by default); `merge`: into a table that
    has rows already, each key's width the widest of its row's and the mentions'. (A `where` on the
    rowid reads the table by rowid: NOT INDEXED keeps SQLite from walking an index of every keyed row.)
    Each key's widths by code first, in the index's order, then by channel: a few rows a key."""
    by_code = (f"SELECT entity, code, max(CASE WHEN {CODE_KIND} = {KINDS.index(CHANGED)} THEN settle - lo END) AS width, "
               f"max(CASE WHEN {CODE_KIND} = {KINDS.index(OBSERVED)} THEN hi - lo END) AS seen FROM {MENTIONS}{' NOT INDEXED' if merge else ''} "
               f"WHERE code IS NOT NULL AND {where} GROUP BY entity, code")
    channel = f"CASE {CODE_CHANNEL} " + " ".join(f"WHEN {i} THEN '{name}'" for i, name in enumerate(CHANNEL_NAMES)) + " END"
    rows = f"SELECT {channel}, entity, max(width), max(seen) FROM ({by_code}) WHERE 1 GROUP BY entity, {CODE_CHANNEL}"
    if not merge:
        return f"INSERT INTO {KEYS} {rows}"
    wider = "CASE WHEN {0} IS NULL THEN excluded.{0} WHEN excluded.{0} IS NULL THEN {0} ELSE max({0}, excluded.{0}) END"
    return (f"INSERT INTO {KEYS} {rows} ON CONFLICT (key, channel) DO UPDATE SET "
            f"width = {wider.format('width')}, seen = {wider.format('seen')}")
# Every table a cache has had (those of older formats too, which a rebuild drops from a log that kept them).
TABLES = (META, FACTS, ENTITIES, "proj_meta_mentions", MENTIONS, KEYS, "proj_effects", REFS)


def statements(sql: str, schema: str) -> list[str]:
    return [s.format(s=schema) for s in sql.strip().split(";\n") if s.strip()]


@functools.cache
def format_id() -> str:
    """The format a cache's meta names: FORMAT, and a digest of what its rows and indexes are made by
    (its tables and indexes, which name event types and channels by code, and the SQL derived from the
    rules). A Chrono whose event types or rules differ from the one that wrote a cache rebuilds it,
    rather than read indexes its queries no longer name or miss what a new field names."""
    from . import derived  # (which builds on these tables)

    made_by = repr((PARTS, derived.made_by())).encode()
    return f"{FORMAT}-{hashlib.sha256(made_by).hexdigest()[:12]}"
