"""Chrono's engine: valid time, the append-only log, the codec, and replay. Depends on events.

Names are loaded on first use, so that importing a small part (errors, the clock) stays cheap.
"""

from __future__ import annotations

from .lazy import lazy_names

__version__ = "0.1.0"

_EXPORTS = {
    "FixedClock": "clock", "system_clock": "clock", "Draft": "entry", "Entry": "entry", "ChronoError": "errors",
    "Log": "store", "verify": "store", "ValidTime": "timeval", "parse_instant": "timeval", "parse_valid_time": "timeval",
}
__all__ = ["__version__", *_EXPORTS]

__getattr__ = lazy_names(__name__, _EXPORTS)
