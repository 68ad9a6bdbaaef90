"""Where a log lives decides its backend: an address `postgresql://...` (or `postgres://...`) is a log on
a PostgreSQL server (chrono.pgstore, which needs psycopg, imported only then), anything else a SQLite
file (chrono.store)."""

from __future__ import annotations

import urllib.parse

from .errors import ChronoError
from .logstore import LogStore

SCHEMES = ("postgresql://", "postgres://")


def on_server(where: str) -> bool:
    """Whether `where` is a PostgreSQL address rather than a file's path."""
    return where.startswith(SCHEMES)


def public_address(address: str) -> str:
    """`address` without its password (in the user part, or as a parameter): what may be shown, and
    kept in a local copy's metadata (chrono.replica). A file's path is as it is."""
    if not on_server(address):
        return address
    try:
        parts = urllib.parse.urlsplit(address)
    except ValueError as e:  # (said without the address: it may hold a password)
        raise ChronoError(f"cannot read the PostgreSQL address given ({e}); the form is postgresql://USER@HOST/DATABASE") from None
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}@{host}"
    query = "&".join(p for p in parts.query.split("&") if p and not p.lower().startswith("password="))
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


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
