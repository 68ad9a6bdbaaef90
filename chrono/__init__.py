"""Chrono's engine: valid time, the append-only log, the codec, and replay. Depends on events.

Names are loaded on first use, so that importing a small part (errors, the clock) stays cheap.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "FixedClock": "clock", "system_clock": "clock", "Draft": "entry", "Entry": "entry", "ChronoError": "errors",
    "Log": "store", "verify": "store", "ValidTime": "timeval", "parse_instant": "timeval", "parse_valid_time": "timeval",
}
__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'chrono' has no attribute {name!r}")
    return getattr(importlib.import_module(f"chrono.{module}"), name)
