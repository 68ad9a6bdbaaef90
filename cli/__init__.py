"""The `chrono` command line: thin click commands over the engine."""

from .app import Env, main

__all__ = ["Env", "main"]
