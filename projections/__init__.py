"""Read models: pure folds of the log into the state of the world, and the caches that serve them."""

from .query import Knowledge, knowledge, state_json, world_at
from .resolve import Fact, resolve
from .world import fold

__all__ = ["Fact", "Knowledge", "fold", "knowledge", "resolve", "state_json", "world_at"]
