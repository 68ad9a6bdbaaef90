"""The codec's fast readers of JSON agree with the validating constructors they stand in for: whatever
they accept, the slow path accepts and builds the same value from; everything well-formed they accept."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chrono import codec
from chrono.timeval import parse_valid_time
from events import REGISTRY

from . import strategies as s

ZONE = "Asia/Damascus"

# JSON values a hostile or careless file may hold where a field's value belongs.
odd_values = [
    None, "", " ", "\n", "a", "a\n", "A", "ab c", "p0", "x" * 129, "ev:1", "-a", "a..b", "other", "city", "captured",
    0, 1, -1, 10**9, 10**9 + 1, 10**400, 1.5, 91.0, -181, 33, True, False, [], ["a"], ["a", 1], [None], "é", {}, {"type": "CallMade"},
    {"type": "CallMade", "caller": "a", "callee": "b"}, {"type": "CallMade", "version": 1, "caller": "a", "callee": "b"},
    {"type": "CallMade", "version": 2, "caller": "a", "callee": "b"}, {"type": "Nope"},
]


@contextlib.contextmanager
def slow_codec():
    """The codec without its fast readers: every payload goes through attrs and cattrs."""
    readers, read_draft = codec._READERS, codec._read_draft
    codec._READERS = {cls: None for cls in REGISTRY.values()}
    codec._read_draft = lambda *a: None
    try:
        yield
    finally:
        codec._READERS, codec._read_draft = readers, read_draft


def slow(fn, *args, **kwargs):
    with slow_codec():
        try:
            return fn(*args, **kwargs), None
        except Exception as e:
            return None, e


def agree(cls, payload: dict) -> bool:
    """Whether the fast reader took `payload`; asserts that it then built what the slow path builds."""
    got = codec._read_payload(cls, payload)
    built, error = slow(codec.structure_event, cls.type_name, None, payload)
    if got is None:
        return False
    assert error is None and got[0] == built, (payload, got, error)
    assert got[1] == codec.unstructure_event(got[0])
    return True


# One test per event type, each with examples of its own: a reader is generated per type, and a bug in
# one type's reader would hide among the others' examples if types were drawn at random.


@pytest.mark.parametrize("type_name", sorted(REGISTRY))
def test_a_read_payload_is_what_the_validating_path_builds(type_name):
    cls = REGISTRY[type_name]

    @given(s.event_of(cls))
    def check(ev):
        payload = orjson.loads(orjson.dumps(codec.unstructure_event(ev)))
        assert agree(cls, payload)  # every well-formed payload takes the fast path
        for key in [*payload, "extra"]:
            agree(cls, {k: v for k, v in payload.items() if k != key})
            for value in odd_values:
                agree(cls, {**payload, key: value})

    check()


valid_values = [
    None, "2024-12-05", "2024-12-07T21:30", "2024-12-07T21", "2024-12-07T21:30:05.5+03:00", "2024-12-07T21:30Z",
    "2024-11", "2024", "2024-12-05~", "2024-12-05?", "2024-12-07T21:30/2024-12-08T03:00", "2024-12-05/2024-12-06",
    "2024-13-01", "2024-12-07T25", "", " ", "yesterday", 5, [], {"literal": "2024-12-05", "wording": "that day"},
    {"literal": "2024-12-05", "zone": "UTC"}, {"literal": "2024-12-05", "zone": "Nowhere/Else"}, {"literal": 5},
    {"earliest": "2024-12-05T00:00+00:00", "latest": "2024-12-06T00:00+00:00"}, {"earliest": "x", "latest": "y"},
    {"literal": "2024-12-05", "wording": 3}, {"when": "2024"}, "2024-12-08/2024-12-05",
]
source_values = [
    None, [], [{"outlet": "AP"}], [{"outlet": "AP", "url": None}], [{"outlet": "AP", "quote": "said", "title": "T"}],
    [{"outlet": ""}], [{"outlet": " "}], [{"title": "no outlet"}], [{"outlet": "AP", "extra": 1}], [{"outlet": 5}],
    [{"outlet": "AP", "title": 5}], ["AP"], "AP", {"outlet": "AP"}, [{"outlet": "AP"}, {"outlet": "AFP", "attribution": None}],
]
link_values = [[], ["ev-1"], ["ev-1", "ev-2"], [1], "ev-1", None]
DRAFT_VALUES = {
    "valid": valid_values, "sources": source_values, "after": link_values, "before": link_values,
    "id": [None, "ev-1", 5, ""], "version": [None, 0, 1, 2, True, "1"], "event": [None, [], "x"], "type": [None, 5, "Nope", "CallMade"],
    "recorded": ["2024-12-05T00:00:00+00:00"], "seq": [3], "hash": ["0" * 64], "nonsense": [1],
}


def agree_draft(obj, allow_stored: bool) -> bool:
    got = codec._read_draft(obj, ZONE, allow_stored)
    read, error = slow(codec.draft_from_json, obj, ZONE, allow_stored=allow_stored)
    if got is None:
        return False
    assert error is None and got == read, (obj, got, error)
    draft = got[0]
    assert draft.encoded == (codec.canonical(codec.unstructure_event(draft.event)), codec.canonical(codec.unstructure_sources(draft.sources)))
    return True


@pytest.mark.parametrize("type_name", sorted(REGISTRY))
def test_a_read_draft_is_what_the_validating_path_reads(type_name):
    @given(s.event_of(REGISTRY[type_name]), s.valid_times().map(codec.valid_to_json), s.sources.map(codec.unstructure_sources), st.booleans())
    def check(ev, valid, sources, allow_stored):
        obj = {"type": ev.type_name, "event": orjson.loads(orjson.dumps(codec.unstructure_event(ev))), "valid": valid, "sources": sources}
        assert agree_draft(obj, allow_stored)
        for key, values in DRAFT_VALUES.items():
            agree_draft({k: v for k, v in obj.items() if k != key}, allow_stored)
            for value in values:
                agree_draft({**obj, key: value}, allow_stored)

    check()


@given(st.sampled_from(["2024-12-05", "2024-12-07T21:30", "2024-12-07T21", "2024-12-07T21:30:05", "2024-12-07T21:30:05.25Z",
                        "2024-12-07T21:30-04:30", "2024-11", "2024", "2024-12-05~", "2024-11%", "2024?", "2024-03-29T02:30",
                        "2024-10-31T00:30", "2024-12-07T21:30/2024-12-08T03:00", "2024-12-05/2024-12-06?"]),
       st.sampled_from(["UTC", "Asia/Damascus", "America/New_York", "Pacific/Apia", "Australia/Lord_Howe"]))
def test_a_parsed_valid_time_is_what_its_validating_constructor_makes(literal, zone):
    vt = parse_valid_time(literal, zone)
    again = attrs.evolve(vt)  # runs every converter and validator of ValidTime
    assert again == vt and again.earliest.tzinfo is vt.earliest.tzinfo and again.latest.tzinfo is vt.latest.tzinfo


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
       st.sampled_from(["UTC", "Asia/Damascus", "America/New_York", "Pacific/Apia", "Australia/Lord_Howe", "Europe/Dublin"]))
def test_a_literal_in_a_zone_means_that_wall_time_there(wall, zone):
    tz = ZoneInfo(zone)
    for form, kept, step in (("%Y-%m-%dT%H", dict(minute=0, second=0, microsecond=0), timedelta(hours=1)),
                             ("%Y-%m-%d %H:%M", dict(second=0, microsecond=0), timedelta(minutes=1)),
                             ("%Y-%m-%dT%H:%M:%S", dict(microsecond=0), timedelta(seconds=1))):
        vt = parse_valid_time(wall.strftime(form), zone)
        assert vt.earliest == wall.replace(**kept, tzinfo=tz).astimezone(UTC) and vt.earliest.tzinfo is UTC
        assert vt.latest == vt.earliest + step
    for digits in range(1, 7):
        fraction = f"{wall.microsecond:06d}"[:digits]
        vt = parse_valid_time(wall.strftime("%Y-%m-%dT%H:%M:%S.") + fraction, zone)
        assert vt.earliest == wall.replace(microsecond=int(fraction.ljust(6, "0")), tzinfo=tz).astimezone(UTC)
        assert vt.latest == vt.earliest + timedelta(microseconds=1)
    lo = datetime.combine(wall.date(), time(), tz).astimezone(UTC)
    hi = datetime.combine(wall.date() + timedelta(days=1), time(), tz).astimezone(UTC)
    if lo < hi:
        day = parse_valid_time(wall.strftime("%Y-%m-%d"), zone)
        assert (day.earliest, day.latest) == (lo, hi)
    else:  # a day the zone skipped (Samoa's 30 December 2011)
        with pytest.raises(ValueError):
            parse_valid_time(wall.strftime("%Y-%m-%d"), zone)


def test_reading_records_pauses_the_collector_only_while_it_reads():
    import gc

    from chrono.errors import InvalidEventError
    from chrono.jsonl import read_records

    good = b'{"type": "PersonLocated", "valid": "2024-12-05", "event": {"person": "h0", "place": "p0"}}'
    assert gc.isenabled()
    records = read_records([good, good], ZONE, allow_stored=False)
    next(records)
    assert not gc.isenabled()
    assert len(list(records)) == 1 and gc.isenabled()
    records = read_records([good, b"{", good], ZONE, allow_stored=False)
    with pytest.raises(InvalidEventError, match="line 2: malformed JSON"):
        list(records)
    assert gc.isenabled()
    records = read_records([good, good], ZONE, allow_stored=False)
    next(records)
    records.close()
    assert gc.isenabled()
    gc.disable()
    try:
        assert len(list(read_records([good], ZONE, allow_stored=False))) == 1 and not gc.isenabled()
    finally:
        gc.enable()
