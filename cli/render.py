"""Rendering for people (plain tables) and for programs (JSON)."""

from __future__ import annotations

import click
import orjson


def emit_json(obj) -> None:
    click.echo(orjson.dumps(obj, option=orjson.OPT_INDENT_2).decode())


def table(rows: list[list[str]], headers: list[str]) -> str:
    if not rows:
        return ""
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append("  ".join(str(x).ljust(w) for x, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


def section(title: str, body: str) -> None:
    click.echo(click.style(title, bold=True))
    click.echo(body if body else "  (none)")
    click.echo()
