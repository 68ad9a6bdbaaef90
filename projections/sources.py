"""What a fact rests on, read for people and filters: its sources as JSON, as one line, and whether
they match a `--source` text."""

from __future__ import annotations

from chrono import codec
from events import Source

from .gazetteer import fold_key


def source_matches(sources: tuple[Source, ...], text: str | None) -> bool:
    """Whether any source's outlet, title or attribution contains `text` (case- and accent-blind)."""
    if not text:
        return True
    key = fold_key(text)
    return any(key in fold_key(v) for s in sources for v in (s.outlet, s.title, s.attribution) if v)


def sources_json(sources: tuple[Source, ...]) -> list[dict]:
    return codec.unstructure_sources(sources)


def attribution(sources: tuple[Source, ...]) -> str:
    """"Al Majalla (a source in the operations room)"; several sources joined by "; "."""
    parts = []
    for s in sources:
        text = s.outlet + (f" ({s.attribution})" if s.attribution and s.attribution != s.outlet else "")
        if text not in parts:
            parts.append(text)
    return "; ".join(parts) or "no source given"
