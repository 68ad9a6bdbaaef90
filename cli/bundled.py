"""The bundled chronicle, prepared once per user: read commands without a log file use it, and importing
it and building its read cache on every run would cost more than the question.

The first use imports the chronicle into an in-memory log as before, builds the projection cache, and
saves an image of that database to `$XDG_CACHE_HOME/chrono/` (default `~/.cache/chrono/`). Later runs
load the image back into memory. The image is used only when

  * its name carries the key of what built it: the chronicle's bytes, Chrono's version and the source
    of the modules that import the log and build the cache, the Python and SQLite versions, and the
    installed files of the libraries that encode events (so any change to them builds a new image);
  * its name also carries the sha256 of its bytes, and the bytes read match it (a truncated,
    corrupted or half-written file is never opened);
  * the database inside names the same key, holds the whole chronicle and a cache built from its head.

Otherwise the image is rebuilt; when it cannot be saved (no home, a read-only cache directory), the
in-memory log is used as it is, exactly as without an image. Either way the answer is the one a fresh
import gives.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys

from chrono import __version__
from chrono.chronicles import chronicle
from chrono.clock import Clock
from chrono.store import SCHEMA_VERSION, Log

FORMAT = "1"  # of the image: bump it when what goes into one changes
_META = "bundle_meta"
_HEX = 32  # hex digits of each hash kept in a file name
KEPT = 4  # images of one chronicle kept, the most recently used
_IMAGES = hasattr(sqlite3.Connection, "serialize") and hasattr(sqlite3.Connection, "deserialize")  # SQLite >= 3.36


def cache_dir() -> str | None:
    """Where images live: $XDG_CACHE_HOME/chrono, or ~/.cache/chrono (None when there is no home)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG spec: a relative path is invalid and is ignored
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return os.path.join(base, "chrono")


def open_bundled(name: str, *, clock: Clock) -> Log:
    """The bundled chronicle `name` as an in-memory log with its projection cache built."""
    c = chronicle(name)
    data = c.data()
    key = image_key(data)
    where = cache_dir() if _IMAGES else None
    if where is not None:
        log = _load(where, c.name, key, data, clock)
        if log is not None:
            return log
    log = _build(c.name, clock)
    if where is not None:
        _save(log, where, c.name, key)
    return log


def image_key(data: bytes) -> str:
    """What an image depends on, hashed: anything that could make its answers differ from a fresh import."""
    h = hashlib.sha256()
    for part in (FORMAT, __version__, str(SCHEMA_VERSION), sys.version, sqlite3.sqlite_version):
        h.update(part.encode() + b"\0")
    h.update(data)
    for path in _sources():
        try:
            with open(path, "rb") as f:
                h.update(path.encode() + b"\0" + f.read())
        except OSError:
            h.update(path.encode() + b"\0missing")
    for path in _libraries():
        try:
            st = os.stat(path)
            h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}".encode())
        except OSError:
            h.update(path.encode() + b"\0missing")
    return h.hexdigest()


def _sources() -> list[str]:
    """Chrono's own modules that decide what an image holds: the engine, the events, the read cache."""
    import events
    import projections

    out = []
    for pkg in (sys.modules["chrono"], events, projections, sys.modules["chrono.chronicles"]):
        folder = os.path.dirname(pkg.__file__)
        out.extend(os.path.join(folder, n) for n in sorted(os.listdir(folder)) if n.endswith(".py"))
    return out


def _libraries() -> list[str]:
    """The libraries that encode events and their JSON: a reinstall gives new files, so a new key."""
    out = []
    for lib in ("attr", "cattrs", "orjson"):
        module = sys.modules.get(lib) or __import__(lib)
        out.append(module.__file__)
    return out


def _build(name: str, clock: Clock) -> Log:
    from chrono.chronicles import open_in_memory
    from projections import cache

    log = open_in_memory(name, clock=clock)
    cache.rebuild(log)
    return log


def _image_name(name: str, key: str, digest: str) -> str:
    return f"{name}-{key[:_HEX]}-{digest[:_HEX]}.sqlite"


def _load(where: str, name: str, key: str, data: bytes, clock: Clock) -> Log | None:
    prefix = f"{name}-{key[:_HEX]}-"
    try:
        candidates = [f for f in os.listdir(where) if f.startswith(prefix) and f.endswith(".sqlite")]
    except OSError:
        return None
    for filename in candidates:
        path = os.path.join(where, filename)
        try:
            with open(path, "rb") as f:
                image = f.read()
        except OSError:
            continue
        if hashlib.sha256(image).hexdigest()[:_HEX] != filename[len(prefix) : -len(".sqlite")]:
            _remove(path)  # damaged: never read it
            continue
        log = _open_image(image, key, data, clock)
        if log is not None:
            try:
                os.utime(path)  # in use: the last to be pruned
            except OSError:
                pass
            return log
        _remove(path)
    return None


def _open_image(image: bytes, key: str, data: bytes, clock: Clock) -> Log | None:
    from projections import cache

    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.deserialize(image)
        meta = dict(conn.execute(f"SELECT key, value FROM {_META}").fetchall())
        log = Log(conn, clock=clock)
        chrono_meta = dict(conn.execute("SELECT key, value FROM chrono_meta").fetchall())
        if (meta.get("key") != key or chrono_meta.get("app") != "chrono" or chrono_meta.get("schema") != str(SCHEMA_VERSION)
                or log.head().seq != len(data.splitlines()) or not cache.is_fresh(log)):
            conn.close()
            return None
        return log
    except (sqlite3.Error, ValueError):
        conn.close()
        return None


def _save(log: Log, where: str, name: str, key: str) -> None:
    """Save an image of `log` (a cache: any failure just leaves it unsaved)."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    tmp = None
    try:
        conn.deserialize(log.conn.serialize())
        conn.execute(f"CREATE TABLE {_META} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute(f"INSERT INTO {_META} (key, value) VALUES ('key', ?)", (key,))
        image = conn.serialize()
        final = _image_name(name, key, hashlib.sha256(image).hexdigest())
        os.makedirs(where, exist_ok=True)
        tmp = os.path.join(where, f".{final}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        with open(tmp, "wb") as f:
            f.write(image)
        os.replace(tmp, os.path.join(where, final))
        tmp = None
        _prune(where, name, keep=os.path.join(where, final))
    except (OSError, sqlite3.Error):
        pass
    finally:
        conn.close()
        if tmp is not None:
            _remove(tmp)


def _prune(where: str, name: str, keep: str) -> None:
    """Keep the images of `name` used most recently (several checkouts or versions of Chrono may share the
    directory, each with its own key), and remove the rest."""
    dated = []
    for other in os.listdir(where):
        path = os.path.join(where, other)
        if _is_image_of(other, name) and path != keep:
            try:
                dated.append((os.stat(path).st_mtime_ns, path))
            except OSError:
                pass
    for _, path in sorted(dated, reverse=True)[KEPT - 1 :]:
        _remove(path)


def _is_image_of(filename: str, name: str) -> bool:
    rest = filename[len(name) + 1 :]
    hexes = rest[: -len(".sqlite")].split("-")
    return (filename.startswith(f"{name}-") and filename.endswith(".sqlite") and len(hexes) == 2
            and all(len(h) == _HEX and all(c in "0123456789abcdef" for c in h) for h in hexes))


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
