"""The shared strategies draw every registered event type, so that no type escapes the properties."""

from __future__ import annotations

import contextlib

import attrs
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from events import REGISTRY, entity_refs

from . import strategies as s

FACTS = sorted(name for name, cls in REGISTRY.items() if not cls.timeless and not cls.correction)


@pytest.mark.parametrize("type_name", sorted(REGISTRY))
@pytest.mark.parametrize("pooled", [False, True])
def test_every_registered_event_type_has_a_strategy(type_name, pooled):
    cls = REGISTRY[type_name]

    @settings(max_examples=5)
    @given(s.event_of(cls, pooled=pooled))
    def check(ev):
        assert cls is type(ev)

    check()


def test_a_field_of_a_form_without_a_strategy_is_refused():
    @attrs.frozen
    class Odd:
        when: str = attrs.field(metadata={"form": "a form nobody knows"})
        who: str = attrs.field(metadata={"form": "ref", "ref": "a kind nobody knows", "many": False})

    for a in attrs.fields(Odd):
        with pytest.raises(ValueError, match="no strategy|no pool"):
            s.field_strategy(a, pooled=True)


@pytest.mark.parametrize("strategy", ["world_events", "fact_drafts"])
def test_the_world_strategies_draw_every_fact_type_and_nothing_else(strategy):
    """The types of fact drawn, before every type the registry holds has been (or a thousand examples
    have been drawn), are exactly those: no description, no correction, no type left out."""
    types = s.world_events.map(lambda ev: {ev.type_name}) if strategy == "world_events" else s.fact_drafts().map(lambda ds: {d.event.type_name for d in ds})
    seen: set[str] = set()
    with contextlib.suppress(NoSuchExample):
        find(types, lambda names: bool(seen.update(names)) or seen >= set(FACTS),
             settings=settings(database=None, max_examples=1000, phases=[Phase.generate]))
    assert set(FACTS) == seen

    @given(types)
    def only_facts(names):
        assert names <= set(FACTS)

    only_facts()


@given(st.data())
def test_the_drawn_facts_name_only_the_pooled_entities(data):
    """A few entities, so that facts collide on the same keys."""
    pool = {*s.PLACES, *s.ACTORS, *s.PEOPLE, *s.UNITS}
    ev = data.draw(s.world_events)
    assert {v for _, _, v in entity_refs(ev)} <= pool
