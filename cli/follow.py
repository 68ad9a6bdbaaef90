"""`chrono follow`: new entries as others append them, until interrupted."""

from __future__ import annotations

import click

from chrono import codec
from chrono.timeval import from_micros, iso, parse_instant
from projections.describe import answer_words, summarize
from projections.query import KINDS, knowledge
from projections.query import state as state_document
from projections.rules import SECTIONS

from .app import Env, complete_entities, main
from .render import shorten


@main.command()
@click.option("--entity", "entities", multiple=True, metavar="ID", shell_complete=complete_entities,
              help="Also say how the new entries change this entity's state (repeatable).")
@click.option("--at", metavar="TIME", help="The moment whose state --entity follows (default: the time of each look).")
@click.option("--after", "after", type=click.IntRange(min=0), metavar="POSITION",
              help="Start after this position (default: the log's head: only what is appended from now on).")
@click.option("--interval", type=click.FloatRange(0.05, 3600), default=1.0, show_default=True, metavar="SECONDS",
              help="How often to look at the log's head (a log on PostgreSQL is not looked at: its server says when an "
                   "append commits, and this is only the longest wait).")
@click.option("--count", type=click.IntRange(min=1), metavar="N", help="Stop after N entries (for scripts).")
@click.option("--json", "as_json", is_flag=True,
              help='JSON Lines: each entry in the export form; with --entity, each change as {"change": {"entity", "before", "after"}}.')
@click.pass_obj
def follow(env: Env, entities, at, after, interval, count, as_json) -> None:
    """Print new entries as they are appended to the log, by this process or any other, until
    interrupted (Ctrl-C), looking at the log's position every --interval seconds; on a log shared on
    PostgreSQL, as soon as the server says an append committed (LISTEN/NOTIFY).

    \b
    Examples:
        chrono follow                                  # what others append from now on
        chrono follow --entity hama --at 2024-12-06    # and how it changes who held Hama then
        chrono follow --after 0 --count 10 --json      # the first ten entries, then stop
    """
    log, wait = env.follower(interval)
    k = knowledge(log)
    entities = [k.entity(text).id for text in entities]  # (an id, name or alias; an unknown one is an error)
    g = k.gazetteer
    head = log.head()
    position = head.seq if after is None else min(after, head.seq)
    # (On stderr: stdout is the entries alone, for scripts.)
    click.echo(env.which(log, head).line(), err=True)
    if not as_json:
        click.echo(f"following from position {position} (Ctrl-C to stop)", err=True)
    answers = _answers(log, entities, at, position) if entities else {}
    shown = 0
    try:
        while count is None or shown < count:
            new = list(log.entries(after_seq=position))
            if not new:
                log = wait(log)
                continue
            if any(e.event.timeless for e in new):
                g = knowledge(log).gazetteer  # (a new description names what follows)
            for e in new[: None if count is None else count - shown]:
                if as_json:
                    click.echo(codec.canonical(codec.entry_to_json(e)))
                else:
                    when = e.valid.describe() if e.valid else "(timeless)"
                    click.echo(f"{e.seq}  {iso(e.recorded)}  {e.id}  {e.type_name}  {when}  {shorten(summarize(e.event, g), 80)}")
                shown += 1
            position = new[-1].seq
            if entities:
                now = _answers(log, entities, at, position)
                for entity, (channel, row) in now.items():
                    before = answers.get(entity, (channel, None))[1]
                    if _said(before) != _said(row):
                        _say_change(entity, channel, before, row, g, as_json)
                answers = now
    except KeyboardInterrupt:
        raise SystemExit(130) from None


def _answers(log, entities, at, position: int) -> dict[str, tuple[str, dict]]:
    """Each entity's keyed answer at `at` (default: now), as the log stands at `position`."""
    when = parse_instant(at, log.zone) if at else log.clock()
    recorded = log.conn.execute("SELECT recorded FROM events WHERE seq = ?", (position,)).fetchone()
    doc, _names = state_document(log, when, from_micros(recorded[0]) if recorded else None, zone=log.zone, limit=None,
                                 entities=set(entities))
    out = {}
    for channel in SECTIONS:
        for row in doc[channel]:
            key = row[KINDS[channel]]
            if key in entities:
                out[key] = (channel, row)
    return out


def _said(row: dict | None):
    """What an answer says, and the events it rests on."""
    return None if row is None else (row["status"], repr(row["candidates"]), repr(row.get("last_seen")), tuple(row["events"]))


def _say_change(entity: str, channel: str, before: dict | None, after: dict, g, as_json: bool) -> None:
    if as_json:
        click.echo(codec.canonical({"change": {"entity": entity, "channel": channel, "before": before, "after": after}}))
        return
    was = answer_words(channel, before, g) if before else "nothing known"
    click.echo(f"  {g.name(entity) or entity}: {was} -> {answer_words(channel, after, g)}  (events: {', '.join(after['events']) or '-'})")
