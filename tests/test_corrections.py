"""Writing a correction: what it starts from, and how the changes merge into the replacement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chrono.clock import FixedClock
from chrono.entry import Draft
from chrono.errors import ChronoError, InvalidEventError
from chrono.store import Log
from chrono.timeval import parse_valid_time
from events import CallMade, EventCorrected, EventRetracted, PersonMoved, Source
from projections.corrections import base_of, correction
from projections.query import knowledge

ZONE = "Africa/Khartoum"
SUDANTRIBUNE = Source(outlet="Sudan Tribune", quote="the RSF entered Wad Madani")


@pytest.fixture
def log() -> Log:
    log = Log.create(":memory:", zone=ZONE, clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC), step=timedelta(seconds=1)))
    log.append([
        Draft(event=PersonMoved(person="hemedti", to_place="wad-madani", companions=("abdelrahim",)),
              valid=parse_valid_time("2023-12-18", ZONE, "on Monday"), sources=(SUDANTRIBUNE,), id="move"),
        Draft(event=CallMade(caller="burhan", callee="hemedti"), valid=parse_valid_time("2023-12-19", ZONE), id="call"),
    ])
    return log


def test_a_correction_changes_the_fields_given_and_keeps_the_rest(log):
    draft = correction(log, "move", changes={"to_place": "hantoub"}, reason="the caption names Hantoub")
    assert PersonMoved(person="hemedti", to_place="hantoub", companions=("abdelrahim",)) == draft.event.replacement
    assert "move" == draft.event.target and "the caption names Hantoub" == draft.event.reason
    assert log.get("move").valid == draft.valid and (SUDANTRIBUNE,) == draft.sources


def test_a_correction_of_the_valid_time_alone_keeps_the_event_and_its_sources(log):
    later = parse_valid_time("2023-12-19", ZONE)
    draft = correction(log, "move", changes={}, valid=later, reason="dated by the second report")
    assert log.get("move").event == draft.event.replacement and later == draft.valid and (SUDANTRIBUNE,) == draft.sources


def test_a_correction_of_the_wording_alone_keeps_the_window(log):
    draft = correction(log, "move", changes={}, wording="early on Monday", reason="the source's words")
    assert (log.get("move").valid.earliest, log.get("move").valid.latest) == (draft.valid.earliest, draft.valid.latest)
    assert "early on Monday" == draft.valid.wording


def test_a_correction_with_sources_replaces_them(log):
    other = (Source(outlet="Radio Dabanga"),)
    assert other == correction(log, "move", changes={}, sources=other, reason="a better source").sources


def test_a_second_correction_starts_from_the_first(log):
    log.append(correction(log, "move", changes={"to_place": "hantoub"}, reason="r", correction_id="c1"))
    assert "hantoub" == base_of(log, "move").event.to_place
    draft = correction(log, "move", changes={"companions": ()}, reason="alone")
    assert PersonMoved(person="hemedti", to_place="hantoub") == draft.event.replacement


def test_correcting_a_correction_starts_from_what_it_put_in_place(log):
    log.append(correction(log, "move", changes={"to_place": "hantoub"}, reason="r", correction_id="c1"))
    draft = correction(log, "c1", changes={"to_place": "rufaa"}, reason="it was Rufaa")
    log.append(draft)
    assert "rufaa" == knowledge(log, use_cache=False).fact("move").event.to_place


def test_a_retraction_cannot_be_corrected(log):
    log.append(Draft(event=EventRetracted(target="call", reason="duplicate"), id="r1"))
    with pytest.raises(ChronoError, match="is a retraction"):
        correction(log, "r1", changes={}, valid=parse_valid_time("2023-12-20", ZONE), reason="r")


def test_a_retracted_event_cannot_be_corrected(log):
    log.append(Draft(event=EventRetracted(target="call", reason="duplicate")))
    with pytest.raises(ChronoError, match="has been retracted"):
        correction(log, "call", changes={"callee": "hamdok"}, reason="r")


def test_a_correction_that_changes_nothing_is_refused(log):
    with pytest.raises(ChronoError, match="say what to correct"):
        correction(log, "call", changes={}, reason="r")


def test_a_replacement_is_checked_as_a_new_event_is(log):
    with pytest.raises(InvalidEventError, match="callee"):
        correction(log, "call", changes={"callee": "Not An Id"}, reason="r")
    assert isinstance(correction(log, "call", changes={"summary": "a ceasefire"}, reason="r").event, EventCorrected)
