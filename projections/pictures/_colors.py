"""Colours in pictures: each actor's (`projections.colors`, re-exported here), places held by nobody,
and actors outside the key."""

from __future__ import annotations

from ..colors import actor_colors

__all__ = ["NOBODY", "UNKNOWN_ACTOR", "actor_colors"]

NOBODY = "#d4d4d4"  # held by nobody we can name, or nothing known yet
UNKNOWN_ACTOR = "#9e9e9e"
