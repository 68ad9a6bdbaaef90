"""`export`, `init` and `import`: a log travels whole, its settings with it, and meets another log's
settings only when told which to keep. Shown with the Sudan chronology (zone Africa/Khartoum)."""

from __future__ import annotations

import json

from chrono.store import Log

from .sudan_typed import ZONE, chrono, make, ok, refused, state

OTHER_ZONE = "Asia/Damascus"


def sudan(tmp_path, name: str = "sudan.db"):
    """The chronology with every setting set, and its export."""
    db = tmp_path / name
    make(db, "--zone", ZONE)
    for key, value in (("title", "Wad Madani, December 2023"), ("description", "The RSF take Wad Madani"),
                       ("colour.rsf", "#d62728"), ("require-source", "yes")):
        ok(chrono(db, "settings", "set", key, value))
    backup = tmp_path / f"{name}.jsonl"
    ok(chrono(db, "export", "--out", backup))
    return db, backup


def values(db) -> dict:
    return {s["key"]: s["value"] for s in json.loads(ok(chrono(db, "settings", "--json")).stdout)["settings"]}


def head(db) -> list[str]:
    return ok(chrono(db, "head")).stdout.split()


def answers(db) -> tuple:
    """What the log says, without which log said it: the state at two moments, and the timeline's days."""
    def strip(doc: dict) -> dict:
        return {k: v for k, v in doc.items() if k != "log"}

    days = json.loads(ok(chrono(db, "timeline", "--json")).stdout)["days"]
    return strip(state(db, "2023-12-18T01:00")), strip(state(db, "2023-12-19T12:00")), [(d["day"], [e["event"] for e in d["events"]]) for d in days]


def test_export_init_import_keeps_the_zone_and_every_setting_and_so_every_answer(tmp_path):
    db, backup = sudan(tmp_path)
    copy = tmp_path / "copy.db"
    ok(chrono(copy, "init"))
    ok(chrono(copy, "import", backup))
    assert head(db) == head(copy)
    assert values(db) == values(copy)
    assert ZONE == values(copy)["zone"]
    assert answers(db) == answers(copy)
    # (The 00:30 capture of Hantoub is filed under 1 December, where the zone puts it.)
    assert ("2023-12-01", ["rsf-at-hantoub"]) in answers(copy)[2]


def test_importing_into_an_empty_log_of_another_zone_is_refused_and_writes_nothing(tmp_path):
    _db, backup = sudan(tmp_path)
    old = tmp_path / "old.db"
    Log.create(str(old), zone=OTHER_ZONE).close()  # a log made before settings: its zone in its metadata
    message = refused(chrono(old, "import", backup))
    assert f"its zone is {ZONE}, this log's {OTHER_ZONE}" in message and "`--settings keep`" in message and "`--settings take`" in message
    assert ["0", "0" * 64] == head(old)


def test_import_settings_take_gives_the_imported_logs_settings_and_an_exact_copy(tmp_path):
    db, backup = sudan(tmp_path)
    old = tmp_path / "old.db"
    Log.create(str(old), zone=OTHER_ZONE).close()
    ok(chrono(old, "import", backup, "--settings", "take"))
    assert head(db) == head(old) and ZONE == values(old)["zone"]
    assert answers(db) == answers(old)


def test_import_settings_keep_keeps_this_logs_zone_after_the_imported_entries(tmp_path):
    db, backup = sudan(tmp_path)
    old = tmp_path / "old.db"
    Log.create(str(old), zone=OTHER_ZONE).close()
    ok(chrono(old, "import", backup, "--settings", "keep"))
    assert OTHER_ZONE == values(old)["zone"]
    assert {k: v for k, v in values(db).items() if k != "zone"} == {k: v for k, v in values(old).items() if k != "zone"}
    assert int(head(db)[0]) + 1 == int(head(old)[0])
    assert "2023-12-18T01:00:00+03:00" == state(old, "2023-12-18T01:00")["valid_at"]


def test_importing_another_log_into_a_non_empty_one_is_refused_and_says_how_to_merge(tmp_path):
    _db, backup = sudan(tmp_path)
    mine = tmp_path / "mine.db"
    ok(chrono(mine, "init", "--zone", ZONE))
    before = head(mine)
    assert refused(chrono(mine, "import", backup)).endswith("; to add another chronology's entries to this log, `chrono import --merge`")
    assert before == head(mine)
