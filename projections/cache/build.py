"""Rebuilding a log's cache: every version of every fact, its mentions and the gazetteer, from the log
alone, and knowing when the cache on disk is the log's (`is_fresh`).

Beside a log in a file, each part (`schema.PARTS`) is written to a new file of its own without a
journal (it is derived: a crash leaves a stray temporary file, never a damaged cache), the mentions part
of a large log by a second process (`helper`, started here and fed its steps) while this one writes
the facts part, and each new file is moved over the old one when both are complete. An in-memory
log's cache is rebuilt inside it. Rebuilding is mostly SQL (`derived`): a fact nobody corrected and
no ordering constraint touches has one version, its log row; only the few others are worked out in
Python (`versions`).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable

from chrono.errors import StorageError
from chrono.store import NO_LINKS, Head, Log, bulk

from . import helper
from .derived import ENTITIES_SQL, mentions_sql, own_rows, spec_steps, corrected
from .schema import FACTS, MENTIONS, NEVER, PARTS, SCAN_ROWS, TABLES, format_id, keys_sql, statements
from .versions import find_resolved, resolve_the_few

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
    return heads(log.conn)


def heads(conn) -> Head | None:
    """`built_from`, of the parts attached to `conn` as they are."""
    found = set()
    for meta_table, _tables, _indexes in PARTS.values():
        try:
            meta = dict(conn.execute(f"SELECT key, value FROM {meta_table}").fetchall())
        except sqlite3.DatabaseError:  # no cache yet, or a damaged file: rebuilt, never read
            return None
        if "seq" not in meta or meta.get("format") != format_id():
            return None
        found.add((int(meta["seq"]), meta["hash"]))
    if len(found) != 1:
        return None
    ((seq, hash_),) = found
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
    """Replay the whole log into its cache (as the module says); returns how many facts stand now. The
    log's own file holds nothing derived, and no page is written twice; an in-memory log's cache is
    rebuilt inside it, part after part, in one transaction."""
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
# they take turns on the cores and both run slower than with none: docs/performance.md, "Sort threads
# shared"), until the facts part is done: the helper's last indexes then sort on all of them.
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
        helper.run(conn, _mentions_steps(head, None, None))
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
    for table in TABLES:
        log.conn.execute(f"DROP TABLE IF EXISTS main.{table}")
    return head


def _rebuild_beside(log: Log, progress: Callable[[int], None] | None) -> int:
    conn = log.conn
    for name in ATTACHED.values():
        _detach(conn, name)
    tmp = {part: f"{path_of(log, part)}.{os.getpid()}.tmp" for part in PARTS}
    listed_tmp = f"{path_of(log)}-listed.{os.getpid()}.tmp"
    _remove_strays(log)
    for path in (*tmp.values(), listed_tmp):
        _remove(path)
    child: subprocess.Popen | None = None
    flush = helper.Flush(tmp["facts"])  # (each part's file is flushed to disk behind its steps)
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
        child = _helper(log, steps, tmp["mentions"]) if parallel else None

        def tell(word: str) -> None:
            try:
                assert child is not None and child.stdin is not None
                child.stdin.write(f"{word}\n".encode())
                child.stdin.flush()
            except OSError:  # it has stopped: what it says when it is waited for explains why
                pass

        def listed() -> None:
            conn.execute("COMMIT")
            conn.execute(f"DETACH DATABASE {_LISTED}")
            tell("go")
            conn.execute("BEGIN")  # the rest writes only the new file

        standing = _build_facts(log, _BUILDING, head, progress, into=_LISTED if child else "temp", listed=listed if child else None,
                                between=flush.behind)
        if child is not None:
            tell("alone")  # its last indexes may sort on every core
        conn.execute("COMMIT")
        conn.execute(f"DETACH DATABASE {_BUILDING}")
        _detach(conn, _LISTED)
        flush.finish()
        if child is None:
            flush = helper.Flush(tmp["mentions"])
            helper.run(conn, steps, before=flush.behind)
            flush.finish()
        else:  # (which flushes its file itself)
            out, err = (text.decode(errors="replace") for text in child.communicate())
            if child.returncode != 0 or out.strip() != "done":
                why = (err.strip().splitlines() or [f"exit status {child.returncode}"])[-1]
                raise StorageError(f"could not build the cache beside {log.path}: {why}")
        for part in ("mentions", "facts"):  # on disk (above), then in place of the old
            os.replace(tmp[part], path_of(log, part))
    except BaseException:
        if child is not None and child.poll() is None:
            child.kill()
            child.communicate()
        flush.close()
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


_PARALLEL_FROM = 5_000  # log entries: below this, a second process costs more than it saves


def _parallel(head: Head) -> bool:
    """Whether a helper process builds the mentions part: for a log large enough to be worth one, on
    a machine with a second core."""
    return head.seq >= _PARALLEL_FROM and (os.cpu_count() or 1) >= 2 and bool(sys.executable)


def _helper(log: Log, steps: list, sync: str) -> subprocess.Popen:
    """A process that builds the mentions part (into the file `sync`, which it flushes to disk) while
    this one builds the facts part."""
    # (-S: it needs no site packages, and starts in half the time without them.)
    child = subprocess.Popen([sys.executable, "-S", helper.__file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    assert child.stdin is not None
    child.stdin.write(helper.job_message({"log": os.path.abspath(log.path), "steps": steps, "sync": sync, "threads": _THREADS}))
    child.stdin.flush()
    return child


def _mentions_steps(head: Head, tmp: str | None, listed_tmp: str | None) -> list:
    """The mentions part's build as steps (`helper`), for this process or a helper: every
    fact's own row, straight from the log; then, once the facts part has listed the facts it resolves
    version by version and their versions (`_versions_steps`), those in place of their own rows, the
    indexes, the widths of the keys and the meta. Into the file `tmp` (None: the log's own database,
    for an in-memory log), reading the list from the file `listed_tmp` (None: from `temp`, where the
    facts part leaves it when both are built by one connection)."""
    name = "main" if tmp is None else f"{_BUILDING}_mentions"
    meta_table, tables, indexes = PARTS["mentions"]

    def sql(text: str, params=None) -> list:
        return [text, params, False]

    into = [] if tmp is None else [sql(f"ATTACH DATABASE ? AS {name}", [tmp]), *(sql(p) for p in _build_pragmas(name))]
    listed = "temp" if listed_tmp is None else _LISTED
    versions = ([], []) if listed_tmp is None else ([sql(f"ATTACH DATABASE ? AS {_LISTED}", [listed_tmp])],
                                                    [sql(f"DETACH DATABASE {_LISTED}")])
    return [
        # (In one process the facts part has made the spec's table already.)
        *into, sql(f"PRAGMA threads = {_THREADS if listed_tmp is None else _THREADS_SHARED}"), *(spec_steps() if listed_tmp else []),
        sql("BEGIN"), *(sql(t) for t in statements(tables, name)), sql(mentions_sql(own_rows(head.seq), keyed=True)), sql("COMMIT"),
        helper.WAIT,
        # (A scan of every mention, so only when one is listed: most logs have none.)
        *versions[0], sql("BEGIN"), sql(f"DELETE FROM {MENTIONS} WHERE EXISTS (SELECT 1 FROM {listed}.chrono_replaced_at) "
                                        f"AND seq IN (SELECT seq FROM {listed}.chrono_replaced_at)"),
        sql(mentions_sql(f"{listed}.chrono_versions", keyed=True)), sql("COMMIT"), *versions[1],
        sql("BEGIN"), *(sql(t) for t in statements(indexes, name)), sql(keys_sql()), *_meta_steps(name, meta_table, head), sql("COMMIT"),
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
         f"WHERE e.id NOT IN {corrected(head.seq)}", None, False],  # (CROSS: the few, each by the id index; not every id)
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
            [f"INSERT INTO {schema}.{meta_table} (key, value) VALUES (?, ?)", [["seq", str(head.seq)], ["hash", head.hash], ["format", format_id()]], True]]




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
                 into: str = "temp", listed: Callable[[], None] | None = None, between: Callable[[], None] = lambda: None) -> int:
    """The facts part: every fact's own row, the few resolved version by version, the gazetteer, the
    entities named by facts of the types that have no keyed effects. The few and their versions are
    listed for the mentions part in `into` (`_versions_steps`); then `listed` runs. `between` runs
    after each step that writes much."""
    conn = log.conn
    for statement in statements(PARTS["facts"][1], schema):
        conn.execute(statement)
    facts = conn.execute(
        f"INSERT INTO {FACTS} (rowid, seq, id, seq_from, seq_to, type, version, lo, hi, links) "
        f"SELECT seq, seq, id, seq, {NEVER}, type, version, valid_lo, valid_hi, nullif(links, ?) FROM events WHERE seq <= ? AND +target IS NULL",  # (`own_rows`)
        (NO_LINKS, head.seq),
    ).rowcount
    between()
    linked, old = find_resolved(conn)
    if progress:
        progress(head.seq // 2)
    resolve_the_few(log, linked, old, head)
    helper.run(conn, _versions_steps(into, head))
    # Every fact had one row that stands; each of the few replaced has the versions listed instead.
    (replaced,) = conn.execute("SELECT count(*) FROM temp.chrono_replaced").fetchone()
    (standing,) = conn.execute(f"SELECT count(*) FROM {into}.chrono_versions WHERE seq_to = {NEVER}").fetchone()
    standing += facts - replaced
    if listed:
        listed()
    conn.execute(ENTITIES_SQL)
    helper.run(conn, spec_steps())
    conn.execute(mentions_sql(SCAN_ROWS, keyed=False))
    between()
    for statement in statements(PARTS["facts"][2], schema):
        conn.execute(statement)
        between()
    helper.run(conn, _meta_steps(schema, PARTS["facts"][0], head))
    return standing


