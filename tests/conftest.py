"""Hypothesis profiles: `fast` for local runs (default), `ci` for CI, `thorough` to hunt harder; a
cache directory of the run's own; and no log named by the environment.

Choose one with HYPOTHESIS_PROFILE=fast|ci|thorough.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

_common = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
settings.register_profile("fast", max_examples=30, **_common)
settings.register_profile("ci", max_examples=80, **_common)
settings.register_profile("thorough", max_examples=1000, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))


@pytest.fixture(autouse=True, scope="session")
def _own_cache_home(tmp_path_factory):
    """Saved images of the bundled chronicle go to a directory of the test run's own, never the user's;
    a CHRONO_DB set where the tests run names no log of theirs, nor a CHRONO_AUTHOR its author; and tables as wide as their rows,
    whatever COLUMNS the runner sets (pytest-xdist's workers have 80), unless a test says otherwise."""
    patch = pytest.MonkeyPatch()
    patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache-home")))
    patch.delenv("CHRONO_DB", raising=False)
    patch.delenv("CHRONO_AUTHOR", raising=False)
    patch.delenv("COLUMNS", raising=False)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL cluster for this test process (each xdist worker has its own), or a
    skip saying why there can be none (tests/pgserver.py)."""
    from tests.pgserver import PgUnavailable, cluster

    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'chrono[postgres]')")
    try:
        with cluster() as server:
            yield server
    except PgUnavailable as e:
        pytest.skip(str(e))


@pytest.fixture
def pg_url(pg_server):
    """The address of a fresh, empty database on the test cluster (dropped after the test)."""
    with pg_server.database() as url:
        yield url
