"""The laws the engine must keep, for any log hypothesis can build."""

from __future__ import annotations

import io
import math
import os
import sqlite3
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, precondition, rule

from chrono import codec
from chrono.clock import FixedClock
from chrono.entry import Draft
from chrono.errors import InvalidEventError
from chrono.jsonl import read_prepared, read_records, write_entries
from chrono.store import Log, verify
from chrono.timeval import ValidTime
from events import REGISTRY, Event, EventCorrected, EventRetracted
from projections import cache, search
from projections.query import knowledge, state_json, world_at
from projections.query import state as state_document
from projections.resolve import resolve
from projections.world import LIST_NAMES, fold

from . import strategies as s

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ZONE = "Asia/Damascus"


def new_log(step=timedelta(seconds=1)) -> Log:
    return Log.create(":memory:", zone=ZONE, clock=FixedClock(NOW, step=step))


def state(log: Log, at: datetime, known_at: datetime | None = None, *, use_cache: bool = False) -> dict:
    """The whole state document: with `use_cache`, as `chrono state --all` reads it from the cache's
    indexes; without, from the fold of the resolved log."""
    doc, _names = state_document(log, at, known_at, zone=ZONE, limit=None, use_cache=use_cache)
    doc.pop("known_at")
    for name in LIST_NAMES:
        doc[name].sort(key=lambda h: h["event"])
    return doc


def loaded(drafts, *, one_by_one: bool = False) -> Log:
    log = new_log()
    log.append(s.descriptions())
    if one_by_one:
        for d in drafts:
            log.append(d)
    else:
        log.append(drafts)
    return log


# --- codec -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("type_name", sorted(REGISTRY))
def test_every_event_type_round_trips_through_the_codec(type_name):
    @given(s.event_of(REGISTRY[type_name]))
    def check(ev):
        payload = codec.unstructure_event(ev)
        text = codec.canonical(payload)
        assert ev == codec.structure_event(type_name, ev.version, codec.loads(text))

    check()


@given(st.lists(s.any_event, min_size=1, max_size=5), s.valid_times() | s.any_valid_times())
def test_entries_round_trip_through_the_store_exactly(evs, valid):
    log = new_log()
    drafts = [Draft(event=e, valid=None if (e.timeless or isinstance(e, EventRetracted)) else valid, id=f"x{i}") for i, e in enumerate(evs)]
    assume(not any(e.correction for e in evs))
    stored = log.append(drafts)
    assert [(d.event, d.valid) for d in drafts] == [(e.event, e.valid) for e in log.entries()]
    assert [e.hash for e in stored] == [e.hash for e in log.entries()]


# --- folds -----------------------------------------------------------------------------------------


@given(st.lists(s.fact_drafts(max_size=5), min_size=1, max_size=3), st.data(), s.query_times)
def test_replaying_the_log_twice_gives_the_same_state(batches, data, at):
    """A replay depends on the entries alone: not on what an earlier replay left behind (`chrono
    replay` rebuilds the cache, once or twice), nor on which log holds them (a second one they are
    replayed into), nor on the order the fold is handed the facts in."""
    from projections import cache

    log, _times = history_log(batches, data)
    before = state(log, at, use_cache=True)
    standing = len(resolve(log.entries()).facts)
    for _ in range(2):
        assert standing == cache.rebuild(log)
        assert before == state(log, at, use_cache=True)
    again = new_log()
    again.append([Draft(event=e.event, valid=e.valid, sources=e.sources, id=e.id, after=e.after, before=e.before) for e in log.entries()])
    assert before == state(again, at, use_cache=True)
    assert before == state(again, at)
    facts = resolve(log.entries()).facts
    first, second = fold(facts, at=codec.to_micros(at)), fold(list(reversed(facts)), at=codec.to_micros(at))
    assert {c: first.answers(c) for c in first.cells} == {c: second.answers(c) for c in second.cells}
    assert first.lists == second.lists


@given(s.fact_drafts(), st.lists(s.query_times, min_size=1, max_size=4))
def test_cache_answers_equal_the_fold_for_any_valid_time(drafts, times):
    log = loaded(drafts)
    for at in times:
        assert state(log, at, use_cache=False) == state(log, at, use_cache=True)


@given(s.fact_drafts(), s.query_times)
def test_appending_one_at_a_time_with_reads_between_equals_one_batch(drafts, at):
    stepwise = new_log()
    stepwise.append(s.descriptions())
    for d in drafts:
        stepwise.append(d)
        state(stepwise, at, use_cache=True)  # reads refresh the cache as events arrive
    assert state(loaded(drafts), at) == state(stepwise, at, use_cache=True)


@given(s.fact_drafts(distinct_starts=True), st.randoms(use_true_random=False), s.query_times)
def test_recording_order_does_not_change_the_valid_time_state(drafts, rnd, at):
    shuffled = list(drafts)
    rnd.shuffle(shuffled)
    assert state(loaded(drafts), at) == state(loaded(shuffled), at)


@given(s.fact_drafts(min_size=2), st.data(), s.query_times)
def test_retracting_an_event_equals_the_log_without_it(drafts, data, at):
    i = data.draw(st.integers(0, len(drafts) - 1))
    log = loaded(drafts)
    before = log.head().recorded
    log.append(Draft(event=EventRetracted(target=drafts[i].id, reason="wrong")))
    assert state(loaded(drafts[:i] + drafts[i + 1:]), at) == state(log, at)
    # As known before the retraction, the event still stands.
    assert state(loaded(drafts), at) == state(log, at, before)


@given(s.fact_drafts(), st.data(), s.query_times)
def test_superseding_an_event_equals_the_log_with_the_replacement_in_its_place(drafts, data, at):
    i = data.draw(st.integers(0, len(drafts) - 1))
    target = drafts[i]
    replacement = data.draw(s.event_of(type(target.event), pooled=True))
    new_valid = data.draw(s.valid_times())
    log = loaded(drafts)
    before = log.head().recorded
    log.append(Draft(event=EventCorrected(target=target.id, replacement=replacement, reason="r"), valid=new_valid, sources=target.sources))
    in_place = drafts[:i] + [attrs.evolve(target, event=replacement, valid=new_valid)] + drafts[i + 1:]
    assert state(loaded(in_place), at) == state(log, at)
    assert state(loaded(drafts), at) == state(log, at, before)


@given(s.fact_drafts(), st.data(), s.query_times)
def test_a_retracted_correction_restores_the_original(drafts, data, at):
    i = data.draw(st.integers(0, len(drafts) - 1))
    target = drafts[i]
    log = loaded(drafts)
    log.append(Draft(event=EventCorrected(target=target.id, replacement=data.draw(s.event_of(type(target.event), pooled=True)), reason="r"), valid=target.valid, id="c1"))
    log.append(Draft(event=EventRetracted(target="c1", reason="the correction was wrong")))
    assert state(loaded(drafts), at) == state(log, at)


@given(st.lists(s.fact_drafts(max_size=4), min_size=1, max_size=4), s.query_times, st.data())
def test_state_known_at_k_equals_the_log_truncated_at_k(batches, at, data):
    log, heads = new_log(), []
    log.append(s.descriptions())
    for n, batch in enumerate(batches):
        batch = [attrs.evolve(d, id=f"b{n}-{d.id}") for d in batch]
        log.append(batch)
        heads.append((log.head().recorded, batch))
    k = data.draw(st.integers(0, len(heads) - 1))
    truncated = new_log()
    truncated.append(s.descriptions())
    for _, batch in heads[: k + 1]:
        truncated.append(batch)
    assert state(truncated, at) == state(log, at, heads[k][0])


# --- the log: export/import and tampering -----------------------------------------------------------


@given(s.fact_drafts(), st.data())
def test_export_then_import_reproduces_the_log_exactly(drafts, data):
    log = loaded(drafts)
    if data.draw(st.booleans()):
        log.append(Draft(event=EventRetracted(target=drafts[0].id, reason="x")))
    buffer = io.BytesIO()
    write_entries(log.entries(), buffer)
    lines = buffer.getvalue().splitlines()
    copy = Log.create(":memory:", zone=ZONE, clock=FixedClock(NOW + timedelta(days=1)))
    # The three ways in: one batch of entries; in batches, read here; in batches, read by a second process.
    how = data.draw(st.sampled_from(["records", "stream", "prepared"] if hasattr(os, "fork") else ["records", "stream"]))
    batch = data.draw(st.integers(1, 5))
    for _ in range(2):  # the second import of the same file adds nothing
        if how == "records":
            copy.import_records([(d, stored) for _, d, stored in read_records(lines, ZONE, allow_stored=True)])
        else:
            records = read_records(lines, ZONE, allow_stored=True) if how == "stream" else read_prepared(lines, ZONE, first=batch - 1)
            copy.import_stream(records, batch_size=batch)
        assert log.head() == copy.head()
    at = s.BASE + timedelta(hours=10)
    assert state(log, at) == state(copy, at)


_TEXT_COLUMNS = ("id", "type", "valid_meta", "body", "sources", "links", "prev_hash", "hash")
_INT_COLUMNS = ("version", "valid_lo", "valid_hi", "recorded")


@given(s.fact_drafts(max_size=6), st.data())
def test_any_change_to_a_stored_row_is_caught_by_verify(drafts, data):
    log = loaded(drafts)
    assert verify(log).ok
    n = log.head().seq
    seq = data.draw(st.integers(1, n))
    conn: sqlite3.Connection = log.conn
    conn.execute("DROP TRIGGER events_no_update")
    column = data.draw(st.sampled_from(_TEXT_COLUMNS + _INT_COLUMNS))
    value = conn.execute(f"SELECT {column} FROM events WHERE seq = ?", (seq,)).fetchone()[0]
    assume(value is not None)
    if column in _INT_COLUMNS:
        new = value + data.draw(st.integers(1, 10**6) | st.integers(-(10**6), -1))
    else:
        pos = data.draw(st.integers(0, len(value) - 1))
        ch = data.draw(st.characters(codec="ascii").filter(lambda c: c != value[pos]))
        new = value[:pos] + ch + value[pos + 1:]
    note(f"{column} of {seq}: {value!r} -> {new!r}")
    try:
        conn.execute(f"UPDATE events SET {column} = ? WHERE seq = ?", (new, seq))
    except sqlite3.IntegrityError:
        assume(False)  # SQLite itself refuses this change (an id made equal to another): nothing to catch
    report = verify(log)
    assert not report.ok
    assert seq == report.position


def test_swapping_two_rows_is_caught_by_verify():
    log = loaded([Draft(event=REGISTRY["CallMade"](caller="h0", callee="h1"), valid=ValidTime(earliest=s.BASE, latest=s.BASE + timedelta(hours=1)), id=f"c{i}") for i in range(3)])
    conn = log.conn
    conn.execute("DROP TRIGGER events_no_update")
    n = log.head().seq
    conn.execute("UPDATE events SET seq = -1 WHERE seq = ?", (n,))
    conn.execute("UPDATE events SET seq = ? WHERE seq = ?", (n, n - 1))
    conn.execute("UPDATE events SET seq = ? WHERE seq = -1", (n - 1,))
    report = verify(log)
    assert (False, n - 1) == (report.ok, report.position)


# --- a stateful model: appends, corrections, retractions and time travel --------------------------


@attrs.frozen
class Written:
    """An entry as the machine appended it."""

    id: str
    event: Event
    valid: ValidTime | None
    sources: tuple


def reads_as(written: list[Written]) -> dict[str, tuple | None]:
    """What each fact id reads as, (event, valid, sources, via), or None when it is retracted: by the
    plain rule, not by the engine's walk. An entry reads as written unless the latest of the entries
    that correct or retract it, and still stand themselves, says otherwise: a retraction removes it;
    a correction puts its replacement and valid time in its place, its sources too when it has any.
    A correction that is itself corrected still corrects its target, but with the later replacement,
    valid time and sources; so a fact reads as the end of its chain, however long."""
    by_id = {w.id: w for w in written}
    acting_on: dict[str, list[Written]] = {}
    for w in written:
        if w.event.correction:
            acting_on.setdefault(w.event.target, []).append(w)

    def reading(entry_id: str) -> tuple | None:
        w = by_id[entry_id]
        for c in reversed(acting_on.get(entry_id, [])):
            got = reading(c.id)
            if got is None:
                continue  # a retracted correction or retraction says nothing
            event, valid, sources, via = got
            if isinstance(event, EventRetracted):
                return None
            content = attrs.evolve(w.event, replacement=event.replacement) if w.event.correction else event.replacement
            return content, valid, sources or w.sources, (c.id, *via)
        return w.event, w.valid, w.sources, ()

    return {w.id: reading(w.id) for w in written if not w.event.correction}


DESCRIBED = frozenset(d.id for d in s.descriptions())


def facts_read(log: Log, known_at: datetime | None = None, *, use_cache: bool) -> dict[str, tuple]:
    k = knowledge(log, known_at, use_cache=use_cache)
    assert use_cache == k.cached
    return {f.id: (f.event, f.valid, f.sources, f.via) for f in k.facts if f.id not in DESCRIBED}


def words_read(log: Log, known_at: datetime | None = None) -> dict[str, tuple[str, str, str]]:
    """The words of every fact (descriptions too) as the fold reads the log as known at K."""
    return {f.id: search.texts(f.event, f.valid, f.sources) for f in knowledge(log, known_at, use_cache=False).facts}


def words_indexed(log: Log, known_at: datetime | None = None) -> dict[str, tuple[str, str, str]]:
    """The words of every fact's version that the search index, caught up, has standing at K's position
    (one version a fact at most)."""
    position = cache.position_at(log, known_at)
    rows = search.ready_index(log).conn.execute(
        "SELECT v.fact, t.what, t.time, t.sources FROM search_versions AS v JOIN search_text AS t ON t.rowid = v.id "
        "WHERE v.seq_from <= ? AND ? < v.seq_to", (position, position)).fetchall()
    out = {fact: (what, time, said) for fact, what, time, said in rows}
    assert len(rows) == len(out)
    return out


class LogMachine(RuleBasedStateMachine):
    """Appends facts, corrects and retracts them, corrects and retracts the corrections and retracts
    the retractions, to any depth; and holds what the log reads as, now and as known at every
    earlier recorded time, to a plain model of what the entries say, from the fold and the cache."""

    facts = Bundle("facts")
    corrections = Bundle("corrections")
    retractions = Bundle("retractions")

    def __init__(self):
        super().__init__()
        self.log = new_log()
        self.log.append(s.descriptions())
        self.written: list[Written] = []
        self.by_id: dict[str, Written] = {}
        self.snapshots: list[tuple[datetime, int]] = []  # a recorded time, and how many entries were written by then

    def _write(self, prefix: str, event, valid=None, sources=()) -> str:
        entry_id = f"{prefix}{len(self.written) + 1}"
        self.log.append(Draft(event=event, valid=valid, sources=sources, id=entry_id))
        self.written.append(w := Written(id=entry_id, event=event, valid=valid, sources=sources))
        self.by_id[entry_id] = w
        self.snapshots.append((self.log.head().recorded, len(self.written)))
        return entry_id

    def _fact_type(self, entry_id: str) -> type:
        ev = self.by_id[entry_id].event
        return type(ev.replacement if isinstance(ev, EventCorrected) else ev)

    @rule(target=facts, ev=s.world_events, valid=s.valid_times(), sources=s.sources)
    def append_fact(self, ev, valid, sources):
        return self._write("f", ev, valid, sources)

    # One rule for each kind of target, so a rule waits for its bundle to fill (an empty bundle drawn
    # from inside st.one_of would throw the whole example away).

    def _correct(self, target_id, data):
        replacement = data.draw(s.event_of(self._fact_type(target_id), pooled=True))
        return self._write("c", EventCorrected(target=target_id, replacement=replacement, reason="r"), data.draw(s.valid_times()), data.draw(s.sources))

    @rule(target=corrections, target_id=facts, data=st.data())
    def correct_a_fact(self, target_id, data):
        return self._correct(target_id, data)

    @rule(target=corrections, target_id=corrections, data=st.data())
    def correct_a_correction(self, target_id, data):
        """Its replacement is of the type of the one it replaces (the store refuses any other)."""
        return self._correct(target_id, data)

    @precondition(lambda self: any(isinstance(w.event, EventCorrected) for w in self.written))
    @rule(target=corrections, data=st.data())
    def correct_the_latest_correction(self, data):
        """Chains grow deep faster than by drawing corrections at random."""
        return self._correct(next(w.id for w in reversed(self.written) if isinstance(w.event, EventCorrected)), data)

    @rule(target=retractions, target_id=facts)
    def retract_a_fact(self, target_id):
        return self._write("r", EventRetracted(target=target_id, reason="r"))

    @rule(target=retractions, target_id=corrections)
    def retract_a_correction(self, target_id):
        return self._write("r", EventRetracted(target=target_id, reason="r"))

    @rule(target=retractions, target_id=retractions)
    def retract_a_retraction(self, target_id):
        """Which undoes it (a retraction is never corrected: see below)."""
        return self._write("r", EventRetracted(target=target_id, reason="r"))

    @rule(target_id=retractions, data=st.data())
    def correcting_a_retraction_is_refused(self, target_id, data):
        head = self.log.head()
        ev = data.draw(s.world_events)
        with pytest.raises(InvalidEventError, match="retract it"):
            self.log.append(Draft(event=EventCorrected(target=target_id, replacement=ev, reason="r"), valid=data.draw(s.valid_times())))
        assert head == self.log.head()

    @precondition(lambda self: self.snapshots)
    @rule(data=st.data(), at=s.query_times)
    def time_travel_matches_the_model_then(self, data, at):
        recorded, n = data.draw(st.sampled_from(self.snapshots))
        expected = {fid: v for fid, v in reads_as(self.written[:n]).items() if v is not None}
        assert expected == facts_read(self.log, recorded, use_cache=False)
        assert expected == facts_read(self.log, recorded, use_cache=True)
        # The state then is that of a log of the facts as the model reads them, written in their place.
        as_read = loaded([Draft(event=ev, valid=valid, sources=sources, id=fid) for fid, (ev, valid, sources, _via) in expected.items()])
        assert state(as_read, at) == state(self.log, at, recorded)
        assert state(as_read, at) == state(self.log, at, recorded, use_cache=True)
        assert words_read(self.log, recorded) == words_indexed(self.log, recorded)

    @invariant()
    def now_matches_the_model(self):
        expected = {fid: v for fid, v in reads_as(self.written).items() if v is not None}
        assert expected == facts_read(self.log, use_cache=False)
        assert expected == facts_read(self.log, use_cache=True)

    @invariant()
    def the_chain_verifies(self):
        assert verify(self.log).ok

    @invariant()
    def the_search_index_caught_up_reads_as_the_fold(self):
        """Caught up one entry at a time, the index holds the words each fact says now (its
        correction's, none for a retracted one), as the fold reads them."""
        assert words_read(self.log) == words_indexed(self.log)


TestLogMachine = LogMachine.TestCase


@given(s.fact_drafts(max_size=15))
def test_the_cache_reads_the_same_keyed_effects_out_of_the_json_as_the_fold(drafts):
    """Every keyed effect the fold applies (`world.effects`: op, argument, what it says the key was
    before), and every actor's end it finds (`rules.Rule.ends`), the cache reads out of the stored JSON
    alike, with the same window, settling time and kind."""
    from projections import cache
    from projections.cache.read import _op
    from projections.query import ensure_cache
    from projections.rules import CHANGED, ENDED, ENDS, OBSERVATION, OBSERVED, rule_of
    from projections.world import Op, effects, settles_at

    log = loaded(drafts)
    assert ensure_cache(log)
    expected = []
    for f in resolve(log.entries()).facts:
        if f.lo is None:
            continue
        rule = rule_of(f.type_name)
        kind = OBSERVED if rule.settles == OBSERVATION else CHANGED
        expected += [(channel, key, f.lo, f.hi, f.seq, f.id, settles_at(f), kind, op) for channel, key, op in effects(f.event)]
        if rule.ends:
            actor = getattr(f.event, rule.ends)
            expected.append((ENDS, actor, f.lo, f.hi, f.seq, f.id, settles_at(f), ENDED, Op("end", actor)))
    got = []
    for code, key, lo, hi, seq, fact, settle, op, arg, before in log.conn.execute(
            f"SELECT code, key, lo, hi, seq, fact, settle, op, arg, before FROM {cache.derived.EFFECT_ROWS} WHERE seq_to = {cache.schema.NEVER}"):
        channel, kind = cache.schema.channel_kind(code)
        got.append((channel, key, lo, hi, seq, fact, settle, kind, _op(op, arg, before, channel)))
    order = lambda row: (*row[:8], row[8].name, codec.canonical(row[8].arg), repr(row[8].before))  # noqa: E731
    assert sorted(expected, key=order) == sorted(got, key=order)


def history_log(batches, data) -> tuple[Log, list]:
    """A log built in batches, with ordering constraints, corrections and retractions drawn between them;
    and the recorded time of each batch."""
    log, ids, times = new_log(), [], []
    log.append(s.descriptions())
    for n, batch in enumerate(batches):
        drafts = []
        for d in batch:
            fid = f"b{n}-{d.id}"
            earlier = ids + [x.id for x in drafts]
            links = data.draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True)) if earlier else []
            side = data.draw(st.sampled_from(["after", "before"]))
            drafts.append(attrs.evolve(d, id=fid, **{side: tuple(links)}))
        if ids and data.draw(st.booleans()):
            target = data.draw(st.sampled_from(ids))
            if data.draw(st.booleans()):
                drafts.append(Draft(event=EventRetracted(target=target, reason="r")))
            else:
                original = log.get(target)
                drafts.append(Draft(event=EventCorrected(target=target, replacement=data.draw(s.event_of(type(original.event), pooled=True)), reason="r"),
                                    valid=data.draw(s.valid_times()), sources=data.draw(s.sources)))
        log.append(drafts)
        ids += [d.id for d in drafts if not d.event.correction]
        times.append(log.head().recorded)
    return log, times


@given(s.fact_drafts(max_size=15))
def test_the_cache_reads_the_same_entity_references_out_of_the_json_as_the_events_give(drafts):
    from events import entity_refs
    from projections import cache
    from projections.query import ensure_cache

    log = loaded(drafts)
    assert ensure_cache(log)
    expected = sorted({(v, f.lo, f.seq, f.id) for f in resolve(log.entries()).facts if f.lo is not None for _, _, v in entity_refs(f.event)})
    got = sorted(log.conn.execute(f"SELECT entity, lo, seq, fact FROM {cache.schema.MENTIONS} WHERE seq_to = {cache.schema.NEVER} UNION "
                                  f"SELECT entity, lo, seq, fact FROM {cache.schema.REFS} WHERE seq_to = {cache.schema.NEVER}"))
    assert expected == got


def test_every_item_of_a_list_is_a_mention_though_sqlite_quotes_its_name_in_a_path():
    """json_tree names a list's items by their path, in which SQLite quotes some keys
    (`$."contested_with"`): the cache finds the items of every list field, of the types with keyed
    effects (as a keyed effect or a plain mention) and of the others."""
    from events import ControlChanged, MeetingHeld, OffensiveLaunched
    from projections import cache
    from projections.query import ensure_cache

    valid = ValidTime(earliest=s.BASE, latest=s.BASE + timedelta(minutes=1), precision="minute", zone=ZONE)
    log = loaded([Draft(event=ControlChanged(place="p0", controller="a0", how="contested", contested_with=("a1", "a2")), valid=valid, id="fight"),
                  Draft(event=MeetingHeld(participants=("h0", "a1")), valid=valid, id="met"),
                  Draft(event=OffensiveLaunched(name="Dawn", actors=("a0", "a2"), objectives=("p1", "p2")), valid=valid, id="go")])
    assert ensure_cache(log)
    got = sorted(log.conn.execute(f"SELECT fact, entity FROM {cache.schema.MENTIONS} UNION SELECT fact, entity FROM {cache.schema.REFS}"))
    assert got == [("fight", "a0"), ("fight", "a1"), ("fight", "a2"), ("fight", "p0"), ("go", "a0"), ("go", "a2"), ("go", "p1"), ("go", "p2"),
                   ("met", "a1"), ("met", "h0")]


_FIRST_US = -62_135_596_800_000_000  # 0001-01-01T00:00Z, the earliest valid time
_LAST_US = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z, the latest


@given(st.sampled_from(["type", "channel"]), st.data())
def test_an_index_led_by_a_coded_time_orders_and_finds_rows_as_its_code_and_time_do(which, data):
    """The type and recency indexes lead with one integer of a code and a valid time: at any times,
    the earliest and latest there are included, it sorts as (code, time), a row without a time first,
    and the range `_between` gives finds the rows of one code with a time in it and no others. (The
    recency index's code is a keyed mention's channel, which its `code` holds beside its kind.)"""
    from projections import cache

    schema = cache.schema
    if which == "type":
        column, values, expression, code = "type TEXT", sorted(schema.TYPE_CODES), schema.TYPE_TIME, schema.TYPE_CODES.__getitem__
    else:
        column, values, expression = "code INTEGER", schema.codes_of(schema.CHANNEL_NAMES), schema.RECENCY
        code = lambda v: schema.CHANNEL_CODES[schema.channel_kind(v)[0]]  # noqa: E731
    name = column.split()[0]
    times = st.one_of(st.integers(_FIRST_US, _LAST_US), st.sampled_from([_FIRST_US, _LAST_US]))
    rows = data.draw(st.lists(st.tuples(st.sampled_from(values), st.one_of(st.none(), times) if which == "type" else times),
                              min_size=1, max_size=30))
    key, lo, hi = data.draw(st.sampled_from(values)), data.draw(times), data.draw(times)
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE TABLE t ({column}, lo INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", rows)
    conn.execute(f"CREATE INDEX t_coded ON t ({expression}, lo)")
    ordered = conn.execute(f"SELECT {name}, lo FROM t ORDER BY {expression}, lo").fetchall()
    assert [(code(v), t) for v, t in ordered] == sorted(((code(v), t) for v, t in rows), key=lambda r: (r[0], -math.inf if r[1] is None else r[1]))
    found = conn.execute(f"SELECT {name}, lo FROM t WHERE {expression} BETWEEN ? AND ? ORDER BY {expression}, lo",
                         schema.between(code(key), lo, hi)).fetchall()
    assert sorted(found) == sorted(r for r in rows if code(r[0]) == code(key) and r[1] is not None and lo <= r[1] <= hi)
    assert [t for _v, t in found] == sorted(t for _v, t in found)
    plan = conn.execute(f"EXPLAIN QUERY PLAN SELECT lo FROM t WHERE {expression} BETWEEN 1 AND 2").fetchall()
    assert "t_coded" in str(plan)


@given(st.data())
def test_the_names_the_cache_keeps_are_what_the_gazetteer_says_as_known_at_any_time(data):
    """A cached document names its entities from the cache's rows of their descriptions
    (`cache.names_of`), not from the descriptions: as known at any time, those say of every entity
    what the gazetteer folded from the log says (the latest description standing wins, a corrected
    one reads as corrected, a retracted one is gone)."""
    from events import ActorDescribed, PersonDescribed, PlaceDescribed, UnitDescribed
    from projections import cache
    from projections.gazetteer import Names
    from projections.query import ensure_cache

    kinds = [PlaceDescribed, PersonDescribed, ActorDescribed, UnitDescribed]
    log, ids, times = new_log(), [], []
    for n in range(data.draw(st.integers(1, 4))):
        events = data.draw(st.lists(st.sampled_from(kinds).flatmap(lambda c: s.event_of(c, pooled=True)), min_size=1, max_size=4))
        drafts = [Draft(event=e, id=f"b{n}-{i}") for i, e in enumerate(events)]
        if ids and data.draw(st.booleans()):
            target = data.draw(st.sampled_from(ids))
            if data.draw(st.booleans()):
                drafts.append(Draft(event=EventRetracted(target=target, reason="r")))
            else:
                replacement = data.draw(s.event_of(type(log.get(target).event), pooled=True))
                drafts.append(Draft(event=EventCorrected(target=target, replacement=replacement, reason="r")))
        log.append(drafts)
        ids += [d.id for d in drafts if not d.event.correction]
        times.append(log.head().recorded)
    assert ensure_cache(log)
    everyone = sorted({*s.PLACES, *s.ACTORS, *s.PEOPLE, *s.UNITS})
    for known_at in times:
        g = knowledge(log, known_at, use_cache=False).gazetteer
        names = Names(cache.names_of(log, everyone, knowledge(log, known_at).position))
        for i in everyone:
            assert (names.kind(i), names.name(i), names.actor(i)) == (g.kind(i), g.name(i), g.actor(i)), i


def test_a_fact_corrected_or_retracted_once_reads_from_the_cache_as_the_fold_gives_it(monkeypatch):
    """The cache's short way with a fact that has one correction or retraction and nothing else
    (`cache.versions.one_step`), for each thing it reads off the two log rows: sources given or left to the
    fact's, a retraction, a description with numbers."""
    from chrono.timeval import parse_valid_time
    from events import CallMade, PersonMoved, PlaceDescribed, Source
    from projections import cache

    took = []
    one_step = cache.versions.one_step
    monkeypatch.setattr(cache.versions, "one_step", lambda *rows: took.append(one_step(*rows)) or took[-1])
    early, late = (parse_valid_time(v, ZONE) for v in ("2024-11-28T10:00/2024-11-28T12:00", "2024-11-29"))
    log = new_log()
    log.append(s.descriptions())
    log.append([
        Draft(event=CallMade(caller="h0", callee="h1"), valid=early, sources=(Source(outlet="A", quote="q"),), id="f1"),
        Draft(event=CallMade(caller="h1", callee="h2"), valid=early, sources=(Source(outlet="B"),), id="f2"),
        Draft(event=PersonMoved(person="h0", to_place="p1"), valid=early, sources=(Source(outlet="C"),), id="f3"),
    ])
    log.append([
        Draft(event=EventCorrected(target="f1", replacement=CallMade(caller="h2", callee="h1"), reason="r"), valid=late, id="c1"),
        Draft(event=EventCorrected(target="f2", replacement=CallMade(caller="h1", callee="h0"), reason="r"),
              valid=late, sources=(Source(outlet="D", title="t"),), id="c2"),
        Draft(event=EventRetracted(target="f3", reason="r"), id="c3"),
        Draft(event=EventCorrected(target="d-p0", replacement=PlaceDescribed(place="p0", name="P", lat=36.0, lon=37.25), reason="r"), id="c4"),
    ])
    entries = list(log.entries())
    assert cache.rebuild(log) == len(resolve(entries).facts)
    for position in range(1, len(entries) + 1):
        assert cache.all_facts(log, position) == resolve([e for e in entries if e.seq <= position]).facts
    assert sum(t is not None for t in took) == 4


@given(st.lists(s.fact_drafts(max_size=5), min_size=1, max_size=4), st.data())
def test_cache_equals_fold_for_any_t_and_k_with_ordering_constraints_and_corrections(batches, data):
    """The state, and every whole fact the cache holds (payload, valid time, sources, links, the
    corrections that made it, narrowed window) at every position a question can name, whichever way
    the cache worked each one out; and the count of standing facts `chrono replay` reports."""
    from projections import cache

    log, times = history_log(batches, data)
    entries = list(log.entries())
    assert cache.rebuild(log) == len(resolve(entries).facts)
    # The positions --as-of K can name: the last of each batch (one batch, one recorded time).
    ends = [e.seq for e, after in zip(entries, [*entries[1:], None]) if after is None or after.recorded != e.recorded]
    for position in ends:
        assert cache.all_facts(log, position) == resolve([e for e in entries if e.seq <= position]).facts
    for _ in range(3):
        at = data.draw(s.query_times)
        k = data.draw(st.sampled_from([None, *times]))
        assert state(log, at, k) == state(log, at, k, use_cache=True)


ENTITY_IDS = sorted({*s.PLACES, *s.PEOPLE, *s.UNITS, *s.ACTORS, "nobody-described"})


@given(st.lists(s.fact_drafts(max_size=6), min_size=1, max_size=4), st.data())
def test_a_state_cut_to_a_limit_or_to_entities_reads_from_the_indexes_what_the_fold_says(batches, data):
    """The cached state's short cuts (the most recently touched keys, the latest happenings, the
    soonest to come, one entity's rows) give exactly what cutting the fold's whole document gives."""
    log, times = history_log(batches, data)
    for _ in range(3):
        at = data.draw(s.query_times)
        k = data.draw(st.sampled_from([None, *times]))
        limit = data.draw(st.sampled_from([None, 1, 2, 3, 100]))
        ids = data.draw(st.none() | st.sets(st.sampled_from(ENTITY_IDS), max_size=3))
        folded, g1 = state_document(log, at, k, zone=ZONE, limit=limit, entities=ids, use_cache=False)
        cached, g2 = state_document(log, at, k, zone=ZONE, limit=limit, entities=ids, use_cache=True)
        folded.pop("known_at"), cached.pop("known_at")  # the clock ticks between the two reads
        assert folded == cached
        named = {row[field] for name, field in (("control", "place"), ("whereabouts", "person"), ("units", "unit")) for row in cached[name]}
        assert all(g1.name(i) == g2.name(i) for i in named)
        if limit is None and ids is None:
            whole = state_json(*world_at(log, at, k, use_cache=False), zone=ZONE)
            whole.pop("known_at")
            assert cached == whole


@given(st.lists(s.fact_drafts(max_size=6), min_size=1, max_size=4), st.data())
def test_an_entity_history_read_from_the_indexes_equals_the_history_from_the_whole_log(batches, data):
    """`history` of a place, person or unit reads only the facts that name it (any version; without
    --mentions, only those that change it), their correction chains and the names they mention; it
    must say what the whole log's history says."""
    from projections import investigate as inv

    log, times = history_log(batches, data)
    for _ in range(3):
        k = data.draw(st.sampled_from([None, *times]))
        whole = inv.load(log, k)
        entity = whole.gazetteer.by_id[data.draw(st.sampled_from(sorted({*s.PLACES, *s.PEOPLE, *s.UNITS})))]
        mentions = data.draw(st.booleans())
        expected = inv.history(whole, entity, zone=ZONE, mentions=mentions)
        got = inv.history(inv.load_for(log, entity, k, mentions=mentions), entity, zone=ZONE, mentions=mentions)
        expected.pop("known_at"), got.pop("known_at")
        assert expected == got


def _at(minutes: int) -> datetime:
    return s.BASE + timedelta(minutes=minutes)


def _minute(m: int) -> ValidTime:
    return ValidTime(earliest=_at(m), latest=_at(m + 1), precision="minute", zone=ZONE)


def test_a_key_read_backwards_still_sees_an_old_death_and_a_wide_window_still_open():
    """The cached state reads a key's effects backwards only as far as its answer depends on them; a
    death long before the latest move, and a wide window opened before many later moves, are both
    further back than the latest settled move."""
    from events import PersonDied, PersonMoved

    day = 24 * 60
    log = new_log()
    log.append(s.descriptions())
    log.append([
        Draft(event=PersonDied(person="h0", place="p0"), valid=_minute(0), id="h0-dies"),
        Draft(event=PersonMoved(person="h0", to_place="p1"), valid=_minute(10 * day), id="h0-body-moved"),
        Draft(event=PersonMoved(person="h1", to_place="p2"), valid=ValidTime(earliest=_at(0), latest=_at(20 * day), precision="interval", zone=ZONE), id="h1-slow"),
        *[Draft(event=PersonMoved(person="h1", to_place=s.PLACES[i % 2]), valid=_minute(i * day), id=f"h1-hop-{i}") for i in range(1, 8)],
    ])
    at = _at(11 * day)
    for limit in (None, 1):
        folded = state_document(log, at, zone=ZONE, limit=limit, use_cache=False)[0]
        cached = state_document(log, at, zone=ZONE, limit=limit, use_cache=True)[0]
        folded.pop("known_at"), cached.pop("known_at")
        assert folded == cached
    rows = {r["person"]: r for r in state_document(log, at, zone=ZONE, use_cache=True)[0]["whereabouts"]}
    assert (rows["h0"]["place"], rows["h0"]["alive"]) == ("p1", False)
    assert rows["h1"]["status"] == "possible" and set(rows["h1"]["candidates"]) == {"p1", "p2"}
