"""Start-up: the bundled chronicle's saved image gives exactly the answers of a fresh import, and a
damaged, stale or unwritable image never changes an answer."""

import contextlib
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
import cli.bundled as bundled
from chrono.chronicles import CHRONICLES, DEFAULT, open_in_memory
from chrono.clock import FixedClock

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

QUESTIONS = [
    ["state", "--at", "2024-12-07T21:30", "--json"],
    ["state", "--at", "2024-12-07T21:30"],
    ["state", "--at", "2024-12-05", "--as-of", "2026-11-24T12:30Z", "--json"],
    ["state", "--at", "2024-12-08T06:00", "--entity", "Assad", "--entity", "Damascus", "--json"],
    ["history", "aleppo", "--json"],
    ["timeline", "--json"],
    ["diff", "--from", "2024-12-05", "--to", "2024-12-08", "--json"],
    ["sources", "--json"],
    ["check", "--json"],
    ["log", "--json"],
    ["entities", "--json"],
    ["head", "--json"],
    ["export"],
]


def ask(args, bundled_log=None):
    """`chrono ARGS` with no log named, in a directory without ./chrono.db: the bundled chronicle answers."""
    env = cli.Env(clock=FixedClock(NOW), bundled=bundled_log)
    with tempfile.TemporaryDirectory() as empty, contextlib.chdir(empty):
        result = CliRunner().invoke(cli.main, list(args), obj=env, env={"CHRONO_DB": None})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def images(where: Path) -> list[Path]:
    return sorted(where.glob("chrono/*.sqlite"))


@pytest.fixture
def cache_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


@pytest.fixture(scope="module")
def fresh():
    """Every question's answer from a fresh import of the chronicle, as Chrono always did it."""
    return {tuple(q): ask(q, open_in_memory(DEFAULT, clock=FixedClock(NOW))) for q in QUESTIONS}


def no_rebuild(monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("rebuilt the chronicle although a good image was saved")

    monkeypatch.setattr(bundled, "_build", refuse)


def test_the_saved_image_answers_every_question_as_a_fresh_import(fresh, cache_home, monkeypatch):
    first = {tuple(q): ask(q) for q in QUESTIONS[:1]}  # builds and saves the image
    assert 1 == len(images(cache_home))
    no_rebuild(monkeypatch)
    again = {tuple(q): ask(q) for q in QUESTIONS}
    assert {k: fresh[k] for k in first} == first
    assert fresh == again
    assert expected_codes(fresh) == {question: code for question, (code, _) in fresh.items()}


def expected_codes(answers) -> dict[tuple, int]:
    """Every question is answered (exit 0), but for `check`, a lint, whose exit 1 says that it found
    something: it must agree with the findings it gives. (An error is exit 1 too, and never an answer.)"""
    out = {}
    for question, (_code, output) in answers.items():
        out[question] = 0
        if question[0] == "check":
            out[question] = 0 if json.loads(output)["ok"] else 1
    return out


def test_a_process_run_twice_answers_as_a_fresh_import(fresh, cache_home, tmp_path):
    question = ["state", "--at", "2024-12-05", "--as-of", "2026-11-24T12:30Z", "--json"]
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    outs = [subprocess.run([sys.executable, "-m", "cli", *question], cwd=tmp_path, env=env, capture_output=True,
                           text=True, check=True).stdout for _ in range(2)]
    assert 1 == len(images(cache_home))
    assert [fresh[tuple(question)][1]] * 2 == outs


def damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["flipped byte", "truncated", "empty", "not sqlite"])
def test_a_damaged_image_is_never_read_and_is_rebuilt(how, fresh, cache_home):
    question = ("state", "--at", "2024-12-07T21:30", "--json")
    ask(question)
    (image,) = images(cache_home)
    if how == "flipped byte":
        damage(image)
    elif how == "truncated":
        image.write_bytes(image.read_bytes()[:4096])
    elif how == "empty":
        image.write_bytes(b"")
    else:
        image.write_bytes(b"not a database at all" * 100)
    assert fresh[question] == ask(question)
    (rebuilt,) = images(cache_home)
    assert hashlib.sha256(rebuilt.read_bytes()).hexdigest().startswith(rebuilt.stem.rsplit("-", 1)[1])


def resave(image: Path, change: str) -> Path:
    """The image with `change` made inside it, saved under a name whose digest matches its new bytes."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.deserialize(image.read_bytes())
    conn.execute(change)
    data = conn.serialize()
    image.unlink()
    name = image.stem.rsplit("-", 1)[0] + "-" + hashlib.sha256(data).hexdigest()[:32] + ".sqlite"
    (image.parent / name).write_bytes(data)
    return image.parent / name


@pytest.mark.parametrize("change", [
    "UPDATE bundle_meta SET value = 'another key' WHERE key = 'key'",  # built by other code or data
    "UPDATE proj_meta SET value = '1' WHERE key = 'seq'",  # a read cache not built from this head
    "DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)",  # not the whole chronicle
])
def test_a_stale_image_with_a_good_digest_is_not_used(change, fresh, cache_home, monkeypatch):
    question = ("state", "--at", "2024-12-07T21:30", "--json")
    ask(question)
    (image,) = images(cache_home)
    for statement in change.split("; "):
        image = resave(image, statement)
    built = []
    real = bundled._build
    monkeypatch.setattr(bundled, "_build", lambda *a, **k: built.append(1) or real(*a, **k))
    assert fresh[question] == ask(question)
    assert [1] == built
    assert not image.exists()


def test_the_key_changes_with_the_chronicle():
    data = CHRONICLES[DEFAULT].data()
    assert bundled.image_key(data) == bundled.image_key(data)
    assert bundled.image_key(data) != bundled.image_key(data + b"\n")


def test_only_the_images_used_last_are_kept(cache_home):
    folder = cache_home / "chrono"
    folder.mkdir(parents=True)
    old = [folder / f"{DEFAULT}-{n:032x}-{'1' * 32}.sqlite" for n in range(bundled.KEPT + 2)]
    for age, path in enumerate(old):  # from other checkouts or older versions of Chrono
        path.write_bytes(b"an image of another key")
        os.utime(path, (1e9 - age, 1e9 - age))
    other = folder / "notes.txt"
    other.write_text("not ours")
    ask(("state", "--at", "2024-12-07T21:30"))
    assert [p.exists() for p in old] == [True] * (bundled.KEPT - 1) + [False] * 3
    assert other.exists()
    assert bundled.KEPT == len(images(cache_home))


@pytest.mark.parametrize("where", ["under a file", "read-only"])
def test_an_unwritable_cache_directory_still_answers(where, fresh, tmp_path, monkeypatch):
    question = ("state", "--at", "2024-12-07T21:30", "--json")
    if where == "under a file":
        (tmp_path / "file").write_text("")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file" / "cache"))
    else:
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            pytest.skip("root writes into read-only directories")
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        monkeypatch.setenv("XDG_CACHE_HOME", str(ro))
    assert fresh[question] == ask(question)
    assert fresh[question] == ask(question)


def test_a_saved_image_in_a_directory_that_became_read_only_is_still_read(fresh, cache_home, monkeypatch):
    question = ("state", "--at", "2024-12-07T21:30", "--json")
    ask(question)
    (image,) = images(cache_home)
    before = image.read_bytes()

    def refuse(*_a, **_k):
        raise PermissionError(13, "Read-only file system")

    for name in ("utime", "replace", "remove", "makedirs"):
        monkeypatch.setattr(bundled.os, name, refuse)
    no_rebuild(monkeypatch)
    assert fresh[question] == ask(question)
    assert [image] == images(cache_home) and before == image.read_bytes()


def test_the_cache_directory_follows_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert str(tmp_path / "xdg" / "chrono") == bundled.cache_dir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for unset in ("", "relative/path"):  # the XDG spec: empty or relative means the default
        monkeypatch.setenv("XDG_CACHE_HOME", unset)
        assert str(tmp_path / "home" / ".cache" / "chrono") == bundled.cache_dir()
