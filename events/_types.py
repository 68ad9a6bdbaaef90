"""The event types of a chronology: descriptions of entities, facts about the world, and corrections.

Names are past participles. Claims, plans, promises and rumours are `StatementIssued`, never facts.
"""

from __future__ import annotations

import attrs

from ._base import ANY, Event, _non_empty, declares, event, ref, texts
from ._base import text as txt

PLACE_KINDS = (
    "country", "region", "governorate", "city", "town", "village", "district", "airport", "airbase",
    "military-site", "border-crossing", "bridge", "building", "camp", "mountain", "area", "other",
)
ACTOR_KINDS = ("faction", "government", "state", "coalition", "organisation", "militia", "other")
UNIT_KINDS = ("division", "brigade", "regiment", "corps", "guard", "branch", "force", "agency", "other")
STATEMENT_KINDS = (
    "statement", "claim", "promise", "plan", "prediction", "denial", "warning", "threat", "rumour",
    "assessment", "report", "request", "reassurance", "appeal",
)
UNIT_STATES = ("active", "withdrawn", "defeated", "dissolved")
ACTOR_ENDS = ("collapsed", "dissolved", "merged", "defeated", "surrendered", "other")
CONTROL_HOWS = ("held", "captured", "entered", "surrendered", "withdrawn", "contested", "handed-over", "secured")


def _not_bool(_inst, attribute, value):
    if isinstance(value, bool):
        raise TypeError(f"{attribute.name} must be a whole number")


def _coord(low: float, high: float):
    def check(_inst, attribute, value):
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, float) or not low <= value <= high:
            raise ValueError(f"{attribute.name} must be a number from {low} to {high}")

    def to_float(value):
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    return attrs.field(default=None, validator=check, converter=to_float, metadata={"form": "number", "range": (low, high)})


def _whole(low: int, high: int):
    """An optional whole number from low to high."""
    return attrs.field(
        default=None,
        validator=attrs.validators.optional([_not_bool, attrs.validators.instance_of(int), attrs.validators.ge(low), attrs.validators.le(high)]),
        metadata={"form": "whole", "range": (low, high)},
    )


# --- descriptions of entities (the gazetteer lives in the log) -------------------------------------


@event("PlaceDescribed", timeless=True)
class PlaceDescribed(Event):
    place: str = declares("place")
    name: str = txt()
    kind: str = txt(choices=PLACE_KINDS, default="other")
    lat: float | None = _coord(-90.0, 90.0)
    lon: float | None = _coord(-180.0, 180.0)
    aliases: tuple[str, ...] = texts()
    within: str | None = ref("place", optional=True)


@event("PersonDescribed", timeless=True)
class PersonDescribed(Event):
    person: str = declares("person")
    name: str = txt()
    aliases: tuple[str, ...] = texts()
    roles: tuple[str, ...] = texts()
    affiliation: str | None = ref("actor", optional=True)


@event("ActorDescribed", timeless=True)
class ActorDescribed(Event):
    actor: str = declares("actor")
    name: str = txt()
    kind: str = txt(choices=ACTOR_KINDS, default="other")
    aliases: tuple[str, ...] = texts()
    leaders: tuple[str, ...] = ref("person", many=True)


@event("UnitDescribed", timeless=True)
class UnitDescribed(Event):
    unit: str = declares("unit")
    name: str = txt()
    kind: str = txt(choices=UNIT_KINDS, default="other")
    actor: str | None = ref("actor", optional=True)
    aliases: tuple[str, ...] = texts()
    base: str | None = ref("place", optional=True)


# --- the log's own settings ------------------------------------------------------------------------


@event("SettingChanged", timeless=True)
class SettingChanged(Event):
    """A setting of the log itself, not of the world: the zone naive times are read in, a title, an
    actor's colour... (`chrono settings` lists them). The latest one of a key holds; no value: back to
    its default. Which keys and values a log accepts is chrono.settings'."""

    # Texts: which values a key takes is the log's to check ("setting" marks them, for strategies that
    # draw a value with its key).
    key: str = attrs.field(validator=[attrs.validators.instance_of(str), _non_empty],
                           metadata={"form": "text", "choices": None, "setting": "key"})
    value: str | None = attrs.field(default=None, validator=attrs.validators.optional(attrs.validators.instance_of(str)),
                                    metadata={"form": "text", "choices": None, "setting": "value"})


# --- facts about the world --------------------------------------------------------------------------


@event("OffensiveLaunched")
class OffensiveLaunched(Event):
    name: str = txt()
    actors: tuple[str, ...] = ref("actor", many=True)
    origin: str | None = ref("place", optional=True)
    objectives: tuple[str, ...] = ref("place", many=True)


@event("ControlChanged")
class ControlChanged(Event):
    """Who holds a place from now on; `controller` None means nobody we can name."""

    place: str = ref("place")
    controller: str | None = ref("actor", optional=True)
    how: str = txt(choices=CONTROL_HOWS, default="captured")
    contested_with: tuple[str, ...] = ref("actor", many=True)
    previous: str | None = ref("actor", optional=True)


@event("ControlObserved")
class ControlObserved(Event):
    """A source says who held a place throughout a time ("the government held Aleppo"), not that it
    changed hands; it says nothing about before or after. `controller` None: held by nobody we can name."""

    place: str = ref("place")
    controller: str | None = ref("actor", optional=True)
    contested_with: tuple[str, ...] = ref("actor", many=True)


@event("CityCaptured")
class CityCaptured(Event):
    place: str = ref("place")
    by: str = ref("actor")
    previous: str | None = ref("actor", optional=True)


@event("ForcesWithdrew")
class ForcesWithdrew(Event):
    """An actor's forces (or one unit) left a place; the place is then held by nobody we can name."""

    actor: str = ref("actor")
    unit: str | None = ref("unit", optional=True)
    from_place: str | None = ref("place", optional=True)
    to_place: str | None = ref("place", optional=True)


@event("PersonMoved", version=2)
class PersonMoved(Event):
    person: str = ref("person")
    to_place: str = ref("place")
    from_place: str | None = ref("place", optional=True)
    companions: tuple[str, ...] = ref("person", many=True)
    mode: str | None = txt(optional=True)


@event("PersonLocated")
class PersonLocated(Event):
    """A person was observed at a place (not a move: how they got there is not known)."""

    person: str = ref("person")
    place: str = ref("place")


@event("PersonFled")
class PersonFled(Event):
    person: str = ref("person")
    from_place: str | None = ref("place", optional=True)
    to_place: str | None = ref("place", optional=True)
    companions: tuple[str, ...] = ref("person", many=True)


@event("PersonDied")
class PersonDied(Event):
    person: str = ref("person")
    place: str | None = ref("place", optional=True)
    cause: str | None = txt(optional=True)


@event("PersonAppointed")
class PersonAppointed(Event):
    person: str = ref("person")
    role: str = txt()
    by: str | None = ref(ANY, optional=True)


@event("CallMade")
class CallMade(Event):
    caller: str = ref(ANY)
    callee: str = ref(ANY)
    summary: str | None = txt(optional=True)


@event("MeetingHeld")
class MeetingHeld(Event):
    participants: tuple[str, ...] = ref(ANY, many=True)
    place: str | None = ref("place", optional=True)
    summary: str | None = txt(optional=True)


@event("StatementIssued")
class StatementIssued(Event):
    """Anything someone said: a claim, promise, plan, prediction, denial or rumour is not a fact."""

    text: str = txt()
    speaker: str | None = ref(ANY, optional=True)
    # Who spoke, in the source's words, when the speaker is anonymous ("a source in the operations room").
    speaker_description: str | None = txt(optional=True)
    kind: str = txt(choices=STATEMENT_KINDS, default="statement")
    audience: tuple[str, ...] = ref(ANY, many=True)
    about: tuple[str, ...] = ref(ANY, many=True)


@event("OrderIssued")
class OrderIssued(Event):
    order: str = txt()
    issuer: str | None = ref(ANY, optional=True)
    recipients: tuple[str, ...] = ref(ANY, many=True)


@event("UnitDefeated")
class UnitDefeated(Event):
    unit: str = ref("unit")
    by: str | None = ref("actor", optional=True)
    place: str | None = ref("place", optional=True)


@event("UnitDissolved")
class UnitDissolved(Event):
    unit: str = ref("unit")
    place: str | None = ref("place", optional=True)


@event("UnitObserved")
class UnitObserved(Event):
    """A source says what state a unit was in throughout a time ("the 4th Division stood"); it says
    nothing about before or after."""

    unit: str = ref("unit")
    state: str = txt(choices=UNIT_STATES, default="active")
    place: str | None = ref("place", optional=True)


@event("ActorEnded")
class ActorEnded(Event):
    """An actor ceased to be: a government collapsed, a faction dissolved or merged (`into`). What it
    held and its units' standing are no longer known from then on, unless something newer says."""

    actor: str = ref("actor")
    how: str = txt(choices=ACTOR_ENDS, default="collapsed")
    into: str | None = ref("actor", optional=True)


@event("AirstrikeCarriedOut")
class AirstrikeCarriedOut(Event):
    actor: str | None = ref("actor", optional=True)
    target: str | None = ref("place", optional=True)
    description: str | None = txt(optional=True)
    count: int | None = _whole(1, 10**9)


@event("PowerTransferred")
class PowerTransferred(Event):
    from_actor: str = ref("actor")
    to_actor: str = ref("actor")
    place: str | None = ref("place", optional=True)


@event("IncidentReported")
class IncidentReported(Event):
    """A happening no other type describes (documents burned, a hotline reactivated)."""

    description: str = txt()
    places: tuple[str, ...] = ref("place", many=True)
    actors: tuple[str, ...] = ref("actor", many=True)
    people: tuple[str, ...] = ref("person", many=True)


# --- corrections: they act on log entries, never on the world directly ------------------------------


def _event_id(_inst, attribute, value):
    from ._base import valid_event_id

    if not valid_event_id(value):
        raise ValueError(f"{attribute.name}: {value!r} is not an event id")


@event("EventRetracted", correction=True, timeless=True)
class EventRetracted(Event):
    target: str = attrs.field(validator=_event_id, metadata={"form": "event-id"})
    reason: str = txt()


@event("EventCorrected", correction=True)
class EventCorrected(Event):
    """Supersedes `target`: from now on the log reads `replacement` (with this entry's valid time and sources)."""

    target: str = attrs.field(validator=_event_id, metadata={"form": "event-id"})
    replacement: Event = attrs.field(validator=attrs.validators.instance_of(Event), metadata={"form": "event"})
    reason: str = txt()
