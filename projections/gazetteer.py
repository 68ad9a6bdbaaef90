"""The gazetteer: every place, person, actor and unit the log describes, with lookup by id or alias."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable

import attrs

from chrono.errors import UnknownEntityError
from events import ANY

from .resolve import Fact
from .rules import DESCRIPTIONS

# The field of a description naming the actor an entity of its kind belongs to (a unit's army).
MEMBER_OF = {d.kind: d.member_of for d in DESCRIPTIONS.values() if d.member_of}


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


def entity_of(event_id: str, type_name: str, fields) -> Entity | None:
    """The entity a description says (None for any other event), from its fields: an event's
    attributes or its payload as stored (lists read as tuples)."""
    d = DESCRIPTIONS.get(type_name)
    if d is None:
        return None
    details = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items() if k not in (d.id_field, "name", "aliases")}
    return Entity(id=fields[d.id_field], kind=d.kind, name=fields["name"], aliases=tuple(fields.get("aliases", ())),
                  details=details, event=event_id)


class Naming:
    """How a document names the entities it mentions: by name (an undescribed one by its id), with its
    kind and the actor it belongs to, from whatever `_said` knows of each: (kind, name, actor)."""

    def _said(self, entity_id: str) -> tuple[str, str, str | None] | None:
        raise NotImplementedError

    def name(self, entity_id: str | None) -> str | None:
        if entity_id is None:
            return None
        got = self._said(entity_id)
        return got[1] if got else entity_id

    def kind(self, entity_id: str) -> str | None:
        got = self._said(entity_id)
        return got[0] if got else None

    def actor(self, entity_id: str) -> str | None:
        """The actor a unit belongs to (None for anything else, or when its description says none)."""
        got = self._said(entity_id)
        return got[2] if got and got[0] in MEMBER_OF else None


class Gazetteer(Naming):
    """Every place, person, actor and unit the log describes, by id, with lookup by name or alias."""

    def __init__(self, entities: Iterable[Entity] = ()):
        self.by_id: dict[str, Entity] = {}
        for e in entities:
            self.by_id[e.id] = e
        self._known: dict[str, tuple[str, str, str | None] | None] = {}  # what `_said` has worked out

    @classmethod
    def from_facts(cls, facts: Iterable[Fact]) -> Gazetteer:
        found = (entity_of(f.id, f.type_name, {a.name: getattr(f.event, a.name) for a in attrs.fields(type(f.event))})
                 for f in facts if f.type_name in DESCRIPTIONS)
        return cls(e for e in found if e is not None)

    @classmethod
    def from_payloads(cls, rows: Iterable[tuple[str, str, dict]]) -> Gazetteer:
        """From (event id, type name, payload) of descriptions as stored: no event objects needed."""
        found = (entity_of(event_id, type_name, payload) for event_id, type_name, payload in rows)
        return cls(e for e in found if e is not None)

    def _said(self, entity_id: str) -> tuple[str, str, str | None] | None:
        try:
            return self._known[entity_id]  # (an export names the same entities a million times)
        except KeyError:
            pass
        e = self.by_id.get(entity_id)
        if e is None:
            said = None
        else:
            member_of = MEMBER_OF.get(e.kind)
            said = e.kind, e.name, e.details.get(member_of) if member_of else None
        self._known[entity_id] = said
        return said

    def __contains__(self, entity_id: str) -> bool:
        return entity_id in self.by_id

    def __iter__(self):
        return iter(sorted(self.by_id.values(), key=lambda e: (e.kind, e.id)))

    def within(self, place: str) -> list[str]:
        """`place` and the places it lies within, innermost first, as the descriptions' `within` say."""
        out, cur = [], place
        while cur and cur not in out:
            out.append(cur)
            e = self.by_id.get(cur)
            cur = e.details.get("within") if e else None
        return out

    def members(self, actor: str) -> list[str]:
        """The entities that belong to `actor` (a unit to its army), by id."""
        return sorted(e.id for e in self.by_id.values() if e.kind in MEMBER_OF and self.actor(e.id) == actor)

    def of_kind(self, kind: str) -> list[Entity]:
        return [e for e in self if e.kind == kind]

    def fits(self, entity_id: str, kind: str) -> bool:
        """Whether `entity_id` is described, as an entity of `kind` (of any kind for ANY)."""
        e = self.by_id.get(entity_id)
        return e is not None and kind in (ANY, e.kind)

    def suggest(self, text: str, kind: str | None = None, n: int = 3) -> list[Entity]:
        """The entities of `kind` (None or ANY: every kind) whose id, name or an alias `text` most
        resembles, best first: what a mistyped name was probably meant to be."""
        candidates: dict[str, Entity] = {}
        for e in self.by_id.values():
            if kind in (None, ANY, e.kind):
                for label in (e.id, *(fold_key(x) for x in (e.name, *e.aliases))):
                    candidates.setdefault(label, e)
        out: list[Entity] = []
        for label in difflib.get_close_matches(fold_key(text) or text, candidates, n=4 * n, cutoff=0.6):
            if candidates[label] not in out:
                out.append(candidates[label])
        return out[:n]

    def did_you_mean(self, text: str, kind: str | None = None) -> str:
        """"did you mean 'aleppo' (Aleppo)?" for a name no entity of `kind` has; "" when nothing is close."""
        close = self.suggest(text, kind)
        if not close:
            return ""
        return "did you mean " + " or ".join(f"{e.id!r} ({e.name})" if e.name != e.id else repr(e.id) for e in close) + "?"

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
            hint = self.did_you_mean(text, kind)
            raise UnknownEntityError(f"no {what} called {text!r}; {hint + ' ' if hint else ''}`chrono entities` lists them all")
        names = ", ".join(sorted(f"{e.id} ({e.name})" for e in partial)[:8])
        raise UnknownEntityError(f"{text!r} could be any of: {names}; use the id")


class Names(Naming):
    """What a document says of the entities it mentions, and no more: each one's kind, name and the
    actor it belongs to, from the cache's rows of their descriptions (`cache.names_of`) rather than
    from the descriptions themselves."""

    def __init__(self, rows: Iterable[tuple[str, str, str, str | None]] = ()):
        self._by_id: dict[str, tuple[str, str, str | None]] = {}
        self.update(rows)

    def update(self, rows: Iterable[tuple[str, str, str, str | None]]) -> None:
        """Learn (id, kind, name, actor) rows, in log order: a later description of an entity wins."""
        for entity_id, kind, name, actor in rows:
            self._by_id[entity_id] = (kind, name, actor)

    def _said(self, entity_id: str) -> tuple[str, str, str | None] | None:
        return self._by_id.get(entity_id)
