"""Options that several commands share, spelled once: one name for one meaning on every command."""

from __future__ import annotations

import click


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
        f = click.option("--to", *old[1:] if old else (), end, cls=_OldNames, metavar="TIME",
                         help="Only events whose window starts before the end of this time (a date includes the day).")(f)
        return click.option("--from", *old[:1] if old else (), start, cls=_OldNames, metavar="TIME",
                            help="Only events whose window reaches this time or later.")(f)

    return decorate
