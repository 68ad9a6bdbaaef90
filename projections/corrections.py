"""Writing a correction: what it starts from, and the replacement made of that with some fields changed.

A correction supersedes an entry as the log now reads it: a fact as corrected so far, or, for a
correction of a correction, what that correction put in place. Fields, the valid time and the sources
not given carry over from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from chrono import codec
from chrono.entry import Draft
from chrono.errors import ChronoError
from chrono.store import Log
from chrono.timeval import ValidTime
from events import Event, EventCorrected, EventRetracted, Source

from .query import knowledge


@attrs.frozen(kw_only=True)
class Base:
    """What a correction of an entry starts from: the event, valid time and sources it would replace."""

    event: Event
    valid: ValidTime | None
    sources: tuple[Source, ...]


def base_of(log: Log, event_id: str) -> Base:
    """What a correction of `event_id` starts from, as the log reads it now; refuses a retraction (to
    undo it, retract it) and a retracted entry (nothing stands to correct)."""
    target = log.get(event_id)
    if isinstance(target.event, EventRetracted):
        raise ChronoError(f"{event_id} is a retraction; to undo it, `chrono retract {event_id}`")
    if isinstance(target.event, EventCorrected):
        return Base(event=target.event.replacement, valid=target.valid, sources=target.sources)
    current = knowledge(log).fact(event_id)
    if current is None:
        raise ChronoError(f"{event_id} has been retracted; retract the retraction first, or append a new event")
    return Base(event=current.event, valid=current.valid, sources=current.sources)


def correction(log: Log, event_id: str, *, changes: Mapping[str, Any], reason: str, valid: ValidTime | None = None,
               wording: str | None = None, sources: tuple[Source, ...] = (), correction_id: str | None = None) -> Draft:
    """The correction of `event_id` that changes `changes` (field -> value, values as the event type
    takes them) and, when given, the valid time, the wording of the valid time it keeps, and the
    sources; everything else carries over from `base_of`. The replacement is checked as any new event
    is (InvalidEventError)."""
    base = base_of(log, event_id)
    if not changes and valid is None and wording is None and not sources:
        raise ChronoError("say what to correct: a field, the valid time, its wording or the sources")
    converter = codec.get_converter()
    fields = {**codec.unstructure_event(base.event), **converter.unstructure(dict(changes))}
    replacement = codec.structure_event(base.event.type_name, None, fields)
    if valid is None:
        valid = base.valid if wording is None or base.valid is None else base.valid.with_wording(wording)
    return Draft(event=EventCorrected(target=event_id, replacement=replacement, reason=reason), valid=valid,
                 sources=sources or base.sources, id=correction_id)
