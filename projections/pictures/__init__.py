"""Pictures of a log and exports for other tools: a map of control at one moment (SVG), a page with a
time slider over the map, a timeline page, and CSV / GeoJSON / TimelineJS exports. All offline.

Names are loaded on first use: drawing needs the geography and SVG code, which a command that only
names the export formats (every `chrono` read command's start-up) should not pay for.
"""

from __future__ import annotations

from chrono.lazy import lazy_names

# What `export` writes (exports.export), and the suffixes of files that hold each.
SUFFIXES = {"jsonl": (".jsonl", ".ndjson"), "csv": (".csv",), "geojson": (".geojson", ".json"), "timelinejs": (".json",)}
FORMATS = tuple(SUFFIXES)
# What a TimelineJS export may group slides by (the rows of its time bar), and how many rows at most:
# the largest groups, then one for the rest, so a 700px-high embed still reads (exports.timelinejs).
GROUPINGS = ("none", "place", "actor")
MAX_GROUPS = 4
SPANS = ("own", "all")  # own: events far outside the chronicle's span go on the title slide
# The formats an export can limit to what one author recorded (`export --author`), and what to say
# when it is given with another: jsonl is always the whole log, and geojson a state.
BY_AUTHOR = ("csv", "timelinejs")
AUTHOR_FORMATS = "--author picks the events of csv and timelinejs; `chrono log --author NAME --json` lists the entries NAME recorded"

_EXPORTS = {
    "actor_colors": "_colors",
    "CSV_COLUMNS": "exports", "csv_rows": "exports", "export": "exports", "geojson": "exports",
    "latest_moment": "exports", "timelinejs": "exports", "write_csv": "exports", "slide_dates": "exports",
    "parse_step": "maps", "render_map_svg": "maps", "render_slider_html": "maps",
    "render_timeline_html": "timeline",
}
__all__ = ["AUTHOR_FORMATS", "BY_AUTHOR", "FORMATS", "GROUPINGS", "MAX_GROUPS", "SPANS", "SUFFIXES", *_EXPORTS]

__getattr__ = lazy_names(__name__, _EXPORTS)
