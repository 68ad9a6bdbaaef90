"""The `chrono` commands, driven through click's CliRunner on temporary logs with a fixed clock."""

import gc
import json
import os
import shutil
import sqlite3
import sys
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from click.testing import CliRunner

import cli
from chrono.chronicles import chronicle
from chrono.clock import FixedClock
from chrono.store import Log

ZONE = "Asia/Damascus"
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)

# The world the seeded log describes, as `append --json` JSON Lines (ids, no aliases needed here).
SEED = [
    {"id": "p-aleppo", "type": "PlaceDescribed", "event": {"place": "aleppo", "name": "Aleppo", "kind": "city", "aliases": ["Halab"]}},
    {"id": "p-damascus", "type": "PlaceDescribed", "event": {"place": "damascus", "name": "Damascus", "kind": "city"}},
    {"id": "p-moscow", "type": "PlaceDescribed", "event": {"place": "moscow", "name": "Moscow", "kind": "city"}},
    {"id": "a-hts", "type": "ActorDescribed", "event": {"actor": "hts", "name": "Hayat Tahrir al-Sham", "kind": "faction", "aliases": ["HTS"]}},
    {"id": "a-regime", "type": "ActorDescribed", "event": {"actor": "regime", "name": "Assad government", "kind": "government"}},
    {"id": "h-sharaa", "type": "PersonDescribed", "event": {"person": "al-sharaa", "name": "Ahmed al-Sharaa", "aliases": ["al-Joulani"]}},
    {"id": "h-assad", "type": "PersonDescribed", "event": {"person": "assad", "name": "Bashar al-Assad"}},
    {"id": "u-4th", "type": "UnitDescribed", "event": {"unit": "4th-division", "name": "4th Armoured Division", "kind": "division", "actor": "regime"}},
    {"id": "cap", "type": "CityCaptured", "event": {"place": "aleppo", "by": "hts", "previous": "regime"}, "valid": "2024-11-30",
     "sources": [{"outlet": "Al Majalla"}]},
    {"id": "mv", "type": "PersonMoved", "event": {"person": "assad", "to_place": "moscow", "from_place": "damascus"}, "valid": "2024-12-07T21:00/2024-12-08T03:00"},
    {"id": "call", "type": "CallMade", "event": {"caller": "regime", "callee": "hts"}, "valid": "2024-12-07T20:00"},
    {"id": "meet", "type": "MeetingHeld", "event": {"participants": ["hts", "regime"], "place": "damascus"}, "valid": "2024-12-06"},
    {"id": "st", "type": "StatementIssued", "event": {"text": "Aleppo is free", "speaker": "al-sharaa", "kind": "claim"}, "valid": "2024-11-30T18:00"},
    {"id": "dis", "type": "UnitDissolved", "event": {"unit": "4th-division"}, "valid": "2024-12-07"},
]

# The seeded log: its zone (`init --zone`, a setting: the log's first entry), then SEED.
ENTRIES = 1 + len(SEED)
SEQ = {x["id"]: seq for seq, x in enumerate(SEED, 2)}

COMMANDS = ["init", "append", "correct", "retract", "import", "log", "replay", "verify", "state", "entities", "types", "head", "export"]


def clock() -> FixedClock:
    return FixedClock(T0, step=timedelta(minutes=1))


def invoke(db, *args, input=None, clk=None, env=None):
    argv = ["--db", str(db), *args] if db is not None else list(args)
    return CliRunner().invoke(cli.main, argv, obj=cli.Env(clock=clk or clock()), input=input, env=env)


def ok(result):
    assert result.exception is None, result.output
    assert 0 == result.exit_code, result.output
    return result


def settle() -> None:
    # Commands leave their connections to the garbage collector; closing them checkpoints the WAL,
    # so the main file holds everything before we compare or copy it.
    gc.collect()


def head_of(path) -> tuple[int, str]:
    settle()
    with Log.open(str(path), readonly=True) as lg:
        h = lg.head()
    settle()
    return h.seq, h.hash


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "seed.db"
    ok(invoke(path, "init", "--zone", ZONE))
    lines = "\n".join(json.dumps(x) for x in SEED)
    ok(invoke(path, "append", "--json", "-", input=lines))
    ok(invoke(path, "replay"))
    settle()
    return path


@pytest.fixture
def db(template, tmp_path):
    """A seeded log of its own for each test, its cache warm."""
    path = tmp_path / "t.db"
    shutil.copy(template, path)
    return path


@pytest.fixture
def empty(tmp_path):
    """A log with no entries at all (a zone would be its first entry)."""
    path = tmp_path / "e.db"
    ok(invoke(path, "init"))
    settle()
    return path


def state(db, *extra, clk=None) -> dict:
    return json.loads(ok(invoke(db, "state", "--json", *extra, clk=clk)).output)


def control_of(doc: dict, place: str) -> dict:
    return next(c for c in doc["control"] if c["place"] == place)


def assert_clean_failure(result, code: int) -> None:
    """A one-line message, the right exit code, and no traceback."""
    assert code == result.exit_code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: ")
    if code == 1:
        assert [last] == result.output.strip().splitlines()


class Unchanged:
    """The log file is byte-for-byte what it was. The read-model cache is brought up to date first:
    it is derived data that any read may refresh, not part of what a failed command must leave alone."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        ok(invoke(self.path, "replay"))
        settle()
        self.before = self.path.read_bytes()
        return self

    def __exit__(self, *exc):
        settle()
        assert self.before == self.path.read_bytes()
        assert not os.path.exists(str(self.path) + "-wal") or 0 == os.path.getsize(str(self.path) + "-wal")


# --- init ------------------------------------------------------------------------------------------------


def test_init_creates_an_empty_log(tmp_path):
    path = tmp_path / "new.db"
    r = ok(invoke(path, "init"))
    assert f"created {path}" in r.output
    assert (0, "0" * 64) == head_of(path)


def test_init_with_a_zone_records_it_as_the_logs_first_entry_a_setting(tmp_path):
    path = tmp_path / "new.db"
    ok(invoke(path, "init", "--zone", ZONE))
    with Log.open(str(path)) as lg:
        assert ZONE == lg.zone
        (entry,) = lg.entries()
        assert ("SettingChanged", "zone", ZONE) == (entry.type_name, entry.event.key, entry.event.value)
        assert lg.created_zone is None  # (nothing in the log's metadata: the entry travels with its exports)


def test_init_defaults_to_utc(tmp_path):
    path = tmp_path / "new.db"
    ok(invoke(path, "init"))
    settle()
    with Log.open(str(path)) as lg:
        assert "UTC" == lg.zone


def test_init_on_an_existing_log_fails_and_leaves_it_untouched(db):
    with Unchanged(db):
        r = invoke(db, "init", "--zone", ZONE)
    assert_clean_failure(r, 1)
    assert "already exists" in r.output


def test_init_on_an_existing_file_fails_and_leaves_it_untouched(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("keep me\n")
    r = invoke(path, "init")
    assert_clean_failure(r, 1)
    assert "keep me\n" == path.read_text()


def test_init_with_unknown_zone_fails_without_creating_a_file(tmp_path):
    path = tmp_path / "new.db"
    r = invoke(path, "init", "--zone", "Mars/Olympus_Mons")
    assert_clean_failure(r, 1)
    assert not path.exists()


def test_init_uses_chrono_db_from_the_environment(tmp_path):
    path = tmp_path / "env.db"
    ok(invoke(None, "init", env={"CHRONO_DB": str(path)}))
    assert path.exists()


# --- append ------------------------------------------------------------------------------------------------


def test_append_prints_the_new_id(db):
    r = ok(invoke(db, "append", "CallMade", "--caller", "hts", "--callee", "regime", "--valid", "2024-12-01", "--id", "c9"))
    assert "c9\n" == r.output
    assert ENTRIES + 1 == head_of(db)[0]


def test_append_generates_an_id_when_none_is_given(db):
    r = ok(invoke(db, "append", "CallMade", "--caller", "hts", "--callee", "regime", "--valid", "2024-12-01"))
    new_id = r.output.strip()
    assert new_id.startswith("ev-")
    assert new_id in invoke(db, "log", "--json").stdout


def test_append_list_floats_and_choices(db):
    ok(invoke(db, "append", "PlaceDescribed", "--place", "hama", "--name", "Hama", "--kind", "city",
              "--lat", "35.13", "--lon", "36.75", "--aliases", "Hamah, Epiphania", "--aliases", "Hamath", "--id", "p-hama"))
    ent = {e["id"]: e for e in json.loads(ok(invoke(db, "entities", "--json")).stdout)}
    assert ["Hamah", "Epiphania", "Hamath"] == ent["hama"]["aliases"]
    assert (35.13, 36.75) == (ent["hama"]["lat"], ent["hama"]["lon"])


def test_append_field_with_equals_sign(db):
    ok(invoke(db, "append", "CallMade", "--caller=hts", "--callee=regime", "--valid", "2024-12-01", "--id", "c9"))
    line = json.loads(ok(invoke(db, "log", "--json", "--type", "CallMade")).stdout.splitlines()[-1])
    assert {"caller": "hts", "callee": "regime", "summary": None} == line["event"]


def test_append_entity_named_by_alias_resolves_to_its_id(db):
    ok(invoke(db, "append", "PersonMoved", "--person", "al-Joulani", "--to-place", "Halab", "--valid", "2024-12-01T10:00", "--id", "m2"))
    entry = json.loads(next(line for line in invoke(db, "log", "--json").stdout.splitlines() if '"m2"' in line))
    assert ("al-sharaa", "aleppo") == (entry["event"]["person"], entry["event"]["to_place"])


def test_append_list_of_entities_named_by_alias(db):
    ok(invoke(db, "append", "MeetingHeld", "--participants", "HTS,al-Joulani", "--valid", "2024-12-02", "--id", "m3"))
    entry = json.loads(next(line for line in invoke(db, "log", "--json").stdout.splitlines() if '"m3"' in line))
    assert ["hts", "al-sharaa"] == entry["event"]["participants"]


def test_append_sources_and_wording_are_stored(db):
    ok(invoke(db, "append", "CallMade", "--caller", "hts", "--callee", "regime", "--valid", "2024-12-07", "--wording", "on Saturday",
              "--source", "Al Majalla", "--attribution", "a source", "--quote", "they spoke", "--id", "c9"))
    entry = json.loads(next(line for line in invoke(db, "log", "--json").stdout.splitlines() if '"c9"' in line))
    assert [{"outlet": "Al Majalla", "attribution": "a source", "quote": "they spoke"}] == entry["sources"]
    assert "on Saturday" == entry["valid"]["wording"]


def test_append_undescribed_entity_allowed_as_new_appends(db):
    r = ok(invoke(db, "append", "CallMade", "--caller", "lavrov", "--callee", "hts", "--valid", "2024-12-01", "--new-entity", "lavrov"))
    assert "warning" not in r.output
    assert ENTRIES + 1 == head_of(db)[0]


NEW_AB = ("--new-entity", "a", "--new-entity", "b")


def test_append_json_one_object(empty):
    doc = {"id": "c1", "type": "CallMade", "event": {"caller": "a", "callee": "b"}, "valid": "2024-12-01"}
    r = ok(invoke(empty, "append", "--json", "-", *NEW_AB, input=json.dumps(doc)))
    assert "c1\n" == r.output


def test_append_json_array(empty):
    docs = [{"id": f"c{i}", "type": "CallMade", "event": {"caller": "a", "callee": "b"}, "valid": "2024-12-01"} for i in range(3)]
    r = ok(invoke(empty, "append", "--json", "-", *NEW_AB, input=json.dumps(docs)))
    assert "c0\nc1\nc2\n" == r.output


def test_append_json_lines_from_a_file(empty, tmp_path):
    src = tmp_path / "events.jsonl"
    src.write_text("\n".join(json.dumps(x) for x in SEED) + "\n\n")
    r = ok(invoke(empty, "append", "--json", str(src)))
    assert [x["id"] for x in SEED] == r.output.split()
    assert len(SEED) == head_of(empty)[0]


def test_append_json_lines_from_stdin(empty):
    lines = "\n".join(json.dumps(x) for x in SEED[:3])
    r = ok(invoke(empty, "append", "--json", "-", input=lines))
    assert ["p-aleppo", "p-damascus", "p-moscow"] == r.output.split()


def test_append_json_same_input_twice_adds_nothing(db):
    doc = json.dumps({"id": "c1", "type": "CallMade", "event": {"caller": "hts", "callee": "regime"}, "valid": "2024-12-01"})
    ok(invoke(db, "append", "--json", "-", input=doc))
    head = head_of(db)
    ok(invoke(db, "append", "--json", "-", input=doc))
    assert head == head_of(db)


def test_append_ids_json_prints_positions_and_hashes(db):
    r = ok(invoke(db, "append", "CallMade", "--caller", "hts", "--callee", "regime", "--valid", "2024-12-01", "--id", "c9", "--ids-json"))
    [entry] = json.loads(r.output)
    assert ("c9", ENTRIES + 1) == (entry["id"], entry["seq"])
    assert head_of(db)[1] == entry["hash"]


def test_append_expect_position_conflict_fails_cleanly(db):
    with Unchanged(db):
        r = invoke(db, "append", "CallMade", "--caller", "hts", "--callee", "regime", "--valid", "2024-12-01", "--expect-position", "3")
    assert_clean_failure(r, 1)
    assert "conflict" in r.output


def test_append_expect_position_matching_appends(db):
    ok(invoke(db, "append", "CallMade", "--caller", "hts", "--callee", "regime", "--valid", "2024-12-01", "--expect-position", str(ENTRIES)))
    assert ENTRIES + 1 == head_of(db)[0]


# --- correct and retract ------------------------------------------------------------------------------------


def test_correct_changes_state_now_but_not_as_of_before(db):
    clk = clock()
    at = ["--at", "2024-12-01T12:00"]
    assert "hts" == control_of(state(db, *at, clk=clk), "aleppo")["controller"]
    before_correction = state(db, *at, clk=clk)["known_at"]
    ok(invoke(db, "correct", "cap", "--by", "regime", "--reason", "misread caption", "--id", "k1", clk=clk))

    now = control_of(state(db, *at, clk=clk), "aleppo")
    assert ("regime", ["cap"]) == (now["controller"], now["events"])
    then = control_of(state(db, *at, "--as-of", before_correction, clk=clk), "aleppo")
    assert "hts" == then["controller"]


def test_correct_valid_time_moves_the_event(db):
    clk = clock()
    ok(invoke(db, "correct", "cap", "--valid", "2024-12-02", "--reason", "later", clk=clk))
    assert "unknown" == control_of(state(db, "--at", "2024-12-01T12:00", clk=clk), "aleppo")["status"]
    assert "hts" == control_of(state(db, "--at", "2024-12-03", clk=clk), "aleppo")["controller"]


def test_correct_prints_the_correction_id_and_log_shows_it(db):
    r = ok(invoke(db, "correct", "cap", "--by", "regime", "--reason", "r", "--id", "k1"))
    assert "k1\n" == r.output
    statuses = {json.loads(line)["id"]: json.loads(line)["status"] for line in invoke(db, "log", "--json").stdout.splitlines()}
    assert "corrected by k1" == statuses["cap"]


def test_correct_with_nothing_to_change_is_a_usage_error(db):
    with Unchanged(db):
        r = invoke(db, "correct", "cap", "--reason", "r")
    assert_clean_failure(r, 2)


def test_correct_needs_a_reason(db):
    with Unchanged(db):
        r = invoke(db, "correct", "cap", "--by", "regime")
    assert_clean_failure(r, 2)


def test_retract_removes_a_fact_now_but_not_as_of_before(db):
    clk = FixedClock(T0 + timedelta(minutes=5), step=timedelta(minutes=1))  # (after the seeded log was recorded)
    at = ["--at", "2024-12-08T12:00"]
    before = state(db, *at, clk=clk)
    assert ["call"] == [c["event"] for c in before["calls"]]
    ok(invoke(db, "retract", "call", "--reason", "never happened", "--id", "r1", clk=clk))
    assert [] == state(db, *at, clk=clk)["calls"]
    assert ["call"] == [c["event"] for c in state(db, *at, "--as-of", before["known_at"], clk=clk)["calls"]]


def test_retract_prints_the_retraction_id_and_log_shows_it(db):
    assert "r1\n" == ok(invoke(db, "retract", "cap", "--reason", "dup", "--id", "r1")).output
    statuses = {json.loads(line)["id"]: json.loads(line)["status"] for line in invoke(db, "log", "--json").stdout.splitlines()}
    assert "retracted by r1" == statuses["cap"]


def test_retract_then_correct_is_refused(db):
    ok(invoke(db, "retract", "cap", "--reason", "dup"))
    with Unchanged(db):
        r = invoke(db, "correct", "cap", "--by", "regime", "--reason", "r")
    assert_clean_failure(r, 1)


# --- log ------------------------------------------------------------------------------------------------------


def test_log_table_lists_every_entry(db):
    out = ok(invoke(db, "log")).output
    for x in SEED:
        assert x["id"] in out
    assert "sometime on 30 Nov 2024" in out


def test_log_on_an_empty_log(empty):
    assert "no entries" == ok(invoke(empty, "log")).output.splitlines()[-1]


def test_log_json_is_the_export_form_with_status(db):
    lines = [json.loads(line) for line in ok(invoke(db, "log", "--json")).stdout.splitlines()]
    assert [x["id"] for x in SEED] == [e["id"] for e in lines[1:]]
    assert list(range(1, ENTRIES + 1)) == [e["seq"] for e in lines]
    assert {"stands"} == {e["status"] for e in lines}
    assert {"seq", "id", "type", "version", "valid", "event", "sources", "recorded", "prev_hash", "hash", "status"} <= set(lines[0])


def test_log_type_filter(db):
    lines = ok(invoke(db, "log", "--json", "--type", "CallMade", "--type", "MeetingHeld")).stdout.splitlines()
    assert ["call", "meet"] == [json.loads(line)["id"] for line in lines]


def test_log_unknown_type_is_a_usage_error(db):
    assert_clean_failure(invoke(db, "log", "--type", "CityBurned"), 2)


def test_log_since_until_filter_by_valid_time(db):
    lines = ok(invoke(db, "log", "--json", "--since", "2024-12-06", "--until", "2024-12-06")).stdout.splitlines()
    assert ["meet"] == [json.loads(line)["id"] for line in lines]


def test_log_since_includes_events_still_running(db):
    # The move runs from 21:00 on the 7th to 03:00 on the 8th: it reaches the 8th.
    lines = ok(invoke(db, "log", "--json", "--since", "2024-12-08")).stdout.splitlines()
    assert ["mv"] == [json.loads(line)["id"] for line in lines]


def test_log_until_excludes_later_events(db):
    lines = ok(invoke(db, "log", "--json", "--until", "2024-11-30")).stdout.splitlines()
    assert ["cap", "st"] == [json.loads(line)["id"] for line in lines]


# --- replay, verify, head -----------------------------------------------------------------------------------------


def test_replay_reports_counts(db):
    seq, h = head_of(db)
    out = ok(invoke(db, "replay")).output
    assert out.startswith(f"from log {db}, head {seq} {h[:16]}\nreplayed {ENTRIES} entries into {ENTRIES} standing facts")
    assert "(0 retractions)" in out
    assert "entities: 2 actors, 2 persons, 3 places, 1 units" in out


def test_replay_without_a_log_says_it_replays_the_bundled_chronicle(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = ok(invoke(None, "replay", env={"CHRONO_DB": None})).output
    first, second = out.splitlines()[:2]
    entries = len(chronicle("syria-2024").data().splitlines())
    assert first.startswith(f"from the bundled chronicle syria-2024, head {entries} ")
    assert first.endswith(" (read-only; no --db, $CHRONO_DB or ./chrono.db)")
    assert second.startswith(f"replayed {entries} entries")
    assert [] == list(tmp_path.iterdir())


def test_replay_counts_retractions(db):
    ok(invoke(db, "retract", "call", "--reason", "r"))
    assert f"replayed {ENTRIES + 1} entries into {ENTRIES - 1} standing facts" in ok(invoke(db, "replay")).output
    assert "(1 retractions)" in invoke(db, "replay").output


def test_verify_ok(db):
    r = ok(invoke(db, "verify"))
    assert r.output.splitlines()[1].startswith(f"ok: {ENTRIES} entries, hash chain intact")
    assert head_of(db)[1] in r.output


def test_verify_json(db):
    doc = json.loads(ok(invoke(db, "verify", "--json")).output)
    assert (True, ENTRIES, None) == (doc["ok"], doc["entries"], doc["position"])


def tamper(path, sql: str, *args) -> None:
    settle()
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("DROP TRIGGER events_no_delete")
    conn.execute(sql, args)
    conn.commit()
    conn.close()


def test_verify_tampered_payload_exits_1_with_the_position(db):
    tamper(db, "UPDATE events SET body = replace(body, 'hts', 'htz') WHERE id = 'cap'")
    r = invoke(db, "verify")
    assert 1 == r.exit_code
    assert f"TAMPERED at position {SEQ['cap']}" in r.output
    assert "Traceback" not in r.output


def test_verify_tampered_json_reports_the_position(db):
    tamper(db, "UPDATE events SET recorded = recorded - 1 WHERE seq = ?", ENTRIES)
    r = invoke(db, "verify", "--json")
    assert 1 == r.exit_code
    doc = json.loads(r.output)
    assert (False, ENTRIES) == (doc["ok"], doc["position"])


def test_verify_truncated_log_fails_against_the_old_head(db):
    old = head_of(db)[1]
    tamper(db, "DELETE FROM events WHERE seq = ?", ENTRIES)
    ok(invoke(db, "verify"))
    r = invoke(db, "verify", "--head", old)
    assert 1 == r.exit_code
    assert f"TAMPERED at position {ENTRIES}" in r.output


def test_head_prints_position_and_hash(db):
    seq, h = head_of(db)
    assert f"{seq} {h}\n" == ok(invoke(db, "head")).stdout


def test_head_json(db):
    doc = json.loads(ok(invoke(db, "head", "--json")).output)
    assert (ENTRIES, head_of(db)[1]) == (doc["seq"], doc["hash"])


# --- export and import -----------------------------------------------------------------------------------------------


def test_export_then_import_reproduces_the_head_hash(db, empty, tmp_path):
    ok(invoke(db, "correct", "cap", "--by", "regime", "--reason", "r"))
    ok(invoke(db, "retract", "call", "--reason", "r"))
    backup = tmp_path / "backup.jsonl"
    ok(invoke(db, "export", "--out", str(backup)))
    assert ENTRIES + 2 == len(backup.read_text().splitlines())
    r = ok(invoke(empty, "import", str(backup)))
    assert f"read {ENTRIES + 2} entries, added {ENTRIES + 2}" in r.output
    assert head_of(db) == head_of(empty)
    ok(invoke(empty, "verify"))


@pytest.mark.skipif(not (sys.platform.startswith("linux") and len(os.sched_getaffinity(0)) >= 2),
                    reason="a large file is read by a second process only on Linux with two cores")
def test_a_large_import_is_read_by_a_second_process_and_reproduces_the_log(db, empty, tmp_path, monkeypatch):
    import chrono.jsonl
    import cli.write

    monkeypatch.setattr(chrono.jsonl, "PARALLEL_FROM", 1)  # any file is large
    monkeypatch.setattr(chrono.jsonl, "_FIRST", 2)
    monkeypatch.setattr(chrono.jsonl, "_CHUNK", 3)
    used = []
    real = cli.write.read_prepared
    monkeypatch.setattr(cli.write, "read_prepared", lambda *a, **k: used.append(a) or real(*a, **k))
    ok(invoke(db, "correct", "cap", "--by", "regime", "--reason", "r"))
    backup = tmp_path / "backup.jsonl"
    ok(invoke(db, "export", "--out", str(backup)))
    r = ok(invoke(empty, "import", str(backup)))
    assert f"read {ENTRIES + 1} entries, added {ENTRIES + 1}" in r.output
    assert 1 == len(used)
    assert head_of(db) == head_of(empty)
    ok(invoke(empty, "verify"))
    backup.write_text(backup.read_text() + '{"id": "late", "type": "CallMade"}\n')
    with Unchanged(empty):
        r = invoke(empty, "import", str(backup))
    assert_clean_failure(r, 1)
    assert f"line {ENTRIES + 2}:" in r.output


def test_export_to_stdout_is_json_lines(db):
    lines = ok(invoke(db, "export")).stdout.splitlines()
    assert [x["id"] for x in SEED] == [json.loads(line)["id"] for line in lines[1:]]


def test_import_the_same_file_twice_adds_nothing(db, empty, tmp_path):
    backup = tmp_path / "backup.jsonl"
    ok(invoke(db, "export", "--out", str(backup)))
    ok(invoke(empty, "import", str(backup)))
    head = head_of(empty)
    r = ok(invoke(empty, "import", str(backup)))
    assert "added 0" in r.output
    assert head == head_of(empty)


def test_import_altered_export_fails_and_adds_nothing(db, empty, tmp_path):
    backup = tmp_path / "backup.jsonl"
    ok(invoke(db, "export", "--out", str(backup)))
    backup.write_text(backup.read_text().replace("Al Majalla", "Al Majallah"))
    with Unchanged(empty):
        r = invoke(empty, "import", str(backup))
    assert_clean_failure(r, 1)


# --- entities and types --------------------------------------------------------------------------------------------------


def test_entities_table(db):
    out = ok(invoke(db, "entities")).output
    assert "al-Joulani" in out
    assert "4th Armoured Division" in out


def test_entities_json_lists_every_entity(db):
    items = json.loads(ok(invoke(db, "entities", "--json")).stdout)
    assert {"aleppo", "damascus", "moscow", "hts", "regime", "al-sharaa", "assad", "4th-division"} == {e["id"] for e in items}
    sharaa = next(e for e in items if e["id"] == "al-sharaa")
    assert ("Ahmed al-Sharaa", ["al-Joulani"], "person") == (sharaa["name"], sharaa["aliases"], sharaa["kind"])


def test_entities_kind_filter(db):
    items = json.loads(ok(invoke(db, "entities", "--json", "--kind", "place")).stdout)
    assert ["aleppo", "damascus", "moscow"] == [e["id"] for e in items]


def test_entities_json_kind_is_the_entity_kind(db):
    items = json.loads(ok(invoke(db, "entities", "--json")).stdout)
    assert {"aleppo": "place", "hts": "actor", "4th-division": "unit", "assad": "person"} == {
        e["id"]: e["kind"] for e in items if e["id"] in ("aleppo", "hts", "4th-division", "assad")}


def test_entities_on_an_empty_log(empty):
    assert "no entities" == ok(invoke(empty, "entities")).output.splitlines()[-1]


def test_types_lists_every_event_type(db):
    out = ok(invoke(db, "types")).output
    for name in ("CityCaptured", "PersonMoved", "EventCorrected", "StatementIssued", "UnitDissolved"):
        assert name in out


def test_types_of_one_type_lists_its_fields(db):
    out = ok(invoke(db, "types", "PersonMoved")).output
    assert out.startswith("PersonMoved (schema version 2)")
    assert "--to-place" in out
    assert "(required)" in out


def test_types_unknown_type_is_a_usage_error(db):
    assert_clean_failure(invoke(db, "types", "CityBurned"), 2)


# --- help ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    COMMANDS,
)
def test_help_of_every_command_has_an_example(command):
    r = ok(CliRunner().invoke(cli.main, [command, "--help"]))
    assert "Example" in r.output


def test_help_of_the_group_lists_the_commands():
    out = ok(CliRunner().invoke(cli.main, ["--help"])).output
    for c in COMMANDS:
        assert c in out


# --- state ---------------------------------------------------------------------------------------------------------------

CONTRACT = {
    "control": {"place", "name", "controller", "status", "candidates", "contested_with", "since", "last_seen", "evidence", "events"},
    "whereabouts": {"person", "name", "place", "status", "candidates", "alive", "since", "last_seen", "evidence", "orders", "events"},
    "calls": {"caller", "callee", "time", "status", "event"},
    "meetings": {"participants", "place", "time", "status", "event"},
    "units": {"unit", "name", "actor", "status", "state", "since", "last_seen", "evidence", "orders", "events"},
    "statements": {"speaker", "text", "time", "status", "event"},
}


def test_state_json_has_the_contract_shape(db):
    doc = state(db, "--at", "2024-12-07T21:30")
    assert {"valid_at", "known_at", *CONTRACT} <= set(doc)
    for key, fields in CONTRACT.items():
        assert doc[key], key
        for item in doc[key]:
            assert fields <= set(item), key
            assert item["status"] in ("certain", "possible", "unknown")
    for key in ("calls", "meetings", "statements"):
        for item in doc[key]:
            assert {"earliest", "latest"} <= set(item["time"])


def test_state_json_times_carry_the_log_zone_offset(db):
    doc = state(db, "--at", "2024-12-07T21:30")
    assert "2024-12-07T21:30:00+03:00" == doc["valid_at"]
    assert doc["known_at"].endswith("+03:00")
    assert {"earliest": "2024-12-07T20:00:00+03:00", "latest": "2024-12-07T20:01:00+03:00"}.items() <= doc["calls"][0]["time"].items()


def test_state_json_values_at_the_fall_of_damascus(db):
    doc = state(db, "--at", "2024-12-07T21:30")
    aleppo = control_of(doc, "aleppo")
    day = {"earliest": "2024-11-30T00:00:00+03:00", "latest": "2024-12-01T00:00:00+03:00"}
    assert ("hts", "certain", ["cap"], day, {"event": "cap", **day}) == (
        aleppo["controller"], aleppo["status"], aleppo["events"], aleppo["since"], aleppo["evidence"])
    assert "unknown" == control_of(doc, "moscow")["status"]
    assad = next(w for w in doc["whereabouts"] if w["person"] == "assad")
    # The move says where Assad left from: Damascus or, if it has happened, Moscow.
    assert ("possible", ["damascus", "moscow"], ["mv"]) == (assad["status"], assad["candidates"], assad["events"])
    unit = next(u for u in doc["units"] if u["unit"] == "4th-division")
    # (Nothing said what the unit was before: unknown, or dissolved if that has happened.)
    assert ("possible", None, [None, "dissolved"], ["dis"]) == (unit["status"], unit["state"], unit["candidates"], unit["events"])
    assert [("regime", "hts", "certain", "call")] == [(c["caller"], c["callee"], c["status"], c["event"]) for c in doc["calls"]]
    assert [(["hts", "regime"], "damascus", "certain")] == [(m["participants"], m["place"], m["status"]) for m in doc["meetings"]]
    assert [("al-sharaa", "Aleppo is free", "st")] == [(s["speaker"], s["text"], s["event"]) for s in doc["statements"]]


def test_state_after_the_dissolution_is_certain(db):
    unit = next(u for u in state(db, "--at", "2024-12-08T00:00")["units"] if u["unit"] == "4th-division")
    assert ("certain", "dissolved") == (unit["status"], unit["state"])


def test_state_after_the_move_is_certain(db):
    assad = next(w for w in state(db, "--at", "2024-12-08T12:00")["whereabouts"] if w["person"] == "assad")
    assert ("moscow", "certain") == (assad["place"], assad["status"])


def test_state_table_is_readable(db):
    out = ok(invoke(db, "state", "--at", "2024-12-08T12:00")).output
    assert "Control of places" in out
    assert "Hayat Tahrir al-Sham" in out
    assert "Moscow" in out


def test_state_as_of_before_anything_was_recorded_knows_nothing(db):
    doc = state(db, "--at", "2024-12-08T12:00", "--as-of", "2024-12-31T00:00Z")
    assert ([], [], []) == (doc["control"], doc["calls"], doc["statements"])


def test_state_needs_at(db):
    assert_clean_failure(invoke(db, "state"), 2)


def test_state_bundled_chronicle_when_there_is_no_log(tmp_path, monkeypatch):
    from importlib import resources

    if not resources.files("chrono.chronicles").joinpath("syria-2024.jsonl").is_file():
        pytest.skip("the bundled chronicle is not there yet")
    monkeypatch.chdir(tmp_path)
    doc = json.loads(ok(invoke(None, "state", "--at", "2024-12-07T21:30", "--json", env={"CHRONO_DB": None})).output)
    assert {"valid_at", "known_at", *CONTRACT} <= set(doc)
    assert doc["control"]
    assert [] == list(tmp_path.iterdir())


# --- wrong input: one line, the right exit code, no traceback, the log untouched ---------------------------------------------


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["append", "CallMade", "--caller", "hts", "--callee", "regime", "--valid", "2024-13-45"], 1),
        (["append", "CallMade", "--caller", "hts", "--callee", "regime", "--valid", "yesterday"], 1),
        (["append", "CallMade", "--caller", "hts", "--callee", "regime", "--valid", "2024-12-08/2024-12-01"], 1),
        (["append", "CallMade", "--caller", "hts", "--callee", "regime"], 1),  # a fact needs a valid time
        (["append", "CityBurned", "--place", "aleppo", "--valid", "2024-12-01"], 1),
        (["append", "CallMade", "--caller", "hts", "--callee", "regime", "--valid", "2024-12-01", "--colour", "red"], 2),
        (["append", "CallMade", "--caller", "hts", "--callee", "regime", "--valid", "2024-12-01", "stray"], 2),
        (["append", "PlaceDescribed", "--place", "hama", "--name", "Hama", "--lat", "north"], 2),
        (["append", "PlaceDescribed", "--place", "hama", "--name", "Hama", "--lat", "91"], 1),
        (["append", "PlaceDescribed", "--place", "Hama City", "--name", "Hama"], 1),
        (["append", "PlaceDescribed", "--place", "hama", "--name", "Hama", "--kind", "metropolis"], 1),
        (["append", "PersonMoved", "--person", "Nobody Known", "--to-place", "aleppo", "--valid", "2024-12-01"], 1),
        (["append", "EventRetracted", "--target", "cap", "--reason", "r"], 2),
        (["append", "CallMade", "--caller", "hts", "--callee", "regime", "--valid", "2024-12-01", "--id", "call"], 1),  # duplicate id
        (["append"], 2),
        (["correct", "no-such-event", "--by", "regime", "--reason", "r"], 1),
        (["correct", "cap", "--valid", "2024-99", "--reason", "r"], 1),
        (["correct", "cap", "--colour", "red", "--reason", "r"], 2),
        (["retract", "no-such-event", "--reason", "r"], 1),
        (["retract", "cap"], 2),
        (["state", "--at", "tomorrow"], 1),
        (["state", "--at", "2024-12-07T21:30", "--as-of", "2024-02-30"], 1),
        (["log", "--since", "last week"], 1),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else str(v),
)
def test_wrong_input_fails_cleanly_and_leaves_the_log_untouched(db, args, code):
    head = head_of(db)
    with Unchanged(db):
        r = invoke(db, *args)
    assert_clean_failure(r, code)
    assert head == head_of(db)


def test_bad_time_literal_message_names_the_accepted_forms(db):
    r = invoke(db, "state", "--at", "tomorrow")
    assert "accepted forms" in r.output


def test_unknown_type_message_lists_the_types(db):
    r = invoke(db, "append", "CityBurned", "--place", "aleppo")
    assert "CityCaptured" in r.output


def test_unknown_field_message_lists_the_fields(db):
    r = invoke(db, "append", "CallMade", "--caller", "hts", "--callee", "regime", "--valid", "2024-12-01", "--colour", "red")
    assert "--caller, --callee, --summary" in r.output


@pytest.mark.parametrize(
    "data",
    [
        b'{"type": "CallMade", "event": {"caller": "a"',
        b'[{"type": "CallMade"}',
        b'{"id": "ok1", "type": "CallMade", "event": {"caller": "a", "callee": "b"}, "valid": "2024-12-01"}\n{not json}\n',
        b"\xff\xfe{}",
        b'{"type": "CallMade", "event": {"caller": "a\xe9", "callee": "b"}, "valid": "2024-12-01"}',
        b'{"type": "CallMade", "event": {"caller": "a", "callee": "b"}, "valid": "2024-12-01", "recorded": "2025-01-01T00:00:00Z"}',
        b'{"type": "CallMade", "event": {"caller": "a", "callee": "b"}, "valid": "2024-12-01", "hash": "00"}',
        b'{"type": "CityBurned", "event": {}, "valid": "2024-12-01"}',
        b'{"type": "CallMade", "event": {"caller": "a", "callee": "b", "colour": "red"}, "valid": "2024-12-01"}',
        b'{"type": "CallMade", "event": {"caller": "a", "callee": "b"}, "valid": "2024-12-32"}',
        b'{"type": "CallMade", "event": {"caller": "a", "callee": "b"}}',
        b'{"type": "EventRetracted", "event": {"target": "no-such-event", "reason": "r"}}',
        b'{"type": "PersonMoved", "version": 1, "event": {"person": "assad"}, "valid": "2024-12-08"}',
        b'{"event": {}}',
        b"[1, 2]",
        b"42",
        b"",
        b"\n\n",
    ],
    ids=lambda b: b[:40].decode("utf-8", "replace"),
)
def test_append_json_bad_input_fails_cleanly_and_leaves_the_log_untouched(db, data):
    head = head_of(db)
    with Unchanged(db):
        r = invoke(db, "append", "--json", "-", input=data)
    assert_clean_failure(r, 1)
    assert head == head_of(db)


def test_append_json_error_names_the_line(db):
    data = b'{"id": "ok1", "type": "CallMade", "event": {"caller": "a", "callee": "b"}, "valid": "2024-12-01"}\n\n{not json}\n'
    assert "line 3:" in invoke(db, "append", "--json", "-", input=data).output


def test_append_json_recorded_points_to_import(db):
    data = b'{"type": "CallMade", "event": {"caller": "a", "callee": "b"}, "valid": "2024-12-01", "recorded": "2025-01-01T00:00:00Z"}'
    assert "chrono import" in invoke(db, "append", "--json", "-", input=data).output


def test_append_json_and_a_type_together_is_a_usage_error(db):
    with Unchanged(db):
        r = invoke(db, "append", "CallMade", "--json", "-", input=b"{}")
    assert_clean_failure(r, 2)


def test_append_json_missing_file_is_a_usage_error(db, tmp_path):
    with Unchanged(db):
        r = invoke(db, "append", "--json", str(tmp_path / "absent.jsonl"))
    assert_clean_failure(r, 2)


def test_append_json_valid_with_unknown_zone_is_refused(db):
    data = b'{"type": "CallMade", "event": {"caller": "a", "callee": "b"}, "valid": {"earliest": "2024-12-01T00:00:00+00:00", "latest": "2024-12-02T00:00:00+00:00", "zone": "Mars/Base"}}'
    r = invoke(db, "append", "--json", "-", input=data)
    ok(invoke(db, "log"))  # whatever append did, the log must stay readable
    assert_clean_failure(r, 1)


def test_append_json_valid_with_bad_qualifier_has_a_plain_message(db):
    data = b'{"type": "CallMade", "event": {"caller": "a", "callee": "b"}, "valid": {"earliest": "2024-12-01T00:00:00+00:00", "latest": "2024-12-02T00:00:00+00:00", "qualifier": "maybe"}}'
    r = invoke(db, "append", "--json", "-", input=data)
    assert_clean_failure(r, 1)
    assert "Attribute(" not in r.output


def test_time_at_the_edge_of_the_calendar_is_a_time_like_any(db):
    event_id = ok(invoke(db, "append", "CallMade", "--caller", "hts", "--callee", "regime", "--valid", "9999-12")).output.split()[-1]
    r = ok(invoke(db, "state", "--at", "9999-12-31"))
    assert event_id in r.output.split("Calls")[1]


@pytest.mark.parametrize("literal", ["0000", "-1985", "Y170000002", "9999-12-31T23:30-05:00"])
def test_time_outside_the_calendar_fails_cleanly(db, literal):
    with Unchanged(db):
        r = invoke(db, "append", "CallMade", "--caller", "hts", "--callee", "regime", "--valid", literal)
    assert_clean_failure(r, 1)
    assert "Chrono's calendar" in r.output


def test_append_open_ended_time_reads_back_open(db):
    event_id = ok(invoke(db, "append", "CallMade", "--caller", "hts", "--callee", "regime", "--valid", "2024-12-07/..")).output.split()[-1]
    assert "from 07 Dec 2024 to an open end" in ok(invoke(db, "log", "--since", "2024-12-07")).output
    exported = [json.loads(line) for line in ok(invoke(db, "export")).stdout.splitlines()]
    assert "open" == next(e for e in exported if e["id"] == event_id)["valid"]["latest"]
    assert "…" in ok(invoke(db, "show", event_id)).output
    assert event_id in ok(invoke(db, "state", "--at", "2025-01-01", "--all")).output


def test_append_huge_integer_fails_cleanly(db):
    with Unchanged(db):
        r = invoke(db, "append", "AirstrikeCarriedOut", "--actor", "regime", "--count", "99999999999999999999", "--valid", "2024-12-01")
    assert_clean_failure(r, 1)


def test_non_chrono_sqlite_file_as_db_fails_and_is_untouched(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    for args in (["log"], ["state", "--at", "2024-12-07"], ["append", "CallMade", "--caller", "a", "--callee", "b", "--valid", "2024-12-01"], ["verify"]):
        r = invoke(path, *args)
        assert_clean_failure(r, 1)
        assert "not a Chrono log" in r.output
    settle()
    assert before == path.read_bytes()
    assert ["other.db"] == os.listdir(tmp_path)


def test_plain_text_file_as_db_fails_and_is_untouched(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"my notes, not a database\n" * 100)
    for args in (["log"], ["state", "--at", "2024-12-07"], ["append", "CallMade", "--caller", "a", "--callee", "b", "--valid", "2024-12-01"], ["import", str(path)]):
        r = invoke(path, *args)
        assert_clean_failure(r, 1)
        assert "not a Chrono log" in r.output
    settle()
    assert b"my notes, not a database\n" * 100 == path.read_bytes()


@pytest.mark.parametrize(
    "args",
    [
        ["append", "CallMade", "--caller", "a", "--callee", "b", "--valid", "2024-12-01"],
        ["append", "--json", "-"],
        ["correct", "cap", "--by", "regime", "--reason", "r"],
        ["retract", "cap", "--reason", "r"],
    ],
    ids=lambda a: a[0],
)
def test_write_with_no_log_file_fails_without_creating_one(tmp_path, args):
    path = tmp_path / "absent.db"
    r = invoke(path, *args, input=b'{"type": "CallMade", "event": {"caller": "a", "callee": "b"}, "valid": "2024-12-01"}')
    assert_clean_failure(r, 1)
    assert f"create one with `chrono --db {path} init`" in r.output
    assert [] == os.listdir(tmp_path)


def test_append_alias_described_after_a_lookup_on_the_same_log_resolves(empty):
    from cli.write import _entity

    with Log.open(str(empty), clock=clock()) as lg:
        lg.append([_draft({"type": "PlaceDescribed", "event": {"place": "aleppo", "name": "Aleppo"}})])
        assert "aleppo" == _entity("Aleppo", "place", lg)
        lg.append([_draft({"type": "PlaceDescribed", "event": {"place": "hama", "name": "Hama", "aliases": ["Hamah"]}})])
        assert "hama" == _entity("Hamah", "place", lg)


def _draft(obj: dict):
    from chrono.codec import draft_from_json

    return draft_from_json(orjson.loads(orjson.dumps(obj)), ZONE)[0]
