"""Who recorded it: every entry keeps who appended it (`--author`, `$CHRONO_AUTHOR`, else the user Chrono
runs as) inside the hash chain; `log`, `show`, `history` and `export` say it, and their `--author` picks
out what one person recorded. Three people keep the Sudan chronology of test_cli_merge."""

from __future__ import annotations

import csv
import gc
import io
import json
import sqlite3
from datetime import timedelta

from click.testing import CliRunner

import cli
from chrono.chronicles import DEFAULT, open_in_memory
from chrono.clock import FixedClock
from chrono.logstore import os_user

from .sudan_typed import CHRONOLOGY, NOW, ZONE, ok

ME = os_user()  # who records when neither --author nor $CHRONO_AUTHOR says
FINDING = {"id": "hemedti-back", "type": "PersonMoved", "event": {"person": "hemedti", "to_place": "hantoub"}, "valid": "2023-12-20",
           "sources": [{"outlet": "Sudan Tribune"}]}


def chrono(db, *args, author=None, input=None):
    """`chrono --db DB ARGS` with $CHRONO_AUTHOR set to `author` (unset when None), a fixed clock."""
    result = CliRunner().invoke(cli.main, ["--db", str(db), *map(str, args)], input=input, env={"CHRONO_DB": None, "CHRONO_AUTHOR": author},
                                obj=cli.Env(clock=FixedClock(NOW, step=timedelta(seconds=1))))
    gc.collect()  # (closes the command's connections)
    return result


def kept(tmp_path, name="log.db"):
    """The chronology by three hands: init and the chronology by `--author ana`, a finding by ben (his
    $CHRONO_AUTHOR), and a correction of ana's capture of Wad Madani by the user Chrono runs as."""
    db = tmp_path / name
    ok(chrono(db, "--author", "ana", "init", "--zone", ZONE))
    ok(chrono(db, "--author", "ana", "append", "--json", "-", input="\n".join(json.dumps(x) for x in CHRONOLOGY)))
    ok(chrono(db, "append", "--json", "-", input=json.dumps(FINDING), author="ben"))
    ok(chrono(db, "correct", "rsf-takes-madani", "--valid", "2023-12-19", "--reason", "the day it fell", "--id", "k1"))
    return db


def logged(db, *args) -> list[dict]:
    return [json.loads(line) for line in ok(chrono(db, "log", "--json", *args)).stdout.splitlines()]


def head(db) -> str:
    return ok(chrono(db, "head")).stdout.split()[1]


def csv_rows(db, *args) -> list[dict]:
    return list(csv.DictReader(io.StringIO(ok(chrono(db, "export", "--format", "csv", *args)).stdout)))


def test_log_says_who_recorded_each_entry(tmp_path):
    db = kept(tmp_path)
    authors = {e["id"]: e["author"] for e in logged(db)}
    assert ("ana", "ana", "ben", ME) == (authors["d-wad-madani"], authors["rsf-takes-madani"], authors["hemedti-back"], authors["k1"])
    assert {"author": "ben"} == next(e for e in logged(db) if e["id"] == "hemedti-back")["provenance"]
    table = ok(chrono(db, "log")).stdout.splitlines()
    assert table[1].split()[-1] == "by" and next(line for line in table if "hemedti-back" in line).split()[-1] == "ben"


def test_log_author_lists_only_what_that_author_recorded(tmp_path):
    db = kept(tmp_path)
    assert ["hemedti-back"] == [e["id"] for e in logged(db, "--author", "ben")]
    assert ["k1"] == [e["id"] for e in logged(db, "--author", ME)]
    assert len(CHRONOLOGY) + 1 == len(logged(db, "--author", "ana"))  # (and the zone she set)
    assert [] == logged(db, "--author", "nobody")


def test_show_says_who_recorded_the_entry_and_each_correction(tmp_path):
    db = kept(tmp_path)
    doc = json.loads(ok(chrono(db, "show", "rsf-takes-madani", "--json")).stdout)
    assert ("ana", ME) == (doc["author"], doc["corrected_by"][0]["author"])
    text = ok(chrono(db, "show", "rsf-takes-madani")).stdout
    assert " by ana\n" in text and f"by {ME}, in effect]" in text


def test_history_says_who_recorded_each_step_and_what_it_says_now(tmp_path):
    db = kept(tmp_path)
    doc = json.loads(ok(chrono(db, "history", "wad-madani", "--json")).stdout)
    taken = next(r for r in doc["changes"] if r["event"] == "rsf-takes-madani")
    assert ("ana", ME) == (taken["author"], taken["recorded_by"])  # (the correction is what it says now)
    assert f"recorded by ana; corrected by {ME}" in ok(chrono(db, "history", "wad-madani")).stdout
    moved = json.loads(ok(chrono(db, "history", "hemedti", "--json")).stdout)["changes"]
    assert [("ana", "ana"), ("ben", "ben")] == [(r["author"], r["recorded_by"]) for r in moved]


def test_history_author_keeps_the_steps_whose_present_wording_that_author_recorded(tmp_path):
    db = kept(tmp_path)
    assert ["hemedti-back"] == [r["event"] for r in json.loads(ok(chrono(db, "history", "hemedti", "--author", "ben", "--json")).stdout)["changes"]]
    by_ana = [r["event"] for r in json.loads(ok(chrono(db, "history", "wad-madani", "--author", "ana", "--json")).stdout)["changes"]]
    by_me = [r["event"] for r in json.loads(ok(chrono(db, "history", "wad-madani", "--author", ME, "--json")).stdout)["changes"]]
    assert "rsf-takes-madani" not in by_ana and ["rsf-takes-madani"] == by_me
    assert "nothing in the log changes it (recorded by nobody)" in ok(chrono(db, "history", "hemedti", "--author", "nobody")).stdout


def test_csv_export_says_who_recorded_each_row_and_its_author_filters(tmp_path):
    db = kept(tmp_path)
    rows = csv_rows(db)
    assert "recorded_by" == list(rows[0])[-1]
    by = {r["event_id"]: r["recorded_by"] for r in rows}
    assert ("ana", "ben", ME) == (by["hemedti-to-madani"], by["hemedti-back"], by["rsf-takes-madani"])
    assert ["hemedti-back"] == [r["event_id"] for r in csv_rows(db, "--author", "ben")]
    assert {r["event_id"] for r in rows if r["recorded_by"] == "ana"} == {r["event_id"] for r in csv_rows(db, "--author", "ana")}


def test_timelinejs_export_says_who_recorded_each_slide_and_its_author_filters(tmp_path):
    db = kept(tmp_path)
    doc = json.loads(ok(chrono(db, "export", "--format", "timelinejs")).stdout)
    slide = next(e for e in doc["events"] if e["unique_id"] == "hemedti-back")
    assert "Recorded by ben" in slide["text"]["text"]
    only = json.loads(ok(chrono(db, "export", "--format", "timelinejs", "--author", "ben")).stdout)
    assert ["hemedti-back"] == [e["unique_id"] for e in only["events"]]


def test_jsonl_export_keeps_every_author_and_imports_to_the_same_head(tmp_path):
    db = kept(tmp_path)
    out = tmp_path / "log.jsonl"
    ok(chrono(db, "export", "--out", out))
    assert "ben" == next(json.loads(line) for line in out.read_text().splitlines() if '"hemedti-back"' in line)["provenance"]["author"]
    copy = tmp_path / "copy.db"
    ok(chrono(copy, "init", author="cara"))
    ok(chrono(copy, "import", out, author="cara"))  # (cara records nothing: every entry keeps its author)
    assert head(db) == head(copy)
    assert [(e["id"], e["author"]) for e in logged(db)] == [(e["id"], e["author"]) for e in logged(copy)]


def test_export_author_is_refused_where_it_cannot_apply(tmp_path):
    db = kept(tmp_path)
    for fmt in ("jsonl", "geojson"):
        result = chrono(db, "export", "--format", fmt, "--author", "ana", *(["--at", "2023-12-20"] if fmt == "geojson" else []))
        assert 2 == result.exit_code and "--author picks the events of csv and timelinejs" in result.output


def test_the_author_is_in_the_hash_chain(tmp_path):
    heads = {}
    for who in ("ana", "ben", "ana"):
        db = tmp_path / f"{who}-{len(heads)}.db"
        ok(chrono(db, "--author", who, "init"))  # (no zone: its setting would have an id of its own, a new one each time)
        ok(chrono(db, "--author", who, "append", "--json", "-", input="\n".join(json.dumps(x) for x in CHRONOLOGY)))
        heads.setdefault(who, set()).add(head(db))
    assert 1 == len(heads["ana"]) and heads["ana"] != heads["ben"]


def test_verify_catches_an_author_rewritten_in_the_file(tmp_path):
    db = kept(tmp_path)
    ok(chrono(db, "verify"))
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("""UPDATE events SET provenance = '{"author":"ana"}' WHERE id = 'hemedti-back'""")
    conn.commit()
    conn.close()
    result = chrono(db, "verify")
    assert 1 == result.exit_code and "was altered: its content does not match its hash" in result.output


def test_a_merge_records_who_merged_and_keeps_who_recorded_it_there(tmp_path):
    theirs = kept(tmp_path, "theirs.db")
    export = tmp_path / "theirs.jsonl"
    ok(chrono(theirs, "export", "--out", export))
    mine = tmp_path / "mine.db"
    ok(chrono(mine, "init", "--zone", ZONE))
    ok(chrono(mine, "--author", "dina", "import", "--merge", export, "--name", "theirs"))
    doc = json.loads(ok(chrono(mine, "show", "hemedti-back", "--json")).stdout)
    assert ("dina", "ben") == (doc["author"], doc["provenance"]["origin"]["provenance"]["author"])
    text = ok(chrono(mine, "show", "hemedti-back")).stdout
    assert " by dina\n" in text and "where it was entry" in text and " by ben\n" in text
    assert ["hemedti-back"] == [e["id"] for e in logged(mine, "--author", "dina") if e["id"] == "hemedti-back"]
    ok(chrono(mine, "verify"))


def test_the_same_event_appended_by_another_author_adds_nothing(tmp_path):
    db = kept(tmp_path)
    before = head(db)
    ok(chrono(db, "--author", "ana", "append", "--json", "-", input=json.dumps(FINDING)))
    assert before == head(db) and "ben" == logged(db, "--author", "ben")[0]["author"]


def test_an_empty_author_is_refused_in_one_line(tmp_path):
    db = kept(tmp_path)
    before = head(db)
    result = chrono(db, "--author", "", "append", "--json", "-", input=json.dumps({**FINDING, "id": "x"}))
    assert 2 == result.exit_code and 1 == sum("author must be a name" in line for line in result.output.splitlines())
    result = chrono(db, "append", "--json", "-", input=json.dumps({**FINDING, "id": "x"}), author="ana\nben")
    assert 1 == result.exit_code and 1 == len(result.output.strip().splitlines()) and "author must be a name on one line" in result.output
    assert before == head(db)
    # An empty $CHRONO_AUTHOR is no author at all, as an empty $CHRONO_DB is no log: the default records.
    ok(chrono(db, "append", "--json", "-", input=json.dumps({**FINDING, "id": "y"}), author=""))
    assert ME == logged(db, "--author", ME)[-1]["author"]


def test_the_bundled_chronicle_records_no_author_so_its_head_is_everyones():
    with open_in_memory(DEFAULT) as log:
        assert {None} == {e.author for e in log.entries()}
