"""Where a log lives decides its backend: an address `postgresql://...` (or `postgres://...`) is a log on
a PostgreSQL server (chrono.pgstore, which needs psycopg, imported only then), anything else a SQLite
file (chrono.store)."""

from __future__ import annotations

from .logstore import LogStore

SCHEMES = ("postgresql://", "postgres://")


def on_server(where: str) -> bool:
    """Whether `where` is a PostgreSQL address rather than a file's path."""
    return where.startswith(SCHEMES)


def open_log(where: str, **options) -> LogStore:
    """The log at `where` (Log.open's or PgLog.open's options: clock, readonly, untouched)."""
    if on_server(where):
        from .pgstore import PgLog

        return PgLog.open(where, **options)
    from .store import Log

    return Log.open(where, **options)


def create_log(where: str, **options) -> LogStore:
    """A new log at `where` (Log.create's or PgLog.create's options: zone, name, clock, and on a server
    the roles granted it)."""
    if on_server(where):
        from .pgstore import PgLog

        return PgLog.create(where, **options)
    from .store import Log

    return Log.create(where, **options)
