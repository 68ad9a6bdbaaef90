"""Materialized read model: the facts as known now, resolved and narrowed, indexed by valid time.

A cache, never the truth: it records the log head it was built from, is rebuilt by `chrono replay`
(or on the next read when the log has moved on), and the property tests hold it equal to the fold.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from chrono import codec
from chrono.store import Head, Log

from .resolve import Fact, resolve

FACTS = "proj_facts"
META = "proj_meta"


def _schema(db: sqlite_utils.Database) -> None:
    if FACTS not in db.table_names():
        db[FACTS].create(
            {"seq": int, "id": str, "type": str, "version": int, "lo": int, "hi": int, "valid_lo": int, "valid_hi": int,
             "valid_meta": str, "body": str, "sources": str, "links": str, "via": str},
            pk="seq",
        )
        db[FACTS].create_index(["lo", "seq"])
        db[FACTS].create_index(["id"], unique=True)
    if META not in db.table_names():
        db[META].create({"key": str, "value": str}, pk="key")


def built_from(log: Log) -> Head | None:
    db = sqlite_utils.Database(log.conn)
    if META not in db.table_names():
        return None
    meta = dict(log.conn.execute(f"SELECT key, value FROM {META}").fetchall())
    if "seq" not in meta:
        return None
    return Head(int(meta["seq"]), meta["hash"], None)


def is_fresh(log: Log) -> bool:
    built = built_from(log)
    head = log.head()
    return built is not None and (built.seq, built.hash) == (head.seq, head.hash)


def rebuild(log: Log, *, progress: Callable[[int], None] | None = None) -> int:
    """Replay the whole log into the cache in one transaction; returns the number of facts."""
    conn = log.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        head = log.head()
        entries = []
        for i, e in enumerate(log.entries(), 1):
            entries.append(e)
            if progress and i % 1000 == 0:
                progress(i)
        resolution = resolve(entries)
        db = sqlite_utils.Database(conn)
        _schema(db)
        conn.execute(f"DELETE FROM {FACTS}")
        conn.executemany(
            f"INSERT INTO {FACTS} (seq, id, type, version, lo, hi, valid_lo, valid_hi, valid_meta, body, sources, links, via) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_row(f) for f in resolution.facts],
        )
        conn.execute(f"DELETE FROM {META}")
        conn.executemany(f"INSERT INTO {META} (key, value) VALUES (?, ?)", [("seq", str(head.seq)), ("hash", head.hash)])
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # SQLite may already have rolled back (a full disk, say)
            conn.execute("ROLLBACK")
        raise
    if progress:
        progress(len(entries))
    return len(resolution.facts)


def _row(f: Fact) -> tuple:
    v = f.valid
    return (
        f.seq, f.id, f.type_name, f.event.version, f.lo, f.hi, v.lo if v else None, v.hi if v else None,
        codec.valid_meta(v), codec.canonical(codec.unstructure_event(f.event)),
        codec.canonical(codec.unstructure_sources(f.sources)),
        codec.canonical({"after": list(f.after), "before": list(f.before)}), codec.canonical(list(f.via)),
    )


_COLS = "seq, id, type, version, lo, hi, valid_lo, valid_hi, valid_meta, body, sources, links, via"


def _fact(row) -> Fact:
    seq, fid, type_name, version, lo, hi, vlo, vhi, vmeta, body, sources, links, via = row
    link = codec.loads(links)
    return Fact(
        id=fid, seq=seq, event=codec.structure_event(type_name, version, codec.loads(body)),
        valid=codec.valid_from_columns(vlo, vhi, vmeta), sources=codec.structure_sources(codec.loads(sources)),
        after=tuple(link["after"]), before=tuple(link["before"]), via=tuple(codec.loads(via)), lo=lo, hi=hi,
    )


def facts_until(log: Log, at: int) -> list[Fact]:
    """Timed facts whose window starts by `at`, in valid-time order: an index range scan."""
    rows = log.conn.execute(f"SELECT {_COLS} FROM {FACTS} WHERE lo <= ? ORDER BY lo, seq", (at,))
    return [_fact(r) for r in rows]


def timeless_facts(log: Log) -> list[Fact]:
    rows = log.conn.execute(f"SELECT {_COLS} FROM {FACTS} WHERE lo IS NULL ORDER BY seq")
    return [_fact(r) for r in rows]


def all_facts(log: Log) -> list[Fact]:
    return [_fact(r) for r in log.conn.execute(f"SELECT {_COLS} FROM {FACTS} ORDER BY seq")]
