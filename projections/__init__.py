"""Read models: pure folds of the log into the state of the world, and the caches that serve them."""

from __future__ import annotations

import importlib

_EXPORTS = {"Knowledge": "query", "knowledge": "query", "state_json": "query", "world_at": "query", "Fact": "resolve", "resolve": "resolve", "fold": "world"}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'projections' has no attribute {name!r}")
    return getattr(importlib.import_module(f"projections.{module}"), name)
