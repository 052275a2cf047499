"""The ``connect5`` command: a thin click group whose commands load on demand.

Each command lives in ``daemon/commands/<name>.py`` and is imported only when it
runs, so ``connect5 --help`` and ``--version`` never import the store, icalendar
or the Google and Microsoft libraries.

Exit status: 0 success, 1 a user error (one line on stderr, no traceback),
2 bad usage. A reader that stops early (``connect5 contacts list | head -1``)
ends the command quietly with 0.
"""

from __future__ import annotations

import importlib
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import click

from daemon import __version__

COMMANDS = {
    "init": ("daemon.commands.setup:init", "Write a config file from the documented example."),
    "import": ("daemon.commands.importing:import_group", "Import your network: LinkedIn export, vCards."),
    "today": ("daemon.commands.today:today", "The day's five, why each was picked, and the block written."),
    "contacts": ("daemon.commands.contacts:contacts", "List contacts or show one."),
    "snooze": ("daemon.commands.people:snooze", "Leave someone out for a while (30d, 8w, 2026-12-01; --undo)."),
    "exclude": ("daemon.commands.people:exclude", "Never pick someone (undo with --undo)."),
    "tag": ("daemon.commands.people:tag", "Tag someone (tags can have their own cadence)."),
    "done": ("daemon.commands.people:done", "Record that you reached out to someone today."),
    "skip": ("daemon.commands.people:skip", "Swap one of today's five for the next in line."),
    "review": ("daemon.commands.review:review", "Addresses and names that could belong to more than one contact."),
    "sync": ("daemon.commands.sync:sync", "Sync one source or all of them once."),
    "run": ("daemon.commands.run:run", "Run the daemon: morning job and watchers."),
    "status": ("daemon.commands.status:status", "Sources, cursors, errors, the next block and today's five."),
    "stats": ("daemon.commands.stats:stats", "The funnel and how much of the network was touched."),
    "check": ("daemon.commands.check:check", "Check config, tokens, store and unit file; say how to fix."),
    "auth": ("daemon.commands.auth:auth", "Sign in to Google or Outlook (once, interactively)."),
    "service": ("daemon.commands.service:service", "Install, remove or inspect the systemd user service."),
    "demo": ("daemon.commands.demo:demo", "The whole loop on a generated network, offline."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when invoked."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            module_name, _, attribute = self.lazy[name][0].partition(":")
            return getattr(importlib.import_module(module_name), attribute)
        return super().get_command(ctx, name)

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _quiet_when_the_reader_leaves():  # `connect5 --help | head -1`
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _quiet_when_the_reader_leaves():
            try:
                return super().invoke(ctx)
            except Exception as error:
                problem = _environment_problem(ctx, error)
                if problem is None:
                    raise  # a bug: its traceback is wanted
                raise UserError(problem) from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Lazy commands by their one-line help (importing them would defeat the point);
        # commands defined in place (the `import` group's) by their own.
        rows = {name: help_text for name, (_, help_text) in self.lazy.items()}
        for name, command in self.commands.items():
            rows.setdefault(name, command.get_short_help_str(limit=formatter.width))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(sorted(rows.items()))


def _environment_problem(ctx: click.Context, error: Exception) -> str | None:
    """``daemon.store_problems.environment_problem``, for a command that may have opened the store."""
    if "daemon.store" not in sys.modules and not isinstance(error, OSError):
        return None  # only a command that opened the store can find it busy, full or read-only
    from daemon.store_problems import environment_problem

    app = ctx.find_object(App)
    try:
        store_path = app.home.db_path if app is not None else None
    except OSError:  # the paths themselves failed (a deleted working folder): that is the error to tell
        store_path = None
    return environment_problem(error, store_path)


@contextmanager
def _quiet_when_the_reader_leaves():
    """End the command with status 0 and no message once nobody reads stdout any more.

    ``| head -1`` has what it wanted: that is no failure of connect5 (1 would say
    "a problem you can fix"). Not 141 (dying of SIGPIPE, as ``seq`` does) because
    CPython can drop the end of a large write to a closed pipe without raising,
    so the same command would end 0 or 141 by chance; and a script under
    ``set -o pipefail`` can stop reading early without failing.
    """
    try:
        yield
        sys.stdout.flush()  # fail here rather than in the interpreter's last flush
    except BrokenPipeError:
        if not _stdout_reader_gone():
            raise  # a socket, say: not ours to hide
        # Python flushes stdout once more on exit; /dev/null takes what is left.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise click.exceptions.Exit(0) from None
    except OSError as error:
        from daemon.control import output_full

        if not output_full(error):
            raise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise UserError(f"cannot write the output: {error.strerror}") from None


def _stdout_reader_gone() -> bool:
    """Whether the other end of stdout (a pipe or socket) has closed: poll says POLLERR or POLLHUP."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll() (Windows) or no real stdout (tests)
        return False


@dataclass
class App:
    """What every command gets: the paths, and the config and store on first use."""

    home_option: str | None = None
    config_option: str | None = None
    verbose: bool = False
    _config: Any = field(default=None, repr=False)

    @property
    def home(self):
        from daemon import paths

        return paths.resolve(self.home_option, self.config_option)

    @property
    def config(self):
        if self._config is None:
            from daemon import config

            if self.config_option and not self.home.config_file.exists():
                # Only the default file may be missing (defaults apply); a named one is a typo.
                raise UserError(f"config file {self.home.config_file} does not exist (`connect5 init` writes one)")
            try:
                self._config = config.load(self.home.config_file)
            except config.ConfigError as error:
                raise UserError(f"bad config: {error}") from None
        return self._config

    def store(self, *, create: bool = True):
        """The store, open until the command ends (closed then, not whenever it is collected)."""
        from daemon import store

        try:
            opened = store.open_store(self.home.db_path, create=create)
        except store.StoreError as error:
            raise UserError(str(error)) from None
        context = click.get_current_context(silent=True)
        if context is not None:
            context.call_on_close(opened.close)
        return opened


class UserError(click.ClickException):
    """One line on stderr, exit status 1, no traceback."""

    def show(self, file: Any = None) -> None:
        click.echo(f"connect5: {self.format_message()}", err=True)


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="connect5")
@click.option("--home", "home_option", metavar="DIR", help="Keep config, store and tokens in DIR (or CONNECT5_HOME).")
@click.option("--config", "config_option", metavar="FILE", help="Config file (default: XDG config or DIR/config.toml).")
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail.")
@click.pass_context
def main(ctx: click.Context, home_option: str | None, config_option: str | None, verbose: bool) -> None:
    """Five minutes, five people, every workday: keep your whole network warm."""
    ctx.obj = App(home_option=home_option, config_option=config_option, verbose=verbose)
    from daemon import logs

    logs.configure(verbose=verbose)


pass_app = click.make_pass_decorator(App)


def parse_day(given: str, option: str = "--date"):
    """``option``'s day; bad usage (exit 2) when it is not a day written YYYY-MM-DD."""
    from daemon.clock import written_day

    try:
        return written_day(given)
    except ValueError:
        raise click.BadParameter(f"{given!r} is not a day written YYYY-MM-DD", param_hint=option) from None


def json_option(function):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(function)


def echo_json(data: Any) -> None:
    from daemon.jsontext import to_json

    click.echo(to_json(data))
