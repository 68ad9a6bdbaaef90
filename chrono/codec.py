"""The one converter between event objects and JSON, the canonical encoding the hash chain rests on,
and the upcasters that let old logs keep replaying after an event type changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import cattrs
import orjson
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn

from events import REGISTRY, Event, EventCorrected, Source

from .entry import Draft, Entry
from .errors import InvalidEventError, TimeLiteralError
from .timeval import PRECISIONS, ValidTime, from_micros, parse_valid_time, to_micros

# (type name, stored version) -> function turning that version's payload into the next version's.
Upcaster = Callable[[dict], dict]
UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def upcaster(type_name: str, from_version: int):
    def wrap(fn: Upcaster) -> Upcaster:
        UPCASTERS[(type_name, from_version)] = fn
        return fn

    return wrap


@upcaster("PersonMoved", 1)
def _person_moved_v1(payload: dict) -> dict:
    # Version 1 named the ends of a move `destination` and `origin`, and had no companions.
    out = dict(payload)
    out["to_place"] = out.pop("destination")
    if "origin" in out:
        out["from_place"] = out.pop("origin")
    return out


def upcast(type_name: str, version: int, payload: dict) -> dict:
    cls = REGISTRY[type_name]
    if version > cls.version:
        raise InvalidEventError(f"{type_name} version {version} is newer than this Chrono knows ({cls.version})")
    while version < cls.version:
        step = UPCASTERS.get((type_name, version))
        if step is None:
            raise InvalidEventError(f"no upcaster for {type_name} version {version}")
        payload = step(payload)
        version += 1
    return payload


# --- the converter ---------------------------------------------------------------------------------

converter = cattrs.Converter(forbid_extra_keys=True)


def _strict(kind: type, accept: tuple[type, ...]):
    def hook(value: Any, _t: Any) -> Any:
        if isinstance(value, bool) and kind is not bool or not isinstance(value, accept):
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
        return kind(value)

    return hook


converter.register_structure_hook(str, _strict(str, (str,)))
converter.register_structure_hook(int, _strict(int, (int,)))
converter.register_structure_hook(float, _strict(float, (int, float)))
converter.register_structure_hook(bool, _strict(bool, (bool,)))


def _structure_texts(value: Any, _t: Any) -> tuple[str, ...]:
    # cattrs would happily turn "abc" into ("a", "b", "c"); a list field takes a list.
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return tuple(_strict(str, (str,))(v, str) for v in value)


converter.register_structure_hook_func(lambda t: t == tuple[str, ...], _structure_texts)


def _unstructure_any_event(ev: Event) -> dict:
    return {"type": ev.type_name, **converter.unstructure(ev, unstructure_as=type(ev))}


def _structure_any_event(value: Any, _t: Any) -> Event:
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        raise TypeError("an embedded event needs an object with a 'type'")
    payload = dict(value)
    type_name = payload.pop("type")
    version = payload.pop("version", None)
    return structure_event(type_name, version, payload)


converter.register_unstructure_hook_func(lambda t: t is Event, _unstructure_any_event)
converter.register_structure_hook_func(lambda t: t is Event, _structure_any_event)
for _cls in REGISTRY.values():
    converter.register_unstructure_hook(_cls, make_dict_unstructure_fn(_cls, converter))
    converter.register_structure_hook(_cls, make_dict_structure_fn(_cls, converter, _cattrs_forbid_extra_keys=True))
converter.register_structure_hook(Source, make_dict_structure_fn(Source, converter, _cattrs_forbid_extra_keys=True))


def _format_exception(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, (ValueError, TypeError)) and exc.args and isinstance(exc.args[0], str):
        return exc.args[0]
    return cattrs.v.format_exception(exc, type_)


def _explain(exc: BaseException) -> str:
    if isinstance(exc, cattrs.BaseValidationError):
        return "; ".join(cattrs.transform_error(exc, path="event", format_exception=_format_exception))
    return str(exc)


def structure_event(type_name: str, version: int | None, payload: Any) -> Event:
    """Build an event from its JSON payload, upcasting old versions; raises InvalidEventError."""
    cls = REGISTRY.get(type_name) if isinstance(type_name, str) else None
    if cls is None:
        known = ", ".join(sorted(REGISTRY))
        raise InvalidEventError(f"unknown event type {type_name!r}; known types: {known}")
    if not isinstance(payload, dict):
        raise InvalidEventError(f"{type_name}: the event must be a JSON object")
    if version is None:
        version = cls.version
    elif isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidEventError(f"{type_name}: version must be a positive integer")
    try:
        payload = upcast(type_name, version, payload)
    except InvalidEventError:
        raise
    except Exception as e:  # an upcaster meeting a payload its version never had
        raise InvalidEventError(f"{type_name} version {version}: cannot upgrade this payload ({type(e).__name__}: {e})") from e
    try:
        # The attrs validators check every field; cattrs below only runs to explain a refusal (or to
        # build an embedded replacement event), and builds the same object when it succeeds.
        return cls(**payload)
    except Exception:
        pass
    try:
        return converter.structure(payload, cls)
    except InvalidEventError:
        raise
    except Exception as e:  # cattrs and attrs validators raise many kinds; all mean the payload is bad
        raise InvalidEventError(f"{type_name}: {_explain(e)}") from e


def decode_stored(type_name: str, version: int, body: str | bytes) -> Event:
    """An event read back from the log, which validated it on the way in and guards it with the hash
    chain: built without re-running the validators. Anything unusual takes the checked path."""
    cls = REGISTRY.get(type_name)
    if cls is not None and version == cls.version and cls is not EventCorrected:
        payload = loads(body)
        attrs.validators.set_disabled(True)
        try:
            return cls(**payload)
        except Exception:
            pass
        finally:
            attrs.validators.set_disabled(False)
        return structure_event(type_name, version, payload)
    return structure_event(type_name, version, loads(body))


def decode_sources(text: str | bytes) -> tuple[Source, ...]:
    """Stored sources, trusted like `decode_stored`."""
    items = loads(text)
    attrs.validators.set_disabled(True)
    try:
        return tuple(Source(**d) for d in items)
    except Exception:
        pass
    finally:
        attrs.validators.set_disabled(False)
    return structure_sources(items)


def unstructure_event(ev: Event) -> dict:
    return converter.unstructure(ev, unstructure_as=type(ev))


def structure_sources(value: Any) -> tuple[Source, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidEventError("sources must be a list of objects with at least an 'outlet'")
    try:
        return tuple(Source(**v) for v in value)
    except Exception:
        pass
    try:
        return tuple(converter.structure(v, Source) for v in value)
    except Exception as e:
        raise InvalidEventError(f"sources: {_explain(e).replace('$', 'source')}") from e


_SOURCE_FIELDS = tuple(a.name for a in attrs.fields(Source))


def unstructure_sources(sources: tuple[Source, ...]) -> list[dict]:
    return [{k: v for k in _SOURCE_FIELDS if (v := getattr(s, k)) is not None} for s in sources]


# --- canonical encoding ----------------------------------------------------------------------------


def canonical(obj: Any) -> str:
    """The one byte-exact JSON form that hashes are computed over: sorted keys, no spaces, UTF-8."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode()


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)


def valid_meta(valid: ValidTime | None) -> str | None:
    if valid is None:
        return None
    return canonical({"precision": valid.precision, "zone": valid.zone, "wording": valid.wording, "qualifier": valid.qualifier})


def valid_from_columns(lo: int | None, hi: int | None, meta: str | None) -> ValidTime | None:
    if lo is None:
        return None
    m = loads(meta)
    return ValidTime(earliest=from_micros(lo), latest=from_micros(hi), precision=m["precision"], zone=m["zone"], wording=m.get("wording"), qualifier=m.get("qualifier"))


# --- the JSON form users write and `export` produces -----------------------------------------------


def valid_to_json(valid: ValidTime | None) -> dict | None:
    if valid is None:
        return None
    out = {"earliest": valid.earliest.isoformat(), "latest": valid.latest.isoformat(), "precision": valid.precision, "zone": valid.zone}
    if valid.wording is not None:
        out["wording"] = valid.wording
    if valid.qualifier is not None:
        out["qualifier"] = valid.qualifier
    return out


def valid_from_json(value: Any, zone: str) -> ValidTime | None:
    """A valid time as users write it: a literal, {"literal", "wording"}, or the explicit export form."""
    if value is None:
        return None
    if isinstance(value, str):
        return parse_valid_time(value, zone)
    if not isinstance(value, dict):
        raise InvalidEventError("valid must be a time literal or an object")
    extra = set(value) - {"literal", "wording", "zone", "earliest", "latest", "precision", "qualifier"}
    if extra:
        raise InvalidEventError(f"valid: unknown keys {sorted(extra)}")
    wording = value.get("wording")
    if wording is not None and not isinstance(wording, str):
        raise InvalidEventError("valid.wording must be text")
    stated_zone = value.get("zone", zone)
    if not isinstance(stated_zone, str):
        raise InvalidEventError("valid.zone must be an IANA zone name")
    if "literal" in value:
        if not isinstance(value["literal"], str):
            raise InvalidEventError("valid.literal must be a time literal")
        return parse_valid_time(value["literal"], stated_zone, wording)
    try:
        from datetime import datetime

        lo = datetime.fromisoformat(value["earliest"])
        hi = datetime.fromisoformat(value["latest"])
        if lo.tzinfo is None or hi.tzinfo is None:
            raise ValueError("earliest and latest need an offset")
        precision = value.get("precision", "interval")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}")
        return ValidTime(earliest=lo, latest=hi, precision=precision, zone=stated_zone, wording=wording, qualifier=value.get("qualifier"))
    except KeyError as e:
        raise InvalidEventError(f"valid: missing {e.args[0]!r}") from e
    except (TypeError, ValueError) as e:
        message = e.args[0] if e.args and isinstance(e.args[0], str) else str(e)
        raise InvalidEventError(f"valid: {message}") from e


_DRAFT_KEYS = {"id", "type", "version", "valid", "event", "sources", "after", "before"}
_STORED_KEYS = {"seq", "recorded", "prev_hash", "hash"}


def draft_from_json(obj: Any, zone: str, *, allow_stored: bool = False) -> tuple[Draft, dict]:
    """Read one event as a user or an export wrote it. Returns the draft and any stored-log fields
    (seq, recorded, hashes), which only `import` may use."""
    if not isinstance(obj, dict):
        raise InvalidEventError("each event must be a JSON object")
    allowed = _DRAFT_KEYS | (_STORED_KEYS if allow_stored else set())
    extra = set(obj) - allowed
    if extra & _STORED_KEYS:
        raise InvalidEventError(
            "recorded time, position and hashes are set by the log; use `chrono import` to move a whole log"
        )
    if extra:
        raise InvalidEventError(f"unknown keys {sorted(extra)}; an event has {', '.join(sorted(_DRAFT_KEYS))}")
    if "type" not in obj:
        raise InvalidEventError("missing 'type'")
    event = structure_event(obj["type"], obj.get("version"), obj.get("event", {}))
    try:
        valid = valid_from_json(obj.get("valid"), zone)
    except TimeLiteralError as e:
        raise InvalidEventError(f"valid: {e}") from e
    ids = {}
    for key in ("after", "before"):
        value = obj.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidEventError(f"{key} must be a list of event ids")
        ids[key] = tuple(value)
    event_id = obj.get("id")
    if event_id is not None and not isinstance(event_id, str):
        raise InvalidEventError("id must be text")
    draft = Draft(event=event, valid=valid, sources=structure_sources(obj.get("sources")), id=event_id, **ids)
    return draft, {k: obj[k] for k in _STORED_KEYS if k in obj}


def entry_to_json(entry: Entry) -> dict:
    """The lossless export form of a stored entry (what `import` reads back)."""
    return {
        "seq": entry.seq,
        "id": entry.id,
        "type": entry.type_name,
        # An entry written by an older schema is exported as stored, so its hash still holds.
        "version": entry.version if entry.stored_payload is not None else entry.event.version,
        "valid": valid_to_json(entry.valid),
        "event": entry.stored_payload if entry.stored_payload is not None else unstructure_event(entry.event),
        "sources": unstructure_sources(entry.sources),
        "after": list(entry.after),
        "before": list(entry.before),
        "recorded": entry.recorded.isoformat(),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


__all__ = [
    "UPCASTERS", "canonical", "converter", "draft_from_json", "entry_to_json", "loads", "structure_event",
    "structure_sources", "unstructure_event", "unstructure_sources", "upcast", "upcaster", "valid_from_columns",
    "valid_from_json", "valid_meta", "valid_to_json", "to_micros",
]
