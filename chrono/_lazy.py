"""The former name of chrono.lazy, kept while its importers move to it."""

from .lazy import lazy_names  # noqa: F401
