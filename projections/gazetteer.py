"""The gazetteer: every place, person, actor and unit the log describes, with lookup by id or alias."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import attrs

from chrono.errors import UnknownEntityError
from events import ActorDescribed, PersonDescribed, PlaceDescribed, UnitDescribed

from .resolve import Fact

_KIND_OF = {PlaceDescribed: ("place", "place"), PersonDescribed: ("person", "person"), ActorDescribed: ("actor", "actor"), UnitDescribed: ("unit", "unit")}


@attrs.frozen(kw_only=True)
class Entity:
    id: str
    kind: str  # place | person | actor | unit
    name: str
    aliases: tuple[str, ...]
    details: dict  # the description's other fields (coordinates, roles, kind of place, ...)
    event: str  # the description's event id


def fold_key(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form for matching names ("Erdoğan" == "erdogan")."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() else " " for c in stripped.casefold()).split())


class Gazetteer:
    def __init__(self, entities: Iterable[Entity] = ()):
        self.by_id: dict[str, Entity] = {}
        for e in entities:
            self.by_id[e.id] = e

    @classmethod
    def from_facts(cls, facts: Iterable[Fact]) -> Gazetteer:
        out = []
        for f in facts:
            spec = _KIND_OF.get(type(f.event))
            if spec is None:
                continue
            kind, id_field = spec
            ev = f.event
            details = {a.name: getattr(ev, a.name) for a in attrs.fields(type(ev)) if a.name not in (id_field, "name", "aliases")}
            out.append(Entity(id=getattr(ev, id_field), kind=kind, name=ev.name, aliases=ev.aliases, details=details, event=f.id))
        return cls(out)

    @classmethod
    def from_payloads(cls, rows: Iterable[tuple[str, str, dict]]) -> Gazetteer:
        """From (event id, type name, payload) of descriptions as stored: no event objects needed."""
        by_type = {c.type_name: spec for c, spec in _KIND_OF.items()}
        out = []
        for event_id, type_name, payload in rows:
            spec = by_type.get(type_name)
            if spec is None:
                continue
            kind, id_field = spec
            details = {k: tuple(v) if isinstance(v, list) else v for k, v in payload.items() if k not in (id_field, "name", "aliases")}
            out.append(Entity(id=payload[id_field], kind=kind, name=payload["name"], aliases=tuple(payload.get("aliases", ())), details=details, event=event_id))
        return cls(out)

    def __contains__(self, entity_id: str) -> bool:
        return entity_id in self.by_id

    def __iter__(self):
        return iter(sorted(self.by_id.values(), key=lambda e: (e.kind, e.id)))

    def name(self, entity_id: str | None) -> str | None:
        if entity_id is None:
            return None
        e = self.by_id.get(entity_id)
        return e.name if e else entity_id

    def kind(self, entity_id: str) -> str | None:
        e = self.by_id.get(entity_id)
        return e.kind if e else None

    def actor(self, entity_id: str) -> str | None:
        """The actor a unit belongs to (None for anything else, or when its description says none)."""
        e = self.by_id.get(entity_id)
        return e.details.get("actor") if e and e.kind == "unit" else None

    def of_kind(self, kind: str) -> list[Entity]:
        return [e for e in self if e.kind == kind]

    def lookup(self, text: str, kind: str | None = None) -> Entity:
        """Find an entity by id, name or alias; a unique partial match of a name or alias is enough."""
        candidates = [e for e in self.by_id.values() if kind in (None, "any", e.kind)]
        if text in self.by_id and (kind in (None, "any") or self.by_id[text].kind == kind):
            return self.by_id[text]
        key = fold_key(text)
        if not key:
            raise UnknownEntityError(f"{text!r} names no entity")
        exact = [e for e in candidates if key in {fold_key(n) for n in (e.name, *e.aliases)}]
        if len(exact) == 1:
            return exact[0]
        partial = exact or [
            e for e in candidates if any(f" {key} " in f" {fold_key(n)} " for n in (e.name, *e.aliases, e.id.replace("-", " ")))
        ]
        if len(partial) == 1:
            return partial[0]
        what = kind if kind not in (None, "any") else "entity"
        if not partial:
            raise UnknownEntityError(f"no {what} called {text!r}; `chrono entities` lists them all")
        names = ", ".join(sorted(f"{e.id} ({e.name})" for e in partial)[:8])
        raise UnknownEntityError(f"{text!r} could be any of: {names}; use the id")


class Names:
    """What a document says of the entities it mentions, and no more: each one's kind, name and (a
    unit's) actor, as `Gazetteer` says them, from the cache's rows of their descriptions
    (`cache.names_of`) rather than from the descriptions themselves."""

    def __init__(self, rows: Iterable[tuple[str, str, str, str | None]] = ()):
        self._by_id: dict[str, tuple[str, str, str | None]] = {}
        self.update(rows)

    def update(self, rows: Iterable[tuple[str, str, str, str | None]]) -> None:
        """Learn (id, kind, name, actor) rows, in log order: a later description of an entity wins."""
        for entity_id, kind, name, actor in rows:
            self._by_id[entity_id] = (kind, name, actor)

    def name(self, entity_id: str | None) -> str | None:
        if entity_id is None:
            return None
        got = self._by_id.get(entity_id)
        return got[1] if got else entity_id

    def kind(self, entity_id: str) -> str | None:
        got = self._by_id.get(entity_id)
        return got[0] if got else None

    def actor(self, entity_id: str) -> str | None:
        got = self._by_id.get(entity_id)
        return got[2] if got and got[0] == "unit" else None
