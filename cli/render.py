"""Rendering for people (plain tables) and for programs (JSON)."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import textwrap
from collections.abc import Iterable

import click
import orjson

from chrono import jsonout
from events import fields_of
from projections.colors import assign


def shorten(text: str | None, width: int = 70) -> str:
    """At most `width` characters, with an ellipsis where it was cut."""
    text = text or ""
    return text if len(text) <= width else text[: width - 1] + "…"


def emit_json(obj) -> None:
    """`obj` as indented JSON on stdout; a member that is an iterator is written as it yields
    (`chrono.jsonout`), with the same bytes as if it were a list."""
    if jsonout.is_lazy(obj):
        jsonout.write(obj, lambda piece: click.echo(piece, nl=False))
        click.echo()
        return
    click.echo(orjson.dumps(obj, option=orjson.OPT_INDENT_2).decode())


Cell = str | tuple[str, dict]  # plain text, or text with click.style arguments

# Named colours, which a terminal shows in its own theme's shades; yellow is kept for "possible".
_PALETTE = (("blue", "magenta", "cyan", "green", "red", "bright_blue", "bright_magenta", "bright_cyan", "bright_green", "bright_red"),)


def actor_styles(actors: Iterable[str | None]) -> dict[str | None, dict]:
    """A style for each actor shown together in one table: a colour no other of them has while the
    palette lasts, assigned by the rule the pictures use (`projections.colors.assign`); nobody is dim."""
    return {None: {"dim": True}, **{a: {"fg": c} for a, c in assign({a for a in actors if a}, _PALETTE).items()}}


def _text(cell: Cell) -> str:
    return cell[0] if isinstance(cell, tuple) else str(cell)


def _styled(cell: Cell, width: int) -> str:
    if isinstance(cell, tuple):
        return click.style(cell[0], **cell[1]) + " " * (width - len(cell[0]))
    return str(cell).ljust(width)


def terminal_width() -> int | None:
    """The columns output may take: $COLUMNS, else the terminal's when output goes to one; None for a
    pipe or a file, which take every line whole."""
    if os.environ.get("COLUMNS", "").isdigit() or sys.stdout.isatty():
        return shutil.get_terminal_size(fallback=(0, 0)).columns or None
    return None


_widths: list = [None, None]  # (stdout, its terminal_width()): a long report asks once per line


def _room() -> int | None:
    """`terminal_width()`, read once per output stream (a command's, or a test run's)."""
    if _widths[0] is not sys.stdout:
        _widths[:] = [sys.stdout, terminal_width()]
    return _widths[1]


def fold(text: str, width: int | None = None, indent: str | None = None) -> str:
    """A line of prose as lines that fit the terminal (`width`, by default `terminal_width()`): broken
    at spaces, never cut, as it may hold a source's words; the lines after the first are indented by
    `indent` (by default the first's indent and two spaces). A word wider than the room stays whole."""
    room = width or terminal_width()
    if room is None or len(text) <= room:
        return text
    body = text.lstrip(" ")
    lead = text[: len(text) - len(body)]
    return textwrap.fill(body, room, initial_indent=lead, subsequent_indent=lead + "  " if indent is None else indent,
                         break_long_words=False, break_on_hyphens=False)


def echo(text: str = "", *, indent: str | None = None, err: bool = False, **style) -> None:
    """`click.echo` of prose for people, each line folded to the terminal (`fold`), then styled."""
    room = _room()
    if room is not None and len(text) > room:
        text = "\n".join(fold(line, room, indent) for line in text.split("\n"))
    click.echo(click.style(text, **style) if style else text, err=err)


def _fit(widths: list[int], room: int | None, first: tuple[tuple[int, int], ...] = (), least: int = 8) -> list[int]:
    """Column widths that fit in `room` (two spaces between columns): the columns `first` give way
    first, in that order, each down to its own least width ((column, least)); then the widest."""
    widths = list(widths)
    if room is None:
        return widths
    over = sum(widths) + 2 * (len(widths) - 1) - room
    for i, floor in first:
        if over <= 0:
            break
        cut = min(over, max(0, widths[i] - floor))
        widths[i] -= cut
        over -= cut
    while over > 0:
        widest = max(range(len(widths)), key=lambda i: widths[i])
        if widths[widest] <= least:
            break
        widths[widest] -= 1
        over -= 1
    return widths


def _cut(cell: Cell, width: int) -> Cell:
    if isinstance(cell, tuple):
        return shorten(cell[0], width), cell[1]
    return shorten(str(cell), width)


def table(rows: list[list[Cell]], headers: list[str], width: int | None = None, give: tuple[tuple[int, int], ...] = ()) -> str:
    """Columns padded to their widest cell and, where that is wider than the terminal (`width`, by
    default `terminal_width()`), cut short with an ellipsis: the columns `give` first ((column, least
    width)), then the widest; styled cells are padded by their visible text."""
    if not rows:
        return ""
    widths = _fit([max(len(_text(x)) for x in col) for col in zip(headers, *rows)], width or terminal_width(), give)
    lines = ["  ".join(shorten(str(h), w).ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(_styled(_cut(x, w), w) for x, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


def field_rows(cls, *, new: bool = True) -> list[tuple[str, str]]:
    """The fields of an event type as `append TYPE --help`, `correct --help` and `chrono types TYPE`
    list them: the option, then its plain type, whether a new event must give it or its default (not
    for a correction, which keeps what it is not given), and what it means (all from `events.fields_of`)."""
    rows = []
    for f in fields_of(cls):
        given = "" if not new else " (required)" if f.required else f" (default: {f.default})" if f.default not in (None, []) else ""
        rows.append((f.option, f"{f.type}{given} — {f.description}"))
    return rows


def write_fields(formatter: click.HelpFormatter, title: str, cls, *, new: bool = True) -> None:
    """A section of help listing the fields of an event type."""
    with formatter.section(title):
        formatter.write_dl(field_rows(cls, new=new))


def section(title: str, body: str) -> None:
    click.echo(click.style(title, bold=True))
    click.echo(body if body else "  (none)")
    click.echo()


PROGRESS_FROM = 50_000


def _is_terminal() -> bool:
    return sys.stderr.isatty()


@contextlib.contextmanager
def stage(label: str, total):
    """`progress` of a long pass whose size `total()` tells, asked only when a bar would be shown."""
    if not _is_terminal():
        yield lambda _done: None
        return
    with progress(total(), label) as report:
        yield report


@contextlib.contextmanager
def progress(total: int, label: str):
    """A callback reporting how many of `total` are done: a bar on a terminal for long work, else nothing."""
    if total < PROGRESS_FROM or not _is_terminal():
        yield lambda _done: None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        done = [0]

        def report(count: int) -> None:
            bar.update(count - done[0])
            done[0] = count

        yield report
