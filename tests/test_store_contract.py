"""The laws every log store keeps (chrono.logstore.LogStore), as one test case run against each backend:
positions, recorded time, batches, idempotency, optimistic concurrency, what is accepted, the hash
chain and verify, export and import. A backend is done when its subclass of StoreContract passes.

What only the SQLite store has (triggers, WAL, files, opening foreign files) is in test_store.py.
"""

from __future__ import annotations

import contextlib
import io
from datetime import UTC, datetime, timedelta

import pytest

from chrono import codec, jsonl
from chrono.clock import FixedClock
from chrono.entry import Draft
from chrono.errors import ChronoError, ConflictError, DuplicateEventError, InvalidEventError, TamperedError, UnknownEventError
from chrono.logstore import GENESIS, LogStore, row_hash, verify
from chrono.store import Log
from chrono.timeval import parse_valid_time
from events import CallMade, CityCaptured, EventCorrected, EventRetracted, PersonDescribed, PersonMoved, PlaceDescribed, SettingChanged, Source

ZONE = "Asia/Damascus"
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def day(literal: str):
    return parse_valid_time(literal, ZONE)


def call(caller="lavrov", callee="fidan", when="2024-12-01", **kw) -> Draft:
    return Draft(event=CallMade(caller=caller, callee=callee), valid=day(when), **kw)


def place(pid="aleppo", name="Aleppo", **kw) -> Draft:
    return Draft(event=PlaceDescribed(place=pid, name=name), **kw)


def rows(store: LogStore) -> list[tuple]:
    return [tuple(r) for r in store.stored_rows()]


def export(store: LogStore) -> bytes:
    buf = io.BytesIO()
    jsonl.write_entries(store.entries(), buf)
    return buf.getvalue()


def import_into(store: LogStore, data: bytes):
    records = list(jsonl.read_records(data.splitlines(), store.zone, allow_stored=True))
    return store.import_records([(d, s) for _, d, s in records], line_numbers=[n for n, _, _ in records])


# A hash covers every stored column but itself, in a fixed order, joined by a fixed separator. Any change
# to that encoding makes every existing log fail verify, so it is pinned here to literal values.
PINNED_ROW = (
    3, "k1", "EventCorrected", 1, 1732827600000000, 1733086800000000,
    '{"precision":"day","qualifier":"approximate","wording":"by the weekend","zone":"Asia/Damascus"}', 1735732802000000,
    '{"reason":"the date","replacement":{"by":"hts","place":"aleppo","previous":"government","type":"CityCaptured"},"target":"cap"}',
    '[{"attribution":"a source in the operations room","outlet":"Al Majalla","quote":"«they entered»","title":"Revealed",'
    '"url":"https://example.org/a"}]',
    '{"after":["p1"],"before":["cap"]}', "cap", "bfe4c75cf425e86b75f035b47ed773c223b6744005c8ea93cb036ff148ff5f96",
)
PINNED_HASH = "0250e7a8e0e9ecf8ae08b438b35d99f4520ba22460b438ac53629952e5b054fc"


def test_row_hash_of_a_fixed_row_is_pinned():
    assert PINNED_HASH == row_hash(PINNED_ROW) == row_hash(PINNED_ROW, None)


# A row with a provenance (log schema 2) hashes it too, after one more separator; pinned likewise.
PINNED_PROVENANCE = ('{"origin":{"hash":"bfe4c75cf425e86b75f035b47ed773c223b6744005c8ea93cb036ff148ff5f96","head":{"hash":"'
                     '0250e7a8e0e9ecf8ae08b438b35d99f4520ba22460b438ac53629952e5b054fc","seq":3},"id":"k1","log":"syria",'
                     '"recorded":"2025-01-01T12:00:02+00:00","seq":3}}')
PINNED_PROVENANCE_HASH = "05ce2b00c31a7e815fe6201998ffbe08d6343859b11a015e192fed1daff029e6"


# The rows a store appends record who appended them (their provenance's `author`): PINNED_ROW's,
# appended by ana after two rows of hers.
ANA = '{"author":"ana"}'
PINNED_AUTHORED_ROW = (*PINNED_ROW[:12], "14507220d80ea85bc2fc2177400f53f4b35bba47baa9f6a8f72c75aa496035d9")
AUTHORED_HASHES = ("de3ff84664475dac61a0516fbcceb7620021e9942a280e0e15e902f35b29f890",
                   "78efb755ec86623194e95631426e5865cac3539f72182164a09209ae4b81908e")


def test_row_hash_of_a_fixed_row_with_an_author_is_pinned():
    assert AUTHORED_HASHES[1] == row_hash(PINNED_AUTHORED_ROW, ANA)
    assert row_hash(PINNED_AUTHORED_ROW, '{"author":"ben"}') != AUTHORED_HASHES[1]


def test_row_hash_of_a_fixed_row_with_a_provenance_is_pinned_and_covers_it():
    assert PINNED_PROVENANCE == codec.canonical(codec.loads(PINNED_PROVENANCE))  # (as a log stores it)
    assert PINNED_PROVENANCE_HASH == row_hash(PINNED_ROW, PINNED_PROVENANCE)
    assert row_hash(PINNED_ROW, PINNED_PROVENANCE.replace('"seq":3}}', '"seq":4}}')) != PINNED_PROVENANCE_HASH


class StoreContract:
    """Every store law, as a test on stores the subclass makes. A subclass defines `make_store`, and
    `reopen` when its stores can be opened a second time (a second writer on the same log)."""

    def make_store(self, *, clock) -> LogStore:
        """A new, empty store in ZONE whose recorded times come from `clock`."""
        raise NotImplementedError

    def reopen(self, store: LogStore, *, clock) -> LogStore | None:
        """A second handle on the same log (another writer), or None when the backend has none."""
        return None

    @pytest.fixture
    def log(self):
        with self.make_store(clock=FixedClock(T0, step=timedelta(seconds=1))) as store:
            yield store

    @pytest.fixture
    def filled(self, log):
        log.append([place(id="p1"), call(id="c1"), call(caller="a", callee="b", id="c2"), call(caller="c", callee="d", id="c3")])
        return log

    @pytest.fixture
    def rich_log(self, log):
        log.append([
            Draft(event=PlaceDescribed(place="aleppo", name="Aleppo", kind="city", lat=36.2, lon=37.16, aliases=("Halab",)), id="p1"),
            Draft(event=PersonDescribed(person="al-sharaa", name="Ahmed al-Sharaa", aliases=("al-Joulani",)), id="a1"),
        ])
        log.append(Draft(
            event=CityCaptured(place="aleppo", by="hts"), valid=parse_valid_time("2024-11-29/2024-11-30", ZONE, "by the weekend"),
            sources=[Source(outlet="Al Majalla", attribution="eyewitnesses", quote="«they entered»")], id="cap",
        ))
        log.append(Draft(event=PersonMoved(person="al-sharaa", to_place="aleppo"), valid=day("2024-12-05~"), id="mv", after=["cap"]))
        log.append(Draft(event=EventCorrected(target="cap", replacement=CityCaptured(place="aleppo", by="hts"), reason="date"),
                         valid=day("2024-11-30"), id="k1"))
        log.append(Draft(event=EventRetracted(target="mv", reason="rumour"), id="k2"))
        return log

    # --- the store ---------------------------------------------------------------------------------------

    def test_a_store_is_a_log_store(self, log):
        assert isinstance(log, LogStore)
        assert ZONE == log.zone
        assert isinstance(log.name, str) and isinstance(log.path, str)

    def test_settings_entries_are_the_settings_in_position_order_and_the_zone_follows_them(self, log):
        log.append([place(id="p1"), Draft(event=SettingChanged(key="zone", value="Africa/Khartoum"), id="s1"), call(id="c1"),
                    Draft(event=SettingChanged(key="title", value="Wad Madani"), id="s2")])
        assert ["s1", "s2"] == [e.id for e in log.settings_entries()]
        assert "Africa/Khartoum" == log.zone
        log.append(Draft(event=SettingChanged(key="zone", value=None), id="s3"))
        assert ZONE == log.zone  # (back to the zone the store was made in)

    def test_a_new_store_has_the_genesis_head(self, log):
        head = log.head()
        assert (0, GENESIS, None) == (head.seq, head.hash, head.recorded)
        assert 0 == len(log)
        assert [] == list(log.entries()) == rows(log)

    # --- positions and recorded time --------------------------------------------------------------------

    def test_append_positions_are_gap_free_from_one(self, log):
        log.append(place(id="p1"))
        log.append([call(id="c1"), call(caller="x", callee="y", id="c2")])
        log.append(call(caller="z", callee="w", id="c3"))
        assert [1, 2, 3, 4] == [e.seq for e in log.entries()]
        assert [1, 2, 3, 4] == [r[0] for r in rows(log)]
        assert 4 == log.head().seq == len(log)

    def test_append_returns_stored_entries(self, log):
        out = log.append([place(id="p1"), call(id="c1")])
        assert [(1, "p1"), (2, "c1")] == [(e.seq, e.id) for e in out]
        assert out == list(log.entries())

    def test_append_generates_ids(self, log):
        a, b = log.append([call(), call(caller="x", callee="y")])
        assert a.id != b.id
        assert a.id.startswith("ev-")

    def test_append_recorded_time_comes_from_the_clock(self, log):
        log.clock.now = T0
        first = log.append(call(id="c1"))[0]
        second = log.append(call(caller="x", callee="y", id="c2"))[0]
        assert T0 == first.recorded
        assert T0 + timedelta(seconds=1) == second.recorded

    def test_append_batch_shares_one_recorded_time(self, log):
        log.clock.now = T0
        out = log.append([call(id="c1"), call(caller="x", callee="y", id="c2")])
        assert [T0, T0] == [e.recorded for e in out]

    def test_append_recorded_time_never_goes_backwards_when_the_clock_does(self):
        clock = FixedClock(T0)
        with self.make_store(clock=clock) as lg:
            lg.append(call(id="c1"))
            clock.now = T0 - timedelta(days=3)
            second = lg.append(call(caller="x", callee="y", id="c2"))[0]
            assert T0 == second.recorded
            assert verify(lg).ok

    def test_append_refuses_naive_clock(self):
        with self.make_store(clock=lambda: datetime(2025, 1, 1)) as lg:
            with pytest.raises(ChronoError):
                lg.append(call(id="c1"))
            assert 0 == len(lg)

    def test_entries_known_at_sees_only_what_was_recorded_by_then(self, log):
        log.clock.now = T0
        log.append(call(id="c1"))
        log.append(call(caller="x", callee="y", id="c2"))
        assert ["c1"] == [e.id for e in log.entries(known_at=T0)]
        assert [] == [e.id for e in log.entries(known_at=T0 - timedelta(microseconds=1))]

    def test_entries_after_a_position_are_the_rest(self, filled):
        assert ["c2", "c3"] == [e.id for e in filled.entries(after_seq=2)]

    # --- batches -----------------------------------------------------------------------------------------

    def test_append_batch_with_bad_draft_in_the_middle_leaves_the_log_unchanged(self, log):
        log.append(place(id="p1"))
        before = rows(log)
        batch = [call(id="c1"), Draft(event=CallMade(caller="x", callee="y"), valid=None, id="c2"), call(caller="z", callee="w", id="c3")]
        with pytest.raises(InvalidEventError):
            log.append(batch)
        assert before == rows(log)
        assert log.find("c1") is None

    def test_append_batch_with_bad_id_in_the_middle_leaves_the_log_unchanged(self, log):
        before = rows(log)
        with pytest.raises(InvalidEventError):
            log.append([call(id="c1"), call(id="not an id!"), call(id="c3")])
        assert before == rows(log)

    def test_append_batch_error_names_the_input_line(self, log):
        with pytest.raises(InvalidEventError) as e:
            log.append([call(id="c1"), Draft(event=CallMade(caller="x", callee="y"), id="c2")], line_numbers=[7, 9])
        assert str(e.value).startswith("line 9:")

    def test_append_after_failed_batch_continues_the_positions(self, log):
        with pytest.raises(InvalidEventError):
            log.append([call(id="c1"), Draft(event=CallMade(caller="x", callee="y"))])
        log.append(call(id="c9"))
        assert [(1, "c9")] == [(e.seq, e.id) for e in log.entries()]

    # --- idempotency -------------------------------------------------------------------------------------

    def test_append_same_id_same_content_is_a_no_op(self, log):
        first = log.append(call(id="c1"))[0]
        again = log.append(call(id="c1"))
        assert [first] == again
        assert 1 == len(log)

    def test_append_same_id_same_content_inside_a_batch_adds_only_the_new(self, log):
        log.append(call(id="c1"))
        out = log.append([call(id="c1"), call(caller="x", callee="y", id="c2")])
        assert ["c1", "c2"] == [e.id for e in out]
        assert [1, 2] == [e.seq for e in out]
        assert 2 == len(log)

    def test_append_same_id_different_content_is_a_duplicate(self, log):
        log.append(call(id="c1"))
        before = rows(log)
        with pytest.raises(DuplicateEventError):
            log.append(call(caller="someone-else", id="c1"))
        assert before == rows(log)

    def test_append_same_id_different_valid_time_is_a_duplicate(self, log):
        log.append(call(id="c1"))
        with pytest.raises(DuplicateEventError):
            log.append(call(id="c1", when="2024-12-02"))

    def test_append_same_id_different_sources_is_a_duplicate(self, log):
        log.append(call(id="c1"))
        with pytest.raises(DuplicateEventError):
            log.append(call(id="c1", sources=[Source(outlet="Al Majalla")]))

    def test_append_same_id_twice_in_one_batch_with_different_content_is_a_duplicate(self, log):
        with pytest.raises(DuplicateEventError):
            log.append([call(id="c1"), call(caller="x", callee="y", id="c1")])
        assert 0 == len(log)

    # --- staging -------------------------------------------------------------------------------------------

    def test_a_stage_not_committed_gives_the_entries_an_append_would_and_writes_nothing(self):
        with self.make_store(clock=FixedClock(T0)) as log:  # (a clock that stands still: the same recorded times)
            log.append([place(id="p1"), call(id="c1")])
            before = rows(log)
            with log.staged():
                staged = log.append([call(caller="x", callee="y", id="c9"), call(id="c1")])
                assert 3 == log.head().seq and "c9" == log.get("c9").id  # readable inside the stage
            assert before == rows(log)
            assert staged == log.append([call(caller="x", callee="y", id="c9"), call(id="c1")])
            assert [(3, "c9"), (2, "c1")] == [(e.seq, e.id) for e in staged]

    def test_a_committed_stage_keeps_its_writes(self, filled):
        with filled.staged() as stage:
            filled.append(call(caller="x", callee="y", id="c9"))
            filled.append(call(caller="x", callee="z", id="c10"))
            stage.commit()
        assert [5, 6] == [filled.get("c9").seq, filled.get("c10").seq]
        assert verify(filled).ok

    def test_an_error_in_a_committed_stage_writes_nothing(self, filled):
        before = rows(filled)
        with pytest.raises(ChronoError), filled.staged() as stage:
            filled.append(call(caller="x", callee="y", id="c9"))
            stage.commit()
            raise ChronoError("a check made before the end of the stage")
        assert before == rows(filled)

    def test_a_failed_write_inside_a_stage_leaves_the_stage_as_it_was(self, filled):
        with filled.staged() as stage:
            filled.append(call(caller="x", callee="y", id="c9"))
            with pytest.raises(DuplicateEventError):
                filled.append(call(caller="other", callee="y", id="c9"))
            stage.commit()
        assert ["c9"] == [e.id for e in filled.entries(after_seq=4)]

    def test_an_import_can_be_staged(self, rich_log):
        data = export(rich_log)
        with self.make_store(clock=FixedClock(T0)) as copy:
            with copy.staged():
                assert (6, 6) == copy.import_stream(jsonl.read_records(data.splitlines(), copy.zone, allow_stored=True))
                assert rich_log.head() == copy.head()
            assert 0 == len(copy)

    # --- optimistic concurrency --------------------------------------------------------------------------

    def test_append_expected_position_matching_appends(self, log):
        log.append(call(id="c1"))
        out = log.append(call(caller="x", callee="y", id="c2"), expected_position=1)
        assert 2 == out[0].seq

    def test_append_expected_position_on_empty_log_is_zero(self, log):
        assert 1 == log.append(call(id="c1"), expected_position=0)[0].seq

    def test_append_expected_position_mismatch_is_a_conflict(self, log):
        log.append([call(id="c1"), call(caller="x", callee="y", id="c2")])
        before = rows(log)
        with pytest.raises(ConflictError) as e:
            log.append(call(caller="z", callee="w", id="c3"), expected_position=1)
        assert (1, 2) == (e.value.expected, e.value.actual)
        assert before == rows(log)

    def test_a_refused_append_leaves_the_log_to_the_next_writer(self):
        # Refused once its write has begun (a reference is looked up under the write lock): nothing of it
        # stays, and neither does the lock, whichever handle writes next.
        with self.make_store(clock=FixedClock(T0)) as a:
            b = self.reopen(a, clock=FixedClock(T0))
            if b is None:
                pytest.skip("this backend's stores have one handle each")
            with b:
                with pytest.raises(UnknownEventError):
                    a.append(call(id="c0", after=["nothing"]))
                b.append(call(id="c1"))
                a.append(call(caller="x", callee="y", id="c2"))
                assert ["c1", "c2"] == [e.id for e in a.entries()] == [e.id for e in b.entries()]

    def test_append_two_writers_second_one_conflicts(self):
        with self.make_store(clock=FixedClock(T0)) as a:
            b = self.reopen(a, clock=FixedClock(T0))
            if b is None:
                pytest.skip("this backend's stores have one handle each")
            with b:
                seen = a.head().seq
                assert seen == b.head().seq
                a.append(call(id="c1"), expected_position=seen)
                with pytest.raises(ConflictError):
                    b.append(call(caller="x", callee="y", id="c2"), expected_position=seen)
                assert ["c1"] == [e.id for e in b.entries()]
                b.append(call(caller="x", callee="y", id="c2"), expected_position=b.head().seq)
                assert [1, 2] == [e.seq for e in a.entries()]

    # --- what is accepted ----------------------------------------------------------------------------------

    def test_append_fact_without_valid_time_is_invalid(self, log):
        with pytest.raises(InvalidEventError) as e:
            log.append(Draft(event=CityCaptured(place="aleppo", by="hts")))
        assert "valid time" in str(e.value)
        assert 0 == len(log)

    def test_append_description_needs_no_valid_time(self, log):
        entry = log.append(place(id="p1"))[0]
        assert entry.valid is None

    def test_append_correction_of_unknown_event_is_refused(self, log):
        draft = Draft(event=EventCorrected(target="nope", replacement=CallMade(caller="a", callee="b"), reason="r"), valid=day("2024-12-01"))
        with pytest.raises(UnknownEventError):
            log.append(draft)
        assert 0 == len(log)

    def test_append_retraction_of_unknown_event_is_refused(self, log):
        with pytest.raises(UnknownEventError):
            log.append(Draft(event=EventRetracted(target="nope", reason="r")))
        assert 0 == len(log)

    def test_append_retraction_with_valid_time_is_invalid(self, log):
        log.append(call(id="c1"))
        with pytest.raises(InvalidEventError):
            log.append(Draft(event=EventRetracted(target="c1", reason="r"), valid=day("2024-12-01")))

    def test_append_correction_of_event_in_the_same_batch_is_accepted(self, log):
        out = log.append([call(id="c1"), Draft(event=EventRetracted(target="c1", reason="dup"), id="r1")])
        assert "c1" == out[1].target

    def test_append_correction_with_other_type_is_invalid(self, log):
        log.append(call(id="c1"))
        draft = Draft(event=EventCorrected(target="c1", replacement=CityCaptured(place="x", by="y"), reason="r"), valid=day("2024-12-01"))
        with pytest.raises(InvalidEventError):
            log.append(draft)

    def test_append_after_unknown_event_is_refused(self, log):
        with pytest.raises(UnknownEventError):
            log.append(call(id="c1", after=["nope"]))

    # --- reading -------------------------------------------------------------------------------------------

    def test_get_unknown_event_is_an_error_and_find_says_none(self, log):
        with pytest.raises(UnknownEventError):
            log.get("nope")
        assert log.find("nope") is None

    def test_get_and_find_give_the_stored_entry(self, filled):
        assert "c2" == filled.get("c2").id == filled.find("c2").id
        assert list(filled.entries())[2] == filled.get("c2")

    def test_corrections_of_lists_corrections_in_order(self, log):
        log.append(call(id="c1"))
        log.append(Draft(event=EventCorrected(target="c1", replacement=CallMade(caller="a", callee="b"), reason="r"), valid=day("2024-12-02"), id="k1"))
        log.append(Draft(event=EventRetracted(target="c1", reason="r"), id="k2"))
        assert ["k1", "k2"] == [e.id for e in log.corrections_of("c1")]
        assert [] == log.corrections_of("k1")

    def test_chains_hold_an_entry_and_its_corrections_to_any_depth_recorded_by_a_position(self, log):
        log.append([call(id="c1"), call(caller="x", callee="y", id="c2")])
        log.append(Draft(event=EventCorrected(target="c1", replacement=CallMade(caller="a", callee="b"), reason="r"), valid=day("2024-12-02"), id="k1"))
        log.append(Draft(event=EventRetracted(target="k1", reason="r"), id="k2"))
        log.append(Draft(event=EventRetracted(target="k2", reason="r"), id="k3"))
        assert ["c1", "k1", "k2", "k3"] == [e.id for e in log.chains(["c1", "nothing"], len(log))]
        assert ["c1", "k1"] == [e.id for e in log.chains(["c1"], log.get("k1").seq)]
        assert ["c1", "c2", "k1", "k2"] == [e.id for e in log.chains(["c2", "c1", "c1"], log.get("k2").seq)]
        assert log.chains(["c1", "c2"], len(log)) == LogStore.chains(log, ["c1", "c2"], len(log))  # (what every backend may do)

    # --- the hash chain and verify -------------------------------------------------------------------------

    def test_stored_rows_chain_each_row_to_the_one_before(self, filled):
        stored = rows(filled)
        assert [GENESIS] + [r[13] for r in stored[:-1]] == [r[12] for r in stored]
        assert [r[13] for r in stored] == [row_hash(r[:13], r[14]) for r in stored]
        assert [e.hash for e in filled.entries()] == [r[13] for r in stored]
        assert filled.head().hash == stored[-1][13]

    def test_a_fixed_entry_appended_to_a_new_log_has_a_pinned_hash(self):
        with self.make_store(clock=FixedClock(T0)) as lg:
            lg.author = "ana"  # (who records an entry is hashed with it: a fixed one)
            lg.clock.now = T0 + timedelta(seconds=1)
            first = lg.append([
                Draft(event=PlaceDescribed(place="aleppo", name="Aleppo", kind="city", lat=36.2, lon=37.16, aliases=("Halab", "حلب")), id="p1"),
                Draft(event=CityCaptured(place="aleppo", by="hts"), valid=day("2024-11-29"), id="cap"),
            ])
            lg.clock.now = T0 + timedelta(seconds=2)
            fixed = lg.append(Draft(
                event=EventCorrected(target="cap", replacement=CityCaptured(place="aleppo", by="hts", previous="government"), reason="the date"),
                valid=parse_valid_time("2024-11-30~", ZONE, "by the weekend"),
                sources=[Source(outlet="Al Majalla", title="Revealed", attribution="a source in the operations room",
                                quote="«they entered»", url="https://example.org/a")],
                id="k1", after=["p1"], before=["cap"]))[0]
            assert [AUTHORED_HASHES[0], PINNED_AUTHORED_ROW[12]] == [e.hash for e in first]
            assert AUTHORED_HASHES[1] == fixed.hash
            assert (*PINNED_AUTHORED_ROW, AUTHORED_HASHES[1], ANA) == rows(lg)[2]

    def test_verify_passes_on_a_good_log(self, filled):
        report = verify(filled)
        assert (True, 4, 4) == (report.ok, report.count, report.head.seq)
        assert report.position is None

    def test_verify_passes_on_an_empty_log(self, log):
        assert verify(log).ok

    def test_verify_passes_with_the_current_head(self, filled):
        assert verify(filled, head=filled.head().hash).ok

    def test_verify_passes_with_an_earlier_head(self, filled):
        old = filled.head().hash
        filled.append(call(caller="later", callee="b", id="c5"))
        assert verify(filled, head=old).ok

    def test_verify_refuses_a_head_the_log_never_had(self, filled):
        report = verify(filled, head="f" * 64)
        assert (False, 5) == (report.ok, report.position)

    def test_verify_reports_progress(self, filled):
        seen = []
        verify(filled, progress=seen.append)
        assert [1, 2, 3, 4] == seen

    # --- who recorded each entry ------------------------------------------------------------------------------

    def test_every_entry_records_who_appended_it(self, log):
        log.author = "ana"
        (c1,) = log.append(call(id="c1"))
        log.author = "ben"
        log.append([Draft(event=EventRetracted(target="c1", reason="a rumour"), id="r1"), place(id="p1")])
        (c2,) = log.import_records([(call(caller="a", callee="b", id="c2"), {})])
        assert ("ana", {"author": "ana"}) == (c1.author, c1.provenance)
        assert ["ana", "ben", "ben", "ben"] == [e.author for e in log.entries()] == [log.get(i).author for i in ("c1", "r1", "p1", "c2")]
        assert [codec.canonical({"author": a}) for a in ("ana", "ben", "ben", "ben")] == [r[14] for r in rows(log)]

    def test_without_an_author_given_a_store_records_its_default_author(self, log):
        assert isinstance(log.default_author, str) and log.default_author.strip()
        assert log.default_author == log.author == log.append(call(id="c1"))[0].author
        log.author = "ana"
        log.author = None  # (back to the default)
        assert log.default_author == log.append(call(caller="a", callee="b", id="c2"))[0].author

    def test_an_author_that_names_nobody_is_refused(self, log):
        for bad in ("", "   ", "ana\nben", 7):
            with pytest.raises(ChronoError, match="author"):
                log.author = bad
        assert log.default_author == log.author

    def test_the_author_is_hashed(self):
        heads = {}
        for author in ("ana", "ben"):
            with self.make_store(clock=FixedClock(T0)) as lg:
                lg.author = author
                lg.append([place(id="p1"), call(id="c1")])
                heads[author] = lg.head().hash
                assert [row_hash(r[:13], r[14]) for r in rows(lg)] == [r[13] for r in rows(lg)] and verify(lg).ok
        assert heads["ana"] != heads["ben"]

    def test_the_same_event_appended_by_another_author_is_a_repeat(self, log):
        log.author = "ana"
        (first,) = log.append(call(id="c1"))
        log.author = "ben"
        assert [first] == log.append(call(id="c1"))
        assert (1, "ana") == (len(log), log.get("c1").author)
        with pytest.raises(DuplicateEventError):
            log.append(call(caller="a", callee="b", id="c1"))

    def test_an_export_imports_with_its_authors_to_the_same_head(self, rich_log):
        rich_log.author = "ben"
        rich_log.append(call(id="c-ben"))
        data = export(rich_log)
        with self.make_store(clock=FixedClock(T0 + timedelta(days=1))) as copy:
            copy.author = "cara"  # (who imports an export records nothing of their own)
            copy.import_stream(jsonl.read_records(data.splitlines(), ZONE, allow_stored=True))
            assert rows(rich_log) == rows(copy) and rich_log.head() == copy.head()
            assert [e.author for e in rich_log.entries()] == [e.author for e in copy.entries()]
            assert "ben" == copy.get("c-ben").author
        plain = b'{"type": "CallMade", "id": "c9", "event": {"caller": "a", "callee": "b"}, "valid": "2024-12-01"}'
        with self.make_store(clock=FixedClock(T0)) as other:
            other.author = "cara"  # (plain events are recorded by whoever imports them)
            kept = plain.replace(b'"c9"', b'"c10"')[:-1] + b', "recorded": "2025-01-01T12:00:00+00:00"}'
            other.import_stream(jsonl.read_records([plain, kept], ZONE, allow_stored=True))
            # (one that keeps its recorded time is an export's entry, as the bundled chronicle's are: it keeps no author)
            assert ("cara", None, None) == (other.get("c9").author, other.get("c10").author, other.get("c10").provenance)

    def test_a_merge_records_who_merged_it_and_keeps_who_recorded_it_there(self, rich_log):
        from chrono.transfer import merge

        rich_log.author = "ben"
        rich_log.append(call(id="c-ben"))
        data = export(rich_log)
        with self.make_store(clock=FixedClock(T0 + timedelta(days=1))) as mine:
            mine.author = "cara"
            merge(mine, jsonl.read_records(data.splitlines(), ZONE, allow_stored=True), name="theirs")
            merged = mine.get("c-ben")
            assert ("cara", "ben") == (merged.author, merged.origin["provenance"]["author"])
            assert verify(mine).ok

    # --- export and import -----------------------------------------------------------------------------------

    def test_export_then_import_into_empty_log_reproduces_the_head_hash(self, rich_log):
        data = export(rich_log)
        with self.make_store(clock=FixedClock(T0 - timedelta(days=100))) as copy:
            import_into(copy, data)
            assert rich_log.head() == copy.head()
            assert rows(rich_log) == rows(copy)
            assert verify(copy).ok

    def test_export_writes_one_line_per_entry(self, rich_log):
        lines = export(rich_log).splitlines()
        assert 6 == len(lines)
        assert [1, 2, 3, 4, 5, 6] == [codec.loads(line)["seq"] for line in lines]

    def test_import_same_file_twice_adds_nothing(self, rich_log):
        data = export(rich_log)
        with self.make_store(clock=FixedClock(T0)) as copy:
            import_into(copy, data)
            head = copy.head()
            import_into(copy, data)
            assert head == copy.head()
            assert 6 == len(copy)

    def test_import_stream_is_all_or_nothing_and_counts_what_it_added(self, rich_log):
        lines = export(rich_log).splitlines()
        with self.make_store(clock=FixedClock(T0)) as copy:
            assert (6, 6) == copy.import_stream(jsonl.read_records(lines, ZONE, allow_stored=True), batch_size=4)
            assert (6, 0) == copy.import_stream(jsonl.read_records(lines, ZONE, allow_stored=True), batch_size=4)
            assert rows(rich_log) == rows(copy)
        with self.make_store(clock=FixedClock(T0)) as copy:
            with pytest.raises(TamperedError):
                copy.import_stream(jsonl.read_records([*lines[:5], lines[5].replace(b"rumour", b"Rumour")], ZONE, allow_stored=True), batch_size=4)
            assert [] == rows(copy)

    def test_import_stream_of_plain_lines_skips_those_already_in_the_log(self, log):
        # Lines without a recorded time or hash: only the id's uniqueness finds the ones already there.
        lines = [f'{{"id":"c{i}","type":"CallMade","event":{{"caller":"a{i}","callee":"b"}},"valid":"2024-12-01"}}'.encode() for i in range(5)]
        assert (3, 3) == log.import_stream(jsonl.read_records(lines[:3], ZONE, allow_stored=True))
        assert (5, 2) == log.import_stream(jsonl.read_records(lines, ZONE, allow_stored=True))
        assert [f"c{i}" for i in range(5)] == [e.id for e in log.entries()]
        assert verify(log).ok

    def test_import_stream_takes_the_whole_file_as_one_batch_for_after_and_before(self, log):
        # An event may name one later in the file (as events appended in one batch may, in any order),
        # whichever batch of the import it falls in; one named nowhere is refused, naming its line.
        def line(i, **links):
            return codec.canonical({"id": f"c{i}", "type": "CallMade", "event": {"caller": f"a{i}", "callee": "b"}, "valid": "2024-12-01",
                                    **links}).encode()

        lines = [line(0, before=["c4"]), line(1), line(2), line(3, after=["c0"]), line(4, after=["c2"])]
        assert (5, 5) == log.import_stream(jsonl.read_records(lines, ZONE, allow_stored=True), batch_size=2)
        assert ("c4",) == log.get("c0").before and verify(log).ok
        with self.make_store(clock=FixedClock(T0)) as other:
            with pytest.raises(UnknownEventError, match="line 2: after: no event 'c9' in the log or the file"):
                other.import_stream(jsonl.read_records([line(1), line(2, after=["c9"]), line(3), line(4)], ZONE, allow_stored=True),
                                    batch_size=2)
            assert [] == rows(other)

    def test_import_stream_finishes_inside_its_transaction(self, rich_log):
        lines = export(rich_log).splitlines()
        seen = []

        def finish(store):
            seen.append(len(store))  # (the imported entries are there)
            return [place(pid="jeddah", name="Jeddah", id="after")]

        with self.make_store(clock=FixedClock(T0 + timedelta(days=1))) as copy:
            assert (6, 7) == copy.import_stream(jsonl.read_records(lines, ZONE, allow_stored=True), finish=finish)
            assert [6] == seen and rows(rich_log) == rows(copy)[:6] and "after" == copy.get("after").id

        def refuse(store):
            raise ChronoError("no")

        with self.make_store(clock=FixedClock(T0)) as copy:
            with pytest.raises(ChronoError, match="no"):
                copy.import_stream(jsonl.read_records(lines, ZONE, allow_stored=True), finish=refuse)
            assert [] == rows(copy)

    def test_a_provenance_is_stored_hashed_read_and_exported(self, log):
        origin = {"origin": {"log": "theirs", "seq": 4, "id": "c1", "hash": "ab" * 32}}
        (entry,) = log.import_records([(call(id="c1"), {"provenance": origin})])
        assert origin == entry.provenance == log.get("c1").provenance
        row = rows(log)[0]
        assert (codec.canonical(origin), row_hash(row[:13], codec.canonical(origin))) == (row[14], row[13])
        assert verify(log).ok
        with self.make_store(clock=FixedClock(T0)) as copy:
            import_into(copy, export(log))
            assert rows(log) == rows(copy)
        with pytest.raises(InvalidEventError, match="provenance must be a JSON object"):
            log.import_records([(call(id="c2"), {"provenance": "theirs"})])

    def test_import_altered_export_is_refused(self, rich_log):
        data = export(rich_log).replace(b"eyewitnesses", b"eyewitnessez")
        with self.make_store(clock=FixedClock(T0)) as copy:
            with pytest.raises(TamperedError):
                import_into(copy, data)
            assert 0 == len(copy)

    def test_import_export_onto_a_different_log_is_refused(self, rich_log):
        data = export(rich_log)
        with self.make_store(clock=FixedClock(T0)) as other:
            other.append(call(id="unrelated"))
            with pytest.raises(TamperedError):
                import_into(other, data)
            assert 1 == len(other)

    def test_import_recorded_times_going_backwards_is_refused(self, log):
        later = '{"id":"a","type":"CallMade","event":{"caller":"a","callee":"b"},"valid":"2024-12-01","recorded":"2025-02-01T00:00:00+00:00"}'
        earlier = '{"id":"b","type":"CallMade","event":{"caller":"a","callee":"b"},"valid":"2024-12-01","recorded":"2025-01-01T00:00:00+00:00"}'
        with pytest.raises(InvalidEventError):
            import_into(log, f"{later}\n{earlier}\n".encode())
        assert 0 == len(log)

    def test_import_keeps_recorded_times(self, log):
        line = b'{"id":"a","type":"CallMade","event":{"caller":"a","callee":"b"},"valid":"2024-12-01","recorded":"2024-12-02T00:00:00+00:00"}'
        import_into(log, line)
        assert datetime(2024, 12, 2, tzinfo=UTC) == log.get("a").recorded

    def test_import_version_one_line_replays_as_version_two(self, log):
        line = b'{"id":"mv","type":"PersonMoved","version":1,"event":{"person":"assad","destination":"moscow","origin":"damascus"},"valid":"2024-12-08"}'
        import_into(log, line)
        assert PersonMoved(person="assad", to_place="moscow", from_place="damascus") == log.get("mv").event
        assert 1 == log.get("mv").version

    def test_import_version_one_line_missing_destination_is_invalid(self, log):
        line = b'{"id":"mv","type":"PersonMoved","version":1,"event":{"person":"assad"},"valid":"2024-12-08"}'
        with pytest.raises(InvalidEventError):
            import_into(log, line)


class TestSQLiteFile(StoreContract):
    @pytest.fixture(autouse=True)
    def _directory(self, tmp_path):
        self.directory = tmp_path
        self.made = 0

    def make_store(self, *, clock) -> LogStore:
        self.made += 1
        return Log.create(str(self.directory / f"log-{self.made}.db"), zone=ZONE, clock=clock)

    def reopen(self, store: LogStore, *, clock) -> LogStore | None:
        return Log.open(store.path, clock=clock)


class TestSQLiteMemory(StoreContract):
    def make_store(self, *, clock) -> LogStore:
        return Log.create(":memory:", zone=ZONE, clock=clock)


class TestPostgres(StoreContract):
    """Each store a log in a fresh database of a throwaway cluster (tests/pgserver.py)."""

    @pytest.fixture(autouse=True)
    def _server(self, pg_server):
        self.server = pg_server
        with contextlib.ExitStack() as self.databases:
            yield

    def make_store(self, *, clock) -> LogStore:
        from chrono.pgstore import PgLog

        return PgLog.create(self.databases.enter_context(self.server.database()), zone=ZONE, clock=clock)

    def reopen(self, store: LogStore, *, clock) -> LogStore | None:
        from chrono.pgstore import PgLog

        return PgLog.open(store.path, clock=clock)
