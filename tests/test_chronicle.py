"""The bundled chronicle (syria-2024): its data, and questions about the article answered through `chrono state`.

The questions are written from the Al Majalla article, not from the chronicle: each expected answer is what a
careful reader of the article should get under the conventions in docs/chronicle.md (weekdays resolved with
the 2024 calendar, "by Friday" ends Friday night, "that night" runs from after 9.30pm on 7 December to 3am
on the 8th, undated happenings stay uncertain).
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

import events
from chrono.timeval import parse_valid_time
from cli import main

REPO = Path(__file__).resolve().parents[1]
CHRONICLE = REPO / "chrono" / "chronicles" / "syria-2024.jsonl"
SEEDS = REPO.parent / "shared" / "seeds"
ZONE = "Asia/Damascus"
FIRST_READING = "2026-11-24T12:30Z"  # after the first reading was recorded, before the corrections


# ---------------------------------------------------------------------------------------------------- data


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return [json.loads(line) for line in CHRONICLE.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def article() -> str:
    if not SEEDS.is_dir():
        pytest.skip(f"the source article is not available: {SEEDS} does not exist (it lives beside the repository)")
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        if "insider story of Assad" in text:
            return text
    pytest.skip(f"the Al Majalla article is not among the seeds in {SEEDS}")


def _build(row: dict) -> events.Event:
    fields = dict(row["event"])
    if isinstance(fields.get("replacement"), dict):
        replacement = dict(fields["replacement"])
        fields["replacement"] = events.REGISTRY[replacement.pop("type")](**replacement)
    return events.REGISTRY[row["type"]](**fields)


def _declared(rows: list[dict]) -> dict[str, str]:
    out = {}
    for row in rows:
        for kind in events.ENTITY_KINDS:
            if row["type"] == kind.capitalize() + "Described":
                out[row["event"][kind]] = kind
    return out


def test_chronicle_ids_are_unique_and_well_formed(rows):
    ids = [r["id"] for r in rows]
    assert [] == sorted({i for i in ids if ids.count(i) > 1})
    assert all(events.valid_event_id(i) for i in ids)


def test_chronicle_entity_ids_are_unique_across_kinds(rows):
    seen: dict[str, str] = {}
    for row in rows:
        for kind in events.ENTITY_KINDS:
            if row["type"] == kind.capitalize() + "Described":
                entity = row["event"][kind]
                assert entity not in seen, f"{entity} described as {seen[entity]} and {kind}"
                seen[entity] = kind


def test_chronicle_every_event_references_described_entities(rows):
    declared = _declared(rows)
    problems = []
    for row in rows:
        ev = _build(row)
        payloads = [ev] + ([ev.replacement] if row["type"] == "EventCorrected" else [])
        for payload in payloads:
            for field, kind, entity in events.entity_refs(payload):
                if entity not in declared:
                    problems.append(f"{row['id']}.{field}: {entity} is not described")
                elif kind != events.ANY and declared[entity] != kind:
                    problems.append(f"{row['id']}.{field}: {entity} is a {declared[entity]}, not a {kind}")
    assert [] == problems


def test_chronicle_descriptions_come_before_the_facts_that_use_them(rows):
    described: set[str] = set()
    late = []
    for row in rows:
        if row["type"].endswith("Described"):
            described.add(next(iter(row["event"].values())))
            continue
        ev = _build(row)
        payloads = [ev] + ([ev.replacement] if row["type"] == "EventCorrected" else [])
        late += [f"{row['id']}: {e}" for p in payloads for _, _, e in events.entity_refs(p) if e not in described]
    assert [] == late


def test_chronicle_every_quote_is_verbatim_in_the_article(rows, article):
    missing = [(r["id"], s.get("quote")) for r in rows for s in r["sources"] if not s.get("quote") or s["quote"] not in article]
    assert [] == missing


def test_chronicle_every_entry_has_a_source_with_outlet_and_attribution(rows):
    bad = [r["id"] for r in rows if not r["sources"] or not all(s.get("outlet") == "Al Majalla" and s.get("attribution") for s in r["sources"])]
    assert [] == bad


def test_chronicle_every_fact_has_a_valid_time_said_in_words(rows):
    """The article's words for the time (`wording`), or the chronicler's own when it has none (`gloss`)."""
    bad = []
    for row in rows:
        timeless = events.REGISTRY[row["type"]].timeless
        valid = row.get("valid")
        if timeless:
            if valid is not None:
                bad.append(f"{row['id']}: descriptions and retractions are timeless")
            continue
        if not valid or not (valid.get("wording") or valid.get("gloss")) or not valid.get("literal"):
            bad.append(f"{row['id']}: no valid time with wording or gloss")
            continue
        parse_valid_time(valid["literal"], ZONE)
    assert [] == bad


def test_chronicle_every_time_wording_is_verbatim_in_the_article(rows, article):
    """`history` and `timeline` print a wording in quotation marks, as the article's: the chronicler's words are a gloss."""
    quoted = [(r["id"], r["valid"]["wording"]) for r in rows if r.get("valid") and r["valid"].get("wording")]
    assert quoted
    assert [] == [(i, w) for i, w in quoted if w not in article]


def test_chronicle_order_constraints_name_existing_events(rows):
    ids = {r["id"] for r in rows}
    dangling = [(r["id"], x) for r in rows for x in r.get("after", []) + r.get("before", []) if x not in ids]
    assert [] == dangling


def test_chronicle_order_constraints_are_satisfiable(rows):
    window = {r["id"]: parse_valid_time(r["valid"]["literal"], ZONE) for r in rows if r.get("valid")}
    # (lo and hi: an open or unknown end is the calendar's first or last instant.)
    impossible = [(r["id"], "after", x) for r in rows for x in r.get("after", []) if window[x].lo >= window[r["id"]].hi]
    impossible += [(r["id"], "before", x) for r in rows for x in r.get("before", []) if window[r["id"]].lo >= window[x].hi]
    assert [] == impossible


def test_chronicle_corrections_come_after_the_first_reading_and_target_earlier_entries(rows):
    first = [r for r in rows if r["recorded"] == "2026-11-24T12:00:00+00:00"]
    later = [r for r in rows if r["recorded"] != "2026-11-24T12:00:00+00:00"]
    assert rows == first + later
    assert later, "the chronicle records its corrections"
    for row in later:
        assert row["type"] in ("EventCorrected", "EventRetracted")
        position = [r["id"] for r in rows].index(row["id"])
        assert row["event"]["target"] in [r["id"] for r in rows[:position]]


def test_chronicle_claims_are_statements_not_facts(rows):
    by_id = {r["id"]: r for r in rows}
    # "we will be in the heart of Damascus by 10pm", "Russian support is on its way": said, not done.
    assert "prediction" == by_id["ops-source-heart-of-damascus"]["event"]["kind"]
    assert "StatementIssued" == by_id["assad-russian-support-coming"]["type"]
    # The expected Erdogan–Putin call is a prediction by analysts, never a call.
    calls = [r for r in rows if r["type"] == "CallMade"]
    assert not [c for c in calls if {c["event"]["caller"], c["event"]["callee"]} & {"recep-tayyip-erdogan", "vladimir-putin"}]


# ---------------------------------------------------------------------------------------------------- questions

_STATES: dict[tuple[str, str | None], dict] = {}


def state(at: str, as_of: str | None = None) -> dict:
    """`chrono state --at AT --json` with no log file, i.e. on the bundled chronicle."""
    key = (at, as_of)
    if key not in _STATES:
        runner = CliRunner()
        args = ["state", "--at", at, "--json"] + (["--as-of", as_of] if as_of else [])
        with tempfile.TemporaryDirectory() as empty, contextlib.chdir(empty):  # no ./chrono.db
            result = runner.invoke(main, args, env={"CHRONO_DB": None}, catch_exceptions=False)
        assert 0 == result.exit_code, result.output
        _STATES[key] = json.loads(getattr(result, "stdout", result.output))
    return _STATES[key]


def control(s: dict, place: str) -> dict:
    rows = [c for c in s["control"] if c["place"] == place]
    return rows[0] if rows else {"place": place, "controller": None, "status": "unknown", "candidates": [None], "contested_with": []}


def whereabouts(s: dict, person: str) -> dict:
    rows = [w for w in s["whereabouts"] if w["person"] == person]
    return rows[0] if rows else {"person": person, "place": None, "status": "unknown", "candidates": [None], "alive": None}


def unit(s: dict, unit_id: str) -> dict:
    rows = [u for u in s["units"] if u["unit"] == unit_id]
    return rows[0] if rows else {"unit": unit_id, "state": "active", "status": "unknown", "candidates": ["active"]}


def calls_between(s: dict, caller: str, callee: str) -> list[dict]:
    return [c for c in s["calls"] if c["caller"] == caller and c["callee"] == callee]


def meetings_with(s: dict, *people: str) -> list[dict]:
    return [m for m in s["meetings"] if set(people) <= set(m["participants"])]


def by_event(s: dict, section: str, event_id: str) -> list[dict]:
    return [x for x in s[section] if x["event"] == event_id]


def local(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


# Each case: (question, at, as_of, check). A check takes the state and asserts the article's answer.
def held(place, controller, status="certain", contested=None):
    def check(s):
        c = control(s, place)
        assert (controller, status) == (c["controller"], c["status"]), c
        if contested is not None:
            assert set(contested) <= set(c["contested_with"]), c
    return check


def maybe_held(place, *candidates):
    def check(s):
        c = control(s, place)
        assert "possible" == c["status"], c
        assert set(candidates) <= set(c["candidates"]), c
    return check


def at_place(person, place, status="certain"):
    def check(s):
        w = whereabouts(s, person)
        assert (place, status) == (w["place"], w["status"]), w
    return check


def maybe_at(person, *candidates, absent=()):
    def check(s):
        w = whereabouts(s, person)
        assert "possible" == w["status"], w
        assert set(candidates) <= set(w["candidates"]), w
        assert not set(absent) & set(w["candidates"]), w
    return check


def last_seen_at(person, place):
    """Nothing places the person at T: unknown, with the last sighting."""
    def check(s):
        w = whereabouts(s, person)
        assert ("unknown", place) == (w["status"], (w.get("last_seen") or {}).get("place")), w
    return check


def not_at(person, place):
    def check(s):
        w = whereabouts(s, person)
        assert place != w["place"] and place not in w["candidates"], w
    return check


def alive(person, expected):
    def check(s):
        assert expected == whereabouts(s, person).get("alive"), whereabouts(s, person)
    return check


def unit_state(unit_id, expected, status="certain"):
    def check(s):
        u = unit(s, unit_id)
        assert expected == u["state"], u
        if status:
            assert status == u["status"], u
    return check


def unit_maybe(unit_id, *candidates):
    def check(s):
        u = unit(s, unit_id)
        assert "possible" == u["status"] and set(candidates) <= set(u["candidates"]), u
    return check


def unit_last_seen(unit_id, state, order=None):
    """Nothing says what the unit is at T: unknown, with the last thing seen of it (and the order it carries)."""
    def check(s):
        u = unit(s, unit_id)
        assert ("unknown", state) == (u["status"], (u["last_seen"] or {}).get("state")), u
        if order is not None:
            assert order == (u["orders"] or {}).get("order"), u
    return check


def place_last_seen(place, controller, **fields):
    """Nothing says who holds the place at T: unknown, last held (observed, or until an actor's end) by `controller`."""
    def check(s):
        c = control(s, place)
        assert ("unknown", controller) == (c["status"], (c["last_seen"] or {}).get("controller")), c
        for k, v in fields.items():
            assert v == c["last_seen"][k], c
    return check


def call(caller, callee, status):
    """status None: no such call has (even possibly) happened by T."""
    def check(s):
        found = calls_between(s, caller, callee)
        if status is None:
            assert [] == found
        else:
            assert [status] == [c["status"] for c in found], found
    return check


def no_call_among(*parties):
    def check(s):
        assert [] == [c for c in s["calls"] if {c["caller"], c["callee"]} <= set(parties)]
    return check


def meeting(people, place, status):
    def check(s):
        found = meetings_with(s, *people)
        if status is None:
            assert [] == found
        else:
            assert [(place, status)] == [(m["place"], m["status"]) for m in found], found
    return check


def listed(section, event_id, status, **fields):
    def check(s):
        found = by_event(s, section, event_id)
        if status is None:
            assert [] == found
            return
        assert [status] == [x["status"] for x in found], found
        for k, v in fields.items():
            assert v == found[0][k], found[0]
    return check


def ministers_met(where: str, status: str):
    """The Russian, Iranian and Turkish ministers' meeting: its place is in its summary (a meeting's place would
    move its people there for good; each minister is located for the meeting's time)."""
    def check(s):
        found = meetings_with(s, "sergey-lavrov", "hakan-fidan", "abbas-araghchi")
        assert [(status, True)] == [(m["status"], where in m["summary"]) for m in found], found
    return check


def statement_kinds(speaker, kind, minimum=1):
    def check(s):
        found = [x for x in s["statements"] if x["speaker"] == speaker and x["kind"] == kind]
        assert len(found) >= minimum, [(x["speaker"], x["kind"]) for x in s["statements"]]
    return check


def airstrike_on(target, status, description_has=None, actor=None):
    def check(s):
        found = [a for a in s["airstrikes"] if a["target"] == target and (description_has is None or description_has in (a["description"] or ""))]
        if status is None:
            assert [] == found
            return
        assert status in [a["status"] for a in found], s["airstrikes"]
        if actor is not None:
            assert actor in [a["actor"] for a in found]
    return check


def statement_absent(speaker, kind):
    def check(s):
        assert [] == [x for x in s["statements"] if x["speaker"] == speaker and x["kind"] == kind]
    return check


def both(*checks):
    def check(s):
        for c in checks:
            c(s)
    return check


def no_assad_statement_from(day_start: str):
    """The Sunday 'war speech' was promised and prepared, never given: nothing Assad said begins on or after day_start."""
    def check(s):
        start = parse_valid_time(day_start, ZONE).earliest
        said = [x for x in s["statements"] if x["speaker"] == "bashar-al-assad" and local(x["time"]["earliest"]) >= start]
        assert [] == said
        assert [x for x in s["statements"] if x["speaker"] == "bashar-al-assad" and x["kind"] == "plan"], "the war-speech plan is recorded"
    return check


QUESTIONS = [
    # --- before the story opens: observations open at the start
    ("on 26 Nov, before the story opens, the government holds Aleppo", "2024-11-26T12:00", None, held("aleppo", "syrian-government")),
    ("on 26 Nov, before the story opens, HTS holds Idlib", "2024-11-26T12:00", None, held("idlib", "hts")),
    ("on 26 Nov the government holds Damascus, its airport and Mezzeh; Russia holds Hmeimim", "2024-11-26T12:00", None,
     both(held("damascus", "syrian-government"), held("damascus-airport", "syrian-government"), held("mezzeh-airport", "syrian-government"),
          held("hmeimim-airbase", "russia"))),
    ("on 26 Nov the regime's units stand", "2024-11-26T12:00", None,
     both(*(unit_state(u, "active") for u in ("syrian-arab-army", "46th-regiment", "86th-regiment", "47th-brigade", "4th-division",
                                              "republican-guard", "national-security-bureau", "palace-security")))),
    ("a year before the story, the same: the observations are open at the start", "2023-11-26T12:00", None,
     both(held("aleppo", "syrian-government"), held("idlib", "hts"), unit_state("4th-division", "active"))),
    ("HTS still holds Idlib as the battle for Homs begins", "2024-12-06T12:00", None, held("idlib", "hts")),
    ("after the story nothing says who holds Idlib: unknown, last seen HTS", "2024-12-20T00:00", None, place_last_seen("idlib", "hts", how="observed")),
    ("Damascus airport is the government's until the night of escape", "2024-12-07T21:30", None, held("damascus-airport", "syrian-government")),
    ("Damascus airport possibly already the opposition's during the night of escape", "2024-12-08T01:00", None,
     maybe_held("damascus-airport", "syrian-government", "opposition-factions")),
    ("the regime's soldiers retreat into Kafr Sousa at around 6pm: the government holds it then", "2024-12-07T18:00", None,
     held("kafr-sousa-security-zone", "syrian-government")),
    # --- Aleppo
    ("regime holds Aleppo before the offensive", "2024-11-27T00:30", None, held("aleppo", "syrian-government")),
    ("HTS sets out from Idlib, which it holds", "2024-11-27T00:30", None, held("idlib", "hts")),
    ("Aleppo's fall is uncertain on Thursday 28 Nov", "2024-11-28T12:00", None, maybe_held("aleppo", "syrian-government", "hts")),
    ("Aleppo has fallen to HTS by Friday night", "2024-11-30T00:00", None, held("aleppo", "hts")),
    ("HTS still holds Aleppo at 21:30 on 7 Dec", "2024-12-07T21:30", None, held("aleppo", "hts")),
    ("Nayrab airport is possibly taken by 29 Nov", "2024-11-29T12:00", None, maybe_held("nayrab-airport", "syrian-government", "opposition-factions")),
    ("rebels pose at Nayrab on 2 Dec: held by the opposition after that day", "2024-12-03T00:00", None, held("nayrab-airport", "opposition-factions")),
    ("Aleppo International Airport in opposition hands after 2 Dec", "2024-12-03T00:00", None, held("aleppo-international-airport", "opposition-factions")),
    ("Kouris airport still with the regime on 30 Nov", "2024-11-30T12:00", None, held("kouris-airport", "syrian-government")),
    ("Kouris airport possibly taken on 1 Dec", "2024-12-01T12:00", None, maybe_held("kouris-airport", "syrian-government", "opposition-factions")),
    ("Kouris airport seized by 3 Dec", "2024-12-03T00:00", None, held("kouris-airport", "opposition-factions")),
    # --- Hama and the four positions
    ("regime holds Hama on 4 Dec", "2024-12-04T12:00", None, held("hama", "syrian-government")),
    ("Hama falls during 5 Dec: possible at noon", "2024-12-05T12:00", None, maybe_held("hama", "syrian-government", "hts")),
    ("first reading: the caption's 6 December kept Hama's fall possible on the 6th", "2024-12-06T12:00", FIRST_READING,
     maybe_held("hama", "syrian-government", "hts")),
    ("corrected: the caption dates its photograph; HTS entered Hama on the 5th and holds it at noon on the 6th", "2024-12-06T12:00", None, held("hama", "hts")),
    ("HTS holds Hama by 7 Dec on either dating", "2024-12-07T00:00", None, held("hama", "hts")),
    ("Hama Airport being stormed on 3 Dec is possible", "2024-12-03T12:00", None, maybe_held("hama-airport", "syrian-government", "opposition-factions")),
    ("the four positions were stormed before Hama fell",
     "2024-12-07T00:00", None, both(*(held(p, "opposition-factions") for p in ("hama-airport", "tracking-school", "86th-regiment-position", "47th-brigade-position")))),
    # --- Homs
    ("regime holds Homs on 4 Dec", "2024-12-04T12:00", None, held("homs", "syrian-government")),
    ("battle for Homs possibly under way on 6 Dec", "2024-12-06T12:00", None, maybe_held("homs", "syrian-government")),
    ("Homs contested, not yet fully secured, at 21:30 on 7 Dec", "2024-12-07T21:30", None, held("homs", "syrian-government", contested=["hts"])),
    ("the regime's end is possible during the night of escape: Homs possibly no longer the government's", "2024-12-08T01:00", None,
     maybe_held("homs", "syrian-government", None)),
    ("after the regime's end nobody is said to hold Homs: unknown, last held by the government until its end", "2024-12-09T00:00", None,
     place_last_seen("homs", "syrian-government", how="ended")),
    ("no certainty that never ends: a month later Homs is still unknown, not the government's", "2025-01-10T00:00", None,
     place_last_seen("homs", "syrian-government", how="ended")),
    # --- the south
    ("regime in Sweida on 5 Dec", "2024-12-05T12:00", None, held("sweida", "syrian-government")),
    ("army's withdrawal from Daraa possible on 6 Dec", "2024-12-06T12:00", None, maybe_held("daraa", "syrian-government", None)),
    ("the opposition factions who launched operations in Daraa hold it after the army's withdrawal", "2024-12-08T00:00", None, held("daraa", "opposition-factions")),
    ("Daraa during the southern push: the government, nobody known or the opposition", "2024-12-06T12:00", None,
     maybe_held("daraa", "syrian-government", None, "opposition-factions")),
    ("who held the Al-Bukamal crossing before the SDF blocked it is not said", "2024-12-05T12:00", None, held("al-bukamal-crossing", None, "unknown")),
    ("the SDF holds the Al-Bukamal crossing it blocked on Friday 6 Dec", "2024-12-07T00:00", None, held("al-bukamal-crossing", "sdf")),
    ("who took Sweida is not reported", "2024-12-08T12:00", None, held("sweida", None)),
    ("the Jordanian border: not reported before the southern push", "2024-12-01T12:00", None, held("jordanian-border", None, "unknown")),
    ("opposition controls the Jordanian border area by 8 Dec", "2024-12-08T00:00", None, held("jordanian-border", "opposition-factions")),
    ("SDF in Tal Rifaat and Manbij", "2024-12-01T12:00", None, both(held("tal-rifaat", "sdf"), held("manbij", "sdf"))),
    # --- Damascus
    ("regime holds Damascus at noon on 7 Dec", "2024-12-07T12:00", None, held("damascus", "syrian-government")),
    ("southern factions possibly inside Damascus at 21:30", "2024-12-07T21:30", None, maybe_held("damascus", "syrian-government")),
    ("Damascus contested by the southern operations room at midnight", "2024-12-08T00:00", None,
     lambda s: (lambda c: (assert_in("southern-operations-room", c["contested_with"]), assert_in("syrian-government", c["candidates"])))(control(s, "damascus"))),
    ("handover undated: Damascus possibly handed over on 8 Dec", "2024-12-08T12:00", None, maybe_held("damascus", "syrian-government", "hts")),
    ("after the regime's end Damascus is no longer the government's: unknown, or HTS's by the undated handover", "2024-12-09T00:00", None,
     lambda s: assert_equal(("possible", [None, "hts"]), (control(s, "damascus")["status"], control(s, "damascus")["candidates"]))),
    ("Mezzeh after the regime's end: unknown, last seen the government's", "2024-12-09T00:00", None, place_last_seen("mezzeh-airport", "syrian-government")),
    ("the government ended in the night of escape: listed, possible at 1am, certain by 9 Dec", "2024-12-09T00:00", None,
     both(listed("ends", "syrian-government-ends", "certain", actor="syrian-government", how="collapsed"),
          lambda s: assert_equal("possible", by_event(state("2024-12-08T01:00"), "ends", "syrian-government-ends")[0]["status"]))),
    ("the government stands at 21:30, before the flight: no end yet", "2024-12-07T21:30", None, listed("ends", "syrian-government-ends", None)),
    ("the formal handover has no date: HTS only possibly holds Damascus a month later", "2025-01-01T00:00", None, maybe_held("damascus", "hts")),
    ("Damascus airport under opposition control after the night of escape", "2024-12-09T00:00", None, held("damascus-airport", "opposition-factions")),
    ("Mezzeh military airport still the regime's at 21:30", "2024-12-07T21:30", None, held("mezzeh-airport", "syrian-government")),
    ("Hmeimim is Russian-controlled", "2024-12-07T21:30", None, held("hmeimim-airbase", "russia")),
    # --- Bashar al-Assad
    ("at dawn on 27 Nov Assad was in Moscow or about to leave: possible", "2024-11-27T06:00", None, maybe_at("bashar-al-assad", "moscow")),
    ("Assad in Moscow on graduation day eve", "2024-11-28T00:00", None, at_place("bashar-al-assad", "moscow")),
    ("Assad in his Moscow hotel on graduation day, 28 Nov", "2024-11-28T12:00", None, at_place("bashar-al-assad", "moscow")),
    ("Assad possibly flying back on Friday 29 Nov", "2024-11-29T12:00", None, maybe_at("bashar-al-assad", "moscow", "damascus")),
    ("Assad back in Damascus on Saturday 30 Nov", "2024-11-30T12:00", None, at_place("bashar-al-assad", "damascus")),
    ("at 21:30 on 7 Dec Assad has not fled", "2024-12-07T21:30", None, at_place("bashar-al-assad", "damascus")),
    ("the rumour of the family's flight is a rumour, not a move", "2024-12-07T21:30", None,
     both(at_place("bashar-al-assad", "damascus"), lambda s: assert_in("rumour", [x["kind"] for x in by_event(s, "statements", "rumour-assad-family-flown")]))),
    ("at 1am on 8 Dec Assad may have fled to Hmeimim", "2024-12-08T01:00", None, maybe_at("bashar-al-assad", "damascus", "hmeimim-airbase")),
    ("by 3am Assad had fled: no longer in Damascus", "2024-12-08T03:00", None, maybe_at("bashar-al-assad", "hmeimim-airbase", "moscow", absent=["damascus"])),
    ("Assad in Moscow after the night of escape", "2024-12-09T00:00", None, at_place("bashar-al-assad", "moscow")),
    # --- others
    ("Asma was already in Moscow", "2024-11-27T12:00", None, at_place("asma-al-assad", "moscow")),
    ("Asma in Moscow before the story opens: Assad flew 'to join' her", "2024-11-26T12:00", None, at_place("asma-al-assad", "moscow")),
    ("nothing places Asma on the night of 7 Dec (only a rumour of the family's flight): unknown, last seen in Moscow", "2024-12-07T21:30", None,
     last_seen_at("asma-al-assad", "moscow")),
    ("Assad in Damascus before the story opens", "2024-11-25T12:00", None, at_place("bashar-al-assad", "damascus")),
    ("Hafez in Moscow for his graduation", "2024-11-28T12:00", None, at_place("hafez-bashar-al-assad", "moscow")),
    ("Mansour Azzam flew to Moscow with Assad", "2024-12-09T00:00", None, at_place("mansour-azzam", "moscow")),
    ("Mohsen Mohammed/Mohammad flew to Moscow with Assad", "2024-12-09T00:00", None, at_place("mohsen-mohammed", "moscow")),
    ("Fayez Jumaa was left behind", "2024-12-09T00:00", None, not_at("fayez-jumaa", "moscow")),
    ("where Maher was before the flight is not reported", "2024-12-07T21:30", None, at_place("maher-al-assad", None, "unknown")),
    ("Maher fled to Iraq", "2024-12-09T00:00", None, at_place("maher-al-assad", "country-iraq")),
    ("Ra'if Al-Quwatly fled with Maher", "2024-12-09T00:00", None, at_place("raif-al-quwatly", "country-iraq")),
    ("al-Sharaa possibly entering Aleppo on 28 Nov", "2024-11-28T12:00", None, maybe_at("ahmed-al-sharaa", "aleppo")),
    # One sighting on one of the days 30 Nov - 4 Dec; the fold reads the set's window whole (docs/chronicle.md).
    ("al-Sharaa seen at the Aleppo Citadel after Aleppo fell", "2024-12-02T12:00", None,
     lambda s: assert_equal(("aleppo-citadel", True), (whereabouts(s, "ahmed-al-sharaa")["place"],
                                                       "sharaa-at-aleppo-citadel" in whereabouts(s, "ahmed-al-sharaa")["events"]))),
    ("the sighting does not persist: after it al-Sharaa is in Aleppo, where he entered, not at the Citadel", "2024-12-06T12:00", None,
     both(at_place("ahmed-al-sharaa", "aleppo"), not_at("ahmed-al-sharaa", "aleppo-citadel"))),
    ("al-Sharaa's entry into Damascus is undated", "2024-12-08T12:00", None, maybe_at("ahmed-al-sharaa", "aleppo", "damascus", absent=["aleppo-citadel"])),
    ("al-Sharaa's entry into Damascus has no date: still only possible a month later", "2025-01-01T00:00", None, maybe_at("ahmed-al-sharaa", "damascus")),
    ("Araghchi met Assad (in Damascus) on 2 Dec", "2024-12-02T12:00", None, at_place("abbas-araghchi", "damascus")),
    ("Araghchi's visit does not persist: on 5 Dec he is unknown, last seen in Damascus", "2024-12-05T12:00", None, last_seen_at("abbas-araghchi", "damascus")),
    ("on the day of the Doha Forum Araghchi is in Doha, not 'Damascus or Doha'", "2024-12-07T12:00", None, at_place("abbas-araghchi", "doha")),
    ("Lavrov at the Doha Forum on 7 Dec", "2024-12-07T12:00", None, at_place("sergey-lavrov", "doha")),
    ("first reading: Lavrov met his counterparts in Astana in the early hours", "2024-12-08T01:00", FIRST_READING, at_place("sergey-lavrov", "astana")),
    ("first reading: at 21:30 Lavrov is at the Doha Forum's day and the Astana night at once, the contradiction the correction resolves",
     "2024-12-07T21:30", FIRST_READING, maybe_at("sergey-lavrov", "doha", "astana")),
    ("corrected: the ministers met in Doha", "2024-12-08T01:00", None, both(at_place("sergey-lavrov", "doha"), at_place("hakan-fidan", "doha"), at_place("abbas-araghchi", "doha"))),
    ("the meeting does not persist: afterwards the ministers are unknown, last seen in Doha", "2024-12-09T00:00", None,
     both(*(last_seen_at(p, "doha") for p in ("sergey-lavrov", "hakan-fidan", "abbas-araghchi")))),
    ("the Arab envoy left Assad at 4pm on Friday", "2024-12-06T16:00", None, at_place("arab-envoy", "damascus")),
    ("the envoy's visit does not persist: the next day he is unknown, last seen in Damascus", "2024-12-07T12:00", None, last_seen_at("arab-envoy", "damascus")),
    ("Asma's aide landed at an airport the opposition held", "2024-12-09T00:00", None, both(at_place("asma-aide", "damascus-airport"), held("damascus-airport", "opposition-factions"))),
    ("Brig. Gen. Ahmad al-Ali alive when the story opens", "2024-11-26T12:00", None, lambda s: assert_not_equal(False, whereabouts(s, "ahmad-al-ali").get("alive"))),
    ("Ahmad al-Ali died 'before' an article that prints no date: his death is possible, never certain", "2025-01-01T00:00", None,
     lambda s: assert_equal(("possible", True), (whereabouts(s, "ahmad-al-ali")["status"], "al-ali-died" in whereabouts(s, "ahmad-al-ali")["events"]))),
    ("the deputy head of the security committee was killed", "2024-12-01T00:00", None, alive("security-committee-deputy-head", False)),
    # --- units
    ("46th Regiment intact before the offensive", "2024-11-27T00:30", None, unit_state("46th-regiment", "active")),
    # (Its standing was observed until the offensive: after that, unknown or, if it has happened, defeated.)
    ("46th Regiment's defeat possible on 28 Nov", "2024-11-28T12:00", None, unit_maybe("46th-regiment", None, "defeated")),
    ("46th Regiment defeated by the fall of Aleppo", "2024-11-30T00:00", None, unit_state("46th-regiment", "defeated")),
    ("4th Division still exists at 21:30 on 7 Dec", "2024-12-07T21:30", None, unit_state("4th-division", "active")),
    ("the 86th Regiment after its position was stormed: unknown, last seen standing", "2024-12-07T00:00", None, unit_last_seen("86th-regiment", "active")),
    ("4th Division possibly dissolving on 8 Dec", "2024-12-08T12:00", None, unit_maybe("4th-division", None, "dissolved")),
    ("4th Division dissolved within hours", "2024-12-09T00:00", None, unit_state("4th-division", "dissolved")),
    ("the Republican Guard stands on Saturday", "2024-12-07T12:00", None, unit_state("republican-guard", "active")),
    ("the Republican Guard carries its 3am order to withdraw; what followed is not reported", "2024-12-09T00:00", None,
     unit_last_seen("republican-guard", "active", order="withdraw")),
    ("after the regime's end its units' standing is unknown", "2024-12-09T00:00", None,
     both(*(unit_last_seen(u, "active") for u in ("syrian-arab-army", "national-security-bureau", "palace-security")))),
    ("the 4th Division's dissolution is newer than the regime's end: it reads dissolved", "2024-12-10T00:00", None, unit_state("4th-division", "dissolved")),
    # --- calls
    ("the critical call from Moscow had not come at 21:30", "2024-12-07T21:30", None, call("russia", "bashar-al-assad", None)),
    ("the call from Moscow possibly came by 1am", "2024-12-08T01:00", None, call("russia", "bashar-al-assad", "possible")),
    ("the call from Moscow had come by 3am", "2024-12-08T03:00", None, call("russia", "bashar-al-assad", "certain")),
    ("Assad's afternoon calls possibly under way at 3pm", "2024-12-07T15:00", None, call("bashar-al-assad", "bouthaina-shaaban", "possible")),
    ("by 6pm Assad had called Sabbagh, Shaaban, Suleiman and Kinaya", "2024-12-07T18:00", None,
     both(*(call("bashar-al-assad", p, "certain") for p in ("bassam-sabbagh", "bouthaina-shaaban", "darin-suleiman", "lina-kinaya")))),
    ("Lavrov had called Fidan and Araghchi before Hama fell", "2024-12-05T00:00", None,
     both(call("sergey-lavrov", "hakan-fidan", "certain"), call("sergey-lavrov", "abbas-araghchi", "certain"))),
    ("no call between Lavrov and Fidan before the offensive", "2024-11-27T00:30", None, call("sergey-lavrov", "hakan-fidan", None)),
    ("Assad had contacted al-Sudani and bin Zayed by 5 Dec", "2024-12-05T00:00", None,
     both(call("bashar-al-assad", "mohammed-shia-al-sudani", "certain"), call("bashar-al-assad", "mohammed-bin-zayed", "certain"))),
    ("no Erdogan–Putin call is ever recorded", "2025-01-01T00:00", None, no_call_among("recep-tayyip-erdogan", "vladimir-putin", "turkey", "russia")),
    # --- meetings
    ("Assad had not met Araghchi by 1 Dec", "2024-12-01T12:00", None, meeting(["bashar-al-assad", "abbas-araghchi"], None, None)),
    ("Assad met Araghchi on 2 Dec (the article names no place)", "2024-12-03T00:00", None, meeting(["bashar-al-assad", "abbas-araghchi"], None, "certain")),
    ("the Arab envoy's visit had ended by 4pm on 6 Dec", "2024-12-06T16:00", None, meeting(["bashar-al-assad", "arab-envoy"], None, "certain")),
    ("the ministers' meeting possibly under way at 21:30", "2024-12-07T21:30", None, ministers_met("in Doha", "possible")),
    ("the correction keeps 'at night': the ministers had not met at noon on 7 Dec", "2024-12-07T12:00", None,
     lambda s: assert_equal([], meetings_with(s, "sergey-lavrov", "hakan-fidan", "abbas-araghchi"))),
    ("first reading: the ministers' meeting was in Astana", "2024-12-08T12:00", FIRST_READING, ministers_met("in Astana", "certain")),
    ("corrected: the ministers' meeting was in Doha", "2024-12-08T12:00", None, ministers_met("in Doha", "certain")),
    ("the escape arrangements, finalised after the meeting, came before the escape: certain by 3am", "2024-12-08T03:00", None,
     listed("incidents", "escape-arrangements-finalised", "certain")),
    ("the Sunday breakfast with Suleiman never happened", "2024-12-09T00:00", None, meeting(["bashar-al-assad", "darin-suleiman"], None, None)),
    ("Assad reportedly met his security chiefs (Moulhem) on Saturday", "2024-12-08T00:00", None, meeting(["bashar-al-assad", "kifah-moulhem"], None, "certain")),
    ("Moulhem, told to remain at his post, is in Damascus on Saturday; nothing says where after", "2024-12-07T12:00", None, at_place("kifah-moulhem", "damascus")),
    ("Moulhem after Saturday: unknown, last seen in Damascus", "2024-12-10T00:00", None, last_seen_at("kifah-moulhem", "damascus")),
    # --- statements, orders and the speech that never was
    ("the war speech was never given", "2024-12-10T00:00", None, no_assad_statement_from("2024-12-08")),
    ("'Russian support is on its way' is Assad's reassurance, not a fact", "2024-12-07T18:00", None,
     listed("statements", "assad-russian-support-coming", "certain", speaker="bashar-al-assad", kind="reassurance")),
    ("'heart of Damascus by 10pm' is a prediction", "2024-12-08T00:00", None, listed("statements", "ops-source-heart-of-damascus", "certain", kind="prediction")),
    ("the expected Erdogan–Putin call is an analysts' prediction", "2024-12-07T00:00", None, listed("statements", "analysts-predict-pause", "certain", kind="prediction")),
    ("the spokesman denied the UAE visit", "2024-12-08T00:00", None, listed("statements", "spokesman-denies-uae-visit", "certain", kind="denial")),
    ("Washington's first statement came on 1 Dec, not before", "2024-11-30T12:00", None, statement_absent("united-states", "statement")),
    ("Washington's first statement by the end of 1 Dec", "2024-12-02T00:00", None, statement_kinds("united-states", "statement")),
    ("Turkey's threat to intervene is a threat", "2024-12-05T00:00", None, statement_kinds("turkey", "threat")),
    ("the Republican Guard's order had not come at 2:59", "2024-12-08T02:59", None, listed("orders", "republican-guard-ordered-withdraw", None)),
    ("the Republican Guard received orders to withdraw at 3am", "2024-12-08T03:01", None, listed("orders", "republican-guard-ordered-withdraw", "certain")),
    # --- airstrikes, offensives, transfers, appointments
    ("University Square bombed by 3 Dec", "2024-12-03T00:00", None, airstrike_on("aleppo-university-square", "certain", actor="russia")),
    ("the IDP camp in Idlib bombed by 3 Dec", "2024-12-03T00:00", None, airstrike_on("idlib-idp-camp", "certain", actor="russia")),
    ("45 airstrikes on Idlib before Hama fell", "2024-12-06T00:00", None, airstrike_on("idlib", "certain", description_has="45")),
    ("the Rastan bridge not yet bombed on 4 Dec", "2024-12-04T12:00", None, airstrike_on("rastan-bridge", None)),
    ("Russia bombed the Rastan bridge after Hama", "2024-12-07T00:00", None, airstrike_on("rastan-bridge", "certain", actor="russia")),
    ("HTS prepared 'over the past months': when is not known, so the preparations are possible in June 2024", "2024-06-01T00:00", None,
     listed("incidents", "hts-secret-preparations", "possible")),
    ("security forces had started leaving Damascus 'By the evening': possibly already at 3pm, no hour invented", "2024-12-07T15:00", None,
     listed("incidents", "security-forces-withdraw-damascus", "possible")),
    ("the advisors were woken with the news: possibly still at 9am on 8 Dec, no morning hour invented", "2024-12-08T09:00", None,
     listed("incidents", "advisors-woken-with-news", "possible")),
    ("what the aide 'later recalled' has no date: possible a month later", "2025-01-01T00:00", None, listed("statements", "aide-misled-deceived", "possible")),
    ("no offensive before dawn on 27 Nov", "2024-11-27T04:00", None, lambda s: assert_equal([], s["offensives"])),
    ("Operation Deterrence of Aggression launched by 8am", "2024-11-27T08:00", None,
     lambda s: assert_equal([("Operation Deterrence of Aggression", "certain")], [(o["name"], o["status"]) for o in s["offensives"]])),
    ("Daraa operations launched on Friday 6 Dec", "2024-12-07T00:00", None, listed("offensives", "daraa-operations-launched", "certain")),
    ("no handover yet at 21:30 on 7 Dec", "2024-12-07T21:30", None, lambda s: assert_equal([], s["transfers"])),
    ("formal handover from the government to the HTS interim government, undated", "2025-01-01T00:00", None,
     lambda s: assert_equal([("syrian-government", "hts-interim-government", "possible")], [(t["from_actor"], t["to_actor"], t["status"]) for t in s["transfers"]])),
    ("Suhail Hassan appointed to the Northern Front before Hama fell", "2024-12-05T00:00", None,
     lambda s: assert_in(("suhail-hassan", "certain"), [(a["person"], a["status"]) for a in s["appointments"]])),
]


def assert_in(item, collection):
    assert item in collection, collection


def assert_equal(expected, actual):
    assert expected == actual


def assert_not_equal(unexpected, actual):
    assert unexpected != actual


def test_question_set_is_large_enough():
    assert len(QUESTIONS) >= 60


@pytest.mark.parametrize(("question", "at", "as_of", "check"), QUESTIONS, ids=[q[0] for q in QUESTIONS])
def test_chronicle_question(question, at, as_of, check):
    check(state(at, as_of))


def test_state_reports_the_times_asked():
    s = state("2024-12-07T21:30")
    assert "2024-12-07T21:30:00+03:00" == s["valid_at"]
    assert local(s["known_at"]) > local("2026-11-24T13:00:00+00:00")


def test_chronicle_loads_into_a_fresh_log_that_verifies_and_checks_clean(tmp_path):
    db = str(tmp_path / "chrono.db")
    runner = CliRunner()
    created = runner.invoke(main, ["--db", db, "init", "--chronicle", "syria-2024"])
    assert 0 == created.exit_code, created.output
    for command in ("verify", "check"):
        result = runner.invoke(main, ["--db", db, command])
        assert 0 == result.exit_code, f"{command}: {result.output}"
