"""Commands for investigating a chronology: history, show, diff, timeline, sources, check."""

from __future__ import annotations
