"""The `chrono` command group: chooses the log, wires the clock, and turns errors into one-line messages.

Commands are imported only when they run, so `chrono --version` and `--help` start fast.
"""

from __future__ import annotations

import importlib
import os
import shlex
import sqlite3
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs
import click
import click.shell_completion

from chrono import __version__
from chrono.clock import Clock, system_clock
from chrono.errors import ChronoError, StorageError

if TYPE_CHECKING:
    from chrono.logstore import LogStore
    from chrono.store import Head, Log

DEFAULT_DB = "chrono.db"


@attrs.frozen
class WhichLog:
    """The log a read command read, and its head: one line for people, the `log` member of its JSON."""

    path: str | None  # as named (or the default ./chrono.db); None for the bundled chronicle
    bundled: str | None  # the bundled chronicle's name, or None for a log file
    seq: int
    hash: str

    @property
    def title(self) -> str:
        """The log and its head, in a few words: for titles of maps and pages."""
        what = f"the bundled chronicle {self.bundled}" if self.bundled else one_line(self.path)
        return f"{what}, head {self.seq} {self.hash[:16]}"

    def line(self) -> str:
        if self.bundled:
            return f"from {self.title} (read-only; no --db, $CHRONO_DB or ./{DEFAULT_DB})"
        return f"from log {self.title}"

    def json(self) -> dict:
        return {"path": self.path, "bundled": self.bundled, "head": {"seq": self.seq, "hash": self.hash}}


@attrs.define
class Env:
    """What every command needs: where the log is and which clock to trust. Tests inject their own."""

    db: str | None = None
    clock: Clock = system_clock
    local_copy: str | None = None  # --local-copy
    author: str | None = None  # --author: who the writes record (default: $CHRONO_AUTHOR, else the log's default)
    _bundled: Log | None = None

    @property
    def path(self) -> str:
        return self.db or os.environ.get("CHRONO_DB") or DEFAULT_DB

    @property
    def shared(self) -> bool:
        """Whether the log is on a server (PostgreSQL), read through a local copy."""
        from chrono.logs import on_server

        return on_server(self.path)

    def copy_path(self) -> str:
        """Where the local copy of a shared log lives: --local-copy, else $CHRONO_LOCAL_COPY, else the
        user's cache directory."""
        chosen = self.local_copy or os.environ.get("CHRONO_LOCAL_COPY")
        if chosen:
            return chosen
        from chrono import replica

        from .bundled import cache_dir

        where = cache_dir()
        if where is None:
            raise ChronoError("no cache directory for the local copy of the shared log (no home); name a file with --local-copy")
        return replica.default_path(self.path, where)

    @property
    def named_by(self) -> str | None:
        """What named the log: "--db", "$CHRONO_DB", or None when it is the default ./chrono.db."""
        if self.db:
            return "--db"
        if os.environ.get("CHRONO_DB"):
            return "$CHRONO_DB"
        return None

    @property
    def recorder(self) -> str | None:
        """Who the writes record as their author: --author, else $CHRONO_AUTHOR, else None (the log's
        own default: the user Chrono runs as)."""
        return self.author or os.environ.get("CHRONO_AUTHOR") or None

    def exists(self) -> bool:
        return self.shared or os.path.exists(self.path)

    def reader(self) -> Log:
        """The log to read: the one named by --db or $CHRONO_DB, which must exist; else ./chrono.db if
        there is one; else the bundled chronicle. A named log that is missing is never replaced by the
        bundled chronicle: a mistyped name would silently answer from data that is not the user's.
        A log that cannot be written (in a read-only folder, or a read-only file) is read without
        writing anything in or beside it. A log on a server is read through its local copy, first
        brought up to the server's head (chrono.replica)."""
        if self.shared:
            return self._copy()
        if self.exists():
            from chrono.store import Log, cannot_write

            return Log.open(self.path, clock=self.clock, untouched=cannot_write(self.path))
        if self.named_by:
            raise self._missing(reading=True)
        if self._bundled is None:
            from chrono.chronicles import DEFAULT

            from .bundled import open_bundled

            self._bundled = open_bundled(DEFAULT, clock=self.clock)
        return self._bundled

    def writer(self) -> Log:
        """The log to write. A log on a server is written there, and what the write asks of its state
        (which entities it describes) is read from its local copy, brought up to date first."""
        from chrono.store import Log, cannot_write

        if self.shared:
            from chrono.logs import open_log

            log = open_log(self.path, clock=self.clock)
            try:
                log.author = self.recorder  # (checked here: a name refused closes the connection below)
                log.local = self._copy(log)
            except BaseException:
                log.close()
                raise
            return log
        if not self.exists():
            raise self._missing(reading=False)
        if cannot_write(self.path):
            # (Root could write it anyway: a read-only log is left as its owner made it.)
            raise StorageError(f"{self.path} is read-only (the file or its folder cannot be written); nothing was written")
        log = Log.open(self.path, clock=self.clock, author=self.recorder)
        if log.copy_of is not None:
            log.close()
            raise ChronoError(f"{self.path} is a local copy of {log.copy_of}, which only copying writes; nothing was written "
                              f"(write to the log itself: --db {shlex.quote(log.copy_of)})")
        return log

    def _missing(self, *, reading: bool) -> ChronoError:
        from chrono.chronicles import DEFAULT

        if self.named_by == "--db":
            why, init = "named by --db", f"chrono --db {shlex.quote(self.path)} init"
            # What the same command reads without --db: the bundled chronicle only if nothing else is there.
            instead = "leave out --db" if not os.environ.get("CHRONO_DB") and not os.path.exists(DEFAULT_DB) else None
        elif self.named_by:
            why, init = "named by $CHRONO_DB", "chrono init"
            instead = "unset CHRONO_DB" if not os.path.exists(DEFAULT_DB) else None
        else:
            why, init, instead = "the default, as neither --db nor $CHRONO_DB names a log", "chrono init", None
        message = f"no log at {self.path} ({why}); create one with `{init}`"
        if reading and instead:
            return ChronoError(f"{message}, or {instead} to read the bundled chronicle")
        return ChronoError(f"{message} (add --chronicle {DEFAULT} to start from the bundled chronicle)")

    def which(self, log: Log, head: Head | None = None) -> WhichLog:
        """Which log `log` is, with its head (one indexed query, unless the caller has read it). A shared
        log is named by its address (without a password), whether `log` is it or its local copy."""
        from chrono.logs import public_address

        h = log.head() if head is None else head
        if log is self._bundled:
            from chrono.chronicles import DEFAULT

            return WhichLog(path=None, bundled=DEFAULT, seq=h.seq, hash=h.hash)
        return WhichLog(path=public_address(self.path), bundled=None, seq=h.seq, hash=h.hash)

    def follower(self, interval: float) -> tuple[Log, Callable[[Log], Log]]:
        """The log to follow, and what waits until it may hold more (given the log, it returns the log
        to read next): a file's head is looked at again every `interval` seconds; a shared log's server
        wakes the wait as soon as an append commits (LISTEN/NOTIFY), and the local copy then takes what
        is new (`interval` is then only how long a wait may last)."""
        if not self.shared:
            def look_again(log: Log) -> Log:
                time.sleep(interval)
                return log

            return self.reader(), look_again
        from chrono.logs import open_log

        remote = open_log(self.path, clock=self.clock, readonly=True)
        listener = remote.listen()  # (before the copy is brought up to date: nothing committed after it is missed)

        def woken(log: Log) -> Log:
            if listener.wait(interval) is None:
                return log
            log.close()
            return self._copy(remote)

        return self._copy(remote), woken

    def _copy(self, remote: LogStore | None = None) -> Log:  # noqa: F821 (imported for type checking only)
        """The local copy of the shared log (`remote`, or one opened for reading here), brought up to
        the server's head, with a bar on a terminal while it copies many entries."""
        from chrono import replica
        from chrono.logs import open_log

        from .render import stage

        own = remote is None
        if own:
            remote = open_log(self.path, clock=self.clock, readonly=True)
        try:
            path = self.copy_path()
            behind = lambda: remote.head().seq - _copied(path)  # noqa: E731
            with stage("copying the shared log", behind) as report:
                return replica.synced(remote, path, clock=self.clock, report=report)
        finally:
            if own:
                remote.close()


def _copied(path: str) -> int:
    """How many entries the local copy at `path` holds (0 when there is none yet)."""
    if not os.path.exists(path):
        return 0
    from chrono.store import Log

    with Log.open(path, readonly=True) as copy:
        return len(copy)


_LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"  # what str.splitlines splits on


def one_line(message: str) -> str:
    """Errors are one line: a line break inside bad input (a field named "\\n") is shown escaped."""
    return "".join(c.encode("unicode_escape").decode() if c in _LINE_BREAKS else c for c in message)


# Every command, by name, and where it lives; a test holds this equal to what the modules register.
COMMANDS = {
    "init": "cli.write:init", "append": "cli.write:append", "correct": "cli.write:correct",
    "retract": "cli.write:retract", "import": "cli.write:import_",
    "state": "cli.read:state", "log": "cli.read:log_", "entities": "cli.read:entities", "types": "cli.read:types",
    "replay": "cli.read:replay", "verify": "cli.read:verify_", "head": "cli.read:head", "export": "cli.read:export",
    "history": "cli.investigate:history", "show": "cli.investigate:show", "diff": "cli.investigate:diff",
    "timeline": "cli.investigate:timeline", "sources": "cli.investigate:sources", "check": "cli.investigate:check",
    "search": "cli.investigate:search",
    "map": "cli.pictures:map_", "follow": "cli.follow:follow", "settings": "cli.settings:settings_",
}


class Interrupted(click.ClickException):
    """Ctrl-C: exit code 130 (128 + SIGINT), as shells report a command the signal ended."""

    exit_code = 130

    def __init__(self) -> None:
        super().__init__("interrupted")

    def show(self, file=None) -> None:
        if sys.stderr.isatty():
            click.echo(err=True)  # after the terminal's ^C
        super().show(file)


class JsonError(click.ClickException):
    """An error for a script that asked for JSON: `{"error": message, "code": exit code}` on stderr,
    with the same exit code."""

    def __init__(self, shown: click.ClickException) -> None:
        super().__init__(shown.format_message())
        self.exit_code = shown.exit_code

    def show(self, file=None) -> None:
        import orjson

        click.echo(orjson.dumps({"error": self.message, "code": self.exit_code}).decode(), err=True)


def json_flags(command: click.Command) -> set[str]:
    """The flags that make `command` print JSON: `--json` (append's reads a file; it prints JSON with
    --ids-json)."""
    return {o for p in command.params if isinstance(p, click.Option) and p.is_flag for o in p.opts if o.endswith("json")}


def _shown(e: BaseException) -> click.ClickException:
    """What a person sees of an error: one line, and its exit code."""
    if isinstance(e, click.ClickException):
        return e
    if isinstance(e, KeyboardInterrupt):
        return Interrupted()
    if isinstance(e, ChronoError):
        return click.ClickException(one_line(str(e)))
    if isinstance(e, sqlite3.Error):
        return click.ClickException(one_line(f"database error: {e}"))
    return click.ClickException(f"{e.strerror or e}: {e.filename}" if e.filename else str(e))  # an OSError


_JSON_ERRORS = "chrono.json_errors"  # in the context's meta: whether the command asked for JSON


class ChronoGroup(click.Group):
    """Loads each command on first use, and maps Chrono's errors to exit code 1 with a one-line
    message, Ctrl-C to 130 with one; click's usage errors stay exit 2. A command given its JSON flag
    gets every error as JSON."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        as_json = self._asks_for_json(args)
        try:
            ctx = super().make_context(info_name, args, parent=parent, **extra)
        except click.ClickException as e:
            if as_json:
                raise JsonError(e) from e
            raise
        ctx.meta[_JSON_ERRORS] = as_json
        return ctx

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, ChronoError, sqlite3.Error, OSError, KeyboardInterrupt) as e:
            if isinstance(e, BrokenPipeError):
                sys.exit(0)
            shown = _shown(e)
            if ctx.meta.get(_JSON_ERRORS):
                shown = JsonError(shown)
            if shown is e:
                raise
            raise shown from e

    def _asks_for_json(self, args: list[str]) -> bool:
        """Whether the command line names a command and gives it its JSON flag (read before parsing, so
        that an error in parsing is JSON too)."""
        valued = {o for p in self.params if isinstance(p, click.Option) and not p.is_flag for o in p.opts}
        args = list(args)
        i = 0
        while i < len(args) and args[i].startswith("-") and args[i] != "--":
            i += 2 if args[i] in valued else 1
        if i >= len(args) or args[i] not in COMMANDS:
            return False
        rest = args[i + 1 :]
        rest = rest[: rest.index("--")] if "--" in rest else rest
        return bool(json_flags(self.get_command(None, args[i])) & set(rest))


@click.group(cls=ChronoGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--db", metavar="PATH", help="The log: a file, or a PostgreSQL address postgresql://USER@HOST/DATABASE for a "
              "log shared on a server (default: $CHRONO_DB, else ./chrono.db). A log named here or by $CHRONO_DB must exist "
              "(`init` creates one); with none named and no ./chrono.db, read commands read the bundled chronicle.")
@click.option("--local-copy", metavar="PATH", help="Where the local copy of a shared log lives, which every read reads after "
              "bringing it up to the server's head (default: $CHRONO_LOCAL_COPY, else the user's cache directory).")
@click.option("--author", metavar="NAME", help="Who the entries this command writes are recorded by (default: $CHRONO_AUTHOR, "
              "else the user Chrono runs as; on a shared log, the database role). Every entry keeps its author inside the "
              "hash chain; `log`, `show`, `history` and `export` show it, and their own --author picks out what NAME recorded.")
@click.version_option(__version__, "--version", prog_name="chrono")
@click.pass_context
def main(ctx: click.Context, db: str | None, local_copy: str | None, author: str | None) -> None:
    """Chrono: an append-only, bitemporal log of what happened, replayed into the state of the world.

    Every event has two times: when it happened (valid time, often an interval) and when the log
    learned it (recorded time). Ask what the world looked like at T, as known at K.

    When no log is named (neither --db nor $CHRONO_DB) and there is no ./chrono.db, read commands use
    the bundled chronicle of the fall of the Assad government (27 November - 8 December 2024),
    read-only:

    \b
        chrono state --at 2024-12-07T21:30
        chrono init --chronicle syria-2024      # make it your own log, to correct and extend

    A log named by --db or $CHRONO_DB must exist: a missing one is an error, never the bundled
    chronicle. Every read command says which log it read, and its head.

    Every entry records who appended it (--author, $CHRONO_AUTHOR, else the user Chrono runs as).

    A log shared on a PostgreSQL server (--db postgresql://...) is written there by every writer, and
    read from a local copy that each read first brings up to the server's head, taking only what is
    new (docs/postgres.md); its entries are recorded by default by the database role.
    """
    env = ctx.ensure_object(Env)
    if os.environ.get("NO_COLOR"):
        ctx.color = False  # https://no-color.org: any non-empty value turns colour off
    if db == "":  # `--db "$LOG"` with LOG unset: never fall back to another log
        raise click.BadParameter("needs a path", param_hint="--db")
    if db:
        env.db = db
    if local_copy:
        env.local_copy = local_copy
    if author is not None:
        from chrono.logstore import check_author

        try:
            env.author = check_author(author)
        except ChronoError as e:
            raise click.BadParameter(str(e), param_hint="--author") from e


def complete_event_ids(ctx: click.Context, _param, incomplete: str) -> list:
    """Shell completion for event ids: the ids in the chosen log that start with what was typed."""
    try:
        log = _completion_log(ctx)
        rows = log.conn.execute("SELECT id FROM events WHERE id LIKE ? ESCAPE '\\' ORDER BY seq LIMIT 200", (_like(incomplete),))
        return [click.shell_completion.CompletionItem(r[0]) for r in rows]
    except Exception:  # completion must never break the shell
        return []


def complete_entities(ctx: click.Context, _param, incomplete: str) -> list:
    """Shell completion for entity ids, with the entity's name as help."""
    try:
        from projections.query import knowledge

        g = knowledge(_completion_log(ctx)).gazetteer
        return [click.shell_completion.CompletionItem(e.id, help=e.name) for e in g if e.id.startswith(incomplete)][:200]
    except Exception:  # completion must never break the shell
        return []


def _completion_log(ctx: click.Context) -> Log:  # noqa: F821 (imported for type checking only)
    # During completion the group callback has not run, so read --db from the parsed root params.
    # A named log that is missing raises, as for the command itself: completion then offers nothing.
    env = ctx.find_root().ensure_object(Env)
    db = ctx.find_root().params.get("db")
    if db == "":
        raise ChronoError("--db needs a path")
    env.db = db or env.db
    return env.reader()


def _like(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
