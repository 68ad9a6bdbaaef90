"""Pictures of a log and exports for other tools: a map of control at one moment (SVG), a page with a
time slider over the map, a timeline page, and CSV / GeoJSON / TimelineJS exports. All offline."""

from ._colors import actor_colors
from .exports import CSV_COLUMNS, FORMATS, csv_rows, export, geojson, latest_moment, timelinejs, write_csv
from .maps import parse_step, render_map_svg, render_slider_html
from .timeline import render_timeline_html

__all__ = [
    "CSV_COLUMNS", "FORMATS", "actor_colors", "csv_rows", "export", "geojson", "latest_moment", "parse_step",
    "render_map_svg", "render_slider_html", "render_timeline_html", "timelinejs", "write_csv",
]
