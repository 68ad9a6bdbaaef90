"""Chrono's engine: valid time, the append-only log, the codec, and replay. Depends on events."""

from .clock import FixedClock, system_clock
from .entry import Draft, Entry
from .errors import ChronoError
from .store import Log, verify
from .timeval import ValidTime, parse_instant, parse_valid_time

__all__ = ["ChronoError", "Draft", "Entry", "FixedClock", "Log", "ValidTime", "parse_instant", "parse_valid_time", "system_clock", "verify"]
