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


def _coord(low: float, high: float, doc: str):
    def check(_inst, attribute, value):
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, float) or not low <= value <= high:
            raise ValueError(f"{attribute.name} must be a number from {low} to {high}")

    def to_float(value):
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    return attrs.field(default=None, validator=check, converter=to_float, metadata={"form": "number", "range": (low, high), "doc": doc})


def _whole(low: int, high: int, doc: str):
    """An optional whole number from low to high."""
    return attrs.field(
        default=None,
        validator=attrs.validators.optional([_not_bool, attrs.validators.instance_of(int), attrs.validators.ge(low), attrs.validators.le(high)]),
        metadata={"form": "whole", "range": (low, high), "doc": doc},
    )


_NAME = "Its name, as the chronicle writes it."
_ALIASES = "Other names and spellings it goes by (any of them finds it)."
_LAT, _LON = "Latitude in degrees.", "Longitude in degrees."
_PREVIOUS = "Who held the place just before, when the source says: read as the prior holder while the change is under way."
_FROM = "Where they left from, when the source says: read as where they were while it is under way."


# --- descriptions of entities (the gazetteer lives in the log) -------------------------------------


@event("PlaceDescribed", timeless=True)
class PlaceDescribed(Event):
    """A place of the gazetteer: its name, kind, coordinates, aliases and the place it lies within.

    Timeless; a later description of the same id replaces it."""

    place: str = declares("place", "The place's id (lower case, digits, '.', '_', '-': wad-madani).")
    name: str = txt(_NAME)
    kind: str = txt("What sort of place it is.", choices=PLACE_KINDS, default="other")
    lat: float | None = _coord(-90.0, 90.0, _LAT)
    lon: float | None = _coord(-180.0, 180.0, _LON)
    aliases: tuple[str, ...] = texts(_ALIASES)
    within: str | None = ref("place", "The larger place it lies within (a town's province).", optional=True)


@event("PersonDescribed", timeless=True)
class PersonDescribed(Event):
    """A person of the gazetteer: their name, aliases, roles and the actor they belong to.

    Timeless; a later description of the same id replaces it."""

    person: str = declares("person", "The person's id (lower case: hemedti).")
    name: str = txt(_NAME)
    aliases: tuple[str, ...] = texts(_ALIASES)
    roles: tuple[str, ...] = texts("The roles they hold (president, spokesman).")
    affiliation: str | None = ref("actor", "The actor they belong to.", optional=True)


@event("ActorDescribed", timeless=True)
class ActorDescribed(Event):
    """An actor of the gazetteer: a faction, government, state, coalition, organisation or militia,
    which can hold places, have units and end.

    Timeless; a later description of the same id replaces it."""

    actor: str = declares("actor", "The actor's id (lower case: rsf).")
    name: str = txt(_NAME)
    kind: str = txt("What sort of actor it is.", choices=ACTOR_KINDS, default="other")
    aliases: tuple[str, ...] = texts(_ALIASES)
    leaders: tuple[str, ...] = ref("person", "Its leaders.", many=True)


@event("UnitDescribed", timeless=True)
class UnitDescribed(Event):
    """A military unit, force or agency of the gazetteer, and the actor it belongs to, whose end ends
    the unit's standing.

    Timeless; a later description of the same id replaces it."""

    unit: str = declares("unit", "The unit's id (lower case: first-division).")
    name: str = txt(_NAME)
    kind: str = txt("What sort of unit it is.", choices=UNIT_KINDS, default="other")
    actor: str | None = ref("actor", "The actor it belongs to: when that actor ends, so does the unit's standing.", optional=True)
    aliases: tuple[str, ...] = texts(_ALIASES)
    base: str | None = ref("place", "Where it is based.", optional=True)


# --- the log's own settings ------------------------------------------------------------------------


@event("SettingChanged", timeless=True)
class SettingChanged(Event):
    """A setting of the log itself, not of the world: the zone naive times are read in, a title, an
    actor's colour... (`chrono settings` lists them). The latest one of a key holds; no value: back to
    its default. Which keys and values a log accepts is chrono.settings'."""

    # Texts: which values a key takes is the log's to check ("setting" marks them, for strategies that
    # draw a value with its key).
    key: str = attrs.field(validator=[attrs.validators.instance_of(str), _non_empty],
                           metadata={"form": "text", "choices": None, "setting": "key",
                                     "doc": "Which setting: zone, title, description, require-source or colour.ACTOR"})
    value: str | None = attrs.field(default=None, validator=attrs.validators.optional(attrs.validators.instance_of(str)),
                                    metadata={"form": "text", "choices": None, "setting": "value",
                                              "doc": "Its value (none: back to its default)"})


# --- facts about the world --------------------------------------------------------------------------


@event("OffensiveLaunched")
class OffensiveLaunched(Event):
    """An offensive began. It joins the list of offensives and changes no one's control by itself:
    the captures that follow are facts of their own."""

    name: str = txt("The offensive's name (\"Deterrence of Aggression\").")
    actors: tuple[str, ...] = ref("actor", "Who launched it.", many=True)
    origin: str | None = ref("place", "Where it set out from.", optional=True)
    objectives: tuple[str, ...] = ref("place", "The places it aimed at.", many=True)


@event("ControlChanged")
class ControlChanged(Event):
    """Who holds a place changed: the new holder holds it from the end of the window on, until
    something newer says otherwise.

    A change happened at some instant inside its window, so it is certain only once the window has
    passed; while it is under way the answer is possible, with the prior and the new holder."""

    place: str = ref("place", "The place that changed hands.")
    controller: str | None = ref("actor", "Who holds it from then on; none: nobody we can name.", optional=True)
    how: str = txt("How it changed hands.", choices=CONTROL_HOWS, default="captured")
    contested_with: tuple[str, ...] = ref("actor", "Who contests it with the holder: the place is contested.", many=True)
    previous: str | None = ref("actor", _PREVIOUS, optional=True)


@event("ControlObserved")
class ControlObserved(Event):
    """A source says who held a place throughout a time ("the government held Aleppo"), not that it
    changed hands; it says nothing about before or after.

    An observation holds from the start of its window to its end, which may be open at the start
    ("since before the story opens"); past it, with nothing newer, the holder is unknown, last seen."""

    place: str = ref("place", "The place observed.")
    controller: str | None = ref("actor", "Who held it throughout the window; none: held by nobody we can name.", optional=True)
    contested_with: tuple[str, ...] = ref("actor", "Who contested it with the holder throughout the window.", many=True)


@event("CityCaptured")
class CityCaptured(Event):
    """An actor took a place: it holds it from the end of the window on, until something newer says
    otherwise (a change of control, in other words)."""

    place: str = ref("place", "The place taken.")
    by: str = ref("actor", "The actor that took it.")
    previous: str | None = ref("actor", _PREVIOUS, optional=True)


@event("ForcesWithdrew")
class ForcesWithdrew(Event):
    """An actor's forces (or one unit) left a place: if that actor held it, nobody we can name holds it
    from the end of the window on (a withdrawal by anyone else says nothing about the place); a unit
    named is withdrawn from then on."""

    actor: str = ref("actor", "The actor whose forces left.")
    unit: str | None = ref("unit", "The unit that left: its state is withdrawn from then on.", optional=True)
    from_place: str | None = ref("place", "The place they left: the actor no longer holds it.", optional=True)
    to_place: str | None = ref("place", "Where they went.", optional=True)


@event("PersonMoved", version=2)
class PersonMoved(Event):
    """A person went somewhere (with companions): they are there from the end of the window on, until
    something newer moves them."""

    person: str = ref("person", "Who moved.")
    to_place: str = ref("place", "Where they went.")
    from_place: str | None = ref("place", _FROM, optional=True)
    companions: tuple[str, ...] = ref("person", "Who went with them: they move too.", many=True)
    mode: str | None = txt("How they travelled (by plane, by road).", optional=True)


@event("PersonLocated")
class PersonLocated(Event):
    """A person was observed at a place (not a move: how they got there is not known).

    An observation: they are there throughout its window, and past it, with nothing newer, their
    whereabouts are unknown, last seen there."""

    person: str = ref("person", "Who was seen.")
    place: str = ref("place", "Where they were throughout the window.")


@event("PersonFled")
class PersonFled(Event):
    """A person fled (from a place, to a place, with companions): where they fled to holds from the
    end of the window on, until something newer moves them."""

    person: str = ref("person", "Who fled.")
    from_place: str | None = ref("place", _FROM, optional=True)
    to_place: str | None = ref("place", "Where they fled to; none: somewhere unknown.", optional=True)
    companions: tuple[str, ...] = ref("person", "Who fled with them: they move too.", many=True)


@event("PersonDied")
class PersonDied(Event):
    """A person died: they are dead from the end of the window on, for good (no later move revives
    them), at the place given or wherever they were."""

    person: str = ref("person", "Who died.")
    place: str | None = ref("place", "Where they died.", optional=True)
    cause: str | None = txt("How they died.", optional=True)


@event("PersonAppointed")
class PersonAppointed(Event):
    """A person was appointed to a role. It joins the list of appointments and moves no one."""

    person: str = ref("person", "Who was appointed.")
    role: str = txt("The role (prime minister of the caretaker government).")
    by: str | None = ref(ANY, "Who appointed them.", optional=True)


@event("CallMade")
class CallMade(Event):
    """One party called another. It joins the list of calls and changes nothing else; a call that was
    expected and never made is a StatementIssued, not a CallMade."""

    caller: str = ref(ANY, "Who called: a person, an actor or a place (a capital for its government).")
    callee: str = ref(ANY, "Who was called.")
    summary: str | None = txt("What was said, in brief.", optional=True)


@event("MeetingHeld")
class MeetingHeld(Event):
    """People or actors met. It joins the list of meetings; with a place, each participant is there
    from the end of the window on, until something newer moves them."""

    participants: tuple[str, ...] = ref(ANY, "Who met.", many=True)
    place: str | None = ref("place", "Where they met: each participant is there afterwards.", optional=True)
    summary: str | None = txt("What the meeting was about, in brief.", optional=True)


@event("StatementIssued")
class StatementIssued(Event):
    """Anything someone said: a claim, promise, plan, prediction, denial or rumour is not a fact. It
    joins the list of statements and changes nothing else."""

    text: str = txt("What was said, in the source's words.")
    speaker: str | None = ref(ANY, "Who said it.", optional=True)
    speaker_description: str | None = txt("Who spoke, in the source's words, when the speaker is anonymous "
                                          "(\"a source in the operations room\").", optional=True)
    kind: str = txt("What sort of saying it is.", choices=STATEMENT_KINDS, default="statement")
    audience: tuple[str, ...] = ref(ANY, "To whom it was said.", many=True)
    about: tuple[str, ...] = ref(ANY, "Whom or what it is about.", many=True)


@event("OrderIssued")
class OrderIssued(Event):
    """An order was given. It joins the list of orders and is part of each recipient's row from the end
    of its window on; it changes nothing else (what followed, if anything, is a fact of its own)."""

    order: str = txt("The order, in words.")
    issuer: str | None = ref(ANY, "Who gave it.", optional=True)
    recipients: tuple[str, ...] = ref(ANY, "Who received it: units or people.", many=True)


@event("UnitDefeated")
class UnitDefeated(Event):
    """A unit was defeated: it is defeated from the end of the window on, for good."""

    unit: str = ref("unit", "The unit defeated.")
    by: str | None = ref("actor", "Who defeated it.", optional=True)
    place: str | None = ref("place", "Where.", optional=True)


@event("UnitDissolved")
class UnitDissolved(Event):
    """A unit was dissolved: it is dissolved from the end of the window on, for good."""

    unit: str = ref("unit", "The unit dissolved.")
    place: str | None = ref("place", "Where.", optional=True)


@event("UnitObserved")
class UnitObserved(Event):
    """A source says what state a unit was in throughout a time ("the 4th Division stood"); it says
    nothing about before or after.

    An observation: past its window, with nothing newer, the unit's state is unknown, last seen."""

    unit: str = ref("unit", "The unit observed.")
    state: str = txt("The state it was in throughout the window.", choices=UNIT_STATES, default="active")
    place: str | None = ref("place", "Where it was.", optional=True)


@event("ActorEnded")
class ActorEnded(Event):
    """An actor ceased to be: a government collapsed, a faction dissolved or merged (`into`). What it
    held and its units' standing are no longer known from then on, unless something newer says.

    It joins the list of ends; the actor leaves any contest it was party to."""

    actor: str = ref("actor", "The actor that ended.")
    how: str = txt("How it ended.", choices=ACTOR_ENDS, default="collapsed")
    into: str | None = ref("actor", "The actor it merged into.", optional=True)


@event("AirstrikeCarriedOut")
class AirstrikeCarriedOut(Event):
    """An airstrike, or a series of them, hit a target. It joins the list of airstrikes and changes no
    one's control."""

    actor: str | None = ref("actor", "Who struck.", optional=True)
    target: str | None = ref("place", "The place struck.", optional=True)
    description: str | None = txt("What was hit, in words.", optional=True)
    count: int | None = _whole(1, 10**9, "How many strikes.")


@event("PowerTransferred")
class PowerTransferred(Event):
    """Power was handed from one actor to another. It joins the list of transfers; who holds which
    place changes only by facts of their own."""

    from_actor: str = ref("actor", "Who handed power over.")
    to_actor: str = ref("actor", "Who received it.")
    place: str | None = ref("place", "Where (the seat of power).", optional=True)


@event("IncidentReported")
class IncidentReported(Event):
    """A happening no other type describes (documents burned, a hotline reactivated). It joins the
    list of incidents and changes nothing else."""

    description: str = txt("What happened, in words.")
    places: tuple[str, ...] = ref("place", "Where.", many=True)
    actors: tuple[str, ...] = ref("actor", "The actors involved.", many=True)
    people: tuple[str, ...] = ref("person", "The people involved.", many=True)


# --- corrections: they act on log entries, never on the world directly ------------------------------


def _event_id(_inst, attribute, value):
    from ._base import valid_event_id

    if not valid_event_id(value):
        raise ValueError(f"{attribute.name}: {value!r} is not an event id")


def _target(doc: str):
    return attrs.field(validator=_event_id, metadata={"form": "event-id", "doc": doc})


@event("EventRetracted", correction=True, timeless=True)
class EventRetracted(Event):
    """Withdraws an entry: from now on the log reads as if it had never been appended (as known
    before, it still shows). Retracting a correction or a retraction undoes it."""

    target: str = _target("The id of the entry retracted.")
    reason: str = txt("Why it no longer stands.")


@event("EventCorrected", correction=True)
class EventCorrected(Event):
    """Supersedes `target`: from now on the log reads `replacement` (with this entry's valid time and
    sources, or the target's when it gives none); as known before, the target still shows."""

    target: str = _target("The id of the entry corrected.")
    replacement: Event = attrs.field(validator=attrs.validators.instance_of(Event),
                                     metadata={"form": "event", "doc": "The event as it now reads, of the target's type."})
    reason: str = txt("Why it is corrected.")
