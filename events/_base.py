"""The machinery every event type shares: registration, entity references, sources."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import attrs

ENTITY_KINDS = ("place", "person", "actor", "unit")
# A reference that may name an entity of any kind (a call from "Moscow" is a call from an actor or a place).
ANY = "any"

# What an entity id and an event id are: a str is one exactly when the pattern matches it (`.match`).
# `valid_entity_id` and `valid_event_id` say so of any value; a reader that has already found a value
# to be a str may call the pattern's `match` itself (the codec's generated readers do, per field).
ENTITY_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")
EVENT_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")

REGISTRY: dict[str, type[Event]] = {}


def valid_entity_id(value: str) -> bool:
    return isinstance(value, str) and bool(ENTITY_ID_RE.match(value))


def valid_event_id(value: str) -> bool:
    return isinstance(value, str) and bool(EVENT_ID_RE.match(value))


def _check_id(_inst: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value is None:
        return
    if attribute.metadata.get("many") and not isinstance(value, tuple):
        raise TypeError(f"{attribute.name}: expected a list of ids, got {type(value).__name__}")
    values = value if isinstance(value, tuple) else (value,)
    for v in values:
        if not valid_entity_id(v):
            raise ValueError(
                f"{attribute.name}: {v!r} is not an entity id "
                "(lower-case letters, digits, '.', '_' or '-', at most 128 characters)"
            )


# Every field names its form in metadata["form"] ("ref", "text", "texts", and in _types "number", "whole",
# "event-id", "event"), with whatever the form's checks depend on beside it, so that a reader of JSON can
# apply the same checks as these validators without going through them one call at a time; and what it
# means in metadata["doc"], which `_schema` gives to help and `chrono types`.


def ref(kind: str, doc: str, *, optional: bool = False, many: bool = False, default: Any = attrs.NOTHING) -> Any:
    """A field that refers to entities of `kind` by id; the kind is kept for checks and alias lookup."""
    if many and default is attrs.NOTHING:
        default = ()
    elif optional and default is attrs.NOTHING:
        default = None
    return attrs.field(
        default=default,
        validator=_check_id,
        converter=_to_tuple if many else None,
        metadata={"form": "ref", "ref": kind, "many": many, "doc": doc},
    )


def declares(kind: str, doc: str) -> Any:
    """The id field of an entity description: it names a new entity rather than referring to one."""
    return attrs.field(validator=_check_id, metadata={"form": "ref", "ref": kind, "many": False, "declares": True, "doc": doc})


def _to_tuple(value: Any) -> Any:
    # A list becomes a tuple; anything else is left for the validator to refuse ("abc" is not a list).
    return tuple(value) if isinstance(value, list) else value


def text(doc: str, *, optional: bool = False, choices: tuple[str, ...] | None = None, default: Any = attrs.NOTHING) -> Any:
    """A free-text field; with `choices`, one of a closed vocabulary."""
    if optional and default is attrs.NOTHING:
        default = None
    validators = [attrs.validators.optional(attrs.validators.instance_of(str))]
    if choices:
        validators.append(attrs.validators.optional(attrs.validators.in_(choices)))
    if not optional and default is attrs.NOTHING:
        validators.append(_non_empty)
    return attrs.field(default=default, validator=validators, metadata={"form": "text", "choices": choices, "doc": doc})


def texts(doc: str) -> Any:
    return attrs.field(default=(), converter=_to_tuple, validator=attrs.validators.deep_iterable(
        attrs.validators.instance_of(str), iterable_validator=attrs.validators.instance_of(tuple)),
        metadata={"form": "texts", "doc": doc})


def _non_empty(_inst: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value is not None and not value.strip():
        raise ValueError(f"{attribute.name} must not be empty")


class Event:
    """Base of every event payload. Subclasses are registered with `@event(name, version)`."""

    type_name: ClassVar[str]
    version: ClassVar[int]
    # Descriptions of entities hold outside valid time; facts must say when they happened.
    timeless: ClassVar[bool] = False
    # Corrections act on other log entries rather than on the world.
    correction: ClassVar[bool] = False


def event(name: str, version: int = 1, *, timeless: bool = False, correction: bool = False):
    """Register an attrs-frozen event class under a stable name and schema version."""

    def wrap(cls: type) -> type:
        if name in REGISTRY:
            raise ValueError(f"event type {name} registered twice")
        cls = attrs.frozen(kw_only=True)(cls)
        # Real types rather than strings, so every reader of the fields sees the same thing.
        attrs.resolve_types(cls)
        cls.type_name = name
        cls.version = version
        cls.timeless = timeless
        cls.correction = correction
        REGISTRY[name] = cls
        return cls

    return wrap


@attrs.frozen(kw_only=True)
class Source:
    """Where a fact comes from: the outlet, who it attributes it to, and the words it rests on."""

    outlet: str = attrs.field(validator=[attrs.validators.instance_of(str), _non_empty])
    title: str | None = None
    attribution: str | None = None
    quote: str | None = None
    url: str | None = None


def ref_fields(cls: type[Event]) -> tuple[tuple[str, str, bool], ...]:
    """(field, kind, many) of every field by which events of `cls` refer to entities, in field order (a
    description's own id, which declares an entity rather than referring to one, is not among them)."""
    fields = _REF_FIELDS.get(cls)
    if fields is None:
        fields = _REF_FIELDS[cls] = tuple(
            (a.name, a.metadata["ref"], bool(a.metadata.get("many"))) for a in attrs.fields(cls)
            if a.metadata.get("ref") is not None and not a.metadata.get("declares"))
    return fields


def entity_refs(ev: Event) -> list[tuple[str, str, str]]:
    """Every (field, kind, id) that `ev` refers to."""
    out = []
    for name, kind, many in _REF_FIELDS.get(type(ev)) or ref_fields(type(ev)):
        value = getattr(ev, name)
        if value is None:
            continue
        if many:
            out.extend((name, kind, v) for v in value)
        else:
            out.append((name, kind, value))
    return out


_REF_FIELDS: dict[type, tuple[tuple[str, str, bool], ...]] = {}  # by event class: its fields that name entities
