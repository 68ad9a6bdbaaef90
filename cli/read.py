"""Commands that read a log: state, log, entities, types, replay, verify, head, export."""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta

import click

from chrono import codec
from chrono.store import verify as verify_log
from chrono.timeval import iso, parse_instant, parse_valid_time
from events import REGISTRY, EventRetracted, description_of, summary_of, type_json
from projections import cache
from projections.describe import answer_words, summarize
from projections.investigate import entries_concerning
from projections.rules import CONTROL, UNIT, WHERE
from projections.pictures import AUTHOR_FORMATS, BY_AUTHOR, FORMATS, GROUPINGS, MAX_GROUPS, SPANS, SUFFIXES
from projections.query import LIMIT, knowledge
from projections.query import state as state_document
from projections.resolve import resolve

from .app import Env, complete_entities, main
from .options import INSTANT, author_option, json_option, valid_range
from .outfiles import out_format
from .render import actor_styles, echo, emit_json, field_rows, progress, section, shorten, stage, table

@main.command()
@click.option("--at", "at", required=True, type=INSTANT, metavar="TIME", help="The moment to describe: 2024-12-07T21:30, 2024-12-07T21:30+03:00, 2024-12-05 (its first instant).")
@click.option("--as-of", "as_of", type=INSTANT, metavar="TIME", help="As known at this recorded time (default: now). Corrections recorded later are not applied.")
@click.option("--json", "as_json", is_flag=True, help="Print the state as JSON (the shape is in the README).")
@click.option("--all", "show_all", is_flag=True, help="Give every row of every section: places, people and units the log says nothing about yet, every happening so far.")
@click.option("--limit", type=click.IntRange(min=1), default=LIMIT, show_default=True, metavar="N",
              help="At most N rows per section: on a big log, the most recently changed places, people and units, the latest happenings, the soonest to come.")
@click.option("--source", metavar="TEXT", help="Only from events resting on a source whose outlet, title or attribution contains TEXT.")
@click.option("--entity", "entity_names", multiple=True, metavar="ID", shell_complete=complete_entities, help="Only what concerns this place, person, actor or unit (id, name or alias; repeatable).")
@click.pass_obj
def state(env: Env, at: str, as_of: str | None, as_json: bool, show_all: bool, limit: int, source: str | None, entity_names: tuple[str, ...]) -> None:
    """The state of the world at valid time --at, as the log knew it at --as-of.

    Each answer is certain, possible (an event's uncertain window straddles the moment: both the
    prior and the pending value are shown) or unknown, with the events behind it.

    \b
    Examples:
        chrono state --at 2024-12-07T21:30
        chrono state --at 2024-12-07T21:30 --as-of 2026-11-24T12:30Z --json
        chrono state --at 2024-12-08T06:00 --entity Assad --entity Damascus
    """
    log = env.reader()
    which = env.which(log)
    valid_at = parse_instant(at, log.zone)
    known_at = parse_instant(as_of, log.zone) if as_of else None
    ids = None
    if entity_names:
        k = knowledge(log, known_at)
        ids = {k.entity(name).id for name in entity_names}
    doc, g = state_document(log, valid_at, known_at, zone=log.zone, limit=None if show_all else limit, entities=ids, source=source)
    if as_json:
        emit_json({"log": which.json(), **doc})
        return
    _print_state(doc, g, which.line(), show_all)


UPCOMING_SHOWN = 12
_SECTION_NOUN = {"control": "places", "whereabouts": "people", "units": "units"}
RECENT_SHOWN = 10


def _orders(row: dict) -> str:
    o = row.get("orders")
    return f"; ordered: {shorten(o['order'], 60)} ({_when(o['since'])})" if o and o["status"] == "certain" else ""


def _print_state(doc: dict, g, which: str, show_all: bool) -> None:
    n = lambda i: g.name(i) if i else "—"  # noqa: E731
    echo(f"State at {doc['valid_at']}, as known at {doc['known_at']}", bold=True)
    echo(f"{which}\n")
    hidden = 0

    rows = []
    styles = actor_styles(c["controller"] for c in doc["control"] if c["status"] == "certain")
    for c in doc["control"]:
        if c["status"] == "unknown" and not show_all:
            hidden += 1
            continue
        held = answer_words(CONTROL, c, g)
        if c["status"] == "possible" and len(c["candidates"]) == 1:
            held += "  (possibly contested)"
        style = styles[c["controller"]] if c["status"] == "certain" else {"fg": "yellow", "bold": True}
        rows.append([c["name"], (held, style), _when(c["since"]) if c["since"] else "", ", ".join(c["events"])])
    section("Control of places", table(rows, ["place", "held by", "since", "events"], give=((3, 12), (2, 16), (0, 20))))

    rows = []
    for w in doc["whereabouts"]:
        if w["status"] == "unknown" and not show_all:
            hidden += 1
            continue
        where = answer_words(WHERE, w, g)
        if w["status"] == "possible" and len(w["candidates"]) == 1:
            where += "  (possibly dead)"
        rows.append([w["name"], where + _orders(w), _when(w["since"]) if w["since"] else "", ", ".join(w["events"])])
    section("Whereabouts of people", table(rows, ["person", "where", "since", "events"], give=((3, 12), (2, 16), (0, 20))))

    rows = []
    for u in doc["units"]:
        if u["status"] == "unknown" and not show_all:
            hidden += 1
            continue
        rows.append([u["name"], n(u["actor"]), answer_words(UNIT, u, g) + _orders(u), ", ".join(u["events"])])
    section("Units", table(rows, ["unit", "of", "state", "events"], give=((3, 12), (1, 16), (0, 20))))

    def recent(items: list, title: str, cut: bool = False) -> None:
        # A long account has dozens of statements by T: show the latest few unless asked for all.
        shown = items if show_all else items[-RECENT_SHOWN:]
        rows = [[_when(h["time"]), what, "yes" if h["status"] == "certain" else "possibly", h["event"]] for h, what in shown]
        earlier = len(items) - len(shown)
        note = "\n  … and more earlier (--all lists them)" if cut else f"\n  … and {earlier} earlier (--all lists them)" if earlier else ""
        section(title, table(rows, ["when", "what", "happened", "event"]) + note)

    def happened(key, title, describe):
        recent([(h, describe(h)) for h in doc[key]], title, doc["more"][key])

    happened("calls", "Calls", lambda h: f"{n(h['caller'])} → {n(h['callee'])}")
    happened("meetings", "Meetings", lambda h: ", ".join(n(p) for p in h["participants"]) + (f" in {n(h['place'])}" if h["place"] else ""))
    happened("statements", "Statements, claims and rumours", lambda h: f"{n(h['speaker']) if h['speaker'] else h['speaker_description'] or '?'} ({h['kind']}): {shorten(h['text'])}")
    happened("orders", "Orders", lambda h: f"{n(h['issuer'])}: {shorten(h['order'])}")
    happened("airstrikes", "Airstrikes", lambda h: f"{n(h['actor'])} on {n(h['target'])}" + (f": {shorten(h['description'])}" if h["description"] else ""))
    others = [
        *[(h, f"offensive: {h['name']}") for h in doc["offensives"]],
        *[(h, f"power handed from {n(h['from_actor'])} to {n(h['to_actor'])}") for h in doc["transfers"]],
        *[(h, f"{n(h['person'])} appointed {h['role']}") for h in doc["appointments"]],
        *[(h, shorten(h["description"])) for h in doc["incidents"]],
    ]
    # (By window, an open or unknown start first and an open or unknown end last.)
    others.sort(key=lambda pair: (pair[0]["time"]["earliest"] or "", pair[0]["time"]["latest"] or "\uffff"))
    recent(others, "Other happenings", any(doc["more"][k] for k in ("offensives", "transfers", "appointments", "incidents")))
    upcoming = doc["upcoming"] if show_all else doc["upcoming"][:UPCOMING_SHOWN]
    rows = [[_when(u["time"]), shorten(u["summary"], 90), u["event"]] for u in upcoming]
    more = len(doc["upcoming"]) > len(upcoming) or doc["more"]["upcoming"]
    section("Still to come", table(rows, ["when", "what", "event"]) + ("\n  … and more (--all lists them)" if more else ""))
    if hidden:
        echo(f"({hidden} places, people and units with nothing known yet are hidden; --all shows them)")
    cut = [name for name in ("control", "whereabouts", "units") if doc["more"][name]]
    if cut:
        echo(f"(the log knows more {', '.join(_SECTION_NOUN[name] for name in cut)} than the {doc['limit']} most recently "
                   "changed shown here; --entity ID asks about one, --limit N or --all shows more)")


def _when(t: dict) -> str:
    """A window, as short as it reads: a day, days, a span of one day's hours, or from–to; an open or
    unknown end as "…"."""
    lo, hi = t["earliest"], t["latest"]
    if lo is None or hi is None:
        return f"{(lo or '…')[:16].replace('T', ' ')} – {(hi or '…')[:16].replace('T', ' ')}"
    if lo[11:19] == hi[11:19] == "00:00:00":
        last = (datetime.fromisoformat(hi) - timedelta(days=1)).isoformat()
        return lo[:10] if last[:10] == lo[:10] else f"{lo[:10]} – {last[5:10] if last[:4] == lo[:4] else last[:10]}"
    if lo[:10] == hi[:10]:
        return f"{lo[:10]} {lo[11:16]}–{hi[11:16]}"
    return f"{lo[:16].replace('T', ' ')} – {hi[:16].replace('T', ' ')}"


@main.command("log")
@click.option("--type", "types", multiple=True, metavar="TYPE", help="Only events of this type (repeatable).")
@valid_range("since", "until", old=("--since", "--until"))
@click.option("--entity", "entity_names", multiple=True, metavar="ID", shell_complete=complete_entities,
              help="Only entries about this entity (id, name or alias; repeatable), its description included, with their corrections.")
@click.option("--source", metavar="TEXT", help="Only entries resting on a source whose outlet, title or attribution contains TEXT, "
              "with their corrections.")
@author_option("Only the entries NAME recorded (corrections and retractions by their own authors).")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines in the export form, with each entry's status and author.")
@click.pass_obj
def log_(env: Env, types, since, until, entity_names, source, author, as_json) -> None:
    """The raw log in recorded order, with corrections and retractions shown, and who recorded each
    entry (`by`: --author or $CHRONO_AUTHOR when it was appended, else the user; blank for an entry
    recorded before Chrono kept authors).

    \b
    Examples:
        chrono log --type CallMade
        chrono log --from 2024-12-07 --to 2024-12-08 --json
        chrono log --entity aleppo --source majalla
        chrono log --author amira
    """
    log = env.reader()
    for t in types:
        if t not in REGISTRY:
            raise click.BadParameter(f"unknown event type {t!r}", param_hint="--type")
    # In UTC microseconds, as the windows compare: an open or unknown end is at the calendar's edge.
    lo = parse_valid_time(since, log.zone).lo if since else None
    hi = parse_valid_time(until, log.zone).hi if until else None
    # JSON Lines are entries only, for scripts: which log they come from goes to stderr.
    echo(env.which(log).line(), err=as_json)
    entries = list(log.entries())
    res = resolve(entries)
    facts = {f.id: f for f in res.facts}
    k = knowledge(log)
    g = k.gazetteer
    if entity_names or source:
        entries = list(entries_concerning(entries, entities={k.entity(name).id for name in entity_names}, source=source))
    rows = []
    for e in entries:
        if types and e.type_name not in types:
            continue
        if (since or until) and (e.valid is None or (lo is not None and e.valid.hi <= lo) or (hi is not None and e.valid.lo >= hi)):
            continue
        if author is not None and e.author != author:
            continue
        if e.id in res.retracted:
            status = f"retracted by {res.retracted[e.id]}"
        elif e.id in facts and facts[e.id].via:
            status = f"corrected by {', '.join(facts[e.id].via)}"
        else:
            status = "stands"
        if as_json:
            click.echo(codec.canonical({**codec.entry_to_json(e), "status": status, "author": e.author}))
        else:
            when = e.valid.describe() if e.valid else "(timeless)"
            rows.append([str(e.seq), e.id, e.type_name, when, shorten(summarize(e.event, g), 60), status, e.author or ""])
    if not as_json:
        click.echo(table(rows, ["#", "id", "type", "valid", "what", "status", "by"]) or "no entries")


@main.command()
@click.option("--kind", type=click.Choice(["place", "person", "actor", "unit"]), help="Only entities of this kind.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def entities(env: Env, kind, as_json) -> None:
    """Every place, person, actor and unit the log describes, with ids and aliases.

    Any command that takes an entity accepts an id, a name or an alias ("al-Joulani" finds al-Sharaa).

    \b
    Example:
        chrono entities --kind person
    """
    log = env.reader()
    which = env.which(log)
    g = knowledge(log).gazetteer
    items = [e for e in g if kind in (None, e.kind)]
    echo(which.line(), err=as_json)  # the JSON is an array of entities: the log is named on stderr
    if as_json:
        emit_json([_entity_json(e) for e in items])
        return
    rows = [[e.kind, e.id, e.name, ", ".join(e.aliases)] for e in items]
    click.echo(table(rows, ["kind", "id", "name", "aliases"]) or "no entities")


def _entity_json(e) -> dict:
    details = {k: list(v) if isinstance(v, tuple) else v for k, v in e.details.items()}
    # The description's own `kind` (city, faction, division) is the entity's category.
    category = details.pop("kind", None)
    return {"id": e.id, "kind": e.kind, "category": category, "name": e.name, "aliases": list(e.aliases), **details, "event": e.event}


@main.command()
@click.argument("event_type", required=False, metavar="TYPE")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON: every type (or TYPE) with its description and fields.")
def types(event_type, as_json) -> None:
    """The event types, or the fields of one TYPE: each field's option, plain type (text, entity of
    kind place, list of entities, number, ...), whether it must be given, and what it means.

    \b
    Examples:
        chrono types
        chrono types ControlChanged
        chrono types --json
    """
    if event_type is None:
        if as_json:
            emit_json([type_json(cls) for _name, cls in sorted(REGISTRY.items())])
            return
        for name, cls in sorted(REGISTRY.items()):
            echo(f"{name:22} {'(timeless) ' if cls.timeless else ''}{summary_of(cls)}".rstrip(), indent=" " * 23)
        return
    cls = REGISTRY.get(event_type)
    if cls is None:
        raise click.BadParameter(f"unknown event type {event_type!r}; `chrono types` lists them", param_hint="TYPE")
    if as_json:
        emit_json(type_json(cls))
        return
    echo(f"{event_type} (schema version {cls.version}){' — timeless, needs no --valid' if cls.timeless else ''}")
    echo()
    echo(f"  {description_of(cls)}", indent="  ")
    echo()
    echo("Fields:")
    rows = field_rows(cls)
    width = max(len(option) for option, _ in rows)
    for option, what in rows:
        echo(f"  {option:{width}}  {what}", indent=" " * (width + 4))


@main.command()
@json_option
@click.pass_obj
def replay(env: Env, as_json: bool) -> None:
    """Rebuild every materialized projection from the log, then report counts.

    The projections are a cache in two files beside the log (LOG-cache and LOG-cache-mentions),
    written anew and moved into place when complete; reads rebuild them when the log has moved on,
    and deleting them loses nothing.

    \b
    Example:
        chrono replay
    """
    log = env.reader()
    which = env.which(log)
    if not as_json:
        echo(which.line())
    started = time.perf_counter()
    n = len(log)
    if log.readonly:  # (nowhere to keep a cache: the facts a rebuild would keep, counted)
        facts = len(resolve(log.entries()).facts)
    else:
        with progress(n, "replaying") as report:
            facts = cache.rebuild(log, progress=report)
    elapsed = time.perf_counter() - started
    k = knowledge(log)
    kinds = {}
    for e in k.gazetteer:
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
    retracted = log.conn.execute("SELECT count(*) FROM events WHERE type = ?", (EventRetracted.type_name,)).fetchone()[0]
    if as_json:
        emit_json({"log": which.json(), "entries": n, "facts": facts, "retractions": retracted, "seconds": round(elapsed, 3),
                   "entities": dict(sorted(kinds.items())), "cache_kept": not log.readonly})
        return
    echo(f"replayed {n} entries into {facts} standing facts in {elapsed:.2f}s ({retracted} retractions)")
    echo("entities: " + (", ".join(f"{v} {k}s" for k, v in sorted(kinds.items())) or "none described"))
    if log.readonly:
        echo("the log is read-only: no cache is kept beside it, and each read replays it")


@main.command("verify")
@click.option("--head", "head_hash", metavar="HASH", help="Also fail unless the log still reaches this head hash (from `chrono head`).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def verify_(env: Env, head_hash, as_json) -> None:
    """Recompute the hash chain and check the log; exit 1 with the first bad position on tampering.

    \b
    Examples:
        chrono verify
        chrono verify --head 3f9a...   # a hash you published earlier with `chrono head`
    """
    log = env.reader()
    which = env.which(log)
    with progress(which.seq, "verifying") as step:
        report = verify_log(log, head=head_hash, progress=step)
    if as_json:
        emit_json({"log": which.json(), "ok": report.ok, "entries": report.count,
                   "head": {"seq": report.head.seq, "hash": report.head.hash}, "position": report.position, "problem": report.problem})
    else:
        echo(which.line())
        if report.ok:
            echo(f"ok: {report.count} entries, hash chain intact; head {report.head.seq} {report.head.hash}")
        else:
            click.echo(f"TAMPERED at position {report.position}: {report.problem}", err=True)
    if not report.ok:
        sys.exit(1)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def head(env: Env, as_json) -> None:
    """Print the log's head position and hash: publish or keep it, and `chrono verify --head` later.

    \b
    Example:
        chrono head            # 335 3f9a0c...
        chrono verify --head 3f9a0c...
    """
    log = env.reader()
    h = log.head()
    which = env.which(log, head=h)
    if as_json:
        emit_json({"log": which.json(), "seq": h.seq, "hash": h.hash, "recorded": iso(h.recorded)})
    else:
        click.echo(which.line(), err=True)  # stdout is the position and hash alone, for scripts
        click.echo(f"{h.seq} {h.hash}")


@main.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="jsonl: the whole log, lossless (what `import` reads); csv: one row per event; "
                   "geojson: the state at --at; timelinejs: Knight Lab TimelineJS. Default: the one --out's "
                   "suffix names (.jsonl, .csv, .geojson), else jsonl.")
@click.option("--at", type=INSTANT, metavar="TIME", help="geojson: the moment to map; csv/timelinejs: only events begun by then.")
@click.option("--as-of", "as_of", type=INSTANT, metavar="TIME", help="csv/geojson/timelinejs: as known at this recorded time.")
@click.option("--group", type=click.Choice(GROUPINGS), default=None,
              help="timelinejs: the rows of the time bar — none (default), place or actor (each event's first; the "
                   f"{MAX_GROUPS - 1} largest, then one row for the rest).")
@click.option("--span", type=click.Choice(SPANS), default=None,
              help="timelinejs: own (default) lists events far outside the chronicle's span on the title slide, so the "
                   "timeline opens on the chronicle; all gives every event a slide.")
@click.option("--out", type=click.File("wb"), default="-", metavar="FILE", help="Write to FILE, whose suffix names the format (default: stdout).")
@author_option("csv/timelinejs: only the events whose present wording NAME recorded (the event's, or its latest "
               "correction's): their recorded_by.")
@json_option
@click.pass_obj
def export(env: Env, fmt, at, as_of, group, span, out, author, as_json) -> None:
    """Export the log: JSON Lines (ids, both times, sources, hashes and who recorded each entry — what
    `import` reads), CSV with ACLED's column names (and Chrono's own: recorded_by says who recorded
    what a row says now), GeoJSON of the state at a moment, or TimelineJS JSON.

    Every format is written as it is read, in memory that does not grow with the log (a large CSV
    or TimelineJS export is written by two processes); on a terminal, stderr shows its progress.

    \b
    Examples:
        chrono export --out backup.jsonl
        chrono export --out events.csv      # the suffix names the format
        chrono export --format geojson --at 2024-12-07T21:30 --out syria.geojson
        chrono export --format timelinejs --out timeline.json --json
        chrono export --format timelinejs --group place --out timeline.json
        chrono export --author amira --out amira.csv
    """
    from projections.pictures import export as export_log

    to_file = getattr(out, "name", "-") not in ("-", "<stdout>")
    if as_json and not to_file:
        raise click.UsageError("--json reports on the file written: give --out FILE")
    fmt = out_format(getattr(out, "name", "-"), SUFFIXES, fmt) or "jsonl"
    log = env.reader()
    if fmt == "jsonl" and (at or as_of):
        raise click.UsageError("--at and --as-of do not apply to jsonl, which is always the whole log")
    if fmt != "timelinejs" and (group or span):
        raise click.UsageError("--group and --span apply to timelinejs only")
    if author is not None and fmt not in BY_AUTHOR:
        raise click.UsageError(f"{fmt} is {'always the whole log' if fmt == 'jsonl' else 'the state at a moment'}: {AUTHOR_FORMATS}")
    valid_at = parse_instant(at, log.zone) if at else None
    known_at = parse_instant(as_of, log.zone) if as_of else None
    which = env.which(log)
    n = export_log(log, fmt, out, at=valid_at, known_at=known_at, group=group or "none", span=span or "own", step=stage, author=author)
    if as_json:
        emit_json({"log": which.json(), "format": fmt, "out": out.name, "count": n})
        return
    # The formats stay what importers and other tools read: which log they come from goes to stderr.
    click.echo(which.line(), err=True)
    if to_file:
        click.echo(f"exported {n} {'entries' if fmt == 'jsonl' else 'features' if fmt == 'geojson' else 'events'} to {out.name}", err=True)
