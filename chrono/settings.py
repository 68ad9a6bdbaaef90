"""A log's own settings (its zone, title, description, a colour per actor, whether events need a
source), kept as SettingChanged entries in the log so that they travel with it and the hash chain
covers them. Which keys there are and what each takes is declared here once (KEYS); every reader asks
`settings(log)` or `setting(log, key)`, and every writer makes its entry with `change(key, value)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from events import ENTITY_ID_RE, SettingChanged

from .entry import Draft, Entry
from .errors import ChronoError, InvalidEventError
from .timeval import zone_info

if TYPE_CHECKING:
    from .logstore import LogStore

SETTING = SettingChanged.type_name
COLOUR = "colour."  # colour.ACTOR: the colour an actor is drawn in


def _zone(value: str) -> str:
    zone_info(value)
    return value


def _text(value: str) -> str:
    if not value.strip():
        raise InvalidEventError("needs some text (unset it to go back to none)")
    return value.strip()


def _yes_no(value: str) -> str:
    if value.strip().lower() not in ("yes", "no"):
        raise InvalidEventError(f"takes yes or no, not {value!r}")
    return value.strip().lower()


_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def _colour(value: str) -> str:
    if not _HEX_COLOUR.fullmatch(value.strip()):
        raise InvalidEventError(f"takes a colour as #RRGGBB (#1b7837, say), not {value!r}")
    return value.strip().lower()


@attrs.frozen
class Key:
    """One setting: its name, what it is for, its value when nothing sets it, how a value is read (the
    value as kept, or InvalidEventError saying why not) and values it takes, for help and tests."""

    name: str
    help: str
    default: str | None
    read: Callable[[str], str]
    examples: tuple[str, ...]


KEYS: dict[str, Key] = {k.name: k for k in (
    Key("zone", "the IANA zone times without an offset are read and shown in", "UTC", _zone,
        ("Africa/Khartoum", "Asia/Damascus", "UTC")),
    Key("title", "what the chronology is called", None, _text, ("Wad Madani, December 2023",)),
    Key("description", "what the chronology is about", None, _text, ("The RSF's capture of Wad Madani, from Radio Dabanga",)),
    Key("require-source", "whether every event must name a source (yes or no)", "no", _yes_no, ("yes", "no")),
)}
# The colour of an actor is a key per actor: colour.hts, colour.rsf, ...
COLOUR_KEY = Key(f"{COLOUR}ACTOR", "the colour ACTOR is drawn in, as #RRGGBB", None, _colour, ("#1b7837", "#d62728"))


def key_of(key: str) -> Key:
    """The declaration of `key`; InvalidEventError for a key no log has."""
    if type(key) is str:
        if key in KEYS:
            return KEYS[key]
        if key.startswith(COLOUR) and ENTITY_ID_RE.match(key[len(COLOUR):]):
            return COLOUR_KEY
    raise InvalidEventError(f"no setting {key!r}; the settings are {', '.join([*KEYS, COLOUR_KEY.name])}")


def checked(key: str, value: str | None) -> str | None:
    """`value` as a log keeps it for `key` (None: back to the default); InvalidEventError when the key
    does not take it."""
    k = key_of(key)
    if value is None:
        return None
    try:
        return k.read(value)
    except ChronoError as e:
        raise InvalidEventError(f"setting {key}: {e}") from e


def check(event: SettingChanged) -> None:
    """Refuse a SettingChanged a log does not accept (what the log's write path asks)."""
    if event.value is not None and checked(event.key, event.value) != event.value:
        raise InvalidEventError(f"setting {event.key}: write {checked(event.key, event.value)!r}, as a log keeps it")


def change(key: str, value: str | None) -> Draft:
    """The entry that sets `key` to `value` (None: back to its default), checked."""
    return Draft(event=SettingChanged(key=key, value=checked(key, value)))


@attrs.frozen
class Setting:
    """A setting as the log reads it: its value, and where that comes from — "entry" (the log's entry
    `entry`), "meta" (the zone a log written before settings keeps in its own metadata, or the bundled
    chronicle's) or "default"."""

    key: str
    value: str | None
    source: str
    entry: Entry | None = None


def settings(log: LogStore) -> dict[str, Setting]:
    """Every setting of `log`, as it reads now: each of KEYS, then each actor's colour the log sets.
    Read once for each head of the log."""
    head = log.head()
    memo = getattr(log, "_settings_memo", None)
    if memo is not None and memo[0] == (head.seq, head.hash):
        return memo[1]
    own: dict[str, Setting] = {}
    for e in log.settings_entries():
        ev = e.event
        if e.origin is not None:
            continue  # merged from another log: that log's setting, not this one's (chrono.transfer.merge)
        try:
            key_of(ev.key)
        except InvalidEventError:
            continue  # a key of a newer Chrono's: what it means is not this one's to say
        own[ev.key] = Setting(ev.key, ev.value, "entry", e)
    out: dict[str, Setting] = {}
    for name in KEYS:
        got = own.get(name)
        out[name] = got if got is not None and got.value is not None else fallback(log, name)
    for name in sorted(own):
        if name.startswith(COLOUR) and own[name].value is not None:
            out[name] = own[name]
    log._settings_memo = ((head.seq, head.hash), out)
    return out


def fallback(log: LogStore, key: str) -> Setting:
    """What `key` reads when no entry sets it: the zone a log written before settings keeps in its
    metadata, else the key's default."""
    if key == "zone" and log.created_zone is not None:
        return Setting(key, log.created_zone, "meta")
    return Setting(key, key_of(key).default, "default")


def setting(log: LogStore, key: str) -> str | None:
    """The value of one setting of `log` (its default when nothing sets it)."""
    key_of(key)
    got = settings(log).get(key)
    return got.value if got is not None else None


def actor_colours(log: LogStore) -> dict[str, str]:
    """The colour the log sets for each actor (`colour.ACTOR`), by actor id."""
    return {k[len(COLOUR):]: s.value for k, s in settings(log).items() if k.startswith(COLOUR)}


def examples() -> list[tuple[str, str | None]]:
    """(key, value) pairs a log accepts, every key and back-to-default among them."""
    out: list[tuple[str, str | None]] = []
    for k in (*KEYS.values(), COLOUR_KEY):
        name = k.name.replace("ACTOR", "a0")
        out += [(name, v) for v in k.examples] + [(name, None)]
    return out
