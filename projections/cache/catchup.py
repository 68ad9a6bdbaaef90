"""Catching a cache up with its log by position: only the entries past the head it was built from.

Recorded time only grows, so nothing a cache says about an earlier position ever changes: new entries
only add versions of facts and close the versions they replace. A new fact that nothing corrects or
orders adds its own row, its mentions and (a description) its gazetteer row. A correction or
retraction, or a fact in a group that ordering constraints connect, changes the versions of a few
facts — its chain's fact, or its whole group — from its position on: those few are worked out again
whole, by the same code as in a rebuild (`versions.resolve_the_few`), their old rows removed and the
new put in their place, so a cache caught up batch by batch holds what a rebuild would (a property
test holds the two equal).

One transaction, which holds the log's write lock: two readers catching up take turns, and the
second finds nothing left to do. The cache's two parts are separate files, each committed whole; a
crash between them leaves parts at different heads, which `build.built_from` refuses, so the next
read rebuilds. A cache of another format, or one the log does not extend, is rebuilt, never caught up.
"""

from __future__ import annotations

import contextlib

from chrono import codec
from chrono.store import NO_LINKS, Head, Log

from . import helper
from .build import ATTACHED, built_from, heads, path_of
from .derived import CURRENT, entities_sql, mentions_sql, own_rows, spec_steps
from .schema import ENTITIES, FACT_ROWS, FACTS, MENTIONS, NEVER, PARTS, REFS, keys_sql
from .versions import chain_root, link_groups, resolve_the_few, set_roots

# The temporary tables a catch-up works with: the facts it resolves again, every fact whose rows it
# writes (those and the new ones), and the mentions of the first that go.
_AGAIN, _WRITTEN, _GONE, _GONE_REFS = "temp.chrono_again", "temp.chrono_written", "temp.chrono_gone", "temp.chrono_gone_refs"


def catch_up(log: Log) -> bool:
    """Bring the cache up to the log's head by applying the entries past the head it records; False
    when it cannot (no cache of this format, parts at different heads, or a log that is not the one it
    was built from), and the caller rebuilds it."""
    # (built_from attaches the parts beside a log in a file: no ATTACH inside the transaction.)
    if _behind(log, built_from(log)) is None:
        return False
    conn = log.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        # (Again, holding the lock: another process may have caught it up, or rebuilt it, meanwhile.)
        built = _behind(log, heads(conn))
        if built is None:
            conn.execute("ROLLBACK")
            return False
        head = log.head()
        if built.seq < head.seq:
            with _pages(log):
                _apply(log, built.seq, head)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return True


# Of pages each part of the cache may keep in memory while it is caught up (KiB; SQLite's default is
# 2 MiB): the new rows go into indexes of every row, at places all over them.
_PAGES_KB = 65_536


@contextlib.contextmanager
def _pages(log: Log):
    schemas = list(ATTACHED.values()) if path_of(log) else ["main"]
    before = {s: log.conn.execute(f"PRAGMA {s}.cache_size").fetchone()[0] for s in schemas}
    for s in schemas:
        log.conn.execute(f"PRAGMA {s}.cache_size = {-_PAGES_KB}")
    try:
        yield
    finally:
        for s, size in before.items():
            log.conn.execute(f"PRAGMA {s}.cache_size = {int(size)}")


def _behind(log: Log, built: Head | None) -> Head | None:
    """`built`, the head the cache was built from, when the log extends it (its entry there has that hash)."""
    if built is None or built.seq == 0:
        return built
    row = log.conn.execute("SELECT hash FROM events WHERE seq = ?", (built.seq,)).fetchone()
    return built if row is not None and row[0] == built.hash else None


def _apply(log: Log, after: int, head: Head) -> None:
    conn = log.conn
    last = head.seq
    helper.run(conn, spec_steps())
    again, linked, old = _to_resolve(log, after, last)
    for table, ids in ((_AGAIN, again), (_WRITTEN, again)):
        conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY) WITHOUT ROWID")
        conn.execute(f"DELETE FROM {table}")
        conn.executemany(f"INSERT INTO {table} VALUES (?)", [(i,) for i in ids])
    conn.execute(f"INSERT OR IGNORE INTO {_WRITTEN} SELECT id FROM events WHERE seq > ? AND seq <= ? AND target IS NULL", (after, last))

    # The rows of the facts resolved again go: worked out from their versions as they stand, as they
    # were written, and found by the indexes (that of the keyed mentions leads with entity, code (channel
    # and kind), window start and position; the others with entity, window start and position).
    versions = (f"(SELECT f.seq AS seq, f.id AS id, f.seq_from AS seq_from, f.seq_to AS seq_to, f.type AS type, f.lo AS lo, "
                f"f.hi AS hi, coalesce(f.body, e.body) AS body, f.body IS NULL AS own FROM {FACTS} AS f JOIN events AS e "
                f"ON e.seq = f.seq WHERE f.id IN (SELECT id FROM {_AGAIN}))")
    for gone, table in ((_GONE, MENTIONS), (_GONE_REFS, REFS)):
        conn.execute(f"DROP TABLE IF EXISTS {gone}")
        conn.execute(f"CREATE TABLE {gone} AS SELECT * FROM {table} WHERE 0")
    conn.execute(mentions_sql(versions, keyed=True, into=_GONE))
    conn.execute(mentions_sql(f"(SELECT * FROM {FACT_ROWS} AS w WHERE w.id IN (SELECT id FROM {_AGAIN}))", keyed=False, into=_GONE_REFS))
    same = "m.entity = g.entity AND m.lo = g.lo AND m.seq = g.seq AND m.fact = g.fact AND m.seq_from = g.seq_from"
    conn.execute(f"DELETE FROM {MENTIONS} WHERE code IS NULL AND rowid IN (SELECT m.rowid FROM {_GONE} AS g CROSS JOIN {MENTIONS} AS m "
                 f"WHERE g.code IS NULL AND m.code IS NULL AND {same})")
    conn.execute(f"DELETE FROM {MENTIONS} WHERE code IS NOT NULL AND rowid IN (SELECT m.rowid FROM {_GONE} AS g CROSS JOIN {MENTIONS} AS m "
                 f"WHERE g.code IS NOT NULL AND m.code = g.code AND {same})")
    conn.execute(f"DELETE FROM {REFS} WHERE rowid IN (SELECT m.rowid FROM {_GONE_REFS} AS g CROSS JOIN {REFS} AS m WHERE {same})")
    conn.execute(f"DELETE FROM {ENTITIES} WHERE fact IN (SELECT id FROM {_AGAIN})")  # (descriptions: a small table)
    conn.execute(f"DELETE FROM {FACTS} WHERE id IN (SELECT id FROM {_AGAIN})")

    # The new facts' own rows, then the versions of those resolved again (as a rebuild writes them).
    conn.execute(
        f"INSERT INTO {FACTS} (seq, id, seq_from, seq_to, type, version, lo, hi, links) "
        f"SELECT seq, id, seq, {NEVER}, type, version, valid_lo, valid_hi, nullif(links, ?) FROM events "
        f"WHERE seq > ? AND seq <= ? AND target IS NULL AND id NOT IN (SELECT id FROM {_AGAIN})",
        (NO_LINKS, after, last),
    )
    resolve_the_few(log, linked, old, head, in_place=True)

    (mentioned,) = conn.execute(f"SELECT coalesce(max(rowid), 0) FROM {MENTIONS}").fetchone()
    conn.execute(mentions_sql(own_rows(last, after=after, but=_AGAIN), keyed=True))
    conn.execute(mentions_sql(versions, keyed=True))
    written = f"(SELECT * FROM {FACT_ROWS} AS w WHERE w.id IN (SELECT id FROM {_WRITTEN}))"
    conn.execute(mentions_sql(written, keyed=False))
    conn.execute(entities_sql(written))

    # The widths of the keys the new rows touch. A width is the widest window of any of a key's rows,
    # and the rows that went are among those that came (what a cache said of an earlier position never
    # changes), so the widest of the old width and the new rows' is the key's.
    conn.execute(keys_sql(f"rowid > {int(mentioned)}", merge=True))

    for meta_table, _tables, _indexes in PARTS.values():
        conn.executemany(f"UPDATE {meta_table} SET value = ? WHERE key = ?", [(str(last), "seq"), (head.hash, "hash")])


def _to_resolve(log: Log, after: int, last: int) -> tuple[set[str], dict[str, dict], list[int]]:
    """What the entries past `after` make the cache resolve again, whole, as a rebuild resolves them:
    (the ids of those facts, the links of the groups of them that ordering constraints connect, the
    positions of the new facts an older schema wrote); the chains of corrections under them are left
    in `temp.chrono_roots` (`versions.set_roots`)."""
    conn = log.conn
    def target_of(event_id: str) -> str | None:
        row = conn.execute("SELECT target FROM events WHERE id = ?", (event_id,)).fetchone()
        return row[0] if row else None

    roots = {chain_root(target, target_of) for (target,) in conn.execute(
        "SELECT target FROM events WHERE seq > ? AND seq <= ? AND target IS NOT NULL", (after, last)).fetchall()}
    # Every fact with ordering constraints (few: the facts part finds them by an index of their own),
    # and the new ones: the groups they form are resolved whole when anything in them changes.
    linked: dict[str, dict] = {}
    for fact_id, links in conn.execute(f"SELECT id, links FROM {FACTS} WHERE links IS NOT NULL").fetchall():
        linked.setdefault(fact_id, codec.loads(links))
    new_linked = conn.execute("SELECT id, links FROM events WHERE seq > ? AND seq <= ? AND target IS NULL AND links != ?",
                              (after, last, NO_LINKS)).fetchall()
    for fact_id, links in new_linked:
        linked[fact_id] = codec.loads(links)
    touched = roots | {fact_id for fact_id, _links in new_linked}
    members = {m for g in link_groups(linked) if touched.intersection(g) for m in g}
    chained = roots | members
    # Facts an older schema wrote (an import of an older log): the cache holds them upcast.
    old = [(seq, fact_id) for seq, fact_id in conn.execute(
        f"SELECT seq, id FROM events WHERE seq > ? AND seq <= ? AND target IS NULL AND NOT {CURRENT}", (after, last)).fetchall()
        if fact_id not in chained]
    # Every correction under each fact resolved again, to any depth.
    chains = []
    for root in chained:
        below = [root]
        while below:
            found = conn.execute(f"SELECT id FROM events WHERE target IN ({', '.join('?' * len(below))})", below).fetchall()
            below = [c for (c,) in found]
            chains += [(c, root) for c in below]
    set_roots(conn, chains)
    return chained | {fact_id for _seq, fact_id in old}, {k: v for k, v in linked.items() if k in members}, [seq for seq, _id in old]
