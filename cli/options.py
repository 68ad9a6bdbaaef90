"""Options that several commands share, spelled once: one name for one meaning on every command."""

from __future__ import annotations

import click

from chrono.errors import TimeLiteralError
from chrono.timeval import parse_instant, parse_valid_time


class _Time(click.ParamType):
    """A time literal, its form checked as the option is read, so that a refusal names the option and
    comes before any log is opened; the log's zone applies when the command reads the time. A query
    time (`instant`) needs a first instant."""

    name = "time"

    def __init__(self, *, instant: bool) -> None:
        self.instant = instant

    def convert(self, value, param, ctx):
        try:
            (parse_instant if self.instant else parse_valid_time)(value)
        except TimeLiteralError as e:  # (a refused time exits 1, as the same time in a file does)
            raise TimeLiteralError(f"{param.opts[0]}: {e}" if param else str(e)) from None
        return value


INSTANT = _Time(instant=True)  # --at, --as-of, --vs: a moment
WINDOW = _Time(instant=False)  # --valid, and the ends of a range of events: any valid time


class _OldNames(click.Option):
    """An option whose names after the first are old spellings: still accepted, but `--help` shows the
    first alone, so that every command reads the same."""

    def get_help_record(self, ctx: click.Context):
        record = super().get_help_record(ctx)
        return record and (f"{self.opts[0]} {self.metavar}", record[1])


def valid_range(start: str, end: str, *, old: tuple[str, str] | None = None):
    """`--from TIME` and `--to TIME`, into the parameters `start` and `end`: only the events whose
    window reaches --from or later, and starts before the end of --to. `old`: the names they had."""

    def decorate(f):
        f = click.option("--to", *old[1:] if old else (), end, cls=_OldNames, type=WINDOW, metavar="TIME",
                         help="Only events whose window starts before the end of this time (a date includes the day).")(f)
        return click.option("--from", *old[:1] if old else (), start, cls=_OldNames, type=WINDOW, metavar="TIME",
                            help="Only events whose window reaches this time or later.")(f)

    return decorate


def json_option(f):
    """`--json`: the command's report as JSON on stdout, and any error as `{"error", "code"}` on stderr."""
    return click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (an error too, on stderr).")(f)


def author_option(help_text: str):
    """`--author NAME`: a read command's filter by who recorded what it shows (the group's own --author
    says who the writes record)."""
    return click.option("--author", "author", metavar="NAME", help=help_text)
