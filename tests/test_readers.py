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
from chrono.errors import InvalidEventError
from chrono.store import valid_columns
from chrono.timeval import _parse_one, parse_valid_time
from events import REGISTRY, Source

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


def typed(value):
    """`value` with the type of each of its parts beside it, so that 1 and 1.0, a list and a tuple, differ."""
    if attrs.has(type(value)):
        return type(value), tuple((a.name, typed(getattr(value, a.name))) for a in attrs.fields(type(value)))
    if isinstance(value, (list, tuple)):
        return type(value), tuple(map(typed, value))
    return type(value), value


def stored_forms(payload: dict, cls: type) -> list[dict]:
    """Payloads the log may hold for one event: as written now; without a defaulted field (a row written
    before the field was added); with a whole number where a float belongs (JSON does not tell 1 from 1.0)."""
    out = [payload]
    out += [{k: v for k, v in payload.items() if k != a.name} for a in attrs.fields(cls) if a.default is not attrs.NOTHING]
    out.append({k: int(v) if type(v) is float and v.is_integer() and abs(v) < 2**53 else v for k, v in payload.items()})
    return out


@given(s.any_event)
def test_a_stored_event_decodes_to_what_its_constructor_builds(ev):
    cls = type(ev)
    payload = codec.unstructure_event(ev)
    assert typed(ev) == typed(codec.decode_stored(ev.type_name, ev.version, codec.canonical(payload)))
    if not cls.correction:  # (a correction's replacement is an object in JSON, an event only once structured)
        for p in stored_forms(payload, cls):
            assert typed(cls(**p)) == typed(codec.decode_stored(ev.type_name, ev.version, codec.canonical(p)))


# Sources as their constructor accepts them: it checks only the outlet.
loose_sources = st.lists(st.builds(
    Source, outlet=s.texts, title=st.none() | s.texts | st.integers(-5, 5), attribution=st.none() | s.texts,
    quote=st.none() | s.texts | st.lists(s.texts, max_size=2), url=st.none() | s.texts | st.booleans()), max_size=3)


@given(s.sources | loose_sources)
def test_stored_sources_decode_to_what_their_constructor_builds(sources):
    text = codec.canonical(codec.unstructure_sources(sources))
    expected = tuple(Source(**d) for d in codec.loads(text))
    assert typed(expected) == typed(codec.decode_sources(text))


def test_decoding_stored_rows_never_switches_the_validators_off(monkeypatch):
    from events import CallMade, PlaceDescribed

    def refuse(_disabled):
        raise AssertionError("attrs.validators.set_disabled switches validators off for every thread")

    monkeypatch.setattr(attrs.validators, "set_disabled", refuse)
    assert PlaceDescribed(place="p0", name="P", lat=1.0) == codec.decode_stored("PlaceDescribed", 1, '{"place":"p0","name":"P","lat":1}')
    assert CallMade(caller="a", callee="b") == codec.decode_stored("CallMade", 1, '{"caller":"a","callee":"b"}')
    assert (Source(outlet="AP", title=5),) == codec.decode_sources('[{"outlet":"AP","title":5}]')
    with pytest.raises(InvalidEventError):  # a row that is not what the log writes still takes the checked path
        codec.decode_stored("CallMade", 1, '{"caller":"a","callee":"b","extra":1}')


valid_values = [
    None, "2024-12-05", "2024-12-07T21:30", "2024-12-07T21", "2024-12-07T21:30:05.5+03:00", "2024-12-07T21:30Z",
    "2024-11", "2024", "2024-12-05~", "2024-12-05?", "2024-12-07T21:30/2024-12-08T03:00", "2024-12-05/2024-12-06",
    "2024-13-01", "2024-12-07T25", "", " ", "yesterday", 5, [], {"literal": "2024-12-05", "wording": "that day"},
    {"literal": "2024-12-05", "zone": "UTC"}, {"literal": "2024-12-05", "zone": "Nowhere/Else"}, {"literal": 5},
    {"earliest": "2024-12-05T00:00+00:00", "latest": "2024-12-06T00:00+00:00"}, {"earliest": "x", "latest": "y"},
    {"literal": "2024-12-05", "wording": 3}, {"when": "2024"}, "2024-12-08/2024-12-05",
    # EDTF: open and unknown ends, qualified ends, unspecified digits, seasons, sets, the calendar's edges, level 2 refused
    "1985-04-12/..", "../1985-04-12", "1985-04/", "/1985", "/", "../..", "1984?/2004%", "1984~/1983", "1985-04-12T23:20:30-04",
    "201X", "1985-XX-XX", "XXXX-12-XX", "156X-12-25", "2001-21", "2010-24", "2001-34", "2001-42", "[1667,1668,1670..1672]",
    "[..1760-12-03]", "{1960, 1961-12}", "[1672..1670]", "9999", "9999-12-31", "0001-01-01", "0000", "-1985", "Y170000002",
    "Y-17E7", "1950S2", "2004-?06-11", {"literal": "[1760-12..]", "wording": "that December or later"}, {"literal": "201X", "zone": "UTC"},
    {"earliest": "open", "latest": "2024-12-06T00:00+00:00"}, {"earliest": "2024-12-05T00:00+00:00", "latest": "unknown"},
    {"earliest": "2024-12-05T00:00+00:00", "latest": "9999-12-31T24:00:00+00:00"}, {"earliest": "unknown", "latest": "open"},
    {"earliest": "2024-12-05T00:00+00:00", "latest": "2024-12-06T00:00+00:00", "qualifier": "uncertain", "qualifiers": ["uncertain", None]},
    {"earliest": "2024-12-05T00:00+00:00", "latest": "2024-12-06T00:00+00:00", "qualifiers": ["maybe", None]},
    {"earliest": "2024-12-05T00:00+00:00", "latest": "2024-12-06T00:00+00:00", "edtf": "2024-12-XX"}, {"earliest": "open", "latest": "ever"},
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
    @given(s.event_of(REGISTRY[type_name]), (s.valid_times() | s.any_valid_times()).map(codec.valid_to_json),
           s.sources.map(codec.unstructure_sources), st.booleans())
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
                        "2024-10-31T00:30", "2024-12-07T21:30/2024-12-08T03:00", "2024-12-05/2024-12-06?",
                        "1985-04-12T23:20:30-04", "1985-04-12/..", "../1985-04", "1985/", "/1985-04-12T10:00", "1984?/2004%",
                        "201X", "20XX", "1985-04-XX", "1985-XX-XX", "XXXX-12-XX", "156X-12-25~", "2001-21", "2010-24", "2001-34",
                        "[1667,1668,1670..1672]", "[..1760-12-03]", "[1760-01,1760-02,1760-12..]", "{1960,1961-12}", "{..1984}",
                        "9999", "9999-12-31~", "0001-01-01", "2004-06-XX/2004-07-03"]),
       st.sampled_from(["UTC", "Asia/Damascus", "America/New_York", "Pacific/Apia", "Australia/Lord_Howe"]))
def test_a_parsed_valid_time_is_what_its_validating_constructor_makes(literal, zone):
    vt = parse_valid_time(literal, zone)
    again = attrs.evolve(vt)  # runs every converter and validator of ValidTime
    assert again == vt
    assert (again.earliest and again.earliest.tzinfo) is (vt.earliest and vt.earliest.tzinfo)
    assert (again.latest and again.latest.tzinfo) is (vt.latest and vt.latest.tzinfo)
    if "/" not in literal:
        assert vt is _parse_one(literal, zone)  # what the import's readers take for a single literal
    assert vt == codec.valid_from_columns(*valid_columns(vt)) == codec.valid_from_json(codec.valid_to_json(vt), "UTC")


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
       st.sampled_from(["UTC", "Asia/Damascus", "America/New_York", "Pacific/Apia", "Australia/Lord_Howe", "Europe/Dublin"]))
def test_a_literal_in_a_zone_means_that_wall_time_there(wall, zone):
    wall = wall.replace(fold=0)  # (a literal says no fold: a wall time that occurs twice reads as its first, `timeval`)
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


# --- generated code is visible to tracebacks, debuggers and coverage ---------------------------------


def test_a_traceback_through_a_generated_reader_shows_the_generated_line():
    import traceback

    from events import PlaceDescribed

    with pytest.raises(OverflowError) as e:
        codec._reader(PlaceDescribed)({"place": "p0", "name": "P", "lat": 10**400})  # too large for a float
    text = "".join(traceback.format_exception(e.value))
    assert 'File "<chrono generated reader events._types.PlaceDescribed>"' in text
    assert "x3 = float(x3)" in text


def test_a_traceback_through_a_generated_unstructurer_shows_the_generated_line():
    import traceback

    from events import CallMade

    codec.unstructure_event(CallMade(caller="a", callee="b"))
    with pytest.raises(AttributeError) as e:
        codec._UNSTRUCTURERS[CallMade](object())
    text = "".join(traceback.format_exception(e.value))
    assert 'File "<chrono generated unstructurer events._types.CallMade>"' in text
    assert "'caller': ev.caller," in text


def test_a_generated_builder_has_its_lines_in_linecache_under_its_own_name():
    import linecache

    from chrono._build import builder
    from events import Source

    forward = builder(Source, ("outlet", "title", "attribution", "quote", "url"))
    backward = builder(Source, ("url", "quote", "attribution", "title", "outlet"))
    names = [fn.__code__.co_filename for fn in (forward, backward)]
    assert names[0] != names[1]  # two sources for one class, two names
    assert all(name.startswith("<chrono generated builder events._base.Source") for name in names)
    line = linecache.getline(backward.__code__.co_filename, backward.__code__.co_firstlineno + 2)
    assert "set0(obj, v0)  # url" == line.strip()
    assert Source(outlet="AP", url="u") == backward("u", None, None, None, "AP")
