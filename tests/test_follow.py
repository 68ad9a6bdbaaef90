"""`chrono follow`: one process prints what another appends, and how it changes an entity's state."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from chrono.entry import Draft
from chrono.store import Log
from chrono.timeval import parse_valid_time
from cli.app import main
from events import ActorDescribed, ControlChanged, EventCorrected, PlaceDescribed, Source

ROOT = Path(__file__).resolve().parents[1]
ZONE = "Africa/Khartoum"


def sudan_log(path: str) -> None:
    with Log.create(path, zone=ZONE) as log:
        log.append([Draft(event=PlaceDescribed(place="wad-madani", name="Wad Madani"), id="d-madani"),
                    Draft(event=ActorDescribed(actor="rsf", name="Rapid Support Forces"), id="d-rsf"),
                    Draft(event=ActorDescribed(actor="saf", name="Sudanese Armed Forces"), id="d-saf")])


class Lines:
    """The lines a process prints, as they come (reading the pipe itself: a buffered reader would hold
    lines that select() no longer sees)."""

    def __init__(self, p: subprocess.Popen):
        self.fd, self.buffer = p.stdout.fileno(), b""

    def next(self, n: int, timeout: float = 30) -> list[str]:
        deadline = time.monotonic() + timeout
        sel = selectors.DefaultSelector()
        sel.register(self.fd, selectors.EVENT_READ)
        while self.buffer.count(b"\n") < n:
            assert sel.select(timeout=max(0.0, deadline - time.monotonic())), f"only {self.buffer!r} after {timeout} s"
            chunk = os.read(self.fd, 65536)
            assert chunk, f"the follower stopped: {self.buffer!r}"
            self.buffer += chunk
        *out, self.buffer = self.buffer.split(b"\n", n)
        return [line.decode() for line in out]


def test_one_process_follows_what_another_appends_and_how_it_changes_an_entity(tmp_path):
    db = str(tmp_path / "sudan.db")
    sudan_log(db)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    follower = subprocess.Popen([sys.executable, "-m", "cli", "--db", db, "follow", "--after", "3", "--entity", "wad-madani",
                                 "--at", "2023-12-20", "--interval", "0.05", "--json"],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    printed = Lines(follower)
    try:
        with Log.open(db) as log:
            log.append(Draft(event=ControlChanged(place="wad-madani", controller="rsf"), valid=parse_valid_time("2023-12-18", ZONE),
                             sources=(Source(outlet="Sudan Tribune"),), id="madani-falls"))
        entry, change = (json.loads(line) for line in printed.next(2))
        assert ("madani-falls", 4, "ControlChanged") == (entry["id"], entry["seq"], entry["type"])
        before, after = change["change"]["before"], change["change"]["after"]
        assert ("unknown", "rsf", "certain", ["madani-falls"]) == (before["status"], after["controller"], after["status"], after["events"])
        with Log.open(db) as log:
            log.append(Draft(event=EventCorrected(target="madani-falls", replacement=ControlChanged(place="wad-madani", controller="saf"),
                                                  reason="the SAF still held it"), valid=parse_valid_time("2023-12-18", ZONE), id="fix"))
        entry, change = (json.loads(line) for line in printed.next(2))
        assert ("fix", "EventCorrected") == (entry["id"], entry["type"])
        assert ("rsf", "saf") == (change["change"]["before"]["controller"], change["change"]["after"]["controller"])
        follower.send_signal(signal.SIGINT)
        assert 130 == follower.wait(timeout=30)
        assert b"Traceback" not in follower.stderr.read()
    finally:
        if follower.poll() is None:
            follower.kill()
        follower.stdout.close()
        follower.stderr.close()


def test_follow_from_a_position_stops_after_count_entries(tmp_path):
    db = str(tmp_path / "sudan.db")
    sudan_log(db)
    result = CliRunner().invoke(main, ["--db", db, "follow", "--after", "1", "--count", "2"])
    assert 0 == result.exit_code, result.output
    assert ["d-rsf", "d-saf"] == [line.split()[2] for line in result.stdout.splitlines()]


def test_follow_refuses_an_entity_the_log_does_not_describe(tmp_path):
    db = str(tmp_path / "sudan.db")
    sudan_log(db)
    result = CliRunner().invoke(main, ["--db", db, "follow", "--entity", "wad-madni"])
    assert 1 == result.exit_code
    assert "wad-madni" in result.output
