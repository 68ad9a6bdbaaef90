"""Event types and entity ids: what a chronology can say. Depends on attrs alone."""

from ._base import ANY, ENTITY_KINDS, REGISTRY, Event, Source, entity_refs, ref_fields, valid_entity_id, valid_event_id
from ._types import (
    ACTOR_KINDS,
    CONTROL_HOWS,
    PLACE_KINDS,
    STATEMENT_KINDS,
    UNIT_KINDS,
    ActorDescribed,
    AirstrikeCarriedOut,
    CallMade,
    CityCaptured,
    ControlChanged,
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

__all__ = [
    "ANY", "ENTITY_KINDS", "REGISTRY", "Event", "Source", "entity_refs", "ref_fields", "valid_entity_id", "valid_event_id",
    "ACTOR_KINDS", "CONTROL_HOWS", "PLACE_KINDS", "STATEMENT_KINDS", "UNIT_KINDS",
    "ActorDescribed", "AirstrikeCarriedOut", "CallMade", "CityCaptured", "ControlChanged", "EventCorrected",
    "EventRetracted", "ForcesWithdrew", "IncidentReported", "MeetingHeld", "OffensiveLaunched", "OrderIssued",
    "PersonAppointed", "PersonDescribed", "PersonDied", "PersonFled", "PersonLocated", "PersonMoved", "PlaceDescribed",
    "PowerTransferred", "StatementIssued", "UnitDefeated", "UnitDescribed", "UnitDissolved",
]
