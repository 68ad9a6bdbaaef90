"""The SQL that reads the rules of the world (`projections.rules`) out of the stored JSON: each
type's keyed effects and their arguments, the entities its fields name, and what a description says.

Nothing here states a rule: every statement is generated from the declarations, so the cache's
effects are the fold's by construction (a property test holds them equal all the same).
"""

from __future__ import annotations

import sqlite3

import attrs

from chrono.codec import canonical
from events import REGISTRY, ref_fields

from ..rules import CHANGED, DESCRIPTIONS, ENDED, ENDS, OBSERVATION, OBSERVED, RULES, SETTLES, Arg, Const, Field, arg_fields
from .schema import ENTITIES, FACTS, MENTIONS, NEVER, REFS, SCAN_ROWS, code_of

# Which is the list index within an effect: `n` = the effect's place in its rule * N_STEP + the key's
# place in its list field, so a fact's effects on one key apply in the order the fold applies them.
N_STEP = 2**32


@attrs.frozen
class Spec:
    """One effect of one type, numbered (its `spec`, the index into EFFECTS), as the SQL reads it."""

    type: str
    key: str
    channel: str
    n: int
    op: str
    arg: Arg
    needs: str | None
    settles: str  # "lo" or "hi": the column of the window at which the effect settles
    kind: str  # a change, an observation, or (channel ENDS) an actor's end: `world.Step.kind`
    before: tuple[str, Arg] | None  # `rules.Effect.before`


def _effects() -> list[Spec]:
    out = []
    for type_name, rule in RULES.items():
        kind = OBSERVED if rule.settles == OBSERVATION else CHANGED
        for i, e in enumerate(rule.effects):
            out.append(Spec(type_name, e.key, e.channel, i * N_STEP, e.op, e.arg, e.needs, SETTLES[rule.settles], kind, e.before))
        if rule.ends is not None:
            # Found by the actor (channel ENDS); the op each channel it reaches applies is `rules.END_OPS`.
            n = len(rule.effects) * N_STEP
            out.append(Spec(type_name, rule.ends, ENDS, n, "end", Field(rule.ends), None, SETTLES[rule.settles], ENDED, None))
    keys = [(s.type, s.key) for s in out]
    if len(set(keys)) != len(keys):  # a mention row has one channel: one field, one effect
        raise AssertionError(f"a field is the key of two effects: {sorted(k for k in keys if keys.count(k) > 1)}")
    return out


EFFECTS = _effects()
KEYED_TYPES = sorted({s.type for s in EFFECTS})


def _needs() -> dict[str, str]:
    """Each type some of whose effects hold only when a field is set, and that field (one a type:
    whether a fact has it picks its fields' rows, `spec_steps`)."""
    needs: dict[str, set[str]] = {}
    for s in EFFECTS:
        if s.needs:
            needs.setdefault(s.type, set()).add(s.needs)
    if any(len(fields) > 1 for fields in needs.values()):
        raise AssertionError(f"effects of one type that need different fields: {needs}")
    return {t: field for t, (field,) in needs.items()}


NEEDS = _needs()


def types_in(types: list[str]) -> str:
    return ", ".join(f"'{t}'" for t in types)


# SQLite's `->` (3.38 and later) gives a field's JSON as stored; json_extract decodes a string and cuts
# it short at a NUL character (in JSON, \u0000), which free text, such as an order's, may hold.
_ARROW = sqlite3.sqlite_version_info >= (3, 38)


def json_of(arg: Arg, body: str) -> str:
    """SQL giving the JSON text of an op's argument (`rules.arg_value`) from the payload `body`."""
    if isinstance(arg, Field):
        if _ARROW:
            return f"coalesce({body} -> '$.{arg.name}', 'null')"
        return f"json_quote(json_extract({body}, '$.{arg.name}'))"
    if isinstance(arg, Const):
        text = canonical(list(arg.value) if isinstance(arg.value, tuple) else arg.value)
        return "json('" + text.replace("'", "''") + "')"
    return "json_array(" + ", ".join(f"json({json_of(a, body)})" for a in arg) + ")"


def ref_field_rows() -> dict[tuple[str, str], bool]:
    """(type, field) of every field by which a timed fact names an entity (`events.ref_fields`): whether
    it holds a list."""
    return {(type_name, name): many for type_name, cls in sorted(REGISTRY.items()) if not (cls.timeless or cls.correction)
            for name, _kind, many in ref_fields(cls)}


def spec_steps() -> list:
    """Steps (`helper.run`) making a temporary table of the fields by which each type's payload names
    entities, each as json_tree names the nodes that hold them: a field that holds one by its key, a
    list's items by their path, as the connection's SQLite writes it (it quotes some keys: `$."a_b"`);
    those that are keyed effects with their spec: its channel and kind (`schema.code_of`), n, op,
    when it settles and its index, each in the row with `holds` 1. Every field of a type whose
    effect needs a field (`NEEDS`) has a second row, `holds` 0, which a fact without the needed
    field joins instead (`mentions_sql`): the effect that needs it becomes a plain mention, the
    others stay as they are."""
    spec = {(s.type, s.key): (i, s) for i, s in enumerate(EFFECTS)}
    fields = ref_field_rows()
    if not set(spec) <= set(fields):  # a keyed effect is only found among the fields that name entities
        raise AssertionError(f"keyed effects in fields that name no entity: {sorted(set(spec) - set(fields))}")
    rows = []
    for (t, field), many in fields.items():
        i, s = spec.get((t, field), (None, None))
        effect = [None if s is None else code_of(s.channel, s.kind), s and s.n, s and s.op, s and s.settles, i]
        rows.append([t, many, field, field, 1, *effect])
        if t in NEEDS:  # (the row a fact without the field joins: the effect that needs it is a plain mention)
            rows.append([t, many, field, field, 0, *([None] * 5 if s is not None and s.needs else effect)])
    return [
        # (Dropped first: a connection may hold one of an older shape.)
        ["DROP TABLE IF EXISTS temp.chrono_mention_fields", None, False],
        ["CREATE TEMP TABLE chrono_mention_fields (type TEXT, field TEXT, holds INTEGER, code INTEGER, n INTEGER, op TEXT, "
         "settle TEXT, spec INTEGER, PRIMARY KEY (type, field, holds)) WITHOUT ROWID", None, False],
        ["INSERT INTO chrono_mention_fields SELECT ?, CASE WHEN ? THEN (SELECT j.path FROM json_tree(json_object(?, json_array(''))) AS j "
         "WHERE j.type = 'text') ELSE ? END, ?, ?, ?, ?, ?, ?", rows, True],
    ]


# Whether a fact has the field its type's effects need (1 for a type whose effects need none), by the
# fact's type: what picks a field's row in `chrono_mention_fields`.
_HOLDS = ("(CASE f.type " + " ".join(f"WHEN '{t}' THEN json_extract(f.body, '$.{field}') IS NOT NULL" for t, field in NEEDS.items())
          + " ELSE 1 END)")


def mentions_sql(source: str, *, keyed: bool, into: str | None = None) -> str:
    """Every entity each timed fact in `source` names, in one pass over the payloads, each parsed
    once: json_tree walks a payload's fields and the items of its lists, which the fields' rows name
    as it does (`spec_steps`: a field by its key, an item by its path). CROSS JOIN keeps SQLite from
    walking a payload once per field. `keyed`: of the facts whose types have keyed effects, into
    the mentions part, those that are keyed effects with their code (channel and kind), n, op, when
    they settle and their spec (the op's argument is read from the payload when asked for);
    otherwise of the other types' facts, into the facts part's `proj_refs`. `into`: another table of
    the same columns."""
    tree = ("FROM {source} AS f CROSS JOIN json_tree(f.body) AS j CROSS JOIN chrono_mention_fields AS m ON m.type = f.type "
            "AND m.field = CASE WHEN j.parent = 0 THEN j.key ELSE j.path END "
            "AND m.holds = {holds} "
            "WHERE f.lo IS NOT NULL AND j.type = 'text' AND f.type {test} ({types})").format(
                source=source, test="IN" if keyed else "NOT IN", types=types_in(KEYED_TYPES),
                holds=_HOLDS if keyed else 1)  # (the other types have no effects to need a field)
    if not keyed:
        return f"INSERT INTO {into or REFS} (entity, lo, seq, seq_from, seq_to, fact) SELECT j.value, f.lo, f.seq, f.seq_from, f.seq_to, f.id {tree}"
    # (The join picks the field's row with its effect or without one, so each column is read as it is;
    # a test of the effect in each of seven columns took the pass at 1M from 1.98 to 2.38 s.)
    return (
        f"INSERT INTO {into or MENTIONS} (entity, lo, hi, seq, seq_from, seq_to, fact, code, n, op, settle, spec, own) "
        f"SELECT j.value, f.lo, f.hi, f.seq, f.seq_from, f.seq_to, f.id, m.code, m.n + CASE WHEN j.parent = 0 THEN 0 ELSE j.key END, "
        f"m.op, CASE m.settle WHEN 'lo' THEN f.lo WHEN 'hi' THEN f.hi END, m.spec, CASE WHEN m.code IS NOT NULL THEN f.own END {tree}"
    )


# The keyed effects: the mentions that have a code (a channel and kind), each with its op's argument
# read out of the payload of the fact version that has it (`EFFECTS`). A version that is its log row's own (`own`:
# most) has its payload read straight from the log by position; only the others' are looked up among
# the facts, by id.
_VERSION_BODY = f"(CASE WHEN m.own THEN e.body ELSE (SELECT v.body FROM {FACTS} AS v WHERE v.id = m.fact AND v.seq_from = m.seq_from) END)"
def _before_json(before: tuple[str, Arg] | None, body: str) -> str:
    """SQL giving `[op, argument]` of what an effect says the key was before, or NULL (`rules.before_value`)."""
    if before is None:
        return "NULL"
    op, arg = before
    fields = " AND ".join(f"json_extract({body}, '$.{name}') IS NOT NULL" for name in arg_fields(arg)) or "1"
    return f"CASE WHEN {fields} THEN json_array('{op}', json({json_of(arg, body)})) END"


EFFECT_ROWS = (
    "(SELECT m.code AS code, m.entity AS key, m.lo AS lo, m.hi AS hi, m.settle AS settle, m.seq AS seq, m.n AS n, "
    "m.fact AS fact, m.seq_from AS seq_from, m.seq_to AS seq_to, m.op AS op, "
    f"CASE m.spec {' '.join(f'WHEN {i} THEN {json_of(s.arg, _VERSION_BODY)}' for i, s in enumerate(EFFECTS))} END AS arg, "
    f"CASE m.spec {' '.join(f'WHEN {i} THEN {_before_json(s.before, _VERSION_BODY)}' for i, s in enumerate(EFFECTS) if s.before)} ELSE NULL END AS before "
    f"FROM {MENTIONS} AS m JOIN events AS e ON e.seq = m.seq WHERE m.code IS NOT NULL)"
)

# Every description's entity, kind, name and the actor it belongs to, in one pass over the facts: what
# a document names its entities by, without reading their payloads (`read.names_of`). SQLite cuts a
# string short at a NUL character (in JSON, \u0000): the name of a payload holding one is left NULL,
# and read from the payload when asked for.
def entities_sql(source: str) -> str:
    """The gazetteer's rows of the descriptions among the fact versions in `source` (rows shaped as
    `schema.FACT_ROWS`'s)."""
    return (
        f"INSERT INTO {ENTITIES} (id, kind, name, actor, seq, fact, seq_from, seq_to) SELECT json_extract(f.body, CASE f.type "
        + " ".join(f"WHEN '{t}' THEN '$.{d.id_field}'" for t, d in DESCRIPTIONS.items())
        + " END), CASE f.type " + " ".join(f"WHEN '{t}' THEN '{d.kind}'" for t, d in DESCRIPTIONS.items())
        + " END, CASE WHEN instr(f.body, '\\u0000') THEN NULL ELSE json_extract(f.body, '$.name') END, "
        + "CASE f.type " + " ".join(f"WHEN '{t}' THEN json_extract(f.body, '$.{d.member_of}')" for t, d in DESCRIPTIONS.items() if d.member_of)
        + f" END, f.seq, f.id, f.seq_from, f.seq_to FROM {source} AS f WHERE f.type IN ({types_in(list(DESCRIPTIONS))})"
    )


ENTITIES_SQL = entities_sql(SCAN_ROWS)


def corrected(head: int) -> str:
    """The ids of the entries that a correction or retraction recorded by `head` names."""
    # (By the target index, which holds only corrections' and retractions' rows: `+` keeps SQLite
    # from reading the whole log by position instead.)
    return f"(SELECT t.target FROM events AS t WHERE t.target IS NOT NULL AND +t.seq <= {int(head)})"


def own_rows(head: int, after: int = 0, but: str | None = None) -> str:
    """Where the mentions pass reads facts first: every fact's own row, straight from the log (bounded
    by the head: a log's rows never change), but those of the facts a correction or retraction names,
    which the facts part resolves version by version (`versions`). `after`: only the rows past that
    position (a catch-up's); `but`: a table of the ids to leave out as well (those it resolves)."""
    # (`+`: the rows are read by position; through the target index, most of whose entries are NULL,
    # each row would be looked up by position one at a time.)
    return (f"(SELECT e.seq AS seq, e.id AS id, e.seq AS seq_from, {NEVER} AS seq_to, e.type AS type, e.valid_lo AS lo, "
            f"e.valid_hi AS hi, e.body AS body, 1 AS own FROM events AS e WHERE e.seq > {int(after)} AND e.seq <= {int(head)} "
            f"AND +e.target IS NULL AND e.type IN ({types_in(KEYED_TYPES)}) AND e.id NOT IN {corrected(head)}"
            + (f" AND e.id NOT IN (SELECT id FROM {but})" if but else "") + ")")


# Which (type, version) pairs are current: a fact of another was written by an older schema. (One
# lookup in a list SQLite makes once, not a test of each pair.)
CURRENT = "(type, version) IN (VALUES " + ", ".join(f"('{name}', {cls.version})" for name, cls in REGISTRY.items()) + ")"


def made_by() -> tuple:
    """What the rows these statements write depend on, for the cache's format (`schema.format_id`)."""
    return (mentions_sql("s", keyed=True), mentions_sql("s", keyed=False), spec_steps()[2][1], EFFECT_ROWS, ENTITIES_SQL, CURRENT)
