"""`chrono settings`: the log's own settings (zone, title, description, colours, whether events need a
source), shown, set and unset. They are entries in the log (chrono.settings)."""

from __future__ import annotations

import click

from chrono import codec, settings
from chrono.settings import COLOUR, COLOUR_KEY, KEYS

from .app import Env, main
from .options import json_option
from .render import emit_json, table
from .write import _entity

_KEYS_HELP = "\n    ".join(f"{k.name:15} {k.help}" + (f" (default: {k.default})" if k.default else "") for k in (*KEYS.values(), COLOUR_KEY))


@main.group("settings", invoke_without_command=True)
@json_option
@click.pass_context
def settings_(ctx: click.Context, as_json: bool) -> None:
    """Show the log's own settings; `settings set KEY VALUE` changes one, `settings unset KEY` puts it
    back to its default.

    Settings are entries in the log, so they travel with `export` and `import` and the hash chain
    covers them. The keys:

    \b
    {keys}

    \b
    Examples:
        chrono settings
        chrono settings set zone Africa/Khartoum
        chrono settings set title "Wad Madani, December 2023"
        chrono settings set colour.rsf "#d62728"
        chrono settings set require-source yes --dry-run
    """
    if ctx.invoked_subcommand is not None:
        if as_json:
            raise click.UsageError("--json goes after the subcommand: chrono settings set KEY VALUE --json")
        return
    env: Env = ctx.obj
    log = env.reader()
    which = env.which(log)
    found = settings.settings(log)
    if as_json:
        emit_json({"log": which.json(), "settings": [_setting_json(s) for s in found.values()]})
        return
    click.echo(which.line())
    rows = [[s.key, s.value if s.value is not None else "—", _source(s)] for s in found.values()]
    click.echo(table(rows, ["setting", "value", "from"], give=((1, 20),)))


settings_.help = settings_.help.replace("{keys}", _KEYS_HELP)


def _source(s: settings.Setting) -> str:
    if s.source == "entry":
        return f"entry {s.entry.seq} ({s.entry.id})"
    if s.source == "meta":
        return "the log's creation (written before settings were entries)"
    return "default"


def _setting_json(s: settings.Setting) -> dict:
    return {"key": s.key, "value": s.value, "from": s.source, "event": s.entry.id if s.source == "entry" else None,
            "seq": s.entry.seq if s.source == "entry" else None}


def _change(env: Env, key: str, value: str | None, dry_run: bool, as_json: bool) -> None:
    log = env.writer()
    if key.startswith(COLOUR):
        key = COLOUR + _entity(key[len(COLOUR):], "actor", log)  # (an actor named by id, name or alias)
    draft = settings.change(key, value)
    before = settings.settings(log).get(key) or settings.fallback(log, key)
    was, now = before.value, draft.event.value if draft.event.value is not None else settings.fallback(log, key).value
    # Nothing to write when an entry already sets this value, or, to unset, when none sets any.
    unchanged = before.source == "entry" and was == now if draft.event.value is not None else before.source != "entry"
    entry = None
    if not dry_run and not unchanged:
        (entry,) = log.append(draft)
    if as_json:
        emit_json({"log": env.which(log).json(), "key": key, "value": now, "previous": was, "written": entry is not None,
                   "entry": None if entry is None else {"id": entry.id, "seq": entry.seq, "hash": entry.hash},
                   "draft": {"type": draft.event.type_name, "event": codec.unstructure_event(draft.event)}})
        return
    shown = now if now is not None else "—"
    if unchanged:
        click.echo(f"{key} is already {shown}; nothing written" if draft.event.value is not None else f"{key} is not set; nothing written")
    elif dry_run:
        click.echo(codec.canonical({"type": draft.event.type_name, "event": codec.unstructure_event(draft.event)}))
        click.echo(f"would set {key} to {shown} (was {was if was is not None else '—'}); nothing written (--dry-run)", err=True)
    else:
        click.echo(f"{key}: {shown} (was {was if was is not None else '—'}); entry {entry.seq} {entry.id}")


@settings_.command("set")
@click.argument("key")
@click.argument("value")
@click.option("--dry-run", is_flag=True, help="Check the value and show the entry that would be written; write nothing.")
@json_option
@click.pass_obj
def set_(env: Env, key: str, value: str, dry_run: bool, as_json: bool) -> None:
    """Set KEY to VALUE: appends a setting entry (nothing when it already has that value).

    \b
    Examples:
        chrono settings set zone Africa/Khartoum
        chrono settings set colour.rsf "#d62728"
        chrono settings set require-source yes
    """
    _change(env, key, value, dry_run, as_json)


@settings_.command()
@click.argument("key")
@click.option("--dry-run", is_flag=True, help="Show the entry that would be written; write nothing.")
@json_option
@click.pass_obj
def unset(env: Env, key: str, dry_run: bool, as_json: bool) -> None:
    """Put KEY back to its default (an actor's colour: the palette's): appends a setting entry.

    \b
    Example:
        chrono settings unset colour.rsf
    """
    _change(env, key, None, dry_run, as_json)
