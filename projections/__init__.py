"""Read models: pure folds of the log into the state of the world, and the caches that serve them."""

from __future__ import annotations

from chrono.lazy import lazy_names

_EXPORTS = {"Knowledge": "query", "knowledge": "query", "state_json": "query", "world_at": "query", "Fact": "resolve", "resolve": "resolve", "fold": "world"}
__all__ = list(_EXPORTS)

__getattr__ = lazy_names(__name__, _EXPORTS)
