"""A throwaway PostgreSQL cluster for the tests and benchmarks: made with the server's own binaries in a
temporary directory, listening only on a unix socket there, and removed at the end.

    with cluster() as server:          # PgUnavailable (with the reason) when it cannot be made
        url = server.new_database()    # a fresh, empty database: postgresql://postgres@/db_1?host=...
        with server.database() as url: # one dropped after the block

PostgreSQL's initdb and server refuse to run as root, so as root they run as the `postgres` OS user
(Debian's package makes it); as anyone else, as that user. Nothing here needs pytest.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import urllib.parse
from collections.abc import Iterator

NO_BINARIES = "no PostgreSQL server binaries (initdb/pg_ctl) found; install Debian's postgresql package"
PORT = 5432  # (only names the socket file: the server listens on no TCP port)


class PgUnavailable(Exception):
    """No cluster can be made here; the message says why."""


def binaries() -> str | None:
    """The directory of initdb and pg_ctl: on PATH, else the newest of Debian's /usr/lib/postgresql/*/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return os.path.dirname(os.path.realpath(found))
    for where in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: _version(p), reverse=True):
        if os.path.exists(os.path.join(where, "initdb")) and os.path.exists(os.path.join(where, "pg_ctl")):
            return where
    return None


def _version(path: str) -> tuple:
    part = path.split("/")[-2]
    return tuple(int(x) for x in part.split(".") if x.isdigit())


class Server:
    """A running cluster: its superuser's addresses and fresh databases."""

    def __init__(self, bindir: str, base: str, run_as: pwd.struct_passwd | None):
        self.bindir, self.base, self.run_as = bindir, base, run_as
        self.data = os.path.join(base, "data")
        self.socket_dir = base
        self.logfile = os.path.join(base, "server.log")
        self._names = itertools.count(1)

    def url(self, dbname: str = "postgres", *, user: str = "postgres", password: str | None = None) -> str:
        auth = urllib.parse.quote(user, safe="") + (f":{urllib.parse.quote(password, safe='')}" if password else "")
        query = urllib.parse.urlencode({"host": self.socket_dir, "port": PORT})
        return f"postgresql://{auth}@/{dbname}?{query}"

    def new_database(self) -> str:
        """The address of a new, empty database (a copy of template1, which is cheap)."""
        import psycopg

        name = f"db_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop(self, url: str) -> None:
        """Remove a database new_database made (whoever is still connected to it)."""
        import psycopg

        name = urllib.parse.urlsplit(url).path.lstrip("/")
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        """A new database's address for the block, dropped after it."""
        url = self.new_database()
        try:
            yield url
        finally:
            self.drop(url)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """A server binary (pg_ctl, ...) run as the cluster's OS user."""
        return _run([os.path.join(self.bindir, args[0]), *args[1:]], self.run_as, check=check)

    def start(self) -> None:
        options = (f"-k {self.socket_dir} -p {PORT} -c listen_addresses='' -c fsync=off -c shared_buffers=32MB "
                   "-c max_connections=120")
        self.run("pg_ctl", "-D", self.data, "-l", self.logfile, "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop", check=False)

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()


@contextlib.contextmanager
def cluster() -> Iterator[Server]:
    """A new cluster, started; stopped and removed when the block ends."""
    bindir = binaries()
    if bindir is None:
        raise PgUnavailable(NO_BINARIES)
    run_as = None
    if os.geteuid() == 0:
        try:
            run_as = pwd.getpwnam("postgres")
        except KeyError:
            raise PgUnavailable("running as root, and there is no `postgres` OS user to run the PostgreSQL server as") from None
    base = tempfile.mkdtemp(prefix="chrono-pg-")  # (short: a socket's path has a length limit)
    server = Server(bindir, base, run_as)
    try:
        if run_as is not None:
            os.chown(base, run_as.pw_uid, run_as.pw_gid)
        try:
            _run([os.path.join(bindir, "initdb"), "-D", server.data, "--auth=trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C", "--no-sync"], run_as)
            server.start()
        except subprocess.CalledProcessError as e:
            raise PgUnavailable(f"could not start a PostgreSQL cluster: {_last_line(e)}") from e
        try:
            yield server
        finally:
            server.stop("immediate")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _run(argv: list[str], run_as: pwd.struct_passwd | None, *, check: bool = True) -> subprocess.CompletedProcess:
    kwargs = {}
    if run_as is not None:
        kwargs = {"user": run_as.pw_uid, "group": run_as.pw_gid, "extra_groups": [],
                  "env": {**os.environ, "HOME": run_as.pw_dir, "USER": run_as.pw_name, "LOGNAME": run_as.pw_name}}
    return subprocess.run(argv, check=check, capture_output=True, text=True, cwd="/", **kwargs)


def _last_line(e: subprocess.CalledProcessError) -> str:
    text = (e.stderr or e.stdout or "").strip()
    return text.splitlines()[-1] if text else f"{e.cmd[0]} exited with {e.returncode}"
