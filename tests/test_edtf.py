"""EDTF: docs/edtf.md's tables of the specification's examples are what Chrono reads, row by row; and
the ends and qualifiers EDTF gives a time survive every form Chrono stores and exports it in."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import orjson
import pytest
from hypothesis import given

from chrono import codec
from chrono.errors import TimeLiteralError
from chrono.store import valid_columns
from chrono.timeval import ACCEPTED_FORMS, ValidTime, parse_valid_time

from . import strategies as s

DOC = Path(__file__).resolve().parents[1] / "docs" / "edtf.md"
STORED = ("Example", "Meaning", "Earliest (UTC)", "Latest (UTC)", "Precision", "Qualifier", "Kept as EDTF")
REFUSED = ("Example", "Meaning", "Chrono's error")


def tables(text: str) -> list[tuple[tuple[str, ...], list[tuple[str, ...]]]]:
    """Every table of a markdown text: its header's cells and its rows' cells (the separator skipped)."""
    found, block = [], []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            block.append(tuple(cell.strip() for cell in line.strip().strip("|").split("|")))
        elif block:
            found.append((block[0], block[2:]))
            block = []
    return found


def code(cell: str) -> str:
    assert cell.startswith("`") and cell.endswith("`"), cell
    return cell[1:-1]


def moment(dt: datetime | None, kind: str) -> str:
    """An end as the table writes it: the UTC instant to the minute (or finer when it has to), or the
    end's kind; the calendar's end, which no datetime holds, as 24:00 of its last day."""
    if kind != "bounded":
        return kind
    if dt is None:
        return "9999-12-31T24:00Z"
    text = f"{dt.year:04d}-{dt:%m-%dT%H:%M}"
    if dt.second or dt.microsecond:
        text += f":{dt:%S}" + (f".{dt.microsecond:06d}" if dt.microsecond else "")
    return text + "Z"


def stored_cells(v: ValidTime) -> tuple[str, ...]:
    """What a row of a table of stored examples says of a time, after its example and meaning."""
    qualifier = f"{v.qualifiers[0] or '–'} / {v.qualifiers[1] or '–'}" if v.qualifiers else v.qualifier or "–"
    return moment(v.earliest, v.start), moment(v.latest, v.end), v.precision, qualifier, f"`{v.edtf}`" if v.edtf else "–"


def refusal(e: TimeLiteralError) -> str:
    return f"`{str(e).removesuffix('; ' + ACCEPTED_FORMS)}`"


def examples() -> list:
    out = []
    for header, rows in tables(DOC.read_text(encoding="utf-8")):
        if header in (STORED, REFUSED):
            out += [pytest.param(code(row[0]), header == STORED, row[2:], id=code(row[0])) for row in rows]
    return out


EXAMPLES = examples()


@pytest.mark.parametrize(("literal", "stored", "cells"), EXAMPLES)
def test_edtf_example_is_read_as_the_table_says(literal, stored, cells):
    try:
        v = parse_valid_time(literal, "UTC")
    except TimeLiteralError as e:
        assert not stored, f"{literal!r} is refused: {e}"
        assert cells == (refusal(e),)
        return
    assert stored, f"{literal!r} is read as {v!r}"
    assert cells == stored_cells(v)


def test_edtf_table_covers_the_specifications_levels():
    text = DOC.read_text(encoding="utf-8")
    for heading in ("## Level 0", "## Level 1", "## Level 2"):
        assert heading in text
    literals = {p.values[0] for p in EXAMPLES}
    assert len(literals) > 80
    # The specification's examples of each feature, at least one of each.
    for literal in ("1985-04-12T23:20:30-04", "Y170000002", "2001-21", "2004-06-11%", "20XX", "1985-04-12/..", "/1985",
                    "-1985", "Y-17E7", "1950S2", "2001-34", "[..1760-12-03]", "{1960,1961-12}", "2004-?06-11", "XXXX-12-XX",
                    "2004-06-~01/2004-06-~20"):
        assert literal in literals


@pytest.mark.parametrize("literal", [p.values[0] for p in EXAMPLES if p.values[1]])
def test_edtf_example_round_trips_through_the_log_and_the_export(literal):
    v = parse_valid_time(literal, "UTC", wording="as the source put it")
    lo, hi, meta = valid_columns(v)
    assert (v.lo, v.hi) == (lo, hi)
    assert v == codec.valid_from_columns(lo, hi, meta)
    exported = orjson.loads(orjson.dumps(codec.valid_to_json(v)))
    assert v == codec.valid_from_json(exported, "Asia/Damascus")
    # Every reading of an end that is not bounded says what it is, never the calendar's edge.
    if v.start != "bounded":
        assert v.start == exported["earliest"]
    if v.end != "bounded":
        assert v.end == exported["latest"]
    if not v.bounded:
        assert "0001" not in v.describe() and "9999" not in v.describe()


@given(s.any_valid_times())
def test_any_valid_time_round_trips_through_the_log_and_the_export(v):
    assert v == codec.valid_from_columns(*valid_columns(v))
    assert v == codec.valid_from_json(orjson.loads(orjson.dumps(codec.valid_to_json(v))), "UTC")


@given(s.valid_times())
def test_a_time_of_the_first_logs_is_stored_as_it_always_was(v):
    # Written only when there: an end's kind, the ends' qualifiers, the EDTF kept. So every log written
    # before they were, its metas and its hashes, reads and verifies byte for byte as it did.
    meta = codec.valid_meta(v)
    assert meta == codec.canonical({"precision": v.precision, "zone": v.zone, "wording": v.wording, "qualifier": v.qualifier})
    assert (v.lo, v.hi, meta) == valid_columns(v)
    assert set(codec.valid_to_json(v)) <= {"earliest", "latest", "precision", "zone", "wording", "qualifier"}


@pytest.mark.parametrize(("meta", "lo", "hi"), [
    ('{"end":"open","precision":"interval","qualifier":null,"wording":null,"zone":"UTC"}', 0, 10),  # an open end stored short of the edge
    ('{"precision":"interval","qualifier":null,"start":"sometime","wording":null,"zone":"UTC"}', 0, 10),
    ('{"precision":"interval","qualifier":"uncertain","qualifiers":["approximate",null],"wording":null,"zone":"UTC"}', 0, 10),
    ('{"edtf":"","precision":"interval","qualifier":null,"wording":null,"zone":"UTC"}', 0, 10),
])
def test_valid_columns_that_contradict_themselves_are_refused(meta, lo, hi):
    with pytest.raises(ValueError):
        codec.valid_from_columns(lo, hi, meta)
