"""`import --merge`: another chronology's entries appended as new ones, each keeping where it came from in
its provenance (in the hash chain), never twice; ids that clash refused or renamed; settings that differ
refused unless told which hold. Two people's chronologies of the war in Sudan, December 2023."""

from __future__ import annotations

import json
import sqlite3

from chrono.store import Log

from .sudan_typed import ZONE, chrono, control, make, ok, refused, state

# A colleague's chronology: the RSF described as in ours (the same event under the same id), and what
# she found on Port Sudan and al-Burhan.
THEIRS = [
    {"id": "d-rsf", "type": "ActorDescribed", "event": {"actor": "rsf", "name": "Rapid Support Forces", "kind": "militia", "aliases": ["RSF"]}},
    {"id": "d-port-sudan", "type": "PlaceDescribed", "event": {"place": "port-sudan", "name": "Port Sudan", "kind": "city", "lat": 19.6, "lon": 37.2}},
    {"id": "d-burhan", "type": "PersonDescribed", "event": {"person": "burhan", "name": "Abdel Fattah al-Burhan", "affiliation": "saf"}},
    {"id": "burhan-to-port-sudan", "type": "PersonMoved", "event": {"person": "burhan", "to_place": "port-sudan"}, "valid": "2023-08-24",
     "sources": [{"outlet": "Sudan Tribune"}]},
]
# Her reading of Hantoub, under an id ours uses for another, and her retraction of it.
CLASHING = [
    {"id": "rsf-at-hantoub", "type": "ControlChanged", "event": {"place": "hantoub", "controller": "rsf", "how": "entered"}, "valid": "2023-12-17"},
    {"id": "retract-hantoub", "type": "EventRetracted", "event": {"target": "rsf-at-hantoub", "reason": "a rumour"}},
]


def colleague(tmp_path, *lines, name="amira.db", zone=ZONE) -> tuple:
    """Her log, and its export."""
    db = tmp_path / name
    ok(chrono(db, "init", "--zone", zone))
    ok(chrono(db, "settings", "set", "title", "Amira's notes"))
    # (She names the SAF and Hantoub without describing them: allowed as new.)
    ok(chrono(db, "append", "--json", "-", "--new-entity", "saf", "--new-entity", "hantoub", input="\n".join(json.dumps(x) for x in [*THEIRS, *lines])))
    out = tmp_path / f"{name}.jsonl"
    ok(chrono(db, "export", "--out", out))
    return db, out


def ours(tmp_path):
    db = tmp_path / "mine.db"
    make(db, "--zone", ZONE)
    return db


def head(db) -> tuple[int, str]:
    seq, h = ok(chrono(db, "head")).stdout.split()
    return int(seq), h


def entries(db) -> list[dict]:
    return [json.loads(line) for line in ok(chrono(db, "log", "--json")).stdout.splitlines()]


def shown(db, event_id: str) -> dict:
    return json.loads(ok(chrono(db, "show", event_id, "--json")).stdout)


def test_merge_appends_the_other_chronology_as_new_entries_each_with_its_origin(tmp_path):
    mine = ours(tmp_path)
    theirs, export = colleague(tmp_path)
    before, their_head = head(mine), head(theirs)
    result = ok(chrono(mine, "import", "--merge", export))
    assert result.stdout.startswith(f"merged Amira's notes (head {their_head[0]} {their_head[1][:16]}): read 6 entries, added 5, 1 already here")
    # Her zone, title and three findings are new here (d-rsf is the same event as ours); recorded now, here.
    assert before[0] + 5 == head(mine)[0]
    theirs_by_id = {e["id"]: e for e in entries(theirs)}
    moved = shown(mine, "burhan-to-port-sudan")
    origin = moved["provenance"]["origin"]
    their_entry = theirs_by_id["burhan-to-port-sudan"]
    assert {"log": "Amira's notes", "head": {"seq": their_head[0], "hash": their_head[1]}, "seq": their_entry["seq"],
            "id": "burhan-to-port-sudan", "recorded": their_entry["recorded"], "hash": their_entry["hash"],
            "provenance": their_entry["provenance"]} == origin
    assert "merged:    from Amira's notes" in ok(chrono(mine, "show", "burhan-to-port-sudan")).stdout
    assert "port-sudan" == next(w for w in state(mine, "2023-12-20")["whereabouts"] if w["person"] == "burhan")["place"]
    assert "rsf" == control(state(mine, "2023-12-20"), "wad-madani")["controller"]  # (ours still says what it said)
    assert "origin" not in shown(mine, "rsf-takes-madani")["provenance"]
    ok(chrono(mine, "verify"))


def test_the_hash_chain_covers_a_merged_entrys_provenance(tmp_path):
    mine = ours(tmp_path)
    _theirs, export = colleague(tmp_path)
    ok(chrono(mine, "import", "--merge", export))
    conn = sqlite3.connect(mine)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET provenance = replace(provenance, 'Amira', 'Omar') WHERE id = 'burhan-to-port-sudan'")
    conn.commit()
    conn.close()
    result = chrono(mine, "verify")
    assert 1 == result.exit_code and "was altered: its content does not match its hash" in result.output


def test_merging_again_adds_nothing_and_a_grown_log_adds_only_what_is_new(tmp_path):
    mine = ours(tmp_path)
    theirs, export = colleague(tmp_path)
    ok(chrono(mine, "import", "--merge", export))
    merged = head(mine)
    assert "added 0, 6 already here" in ok(chrono(mine, "import", "--merge", export)).stdout
    assert merged == head(mine)
    ok(chrono(theirs, "append", "CallMade", "--caller", "burhan", "--callee", "rsf", "--valid", "2023-12-19", "--id", "call"))
    ok(chrono(theirs, "export", "--out", export))
    assert "read 7 entries, added 1, 6 already here" in ok(chrono(mine, "import", "--merge", export)).stdout
    assert merged[0] + 1 == head(mine)[0]


def merged(tmp_path) -> tuple:
    """Ours with hers merged into it, her log, and the export of ours."""
    mine = ours(tmp_path)
    theirs, their_export = colleague(tmp_path)
    ok(chrono(mine, "import", "--merge", their_export))
    my_export = tmp_path / "mine.jsonl"
    ok(chrono(mine, "export", "--out", my_export))
    return mine, theirs, my_export


def test_merging_back_adds_none_of_this_logs_own_entries(tmp_path):
    _mine, theirs, my_export = merged(tmp_path)
    theirs_before = head(theirs)
    result = ok(chrono(theirs, "import", "--merge", my_export, "--name", "mine"))
    # Of ours she gets our zone (an entry of ours, with another hash than hers), our descriptions but
    # d-rsf (the same as hers), and our five findings; her own five come back as hers, and are not added.
    assert "read 16 entries, added 10, 6 already here" in result.stdout
    assert theirs_before[0] + 10 == head(theirs)[0]
    assert "added 0" in ok(chrono(theirs, "import", "--merge", my_export, "--name", "mine")).stdout


def test_an_id_this_log_uses_for_another_event_is_refused_and_nothing_is_written(tmp_path):
    mine = ours(tmp_path)
    _theirs, export = colleague(tmp_path, *CLASHING)
    before = head(mine)
    message = refused(chrono(mine, "import", "--merge", export))
    assert "this log uses the id rsf-at-hantoub for another event; `--rename PREFIX` gives its entries the ids PREFIX + id here" in message
    assert before == head(mine)


def test_rename_gives_clashing_ids_a_prefix_and_what_names_them_follows(tmp_path):
    mine = ours(tmp_path)
    _theirs, export = colleague(tmp_path, *CLASHING)
    result = ok(chrono(mine, "import", "--merge", export, "--rename", "amira-"))
    assert "  renamed rsf-at-hantoub -> amira-rsf-at-hantoub" in result.stdout
    assert "amira-rsf-at-hantoub" == shown(mine, "retract-hantoub")["fields"]["target"]
    assert "rsf-at-hantoub" == shown(mine, "amira-rsf-at-hantoub")["provenance"]["origin"]["id"]
    assert "retracted" == shown(mine, "amira-rsf-at-hantoub")["status"]
    assert "stands" == shown(mine, "rsf-at-hantoub")["status"]  # (ours, untouched)
    assert "added 0" in ok(chrono(mine, "import", "--merge", export, "--rename", "amira-")).stdout


def test_settings_that_differ_are_refused_unless_told_which_hold(tmp_path):
    mine = ours(tmp_path)
    ok(chrono(mine, "settings", "set", "title", "Wad Madani, December 2023"))
    _theirs, export = colleague(tmp_path, zone="Africa/Cairo")
    before = head(mine)
    message = refused(chrono(mine, "import", "--merge", export))
    assert f"its zone is Africa/Cairo, this log's {ZONE}; its title is Amira's notes, this log's Wad Madani, December 2023" in message
    assert before == head(mine)
    ok(chrono(mine, "import", "--merge", export, "--settings", "keep"))
    values = {s["key"]: s["value"] for s in json.loads(ok(chrono(mine, "settings", "--json")).stdout)["settings"]}
    assert (ZONE, "Wad Madani, December 2023") == (values["zone"], values["title"])  # (hers are kept, as merged entries, and set nothing)


def test_settings_take_sets_the_merged_logs_as_this_logs_own(tmp_path):
    mine = ours(tmp_path)
    _theirs, export = colleague(tmp_path, zone="Africa/Cairo")
    result = ok(chrono(mine, "import", "--merge", export, "--settings", "take"))
    assert "  settings taken from it: zone, title" in result.stdout
    values = {s["key"]: s["value"] for s in json.loads(ok(chrono(mine, "settings", "--json")).stdout)["settings"]}
    assert ("Africa/Cairo", "Amira's notes") == (values["zone"], values["title"])


def test_a_merged_log_exported_and_imported_into_an_empty_log_is_the_same_log(tmp_path):
    mine, _theirs, again = merged(tmp_path)
    copy = tmp_path / "copy.db"
    ok(chrono(copy, "init"))
    ok(chrono(copy, "import", again))
    assert head(mine) == head(copy)
    assert shown(mine, "burhan-to-port-sudan")["provenance"] == shown(copy, "burhan-to-port-sudan")["provenance"]


def test_merge_takes_the_export_of_a_whole_log_intact(tmp_path):
    mine = ours(tmp_path)
    before = head(mine)
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(json.dumps(x) for x in THEIRS) + "\n")
    assert "line 1: not an export of a log (no hash)" in refused(chrono(mine, "import", "--merge", events))
    _theirs, export = colleague(tmp_path)
    export.write_text(export.read_text().replace("Sudan Tribune", "Sudan Tribunal"))
    assert "(the file was altered, or is not the export of a whole log); nothing was merged" in refused(chrono(mine, "import", "--merge", export))
    assert before == head(mine)


def test_name_and_rename_go_with_merge(tmp_path):
    mine = ours(tmp_path)
    _theirs, export = colleague(tmp_path)
    assert "--name and --rename go with --merge" in refused(chrono(mine, "import", export, "--rename", "x-"), 2)


def test_a_log_written_before_provenance_takes_a_merge_and_still_verifies(tmp_path):
    old = tmp_path / "old.db"
    Log.create(str(old), zone=ZONE).close()
    conn = sqlite3.connect(old)  # as a log of schema 1 was made: no provenance column
    conn.execute("ALTER TABLE events DROP COLUMN provenance")
    conn.execute("UPDATE chrono_meta SET value = '1' WHERE key = 'schema'")
    conn.commit()
    conn.close()
    ok(chrono(old, "append", "--json", "-", input=json.dumps({"id": "mine", "type": "PlaceDescribed", "event": {"place": "kosti", "name": "Kosti"}})))
    first = entries(old)[0]
    _theirs, export = colleague(tmp_path)
    ok(chrono(old, "import", "--merge", export))
    assert first == entries(old)[0]  # (its rows, and their hashes, as they were)
    ok(chrono(old, "verify"))
    conn = sqlite3.connect(old)
    assert ("2",) == conn.execute("SELECT value FROM chrono_meta WHERE key = 'schema'").fetchone()
    conn.close()
    assert "Amira's notes" == shown(old, "burhan-to-port-sudan")["provenance"]["origin"]["log"]


def test_merge_reports_as_json(tmp_path):
    mine = ours(tmp_path)
    theirs, export = colleague(tmp_path, *CLASHING)
    doc = json.loads(ok(chrono(mine, "import", "--merge", export, "--rename", "amira-", "--json")).stdout)
    seq, h = head(theirs)
    assert {"read": 8, "added": 7, "present": 1, "merged": {"name": "Amira's notes", "head": {"seq": seq, "hash": h}},
            "renamed": {"rsf-at-hantoub": "amira-rsf-at-hantoub"}, "settings_taken": []} == {k: v for k, v in doc.items() if k != "log"}
    assert doc["log"]["head"]["seq"] == head(mine)[0]
