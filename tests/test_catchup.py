"""The cache caught up by position: a read after new entries applies only those, and what it holds is
what a rebuild from scratch would hold — for any log and any split of it into batches, with
corrections of corrections, retractions of corrections and ordering constraints in the mix."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from chrono.clock import FixedClock
from chrono.entry import Draft
from chrono.store import Log
from chrono.timeval import parse_valid_time
from cli.app import main
from events import REGISTRY, ControlChanged, EventCorrected, EventRetracted, PersonMoved, PlaceDescribed
from projections import cache
from projections.cache import catchup
from projections.cache.schema import ENTITIES, FACT_COLUMNS, FACTS, KEYS, MENTIONS, REFS
from projections.query import ensure_cache, state

from . import strategies as s

ROOT = Path(__file__).resolve().parents[1]
ZONE = "Africa/Khartoum"


def new_log(path: str = ":memory:") -> Log:
    return Log.create(path, zone=ZONE, clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC), step=timedelta(seconds=1)))


def doc(log: Log, at: datetime, known_at: datetime | None = None, *, use_cache: bool) -> dict:
    """`state --json` at `at` as known at `known_at` (by default, when the last entry was recorded)."""
    return state(log, at, known_at or log.head().recorded, zone=ZONE, limit=None, use_cache=use_cache)[0]


def tables(log: Log) -> dict[str, list]:
    """Every row of the cache's tables (but the metas), in an order that does not depend on how
    they were written."""
    out = {}
    for table, columns in ((FACTS, FACT_COLUMNS), (ENTITIES, "*"), (REFS, "*"), (MENTIONS, "*"), (KEYS, "*")):
        out[table] = sorted(log.conn.execute(f"SELECT {columns} FROM {table}").fetchall(), key=repr)
    return out


@st.composite
def histories(draw) -> tuple[list[Draft], list[int]]:
    """Entries a log could take, and where to cut them into batches: the descriptions, facts of every
    type (some ordered after or before earlier ones), corrections of facts, of descriptions and of
    corrections, retractions of anything, to any depth."""
    entries = list(s.descriptions())
    facts: list[str] = []  # ids of the facts with a valid time
    kind_of: dict[str, type] = {d.id: type(d.event) for d in entries}  # what a correction of each must replace it with
    retractable = [d.id for d in entries]
    for i in range(draw(st.integers(1, 14))):
        action = draw(st.sampled_from(["fact", "fact", "ordered", "correct", "retract"]))
        if action in ("fact", "ordered") or not facts:
            ev = draw(s.world_events)
            links = {}
            if action == "ordered" and facts:
                links = {draw(st.sampled_from(["after", "before"])): (draw(st.sampled_from(facts)),)}
            d = Draft(event=ev, valid=draw(s.valid_times()), sources=draw(s.sources), id=f"f{i}", **links)
            facts.append(d.id)
        elif action == "correct":
            target = draw(st.sampled_from(sorted(kind_of)))
            cls = kind_of[target]
            replacement = draw(s.event_of(cls, pooled=True))
            valid = None if cls.timeless else draw(s.valid_times())
            d = Draft(event=EventCorrected(target=target, replacement=replacement, reason="r"), valid=valid,
                      sources=draw(s.sources), id=f"c{i}")
            kind_of[d.id] = cls
        else:
            d = Draft(event=EventRetracted(target=draw(st.sampled_from(retractable)), reason="r"), id=f"r{i}")
        if d.event.type_name in REGISTRY and not d.event.correction:
            kind_of[d.id] = type(d.event)
        retractable.append(d.id)
        entries.append(d)
    cuts = sorted(set(draw(st.lists(st.integers(1, len(entries) - 1), max_size=6))))
    return entries, cuts


def batches(entries: list, cuts: list[int]) -> list[list]:
    bounds = [0, *cuts, len(entries)]
    return [entries[a:b] for a, b in zip(bounds, bounds[1:]) if a < b]


@given(histories())
def test_a_cache_caught_up_batch_by_batch_holds_what_a_rebuild_holds(history):
    entries, cuts = history
    log = new_log()
    first, *rest = batches(entries, cuts)
    log.append(first)
    assert ensure_cache(log)
    for batch in rest:
        log.append(batch)
        assert cache.catch_up(log)  # (caught up, not rebuilt)
        assert cache.is_fresh(log)
    caught = tables(log)
    cache.rebuild(log)
    assert caught == tables(log)


@given(histories(), s.query_times, st.data())
def test_answers_from_a_caught_up_cache_are_the_folds_at_any_time_as_known_at_any_position(history, at, data):
    entries, cuts = history
    log = new_log()
    recorded = []
    for i, batch in enumerate(batches(entries, cuts)):
        log.append(batch)
        recorded.append(log.head().recorded)
        if i == 0:
            assert ensure_cache(log)
        else:
            assert cache.catch_up(log)
    known_at = data.draw(st.sampled_from(recorded))
    assert doc(log, at, known_at, use_cache=False) == doc(log, at, known_at, use_cache=True)


def test_a_cache_of_another_format_is_rebuilt_not_caught_up(monkeypatch):
    log = new_log()
    log.append(s.descriptions())
    assert ensure_cache(log)
    log.append(Draft(event=PersonMoved(person="h0", to_place="p0"), valid=parse_valid_time("2023-12-18", ZONE), id="move"))
    monkeypatch.setattr(cache.schema, "format_id", lambda: "another")
    monkeypatch.setattr(cache.build, "format_id", lambda: "another")
    assert not cache.catch_up(log)
    assert ensure_cache(log) and cache.is_fresh(log)


def test_a_cache_the_log_does_not_extend_is_rebuilt_not_caught_up(tmp_path):
    """Another log moved into the same path: same length or longer, another history."""
    path = str(tmp_path / "log.db")
    log = new_log(path)
    log.append(s.descriptions())
    assert ensure_cache(log)
    log.close()
    for name in ("log.db", "log.db-wal", "log.db-shm"):
        if (tmp_path / name).exists():
            os.remove(tmp_path / name)
    # (Another clock: other recorded times, so other hashes.)
    log = Log.create(path, zone=ZONE, clock=FixedClock(datetime(2027, 1, 1, tzinfo=UTC), step=timedelta(seconds=1)))
    log.append(s.descriptions())
    log.append(Draft(event=PersonMoved(person="h0", to_place="p0"), valid=parse_valid_time("2023-12-18", ZONE), id="move"))
    assert not cache.catch_up(log)
    assert ensure_cache(log) and cache.is_fresh(log)
    assert doc(log, datetime(2024, 1, 1, tzinfo=UTC), use_cache=False) == doc(log, datetime(2024, 1, 1, tzinfo=UTC), use_cache=True)


# --- through the CLI, with a log in a file -------------------------------------------------------------

WAD_MADANI = [
    ["append", "PlaceDescribed", "--place", "wad-madani", "--name", "Wad Madani", "--id", "d-madani"],
    ["append", "PlaceDescribed", "--place", "hantoub", "--name", "Hantoub", "--id", "d-hantoub"],
    ["append", "ActorDescribed", "--actor", "saf", "--name", "Sudanese Armed Forces", "--id", "d-saf"],
    ["append", "ActorDescribed", "--actor", "rsf", "--name", "Rapid Support Forces", "--id", "d-rsf"],
    ["append", "ControlChanged", "--place", "wad-madani", "--controller", "rsf", "--previous", "saf",
     "--valid", "2023-12-15/2023-12-19", "--id", "madani-falls", "--source", "Sudan Tribune"],
]


def run(db, *args):
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    assert 0 == result.exit_code, result.output
    return result.output


def test_after_a_correction_the_next_read_applies_only_the_new_entries_and_answers_anew(tmp_path):
    db = tmp_path / "sudan.db"
    run(db, "init", "--zone", ZONE)
    for command in WAD_MADANI:
        run(db, *command)
    before = run(db, "state", "--at", "2023-12-20T12:00", "--json")
    assert '"controller": "rsf"' in before
    inode = os.stat(f"{db}-cache").st_ino
    run(db, "correct", "madani-falls", "--controller", "saf", "--reason", "the SAF still held it")
    after = run(db, "state", "--at", "2023-12-20T12:00", "--json")
    assert '"controller": "saf"' in after
    # The cache files were written in place (a rebuild writes new files and moves them over the old).
    assert inode == os.stat(f"{db}-cache").st_ino
    then = run(db, "state", "--at", "2023-12-20T12:00", "--as-of", before.split('"known_at": "')[1].split('"')[0], "--json")
    assert '"controller": "rsf"' in then


# --- crashes -------------------------------------------------------------------------------------------

BIG = 3_000  # entries a catch-up applies while it is killed


def catching_up_main(path: str) -> None:
    """In a child: say when ready, then catch the cache up (the parent kills it at some moment)."""
    with Log.open(path) as log:
        print("ready", flush=True)
        print("done" if cache.catch_up(log) else "refused", flush=True)


def test_sigkill_at_any_moment_of_a_catch_up_leaves_a_cache_the_next_read_repairs(tmp_path):
    path = str(tmp_path / "log.db")
    log = new_log(path)
    log.append(s.descriptions())
    log.append([Draft(event=ControlChanged(place=f"p{i % 4}", controller=f"a{i % 3}"),
                      valid=parse_valid_time("2023-12-01", ZONE), id=f"first-{i}") for i in range(BIG)])
    assert ensure_cache(log)
    at = datetime(2024, 1, 1, tzinfo=UTC)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = "import sys; from tests.test_catchup import catching_up_main; catching_up_main(sys.argv[1])"
    for k, delay in enumerate((0.0, 0.02, 0.05, 0.1, 0.2, 0.4)):
        log.append([Draft(event=EventCorrected(target=f"first-{k * 7 + j}", replacement=ControlChanged(place="p1", controller=f"a{k}"),
                                               reason="r"), valid=parse_valid_time("2023-12-02", ZONE), id=f"fix-{k}-{j}") for j in range(5)])
        log.append([Draft(event=PersonMoved(person=f"h{i % 3}", to_place=f"p{i % 4}"), valid=parse_valid_time("2023-12-03", ZONE),
                          id=f"more-{k}-{i}") for i in range(BIG // 3)])
        p = subprocess.Popen([sys.executable, "-c", code, path], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        assert "ready" == p.stdout.readline().strip()
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
        p.stdout.close()
        with Log.open(path) as reader:
            # Caught up whole, not at all, or (parts at different heads) not fresh: never wrong.
            if cache.is_fresh(reader):
                assert doc(reader, at, use_cache=False) == doc(reader, at, use_cache=True)
            assert ensure_cache(reader) and cache.is_fresh(reader)
            assert doc(reader, at, use_cache=False) == doc(reader, at, use_cache=True)
    log.close()


def test_two_readers_catching_up_at_once_take_turns(tmp_path):
    path = str(tmp_path / "log.db")
    log = new_log(path)
    log.append(s.descriptions())
    assert ensure_cache(log)
    log.append([Draft(event=PersonMoved(person="h0", to_place=f"p{i % 4}"), valid=parse_valid_time("2023-12-03", ZONE), id=f"m-{i}")
                for i in range(BIG)])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = "import sys; from tests.test_catchup import catching_up_main; catching_up_main(sys.argv[1])"
    readers = [subprocess.Popen([sys.executable, "-c", code, path], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
               for _ in range(2)]
    outs = [p.communicate(timeout=120)[0].split() for p in readers]
    assert [["ready", "done"]] * 2 == outs and [0, 0] == [p.returncode for p in readers]
    assert cache.is_fresh(log)
    caught = tables(log)
    cache.rebuild(log)
    assert caught == tables(log)
    log.close()


def test_catch_up_is_refused_by_a_cache_whose_parts_stand_at_different_heads():
    log = new_log()
    log.append(s.descriptions())
    assert ensure_cache(log)
    log.append(Draft(event=PlaceDescribed(place="p9", name="Nine"), id="d-p9"))
    log.conn.execute("UPDATE proj_meta SET value = '999' WHERE key = 'seq'")
    assert not catchup.catch_up(log)
    assert ensure_cache(log) and cache.is_fresh(log)
