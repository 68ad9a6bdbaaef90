"""The `chrono` command line: thin click commands over the engine."""

from . import investigate, pictures, read, write  # noqa: F401  (registers the commands on the group)
from .app import Env, main

__all__ = ["Env", "main"]
