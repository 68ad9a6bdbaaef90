"""Pictures and exports: maps of control, the slider and timeline pages, CSV/GeoJSON/TimelineJS."""

from __future__ import annotations

import click

from chrono.timeval import parse_instant
from projections.pictures import parse_step, render_map_svg, render_slider_html

from .app import Env, main
from .options import INSTANT, json_option
from .outfiles import PAGES, out_format
from .render import emit_json


@main.command("map")
@click.option("--at", "at", type=INSTANT, metavar="TIME", help="Draw the state at this valid time (an SVG map).")
@click.option("--from", "start", type=INSTANT, metavar="TIME", help="With --to: a page with a time slider from this valid time (HTML).")
@click.option("--to", "end", type=INSTANT, metavar="TIME", help="With --from: the slider's last stop.")
@click.option("--step", metavar="STEP", default=None, help="Slider stops: every STEP (6h, 30m, 1d), or `events` (default): each moment the state can change.")
@click.option("--as-of", "as_of", type=INSTANT, metavar="TIME", help="As known at this recorded time (default: now).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True), help="The file to write (.svg for --at, .html for --from/--to).")
@json_option
@click.pass_obj
def map_(env: Env, at, start, end, step, as_of, out, as_json) -> None:
    """Draw who held each place: an SVG map at one moment, or an HTML page with a time slider.

    Every place in the log with coordinates is a marker coloured by its holder (the key names each
    actor); a place whose control is only possible at that moment is ringed with a dashed line and
    half in the colour of the pending holder; a contested place is hatched. Named people appear where
    they are. The map is framed to the log's own places, anywhere in the world (Natural Earth's
    borders are bundled); crowded spots are drawn again in close-ups, and only places far from the
    rest are listed beside the map. The files are self-contained and work offline.

    \b
    Examples:
        chrono map --at 2024-12-07T21:30 --out syria.svg
        chrono map --at 2024-12-07T21:30 --as-of 2026-11-24T12:30Z --out before-correction.svg
        chrono map --from 2024-11-27 --to 2024-12-09 --out fall.html
        chrono map --from 2024-11-27 --to 2024-12-09 --step 6h --out fall.html
    """
    if at and (start or end):
        raise click.UsageError("give either --at (an SVG map) or --from and --to (a slider page), not both")
    if not at and not (start and end):
        raise click.UsageError("give --at TIME for a map, or --from TIME --to TIME for a slider page")
    fmt = out_format(out, PAGES, "svg" if at else "html")
    log = env.reader()
    known_at = parse_instant(as_of, log.zone) if as_of else None
    which = env.which(log)
    name = which.title
    if at:
        text = render_map_svg(log, parse_instant(at, log.zone), known_at, log_name=name)
        what = "map"
    else:
        lo, hi = parse_instant(start, log.zone), parse_instant(end, log.zone)
        if not lo < hi:
            raise click.UsageError("--to must come after --from")
        text = render_slider_html(log, lo, hi, known_at, every=parse_step(step), log_name=name)
        what = "slider page"
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    if as_json:
        emit_json({"log": which.json(), "format": fmt, "out": out})
        return
    click.echo(which.line(), err=True)
    click.echo(f"wrote {what} to {out}", err=True)
