"""Materialized read models: every version of every fact over recorded time, and the keyed effects
they have, indexed by both times so that `state --at T --as-of K` is a range scan, not a replay.

A cache, never the truth: it records the log head it was built from, is caught up on the next read
when the log has moved on (only the new entries applied), is rebuilt by `chrono replay`, and the
property tests hold it equal to the fold for any T and K, and a caught-up one equal to a rebuilt one. Its modules, one job each:

- `schema`: its tables and indexes, in two parts, and the format a cache names;
- `derived`: the SQL that reads the rules of the world (`projections.rules`) out of the stored JSON;
- `build`: building a log's cache, and knowing whether the one on disk is the log's;
- `catchup`: bringing a cache up to its log's head by the entries past the head it was built from;
- `helper`: the standard-library program that builds one part in a second process;
- `versions`: the few facts resolved version by version (corrected, ordered, or of an older schema);
- `read`: the questions `query` and `investigate` ask of it.
"""

from __future__ import annotations

from .read import (
    TIMED,
    all_facts,
    chains,
    changed_between,
    corrections,
    count_facts,
    described,
    described_ids,
    descriptions,
    each_fact,
    ending_ids,
    entries_of,
    ends_by,
    fact,
    key_cell,
    key_steps,
    last_end,
    latest_listed,
    members,
    named_in,
    names_of,
    naming,
    naming_ids,
    opening,
    overlapping,
    position_at,
    recent_keys,
    recorded_of,
    sample_starts,
    window_bounds,
    windows_of,
)
from .build import built_from, is_fresh, path_of, rebuild
from .catchup import catch_up

__all__ = [
    "TIMED", "all_facts", "built_from", "catch_up", "chains", "changed_between", "corrections", "count_facts", "described", "described_ids",
    "descriptions", "each_fact", "ending_ids", "ends_by", "entries_of", "fact", "is_fresh", "key_cell", "key_steps",
    "last_end", "latest_listed", "members", "named_in", "names_of", "naming", "naming_ids", "opening", "overlapping", "path_of", "position_at", "rebuild",
    "recent_keys", "recorded_of", "sample_starts", "window_bounds", "windows_of",
]
