"""What a person at a terminal sees: colour by controller, NO_COLOR, progress on long work."""

from __future__ import annotations

from datetime import UTC, datetime

from click.testing import CliRunner

import cli
from chrono.clock import FixedClock
from cli import render


def run(tmp_path, *args, env=None, color=False):
    db = str(tmp_path / "t.db")
    obj = cli.Env(clock=FixedClock(datetime(2026, 11, 25, tzinfo=UTC)))
    runner = CliRunner()
    if not (tmp_path / "t.db").exists():
        assert 0 == runner.invoke(cli.main, ["--db", db, "init", "--chronicle", "syria-2024"], obj=obj).exit_code
    return runner.invoke(cli.main, ["--db", db, *args], obj=obj, env=env, color=color)


def test_state_colours_places_by_controller_on_a_terminal(tmp_path):
    result = run(tmp_path, "state", "--at", "2024-12-07T21:30", color=True)
    assert 0 == result.exit_code
    line = next(l for l in result.output.splitlines() if l.startswith("Aleppo "))
    assert "\x1b[" in line and "Hayat Tahrir al-Sham" in line


def test_state_is_plain_when_no_color_is_set(tmp_path):
    result = run(tmp_path, "state", "--at", "2024-12-07T21:30", env={"NO_COLOR": "1"}, color=True)
    assert 0 == result.exit_code
    assert "\x1b[" not in result.output


def test_same_actor_gets_the_same_colour_everywhere():
    assert render.actor_styles(["hts"])["hts"] == render.actor_styles(["hts"])["hts"]
    assert {"dim": True} == render.actor_styles([None])[None]


def test_replay_and_verify_show_progress_on_a_terminal_for_long_logs(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "PROGRESS_FROM", 10)
    monkeypatch.setattr(render, "_is_terminal", lambda: True)
    assert "replaying" in run(tmp_path, "replay").output
    assert "verifying" in run(tmp_path, "verify").output


def test_no_progress_into_a_pipe(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "PROGRESS_FROM", 10)
    result = run(tmp_path, "replay")
    assert "replaying" not in result.output


def test_state_table_shows_the_latest_statements_and_all_with_all(tmp_path):
    short = run(tmp_path, "state", "--at", "2024-12-07T21:30").output
    everything = run(tmp_path, "state", "--at", "2024-12-07T21:30", "--all").output
    assert "earlier (--all lists them)" in short
    assert "earlier (--all lists them)" not in everything
    # The first statement of the account (the operations room's decision) only shows with --all.
    assert ("ops-source-overthrow-decision" in short, "ops-source-overthrow-decision" in everything) == (False, True)


def test_check_and_export_show_progress_on_a_terminal_for_long_logs(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "PROGRESS_FROM", 10)
    monkeypatch.setattr(render, "_is_terminal", lambda: True)
    assert "checking" in run(tmp_path, "check").output
    for fmt, suffix in (("jsonl", "jsonl"), ("csv", "csv"), ("timelinejs", "json")):
        assert "exporting" in run(tmp_path, "export", "--format", fmt, "--out", str(tmp_path / f"x.{suffix}")).output
    assert "mapping control" in run(tmp_path, "export", "--format", "geojson", "--out", str(tmp_path / "x.geojson")).output


def test_no_progress_of_an_export_into_a_pipe(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "PROGRESS_FROM", 10)
    result = run(tmp_path, "export", "--format", "csv", "--out", str(tmp_path / "x.csv"))
    assert "exporting" not in result.output and "exported" in result.output
