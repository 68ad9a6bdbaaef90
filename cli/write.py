"""Commands that add to a log: init, append, correct, retract, import."""

from __future__ import annotations

import functools
import os

import attrs
import click

from chrono import codec, settings, transfer
from chrono.chronicles import CHRONICLES, chronicle, load_into
from chrono.entry import Draft
from chrono.errors import ChronoError, UnknownEntityError
from chrono.jsonl import parallel_reading, parse_document, read_prepared, read_records
from chrono.logstore import check_author
from chrono.store import Log
from chrono.timeval import parse_valid_time
from chrono.transfer import CHOICES, KEEP, TAKE
from events import REGISTRY, EventRetracted, Source, description_of, fields_of, valid_entity_id
from projections import corrections, intake
from projections.describe import summarize
from projections.query import knowledge

from .app import Env, complete_event_ids, main
from .options import WINDOW, json_option
from .render import emit_json, progress, write_fields

_FIELD_OPTS = {"allow_extra_args": True, "ignore_unknown_options": True}


class _FieldsCommand(click.Command):
    """A command that takes an event type's fields as options: its help also lists the fields that
    the arguments it was given call for (`fields_help`)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # (--help is acted on while the arguments are parsed, before any of them reaches the command.)
        ctx.meta["chrono.args"] = list(args)
        return super().parse_args(ctx, args)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_help(ctx, formatter)
        self.fields_help(ctx, [a for a in ctx.meta.get("chrono.args", ()) if not a.startswith("-")], formatter)

    def fields_help(self, ctx: click.Context, words: list[str], formatter: click.HelpFormatter) -> None:
        raise NotImplementedError


class _AppendCommand(_FieldsCommand):
    def fields_help(self, ctx, words, formatter) -> None:
        cls = next((REGISTRY[w] for w in words if w in REGISTRY), None)
        if cls is None:
            formatter.write_paragraph()
            formatter.write_text("`chrono append TYPE --help` lists the fields of TYPE; `chrono types` lists the types.")
        elif cls.correction:
            formatter.write_paragraph()
            formatter.write_text(f"{cls.type_name} is appended by `chrono {'retract' if cls is EventRetracted else 'correct'}`.")
        else:
            formatter.write_paragraph()
            formatter.write_text(f"{cls.type_name}: {description_of(cls)}")
            write_fields(formatter, f"Fields of {cls.type_name}", cls)


class _CorrectCommand(_FieldsCommand):
    def fields_help(self, ctx, words, formatter) -> None:
        base = _corrected_type(ctx, words[0]) if words else None
        if base is not None:
            write_fields(formatter, f"Fields a correction of {words[0]} may set (a {base.type_name}; a field not given keeps its value)",
                         base, new=False)
            return
        facts = [cls for _name, cls in sorted(REGISTRY.items()) if not cls.correction]
        with formatter.section("Fields a correction may set: those of the corrected event's type "
                               "(`chrono correct EVENT_ID --help` lists them in full)"):
            formatter.write_dl([(cls.type_name, " ".join(f.option for f in fields_of(cls))) for cls in facts])


def _corrected_type(ctx: click.Context, event_id: str):
    """The type of the event a correction of `event_id` would replace, if the log can say."""
    try:
        log = ctx.find_object(Env).writer()
        return type(corrections.base_of(log, event_id).event)
    except (ChronoError, click.ClickException):
        return None


@main.command()
@click.option("--zone", default=None, help="Zone of naive times typed into this log (IANA name), recorded as its `zone` setting. "
              "Default: UTC, or the chronicle's.")
@click.option("--chronicle", "chronicle_name", type=click.Choice(sorted(CHRONICLES)), help="Start from a bundled chronicle (and its zone and title).")
@json_option
@click.pass_obj
def init(env: Env, zone: str | None, chronicle_name: str | None, as_json: bool) -> None:
    """Create a new, empty log (or one holding a bundled chronicle).

    A zone is recorded in the log as its first entry, a setting (see `chrono settings`), so that it
    travels with the log's exports. To copy a log exactly, import its export into a log made by
    `chrono init` with no --zone: the export carries its settings.

    \b
    Examples:
        chrono init --zone Africa/Khartoum
        chrono --db syria.db init --chronicle syria-2024
    """
    chosen = {}
    if chronicle_name:
        c = chronicle(chronicle_name)
        chosen = {"zone": c.zone, "title": c.title}
    if zone:
        chosen["zone"] = zone
    changes = [settings.change(key, value) for key, value in chosen.items()]  # (checked before the file is made)
    from chrono.logs import create_log

    recorder = env.recorder
    if recorder is not None:
        check_author(recorder)  # (before the log is made)
    log = create_log(env.path, clock=env.clock)
    log.author = recorder
    try:
        # (All or nothing: a log on a server stays, empty, when this fails; a file is removed.)
        with log.staged() as stage:
            added = load_into(log, chronicle_name) if chronicle_name else 0
            if changes:
                log.append(changes)
            stage.commit()
    except BaseException:
        log.close()
        if not env.shared:
            os.remove(env.path)
        raise
    head, zone = log.head(), log.zone
    which = env.which(log, head)
    log.close()
    grants = _grants() if env.shared else None
    if as_json:
        emit_json({"log": which.json(), "zone": zone, "chronicle": chronicle_name, "entries": added,
                   **({"roles": grants} if grants else {})})
        return
    what = f" with the {chronicle_name} chronicle ({added} entries)" if chronicle_name else ""
    click.echo(f"created {which.path}{what}; zone {zone}; head {head.seq} {head.hash[:16]}")
    if grants:
        click.echo(f"to let a person write it: GRANT {grants['writer']} TO their_role; to let one read it: "
                   f"GRANT {grants['reader']} TO their_role (docs/postgres.md)")


def _grants() -> dict[str, str]:
    """The group roles a log on PostgreSQL granted itself to (chrono.pgstore)."""
    from chrono.pgstore import READER, WRITER

    return {"writer": WRITER, "reader": READER}


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


def _parse_fields(cls, args: list[str], log: Log, new_entities=frozenset()) -> dict:
    """`--field value` pairs for an event type; list fields take a comma-separated list or repeat. An
    id allowed as a new entity is taken as it is."""
    gazetteer = functools.cache(lambda: knowledge(log).gazetteer)  # read once, and only if a field names an entity

    def entity(text: str, kind: str) -> str:
        return text if text in new_entities else _entity(text, kind, log, gazetteer())

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
    """An entity id from an id, name or alias. A well-formed id that names nothing described is left
    as it is, for the write's checks to refuse (with "did you mean") unless it is allowed as new."""
    g = g or knowledge(log).gazetteer
    try:
        return g.lookup(text, kind).id
    except UnknownEntityError:
        if valid_entity_id(text):
            return text
        raise


def _entry_options(f):
    """What every command that takes new events from a user shares: entities allowed as new, whether
    facts need a source, and a dry run."""
    f = click.option("--dry-run", is_flag=True, help="Check everything and show what would be written (ids, positions), "
                     "and write nothing.")(f)
    f = click.option("--require-source", is_flag=True, help="Refuse a fact that rests on no source.")(f)
    f = click.option("--new-entity", "new_entities", multiple=True, metavar="ID",
                     help="Allow this id to name an entity no description in the log names yet (repeatable). "
                     "Without it, such an id is refused, with the closest described ones.")(f)
    return f


def _intake(log: Log, new_entities, require_source: bool) -> intake.Intake:
    return intake.Intake(log, allowed=new_entities, require_source=intake.requires_source(log, asked=require_source))


def _write(log: Log, drafts, checks: intake.Intake, *, dry_run: bool, as_json: bool = False, **kw) -> None:
    """Write the drafts (or, with dry_run, show what would be written) and print their ids."""
    written = intake.write(log, drafts, checks, dry_run=dry_run, **kw)
    new = lambda e: e.seq > written.before.seq  # noqa: E731 (an entry the log held already is returned as it is)
    if as_json:
        emit_json([_entry_json(e, new(e)) for e in written.entries])
    elif dry_run:
        _dry_run_header(log, written.before)
        generated = {e.seq for e, d in zip(written.entries, drafts, strict=True) if d.id is None}
        _show_entries(log, written.entries, checks.gazetteer, lambda e: "would add at" if new(e) else "already in the log at", generated)
    else:
        for e in written.entries:
            click.echo(e.id)


def _entry_json(e, new: bool) -> dict:
    """An entry written (or that a dry run would write) as `--json` gives it; `new`: not one the log held."""
    return {"id": e.id, "seq": e.seq, "hash": e.hash, "recorded": e.recorded.isoformat(), "type": e.type_name, "new": new}


def _dry_run_header(log: Log, head) -> None:
    click.echo(f"dry run: nothing was written to {log.path} (its head stays {head.seq} {head.hash[:16]})")


def _show_entries(log: Log, entries, g, how, generated=frozenset()) -> None:
    """One line per entry: where it goes (`how`), its id (marked when the log made it up: a write
    makes up another), type, valid time and what it says."""
    for e in entries:
        when = e.valid.describe() if e.valid else "timeless"
        made_up = " (a generated id; the write makes its own)" if e.seq in generated else ""
        click.echo(f"{how(e)} {e.seq}: {e.id}{made_up}  {e.type_name}  {when}  {summarize(e.event, g)}")


@main.command(cls=_AppendCommand, context_settings=_FIELD_OPTS)
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
@click.option("--ids-json", "ids_json", is_flag=True, help="Print the entries as JSON (id, seq, hash, recorded, type, new) instead of bare ids.")
@_entry_options
@click.pass_context
def append(ctx, event_type, json_file, valid_literal, wording, gloss, outlet, title, attribution, quote, url, event_id, after, before,
           expect_position, ids_json, new_entities, require_source, dry_run):
    """Append one event (TYPE --field value ...) or many (--json FILE) in one all-or-nothing batch.

    Prints the ids of the appended events. Entities may be named by id, name or alias; an id that no
    description names is refused, with the closest described ones ("did you mean ..."), unless it is
    described in the same batch or allowed with --new-entity. `chrono append TYPE --help` lists
    TYPE's fields.

    \b
    Examples:
        chrono append CallMade --caller lavrov --callee fidan --valid 2024-12-01 \\
            --source "Al Majalla" --quote "Lavrov called Turkish and Iranian counterparts"
        chrono append PlaceDescribed --place aleppo --name Aleppo --kind city --lat 36.2 --lon 37.16
        chrono append CityCaptured --place hantoub --by rsf --valid 2023-12-16 --new-entity hantoub --dry-run
        chrono append --json events.jsonl
    Types: see `chrono types`.
    """
    env: Env = ctx.obj
    log = env.writer()
    checks = _intake(log, new_entities, require_source)
    if json_file is not None:
        if event_type or ctx.args:
            raise click.UsageError("give either TYPE with --fields or --json FILE, not both")
        records = parse_document(json_file.read(), log.zone)
        if not records:
            raise ChronoError("no events in the input")
        drafts, lines = [d for _, d, _ in records], [n for n, _, _ in records]
        _write(log, drafts, checks, dry_run=dry_run, as_json=ids_json, expected_position=expect_position, line_numbers=lines)
        return
    if not event_type:
        raise click.UsageError("name an event TYPE (see `chrono types`) or give --json FILE")
    cls = REGISTRY.get(event_type)
    if cls is None:
        raise ChronoError(f"unknown event type {event_type!r}; known types: {', '.join(sorted(REGISTRY))}")
    if cls.correction:
        raise click.UsageError(f"use `chrono {'retract' if cls is EventRetracted else 'correct'}` for {event_type}")
    values = _parse_fields(cls, ctx.args, log, checks.allowed)
    event = codec.structure_event(event_type, None, codec.converter.unstructure(values))
    valid = parse_valid_time(valid_literal, log.zone, wording) if valid_literal else None
    if gloss is not None:
        if valid is None:
            raise click.UsageError("--gloss describes a --valid time; give --valid too")
        valid = attrs.evolve(valid, gloss=gloss)
    draft = Draft(event=event, valid=valid, sources=_sources(outlet, title, attribution, quote, url), id=event_id, after=after, before=before)
    _write(log, [draft], checks, dry_run=dry_run, as_json=ids_json, expected_position=expect_position)


@main.command(cls=_CorrectCommand, context_settings=_FIELD_OPTS)
@click.argument("event_id", shell_complete=complete_event_ids)
@click.option("--reason", required=True, help="Why the event is being corrected.")
@click.option("--valid", "valid_literal", type=WINDOW, metavar="TIME", help="The corrected valid time (default: keep the event's).")
@click.option("--wording", help="The source's own words for the corrected time.")
@_source_options
@click.option("--id", "correction_id", help="Your id for the correction (default: generated).")
@_entry_options
@json_option
@click.pass_context
def correct(ctx, event_id, reason, valid_literal, wording, outlet, title, attribution, quote, url, correction_id, new_entities, require_source,
            dry_run, as_json):
    """Supersede EVENT_ID: append a correction whose fields replace the event's as known from now on.

    Unchanged fields, the valid time and the sources carry over unless given. The original stays in
    the log; `state --as-of` a time before the correction still shows it.

    \b
    Example:
        chrono correct hama-captured --valid 2024-12-06 --reason "the caption dates the capture to 6 December"
    """
    env: Env = ctx.obj
    log = env.writer()
    checks = _intake(log, new_entities, require_source)
    base = corrections.base_of(log, event_id)
    changes = _parse_fields(type(base.event), ctx.args, log, checks.allowed)
    if not changes and not valid_literal and not outlet and wording is None:
        raise click.UsageError("say what to correct: --field value, --valid TIME or --source ...")
    valid = parse_valid_time(valid_literal, log.zone, wording) if valid_literal else None
    draft = corrections.correction(log, event_id, changes=changes, reason=reason, valid=valid, wording=wording,
                                   sources=_sources(outlet, title, attribution, quote, url), correction_id=correction_id)
    _write(log, [draft], checks, dry_run=dry_run, as_json=as_json)


@main.command()
@click.argument("event_id", shell_complete=complete_event_ids)
@click.option("--reason", required=True, help="Why the event no longer stands.")
@_source_options
@click.option("--id", "retraction_id", help="Your id for the retraction (default: generated).")
@click.option("--dry-run", is_flag=True, help="Check everything and show what would be written, and write nothing.")
@json_option
@click.pass_obj
def retract(env: Env, event_id, reason, outlet, title, attribution, quote, url, retraction_id, dry_run, as_json):
    """Retract EVENT_ID: from now on the log reads as if it had never been appended.

    The event stays in the log (nothing is ever deleted); `--as-of` before the retraction still shows it.
    Retracting a correction or a retraction undoes it. An event already retracted is not retracted
    again: the error names the retraction that did it.

    \b
    Examples:
        chrono retract ev-3f2a9c01d4e5b6a7 --reason "duplicate of aleppo-captured"
        chrono retract aleppo-captured --reason "a rumour" --dry-run
    """
    log = env.writer()
    log.get(event_id)
    draft = Draft(event=EventRetracted(target=event_id, reason=reason), sources=_sources(outlet, title, attribution, quote, url), id=retraction_id)
    _write(log, [draft], intake.Intake(log), dry_run=dry_run, as_json=as_json)


@main.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--merge", is_flag=True, help="FILE is the export of another chronology: append its entries as new ones, each "
              "with where it came from (its provenance).")
@click.option("--name", metavar="NAME", help="With --merge: what the entries' origins call the merged log (default: its title, "
              "else the file's name).")
@click.option("--rename", metavar="PREFIX", help="With --merge: an entry whose id this log uses for another event gets the id "
              "PREFIX + id here (without it, such a merge is refused).")
@click.option("--settings", "prefer", type=click.Choice(CHOICES), help="When the imported log's settings (its zone, title...) "
              f"differ from this log's: {KEEP} this log's, or {TAKE} the imported log's. Without it, such an import is refused.")
@_entry_options
@json_option
@click.pass_obj
def import_(env: Env, file, merge, name, rename, prefer, new_entities, require_source, dry_run, as_json):
    """Import a JSON Lines file (an export, or events to append) into the log, all or nothing.

    Recorded times, ids and hashes in an export are kept, so an export imported into an empty log
    reproduces it exactly (same head hash), with its settings (zone, title, colours...), which are
    entries; an export of this log that has grown since adds what is new. Entries already present are
    skipped; importing the same file twice adds nothing. Memory stays small whatever the file's
    length, and on Linux with two cores a large file is read by a second process while this one writes.

    With --merge, FILE is another chronology's export: its entries are appended as new ones (recorded
    now), each keeping its origin (the log's name and head, its position, id and recorded time there)
    in its provenance, which the hash chain covers and `show` prints. Merging again adds only what is
    new. Its settings entries are kept but set nothing here unless --settings take.

    A line without a recorded time is a new event, checked as `append` checks one: the entities it
    names must be described in the log or on an earlier line (or allowed with --new-entity). The
    entries of an export, which carry their recorded times, are a log's history and kept as they are.

    \b
    Examples:
        chrono export --out backup.jsonl && chrono --db copy.db init && chrono --db copy.db import backup.jsonl
        chrono import events.jsonl --dry-run
        chrono import --merge colleague.jsonl --name "Amira's notes" --rename amira-
    """
    if not merge and (name or rename):
        raise click.UsageError("--name and --rename go with --merge")
    log = env.writer()
    checks = _intake(log, new_entities, require_source)
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
        before = log.head()
        if merge:
            # (Another chronology's history, kept as it is, as an export's entries are.)
            with log.staged() as stage:
                done = transfer.merge(log, records, name=name, file=os.path.basename(file.name), prefer=prefer, rename=rename)
                if dry_run and not as_json:
                    _dry_run_header(log, before)
                    _show_entries(log, log.entries(after_seq=before.seq), checks.gazetteer, lambda _e: "would add at")
                elif not dry_run:
                    stage.commit()
        else:
            shown: list[dict] = []  # (with --json, the entries a dry run would add)

            def show(entries) -> None:
                if as_json:
                    shown.extend(_entry_json(e, True) for e in entries)
                    return
                _dry_run_header(log, before)
                _show_entries(log, entries, checks.gazetteer, lambda _e: "would add at")

            imported = intake.import_stream(log, records, checks, dry_run=dry_run, inspect=show if dry_run else None,
                                            write=lambda vetted: transfer.import_log(log, vetted, prefer=prefer))
    if not merge:
        head = imported.after
        if as_json:
            # (A dry run leaves the log at its head before: `log` says so, `head` what it would become.)
            emit_json({"log": env.which(log, before if dry_run else head).json(), "read": imported.read, "added": imported.added,
                       **({"dry_run": True, "head": {"seq": head.seq, "hash": head.hash}, "entries": shown} if dry_run else {})})
        elif dry_run:
            click.echo(f"would read {imported.read} entries and add {imported.added}; the head would be {head.seq} {head.hash[:16]}")
        else:
            click.echo(f"read {imported.read} entries, added {imported.added}; head {head.seq} {head.hash[:16]}")
        return
    head = log.head()
    verb = "would merge" if dry_run else "merged"
    if as_json:
        emit_json({"log": env.which(log, head).json(), "read": done.read, "added": done.added, "present": done.present,
                   "merged": {"name": done.name, "head": {"seq": done.head.seq, "hash": done.head.hash}},
                   "renamed": done.renamed, "settings_taken": done.taken, **({"dry_run": True} if dry_run else {})})
        return
    click.echo(f"{verb} {done.name} (head {done.head.seq} {done.head.hash[:16]}): read {done.read} entries, added {done.added}, "
               f"{done.present} already here; head {head.seq} {head.hash[:16]}")
    for theirs, ours in done.renamed.items():
        click.echo(f"  renamed {theirs} -> {ours}")
    if done.taken:
        click.echo(f"  settings taken from it: {', '.join(done.taken)}")
