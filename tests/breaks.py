"""Deliberate breaks of the engine, one line each, and the tests that must catch them.

Not a test module (pytest does not collect it) and not part of CI: a proof that the suite can fail.
Each break replaces one line of a copy of the tree, runs the tests named to catch it, and expects them
to fail; a break they do not catch is a survivor — a bug in the tests.

    python tests/breaks.py                  # every break, with the ci hypothesis profile
    python tests/breaks.py --list           # the table: law, file, the line before and after
    python tests/breaks.py resolve-chain    # the breaks whose name contains this text
    python tests/breaks.py --all-tests      # run the whole suite for each break, not just its tests
    python tests/breaks.py --check          # only check that every break still applies

The copy lives in a temporary directory, so the working tree is never touched, whatever happens.
docs/breaks.md has the table and what each test checks.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
COPIED = ("events", "chrono", "projections", "cli", "tests", "pyproject.toml")


class Break(NamedTuple):
    name: str
    law: str
    file: str
    before: str  # a line (stripped) that occurs exactly once in the file
    after: str  # what it becomes (indentation kept)
    tests: tuple[str, ...]  # pytest node ids or paths that must fail


BREAKS = [
    # --- corrections -------------------------------------------------------------------------------
    Break("resolve-chain", "correcting a correction replaces what the first one put in place",
          "projections/resolve.py", "event = attrs.evolve(e.event, replacement=event)", "event = e.event",
          ("tests/test_properties.py", "tests/test_corrections.py")),
    Break("resolve-latest", "the latest live correction of an entry wins",
          "projections/resolve.py", "if content is not None and e.event.correction and e.event.target not in live_correction:",
          "if content is not None and e.event.correction:", ("tests/test_properties.py",)),
    Break("resolve-retraction", "a retracted entry reads as if it had never been appended",
          "projections/resolve.py", "content = None", "content = content", ("tests/test_properties.py",)),
    Break("superseded-sources", "a correction's sources replace the entry's; none given keeps the entry's",
          "projections/resolve.py", "return replacement, valid, sources or own_sources", "return replacement, valid, own_sources or sources",
          ("tests/test_properties.py",)),
    # --- the rules of the world ----------------------------------------------------------------------
    Break("withdraw-only-own", "a withdrawal ends only the withdrawing actor's hold, and is no evidence about a place another holds",
          "projections/rules.py", '"withdraw": OpRule(lambda prior, arg: NOBODY, sets=lambda arg: False, acts=lambda prior, arg: prior[0] == arg),',
          '"withdraw": OpRule(lambda prior, arg: NOBODY, sets=lambda arg: False),',
          ("tests/test_state_says.py", "tests/test_answers.py", "tests/test_laws_of_state.py", "tests/test_properties.py")),
    Break("death-is-final", "a person who died is not alive again after a later move",
          "projections/rules.py", '"go": OpRule(lambda prior, arg: (arg, prior[1])),', '"go": OpRule(lambda prior, arg: (arg, None)),',
          ("tests/test_properties.py", "tests/test_world.py")),
    Break("meeting-needs-place", "a meeting places its participants only when it has a place",
          "projections/rules.py", '"MeetingHeld": Rule(effects=(_go("participants", "place", needs="place"),), listed="meetings"),',
          '"MeetingHeld": Rule(effects=(_go("participants", "place"),), listed="meetings"),', ("tests/test_properties.py", "tests/test_answers.py")),
    Break("whereabouts-of-people", "only people have rows of whereabouts",
          "projections/rules.py", "return kind is None or self.kind is None or kind == self.kind", "return True", ("tests/test_properties.py", "tests/test_answers.py")),
    # --- the fold ------------------------------------------------------------------------------------
    Break("pending-stays-certain", "a key touched only by events in progress that leave its value unchanged is certain",
          "projections/world.py", "elif cell.settled is not None or any(s.op(cell.value) != EXPIRED for s in acting):", "elif cell.settled is not None:",
          ("tests/test_properties.py", "tests/test_world.py", "tests/test_answers.py")),
    Break("pending-kept", "a step that settles keeps the steps still pending",
          "projections/world.py", "return Cell(new, step, cell.pending, None, cell.covering, cell.seen, ends)", "return Cell(new, step, (), None, cell.covering, cell.seen, ends)",
          ("tests/test_properties.py", "tests/test_world.py")),
    Break("window-straddles", "an event whose window straddles T has possibly happened",
          "projections/world.py", "if step.lo > at:", "if step.lo >= at:", ("tests/test_properties.py", "tests/test_world.py")),
    Break("narrow-ordering", "an ordering constraint narrows both windows",
          "projections/resolve.py", "wb[0], changed = lo_b, True", "changed = False", ("tests/test_properties.py", "tests/test_answers.py")),
    # --- what the sources say: observations, ends, stated prior values --------------------------------
    Break("observation-covers", "an observation says what was so throughout its window",
          "projections/world.py", "if at < step.hi:", "if False:",
          ("tests/test_laws_of_state.py", "tests/test_state_says.py", "tests/test_properties.py")),
    Break("observation-ages", "an observation whose window has ended is the last seen value, not the value now",
          "projections/world.py", "return Cell(cell.value, cell.settled, cell.pending, cell.ended, cell.covering, step, cell.ends)",
          "return Cell(step.op(cell.value), step, cell.pending, cell.ended, cell.covering, step, cell.ends)",
          ("tests/test_laws_of_state.py", "tests/test_state_says.py", "tests/test_properties.py")),
    Break("end-expires-holdings", "an actor's end makes what it held unknown (last held by it)",
          "projections/rules.py",
          '"end": OpRule(lambda prior, arg: EXPIRED if prior[0] == arg else (prior[0], tuple(p for p in prior[1] if p != arg)),',
          '"end": OpRule(lambda prior, arg: prior if prior[0] == arg else (prior[0], tuple(p for p in prior[1] if p != arg)),',
          ("tests/test_laws_of_state.py", "tests/test_state_says.py", "tests/test_properties.py")),
    Break("end-leaves-contest", "an actor's end removes it from a contest others go on with",
          "projections/rules.py",
          '"end": OpRule(lambda prior, arg: EXPIRED if prior[0] == arg else (prior[0], tuple(p for p in prior[1] if p != arg)),',
          '"end": OpRule(lambda prior, arg: EXPIRED if prior[0] == arg else prior,',
          ("tests/test_laws_of_state.py", "tests/test_state_says.py", "tests/test_properties.py")),
    Break("end-spares-final", "a defeated or dissolved unit stays so when its army ends",
          "projections/rules.py",
          '"expire": OpRule(lambda prior, arg: EXPIRED, sets=lambda arg: False, acts=lambda prior, arg: prior is not None and prior not in FINAL),',
          '"expire": OpRule(lambda prior, arg: EXPIRED, sets=lambda arg: False, acts=lambda prior, arg: prior is not None),',
          ("tests/test_state_says.py", "tests/test_laws_of_state.py", "tests/test_properties.py")),
    Break("end-reaches-members", "an actor's end reaches the standing of its units",
          "projections/world.py", "keys = [key for channel, key in steps if channel == name] if c.on_end == HOLDER else members(actor)",
          "keys = [key for channel, key in steps if channel == name] if c.on_end == HOLDER else ()",
          ("tests/test_laws_of_state.py", "tests/test_state_says.py", "tests/test_properties.py")),
    Break("end-outlasts-sightings", "no observation of an actor outlasts its certain end",
          "projections/world.py", "covering = [o for o in cell.covering if not any(_acts(e, o.op(cell.value)) for e in cell.ends)]",
          "covering = list(cell.covering)",
          ("tests/test_laws_of_state.py", "tests/test_state_says.py", "tests/test_properties.py")),
    Break("end-reaches-a-change-it-may-follow", "an actor's end past by T may reach what a change in progress sets",
          "projections/world.py", "after = [e for s in acting if s.kind != ENDED for e in cell.ends if e.hi > s.lo and _acts(e, s.op(cell.value))]",
          "after = []", ("tests/test_state_says.py", "tests/test_laws_of_state.py")),
    Break("change-states-before", "a change in progress says what the key was when nothing else does",
          "projections/world.py", "base = [initial if any(_acts(e, v) for e in cell.ends) else v for v in stated] or base", "base = base",
          ("tests/test_laws_of_state.py", "tests/test_state_says.py", "tests/test_properties.py")),
    # --- the cache -----------------------------------------------------------------------------------
    Break("chain-root", "a correction of a correction is resolved under the fact at its chain's root",
          "projections/cache/versions.py", "while (target := target_of(event_id)) is not None and event_id not in seen:", "while False:",
          ("tests/test_properties.py", "tests/test_catchup.py")),
    Break("cache-effect-needs", "the cache's mentions give a meeting's participants an effect only when it has a place",
          "projections/cache/derived.py", "holds=_HOLDS if keyed else 1)  # (the other types have no effects to need a field)",
          "holds=1)", ("tests/test_properties.py", "tests/test_answers.py")),
    Break("cache-plain-mention", "a participant of a meeting without a place is still mentioned",
          "projections/cache/derived.py", "if t in NEEDS:  # (the row a fact without the field joins: the effect that needs it is a plain mention)",
          "if False:", ("tests/test_properties.py", "tests/test_answers.py", "tests/test_indexed.py")),
    Break("cache-coded-ranges", "an index led by a coded time keeps each code's times in a range of their own",
          "projections/cache/schema.py", 'return f"({code} * {SPAN} + {time})"', 'return f"({code} * {HALF} + {time})"',
          ("tests/test_properties.py::test_an_index_led_by_a_coded_time_orders_and_finds_rows_as_its_code_and_time_do",)),
    Break("cache-code-channel", "SQL reads a keyed mention's channel out of its code as code_of put it there",
          "projections/cache/schema.py", 'CODE_CHANNEL, CODE_KIND = f"(code >> {KIND_BITS})", f"(code & {_KIND_MASK})"  # (in SQL; `channel_kind` in Python)', 'CODE_CHANNEL, CODE_KIND = f"(code >> {KIND_BITS - 1})", f"(code & {_KIND_MASK})"  # (in SQL; `channel_kind` in Python)',
          ("tests/test_properties.py", "tests/test_state_says.py")),
    Break("cache-code-kind", "a keyed mention's code holds its kind beside its channel: an observation is not read as a change",
          "projections/cache/schema.py", "return CHANNEL_CODES[channel] << KIND_BITS | KINDS.index(kind)",
          "return CHANNEL_CODES[channel] << KIND_BITS", ("tests/test_properties.py", "tests/test_state_says.py")),
    Break("cache-list-items", "the items of a list field are mentions",
          "projections/cache/derived.py", '["INSERT INTO chrono_mention_fields SELECT ?, CASE WHEN ? THEN (SELECT j.path FROM json_tree(json_object(?, json_array(\'\'))) AS j "',
          '["INSERT INTO chrono_mention_fields SELECT ?, CASE WHEN 0 AND ? THEN (SELECT j.path FROM json_tree(json_object(?, json_array(\'\'))) AS j "', ("tests/test_properties.py::test_every_item_of_a_list_is_a_mention_though_sqlite_quotes_its_name_in_a_path", "tests/test_properties.py")),
    Break("cache-item-path", "a list's items are found by their path as SQLite writes it, which quotes some keys",
          "projections/cache/derived.py", '["INSERT INTO chrono_mention_fields SELECT ?, CASE WHEN ? THEN (SELECT j.path FROM json_tree(json_object(?, json_array(\'\'))) AS j "',
          '["INSERT INTO chrono_mention_fields SELECT ?, CASE WHEN ? THEN (SELECT replace(j.path, \'"\', \'\') FROM json_tree(json_object(?, json_array(\'\'))) AS j "', ("tests/test_properties.py::test_every_item_of_a_list_is_a_mention_though_sqlite_quotes_its_name_in_a_path",)),
    Break("cache-entity-lists", "an entity's state read through the cache lists every happening naming it, of every listed type",
          "projections/query.py", 'for f in cache.naming(log, ids, pos, until=at, types=[cls.type_name for cls in LISTS]):',
          'for f in cache.naming(log, ids, pos, until=at, types=[cls.type_name for cls in LISTS][1:]):', ("tests/test_properties.py",)),
    Break("cache-anchor", "a key read backwards stops only at a settled step that sets its value",
          "projections/cache/read.py", "if step.settle <= at and OPS[step.op.name].sets(step.op.arg):", "if step.settle <= at:",
          ("tests/test_state_says.py", "tests/test_properties.py")),
    Break("cache-sticky", "a death long before the latest move still counts",
          "projections/cache/read.py", "if early and sticky_by(log, channel, key, at, position):", "if False:",
          ("tests/test_properties.py",)),
    Break("cache-as-of", "as known at K: the versions standing at K's position",
          "projections/cache/read.py", 'return "seq_from <= ? AND ? < seq_to", (position, position)',
          'return "seq_from < ? AND ? < seq_to", (position, position)', ("tests/test_properties.py",)),
    Break("cache-one-step-sources", "a correction read off two rows keeps the fact's sources when it gives none",
          "projections/cache/versions.py", 'None if c_sources == "[]" else c_sources)', "c_sources)",
          ("tests/test_properties.py",)),
    Break("cache-holder-ends", "the cache reads an actor's end into every place it may hold",
          "projections/cache/read.py", "reaching = ends_by(log, at, position) if ends is None else ends", "reaching = []",
          ("tests/test_state_says.py", "tests/test_properties.py", "tests/test_laws_of_state.py")),
    Break("cache-member-ends", "the cache reads an actor's end into its units' standing",
          "projections/cache/read.py", "reaching = ends_by(log, at, position, actor) if ends is None else [e for e in ends if e[0] == actor]",
          "reaching = []", ("tests/test_state_says.py", "tests/test_properties.py", "tests/test_laws_of_state.py")),
    Break("cache-observations", "the cache reads a key's observations beside its changes",
          "projections/cache/read.py", "got += observations", "pass", ("tests/test_state_says.py", "tests/test_properties.py", "tests/test_laws_of_state.py")),
    Break("flush-behind-told", "an error of a cache part's flush behind its steps is raised, not lost with its thread",
          "projections/cache/helper.py", "self.error = e", "pass", ("tests/test_reliability.py::test_a_part_is_flushed_to_disk_behind_its_steps_and_a_failed_flush_is_told",)),
    Break("flush-rest", "a cache part's file is flushed whole once built, not only behind its steps",
          "projections/cache/helper.py", "os.fsync(self.fd)  # (the rest)", "pass",
          ("tests/test_reliability.py::test_a_part_is_flushed_to_disk_behind_its_steps_and_a_failed_flush_is_told",)),
    # --- catching the cache up ----------------------------------------------------------------------
    Break("catch-up-groups", "an ordered fact's whole group is resolved again when one of it changes",
          "projections/cache/catchup.py", "chained = roots | members", "chained = set(roots)", ("tests/test_catchup.py",)),
    Break("catch-up-chains", "a correction's whole chain is resolved again, to any depth",
          "projections/cache/catchup.py", "chains += [(c, root) for c in below]", "below = []", ("tests/test_catchup.py",)),
    Break("catch-up-gazetteer", "a new description joins the gazetteer when caught up",
          "projections/cache/catchup.py", "conn.execute(entities_sql(written))", "pass", ("tests/test_catchup.py",)),
    Break("catch-up-widths", "a key's width takes in the new rows",
          "projections/cache/catchup.py", 'conn.execute(keys_sql(f"rowid > {int(mentioned)}", merge=True))', "pass",
          ("tests/test_catchup.py",)),
    Break("catch-up-extends", "a cache the log does not extend is rebuilt, not caught up",
          "projections/cache/catchup.py", "return built if row is not None and row[0] == built.hash else None", "return built", ("tests/test_catchup.py",)),
    # --- a local copy of a log kept elsewhere ------------------------------------------------------------
    Break("copy-checks-rows", "a local copy takes only rows that continue its chain with the hash their columns give",
          "chrono/store.py", "problem = row_problem(row, seq + 1, prev, last)", "problem = None", ("tests/test_replica.py",)),
    Break("copy-own-head", "a log whose row at the copy's head is another is copied anew",
          "chrono/store.py", "if own is None or own[0] != seq or own[13] != head.hash:", "if own is None:", ("tests/test_replica.py",)),
    Break("copy-not-written", "a command that writes refuses a local copy",
          "cli/app.py", "if log.copy_of is not None:", "if False:", ("tests/test_replica.py",)),
    Break("shared-address-shown-without-password", "a shared log's address is shown and kept without its password",
          "cli/app.py", "return WhichLog(path=public_address(self.path), bundled=None, seq=h.seq, hash=h.hash)",
          "return WhichLog(path=self.path, bundled=None, seq=h.seq, hash=h.hash)", ("tests/test_shared.py",)),
    Break("follow-wakes-on-notify", "follow on a shared log takes what is new when the server says an append committed",
          "cli/app.py", "if listener.wait(interval) is None:", "if True:", ("tests/test_shared.py",)),
    Break("copy-of-only", "a file that is not a copy of the log is never written as one",
          "chrono/replica.py", "if local.copy_of != address:", "if False:", ("tests/test_replica.py",)),
    # --- ranges of valid time and passes over the whole log -----------------------------------------
    Break("range-narrow-from-wide", "a range of valid time finds every window reaching into it, whichever way it is read",
          "projections/cache/read.py", 'cursors = _by_type(log, position, types, lo - WIDE, top, f" AND hi > ? AND hi - lo <= {WIDE}", (lo,))',
          'cursors = _by_type(log, position, types, lo, top, f" AND hi > ? AND hi - lo <= {WIDE}", (lo,))', ("tests/test_indexed.py",)),
    Break("range-wide-through", "a range that includes its end finds a wide window opening at that end",
          "projections/cache/read.py",
          'f"SELECT lo, seq, {FACT_COLUMNS} FROM {FACT_ROWS} WHERE hi - lo > {WIDE} AND lo <= ? AND hi > ? AND {where} AND type IN ({marks}) "',
          'f"SELECT lo, seq, {FACT_COLUMNS} FROM {FACT_ROWS} WHERE hi - lo > {WIDE} AND lo < ? AND hi > ? AND {where} AND type IN ({marks}) "',
          ("tests/test_indexed.py",)),
    Break("check-sweep-widths", "two stays at once may each be up to twice the longest journey wide",
          "projections/indexed.py",
          "by_start = sorted((i for i, s in enumerate(stays) if s[2] - s[1] <= 2 * LONGEST_TRAVEL_US), key=lambda i: stays[i][1])",
          "by_start = sorted((i for i, s in enumerate(stays) if s[2] - s[1] <= LONGEST_TRAVEL_US), key=lambda i: stays[i][1])",
          ("tests/test_indexed.py",)),
    Break("check-log-order", "check lists findings in the log's order, not the order the cache keeps facts in",
          "projections/indexed.py", "entities.append((seq, found))", "entities.append((-seq, found))", ("tests/test_indexed.py",)),
    Break("timeline-day-waits", "a streamed timeline gives a day only once no window filed under it can still open",
          "projections/indexed.py", "after = datetime(year, month, d, tzinfo=UTC) + timedelta(days=1)", "after = datetime(year, month, d, tzinfo=UTC)",
          ("tests/test_indexed.py",)),
    Break("diff-window-ends", "a key may change between two times when a window on it ends in between",
          "projections/indexed.py", "if a < f.lo <= b or a < f.hi <= b:  # (a window holding both t1 and t2 changes nothing between them)",
          "if a < f.lo <= b:", ("tests/test_indexed.py",)),
    Break("diff-end-reaches", "an actor's end in between may change what it held",
          "projections/indexed.py", "if c.on_end == HOLDER:", "if False:", ("tests/test_indexed.py",)),
    Break("export-halves-meet", "an export written by two processes holds each fact once",
          "projections/pictures/exports.py", "yield from pieces_of(facts(log, None, middle - 1), log)",
          "yield from pieces_of(facts(log, None, middle), log)", ("tests/test_indexed.py",)),
    Break("geojson-every-actor", "a map colours every actor the log names, described or not",
          "projections/pictures/exports.py", "return actor_colors(described | named, first=holders, chosen=actor_colours(log))",
          "return actor_colors(described, first=holders, chosen=actor_colours(log))",
          ("tests/test_indexed.py",)),
    Break("history-actor-places", "an actor's history reads every fact of control on the places it touched, naming it or not",
          "projections/investigate.py", "ids += [i for place in sorted(places) for i in cache.naming_ids(log, place, position, channels=(CONTROL,))]",
          "pass", ("tests/test_indexed.py",)),
    Break("belief-end-reaches", "an actor's end recorded in between changes the belief about what it held",
          "projections/indexed.py", "keys |= _reached(log, getattr(f.event, rule.ends), position)", "pass", ("tests/test_indexed.py",)),
    Break("belief-member-described", "a unit described anew as another actor's comes under that actor's end",
          "projections/indexed.py",
          "keys.update((name, getattr(f.event, described.id_field)) for name, c in CHANNELS.items() if c.on_end == MEMBER)", "pass",
          ("tests/test_indexed.py",)),
    # --- the log -------------------------------------------------------------------------------------
    Break("hash-covers-target", "the hash covers every stored column",
          "chrono/logstore.py", "f\"{'' if meta is None else meta}\\x1f{recorded}\\x1f{body}\\x1f{sources}\\x1f{links}\\x1f{'' if target is None else target}\"",
          "f\"{'' if meta is None else meta}\\x1f{recorded}\\x1f{body}\\x1f{sources}\\x1f{links}\"",
          ("tests/test_properties.py", "tests/test_store.py", "tests/test_store_contract.py")),
    Break("recorded-never-backwards", "recorded time never goes backwards along the log",
          "chrono/logstore.py", "us = max(to_micros(now), floor)", "us = to_micros(now)", ("tests/test_store_contract.py",)),
    Break("expected-position", "an append that expects another position is refused",
          "chrono/logstore.py", "if expected_position is not None and expected_position != head.seq:", "if False:",
          ("tests/test_store_contract.py",)),
    Break("trusted-init-converts", "a stored event is built as its constructor builds it (converters too)",
          "chrono/_build.py", "if converter is not None:", "if False:", ("tests/test_readers.py",)),
    Break("known-at-inclusive", "as known at K includes what was recorded at K",
          "chrono/store.py", 'sql += " AND recorded <= ?"', 'sql += " AND recorded < ?"', ("tests/test_properties.py",)),
    Break("verify-chain", "verify finds an entry that does not follow the previous one's hash",
          "chrono/logstore.py", "if row[12] != prev:", "if False:", ("tests/test_properties.py", "tests/test_store.py")),
    Break("store-chains", "an entry's story holds its corrections and theirs, to any depth (on any store)",
          "chrono/logstore.py", "found += [c for c in self.corrections_of(e.id) if c.seq <= position]", "found += []",
          ("tests/test_store_contract.py",)),
    Break("sqlite-chains", "an entry's story on SQLite follows the corrections' targets, a frontier at a time",
          "chrono/store.py", 'column = "id" if first else "target"', 'column = "id"',
          ("tests/test_store_contract.py", "tests/test_catchup.py")),
    Break("import-refers-later", "an import's after/before may name an event later in the file, in any batch",
          "chrono/logstore.py", "if later is not None:", "if False:", ("tests/test_store_contract.py",)),
    Break("import-refers-nowhere", "an import's after/before naming an event in neither the log nor the file is refused",
          "chrono/logstore.py", "if other not in known:", "if False:", ("tests/test_store_contract.py",)),
    Break("stage-kept-only-if-committed", "a stage not committed (a dry run) writes nothing",
          "chrono/store.py", "if stage.committed:", "if True:", ("tests/test_store_contract.py", "tests/test_cli_entry.py")),
    Break("history-reaches-ends", "an entity's history read through the cache sees every actor's end that may reach it",
          "projections/cache/read.py", "(*between(CHANNEL_CODES[ENDS], -HALF, HALF - 1), position))",
          "(*between(CHANNEL_CODES[ENDS], HALF - 1, HALF - 1), position))",
          ("tests/test_indexed.py::test_an_actors_history_read_through_the_indexes_shows_the_places_it_lost_to_facts_that_never_name_it", "tests/test_investigate.py", "tests/test_indexed.py")),
    Break("timelinejs-runs-placed", "a TimelineJS export's slides written ahead in runs read as the document written whole",
          "projections/pictures/exports.py", "_SLIDE_DEPTH = 2", "_SLIDE_DEPTH = 1",
          ("tests/test_indexed.py::test_a_large_export_is_written_by_two_processes_as_by_one",)),
    Break("timelinejs-runs-whole", "a TimelineJS export writes the last run of slides, however short",
          "projections/pictures/exports.py", "if run:", "if False:",
          ("tests/test_indexed.py::test_a_large_export_is_written_by_two_processes_as_by_one",)),
    Break("export-edge-shift", "an export dates an event whose wall clock is past the calendar at its edge (TimelineJS)",
          "projections/pictures/exports.py", "return datetime.max if n > 0 else datetime.min", "raise",
          ("tests/test_indexed.py::test_an_event_whose_wall_clock_is_past_the_calendar_exports_at_its_edge",)),
    Break("export-edge-day", "an export dates an event whose wall clock is past the calendar at its edge (CSV)",
          "projections/pictures/exports.py", "day = wall(start, zone_info(self.sc.zone)).date() if start else None",
          "day = start.astimezone(zone_info(self.sc.zone)).date() if start else None",
          ("tests/test_indexed.py::test_an_event_whose_wall_clock_is_past_the_calendar_exports_at_its_edge",)),
    Break("edge-wall-period", "a timeline files an event whose wall clock is past the calendar under its last day",
          "projections/investigate.py", "start = wall(from_micros(f.lo), tz)  # (at the calendar's edge where the zone's clocks read past it)",
          "start = from_micros(f.lo).astimezone(tz)",
          ("tests/test_indexed.py::test_an_event_whose_wall_clock_is_past_the_calendar_is_on_every_timeline",)),
    Break("edge-axis", "a timeline page's axis stops at the calendar's end",
          "projections/pictures/timeline.py", "hi = min(hi + pad, CALENDAR_HI - 1)  # (an axis never reaches past the calendar: no datetime holds its end)",
          "hi += pad", ("tests/test_indexed.py::test_an_event_whose_wall_clock_is_past_the_calendar_is_on_every_timeline",)),
    Break("edge-wall-scene", "a picture reads an instant on the zone's wall clocks, at the calendar's edge where they read past it",
          "projections/pictures/_model.py", "return wall(dt, zone_info(self.zone))", "return dt.astimezone(zone_info(self.zone))",
          ("tests/test_indexed.py::test_an_event_whose_wall_clock_is_past_the_calendar_is_on_every_timeline",)),
    # --- the log on PostgreSQL --------------------------------------------------------------------------
    Break("pg-append-lock", "appends on PostgreSQL are serialised: none lost or repeated, positions gap-free and committed in order",
          "chrono/pgstore.py", "LOCK TABLE {schema}.events IN EXCLUSIVE MODE;", "NULL;",
          ("tests/test_pgstore.py::test_concurrent_writers_lose_and_repeat_nothing_and_positions_are_gap_free",
           "tests/test_pgstore.py::test_a_reader_never_sees_a_position_before_every_lower_one",
           "tests/test_pgstore.py::test_positions_are_the_lock_s_not_a_sequence_s_a_second_writer_waits_for_the_first")),
    Break("pg-no-update-trigger", "the server refuses an UPDATE of the log to every role, its owner too",
          "chrono/pgstore.py", "CREATE TRIGGER events_no_update BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION chrono_refuse_change();",
          "-- (no trigger)", ("tests/test_pgstore.py::test_the_server_refuses_update_delete_and_truncate_even_to_the_owner",)),
    Break("pg-no-truncate-trigger", "the server refuses a TRUNCATE of the log to every role, its owner too",
          "chrono/pgstore.py", "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION chrono_refuse_change();",
          "-- (no trigger)", ("tests/test_pgstore.py::test_the_server_refuses_update_delete_and_truncate_even_to_the_owner",)),
    Break("pg-writer-grant", "the writer role may only read and insert: no UPDATE, DELETE or TRUNCATE privilege",
          "chrono/pgstore.py",
          'conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {s} TO {w}; GRANT SELECT, INSERT ON events TO {w}; GRANT SELECT ON chrono_meta TO {w}; "',
          'conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {s} TO {w}; GRANT ALL ON events TO {w}; GRANT SELECT ON chrono_meta TO {w}; "',
          ("tests/test_pgstore.py::test_the_writer_role_appends_and_cannot_update_delete_or_truncate",)),
    Break("pg-reader-grant", "the reader role cannot write at all",
          "chrono/pgstore.py", 'conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {s} TO {r}; GRANT SELECT ON events, chrono_meta TO {r}").format(',
          'conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {s} TO {r}; GRANT SELECT, INSERT ON events, chrono_meta TO {r}").format(',
          ("tests/test_pgstore.py::test_the_reader_role_reads_and_cannot_write",)),
    Break("pg-server-clock", "recorded time on PostgreSQL is the server's clock, read under the append lock",
          "chrono/pgstore.py", "locked_at := clock_timestamp();", "locked_at := clock_timestamp() - interval '1 hour';",
          ("tests/test_pgstore.py::test_recorded_time_is_the_server_s_clock_and_never_decreases",)),
    Break("pg-notify-head", "an append's commit notifies the log's channel of its new head",
          "chrono/pgstore.py", "PERFORM pg_notify('{channel}', (SELECT max(seq) FROM appended)::text);", "NULL;",
          ("tests/test_pgstore.py::test_an_append_notifies_its_new_head_on_commit_and_a_failed_one_nothing",)),
    Break("pg-not-a-log", "a database without a Chrono log is refused in one line",
          "chrono/pgstore.py", "if not found:", "if False:", ("tests/test_pgstore.py::test_opening_a_database_without_a_log_is_refused_in_one_line",)),
    Break("pg-import-repeats", "an import into PostgreSQL skips the entries already there (the batch's savepoint)",
          "chrono/pgstore.py", "with self.conn.transaction():", "if True:",
          ("tests/test_store_contract.py::TestPostgres",)),
    Break("pg-stage-kept-only-if-committed", "a stage on PostgreSQL not committed writes nothing",
          "chrono/pgstore.py", "if not stage.committed:", "if False:", ("tests/test_store_contract.py::TestPostgres",)),
    Break("pg-append-hash", "the server chains a one-call append as row_hash does: the hashed columns in their order",
          "chrono/pgstore.py", """text = f" || {sep} || ".join(f"coalesce(({values[c]})::text, '')" for c in HASHED)""",
          """text = f" || {sep} || ".join(f"coalesce(({values[c]})::text, '')" for c in reversed(HASHED))""",
          ("tests/test_pgstore.py::test_any_events_are_stored_as_sqlite_stores_them_byte_for_byte",)),
    Break("pg-append-floor", "a one-call append is recorded no earlier than the head, whatever the clock says",
          "chrono/pgstore.py", "recorded := greatest(coalesce(given_time, (extract(epoch FROM locked) * 1000000)::bigint), recorded);",
          "recorded := coalesce(given_time, (extract(epoch FROM locked) * 1000000)::bigint);", ("tests/test_store_contract.py::TestPostgres",)),
    Break("pg-append-checked", "a writer checks every hash the server chained its append with",
          "chrono/logstore.py", "if _chained(seq, event_id, row, recorded, prev, None, 0, authored)[13] != h:", "if False:",
          ("tests/test_pgstore.py::test_a_server_that_chains_an_append_otherwise_is_caught_at_its_first_append",)),
    Break("pg-append-repeat", "an append whose id the log holds is refused by the server and written the careful way (a repeat, or a conflict)",
          "chrono/pgstore.py", "except self._pg.errors.UniqueViolation:", "except ZeroDivisionError:",
          ("tests/test_pgstore.py::test_an_id_already_in_the_log_is_refused_by_the_server_and_found_the_careful_way",)),
    Break("pg-append-old-role", "a role that may not run chrono_append appends the careful way",
          "chrono/pgstore.py", "except (self._pg.errors.UndefinedFunction, self._pg.errors.InsufficientPrivilege):",
          "except self._pg.errors.UndefinedFunction:",
          ("tests/test_pgstore.py::test_a_writer_who_may_not_run_chrono_append_appends_the_careful_way",)),
    Break("pg-append-old-log-function", "a log made before chrono_append is appended to the careful way (no such function)",
          "chrono/pgstore.py", "except (self._pg.errors.UndefinedFunction, self._pg.errors.InsufficientPrivilege):",
          "except self._pg.errors.InsufficientPrivilege:",
          ("tests/test_pgstore.py::test_a_log_made_before_chrono_append_is_appended_to_the_careful_way",)),
    Break("pg-append-checks-first", "a one-call append is checked against the log before the server takes it",
          "chrono/logstore.py", "row, _ = self._incoming(draft, event_id, None, pending, in_batch, None, line_numbers[i] if line_numbers else None)",
          "row, _ = self._incoming(attrs.evolve(draft, after=(), before=()), event_id, None, pending, in_batch, None, line_numbers[i] if line_numbers else None)",
          ("tests/test_store_contract.py::TestPostgres",)),
    Break("pg-head-read-once", "the head the append lock read serves only the write that took it",
          "chrono/pgstore.py", "head, self._locked_head = self._locked_head, None", "return self._locked_head",
          ("tests/test_store_contract.py::TestPostgres",)),
    Break("pg-lock-timeout-said", "an append that waits past the lock timeout is told the log is locked, in one line",
          "chrono/pgstore.py", "if isinstance(e, pg.errors.LockNotAvailable):", "if False:",
          ("tests/test_pgstore.py::test_a_writer_waiting_past_the_lock_timeout_is_told_the_log_is_locked",)),
    Break("address-unreadable-said", "an address that cannot be read is a one-line error that never shows its password",
          "chrono/logs.py", "except ValueError as e:  # (said without the address: it may hold a password)",
          "except ZeroDivisionError as e:",
          ("tests/test_replica.py::test_an_address_that_cannot_be_read_is_a_one_line_error_without_its_password",)),
    Break("pg-password-hidden", "a password in a PostgreSQL address is never shown",
          "chrono/logs.py", "netloc = f\"{user.partition(':')[0]}@{host}\"", "netloc = f\"{user}@{host}\"",
          ("tests/test_pgstore.py::test_a_password_in_the_address_is_never_shown", "tests/test_replica.py")),
    # --- what a log takes in ---------------------------------------------------------------------------
    Break("entry-described", "a new event names only entities described as the kind it needs, or allowed as new",
          "projections/intake.py", "if g.fits(ref, kind):", "if ref:", ("tests/test_cli_entry.py",)),
    Break("entry-kind", "an entity described as another kind does not fit a reference",
          "projections/gazetteer.py", "return e is not None and kind in (ANY, e.kind)", "return e is not None",
          ("tests/test_cli_entry.py",)),
    Break("entry-batch-describes", "a description in the same batch describes the entity for the batch",
          "projections/intake.py", "self.declared[getattr(fact, d.id_field)] = d.kind", "pass", ("tests/test_cli_entry.py",)),
    Break("entry-retracted-once", "an event already retracted is not retracted again",
          "projections/intake.py", "if prior is not None:", "if False:", ("tests/test_cli_entry.py",)),
    # --- search ------------------------------------------------------------------------------------------
    Break("search-correction-reindexes", "a correction indexes the words its fact says from then on",
          "projections/search.py", "if now is not None:", "if False:", ("tests/test_properties.py", "tests/test_cli_search.py")),
    Break("search-version-ends", "a correction or retraction ends the version of the words it supersedes",
          "projections/search.py",
          'self.conn.execute("UPDATE search_versions SET seq_to = ?, closed_by = ? WHERE fact = ? AND seq_to = ?", (entry.seq, entry.id, fact, NEVER))',
          "pass", ("tests/test_properties.py", "tests/test_cli_search.py")),
    Break("search-reads-only-the-new", "an index catches up from the head it indexed",
          "projections/search.py", "for entry in self.log.entries(after_seq=done.seq):", "for entry in self.log.entries():",
          ("tests/test_properties.py", "tests/test_cli_search.py")),
    Break("search-keeps-what-it-indexed", "an index of the same log is caught up, not rebuilt",
          "projections/search.py", "if not self._continues(done, head):", "if True:", ("tests/test_cli_search.py",)),
    Break("search-latest-version", "a fact is found by its latest version by K that matched",
          "projections/search.py", '"SELECT v.fact, v.seq, v.type, max(v.seq_from), v.seq_to, v.made_by, v.closed_by, v.id, m.rank FROM m "',
          '"SELECT v.fact, v.seq, v.type, min(v.seq_from), v.seq_to, v.made_by, v.closed_by, v.id, m.rank FROM m "', ("tests/test_cli_search.py",)),
    Break("entry-needs-source", "a fact rests on a source when one is required",
          "projections/intake.py", "if not (draft.sources or isinstance(event, EventCorrected) and self._target_sources(event.target)):",
          "if False:", ("tests/test_cli_entry.py",)),
    Break("hash-covers-provenance", "the hash covers a row's provenance, when it has one",
          "chrono/logstore.py", 'text += f"\\x1f{provenance}"', "pass", ("tests/test_store_contract.py", "tests/test_cli_merge.py")),
    Break("provenance-kept", "the log stores the provenance an entry comes with",
          "chrono/logstore.py", 'provenance = codec.canonical(stored["provenance"])', "provenance = None",
          ("tests/test_cli_merge.py", "tests/test_store_contract.py")),
    # --- who recorded it --------------------------------------------------------------------------------
    Break("author-recorded", "every entry a write records keeps who recorded it, inside the hash chain",
          "chrono/logstore.py", "provenance = authored", "provenance = None", ("tests/test_store_contract.py", "tests/test_cli_author.py")),
    Break("author-given-wins", "an author given (--author, $CHRONO_AUTHOR) is recorded, not the backend's default",
          "chrono/logstore.py", "return self._author if self._author is not None else self.default_author", "return self.default_author",
          ("tests/test_store_contract.py", "tests/test_cli_author.py")),
    Break("author-cli", "a write records the author --author or $CHRONO_AUTHOR names",
          "cli/app.py", "log = Log.open(self.path, clock=self.clock, author=self.recorder)", "log = Log.open(self.path, clock=self.clock)",
          ("tests/test_cli_author.py",)),
    Break("author-not-content", "the same event appended by another author is a repeat, not a conflict",
          "chrono/logstore.py", "if existing is None or _same_content(_as_draft(existing), _as_draft(item)):",
          'if existing is None or _same_content(_as_draft(existing), _as_draft(item)) and getattr(existing, "author", None) in (None, self.author):',
          ("tests/test_store_contract.py", "tests/test_cli_author.py")),
    Break("stored-entry-keeps-provenance", "an export's entry (one with a recorded time) keeps its provenance, or none: not the importer's author",
          "chrono/logstore.py", "if provenance is None and given_hash is None and given_recorded is None:",
          "if provenance is None and given_hash is None:", ("tests/test_store_contract.py", "tests/test_cli_author.py")),
    Break("prepared-keeps-provenance", "a line read in a second process keeps the provenance it brings",
          "chrono/jsonl.py", "None if provenance is None else codec.canonical(provenance))", "None)", ("tests/test_import.py",)),
    Break("merge-records-merger", "a merged entry records who merged it, beside its origin's author",
          "chrono/transfer.py", "author = log.author", "author = None", ("tests/test_store_contract.py", "tests/test_cli_author.py")),
    Break("log-author-filter", "`log --author NAME` lists only the entries NAME recorded",
          "cli/read.py", "if author is not None and e.author != author:", "if False:", ("tests/test_cli_author.py",)),
    Break("said-now", "a corrected fact is recorded by whoever recorded what it says now (csv, timelinejs)",
          "projections/pictures/exports.py", "return (f.via or (f.id,))[-1]", "return f.id", ("tests/test_cli_author.py",)),
    Break("export-author-filter", "`export --author NAME` keeps only the events NAME recorded",
          "projections/pictures/exports.py", "chunk = [f for f in chunk if recorded[said_now(f)][1] == author]", "pass",
          ("tests/test_cli_author.py",)),
    Break("cache-reads-author", "an export read through the cache says who recorded each row",
          "projections/cache/read.py", "out[i] = from_micros(us), authors[provenance]", "out[i] = from_micros(us), None",
          ("tests/test_cli_author.py",)),
    Break("export-said-now", "an export's recorded time and author of a corrected fact are its latest correction's",
          "projections/pictures/exports.py", "recorded = cache.recorded_of(log, {i for i, f in now if i != f.id}, position, at={f.seq for i, f in now if i == f.id})",
          "recorded = cache.recorded_of(log, {f.id for i, f in now if i != f.id}, position, at={f.seq for i, f in now if i == f.id})",
          ("tests/test_cli_author.py", "tests/test_exports.py")),
    Break("history-said-now", "a history step says who recorded what it says now (its latest correction, its retraction)",
          "projections/investigate.py", 'now = r["retracted_by"] or (r["via"][-1] if r["via"] else r["event"])', 'now = r["event"]',
          ("tests/test_cli_author.py",)),
    # --- merging another chronology --------------------------------------------------------------------
    Break("merge-once", "an entry already here (merged before, or this log's own come back) is not merged again",
          "chrono/transfer.py", "if r in roots:", "if False:", ("tests/test_cli_merge.py",)),
    Break("merge-renames-references", "a renamed entry is named by its new id in what names it",
          "chrono/transfer.py", "event = attrs.evolve(event, target=ids.get(event.target, event.target))", "pass",
          ("tests/test_cli_merge.py",)),
    Break("merged-settings-set-nothing", "a setting merged from another log sets nothing here",
          "chrono/settings.py", "if e.origin is not None:", "if False:", ("tests/test_cli_merge.py",)),
    # --- read-only logs --------------------------------------------------------------------------------
    Break("read-only-untouched", "a log that cannot be written is read without writing in or beside it",
          "cli/app.py", "return Log.open(self.path, clock=self.clock, untouched=cannot_write(self.path))",
          "return Log.open(self.path, clock=self.clock)", ("tests/test_cli_readonly.py",)),
    Break("read-only-by-mode", "a log is read-only by its modes too, whoever reads it (root is not bound by them)",
          "chrono/store.py", "if not os.access(where, os.W_OK) or not os.stat(where).st_mode & 0o222:",
          "if not os.access(where, os.W_OK):", ("tests/test_cli_readonly.py",)),
    Break("read-only-no-cache", "no cache is built beside a log read as it stands",
          "projections/query.py", "return False  # (nothing is written beside a log read as it stands: read it without the cache)",
          "pass", ("tests/test_cli_readonly.py",)),
    Break("read-only-writer-at-work", "a read-only log with a writer at work is read with locks, and sees what it wrote",
          "chrono/store.py", "if os.path.getsize(path + suffix) > 0:", "if False:", ("tests/test_cli_readonly.py",)),
    # --- the log's settings --------------------------------------------------------------------------
    Break("setting-checked", "the log refuses a setting its key does not take, whichever way it comes in",
          "chrono/logstore.py", "settings.check(ev)", "pass", ("tests/test_cli_settings.py",)),
    Break("setting-not-corrected", "a setting is changed by setting it again, never corrected or retracted",
          "chrono/logstore.py", "if isinstance(target.event, SettingChanged):", "if False:", ("tests/test_cli_settings.py",)),
    Break("setting-latest-holds", "the latest setting of a key holds",
          "chrono/settings.py", 'own[ev.key] = Setting(ev.key, ev.value, "entry", e)',
          'own.setdefault(ev.key, Setting(ev.key, ev.value, "entry", e))', ("tests/test_cli_settings.py",)),
    Break("setting-read", "a log reads its settings from its entries, before its metadata and the defaults",
          "chrono/settings.py", "out[name] = got if got is not None and got.value is not None else fallback(log, name)",
          "out[name] = fallback(log, name)", ("tests/test_cli_settings.py",)),
    Break("import-settings-differ", "an import whose settings differ from the log's own is refused unless told which to keep",
          "chrono/transfer.py", "if differ and prefer is None:", "if False:", ("tests/test_cli_import.py", "tests/test_cli_merge.py")),
    Break("import-settings-keep", "an import told to keep the log's settings sets them again after the imported entries",
          "chrono/transfer.py", "return [change(k, o) for k, o, _ in differ] if prefer == KEEP else []", "return []",
          ("tests/test_cli_import.py",)),
    Break("colour-chosen", "the pictures draw an actor in the colour the log sets",
          "projections/pictures/_model.py", "chosen = {**actor_colours(log), **(colors or {})}", "chosen = dict(colors or {})",
          ("tests/test_cli_settings.py",)),
]


MD_HEAD = """# Deliberate breaks: every law, the one-line break of it, the test that catches it

Written by `python tests/breaks.py --md docs/breaks.md`; the list lives in `tests/breaks.py`.
Each break replaces one line of a copy of the tree and runs only the tests named for it (with `-x`
and the `{profile}` hypothesis profile); "caught by" is the first test that failed. A break that no test
catches is a survivor: a bug in the tests, to be fixed before the table is written again.

"""


def _cell(text: str) -> str:
    """Text for a cell of a Markdown table, whose columns `|` would split."""
    return text.replace("|", "\\|")


def _apply(root: Path, b: Break) -> None:
    path = root / b.file
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    found = [i for i, line in enumerate(lines) if line.strip() == b.before]
    if len(found) != 1:
        raise SystemExit(f"{b.name}: {b.file} has {len(found)} lines reading {b.before!r} (the break list is out of date)")
    i = found[0]
    indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
    lines[i] = indent + b.after
    path.write_text("\n".join(lines), encoding="utf-8")


def _copy() -> Path:
    where = Path(tempfile.mkdtemp(prefix="chrono-breaks-"))
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, where / name, ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))
        else:
            shutil.copy2(source, where / name)
    return where


def _failed(output: str) -> list[str]:
    return sorted(set(re.findall(r"^FAILED (\S+)", output, re.M)))


def run(b: Break, *, all_tests: bool, profile: str) -> tuple[bool, list[str], float]:
    """Apply `b` to a fresh copy, run its tests there; (caught, the tests that failed, seconds)."""
    root = _copy()
    try:
        _apply(root, b)
        env = {**os.environ, "PYTHONPATH": str(root), "HYPOTHESIS_PROFILE": profile, "PYTHONDONTWRITEBYTECODE": "1"}
        targets = ["tests"] if all_tests else list(b.tests)
        start = time.perf_counter()
        # (-x: one failing test is enough to say the break is caught.)
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-rf", *targets],
                              cwd=root, env=env, capture_output=True, text=True)
        return done.returncode != 0, _failed(done.stdout), time.perf_counter() - start
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("only", nargs="*", help="run only the breaks whose name contains one of these")
    ap.add_argument("--list", action="store_true", help="print the table of breaks and stop")
    ap.add_argument("--check", action="store_true", help="only check that every break's line is in its file, once")
    ap.add_argument("--all-tests", action="store_true", help="run the whole suite for each break")
    ap.add_argument("--profile", default="ci", help="hypothesis profile (default: ci)")
    ap.add_argument("--md", metavar="FILE", help="also write the table of breaks and the tests that caught them (docs/breaks.md)")
    args = ap.parse_args(argv)
    chosen = [b for b in BREAKS if not args.only or any(o in b.name for o in args.only)]
    if args.list:
        print("| break | law | file | line before → after | tests |\n|---|---|---|---|---|")
        for b in chosen:
            print(f"| `{b.name}` | {b.law} | `{b.file}` | `{b.before}` → `{b.after}` | {', '.join(b.tests)} |")
        return 0
    if args.check:
        for b in chosen:
            root = _copy()
            try:
                _apply(root, b)
            finally:
                shutil.rmtree(root, ignore_errors=True)
        print(f"{len(chosen)} breaks apply")
        return 0
    survivors = []
    rows = ["| break | law | line before → after | caught by |", "|---|---|---|---|"]
    for b in chosen:
        caught, failed, seconds = run(b, all_tests=args.all_tests, profile=args.profile)
        shown = ", ".join(failed[:3]) + (f" (+{len(failed) - 3})" if len(failed) > 3 else "")
        print(f"{'caught  ' if caught else 'SURVIVED'} {b.name:<26} {seconds:6.1f} s  {shown}", flush=True)
        rows.append(f"| `{b.name}` | {b.law} | `{b.file}`: `{_cell(b.before)}` → `{_cell(b.after)}` | "
                    + (", ".join(f"`{t.split('::')[-1]}`" for t in failed) if caught else "**survived**") + " |")
        if not caught:
            survivors.append(b.name)
    if args.md:
        Path(args.md).write_text(MD_HEAD.format(profile=args.profile) + "\n".join(rows) + "\n", encoding="utf-8")
    print(f"\n{len(chosen) - len(survivors)} of {len(chosen)} breaks caught" + (f"; survivors: {', '.join(survivors)}" if survivors else ""))
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
