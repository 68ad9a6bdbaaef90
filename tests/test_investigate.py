"""The investigation commands (history, show, diff, timeline, sources, check) through the CLI on small
purpose-built logs, and the laws they keep for any log hypothesis can build."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import cli
from chrono.chronicles import CHRONICLES, DEFAULT
from chrono.clock import FixedClock
from chrono.entry import Draft
from chrono.store import Log
from chrono.timeval import ValidTime, parse_valid_time, to_micros
from events import CallMade, ControlChanged, EventCorrected, EventRetracted, PersonMoved, Source
from projections import investigate as inv
from projections.query import state_json, world_at
from projections.resolve import resolve
from projections.rules import ENDED
from projections.world import INITIAL

from . import strategies as s

ZONE = "Asia/Damascus"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
MAJALLA = Source(outlet="Al Majalla", attribution="a source in the operations room", quote="they took it at dawn")
WIRE = Source(outlet="AFP", attribution="photo caption")


def window(literal: str, wording: str | None = None) -> ValidTime:
    return parse_valid_time(literal, ZONE, wording)


def draft(event, literal, id, *, sources=(MAJALLA,), wording=None, **links) -> Draft:
    return Draft(event=event, valid=window(literal, wording) if literal else None, sources=sources, id=id, **links)


def build(path, *batches) -> str:
    """A log file whose batches are recorded an hour apart, from 01:00 UTC on 1 January 2026."""
    log = Log.create(str(path), zone=ZONE, clock=FixedClock(NOW, step=HOUR))
    log.append(s.descriptions())
    for batch in batches:
        log.append(batch)
    log.close()
    return str(path)


def run(db, *args):
    result = CliRunner().invoke(cli.main, ["--db", str(db), *args], obj=cli.Env(clock=FixedClock(NOW + timedelta(days=1))))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def run_json(db, *args):
    result = run(db, *args, "--json")
    assert 0 == result.exit_code, result.output
    return json.loads(result.output)


HELD = draft(ControlChanged(place="p0", controller="a0", how="held"), "2024-11-27T05:00", "held", wording="at dawn")
TAKEN = draft(ControlChanged(place="p0", controller="a1"), "2024-11-29", "taken", sources=(MAJALLA, WIRE), wording="by Friday")
WRONG = draft(ControlChanged(place="p0", controller="a2"), "2024-11-30", "wrong")
CALL = draft(CallMade(caller="a0", callee="a1"), "2024-11-28T12:00", "call", sources=(WIRE,))
MOVE = draft(PersonMoved(person="h0", to_place="p1"), "2024-11-28", "moved")


@pytest.fixture
def db(tmp_path):
    """Recorded: descriptions at 01:00, the facts at 02:00, a correction and a retraction at 03:00 UTC."""
    fix = [
        Draft(event=EventCorrected(target="taken", replacement=ControlChanged(place="p0", controller="a1"), reason="the caption dates it"),
              valid=window("2024-11-28"), sources=(WIRE,), id="fix-taken"),
        Draft(event=EventRetracted(target="wrong", reason="a duplicate report"), id="drop-wrong"),
    ]
    return build(tmp_path / "t.db", [HELD, TAKEN, WRONG, CALL, MOVE], fix)


BEFORE_FIX = "2026-01-01T02:30Z"  # after the facts (02:00), before the fixes (03:00)


# --- history ---------------------------------------------------------------------------------------


def test_history_lists_a_places_changes_in_valid_order_with_corrections_and_retractions(db):
    doc = run_json(db, "history", "p0")
    assert ["held", "taken", "wrong"] == [r["event"] for r in doc["changes"]]
    held, taken, wrong = doc["changes"]
    assert ("stands", "a0") == (held["status"], held["value"]["controller"])
    assert ("corrected", ["fix-taken"], "a1") == (taken["status"], taken["via"], taken["value"]["controller"])
    assert "sometime on 28 Nov 2024" == taken["valid"]["described"]
    assert ("retracted", "drop-wrong") == (wrong["status"], wrong["retracted_by"])
    text = run(db, "history", "p0").output
    assert "RETRACTED by drop-wrong" in text and "corrected by fix-taken" in text and "“at dawn”" in text


def test_history_as_of_before_the_correction_shows_what_we_believed_then(db):
    doc = run_json(db, "history", "p0", "--as-of", BEFORE_FIX)
    assert [("held", "stands"), ("taken", "stands"), ("wrong", "stands")] == [(r["event"], r["status"]) for r in doc["changes"]]
    assert "sometime on 29 Nov 2024" == doc["changes"][1]["valid"]["described"]


def test_history_accepts_a_name_and_filters_by_source(db):
    assert ["moved"] == [r["event"] for r in run_json(db, "history", "Person h0")["changes"]]
    assert ["taken"] == [r["event"] for r in run_json(db, "history", "p0", "--source", "afp")["changes"]]


def test_history_of_an_actor_lists_the_places_it_gained_and_lost(db):
    doc = run_json(db, "history", "a0")
    assert [("held", "a0"), ("taken", "a1")] == [(r["event"], r["value"]["controller"]) for r in doc["changes"]]


def test_history_of_an_unknown_entity_is_a_one_line_error(db):
    result = run(db, "history", "atlantis")
    assert 1 == result.exit_code
    assert 1 == len(result.output.strip().splitlines()) and "atlantis" in result.output


# --- show ------------------------------------------------------------------------------------------


def test_show_gives_both_times_sources_and_the_correction_chain_both_ways(db):
    doc = run_json(db, "show", "taken")
    assert ("ControlChanged", "corrected") == (doc["type"], doc["status"])
    assert ("by Friday", "sometime on 29 Nov 2024") == (doc["valid"]["wording"], doc["valid"]["described"])
    assert "2026-01-01T05:00:00+03:00" == doc["recorded"]
    assert ["AFP", "Al Majalla"] == sorted(src["outlet"] for src in doc["sources"])
    assert [("fix-taken", "in effect")] == [(c["event"], c["status"]) for c in doc["corrected_by"]]
    assert ("corrected", "sometime on 28 Nov 2024") == (doc["effective"]["status"], doc["effective"]["valid"]["described"])
    fix = run_json(db, "show", "fix-taken")
    assert ["taken"] == [c["event"] for c in fix["corrects"]]
    dropped = run_json(db, "show", "wrong")
    assert ("retracted", "drop-wrong") == (dropped["effective"]["status"], dropped["effective"]["retracted_by"])
    text = run(db, "show", "taken").output
    assert "they took it at dawn" in text and "fix-taken" in text


def test_show_of_an_unknown_event_is_a_one_line_error(db):
    result = run(db, "show", "nope")
    assert 1 == result.exit_code and "nope" in result.output


# --- diff ------------------------------------------------------------------------------------------


def test_diff_between_two_valid_times_gives_keyed_changes_and_happenings(db):
    doc = run_json(db, "diff", "--from", "2024-11-27T12:00", "--to", "2024-11-29")
    p0 = next(c for c in doc["changes"] if c["key"] == "p0")
    assert ("a0", "a1", False) == (p0["from"]["controller"], p0["to"]["controller"], p0["possible"])
    assert ["call"] == [h["event"] for h in doc["happenings"]]
    h0 = next(c for c in doc["changes"] if c["key"] == "h0")
    assert ("unknown", "p1") == (h0["from"]["status"], h0["to"]["place"])


def test_diff_marks_a_change_whose_window_straddles_the_end_as_possible(db):
    doc = run_json(db, "diff", "--from", "2024-11-27T12:00", "--to", "2024-11-28T12:00")
    p0 = next(c for c in doc["changes"] if c["key"] == "p0")
    assert (True, "possible", ["a0", "a1"]) == (p0["possible"], p0["to"]["status"], p0["to"]["candidates"])
    assert "(possible)" in run(db, "diff", "--from", "2024-11-27T12:00", "--to", "2024-11-28T12:00").output


def test_diff_of_beliefs_names_the_entries_recorded_in_between(db):
    doc = run_json(db, "diff", "--at", "2024-11-29T06:00", "--as-of", BEFORE_FIX, "--vs", "2026-01-01T03:00Z")
    p0 = next(c for c in doc["changes"] if c["key"] == "p0")
    # Before the fix the capture was dated 29 November, so at 06:00 that day it had only possibly happened.
    assert ("possible", ["a0", "a1"], "certain", "a1") == (p0["from"]["status"], p0["from"]["candidates"], p0["to"]["status"], p0["to"]["controller"])
    causes = {c["event"]: c for c in doc["recorded_between"]}
    assert {"fix-taken", "drop-wrong"} == set(causes)
    assert ["control:p0"] == causes["fix-taken"]["explains"]
    assert "retraction" == causes["drop-wrong"]["kind"]
    text = run(db, "diff", "--at", "2024-11-29T06:00", "--as-of", BEFORE_FIX).output
    assert "fix-taken" in text and "Recorded in between" in text


@pytest.mark.parametrize("args", [["diff"], ["diff", "--from", "2024-11-28"], ["diff", "--at", "2024-11-28"],
                                  ["diff", "--at", "2024-11-28", "--as-of", "2026", "--from", "2024-11-27"]])
def test_diff_without_a_complete_form_is_a_usage_error(db, args):
    assert 2 == run(db, *args).exit_code


def test_diff_with_a_bad_time_is_a_one_line_error(db):
    result = run(db, "diff", "--from", "yesterday", "--to", "2024-11-29")
    assert 1 == result.exit_code and "accepted forms" in result.output


# --- timeline --------------------------------------------------------------------------------------


def test_timeline_groups_by_local_day_and_shows_vague_times_honestly(db):
    doc = run_json(db, "timeline")
    assert ["2024-11-27", "2024-11-28"] == [d["day"] for d in doc["days"]]
    assert ["held"] == [e["event"] for e in doc["days"][0]["events"]]
    assert {"moved", "taken", "call"} == {e["event"] for e in doc["days"][1]["events"]}
    taken = next(e for e in doc["days"][1]["events"] if e["event"] == "taken")
    assert ("sometime on 28 Nov 2024", ["fix-taken"]) == (taken["when"], taken["via"])
    text = run(db, "timeline").output
    assert "Thursday 28 November 2024" in text and "Al Majalla (a source in the operations room)" in text


def test_timeline_files_a_month_or_year_before_the_year_1000_under_its_heading(tmp_path):
    db = build(tmp_path / "old.db", [draft(CallMade(caller="a0", callee="a1"), "0999-03", "old-call"), draft(CallMade(caller="a1", callee="a0"), "0998", "older")])
    doc = run_json(db, "timeline")
    assert [("0998", "Sometime in 0998", ["older"]), ("0999-03", "Sometime in March 999", ["old-call"])] == [
        (d["day"], d["label"], [e["event"] for e in d["events"]]) for d in doc["days"]]


def test_timeline_filters_by_time_entity_type_and_source(db):
    ids = lambda doc: [e["event"] for d in doc["days"] for e in d["events"]]  # noqa: E731
    # Windows opening together keep log order.
    assert ["taken", "moved", "call"] == ids(run_json(db, "timeline", "--from", "2024-11-28", "--to", "2024-11-28"))
    assert ["moved"] == ids(run_json(db, "timeline", "--entity", "Person h0"))
    assert ["call"] == ids(run_json(db, "timeline", "--type", "CallMade"))
    assert ["taken", "call"] == ids(run_json(db, "timeline", "--source", "caption"))
    assert 2 == run(db, "timeline", "--type", "Nonsense").exit_code


# --- sources ---------------------------------------------------------------------------------------


def test_sources_counts_events_per_outlet_and_attribution(db):
    doc = run_json(db, "sources")
    counts = {o["outlet"]: (o["events"], {a["attribution"]: a["events"] for a in o["attributions"]}) for o in doc["outlets"]}
    # held, taken, moved rest on Al Majalla; taken (corrected, with the correction's sources) and call on AFP.
    assert {"Al Majalla": (2, {"a source in the operations room": 2}), "AFP": (2, {"photo caption": 2})} == counts
    assert "photo caption" in run(db, "sources").output


# --- check -----------------------------------------------------------------------------------------


def test_check_passes_a_consistent_log(db):
    result = run(db, "check")
    assert (0, True) == (result.exit_code, result.output.splitlines()[-1].startswith("ok"))


def test_check_reports_each_problem_with_its_events_and_exits_1(tmp_path):
    planted = [
        draft(PersonMoved(person="h0", to_place="p1"), "2024-11-28T10:00", "here"),
        draft(PersonMoved(person="h0", to_place="p2"), "2024-11-28T10:00", "there"),
        draft(CallMade(caller="ghost", callee="a0"), "2024-11-28", "ghost-call"),
        draft(ControlChanged(place="atlantis", controller="a0"), "2024-11-28", "atlantis-taken"),
        draft(ControlChanged(place="p0", controller="a0"), "2024-11-29", "p0-a0"),
        draft(ControlChanged(place="p0", controller="a1"), "2024-11-29", "p0-a1"),
        draft(CallMade(caller="a1", callee="a2"), "2024-11-30", "late"),
        draft(CallMade(caller="a1", callee="a2"), "2024-11-27", "early", after=("late",)),
    ]
    db = build(tmp_path / "bad.db", planted)
    doc = run(db, "check", "--json")
    assert 1 == doc.exit_code
    found = {(f["kind"], tuple(f["events"])) for f in json.loads(doc.output)["findings"]}
    assert {
        ("two-places", ("here", "there")), ("unknown-entity", ("ghost-call",)), ("undescribed-place", ("atlantis-taken",)),
        ("contradiction", ("p0-a0", "p0-a1")), ("ordering-conflict", ("late", "early")),
    } == found
    text = run(db, "check")
    assert 1 == text.exit_code and "two-places" in text.output and "5 problems" in text.output


def test_check_does_not_count_a_journey_that_had_time_enough(tmp_path):
    db = build(tmp_path / "ok.db", [
        draft(PersonMoved(person="h0", to_place="p1"), "2024-11-28T10:00", "here"),
        draft(PersonMoved(person="h0", to_place="p2"), "2024-11-28T10:05", "there"),
    ])
    assert 0 == run(db, "check").exit_code


@pytest.mark.parametrize("command", ["history", "show", "diff", "timeline", "sources", "check"])
def test_every_investigation_command_has_help_with_an_example(command):
    result = CliRunner().invoke(cli.main, [command, "--help"])
    assert 0 == result.exit_code and "Examples:" in result.output and "chrono " + command in result.output


def _bundled_present() -> bool:
    try:
        return bool(CHRONICLES[DEFAULT].lines())
    except (FileNotFoundError, OSError):
        return False


@pytest.mark.skipif(not _bundled_present(), reason="the bundled chronicle is not there yet")
@pytest.mark.parametrize("args", [["history", "aleppo"], ["diff", "--from", "2024-12-05", "--to", "2024-12-08"],
                                  ["timeline"], ["sources"], ["check"]])
def test_investigation_commands_read_the_bundled_chronicle(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)  # no ./chrono.db, no --db, no $CHRONO_DB
    result = CliRunner().invoke(cli.main, list(args), obj=cli.Env(clock=FixedClock(NOW + timedelta(days=1))), env={"CHRONO_DB": None})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 1) and result.output  # check may report what the chronicle documents on purpose


# --- laws ------------------------------------------------------------------------------------------


def mem_log(drafts) -> Log:
    log = Log.create(":memory:", zone=ZONE, clock=FixedClock(NOW, step=timedelta(seconds=1)))
    log.append(s.descriptions())
    log.append(drafts)
    return log


KEYED = {"control": ("place", ("controller", "status", "candidates", "contested_with")),
         "whereabouts": ("person", ("place", "status", "candidates", "alive")),
         "units": ("unit", ("state", "status", "candidates"))}


def keyed_state(log, at) -> dict:
    doc = state_json(*world_at(log, at, use_cache=False), zone=ZONE)
    return {ch: {row[key]: {f: row[f] for f in fields} for row in doc[ch]} for ch, (key, fields) in KEYED.items()}


@given(s.fact_drafts(), s.query_times, s.query_times)
def test_diff_from_t1_to_t2_applied_to_the_state_at_t1_gives_the_state_at_t2(drafts, a, b):
    t1, t2 = min(a, b), max(a, b)
    log = mem_log(drafts)
    state = keyed_state(log, t1)
    for change in inv.diff_world(inv.load(log), t1, t2, zone=ZONE)["changes"]:
        state[change["channel"]][change["key"]] = change["to"]
    assert keyed_state(log, t2) == state


@given(s.fact_drafts(), st.lists(s.query_times, min_size=1, max_size=5))
def test_history_of_an_entity_agrees_with_state_at_every_valid_time(drafts, times):
    log = mem_log(drafts)
    k = inv.load(log)
    window_of = {f.id: (f.lo, f.hi) for f in k.facts}
    for entity in k.gazetteer:
        if entity.kind == "actor":
            continue
        channel = inv.CHANNEL_OF_KIND[entity.kind]
        rows = [r for r in inv.history(k, entity, zone=ZONE)["changes"] if r["key"] == entity.id and r["channel"] == channel]
        for at in times:
            t = to_micros(at)
            started = [r for r in rows if window_of[r["event"]][0] <= t]
            if any(r["kind"] == "observation" for r in started):
                continue  # (what an observation does is the laws' of state: tests/test_laws_of_state.py)
            straddling = [r for r in started if t < window_of[r["event"]][1]]
            # (An actor's end in progress at T is one too, even when the history, a replay in valid
            # order, applied it before the change it may yet follow and so shows no row of it.)
            straddling += [f.id for f in k.facts if f.type_name == "ActorEnded" and f.lo <= t < f.hi]
            answer = world_at(log, at, use_cache=False)[0].answers(channel).get(entity.id)
            if not started:  # (touched, at most, by what is no evidence about it)
                assert answer is None or ("unknown", ()) == (answer.status, answer.events)
            elif not straddling and started[-1]["kind"] == "end" and started[-1]["value"] == inv.value_json(channel, INITIAL[channel]):
                assert ("unknown", ENDED) == (answer.status, answer.last[1].kind)  # last held, until the actor's end
            elif not straddling:
                assert ("certain", inv.value_json(channel, answer.value)) == ("certain", started[-1]["value"])
                assert answer.status == "certain"
            else:
                # (An actor's end in progress may yet come after a change that put the actor there, which
                # the history, a replay in valid order, applies before it.)
                ends = {f.id for f in k.facts if f.type_name == "ActorEnded"}
                assert set(answer.events) - ends <= {r["event"] for r in rows}


@st.composite
def ordered_facts(draw, consistent: bool = True):
    """Calls with a true minute each, windows around it, and after/before links between them; with
    `consistent`, every link agrees with the true minutes."""
    n = draw(st.integers(2, 6))
    truth = draw(st.lists(st.integers(0, 2_000), min_size=n, max_size=n))
    drafts = []
    for i in range(n):
        lo = truth[i] - draw(st.integers(0, 300))
        hi = truth[i] + 1 + draw(st.integers(0, 300))
        links = {"after": [], "before": []}
        for j in range(i):
            if not draw(st.booleans()):
                continue
            earlier, later = (j, i) if (truth[j] <= truth[i] or not consistent) else (i, j)
            if draw(st.booleans()) and later == i:
                links["after"].append(f"c{earlier}")
            elif earlier == i:
                links["before"].append(f"c{later}")
            else:
                links["after"].append(f"c{earlier}")
        start = s.BASE + timedelta(minutes=lo)
        drafts.append(Draft(event=CallMade(caller="a0", callee="a1"), id=f"c{i}", after=links["after"], before=links["before"],
                            valid=ValidTime(earliest=start, latest=start + timedelta(minutes=hi - lo), zone=ZONE)))
    return drafts, [to_micros(s.BASE + timedelta(minutes=t)) for t in truth]


@given(ordered_facts())
def test_narrowing_never_removes_the_true_time_of_consistently_ordered_events_nor_widens(case):
    drafts, truth = case
    facts = {f.id: f for f in resolve(mem_log(drafts).entries()).facts}
    for i, d in enumerate(drafts):
        f = facts[d.id]
        assert d.valid.lo <= f.lo <= truth[i] < f.hi <= d.valid.hi
    assert [] == [x for x in inv.check(inv.load(mem_log(drafts)), []) if x["kind"] == "ordering-conflict"]


@given(ordered_facts(consistent=False))
def test_narrowing_never_widens_nor_empties_a_window_whatever_the_constraints(case):
    drafts, _truth = case
    for f in resolve(mem_log(drafts).entries()).facts:
        if f.lo is not None:
            assert f.valid.lo <= f.lo < f.hi <= f.valid.hi


PLANTS = ("two-places", "unknown-entity", "undescribed-place", "contradiction", "ordering-conflict")


def plant(kind: str, n: int, minute: int) -> tuple[list[Draft], tuple[str, ...]]:
    at = lambda m, length=1: ValidTime(earliest=s.BASE + timedelta(minutes=m), latest=s.BASE + timedelta(minutes=m + length), zone=ZONE)  # noqa: E731
    a, b = f"x{n}a", f"x{n}b"
    if kind == "two-places":
        return [Draft(event=PersonMoved(person="h1", to_place="p1"), valid=at(minute), id=a),
                Draft(event=PersonMoved(person="h1", to_place="p2"), valid=at(minute), id=b)], (a, b)
    if kind == "unknown-entity":
        return [Draft(event=CallMade(caller=f"ghost{n}", callee="a0"), valid=at(minute), id=a)], (a,)
    if kind == "undescribed-place":
        return [Draft(event=ControlChanged(place=f"nowhere{n}", controller="a0"), valid=at(minute), id=a)], (a,)
    if kind == "contradiction":
        return [Draft(event=ControlChanged(place="p2", controller="a0"), valid=at(minute, 90), id=a),
                Draft(event=ControlChanged(place="p2", controller="a1"), valid=at(minute, 90), id=b)], (a, b)
    return [Draft(event=CallMade(caller="a0", callee="a1"), valid=at(minute + 100, 10), id=a),
            Draft(event=CallMade(caller="a0", callee="a1"), valid=at(minute, 10), id=b, after=(a,))], (a, b)


@given(s.fact_drafts(max_size=8), st.lists(st.tuples(st.sampled_from(PLANTS), st.integers(0, 2_000)), min_size=1, max_size=4))
def test_check_finds_every_planted_contradiction_in_generated_logs(drafts, plants):
    planted, expected = [], []
    for n, (kind, minute) in enumerate(plants):
        more, ids = plant(kind, n, minute)
        planted += more
        expected.append((kind, ids))
    log = mem_log([*drafts, *planted])
    k = inv.load(log)
    findings = {(f["kind"], tuple(f["events"])) for f in inv.check(k, list(k.resolution.entries.values()))}
    for kind, ids in expected:
        assert (kind, ids) in findings


def test_history_keeps_an_event_corrected_away_from_the_entity(tmp_path):
    fix = Draft(event=EventCorrected(target="moved", replacement=PersonMoved(person="h1", to_place="p1"), reason="it was h1"),
                valid=MOVE.valid, id="fix-who")
    db = build(tmp_path / "away.db", [MOVE], [fix])
    assert [("moved", "corrected-away", ["fix-who"])] == [(r["event"], r["status"], r["via"]) for r in run_json(db, "history", "h0")["changes"]]
    assert [("moved", "corrected")] == [(r["event"], r["status"]) for r in run_json(db, "history", "h1")["changes"]]
    assert "CORRECTED AWAY by fix-who" in run(db, "history", "h0").output


def test_show_of_a_retraction_says_it_is_in_effect_and_what_it_removed(db):
    doc = run_json(db, "show", "drop-wrong")
    assert ("in effect", ["wrong"], "retracted") == (doc["status"], [c["event"] for c in doc["corrects"]], doc["effective"]["status"])
