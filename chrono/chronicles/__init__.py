"""Chronicles bundled with Chrono, shipped as JSON Lines in the log's import format."""

from __future__ import annotations

import os

import attrs

from ..errors import ChronoError


@attrs.frozen
class Chronicle:
    name: str
    title: str
    zone: str
    filename: str

    def data(self) -> bytes:
        """The chronicle file's bytes (read beside this module: importlib.resources costs more to import
        than the read itself, and is needed only when the package is not on disk, as in a zip)."""
        try:
            with open(os.path.join(os.path.dirname(__file__), self.filename), "rb") as f:
                return f.read()
        except OSError:
            from importlib import resources

            return resources.files(__package__).joinpath(self.filename).read_bytes()

    def lines(self) -> list[bytes]:
        return self.data().splitlines()


CHRONICLES = {
    "syria-2024": Chronicle(
        name="syria-2024",
        title="The fall of the Assad government, 27 November – 8 December 2024 (from Al Majalla)",
        zone="Asia/Damascus",
        filename="syria-2024.jsonl",
    )
}
DEFAULT = "syria-2024"


def chronicle(name: str) -> Chronicle:
    try:
        return CHRONICLES[name]
    except KeyError:
        raise ChronoError(f"no bundled chronicle {name!r}; bundled: {', '.join(CHRONICLES)}") from None


def load_into(log, name: str) -> int:
    """Import a bundled chronicle into `log` (normally empty); returns how many entries were added."""
    from ..jsonl import read_records

    c = chronicle(name)
    return log.import_stream(read_records(c.lines(), c.zone, allow_stored=True))[1]


def open_in_memory(name: str = DEFAULT, **kwargs):
    """A read-only view of a bundled chronicle: imported into an in-memory log on each use."""
    from ..store import Log

    c = chronicle(name)
    log = Log.create(":memory:", zone=c.zone, name=f"bundled chronicle {c.name}", **kwargs)
    load_into(log, name)
    return log
