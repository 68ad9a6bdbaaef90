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

CONTROL, WHERE, UNIT, ORDERS = "control", "whereabouts", "units", "orders"
# Not keyed state: where the end of an actor is found (keyed by the actor), for the channels it reaches.
ENDS = "ends"

NOBODY = (None, ())  # a place held by nobody we can name, contested by nobody
NOWHERE = (None, None)  # a person somewhere unknown, alive or not unknown
FINAL = ("defeated", "dissolved")  # a unit's states that nothing after them undoes, its actor's end included
HOLDER, MEMBER = "holder", "member"


@attrs.frozen
class Channel:
    """One kind of keyed state: whose entities are its keys (None: any), the value of a key nothing
    has touched, how a value reads in JSON (`fields`, its first field the one candidates list), and:

    - `sticky`: the op whose effect later ops never undo (once dead, a person's moves do not revive them);
    - `on_end`: what the end of an actor does here: HOLDER — a value that names the actor ends (op
      "end": the holdings of a collapsed government); MEMBER — the standing of the actor's members
      (the gazetteer's units of an army) ends (op "expire");
    - `section`: whether a state has a section of its keys; `joins`: the channels whose answers for
      the same key a row of this one carries (a unit's orders)."""

    name: str
    kind: str | None
    initial: Any
    fields: Callable[[Any], dict]
    sticky: str | None = None
    on_end: str | None = None
    section: bool = True
    joins: tuple[str, ...] = ()

    def lists(self, kind: str | None) -> bool:
        """Whether a key of this kind (None: undescribed) has a row in this channel's section: a
        meeting in Moscow places its participants, but only people have whereabouts."""
        return kind is None or self.kind is None or kind == self.kind

    def candidate(self, value: Any) -> Any:
        """What a list of candidates says of a value: its first field."""
        return next(iter(self.fields(value).values()))


CHANNELS: dict[str, Channel] = {c.name: c for c in (
    Channel(CONTROL, "place", NOBODY, lambda v: {"controller": v[0], "contested_with": list(v[1])}, on_end=HOLDER),
    Channel(WHERE, "person", NOWHERE, lambda v: {"place": v[0], "alive": v[1]}, sticky="die", joins=(ORDERS,)),
    Channel(UNIT, "unit", None, lambda v: {"state": v}, on_end=MEMBER, joins=(ORDERS,)),
    Channel(ORDERS, None, None, lambda v: {"order": v}, section=False),
)}
SECTIONS = tuple(name for name, c in CHANNELS.items() if c.section)
CHANNEL_OF_KIND = {c.kind: c.name for c in CHANNELS.values() if c.section}


# --- ops: what an effect does to the prior value --------------------------------------------------------


def _always(_arg: Any) -> bool:
    return True


def _acts(_prior: Any, _arg: Any) -> bool:
    return True


# What an op gives when the value is no longer known: the key reads unknown from then on, with the
# value it had as the last known ("last held by the government until its end").
EXPIRED = "<expired>"


@attrs.frozen
class OpRule:
    """`apply(prior, arg)` is the new value (or EXPIRED). `sets(arg)`: whether the new value depends on
    the prior one only through its channel's sticky op; a reader going backwards through a key's steps
    may stop at a settled step that sets it (`cache.read.key_cell`). `acts(prior, arg)`: whether it does
    anything to that value at all (an actor's end acts only on what names the actor); a step that does
    not act is no evidence about the key."""

    apply: Callable[[Any, Any], Any]
    sets: Callable[[Any], bool] = _always
    acts: Callable[[Any, Any], bool] = _acts


def _names(value: Any, actor: str) -> bool:
    """Whether a value of control names `actor`, as holder or as a party to the contest."""
    return value is not None and value != EXPIRED and (value[0] == actor or actor in value[1])


OPS: dict[str, OpRule] = {
    "hold": OpRule(lambda prior, arg: (arg[0], tuple(arg[1]))),
    # The withdrawing actor no longer holds the place; a withdrawal by anyone else does nothing to it
    # (and is no evidence about it).
    "withdraw": OpRule(lambda prior, arg: NOBODY, sets=lambda arg: False, acts=lambda prior, arg: prior[0] == arg),
    "go": OpRule(lambda prior, arg: (arg, prior[1])),
    # Where a person died, when said; otherwise wherever they were.
    "die": OpRule(lambda prior, arg: (arg or prior[0], False), sets=lambda arg: arg is not None),
    "unit": OpRule(lambda prior, arg: arg),
    "order": OpRule(lambda prior, arg: arg),
    # An actor's end: what it held is no longer known; a contest it was party to goes on without it.
    "end": OpRule(lambda prior, arg: EXPIRED if prior[0] == arg else (prior[0], tuple(p for p in prior[1] if p != arg)),
                  sets=lambda arg: False, acts=_names),
    # The end of the actor a member belongs to: its standing, when known, is no longer, unless it had ended.
    "expire": OpRule(lambda prior, arg: EXPIRED, sets=lambda arg: False, acts=lambda prior, arg: prior is not None and prior not in FINAL),
}
# The op by which the end of an actor reaches each kind of channel (`Channel.on_end`).
END_OPS = {HOLDER: "end", MEMBER: "expire"}


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
    `op` with the argument `arg`; only when the field `needs` is set, if it names one. `before`: what
    the source says the key was just before (the op `before[0]` with the argument `before[1]` on the
    channel's initial value), when the fields that argument reads are set: "RSF took Hantoub from SAF"."""

    channel: str
    key: str
    op: str
    arg: Arg
    needs: str | None = None
    before: tuple[str, Arg] | None = None


CHANGE, OBSERVATION = "change", "observation"
# What one step of a key's evidence is (`world.Step.kind`): a change, an observation, or an actor's end.
CHANGED, OBSERVED, ENDED = "change", "observation", "end"
# The end of its window at which a fact takes effect: a change happened at some unknown instant inside
# it, so certainly by its end. (An observation held throughout it and says nothing outside it: the
# fold reads its window whole, `world.apply_cell`, never a settling time; its start orders the index.)
SETTLES = {CHANGE: "hi", OBSERVATION: "lo"}


@attrs.frozen
class Rule:
    """What one event type does to the world. A change happened at some instant in its window and
    settles at the window's end; an observation held throughout its window, and says nothing about
    before or after it. `listed`: the list of happenings its facts join (calls, meetings, ...).
    `ends`: the field naming an actor that ceases to be (what that does: `Channel.on_end`)."""

    effects: tuple[Effect, ...] = ()
    settles: str = CHANGE
    listed: str | None = None
    ends: str | None = None


def _go(key: str, place: str, **kw) -> Effect:
    return Effect(WHERE, key, "go", Field(place), **kw)


_HELD_BY_PREVIOUS = ("hold", (Field("previous"), Const(())))
_FROM = ("go", Field("from_place"))


# (In the order `state` shows the lists of happenings.)
RULES: dict[str, Rule] = {
    "ControlChanged": Rule(effects=(Effect(CONTROL, "place", "hold", (Field("controller"), Field("contested_with")),
                                           before=_HELD_BY_PREVIOUS),)),
    "ControlObserved": Rule(effects=(Effect(CONTROL, "place", "hold", (Field("controller"), Field("contested_with"))),),
                            settles=OBSERVATION),
    "CityCaptured": Rule(effects=(Effect(CONTROL, "place", "hold", (Field("by"), Const(())), before=_HELD_BY_PREVIOUS),)),
    "ForcesWithdrew": Rule(effects=(Effect(CONTROL, "from_place", "withdraw", Field("actor")),
                                    Effect(UNIT, "unit", "unit", Const("withdrawn")))),
    "PersonMoved": Rule(effects=(_go("person", "to_place", before=_FROM), _go("companions", "to_place", before=_FROM))),
    "PersonFled": Rule(effects=(_go("person", "to_place", before=_FROM), _go("companions", "to_place", before=_FROM))),
    "PersonLocated": Rule(effects=(_go("person", "place"),), settles=OBSERVATION),
    "PersonDied": Rule(effects=(Effect(WHERE, "person", "die", Field("place")),)),
    "UnitDefeated": Rule(effects=(Effect(UNIT, "unit", "unit", Const("defeated")),)),
    "UnitDissolved": Rule(effects=(Effect(UNIT, "unit", "unit", Const("dissolved")),)),
    "UnitObserved": Rule(effects=(Effect(UNIT, "unit", "unit", Field("state")),), settles=OBSERVATION),
    "CallMade": Rule(listed="calls"),
    # A meeting places each participant, when it has a place.
    "MeetingHeld": Rule(effects=(_go("participants", "place", needs="place"),), listed="meetings"),
    "StatementIssued": Rule(listed="statements"),
    "OrderIssued": Rule(effects=(Effect(ORDERS, "recipients", "order", Field("order")),), listed="orders"),
    "AirstrikeCarriedOut": Rule(listed="airstrikes"),
    "IncidentReported": Rule(listed="incidents"),
    "OffensiveLaunched": Rule(listed="offensives"),
    "PowerTransferred": Rule(listed="transfers"),
    "PersonAppointed": Rule(listed="appointments"),
    "ActorEnded": Rule(ends="actor", listed="ends"),
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


def before_value(effect: Effect, channel_initial: Any, event: Event) -> Any:
    """What the source says the key was just before the effect (`Effect.before`); None when it does not say."""
    if effect.before is None:
        return None
    op, arg = effect.before
    if any(getattr(event, name) is None for name in arg_fields(arg)):
        return None
    return OPS[op].apply(channel_initial, arg_value(arg, event))


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
            fields = [e.key, *([e.needs] if e.needs else []), *arg_fields(e.arg), *(arg_fields(e.before[1]) if e.before else [])]
            if e.channel not in CHANNELS or e.op not in OPS or not set(fields) <= names:
                raise AssertionError(f"{type_name}: {e} names an unknown channel, op or field")
        if rule.ends is not None and rule.ends not in names:
            raise AssertionError(f"{type_name}: ends names no field {rule.ends!r}")


def arg_fields(arg: Arg) -> list[str]:
    """The event's fields an op's argument reads."""
    if isinstance(arg, Field):
        return [arg.name]
    if isinstance(arg, Const):
        return []
    return [f for a in arg for f in arg_fields(a)]


_check()
