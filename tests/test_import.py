"""Importing a file: Log.import_stream (one transaction, written in batches) fed by read_records or by
read_prepared (a forked child reads while this process writes) stores exactly what import_records
stores, line for line, and refuses a bad line by its number without writing anything."""

import io
import os
from datetime import timedelta

import pytest

from chrono import codec, jsonl
from chrono.clock import FixedClock
from chrono.entry import Draft
from chrono.errors import ChronoError, ConflictError, DuplicateEventError, InvalidEventError, TamperedError, UnknownEventError
from chrono.store import Log, verify
from events import CallMade, CityCaptured, EventCorrected, EventRetracted, PersonMoved, PlaceDescribed, Source

from .test_store import T0, ZONE, day, rows

FORK = pytest.mark.skipif(not hasattr(os, "fork"), reason="reading in a second process needs fork")


def export_lines(log: Log) -> list[bytes]:
    buf = io.BytesIO()
    jsonl.write_entries(log.entries(), buf)
    return buf.getvalue().splitlines()


@pytest.fixture
def source():
    """A log with every kind of line an import meets: descriptions, facts with and without sources and
    wording, links, a correction of a fact and of a correction, a retraction."""
    with Log.create(":memory:", zone=ZONE, clock=FixedClock(T0, step=timedelta(seconds=1))) as lg:
        lg.append([Draft(event=PlaceDescribed(place=f"p{i}", name=f"Place {i}"), id=f"d{i}") for i in range(5)])
        lg.append([
            Draft(event=CityCaptured(place=f"p{i % 5}", by="hts"), valid=day(f"2024-12-0{1 + i % 8}"), id=f"c{i}",
                  sources=[Source(outlet="AP", quote=f"q{i}")] if i % 2 else [])
            for i in range(12)
        ])
        lg.append(Draft(event=PersonMoved(person="a", to_place="p1"), valid=day("2024-12-05~").with_wording("that week"), id="mv", after=["c1"]))
        lg.append(Draft(event=EventCorrected(target="c3", replacement=CityCaptured(place="p3", by="sna"), reason="r"), valid=day("2024-12-04"), id="k1"))
        lg.append(Draft(event=EventCorrected(target="k1", replacement=CityCaptured(place="p3", by="hts"), reason="r"), valid=day("2024-12-04"), id="k2"))
        lg.append(Draft(event=EventRetracted(target="c7", reason="rumour"), id="k3"))
        lg.append(Draft(event=CallMade(caller="a", callee="b"), valid=day("2024-12-06T10:15"), id="call"))
        yield lg


def copy_log(days: int = 1) -> Log:
    return Log.create(":memory:", zone=ZONE, clock=FixedClock(T0 + timedelta(days=days)))


def through(how: str, log: Log, lines: list[bytes], batch_size: int) -> tuple[int, int]:
    if how == "records":
        return log.import_stream(jsonl.read_records(lines, log.zone, allow_stored=True), batch_size=batch_size)
    return log.import_stream(jsonl.read_prepared(lines, log.zone), batch_size=batch_size)


WAYS = ["records", pytest.param("prepared", marks=FORK)]


@pytest.mark.parametrize("how", WAYS)
@pytest.mark.parametrize("batch_size", [1, 3, 1000])
def test_an_export_imported_in_batches_is_the_log_again(source, how, batch_size, monkeypatch):
    monkeypatch.setattr(jsonl, "_FIRST", 5)  # the first lines read here, the rest by the child
    monkeypatch.setattr(jsonl, "_CHUNK", 4)  # in several messages, cut across the batches
    lines = export_lines(source)
    with copy_log() as copy:
        assert (len(lines), len(lines)) == through(how, copy, lines, batch_size)
        assert rows(source) == rows(copy)
        assert verify(copy).ok
        assert (len(lines), 0) == through(how, copy, lines, batch_size)  # a second time adds nothing
        assert rows(source) == rows(copy)


@pytest.mark.parametrize("how", WAYS)
def test_lines_a_user_wrote_are_stored_as_import_records_stores_them(how, monkeypatch):
    """No recorded time (the clock's), no id (a new one), an old schema, a blank line, a null source
    field, a repeat of an earlier line and a correction of a line in the same batch."""
    monkeypatch.setattr(jsonl, "_FIRST", 1)
    monkeypatch.setattr(jsonl, "_CHUNK", 2)
    lines = [
        b'{"id":"d1","type":"PlaceDescribed","event":{"place":"p1","name":"One"}}',
        b'{"id":"c1","type":"CityCaptured","event":{"place":"p1","by":"hts"},"valid":"2024-12-01","sources":[{"outlet":"AP","url":null}]}',
        b"",
        b'{"id":"mv","type":"PersonMoved","version":1,"event":{"person":"a","destination":"p1"},"valid":{"literal":"2024-12-02","wording":"on the 2nd"}}',
        b'{"id":"c1","type":"CityCaptured","event":{"place":"p1","by":"hts"},"valid":"2024-12-01","sources":[{"outlet":"AP","url":null}]}',
        b'{"id":"k1","type":"EventCorrected","event":{"target":"c1","replacement":{"type":"CityCaptured","place":"p1","by":"sna"},"reason":"r"},"valid":"2024-12-01"}',
        b'{"type":"CallMade","event":{"caller":"a","callee":"b"},"valid":"2024-12-03T09:00"}',
    ]
    with copy_log() as expected, copy_log() as got:
        records = list(jsonl.read_records(lines, ZONE, allow_stored=True))
        expected.import_records([(d, s) for _, d, s in records], line_numbers=[n for n, _, _ in records])
        assert (6, 5) == through(how, got, lines, batch_size=1000)
        # Every column but the ids made for events without one, and the hashes that cover them.
        mask = lambda rs: [(r[0], r[1] if r[1].startswith(("d", "c", "m", "k")) else "made", *r[2:12]) for r in rs]  # noqa: E731
        assert mask(rows(expected)) == mask(rows(got))
        assert got.get("mv").event == PersonMoved(person="a", to_place="p1")
        assert 1 == got.conn.execute("SELECT version FROM events WHERE id = 'mv'").fetchone()[0]  # stored as written


BAD = [
    (b'{"id":"x","type":"CityCaptured","event":{"place":"p1"},"valid":"2024-12-01"}', InvalidEventError),  # no `by`
    (b'{"id":"x","type":"CityCaptured","event":{"place":"p1","by":"hts"},"valid":"2024-13-01"}', InvalidEventError),
    (b'{"id":"x","type":"CityCaptured",', InvalidEventError),
    (b'{"id":"c1","type":"CityCaptured","event":{"place":"p2","by":"hts"},"valid":"2024-12-01"}', DuplicateEventError),
    (b'{"id":"x","type":"EventRetracted","event":{"target":"nowhere","reason":"r"}}', UnknownEventError),
]


@pytest.mark.parametrize("how", WAYS)
@pytest.mark.parametrize(("bad", "error"), BAD)
@pytest.mark.parametrize("first", [0, 20])  # the bad line read by the child, or here
def test_a_bad_line_is_named_and_nothing_is_imported(source, how, bad, error, first, monkeypatch):
    monkeypatch.setattr(jsonl, "_FIRST", first)
    monkeypatch.setattr(jsonl, "_CHUNK", 3)
    # Without their hashes, which hold only for an import into an empty log.
    lines = [codec.canonical({k: v for k, v in codec.loads(line).items() if "hash" not in k}).encode() for line in export_lines(source)]
    lines.insert(15, bad)  # after several batches have been written
    with copy_log(days=-1) as copy:
        copy.append(Draft(event=PlaceDescribed(place="z", name="Z"), id="z"))
        before = rows(copy)
        with pytest.raises(error, match="^line 16: "):
            through(how, copy, lines, batch_size=2)
        assert before == rows(copy)
        assert not copy.conn.in_transaction


@FORK
def test_an_altered_line_is_refused_by_its_hash(source, monkeypatch):
    monkeypatch.setattr(jsonl, "_FIRST", 2)
    lines = export_lines(source)
    lines[8] = lines[8].replace(b'"q3"', b'"Q3"')
    assert b'"Q3"' in lines[8]
    with copy_log() as copy:
        with pytest.raises(TamperedError, match="^line 9: "):
            through("prepared", copy, lines, batch_size=4)
        assert 0 == len(copy)


@FORK
@pytest.mark.parametrize("stop", ["error", "early"])
def test_the_reading_process_is_gone_when_the_import_ends(source, stop, monkeypatch):
    children = []
    fork = os.fork

    def remember():
        pid = fork()
        if pid:
            children.append(pid)
        return pid

    monkeypatch.setattr(jsonl.os, "fork", remember)
    monkeypatch.setattr(jsonl, "_FIRST", 0)
    monkeypatch.setattr(jsonl, "_CHUNK", 1)
    lines = export_lines(source) * 50  # the child is still reading when the parent stops
    reader = jsonl.read_prepared(lines if stop == "early" else lines[:3] + [b"{"] + lines, ZONE)
    if stop == "early":
        next(reader)
        reader.close()
    else:
        with pytest.raises(InvalidEventError, match="^line 4: "):
            list(reader)
    [pid] = children
    with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
        os.waitpid(pid, os.WNOHANG)


@FORK
def test_a_reading_process_that_dies_is_an_error_not_a_short_import(source, monkeypatch):
    def die(lines, zone, out, **_):
        out.write(b"\x80")  # the start of a message, then nothing
        os._exit(3)

    monkeypatch.setattr(jsonl, "_send_prepared", die)
    monkeypatch.setattr(jsonl, "_FIRST", 3)
    with copy_log() as copy:
        with pytest.raises(ChronoError, match="reading process ended early"):
            through("prepared", copy, export_lines(source), batch_size=2)
        assert 0 == len(copy)


def test_a_small_file_or_a_pipe_is_read_in_this_process(tmp_path):
    small = tmp_path / "small.jsonl"
    small.write_bytes(b"{}\n")
    with open(small, "rb") as f:
        assert not jsonl.parallel_reading(f)
    r, w = os.pipe()
    with open(r, "rb") as f, open(w, "wb"):
        assert not jsonl.parallel_reading(f)
    assert not jsonl.parallel_reading(io.BytesIO(b"{}\n"))


@FORK
def test_a_program_that_ignores_its_children_can_still_import(source, monkeypatch):
    """With SIGCHLD ignored the system reaps the child itself: waiting for it must not fail."""
    import signal

    monkeypatch.setattr(jsonl, "_FIRST", 2)
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        with copy_log() as copy:
            lines = export_lines(source)
            assert (len(lines), len(lines)) == through("prepared", copy, lines, batch_size=3)
            assert rows(source) == rows(copy)
    finally:
        signal.signal(signal.SIGCHLD, previous)


# Every refusal of the log's write path, worded as users read it: (line, error, message after "line 2: ").
CALL = '"type":"CallMade","event":{"caller":"a","callee":"b"}'
REFUSALS = [
    ('{"id":"not an id!",' + CALL + ',"valid":"2024-12-01"}', InvalidEventError,
     "'not an id!' is not an event id (letters, digits, '.', '_', ':' or '-')"),
    ('{"id":"z","type":"PlaceDescribed","event":{"place":"z","name":"Not Z"}}', DuplicateEventError,
     "event 'z' is already in the log with different content"),
    ('{"id":"x",' + CALL + '}', InvalidEventError, "CallMade needs a valid time (when did it happen?)"),
    ('{"id":"x","type":"EventRetracted","event":{"target":"c","reason":"r"},"valid":"2024-12-01"}', InvalidEventError,
     "a retraction has no valid time of its own"),
    ('{"id":"x",' + CALL + ',"valid":"2024-12-01","after":["nope"]}', UnknownEventError, "after: no event 'nope' in the log or the file"),
    ('{"id":"x",' + CALL + ',"valid":"2024-12-01","before":["c","nope"]}', UnknownEventError, "before: no event 'nope' in the log or the file"),
    ('{"id":"x","type":"EventRetracted","event":{"target":"nowhere","reason":"r"}}', UnknownEventError,
     "EventRetracted: no event 'nowhere' in the log to correct"),
    ('{"id":"x","type":"EventCorrected","event":{"target":"c","reason":"r","replacement":{"type":"EventRetracted","target":"c","reason":"r"}}}',
     InvalidEventError, "a replacement must be an event about the world, not a correction"),
    ('{"id":"x","type":"EventCorrected","event":{"target":"r","reason":"r","replacement":{"type":"CallMade","caller":"a","callee":"b"}},'
     '"valid":"2024-12-01"}', InvalidEventError, "r is a retraction; to undo it, retract it"),
    ('{"id":"x","type":"EventCorrected","event":{"target":"c","reason":"r","replacement":{"type":"CityCaptured","place":"p","by":"a"}},'
     '"valid":"2024-12-01"}', InvalidEventError, "c is a CallMade; its replacement must be one too (retract it and append the new event instead)"),
    ('{"id":"x",' + CALL + ',"valid":"2024-12-01","recorded":null}', InvalidEventError, "recorded: None is not an ISO time"),
    ('{"id":"x",' + CALL + ',"valid":"2024-12-01","recorded":5}', InvalidEventError, "recorded: 5 is not an ISO time"),
    ('{"id":"x",' + CALL + ',"valid":"2024-12-01","recorded":"yesterday"}', InvalidEventError, "recorded: 'yesterday' is not an ISO time"),
    ('{"id":"x",' + CALL + ',"valid":"2024-12-01","recorded":"2025-06-01T00:00:00"}', InvalidEventError, "recorded needs an offset"),
    ('{"id":"x",' + CALL + ',"valid":"2024-12-01","recorded":"2000-01-01T00:00:00+00:00"}', InvalidEventError,
     "recorded times must not go backwards along the log"),
    ('{"id":"x",' + CALL + ',"valid":"2024-12-01","hash":"' + "0" * 64 + '"}', TamperedError,
     "event 'x': its hash does not match the content (the file was altered, or it does not continue this log)"),
]


@pytest.mark.parametrize("how", WAYS)
@pytest.mark.parametrize(("line", "error", "message"), REFUSALS)
@pytest.mark.parametrize("first", [0, 20])  # the line read by the child, or here
def test_each_refusal_of_the_write_path_says_what_is_wrong_and_where(how, line, error, message, first, monkeypatch):
    monkeypatch.setattr(jsonl, "_FIRST", first)
    with Log.create(":memory:", zone=ZONE, clock=FixedClock(T0)) as lg:
        lg.append([Draft(event=PlaceDescribed(place="z", name="Z"), id="z"), Draft(event=CallMade(caller="a", callee="b"), valid=day("2024-12-01"), id="c"),
                   Draft(event=EventRetracted(target="c", reason="r"), id="r")])
        before = rows(lg)
        good = b'{"id":"g","type":"PlaceDescribed","event":{"place":"g","name":"G"}}'
        with pytest.raises(error) as e:
            through(how, lg, [good, line.encode(), good.replace(b'"g"', b'"h"')], batch_size=1000)
        assert f"line 2: {message}" == str(e.value)
        assert before == rows(lg)


def test_the_write_path_refuses_a_stale_position_and_a_naive_clock():
    with Log.create(":memory:", zone=ZONE, clock=FixedClock(T0)) as lg:
        lg.append(Draft(event=PlaceDescribed(place="z", name="Z"), id="z"))
        with pytest.raises(ConflictError) as e:
            lg.append(Draft(event=PlaceDescribed(place="y", name="Y"), id="y"), expected_position=0)
        assert "conflict: expected the log to end at position 0, but it ends at 1" == str(e.value)
        lg.clock = lambda: T0.replace(tzinfo=None)
        with pytest.raises(ChronoError) as e:
            lg.append(Draft(event=PlaceDescribed(place="y", name="Y"), id="y"))
        assert "the clock must give timezone-aware times" == str(e.value)
