"""bench/postgres.py runs at its smallest and reports every row (it measures nothing here: no time is
asserted; docs/performance.md has the figures)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UNAVAILABLE = 3  # bench/postgres.py's exit status when no PostgreSQL cluster can be made (the reason on stderr)


def test_bench_postgres_reports_every_row(tmp_path):
    pytest.importorskip("psycopg", reason="the benchmark needs psycopg")
    pytest.importorskip("eventsourcing.postgres", reason="the benchmark needs the bench extra (eventsourcing[postgres])")
    out, md = tmp_path / "r.json", tmp_path / "t.md"
    p = subprocess.run([sys.executable, str(ROOT / "bench" / "postgres.py"), "--writers", "1,2", "--seconds", "0.3", "--sizes", "300",
                        "--work", str(tmp_path), "--out", str(out), "--md", str(md)], capture_output=True, text=True, timeout=120)
    if p.returncode == UNAVAILABLE:
        pytest.skip(p.stderr.strip().splitlines()[-1])
    assert 0 == p.returncode, p.stderr[-2000:]
    rows = json.loads(out.read_text())["table"]
    assert {1, 2, 3, 4} == {r["bar"] for r in rows}
    # Row 1 at each writer count, against eventsourcing's recorder, with a verdict; row 2 for each contender.
    assert {"1 writer", "2 writers"} == {r["size"] for r in rows if r["bar"] == 1 and r["verdict"] in ("PASS", "FAIL")}
    assert 6 == len([r for r in rows if r["bar"] == 2])
    assert all(r["verdict"] in ("PASS", "FAIL") for r in rows if r["bar"] == 2 and r["target"] == "≤ 10×")
    assert md.read_text() in p.stdout
    rendered = subprocess.run([sys.executable, str(ROOT / "bench" / "postgres.py"), "--render", str(out)], capture_output=True, text=True)
    assert md.read_text().strip() == rendered.stdout.strip()
