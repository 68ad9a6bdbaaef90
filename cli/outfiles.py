"""What a file named on the command line will hold: the format its suffix names, checked against the
one the command writes, so that `--out map.png` never holds an SVG."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import click

PAGES = {"svg": (".svg",), "html": (".html", ".htm")}  # what `map` and `timeline --html` draw


def out_format(path: str, formats: Mapping[str, Sequence[str]], given: str | None = None, *, option: str = "--out") -> str | None:
    """The format of the file `path`: `given`, whose suffixes `path` must end in; else the one format
    its suffix names. A path without a suffix (or `-`, standard output) takes any format: `given`, or
    None for the command's default. Anything else is a usage error naming the formats."""
    suffix = os.path.splitext(os.path.basename(path))[1].lower() if path != "-" else ""
    if not suffix:
        return given
    named = [f for f, suffixes in formats.items() if suffix in suffixes]
    if given in named or given is None and len(named) == 1:
        return given or named[0]
    known = "; ".join(f"{f} ({', '.join(suffixes)})" for f, suffixes in formats.items())
    if given is not None:
        why = f"{path} ends in {suffix}, but this writes {given} ({', '.join(formats[given])})"
    elif named:
        why = f"{path} may hold {' or '.join(named)}: say which with --format"
    else:
        why = f"Chrono does not write {suffix} files"
    raise click.BadParameter(f"{why}; the formats: {known}", param_hint=option)
