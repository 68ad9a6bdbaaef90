"""What a log takes in from a user: new events checked against what the log knows before they are
kept — every entity they name is described (in the log or the same batch) or allowed as new, a fact
rests on a source when the log asks for one, nothing is retracted twice — and writes tried without
being kept (a dry run).

In an append-only log a typo is forever, so these checks refuse rather than warn. The entries of an
export (those that carry their recorded time) are a log's history: an import keeps them as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

import attrs

from chrono import codec
from chrono.entry import Draft, Entry
from chrono.errors import ChronoError, InvalidEventError, UnknownEntityError
from chrono.logstore import Head, LogStore, new_event_id
from chrono.settings import setting
from events import ANY, Event, EventCorrected, EventRetracted, entity_refs

from .gazetteer import Gazetteer
from .query import knowledge
from .resolve import resolve
from .rules import DESCRIPTIONS


def requires_source(log: LogStore, *, asked: bool = False) -> bool:
    """Whether every fact written to `log` must rest on a source: when the writer asks
    (`--require-source`), or the log's own setting `require-source` says so."""
    return asked or setting(log, "require-source") == "yes"


class Intake:
    """The checks of one batch (or one import) of new events: `learn` every description the batch
    holds, then `check` each new event; `vet` does both for an import's stream, in order."""

    def __init__(self, log: LogStore, *, allowed: Iterable[str] = (), require_source: bool = False):
        self.log = log
        self.allowed = frozenset(allowed)
        self.require_source = require_source
        self.declared: dict[str, str] = {}  # entity id -> kind, described in this batch
        self.retractions: list[str] = []  # the new retractions an import wrote, by id: `refuse_second_retractions`
        self._gazetteer: Gazetteer | None = None

    @property
    def gazetteer(self) -> Gazetteer:
        """The log's gazetteer as known now (read before a write is staged: see `ready`)."""
        if self._gazetteer is None:
            self._gazetteer = knowledge(self.log).gazetteer if len(self.log) else Gazetteer()
        return self._gazetteer

    def ready(self) -> Intake:
        """Read what the checks need of the log before its writes are staged: inside a stage, the
        log's head moves with the batch, and its cache is neither fresh nor to be rebuilt."""
        _ = self.gazetteer
        return self

    def learn(self, event: Event) -> None:
        """Know the entity that `event` describes, if it is a description (or corrects one)."""
        fact = event.replacement if isinstance(event, EventCorrected) else event
        d = DESCRIPTIONS.get(fact.type_name)
        if d is not None:
            self.declared[getattr(fact, d.id_field)] = d.kind

    def check(self, draft: Draft) -> None:
        """Refuse a new event that names an entity nobody described (or describes as another kind),
        or that rests on no source when the log asks for one."""
        event = draft.event
        fact = event.replacement if isinstance(event, EventCorrected) else event
        for field, kind, ref in entity_refs(fact):
            self._check_ref(fact.type_name, field, kind, ref)
        if self.require_source and not (event.timeless or event.correction and not isinstance(event, EventCorrected)):
            if not (draft.sources or isinstance(event, EventCorrected) and self._target_sources(event.target)):
                what = f"{fact.type_name}{f' {draft.id}' if draft.id else ''}"
                raise InvalidEventError(f"{what} rests on no source, and every fact written here must rest on one: "
                                        "give --source OUTLET (in JSON, \"sources\")")

    def _target_sources(self, target: str) -> tuple:
        entry = self.log.find(target)
        return entry.sources if entry is not None else ()

    def _check_ref(self, type_name: str, field: str, kind: str, ref: str) -> None:
        if ref in self.allowed:
            return
        declared = self.declared.get(ref)
        if declared is not None and kind in (ANY, declared):
            return
        g = self.gazetteer
        if g.fits(ref, kind):
            return
        other = declared or (g.by_id[ref].kind if ref in g.by_id else None)
        hint = g.did_you_mean(ref, kind)
        if other is not None:
            raise UnknownEntityError(f"{type_name}.{field} needs {_a(kind)}, but {ref!r} is described as {_a(other)}"
                                     f"{'; ' + hint if hint else ''}")
        describe = " or ".join(sorted(t for t, d in DESCRIPTIONS.items() if kind in (ANY, d.kind)))
        raise UnknownEntityError(f"{type_name}.{field}: {ref!r} is not described in this log; {hint + ' ' if hint else ''}"
                                 f"describe it first ({describe}), or allow a new entity with --new-entity {ref}")

    def vet(self, records: Iterable[tuple[int, Draft | tuple, dict | None]]) -> Iterator[tuple[int, Draft | tuple, dict | None]]:
        """An import's records (`LogStore.import_stream`'s), checked in order: each new event (one
        without a recorded time) against the log and the descriptions before it in the file. A new
        retraction is given an id if it has none, so that it can be found once written."""
        for number, item, stored in records:
            try:
                if type(item) is tuple:  # an incoming row (chrono.logstore.INCOMING): a plain fact or description
                    new = item[10] is None
                    if new or item[1] in DESCRIPTIONS:
                        event = codec.decode_stored(item[1], item[2], item[6])
                        self.learn(event)
                        if new:
                            self.check(Draft(event=event, sources=codec.decode_sources(item[7]), id=item[0]))
                else:
                    self.learn(item.event)
                    if not (stored and "recorded" in stored):
                        self.check(item)
                        if isinstance(item.event, EventRetracted):
                            if item.id is None:
                                item = attrs.evolve(item, id=new_event_id())
                            self.retractions.append(item.id)
            except ChronoError as e:
                raise _on_line(e, number) from None
            yield number, item, stored


def _a(kind: str) -> str:
    """"a place", "an actor"; "an entity" for any kind."""
    word = "entity" if kind == ANY else kind
    return ("an " if word[0] in "aeiou" else "a ") + word


def _on_line(e: ChronoError, line: int | None) -> ChronoError:
    if line is not None and not str(e).startswith("line "):
        e.args = (f"line {line}: {e}",)
    return e


def refuse_second_retractions(log: LogStore, entries: Iterable[Entry]) -> None:
    """Refuse a retraction (among `entries`, in the log or in a stage) of an entry that an earlier
    one had already retracted, naming that one: as the log read just before it (`resolve`, over the
    entry's chain of corrections alone)."""
    for e in entries:
        if isinstance(e.event, EventRetracted):
            target = e.event.target
            prior = resolve(log.chains([target], e.seq - 1)).retracted.get(target)
            if prior is not None:
                raise ChronoError(f"{target} is already retracted (by {prior}); to undo that retraction, "
                                  f"`chrono retract {prior}`")


@attrs.frozen
class Written:
    """What a write did, or a dry run would have done: the batch's entries (those it added after
    `before`, and those the log already held, which an append of the same content skips)."""

    entries: list[Entry]
    before: Head
    kept: bool

    @property
    def added(self) -> list[Entry]:
        return [e for e in self.entries if e.seq > self.before.seq]


def write(log: LogStore, drafts: Sequence[Draft], intake: Intake, *, dry_run: bool = False, expected_position: int | None = None,
          line_numbers: Sequence[int] | None = None) -> Written:
    """Append `drafts` as one batch, all or nothing, once they pass `intake`'s checks (a description
    anywhere in the batch counts); with `dry_run`, everything is checked and positioned as it would
    be, and nothing is kept."""
    intake.ready()
    for d in drafts:
        intake.learn(d.event)
    for i, d in enumerate(drafts):
        try:
            intake.check(d)
        except ChronoError as e:
            raise _on_line(e, line_numbers[i] if line_numbers else None) from None
    before = log.head()
    with log.staged() as stage:
        entries = log.append(list(drafts), expected_position=expected_position, line_numbers=line_numbers)
        refuse_second_retractions(log, [e for e in entries if e.seq > before.seq])
        if not dry_run:
            stage.commit()
    return Written(entries=entries, before=before, kept=not dry_run)


@attrs.frozen
class Imported:
    read: int
    added: int
    before: Head
    after: Head
    kept: bool


def import_stream(log: LogStore, records: Iterable[tuple[int, Draft | tuple, dict | None]], intake: Intake, *, dry_run: bool = False,
                  inspect: Callable[[Iterator[Entry]], None] | None = None,
                  write: Callable[[Iterable], tuple[int, int]] | None = None) -> Imported:
    """Import an export or a file of events (`LogStore.import_stream`, or `write`: what reads a whole
    log's settings too, `chrono.transfer.import_log`), all or nothing, its new events vetted by
    `intake`; `inspect` is shown the entries it adds before they are kept (with `dry_run`, never)."""
    intake.ready()
    before = log.head()
    with log.staged() as stage:
        read, added = (write or log.import_stream)(intake.vet(records))
        refuse_second_retractions(log, sorted((log.get(i) for i in intake.retractions), key=lambda e: e.seq))
        after = log.head()
        if inspect is not None:
            inspect(log.entries(after_seq=before.seq))
        if not dry_run:
            stage.commit()
    return Imported(read=read, added=added, before=before, after=after, kept=not dry_run)
