"""The few facts the cache resolves version by version: those a correction or retraction names (a
chain of any depth), those ordering constraints narrow, and those an older schema wrote. Every other
fact has one version, its log row, and costs the rebuild no Python at all.

Each such fact's own row is replaced with its versions over recorded time (`Writer`), worked out by
`resolve` and `narrow` (the truth) — or, for a fact with exactly one correction or retraction and
nothing else to it, read off the two log rows by the same rule (`resolve.superseded`) without
building either: most corrected facts are such, and building them took most of a rebuild's Python.
"""

from __future__ import annotations

import functools
import itertools
from collections import defaultdict

import attrs

from chrono import codec
from chrono.store import NO_LINKS, Head, Log, entry_from_row
from events import REGISTRY, EventCorrected, EventRetracted

from ..resolve import Fact, narrow, resolve, superseded
from .derived import CURRENT
from .read import chunks
from .schema import FACT_COLUMNS, FACTS, NEVER


def find_resolved(conn) -> tuple[dict[str, dict], list[int]]:
    """What the facts part resolves version by version besides the correction chains (into
    `temp.chrono_roots`, each correction under the fact at its chain's root): the links of the facts
    with ordering constraints, and the positions of the facts an older schema wrote (found in the
    facts part's narrow rows, not the log's wide ones), for `resolve_the_few`."""
    # (The few by the target index; asked for their ids as well, SQLite would read the whole log.)
    target_of = dict(conn.execute("SELECT e.id, e.target FROM (SELECT seq FROM events WHERE target IS NOT NULL) AS t "
                                  "CROSS JOIN events AS e ON e.seq = t.seq"))
    roots = []
    for correction in target_of:
        root, steps = target_of[correction], 0
        while root in target_of and steps <= len(target_of):  # a correction of a correction: up to the fact
            root, steps = target_of[root], steps + 1
        roots.append((correction, root))
    set_roots(conn, roots)
    linked: dict[str, dict] = {}
    old: list[int] = []
    for seq, fact_id, links, current in conn.execute(
            f"SELECT seq, id, links, ({CURRENT}) FROM {FACTS} WHERE links IS NOT NULL OR NOT ({CURRENT})"):
        if not current:
            old.append(seq)
        if links is not None:
            linked[fact_id] = codec.loads(links)
    return linked, old



def link_groups(linked: dict[str, dict]) -> list[list[str]]:
    """The groups of facts that ordering constraints connect (`linked`: each fact's links), each
    narrowed together (`resolve.narrow`); a fact without constraints is in none."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for event_id, link in linked.items():
        for other in (*link["after"], *link["before"]):
            parent[find(other)] = find(event_id)
    groups: dict[str, list[str]] = defaultdict(list)
    for member in parent:
        groups[find(member)].append(member)
    return list(groups.values())


def set_roots(conn, roots: list[tuple[str, str]]) -> None:
    """The corrections to resolve, each under the fact at its chain's root (`temp.chrono_roots`)."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS chrono_roots (id TEXT PRIMARY KEY, root TEXT NOT NULL)")
    conn.execute("DELETE FROM chrono_roots")
    conn.executemany("INSERT INTO chrono_roots VALUES (?, ?)", roots)
    # (By id in the log, which has the index: the facts part has none yet.)
    conn.execute("DELETE FROM chrono_roots WHERE NOT EXISTS (SELECT 1 FROM events AS e WHERE e.id = chrono_roots.root AND e.target IS NULL)")


def resolve_the_few(log: Log, linked: dict[str, dict], old: list[int], head: Head, *, in_place: bool = False) -> None:
    """Replace the rows of facts that corrections (each chain's root in `temp.chrono_roots`), ordering
    constraints (`linked`: each fact's links) or an older schema (`old`: their positions) touch with
    their versions (`Writer`; `in_place`: a catch-up's, see there). Streams: memory grows with one
    correction chain, not with the log."""
    conn = log.conn
    # Ordering constraints first: their groups are narrowed together, so their members' versions wait.
    groups = link_groups(linked)
    members = {m for group in groups for m in group}
    waiting: dict[str, list[tuple[int, int, Fact | None]]] = {}
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS chrono_replaced (id TEXT PRIMARY KEY) WITHOUT ROWID")
    conn.execute("DELETE FROM temp.chrono_replaced")
    out = Writer(conn, head, in_place=in_place)

    def settle(fact_id: str, spans: list[tuple[int, int, Fact | None]]) -> None:
        if fact_id in members:
            waiting[fact_id] = spans
        else:
            out.replace(fact_id, spans)

    # Every version of each corrected fact, by the recorded positions where it changed: one chain
    # (the fact, its corrections, their corrections) at a time, in root order.
    columns = log.columns("e")
    # Each chain's fact first (it precedes its corrections in the log), then its corrections.
    rows = conn.execute(f"SELECT r.root, {columns} FROM (SELECT id, root FROM chrono_roots UNION SELECT root, root FROM chrono_roots) AS r "
                        "JOIN events AS e ON e.id = r.id ORDER BY r.root, e.seq")
    for target_id, group in itertools.groupby(rows, key=lambda row: row[0]):
        first = next(group)
        group = list(group)
        if target_id not in members and len(group) == 1 and (versions := one_step(first[1:], group[0][1:])) is not None:
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
    rows = (row for chunk in chunks(old) for row in conn.execute(
        f"SELECT {log.columns()} FROM events WHERE seq IN ({', '.join('?' * len(chunk))}) AND id NOT IN (SELECT root FROM chrono_roots)", chunk
    ).fetchall())
    for row in rows:
        e = entry_from_row(row)
        settle(e.id, [(e.seq, NEVER, resolve([e]).facts[0])])

    # Ordering constraints: narrow each connected group at every position where one of it changed.
    for group_members in groups:
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
def replacement_shape(type_name: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """The keys of a replacement of this type as Chrono writes it, and the fields whose values a
    reader turns into floats (JSON keeps 1 and 1.0 apart). Made on first use: only a rebuild needs it."""
    fields = attrs.fields(REGISTRY[type_name])
    return frozenset(["type", *(a.name for a in fields)]), tuple(a.name for a in fields if a.metadata.get("form") == "number")


def one_step(fact: tuple, change: tuple) -> list[tuple] | None:
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
    if c_type == EventRetracted.type_name:
        return [own]
    if c_type != EventCorrected.type_name:
        return None
    replacement = codec.loads(c_body).get("replacement")
    new_type = replacement.get("type") if type(replacement) is dict else None
    cls = REGISTRY.get(new_type) if type(new_type) is str else None
    if cls is None or cls.correction:
        return None
    keys, numbers = replacement_shape(new_type)
    if replacement.keys() != keys:
        return None  # (a payload missing a field, or saying its version: read it as resolve does)
    if any(type(replacement[name]) is not float and replacement[name] is not None for name in numbers):
        return None
    del replacement["type"]
    # The rule `resolve` follows, on the columns as stored: sources NULL read the fact's own from the log.
    body, (v_lo, v_hi, v_meta), sources = superseded(None, codec.canonical(replacement), (c_lo, c_hi, c_meta),
                                                     None if c_sources == "[]" else c_sources)
    return [own, (seq, fact_id, c_seq, NEVER, new_type, cls.version, v_lo, v_hi, v_lo, v_hi, v_meta, body, sources, None, codec.canonical([c_id]))]


class Writer:
    """Replaces a fact's own cache row with its versions, in batches, and lists the facts it replaced
    (`temp.chrono_replaced`). A fact's own row is the row at its log position (`build._build_facts`); the
    versions go after the head's, so they are the rows past it (`build._versions_steps`), and no index is
    needed before the last row is written. `in_place`: for a catch-up (`catchup`), which removes
    every row of a fact it resolves beforehand and adds the versions to a cache that has its indexes
    (each in the next free rowid: the rows past the head are taken)."""

    def __init__(self, conn, head: Head, *, in_place: bool = False):
        self.conn = conn
        self.in_place = in_place
        self.ids: list[tuple[str]] = []
        self.rows: list[tuple] = []
        self.rowid = head.seq

    def replace(self, fact_id: str, spans: list[tuple[int, int, Fact | None]]) -> None:
        self.replace_rows(fact_id, [version_row(f, a, b) for a, b, f in merged(spans) if f is not None])

    def replace_rows(self, fact_id: str, rows: list[tuple]) -> None:
        self.ids.append((fact_id,))
        self.rows.extend(rows)
        if len(self.ids) >= 1000:
            self.flush()

    def flush(self) -> None:
        if not self.in_place:
            self.conn.executemany(f"DELETE FROM {FACTS} WHERE rowid = (SELECT seq FROM events WHERE id = ?)", self.ids)
        # (Its key refuses a fact replaced twice, whose first versions would stay: only its own row is removed.)
        self.conn.executemany("INSERT INTO temp.chrono_replaced (id) VALUES (?)", self.ids)
        if self.in_place:
            self.conn.executemany(f"INSERT INTO {FACTS} ({FACT_COLUMNS}) VALUES ({', '.join('?' * 15)})", self.rows)
        else:
            first, self.rowid = self.rowid + 1, self.rowid + len(self.rows)
            self.conn.executemany(f"INSERT INTO {FACTS} (rowid, {FACT_COLUMNS}) VALUES ({', '.join('?' * 16)})",
                                  [(rowid, *row) for rowid, row in enumerate(self.rows, first)])
        self.ids, self.rows = [], []


def merged(spans: list[tuple[int, int, Fact | None]]) -> list[tuple[int, int, Fact | None]]:
    out: list[list] = []
    for a, b, f in spans:
        if out and out[-1][2] == f and out[-1][1] == a:
            out[-1][1] = b
        else:
            out.append([a, b, f])
    return [tuple(x) for x in out]


def version_row(f: Fact, seq_from: int, seq_to: int) -> tuple:
    v = f.valid
    return (
        f.seq, f.id, seq_from, seq_to, f.type_name, f.event.version, f.lo, f.hi, v.lo if v else None, v.hi if v else None,
        codec.valid_meta(v), codec.canonical(codec.unstructure_event(f.event)),
        codec.canonical(codec.unstructure_sources(f.sources)),
        codec.canonical({"after": list(f.after), "before": list(f.before)}), codec.canonical(list(f.via)),
    )

