"""Commands that add to a log: init, append, correct, retract, import."""

from __future__ import annotations

import functools
import os

import attrs
import click

from chrono import codec
from chrono.chronicles import CHRONICLES, chronicle, load_into
from chrono.entry import Draft
from chrono.errors import ChronoError, UnknownEntityError
from chrono.jsonl import parallel_reading, parse_document, read_prepared, read_records
from chrono.store import Log
from chrono.timeval import parse_valid_time
from events import REGISTRY, EventRetracted, Source, valid_entity_id
from projections import corrections
from projections.query import knowledge

from .app import Env, complete_event_ids, main
from .options import WINDOW, json_option
from .render import emit_json, progress

_FIELD_OPTS = {"allow_extra_args": True, "ignore_unknown_options": True}


@main.command()
@click.option("--zone", default=None, help="Zone of naive times typed into this log (IANA name). Default: UTC, or the chronicle's.")
@click.option("--chronicle", "chronicle_name", type=click.Choice(sorted(CHRONICLES)), help="Start from a bundled chronicle.")
@json_option
@click.pass_obj
def init(env: Env, zone: str | None, chronicle_name: str | None, as_json: bool) -> None:
    """Create a new, empty log (or one holding a bundled chronicle).

    \b
    Examples:
        chrono init --zone Asia/Damascus
        chrono --db syria.db init --chronicle syria-2024
    """
    if chronicle_name:
        zone = zone or chronicle(chronicle_name).zone
    log = Log.create(env.path, zone=zone or "UTC", clock=env.clock)
    try:
        added = load_into(log, chronicle_name) if chronicle_name else 0
    except BaseException:
        log.close()
        os.remove(env.path)
        raise
    head = log.head()
    which = env.which(log, head)
    log.close()
    if as_json:
        emit_json({"log": which.json(), "zone": zone or "UTC", "chronicle": chronicle_name, "entries": added})
        return
    what = f" with the {chronicle_name} chronicle ({added} entries)" if chronicle_name else ""
    click.echo(f"created {env.path}{what}; zone {zone or 'UTC'}; head {head.seq} {head.hash[:16]}")


def _source_options(f):
    f = click.option("--url", help="Link to the source.")(f)
    f = click.option("--quote", help="The words the event rests on.")(f)
    f = click.option("--attribution", help='Who the source attributes it to ("eyewitnesses").')(f)
    f = click.option("--title", help="Title of the article or document.")(f)
    f = click.option("--source", "outlet", help="The outlet or document the event comes from.")(f)
    return f


def _sources(outlet, title, attribution, quote, url) -> tuple[Source, ...]:
    if outlet is not None and not outlet.strip():
        raise click.UsageError("--source needs the name of an outlet or document")
    if outlet is None:
        if any((title, attribution, quote, url)):
            raise click.UsageError("--title, --attribution, --quote and --url describe a --source; give --source too")
        return ()
    return (Source(outlet=outlet, title=title, attribution=attribution, quote=quote, url=url),)


def _parse_fields(cls, args: list[str], log: Log) -> dict:
    """`--field value` pairs for an event type; list fields take a comma-separated list or repeat."""
    gazetteer = functools.cache(lambda: knowledge(log).gazetteer)  # read once, and only if a field names an entity

    def entity(text: str, kind: str) -> str:
        return _entity(text, kind, log, gazetteer())

    fields = {a.name: a for a in attrs.fields(cls)}
    values: dict = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--"):
            raise click.UsageError(f"unexpected argument {arg!r}; fields are given as --name value")
        name, eq, inline = arg[2:].partition("=")
        key = name.replace("-", "_")
        if key not in fields or key == "replacement":
            known = ", ".join("--" + n.replace("_", "-") for n in fields if n != "replacement")
            raise click.UsageError(f"{cls.type_name} has no field --{name}; its fields: {known}")
        if eq:
            raw = inline
            i += 1
        else:
            if i + 1 >= len(args):
                raise click.UsageError(f"--{name} needs a value")
            raw = args[i + 1]
            i += 2
        a = fields[key]
        values[key] = _field_value(cls, a, raw, values.get(key), entity)
    return values


def _field_value(cls, a: attrs.Attribute, raw: str, previous, entity):
    many = a.metadata.get("many") or a.type == tuple[str, ...]
    kind = a.metadata.get("ref")
    if many:
        items = [x.strip() for x in raw.split(",") if x.strip()]
        if kind:
            items = [entity(x, kind) for x in items]
        return tuple(previous or ()) + tuple(items)
    if kind and not a.metadata.get("declares"):
        return entity(raw, kind)
    if a.type in (float, float | None):
        try:
            return float(raw)
        except ValueError:
            raise click.UsageError(f"--{a.name} takes a number, not {raw!r}") from None
    if a.type in (int, int | None):
        try:
            return int(raw)
        except ValueError:
            raise click.UsageError(f"--{a.name} takes a whole number, not {raw!r}") from None
    return raw


def _entity(text: str, kind: str, log: Log, g=None) -> str:
    """An entity id from an id or alias; an undescribed but well-formed id is accepted with a warning."""
    g = g or knowledge(log).gazetteer
    try:
        return g.lookup(text, kind).id
    except UnknownEntityError:
        if valid_entity_id(text):
            click.echo(f"warning: {text!r} is not described in this log yet", err=True)
            return text
        raise


def _print_ids(entries, as_json: bool) -> None:
    if as_json:
        emit_json([{"id": e.id, "seq": e.seq, "hash": e.hash, "recorded": e.recorded.isoformat()} for e in entries])
    else:
        for e in entries:
            click.echo(e.id)


@main.command(context_settings=_FIELD_OPTS)
@click.argument("event_type", required=False, metavar="TYPE")
@click.option("--json", "json_file", type=click.File("rb"), help="Read events from FILE (or - for stdin): one JSON object, an array, or JSON Lines.")
@click.option("--valid", "valid_literal", type=WINDOW, metavar="TIME", help="When it happened: 2024-12-07T21:30, 2024-12-05, 2024-12-07T21:30/2024-12-08T03:00, ...")
@click.option("--wording", help='The source\'s own words for the time ("at dawn on Wednesday").')
@click.option("--gloss", help='Your own words for the time, when the source has none (never shown as a quotation).')
@_source_options
@click.option("--id", "event_id", help="Your id for the event (default: generated).")
@click.option("--after", multiple=True, metavar="EVENT_ID", help="This happened after that event (repeatable).")
@click.option("--before", multiple=True, metavar="EVENT_ID", help="This happened before that event (repeatable).")
@click.option("--expect-position", type=int, help="Fail with a conflict unless the log ends at this position.")
@click.option("--ids-json", "ids_json", is_flag=True, help="Print the new entries as JSON instead of bare ids.")
@click.pass_context
def append(ctx, event_type, json_file, valid_literal, wording, gloss, outlet, title, attribution, quote, url, event_id, after, before, expect_position, ids_json):
    """Append one event (TYPE --field value ...) or many (--json FILE) in one all-or-nothing batch.

    Prints the ids of the appended events. Entities may be named by id or alias.

    \b
    Examples:
        chrono append CallMade --caller lavrov --callee fidan --valid 2024-12-01 \\
            --source "Al Majalla" --quote "Lavrov called Turkish and Iranian counterparts"
        chrono append PlaceDescribed --place aleppo --name Aleppo --kind city --lat 36.2 --lon 37.16
        chrono append --json events.jsonl
    Types: see `chrono types`.
    """
    env: Env = ctx.obj
    log = env.writer()
    if json_file is not None:
        if event_type or ctx.args:
            raise click.UsageError("give either TYPE with --fields or --json FILE, not both")
        records = parse_document(json_file.read(), log.zone)
        if not records:
            raise ChronoError("no events in the input")
        drafts, lines = [d for _, d, _ in records], [n for n, _, _ in records]
        stored = log.append(drafts, expected_position=expect_position, line_numbers=lines)
        _print_ids(stored, ids_json)
        return
    if not event_type:
        raise click.UsageError("name an event TYPE (see `chrono types`) or give --json FILE")
    cls = REGISTRY.get(event_type)
    if cls is None:
        raise ChronoError(f"unknown event type {event_type!r}; known types: {', '.join(sorted(REGISTRY))}")
    if cls.correction:
        raise click.UsageError(f"use `chrono {'retract' if cls is EventRetracted else 'correct'}` for {event_type}")
    values = _parse_fields(cls, ctx.args, log)
    event = codec.structure_event(event_type, None, codec.converter.unstructure(values))
    valid = parse_valid_time(valid_literal, log.zone, wording) if valid_literal else None
    if gloss is not None:
        if valid is None:
            raise click.UsageError("--gloss describes a --valid time; give --valid too")
        valid = attrs.evolve(valid, gloss=gloss)
    draft = Draft(event=event, valid=valid, sources=_sources(outlet, title, attribution, quote, url), id=event_id, after=after, before=before)
    _print_ids(log.append(draft, expected_position=expect_position), ids_json)


@main.command(context_settings=_FIELD_OPTS)
@click.argument("event_id", shell_complete=complete_event_ids)
@click.option("--reason", required=True, help="Why the event is being corrected.")
@click.option("--valid", "valid_literal", type=WINDOW, metavar="TIME", help="The corrected valid time (default: keep the event's).")
@click.option("--wording", help="The source's own words for the corrected time.")
@_source_options
@click.option("--id", "correction_id", help="Your id for the correction (default: generated).")
@json_option
@click.pass_context
def correct(ctx, event_id, reason, valid_literal, wording, outlet, title, attribution, quote, url, correction_id, as_json):
    """Supersede EVENT_ID: append a correction whose fields replace the event's as known from now on.

    Unchanged fields, the valid time and the sources carry over unless given. The original stays in
    the log; `state --as-of` a time before the correction still shows it.

    \b
    Example:
        chrono correct hama-captured --valid 2024-12-06 --reason "the caption dates the capture to 6 December"
    """
    env: Env = ctx.obj
    log = env.writer()
    base = corrections.base_of(log, event_id)
    changes = _parse_fields(type(base.event), ctx.args, log)
    if not changes and not valid_literal and not outlet and wording is None:
        raise click.UsageError("say what to correct: --field value, --valid TIME or --source ...")
    valid = parse_valid_time(valid_literal, log.zone, wording) if valid_literal else None
    draft = corrections.correction(log, event_id, changes=changes, reason=reason, valid=valid, wording=wording,
                                   sources=_sources(outlet, title, attribution, quote, url), correction_id=correction_id)
    _print_ids(log.append(draft), as_json)


@main.command()
@click.argument("event_id", shell_complete=complete_event_ids)
@click.option("--reason", required=True, help="Why the event no longer stands.")
@_source_options
@click.option("--id", "retraction_id", help="Your id for the retraction (default: generated).")
@json_option
@click.pass_obj
def retract(env: Env, event_id, reason, outlet, title, attribution, quote, url, retraction_id, as_json):
    """Retract EVENT_ID: from now on the log reads as if it had never been appended.

    The event stays in the log (nothing is ever deleted); `--as-of` before the retraction still shows it.
    Retracting a correction or a retraction undoes it.

    \b
    Example:
        chrono retract ev-3f2a9c01d4e5b6a7 --reason "duplicate of aleppo-captured"
    """
    log = env.writer()
    log.get(event_id)
    draft = Draft(event=EventRetracted(target=event_id, reason=reason), sources=_sources(outlet, title, attribution, quote, url), id=retraction_id)
    _print_ids(log.append(draft), as_json)


@main.command("import")
@click.argument("file", type=click.File("rb"))
@json_option
@click.pass_obj
def import_(env: Env, file, as_json):
    """Import a JSON Lines file (an export, or events to append) into the log, all or nothing.

    Recorded times, ids and hashes in an export are kept, so an export imported into an empty log
    reproduces it exactly (same head hash). Entries already present are skipped; importing the same
    file twice adds nothing. Memory stays small whatever the file's length, and on Linux with two
    cores a large file is read by a second process while this one writes.

    \b
    Example:
        chrono export --out backup.jsonl && chrono --db copy.db init && chrono --db copy.db import backup.jsonl
    """
    log = env.writer()
    try:
        size = os.fstat(file.fileno()).st_size
    except (OSError, ValueError):
        size = 0  # a pipe: no total to show progress against
    with progress(size // 200, "importing") as report:  # about 200 bytes a line

        def lines():
            read = 0
            for line in file:
                read += len(line)
                report(read // 200)
                yield line

        # Read and written in batches inside one transaction: all or nothing, in bounded memory; a large
        # file is read by a second process while this one writes.
        if parallel_reading(file):
            records = read_prepared(file, log.zone, report=lambda done: report(done // 200))
        else:
            records = read_records(lines(), log.zone, allow_stored=True)
        count, added = log.import_stream(records)
    head = log.head()
    if as_json:
        emit_json({"log": env.which(log, head).json(), "read": count, "added": added})
        return
    click.echo(f"read {count} entries, added {added}; head {head.seq} {head.hash[:16]}", err=False)
