"""The rules of the world, declared once: what each event type does to keyed state (which channel, which
key, which op with which argument, when it settles), which list of happenings it joins, how each
channel's values read, and what the gazetteer learns from a description.

Both paths derive from these declarations: the fold (`world.py`) applies them to event objects, and
the cache (`cache/derived.py`) compiles them to SQL over the stored JSON. A new event type with an
effect is one entry in `RULES`; nothing else restates it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from events import REGISTRY, Event

# --- channels: the kinds of keyed state -------------------------------------------------------------

CONTROL, WHERE, UNIT = "control", "whereabouts", "units"

NOBODY = (None, ())  # a place held by nobody we can name, contested by nobody
NOWHERE = (None, None)  # a person somewhere unknown, alive or not unknown
ACTIVE = "active"  # a unit nothing has happened to


@attrs.frozen
class Channel:
    """One kind of keyed state: whose entities are its keys, the value of a key nothing has touched,
    how a value reads in JSON (`fields`, its first field the one candidates list), and the op whose
    effect later ops never undo (`sticky`: once dead, a person's moves do not revive them)."""

    name: str
    kind: str
    initial: Any
    fields: Callable[[Any], dict]
    sticky: str | None = None

    def lists(self, kind: str | None) -> bool:
        """Whether a key of this kind (None: undescribed) has a row in this channel's section: a
        meeting in Moscow places its participants, but only people have whereabouts."""
        return kind is None or kind == self.kind

    def candidate(self, value: Any) -> Any:
        """What a list of candidates says of a value: its first field."""
        return next(iter(self.fields(value).values()))


CHANNELS: dict[str, Channel] = {c.name: c for c in (
    Channel(CONTROL, "place", NOBODY, lambda v: {"controller": v[0], "contested_with": list(v[1])}),
    Channel(WHERE, "person", NOWHERE, lambda v: {"place": v[0], "alive": v[1]}, sticky="die"),
    Channel(UNIT, "unit", ACTIVE, lambda v: {"state": v}),
)}
CHANNEL_OF_KIND = {c.kind: c.name for c in CHANNELS.values()}


# --- ops: what an effect does to the prior value --------------------------------------------------------


def _always(_arg: Any) -> bool:
    return True


@attrs.frozen
class OpRule:
    """`apply(prior, arg)` is the new value. `sets(arg)`: whether the new value depends on the prior one
    only through its channel's sticky op; a reader going backwards through a key's steps may stop at a
    settled step that sets it (`cache.read.key_cell`)."""

    apply: Callable[[Any, Any], Any]
    sets: Callable[[Any], bool] = _always


OPS: dict[str, OpRule] = {
    "hold": OpRule(lambda prior, arg: (arg[0], tuple(arg[1]))),
    # The withdrawing actor no longer holds the place; anyone else who holds it still does.
    "withdraw": OpRule(lambda prior, arg: NOBODY if prior[0] == arg else prior, sets=lambda arg: False),
    "go": OpRule(lambda prior, arg: (arg, prior[1])),
    # Where a person died, when said; otherwise wherever they were.
    "die": OpRule(lambda prior, arg: (arg or prior[0], False), sets=lambda arg: arg is not None),
    "unit": OpRule(lambda prior, arg: arg),
}


# --- effects: what each event type does ------------------------------------------------------------


@attrs.frozen
class Field:
    """The value of one of the event's fields (a list field reads as a list)."""

    name: str


@attrs.frozen
class Const:
    value: Any


# An op's argument: a Field, a Const, or a tuple of those (a JSON array).
Arg = Field | Const | tuple


@attrs.frozen
class Effect:
    """One keyed effect: on the key (or keys, for a list field) that `key` names, in `channel`, the op
    `op` with the argument `arg`; only when the field `needs` is set, if it names one."""

    channel: str
    key: str
    op: str
    arg: Arg
    needs: str | None = None


CHANGE, OBSERVATION = "change", "observation"
# The end of its window at which a fact takes effect: a change happened at some unknown instant inside
# it, so certainly by its end; an observation held throughout it, so from its start.
SETTLES = {CHANGE: "hi", OBSERVATION: "lo"}


@attrs.frozen
class Rule:
    """What one event type does to the world. A change happened at some instant in its window and
    settles at the window's end; an observation held throughout its window and settles at its start.
    `listed`: the list of happenings its facts join (calls, meetings, ...)."""

    effects: tuple[Effect, ...] = ()
    settles: str = CHANGE
    listed: str | None = None


def _go(key: str, place: str, **kw) -> Effect:
    return Effect(WHERE, key, "go", Field(place), **kw)


# (In the order `state` shows the lists of happenings.)
RULES: dict[str, Rule] = {
    "ControlChanged": Rule(effects=(Effect(CONTROL, "place", "hold", (Field("controller"), Field("contested_with"))),)),
    "CityCaptured": Rule(effects=(Effect(CONTROL, "place", "hold", (Field("by"), Const(()))),)),
    "ForcesWithdrew": Rule(effects=(Effect(CONTROL, "from_place", "withdraw", Field("actor")),
                                    Effect(UNIT, "unit", "unit", Const("withdrawn")))),
    "PersonMoved": Rule(effects=(_go("person", "to_place"), _go("companions", "to_place"))),
    "PersonFled": Rule(effects=(_go("person", "to_place"), _go("companions", "to_place"))),
    "PersonLocated": Rule(effects=(_go("person", "place"),), settles=OBSERVATION),
    "PersonDied": Rule(effects=(Effect(WHERE, "person", "die", Field("place")),)),
    "UnitDefeated": Rule(effects=(Effect(UNIT, "unit", "unit", Const("defeated")),)),
    "UnitDissolved": Rule(effects=(Effect(UNIT, "unit", "unit", Const("dissolved")),)),
    "CallMade": Rule(listed="calls"),
    # A meeting places each participant, when it has a place.
    "MeetingHeld": Rule(effects=(_go("participants", "place", needs="place"),), listed="meetings"),
    "StatementIssued": Rule(listed="statements"),
    "OrderIssued": Rule(listed="orders"),
    "AirstrikeCarriedOut": Rule(listed="airstrikes"),
    "IncidentReported": Rule(listed="incidents"),
    "OffensiveLaunched": Rule(listed="offensives"),
    "PowerTransferred": Rule(listed="transfers"),
    "PersonAppointed": Rule(listed="appointments"),
}
NO_RULE = Rule()

LIST_NAMES = tuple(dict.fromkeys(r.listed for r in RULES.values() if r.listed))


def rule_of(type_name: str) -> Rule:
    return RULES.get(type_name, NO_RULE)


def arg_value(arg: Arg, event: Event) -> Any:
    """An op's argument for one event, JSON-shaped (lists, not tuples): what the cache stores."""
    if isinstance(arg, Field):
        value = getattr(event, arg.name)
        return list(value) if isinstance(value, tuple) else value
    if isinstance(arg, Const):
        return list(arg.value) if isinstance(arg.value, tuple) else arg.value
    return [arg_value(a, event) for a in arg]


def settles_at(type_name: str, lo: int, hi: int) -> int:
    """When a fact of `type_name` with window [lo, hi) has certainly taken effect."""
    return lo if SETTLES[rule_of(type_name).settles] == "lo" else hi


# --- the gazetteer: what a description says ----------------------------------------------------------


@attrs.frozen
class Described:
    """A description type: the kind of entity it describes, the field holding the entity's id, and
    the field naming the actor the entity belongs to (a unit's army), if any."""

    kind: str
    id_field: str
    member_of: str | None = None


def _descriptions() -> dict[str, Described]:
    out = {}
    for name, cls in sorted(REGISTRY.items()):
        declared = [a for a in attrs.fields(cls) if a.metadata.get("declares")]
        if declared:
            (a,) = declared
            kind = a.metadata["ref"]
            out[name] = Described(kind, a.name, "actor" if kind == "unit" else None)
    return out


DESCRIPTIONS: dict[str, Described] = _descriptions()


def _check() -> None:
    """The declarations name only types, fields, channels and ops that exist: a typo here would
    otherwise show as a key nobody ever touches. Every fact type has a rule, even one that does
    nothing, so that a new type is a decision, not an omission."""
    facts = {name for name, cls in REGISTRY.items() if not (cls.timeless or cls.correction)}
    if facts != set(RULES):
        raise AssertionError(f"fact types without rules: {sorted(facts - set(RULES))}; rules without types: {sorted(set(RULES) - facts)}")
    for type_name, rule in RULES.items():
        names = {a.name for a in attrs.fields(REGISTRY[type_name])}
        for e in rule.effects:
            fields = [e.key, *([e.needs] if e.needs else []), *_arg_fields(e.arg)]
            if e.channel not in CHANNELS or e.op not in OPS or not set(fields) <= names:
                raise AssertionError(f"{type_name}: {e} names an unknown channel, op or field")


def _arg_fields(arg: Arg) -> list[str]:
    if isinstance(arg, Field):
        return [arg.name]
    if isinstance(arg, Const):
        return []
    return [f for a in arg for f in _arg_fields(a)]


_check()
