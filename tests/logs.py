"""The logs the picture and export tests read, named as a user names them: a log of Sudan (`--db`) and
the bundled chronicle (no log named, none in the folder); and `chrono`, a command run as a user runs it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import main

from . import sudan


@pytest.fixture
def sudan_db(tmp_path) -> str:
    path = str(tmp_path / "sudan.db")
    sudan.make_log(path).close()
    return path


@pytest.fixture
def bundled(tmp_path, monkeypatch) -> tuple[str, ...]:
    """No --db, no $CHRONO_DB and no ./chrono.db: the commands read the bundled chronicle."""
    monkeypatch.chdir(tmp_path)
    return ()


def chrono(*args: str) -> str:
    """What a command that succeeds prints on stdout (which log it read goes to stderr)."""
    result = CliRunner().invoke(main, list(args))
    assert 0 == result.exit_code, result.output
    return result.stdout


@pytest.fixture(params=["bundled", "sudan"])
def either(request) -> tuple[str, ...]:
    """The options naming the bundled chronicle, then a log of Sudan: a test of pictures runs on both."""
    return ("--db", request.getfixturevalue("sudan_db")) if request.param == "sudan" else request.getfixturevalue("bundled")
