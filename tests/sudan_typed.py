"""A small chronology of the war in Sudan, typed (the fall of Wad Madani, December 2023), as a user types it into
the CLI: `append --json` lines with naive local times, which only the log's zone (Africa/Khartoum,
UTC+2) places right. One happening falls at 00:30 local on 1 December, 22:30 UTC on 30 November: read
in the wrong zone, it moves to another day."""

from __future__ import annotations

import gc
import json
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

import cli
from chrono.clock import FixedClock

ZONE = "Africa/Khartoum"
DABANGA = [{"outlet": "Radio Dabanga", "quote": "the RSF entered Wad Madani"}]
NOW = datetime(2026, 1, 1, tzinfo=UTC)

CHRONOLOGY = [
    {"id": "d-wad-madani", "type": "PlaceDescribed", "event": {"place": "wad-madani", "name": "Wad Madani", "kind": "city", "lat": 14.4, "lon": 33.52}},
    {"id": "d-hantoub", "type": "PlaceDescribed", "event": {"place": "hantoub", "name": "Hantoub", "kind": "town", "lat": 14.47, "lon": 33.58}},
    {"id": "d-saf", "type": "ActorDescribed", "event": {"actor": "saf", "name": "Sudanese Armed Forces", "kind": "state", "aliases": ["SAF"]}},
    {"id": "d-rsf", "type": "ActorDescribed", "event": {"actor": "rsf", "name": "Rapid Support Forces", "kind": "militia", "aliases": ["RSF"]}},
    {"id": "d-hemedti", "type": "PersonDescribed", "event": {"person": "hemedti", "name": "Mohamed Hamdan Dagalo", "affiliation": "rsf"}},
    {"id": "saf-holds-madani", "type": "ControlObserved", "event": {"place": "wad-madani", "controller": "saf"}, "valid": "../2023-12-15",
     "sources": DABANGA},
    {"id": "rsf-at-hantoub", "type": "ControlChanged", "event": {"place": "hantoub", "controller": "rsf", "how": "captured"},
     "valid": "2023-12-01T00:30", "sources": DABANGA},
    {"id": "rsf-takes-madani", "type": "ControlChanged", "event": {"place": "wad-madani", "controller": "rsf", "how": "captured", "previous": "saf"},
     "valid": {"literal": "2023-12-18/2023-12-19", "wording": "by Tuesday"}, "sources": DABANGA},
    {"id": "hemedti-to-madani", "type": "PersonMoved", "event": {"person": "hemedti", "to_place": "wad-madani"}, "valid": "2023-12-18T14:00",
     "sources": DABANGA},
    {"id": "saf-denies", "type": "StatementIssued", "event": {"text": "Wad Madani has not fallen", "speaker": "saf", "kind": "denial"},
     "valid": "2023-12-18T20:00", "sources": DABANGA},
]


def chrono(db, *args, input=None, clock=None):
    """`chrono --db DB ARGS` as a user types it, with a fixed clock; the log's connections closed after."""
    result = CliRunner().invoke(cli.main, ["--db", str(db), *map(str, args)], input=input, env={"CHRONO_DB": None},
                                obj=cli.Env(clock=clock or FixedClock(NOW, step=timedelta(seconds=1))))
    gc.collect()  # (closes the command's connections: nothing is left open on the files a test looks at)
    return result


def ok(result):
    assert result.exception is None and 0 == result.exit_code, result.output
    return result


def refused(result, code: int = 1) -> str:
    """A one-line error with exit `code`, no traceback; its message."""
    assert code == result.exit_code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("Error: "), result.output
    if code == 1:
        assert 1 == len(lines), result.output
    return lines[-1]


def make(db, *init_args, clock=None) -> None:
    """A log of the chronology at `db`: `init` with `init_args`, then the chronology in one batch."""
    ok(chrono(db, "init", *init_args, clock=clock))
    ok(chrono(db, "append", "--json", "-", input="\n".join(json.dumps(x) for x in CHRONOLOGY), clock=clock))


def state(db, at: str, *extra) -> dict:
    return json.loads(ok(chrono(db, "state", "--at", at, "--json", *extra)).stdout)


def control(doc: dict, place: str) -> dict:
    return next(c for c in doc["control"] if c["place"] == place)
