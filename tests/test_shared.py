"""A chronology kept together on PostgreSQL, from the command line, by two "machines": two users, each a
process of their own with a cache directory of their own (so a local copy of their own), on one server.
Each writes, and each reads what the other wrote; `follow` wakes on the server's notification."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .test_follow import Lines

ROOT = Path(__file__).resolve().parents[1]


class Machine:
    """`chrono --db URL ...` as one user runs it: a process with its own cache directory."""

    def __init__(self, url: str, home: Path):
        self.url, self.home = url, home
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(home / "cache"), "COLUMNS": "200", "CHRONO_DB": ""}
        self.env.pop("CHRONO_LOCAL_COPY", None)

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "cli", "--db", self.url, *args], cwd=self.home, env=self.env,
                              capture_output=True, text=True, timeout=120)
        if ok:
            assert done.returncode == 0, done.stderr
        return done

    def json(self, *args: str) -> dict:
        return json.loads(self.run(*args, "--json").stdout)

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "cli", "--db", self.url, *args], cwd=self.home, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.fixture
def machines(pg_url, tmp_path) -> tuple[Machine, Machine]:
    ana, ben = tmp_path / "ana", tmp_path / "ben"
    ana.mkdir()
    ben.mkdir()
    return Machine(pg_url, ana), Machine(pg_url, ben)


def holder(m: Machine, place: str, at: str) -> list[str]:
    doc = m.json("state", "--at", at, "--entity", place)
    (row,) = [r for r in doc["control"] if r["place"] == place]
    return row["candidates"]


def test_two_machines_keep_one_chronology(machines, tmp_path):
    ana, ben = machines
    made = ana.run("init", "--zone", "Africa/Khartoum")
    assert "GRANT chrono_writer TO" in made.stdout
    ana.run("append", "PlaceDescribed", "--place", "wad-madani", "--name", "Wad Madani", "--kind", "city")
    ana.run("append", "ActorDescribed", "--actor", "rsf", "--name", "Rapid Support Forces")
    ana.run("append", "ActorDescribed", "--actor", "saf", "--name", "Sudanese Armed Forces")
    taken = ben.run("append", "ControlChanged", "--place", "wad-madani", "--controller", "rsf", "--valid", "2023-12-18",
                    "--source", "Radio Dabanga").stdout.strip()
    assert holder(ana, "wad-madani", "2023-12-20") == ["rsf"]  # ana reads what ben wrote
    fixed = ana.run("--author", "ana", "correct", taken, "--controller", "saf", "--reason", "misread the report").stdout.split()[0]
    assert holder(ben, "wad-madani", "2023-12-20") == ["saf"]  # and ben what ana corrected
    # Who recorded each: the database role the writer connects as, unless --author says otherwise.
    assert "postgres" == ben.json("show", taken)["author"] and "ana" == ben.json("show", fixed)["author"]

    # One log, one head, whoever asks; each keeps a copy of their own in their cache directory.
    heads = {m.run("head").stdout.split()[1] for m in (ana, ben)}
    assert len(heads) == 1
    for m in (ana, ben):
        copies = list((m.home / "cache" / "chrono" / "shared").glob("*.db"))
        assert len(copies) == 1
        assert "hash chain intact" in m.run("verify").stdout
    which = ana.json("state", "--at", "2023-12-20")["log"]
    assert which["path"] == ana.url and which["head"]["hash"] == heads.pop()
    # An address with a password (this server trusts its socket, and ignores it): never shown, never kept.
    secret = Machine(ana.url.replace("postgresql://postgres@", "postgresql://postgres:s3cret@"), ana.home)
    said = secret.run("state", "--at", "2023-12-20", "--json")
    assert "s3cret" not in said.stdout + said.stderr and json.loads(said.stdout)["log"]["path"] == ana.url
    assert all(b"s3cret" not in p.read_bytes() for p in (ana.home / "cache").rglob("*") if p.is_file())

    # A copy where the user says, and the log exported to a file and imported into SQLite: the same head.
    chosen = tmp_path / "my-copy.db"
    assert holder(Machine(ana.url, ana.home), "wad-madani", "2023-12-20") == ["saf"]
    ana.run("--local-copy", str(chosen), "head")
    assert chosen.exists()
    export = tmp_path / "shared.jsonl"
    ana.run("export", "--out", str(export))
    local = tmp_path / "local.db"
    subprocess.run([sys.executable, "-m", "cli", "--db", str(local), "init"], cwd=tmp_path, env=ana.env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "cli", "--db", str(local), "import", str(export)], cwd=tmp_path, env=ana.env, check=True,
                   capture_output=True)
    head_here = subprocess.run([sys.executable, "-m", "cli", "--db", str(local), "head"], cwd=tmp_path, env=ana.env, check=True,
                               capture_output=True, text=True).stdout.split()[1]
    assert head_here == ana.run("head").stdout.split()[1]


def test_follow_wakes_when_the_server_says_an_append_committed(machines):
    ana, ben = machines
    ana.run("init", "--zone", "Africa/Khartoum")
    ana.run("append", "PlaceDescribed", "--place", "wad-madani", "--name", "Wad Madani", "--kind", "city")
    # An interval of an hour: only the server's notification can wake it in time.
    follower = ben.popen("follow", "--interval", "3600", "--json")
    try:
        printed = Lines(follower)
        time.sleep(1.5)  # (listening, its copy up to date)
        started = time.monotonic()
        ana.run("append", "PlaceDescribed", "--place", "hantoub", "--name", "Hantoub", "--kind", "town")
        (line,) = printed.next(1, timeout=60)
        assert json.loads(line)["event"]["place"] == "hantoub" and time.monotonic() - started < 60
    finally:
        follower.kill()
        follower.wait()


def test_a_server_that_cannot_be_reached_is_one_line(tmp_path):
    m = Machine("postgresql://nobody@/nowhere?host=/nonexistent-socket-dir", tmp_path)
    for args in (("state", "--at", "2024-01-01"), ("append", "PlaceDescribed", "--place", "x", "--name", "X")):
        done = m.run(*args, ok=False)
        assert done.returncode == 1 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
