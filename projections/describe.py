"""One-line readings for people: of events ("HTS captured Aleppo", "Lavrov called Fidan") and of the
state's answers ("HTS or no known holder (possible)", "unknown; last seen: Doha")."""

from __future__ import annotations

from events import (
    ActorDescribed,
    AirstrikeCarriedOut,
    CallMade,
    ActorEnded,
    CityCaptured,
    ControlChanged,
    ControlObserved,
    Event,
    EventCorrected,
    EventRetracted,
    ForcesWithdrew,
    IncidentReported,
    MeetingHeld,
    OffensiveLaunched,
    OrderIssued,
    PersonAppointed,
    PersonDescribed,
    PersonDied,
    PersonFled,
    PersonLocated,
    PersonMoved,
    PlaceDescribed,
    PowerTransferred,
    SettingChanged,
    StatementIssued,
    UnitDefeated,
    UnitDescribed,
    UnitDissolved,
    UnitObserved,
)

from .gazetteer import Gazetteer, Naming
from .rules import CONTROL, ORDERS, UNIT, WHERE

# How each channel reads a value that names nobody: one wording for one meaning, everywhere.
NO_ONE = {CONTROL: "no known holder", WHERE: "an unknown place", UNIT: "unknown", ORDERS: "none"}


def value_text(channel: str, value, g: Naming) -> str:
    """One value of a channel in words."""
    if channel == CONTROL:
        if value[1]:
            return (f"{g.name(value[0])}, " if value[0] else "") + "contested by " + ", ".join(g.name(a) for a in value[1])
        return g.name(value[0]) if value[0] else NO_ONE[CONTROL]
    if channel == WHERE:
        return (g.name(value[0]) if value[0] else NO_ONE[WHERE]) + (" (dead)" if value[1] is False else "")
    return value if value is not None else NO_ONE[channel]


def candidate_text(channel: str, candidate, g: Naming) -> str:
    """One candidate of a possible answer (`rules.Channel.candidate`) in words."""
    if candidate is None:
        return NO_ONE[channel]
    return g.name(candidate) if channel in (CONTROL, WHERE) else candidate


def answer_words(channel: str, row: dict, g: Naming) -> str:
    """A keyed answer as `state --json` gives it (`query.keyed_json`), in words: the value, the
    candidates of a possible one, what was last known of an unknown one."""
    if row["status"] == "unknown":
        last = row.get("last_seen")
        return "unknown" + (f"; {last_words(channel, last, g)}" if last else "")
    if row["status"] == "possible":
        return " or ".join(candidate_text(channel, c, g) for c in row["candidates"]) + " (possible)"
    return value_text(channel, value_of(channel, row), g)


def last_words(channel: str, last: dict, g: Naming) -> str:
    """What was last known of a key that is unknown now: "last held by Syrian government until its
    end", "last seen: Doha"."""
    what = value_text(channel, value_of(channel, last), g)
    if last["how"] == "ended":
        return ("last held by " if channel == CONTROL else "last ") + f"{what} until its end"
    return f"last seen: {what}"


def value_of(channel: str, fields: dict):
    """A value back from its JSON fields (`rules.Channel.fields`)."""
    if channel == CONTROL:
        return fields["controller"], tuple(fields["contested_with"])
    if channel == WHERE:
        return fields["place"], fields["alive"]
    return fields["state" if channel == UNIT else "order"]


def summarize(ev: Event, g: Gazetteer) -> str:
    n = g.name
    names = lambda ids: ", ".join(n(i) for i in ids)  # noqa: E731
    to = lambda p: f" to {n(p)}" if p else ""  # noqa: E731
    if isinstance(ev, PlaceDescribed):
        return f"place {ev.name} ({ev.kind})"
    if isinstance(ev, PersonDescribed):
        return f"person {ev.name}" + (f" ({'; '.join(ev.roles)})" if ev.roles else "")
    if isinstance(ev, ActorDescribed):
        return f"actor {ev.name} ({ev.kind})"
    if isinstance(ev, UnitDescribed):
        return f"unit {ev.name}" + (f" of {n(ev.actor)}" if ev.actor else "")
    if isinstance(ev, OffensiveLaunched):
        return f"{names(ev.actors) or 'someone'} launched {ev.name}" + (f" from {n(ev.origin)}" if ev.origin else "")
    if isinstance(ev, ControlChanged):
        if ev.how == "contested":
            return f"{n(ev.place)} contested" + (f" by {names(ev.contested_with)}" if ev.contested_with else "")
        if ev.controller is None:
            return f"{n(ev.place)} no longer held ({ev.how})"
        verb = {"held": "held", "captured": "captured", "entered": "entered", "surrendered": "received the surrender of",
                "withdrawn": "took over", "handed-over": "was handed", "secured": "secured"}.get(ev.how, ev.how)
        return f"{n(ev.controller)} {verb} {n(ev.place)}"
    if isinstance(ev, ControlObserved):
        held = f"{n(ev.controller)} held {n(ev.place)}" if ev.controller else f"{n(ev.place)} held by no one named"
        return held + (f", contested by {names(ev.contested_with)}" if ev.contested_with else "")
    if isinstance(ev, CityCaptured):
        return f"{n(ev.by)} captured {n(ev.place)}"
    if isinstance(ev, ForcesWithdrew):
        who = n(ev.unit) if ev.unit else f"{n(ev.actor)} forces"
        return f"{who} withdrew" + (f" from {n(ev.from_place)}" if ev.from_place else "") + to(ev.to_place)
    if isinstance(ev, PersonMoved):
        with_ = f" with {names(ev.companions)}" if ev.companions else ""
        return f"{n(ev.person)} went{to(ev.to_place)}{with_}"
    if isinstance(ev, PersonFled):
        with_ = f" with {names(ev.companions)}" if ev.companions else ""
        return f"{n(ev.person)} fled" + (f" {n(ev.from_place)}" if ev.from_place else "") + to(ev.to_place) + with_
    if isinstance(ev, PersonLocated):
        return f"{n(ev.person)} was in {n(ev.place)}"
    if isinstance(ev, PersonDied):
        return f"{n(ev.person)} died" + (f" in {n(ev.place)}" if ev.place else "")
    if isinstance(ev, PersonAppointed):
        return f"{n(ev.person)} appointed {ev.role}" + (f" by {n(ev.by)}" if ev.by else "")
    if isinstance(ev, CallMade):
        return f"{n(ev.caller)} called {n(ev.callee)}" + (f": {ev.summary}" if ev.summary else "")
    if isinstance(ev, MeetingHeld):
        return f"meeting of {names(ev.participants)}" + (f" in {n(ev.place)}" if ev.place else "")
    if isinstance(ev, StatementIssued):
        who = n(ev.speaker) if ev.speaker else (ev.speaker_description or "someone")
        return f"{who} ({ev.kind}): “{ev.text}”"
    if isinstance(ev, OrderIssued):
        return f"order from {n(ev.issuer) or 'unknown'}" + (f" to {names(ev.recipients)}" if ev.recipients else "") + f": {ev.order}"
    if isinstance(ev, UnitDefeated):
        return f"{n(ev.unit)} defeated" + (f" by {n(ev.by)}" if ev.by else "") + (f" at {n(ev.place)}" if ev.place else "")
    if isinstance(ev, UnitDissolved):
        return f"{n(ev.unit)} dissolved"
    if isinstance(ev, UnitObserved):
        return f"{n(ev.unit)} {ev.state}" + (f" at {n(ev.place)}" if ev.place else "")
    if isinstance(ev, ActorEnded):
        return f"{n(ev.actor)} {ev.how if ev.how != 'other' else 'ended'}" + (f" into {n(ev.into)}" if ev.into else "")
    if isinstance(ev, AirstrikeCarriedOut):
        what = f"{ev.count} airstrikes" if ev.count else "airstrike"
        return f"{what} by {n(ev.actor) or 'unknown'}" + (f" on {n(ev.target)}" if ev.target else "") + (f": {ev.description}" if ev.description else "")
    if isinstance(ev, PowerTransferred):
        return f"power handed from {n(ev.from_actor)} to {n(ev.to_actor)}"
    if isinstance(ev, IncidentReported):
        return ev.description
    if isinstance(ev, SettingChanged):
        return f"setting {ev.key} = {ev.value}" if ev.value is not None else f"setting {ev.key} back to its default"
    if isinstance(ev, EventRetracted):
        return f"retracts {ev.target}: {ev.reason}"
    if isinstance(ev, EventCorrected):
        return f"corrects {ev.target} to: {summarize(ev.replacement, g)} ({ev.reason})"
    return ev.type_name
