"""What each event type says, for people and programs: its description, and each field's plain type
("entity of kind place", "list of texts", "number from -90 to 90") and description, read from the
attrs metadata that every field's helper in `_base` and `_types` records. `chrono types`, `append TYPE
--help` and `correct --help` all say what these say."""

from __future__ import annotations

import re
from typing import Any

import attrs

from ._base import ANY, Event


@attrs.frozen
class FieldInfo:
    """One field of an event type as a user types it: `--option value` on the command line, `name` in
    JSON; its plain type, whether it must be given, its default, its choices, and what it means."""

    name: str
    type: str
    required: bool
    default: Any
    description: str
    choices: tuple[str, ...] | None = None
    entity_kind: str | None = None  # for a field naming entities: place, person, actor, unit, or "any"
    many: bool = False  # a list
    form: str = "text"  # what its helper recorded: ref, text, texts, number, whole, event-id, event

    @property
    def words(self) -> bool:
        """Whether it holds words of a source's or chronicler's own (free text, not a choice): what a
        search reads."""
        return self.form in ("text", "texts") and not self.choices

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    def json(self) -> dict:
        return {"name": self.name, "option": self.option, "type": self.type, "required": self.required, "default": self.default,
                "choices": list(self.choices) if self.choices else None, "entity_kind": self.entity_kind, "list": self.many,
                "description": self.description}


def _plain_type(a: attrs.Attribute) -> str:
    """A field's type in words, from the form its helper recorded."""
    m = a.metadata
    form = m.get("form")
    if form == "ref":
        kind = m["ref"]
        if m.get("declares"):
            return f"id of the {kind} described"
        what = "entities" if m.get("many") else "entity"
        return f"list of {what} of any kind" if m.get("many") and kind == ANY else \
            f"{'list of ' if m.get('many') else ''}{what} of {'any kind' if kind == ANY else 'kind ' + kind}"
    if form == "text":
        return "one of: " + ", ".join(m["choices"]) if m.get("choices") else "text"
    if form == "texts":
        return "list of texts"
    if form in ("number", "whole"):
        low, high = m["range"]
        return f"{'number' if form == 'number' else 'whole number'} from {low:g} to {high:g}"
    if form == "event-id":
        return "event id"
    if form == "event":
        return "event (of the corrected entry's type)"
    raise AssertionError(f"{a.name}: a field of no known form ({form!r})")


def _default(a: attrs.Attribute) -> Any:
    if a.default is attrs.NOTHING:
        return None
    return list(a.default) if isinstance(a.default, tuple) else a.default


def fields_of(cls: type[Event]) -> tuple[FieldInfo, ...]:
    """Every field of an event type, in order, described."""
    return tuple(
        FieldInfo(name=a.name, type=_plain_type(a), required=a.default is attrs.NOTHING, default=_default(a),
                  description=a.metadata.get("doc", ""), choices=a.metadata.get("choices") or None,
                  entity_kind=a.metadata.get("ref"), many=bool(a.metadata.get("many")) or a.metadata.get("form") == "texts",
                  form=a.metadata["form"])
        for a in attrs.fields(cls))


def description_of(cls: type[Event]) -> str:
    """What an event type means: the first paragraph of its docstring, on one line."""
    doc = (cls.__doc__ or "").strip()  # (a class's docstring is its own: never inherited)
    return " ".join(re.split(r"\n\s*\n", doc)[0].split())


def summary_of(cls: type[Event]) -> str:
    """The first sentence of `description_of`: what a list of types shows."""
    text = description_of(cls)
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def type_json(cls: type[Event]) -> dict:
    return {"type": cls.type_name, "version": cls.version, "timeless": cls.timeless, "correction": cls.correction,
            "description": description_of(cls), "fields": [f.json() for f in fields_of(cls)]}
