"""One-line readings of events for people: "HTS captured Aleppo", "Lavrov called Fidan"."""

from __future__ import annotations

from events import (
    ActorDescribed,
    AirstrikeCarriedOut,
    CallMade,
    CityCaptured,
    ControlChanged,
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
    StatementIssued,
    UnitDefeated,
    UnitDescribed,
    UnitDissolved,
)

from .gazetteer import Gazetteer


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
    if isinstance(ev, AirstrikeCarriedOut):
        what = f"{ev.count} airstrikes" if ev.count else "airstrike"
        return f"{what} by {n(ev.actor) or 'unknown'}" + (f" on {n(ev.target)}" if ev.target else "") + (f": {ev.description}" if ev.description else "")
    if isinstance(ev, PowerTransferred):
        return f"power handed from {n(ev.from_actor)} to {n(ev.to_actor)}"
    if isinstance(ev, IncidentReported):
        return ev.description
    if isinstance(ev, EventRetracted):
        return f"retracts {ev.target}: {ev.reason}"
    if isinstance(ev, EventCorrected):
        return f"corrects {ev.target} to: {summarize(ev.replacement, g)} ({ev.reason})"
    return ev.type_name
