"""The laws of what the state says, for any log hypothesis can build: an observation holds inside and
only inside its window, last seen is never certain, an actor's end leaves none of its holdings
certain, a contest ends. Each is checked on the fold and on the cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chrono import codec
from chrono.clock import FixedClock
from chrono.entry import Draft
from chrono.store import Log
from chrono.timeval import ValidTime
from events import REGISTRY, ActorDescribed, ActorEnded, ControlChanged, ControlObserved, PersonDescribed, PlaceDescribed, UnitDefeated, UnitDescribed
from projections.cache import key_cell
from projections.query import ensure_cache, knowledge
from projections.rules import CHANNELS, CONTROL, FINAL, OBSERVATION, RULES, UNIT
from projections.world import answer, effects

from . import strategies as s

ZONE = "Asia/Damascus"
OBSERVATIONS = sorted(t for t, r in RULES.items() if r.settles == OBSERVATION)
# Facts of every kind but an actor's end, which the laws that need one draw themselves.
FACTS = sorted(t for t, cls in REGISTRY.items() if not (cls.timeless or cls.correction) and t != "ActorEnded")
CHANGES = sorted(t for t in FACTS if RULES[t].settles != OBSERVATION)
UNIT_OF = {"u0": "a0", "u1": "a1"}


def gazetteer() -> list[Draft]:
    out = [Draft(event=PlaceDescribed(place=p, name=f"Place {p}"), id=f"d-{p}") for p in s.PLACES]
    out += [Draft(event=ActorDescribed(actor=a, name=f"Actor {a}"), id=f"d-{a}") for a in s.ACTORS]
    out += [Draft(event=PersonDescribed(person=h, name=f"Person {h}"), id=f"d-{h}") for h in s.PEOPLE]
    out += [Draft(event=UnitDescribed(unit=u, name=f"Unit {u}", actor=a), id=f"d-{u}") for u, a in UNIT_OF.items()]
    return out


def facts(types: list[str], *, max_size: int = 8):
    return st.lists(st.tuples(st.sampled_from(types).flatmap(lambda t: s.event_of(REGISTRY[t], pooled=True)), s.valid_times()),
                    max_size=max_size)


def log_of(pairs, *extra: Draft) -> Log:
    log = Log.create(":memory:", zone=ZONE, clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC), step=timedelta(seconds=1)))
    log.append(gazetteer())
    log.append([Draft(event=e, valid=v, id=f"f{i}") for i, (e, v) in enumerate(pairs)] + list(extra))
    return log


def answers(log: Log, at: datetime) -> dict[tuple[str, str], tuple]:
    """Every key's (value, status, candidates, settled step's lo) at `at`, from the fold; the cache is
    asked the same and must agree."""
    t = codec.to_micros(at)
    k = knowledge(log, use_cache=False)
    world = k.world(t)
    out = {}
    assert ensure_cache(log)
    position = knowledge(log).position
    for channel, c in CHANNELS.items():
        for key, a in world.answers(channel).items():
            cell, _rank = key_cell(log, channel, key, t, position)
            cached = answer(cell, c.initial) if cell is not None else None
            got = (a.value, a.status, a.candidates, a.settled and a.settled.lo)
            assert cached is None and a.status == "unknown" and not a.events or got == (
                cached.value, cached.status, cached.candidates, cached.settled and cached.settled.lo), (channel, key)
            out[(channel, key)] = got
    return out


def _same(a: dict, b: dict, empty=("unknown",)) -> bool:
    """The same answers, a key one of them lacks reading unknown in the other."""
    for key in set(a) | set(b):
        x, y = a.get(key), b.get(key)
        if x is None or y is None:
            if (x or y)[1] != "unknown":
                return False
        elif x[:3] != y[:3]:
            return False
    return True


@given(facts(FACTS), st.sampled_from(OBSERVATIONS).flatmap(lambda t: s.event_of(REGISTRY[t], pooled=True)), s.valid_times(), s.query_times)
def test_an_observation_holds_inside_its_window_and_changes_nothing_outside_it(pairs, observation, window, at):
    without = answers(log_of(pairs), at)
    got = answers(log_of(pairs, Draft(event=observation, valid=window, id="seen")), at)
    if window.lo <= codec.to_micros(at) < window.hi:
        for channel, key, op in effects(observation):
            _value, status, candidates, _lo = got[(channel, key)]
            # (One candidate is what it observed: for a sighting, the place, whether alive or not.)
            assert status != "unknown" and any(op(c) == c for c in candidates), (channel, key)
    else:
        assert _same(without, got)


@given(facts(OBSERVATIONS), s.query_times)
def test_a_key_only_observed_is_never_certain_outside_every_window(pairs, at):
    t = codec.to_micros(at)
    covered = {(c, k) for e, v in pairs if v.lo <= t < v.hi for c, k, _op in effects(e)}
    got = answers(log_of(pairs), at)
    assert all(status != "certain" or key in covered for key, (_v, status, _c, _lo) in got.items())


after = st.integers(0, 3_000).map(lambda minutes: timedelta(minutes=minutes))


@given(facts(FACTS), s.valid_times(), st.sampled_from(s.ACTORS), st.sampled_from(s.PLACES), st.sets(st.sampled_from(["observed", "contested", "unit"])), after)
def test_an_actors_end_leaves_none_of_its_holdings_or_units_certain(pairs, end, actor, place, also, later):
    # Sometimes, besides: a source says the actor held a place throughout a time that outlasts its
    # end; the actor contested a place before it; one of its units was defeated before it.
    before = ValidTime(earliest=end.earliest - timedelta(days=2), latest=end.earliest - timedelta(days=1), zone=ZONE)
    told = {
        "observed": Draft(event=ControlObserved(place=place, controller=actor), valid=ValidTime(
            earliest=end.earliest - timedelta(days=1), latest=end.latest + timedelta(days=3), zone=ZONE), id="held"),
        "contested": Draft(event=ControlChanged(place=place, controller="a-other", how="contested", contested_with=(actor,)), valid=before, id="fight"),
        "unit": Draft(event=UnitDefeated(unit=next((u for u, a in UNIT_OF.items() if a == actor), "u0")), valid=before, id="defeat"),
    }
    log = log_of(pairs, *(told[k] for k in sorted(also) if k != "unit" or actor in UNIT_OF.values()),
                 Draft(event=ActorEnded(actor=actor), valid=end, id="the-end"))
    for (channel, key), (value, status, _c, settled_lo) in answers(log, end.latest + later).items():
        if status != "certain":
            continue
        # Only something newer than the end says who holds the place (or contests it), or what became
        # of the unit.
        # (A unit defeated or dissolved before the end keeps that state: it had no standing left to end.)
        if channel == CONTROL and actor in (value[0], *value[1]) or channel == UNIT and UNIT_OF.get(key) == actor and value not in FINAL:
            assert settled_lo is not None and settled_lo > end.lo, (channel, key)


@given(facts(CHANGES), st.sampled_from(s.PLACES), st.sampled_from(s.ACTORS), after)
def test_a_contest_ends_with_a_capture_later_than_every_other_change(pairs, place, captor, later):
    last = max((v.hi for _e, v in pairs), default=codec.to_micros(s.BASE))
    start = s.BASE + timedelta(microseconds=last - codec.to_micros(s.BASE))
    capture = ValidTime(earliest=start, latest=start + timedelta(minutes=1), zone=ZONE)
    log = log_of(pairs, Draft(event=ControlChanged(place=place, controller=captor, how="captured"), valid=capture, id="capture"))
    assert ((captor, ()), "certain") == answers(log, capture.latest + later)[(CONTROL, place)][:2]
