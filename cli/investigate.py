"""Commands for investigating a chronology: history, show, diff, timeline, sources, check."""

from __future__ import annotations

import contextlib
import sys

import click

from chrono.entry import author_of
from chrono.errors import UnknownEntityError
from chrono.timeval import iso, parse_instant, parse_valid_time
from events import REGISTRY
from projections import indexed
from projections import investigate as inv
from projections.query import knowledge

from .app import Env, complete_entities, complete_event_ids, main
from .options import INSTANT, author_option, valid_range
from .outfiles import PAGES, out_format
from .render import echo, emit_json, progress, section, shorten, stage, table


def _json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="Print as JSON.")(f)


def _source_option(f):
    return click.option("--source", metavar="TEXT", help="Only what rests on a source whose outlet, title or attribution contains TEXT.")(f)


def _as_of_option(f):
    return click.option("--as-of", "as_of", type=INSTANT, metavar="TIME", help="As known at this recorded time (default: now).")(f)


def _known(log, as_of):
    return inv.load(log, parse_instant(as_of, log.zone) if as_of else None)


_LABELLED = " " * 13  # where `show` puts the text after its labels ("  valid:     ")


def _origins(provenance: dict | None) -> list[str]:
    """Where a merged entry was, and where that log had it from (a merge of a merge), a line each."""
    out = []
    origin = (provenance or {}).get("origin")
    while isinstance(origin, dict):
        head = origin.get("head") or {}
        label = "merged:   " if not out else "  which had it from"
        by = author_of(origin.get("provenance"))
        out.append(f"{label} from {origin.get('log')} (head {head.get('seq')} {str(head.get('hash'))[:16]}), where it was entry "
                   f"{origin.get('seq')} {origin.get('id')}, recorded {origin.get('recorded')}" + (f" by {by}" if by else ""))
        origin = (origin.get("provenance") or {}).get("origin")
    return out


def _recorded_by(row: dict) -> str | None:
    """Who recorded a history row's event, and who what it says now when that is another entry's; None
    when the log did not record either (entries from before it kept authors)."""
    who = row["author"] or "(not recorded)"
    if row["author"] is None and row["recorded_by"] is None:
        return None
    if row["recorded_by"] == row["author"]:
        return f"recorded by {who}"
    then = "retracted" if row["retracted_by"] else "corrected"
    return f"recorded by {who}; {then} by {row['recorded_by'] or '(not recorded)'}"


def _when(valid: dict | None) -> str:
    if valid is None:
        return "(timeless)"
    text = valid["described"]
    if valid["narrowed"]:
        text += f" [narrowed: {valid['narrowed']['described']}]"
    return text


def _wording(valid: dict | None) -> str:
    """The source's words for the time, quoted; the chronicler's own (a gloss), not."""
    if not valid:
        return ""
    return (f" — “{valid['wording']}”" if valid.get("wording") else "") + (f" — [{valid['gloss']}]" if valid.get("gloss") else "")


@main.command()
@click.argument("entity", metavar="ENTITY", shell_complete=complete_entities)
@_as_of_option
@click.option("--mentions", is_flag=True, help="Also list every other event that names the entity.")
@_source_option
@author_option("Only the changes whose present wording NAME recorded: the event's, or for a corrected or retracted "
               "one, its latest correction's or its retraction's.")
@_json_option
@click.pass_obj
def history(env: Env, entity, as_of, mentions, source, author, as_json) -> None:
    """Every change to one place, person, actor or unit, in valid-time order.

    A place's history is who held it; a person's, where they were; a unit's, what became of it; an
    actor's, the places it gained or lost and its units. Corrected events show the corrections
    that made them; retracted ones are listed as retracted, with the retraction. Each says who
    recorded it, and who recorded the correction or retraction it stands on now.

    \b
    Examples:
        chrono history aleppo
        chrono history al-Joulani --mentions
        chrono history homs --as-of 2026-11-24T12:30Z --json
        chrono history homs --author amira
    """
    log = env.reader()
    which = env.which(log)
    known_at = parse_instant(as_of, log.zone) if as_of else None
    try:
        found = knowledge(log, known_at).entity(entity)
    except UnknownEntityError:
        if not as_of:
            raise
        found = knowledge(log).entity(entity)  # described only after --as-of
    doc = inv.history(inv.load_for(log, found, known_at, mentions=mentions), found, zone=log.zone, mentions=mentions, source=source,
                      author=author)
    if as_json:
        emit_json({"log": which.json(), **doc})
        return
    e = doc["entity"]
    echo(f"History of {e['name']} ({e['kind']} {e['id']}), as known at {doc['known_at']}", bold=True)
    echo(which.line())
    if not doc["changes"]:
        said = [f"with a source matching {source!r}"] * bool(source) + [f"recorded by {author}"] * (author is not None)
        echo("  nothing in the log changes it" + (f" ({', '.join(said)})" if said else ""))
    for row in doc["changes"]:
        click.echo()
        head = f"{_when(row['valid'])}{_wording(row['valid'])}"
        echo(head, bold=True)
        if row["status"] == "retracted":
            echo(f"  RETRACTED by {row['retracted_by']}: {row['summary']}  [{row['event']}]")
        elif row["status"] == "corrected-away":
            echo(f"  CORRECTED AWAY by {', '.join(row['via'])}: once said “{row['summary']}”, now “{row['now']}”  [{row['event']}]")
        else:
            what = row["summary"]
            if row["value_text"] is not None:
                label = f"{row['key_name']}: " if row["key"] != e["id"] else ""
                what = f"{label}→ {row['value_text']}{'' if row['changed'] else ' (no change)'}   ({row['summary']})"
            echo(f"  {what}  [{row['event']}]")
            if row["via"]:
                echo(f"  corrected by {' → '.join(row['via'])}; originally: {row['original']}")
        echo(f"  source: {row['attribution']}")
        if (by := _recorded_by(row)) is not None:
            echo(f"  {by}")


@main.command()
@click.argument("event_id", metavar="EVENT_ID", shell_complete=complete_event_ids)
@_as_of_option
@_json_option
@click.pass_obj
def show(env: Env, event_id, as_of, as_json) -> None:
    """One event whole: type, valid time and its wording, recorded time and who recorded it, sources,
    order, and its correction chain both ways (what it corrects; what corrected or retracted it).

    \b
    Examples:
        chrono show aleppo-captured
        chrono show aleppo-captured --json
    """
    log = env.reader()
    which = env.which(log)
    doc = inv.show(_known(log, as_of), event_id, zone=log.zone)
    if as_json:
        emit_json({"log": which.json(), **doc})
        return
    echo(f"{doc['event']}  ({doc['type']}, position {doc['seq']}, {doc['status']})", bold=True)
    echo(which.line())
    echo(f"  what:      {doc['summary']}", indent=_LABELLED)
    echo(f"  valid:     {_when(doc['valid'])}{_wording(doc['valid'])}", indent=_LABELLED)
    if doc["valid"]:
        # A bound no datetime holds (an open or unknown end, the calendar's end): the line above says which.
        echo(f"             [{doc['valid']['earliest'] or '…'}, {doc['valid']['latest'] or '…'})", indent=_LABELLED)
    echo(f"  recorded:  {doc['recorded']}" + (f" by {doc['author']}" if doc["author"] else ""), indent=_LABELLED)
    for line in _origins(doc["provenance"]):
        echo(f"  {line}", indent=_LABELLED)
    for s in doc["sources"]:
        echo(f"  source:    {s['outlet']}" + (f" — {s['title']}" if s.get("title") else "") + (f" ({s['attribution']})" if s.get("attribution") else ""), indent=_LABELLED)
        if s.get("quote"):
            echo(f"             “{s['quote']}”", indent=_LABELLED)
        if s.get("url"):
            echo(f"             {s['url']}", indent=_LABELLED)
    if not doc["sources"]:
        click.echo("  source:    none given")
    for label, key in (("after", "after"), ("before", "before"), ("followed by", "later"), ("preceded by", "earlier")):
        if doc[key]:
            echo(f"  {label + ':':10} {', '.join(doc[key])}", indent=_LABELLED)
    fields = {k: v for k, v in doc["fields"].items() if v not in (None, [], ())}
    echo("  fields:    " + ", ".join(f"{k}={v}" for k, v in fields.items()), indent=_LABELLED)
    if doc["corrects"]:
        echo("  corrects:  " + " ← ".join(f"{c['event']} ({c['summary']})" for c in doc["corrects"]), indent=_LABELLED)

    def tree(nodes, depth):
        for n in nodes:
            by = f" by {n['author']}" if n["author"] else ""
            echo(f"  {'  ' * depth}{n['event']} [{n['type']}, recorded {n['recorded']}{by}, {n['status']}]: {n['summary']}")
            tree(n["corrected_by"], depth + 1)

    if doc["corrected_by"]:
        click.echo("  corrected or retracted by:")
        tree(doc["corrected_by"], 1)
    eff = doc["effective"]
    if eff["status"] == "retracted":
        echo(f"  now:       retracted by {eff['retracted_by']}", indent=_LABELLED)
    elif eff["status"] in ("corrected", "stands") and (eff["event"] != doc["event"] or eff["status"] == "corrected"):
        echo(f"  now:       {eff['summary']} — {_when(eff['valid'])} (event {eff['event']}, via {', '.join(eff['via']) or 'nothing'})", indent=_LABELLED)


@main.command()
@click.option("--from", "t1", type=INSTANT, metavar="TIME", help="Valid time to compare from (a date means its first instant).")
@click.option("--to", "t2", type=INSTANT, metavar="TIME", help="Valid time to compare to.")
@click.option("--at", "at", type=INSTANT, metavar="TIME", help="With --as-of and --vs: the valid time whose belief to compare.")
@click.option("--as-of", "as_of", type=INSTANT, metavar="TIME", help="Recorded time: as known then (with --at, the earlier belief).")
@click.option("--vs", "vs", type=INSTANT, metavar="TIME", help="With --at: the later recorded time to compare with (default: now).")
@_source_option
@_json_option
@click.pass_obj
def diff(env: Env, t1, t2, at, as_of, vs, source, as_json) -> None:
    """What changed in the world between two valid times, or in our belief about one moment.

    --from T1 --to T2: each place that changed hands, each person who moved, each unit's fate, and
    each call, meeting, order or statement that happened in between (possible ones marked).

    --at T --as-of K1 --vs K2: what the log believed about T at K1 against K2, and the corrections,
    retractions and late-recorded events recorded in between that changed it.

    \b
    Examples:
        chrono diff --from 2024-12-05 --to 2024-12-08
        chrono diff --at 2024-12-07T21:30 --as-of 2026-11-24T12:30Z --vs 2026-11-25
    """
    log = env.reader()
    which = env.which(log)
    if at is not None:
        if t1 or t2:
            raise click.UsageError("use either --from/--to or --at/--as-of/--vs, not both")
        if not as_of:
            raise click.UsageError("--at compares beliefs: it needs --as-of (and optionally --vs)")
        doc = indexed.diff_belief_of(log, parse_instant(at, log.zone), parse_instant(as_of, log.zone),
                                     parse_instant(vs, log.zone) if vs else None, zone=log.zone, source=source)
        if as_json:
            emit_json({"log": which.json(), **doc})
        else:
            _print_belief(doc, which.line())
        return
    if vs:
        raise click.UsageError("--vs goes with --at")
    if not (t1 and t2):
        raise click.UsageError("give --from and --to (valid times), or --at with --as-of")
    doc = indexed.diff_world_of(log, parse_instant(t1, log.zone), parse_instant(t2, log.zone), parse_instant(as_of, log.zone) if as_of else None,
                                zone=log.zone, source=source)
    if as_json:
        emit_json({"log": which.json(), **doc})
        return
    echo(f"From {doc['from']} to {doc['to']}, as known at {doc['known_at']}", bold=True)
    echo(which.line())
    click.echo()
    _print_changes(doc["changes"])
    click.echo(click.style("Happened in between", bold=True))
    shown = False
    for h in doc["happenings"]:
        shown = True
        status = "" if h["status"] == "certain" else "possibly: "
        was = "  (possibly already by --from)" if h["was"] else ""
        echo(f"  {_when(h['time'])}\n      {status}{shorten(h['summary'], 90)}  [{h['event']}]{was}")
    if not shown:
        click.echo("  (none)")


_TITLES = {"control": "Control of places", "whereabouts": "Whereabouts of people", "units": "Units"}


def _print_changes(changes) -> None:
    """Each channel's changes under its title, as they come (channel by channel, in the titles' order)."""
    changes = iter(changes)
    pending = next(changes, None)
    for channel, title in _TITLES.items():
        click.echo(click.style(title, bold=True))
        rows = 0
        while pending is not None and pending["channel"] == channel:
            echo(f"  {pending['name']}: {pending['from_text']} → {pending['to_text']}  [{', '.join(pending['events'])}]")
            rows += 1
            pending = next(changes, None)
        click.echo("  (no change)\n" if not rows else "")


def _print_belief(doc: dict, which: str) -> None:
    echo(f"Belief about {doc['at']}: as known at {doc['as_of']} vs {doc['vs']}", bold=True)
    echo(which)
    click.echo()
    _print_changes(doc["changes"])
    click.echo(click.style("Happenings", bold=True))
    for h in doc["happenings"]:
        echo(f"  {h['event']}: {h['before'] or 'absent'} → {h['after'] or 'absent'}: {shorten(h['summary_after'] or h['summary_before'], 70)}")
    if not doc["happenings"]:
        click.echo("  (no change)")
    click.echo()
    rows = [[c["recorded"][:19], c["event"], c["kind"], shorten(c["summary"], 60), ", ".join(c["explains"]) or "—"] for c in doc["recorded_between"]]
    section("Recorded in between", table(rows, ["recorded", "event", "kind", "what", "changed"]))


@main.command()
@valid_range("t1", "t2")
@click.option("--entity", "entity_names", multiple=True, metavar="ID", help="Only events involving this entity (id, name or alias; repeatable).")
@click.option("--type", "types", multiple=True, metavar="TYPE", help="Only events of this type (repeatable).")
@_source_option
@_as_of_option
@_json_option
@click.option("--html", "html_out", type=click.Path(dir_okay=False, writable=True), metavar="FILE.html",
              help="Write an offline page instead: a lane per place or person, each event over its whole window.")
@click.pass_obj
def timeline(env: Env, t1, t2, entity_names, types, source, as_of, as_json, html_out) -> None:
    """The chronicle as a readable timeline: valid-time order, grouped by local day, vague times shown
    as vague as they are ("sometime on 05 Dec 2024"), each event with its attribution.

    \b
    Examples:
        chrono timeline --from 2024-12-07 --to 2024-12-08
        chrono timeline --entity assad --type PersonMoved --type PersonFled
        chrono timeline --source "operations room" --json
        chrono timeline --html timeline.html
    """
    log = env.reader()
    which = env.which(log)
    if html_out:
        from projections.pictures import render_timeline_html

        if as_json or entity_names or types or source:
            raise click.UsageError("--html draws the whole chronicle (with filters in the page); use it with --from, --to and --as-of only")
        out_format(html_out, {"html": PAGES["html"]}, "html", option="--html")
        page = render_timeline_html(
            log, parse_instant(as_of, log.zone) if as_of else None,
            start=parse_instant(t1, log.zone) if t1 else None,
            end=parse_valid_time(t2, log.zone).latest if t2 else None,
            log_name=which.title,
        )
        with open(html_out, "w", encoding="utf-8") as f:
            f.write(page)
        echo(which.line())
        echo(f"wrote timeline page to {html_out}")
        return
    for t in types:
        if t not in REGISTRY:
            raise click.BadParameter(f"unknown event type {t!r}; `chrono types` lists them", param_hint="--type")
    known_at = parse_instant(as_of, log.zone) if as_of else None
    k = knowledge(log, known_at) if entity_names else None  # (only to name the entities: the timeline reads the log itself)
    ids = tuple(k.entity(name).id for name in entity_names)
    lo = parse_valid_time(t1, log.zone).earliest if t1 else None
    hi = parse_valid_time(t2, log.zone).latest if t2 else None
    doc = indexed.timeline_of(log, known_at, zone=log.zone, lo=lo, hi=hi, entities=ids, types=tuple(types), source=source)
    if as_json:
        emit_json({"log": which.json(), **doc})
        return
    echo(which.line())
    shown = False
    for day in doc["days"]:
        shown = True
        echo(day["label"], bold=True)
        for ev in day["events"]:
            echo(f"  {_when(ev['valid'])}{_wording(ev['valid'])}")
            fix = f" (corrected by {', '.join(ev['via'])})" if ev["via"] else ""
            echo(f"      {ev['summary']}{fix}  [{ev['event']}]")
            echo(f"      — {ev['attribution']}")
        click.echo()
    if not shown:
        click.echo("no events match")


@main.command()
@_source_option
@_as_of_option
@_json_option
@click.pass_obj
def sources(env: Env, source, as_of, as_json) -> None:
    """Every outlet and attribution, with how many standing events rest on each.

    \b
    Examples:
        chrono sources
        chrono sources --source majalla --json
    """
    log = env.reader()
    which = env.which(log)
    doc = inv.sources(_known(log, as_of), zone=log.zone, source=source)
    if as_json:
        emit_json({"log": which.json(), **doc})
        return
    echo(which.line())
    rows = []
    for o in doc["outlets"]:
        rows.append([o["outlet"], "", str(o["events"])])
        for a in o["attributions"]:
            rows.append(["", a["attribution"] or "(no attribution)", str(a["events"])])
    click.echo(table(rows, ["outlet", "attribution", "events"]) or "no sources")
    if doc["unsourced"] and not source:
        click.echo(f"\n{doc['unsourced']} events rest on no source")


@main.command()
@_as_of_option
@_json_option
@click.pass_obj
def check(env: Env, as_of, as_json) -> None:
    """Lint the log; exit 1 if anything is wrong. Each finding names the events behind it.

    Finds: a person certainly in two places at once (the places' distance at 1000 km/h, or a minute
    without coordinates, is more than the widest gap the two windows allow); an event referring to
    an undescribed entity; a control change for an undescribed place; an ordering constraint the
    stated times cannot satisfy; two control or unit facts with identical windows and different
    outcomes; a correction chain that loops.

    Reads each fact once, in memory that does not grow with the log; on a terminal, stderr shows
    its progress.

    \b
    Examples:
        chrono check
        chrono check --json
    """
    log = env.reader()
    which = env.which(log)
    findings, standing, known_at = indexed.check_log(log, parse_instant(as_of, log.zone) if as_of else None, step=stage)
    if as_json:
        emit_json({"log": which.json(), "ok": not findings, "known_at": iso(known_at, log.zone), "findings": findings})
    else:
        echo(which.line())
        for f in findings:
            echo(f"{f['kind']}: {f['message']}  [{', '.join(f['events'])}]")
        if findings:
            click.echo(f"{len(findings)} problem{'s' if len(findings) != 1 else ''}", err=True)
        else:
            echo(f"ok: no problems in {standing} standing events")
    if findings:
        sys.exit(1)


@main.command()
@click.argument("text", metavar="TEXT")
@click.option("--type", "types", multiple=True, metavar="TYPE", help="Only events of this type (repeatable).")
@click.option("--entity", "entity_names", multiple=True, metavar="ID", shell_complete=complete_entities,
              help="Only events about this entity (id, name or alias; repeatable).")
@valid_range("t1", "t2")
@_source_option
@_as_of_option
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, metavar="N", help="At most N events, the best matches.")
@click.option("--all", "show_all", is_flag=True, help="Every event that matches.")
@_json_option
@click.pass_obj
def search(env: Env, text, types, entity_names, t1, t2, source, as_of, limit, show_all, as_json) -> None:
    """Find events by their words: names and aliases of what the log describes, quotes, the sources'
    wordings of time and your glosses, statements, summaries, orders, descriptions, and the sources'
    outlets, titles and attributions.

    TEXT is words that must all occur (in any of those, any case, accents ignored), "a phrase" in
    quotes, a prefix* or two alternatives joined by OR. A corrected event is found by what it says now
    (or, with --as-of, then); one whose words match only a version since corrected or retracted is
    found too, and says so. The index lives beside the log (LOG-search) and reads only the entries
    appended since the last search.

    \b
    Examples:
        chrono search Hmeimim
        chrono search '"operations room"' --type StatementIssued
        chrono search Aleppo --from 2024-12-01 --to 2024-12-08 --json
        chrono search conquer* --entity hts --as-of 2026-11-24T12:00Z
    """
    from projections import search as fts

    log = env.reader()
    which = env.which(log)
    for t in types:
        if t not in REGISTRY:
            raise click.BadParameter(f"unknown event type {t!r}; `chrono types` lists them", param_hint="--type")
    known_at = parse_instant(as_of, log.zone) if as_of else None
    ids = [knowledge(log, known_at).entity(name).id for name in entity_names]
    with contextlib.ExitStack() as stack:
        bar = []

        def report(done: int, total: int) -> None:  # a bar, once the index knows how much it has to read
            if not bar:
                bar.append(stack.enter_context(progress(total, "indexing for search")))
            bar[0](done)

        doc = fts.document(log, text, zone=log.zone, known_at=known_at, limit=None if show_all else limit, progress=report,
                           types=types, entities=ids, lo=parse_valid_time(t1, log.zone).lo if t1 else None,
                           hi=parse_valid_time(t2, log.zone).hi if t2 else None, source=source)
    if as_json:
        emit_json({"log": which.json(), **doc})
        return
    echo(which.line())
    n = len(doc["hits"])
    echo(f"{n}{'+' if doc['more'] else ''} event{' matches' if n == 1 and not doc['more'] else 's match'} {text!r}, "
         f"as known at {doc['known_at']}")
    rows = []
    for h in doc["hits"]:
        if h["status"] == "stands":
            note = f"corrected by {', '.join(h['via'])}" if h["via"] else ""
        else:
            note = f"only before {h['superseded_by']} " + ("retracted it" if h["status"] == "retracted" else "corrected it")
        rows.append([h["event"], h["type"], _when(h["valid"]), h["summary"], h["snippet"].replace("\n", " / "), note])
    if rows:
        click.echo()
        click.echo(table(rows, ["event", "type", "when", "what", "matched", "note"], give=((3, 20), (4, 30), (2, 14))))
    if doc["more"]:
        echo(f"\n(the best {doc['limit']} shown; --limit N or --all shows more)")
