"""The systemd user unit: rendering it for this installation, installing it, asking systemd about it.

The shipped ``systemd/connect5.service`` is the template: ``render()`` swaps its
``ExecStart=`` for this installation's ``connect5 run`` (the venv's or pipx's
script, with ``--home``/``--config`` when those were given), so the unit always
starts the program that installed it. Everything here talks to systemd through
``systemctl --user`` in a subprocess; when no user manager answers (a container,
an SSH session without lingering), callers print the commands instead.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from daemon import where
from daemon.paths import xdg_home, xdg_value

log = logging.getLogger(__name__)

UNIT_NAME = "connect5.service"
SYSTEMCTL_TIMEOUT = 15.0


class ServiceError(Exception):
    """systemctl refused or failed; the message carries its own words."""


def template() -> str:
    """The shipped unit file (package data linked to ``systemd/connect5.service``)."""
    return resources.files("daemon").joinpath("data/connect5.service").read_text(encoding="utf-8")


def unit_path() -> Path:
    """Where systemd looks for the user's own units: ``$XDG_CONFIG_HOME/systemd/user/``."""
    return xdg_home("XDG_CONFIG_HOME") / "systemd" / "user" / UNIT_NAME


def executable() -> list[str]:
    """The command that runs this installation of connect5, as absolute paths.

    The console script next to the running interpreter is the venv's or pipx's
    own; ``sys.executable`` is deliberately not resolved, since resolving a venv's
    python leads to the system one, which does not have connect5 installed.
    """
    beside = Path(sys.executable).parent / "connect5"
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside.absolute())]
    found = shutil.which("connect5")
    if found:
        return [str(Path(found).absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "daemon"]


def quote(word: str) -> str:
    """One word of an ``ExecStart=`` line: systemd's quoting, and ``%``/``$`` escaped (systemd.service(5))."""
    return _quoted(word.replace("%", "%%").replace("$", "$$"))


def _quoted(escaped: str) -> str:
    if escaped and not any(c in escaped for c in " \t\"'\\;"):
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'


def exec_start(home_option: str | None = None, config_option: str | None = None) -> list[str]:
    """``connect5 [--home DIR] [--config FILE] run`` for this installation, paths made absolute."""
    words = executable()
    home_option = home_option or os.environ.get("CONNECT5_HOME")
    if home_option:
        words += ["--home", where.absolute(home_option)]
    if config_option:
        words += ["--config", where.absolute(config_option)]
    return [*words, "run"]


# The variables daemon.paths reads to find the config and the store without --home.
XDG_VARIABLES = ("XDG_CONFIG_HOME", "XDG_DATA_HOME")


def unit_environment(home_option: str | None = None) -> dict[str, str]:
    """The XDG folders this shell uses, which the unit must pass on to find the same config and store.

    A systemd user manager does not read a login shell's profile, so a unit
    without them would read ~/.config and ~/.local/share instead: another
    (empty) config, and a daemon that watches nothing. With a home folder the
    XDG folders do not matter.
    """
    if home_option or os.environ.get("CONNECT5_HOME"):
        return {}
    # A relative one is ignored (as daemon.paths does): the unit must not make it absolute.
    return {name: str(value) for name in XDG_VARIABLES if (value := xdg_value(name))}


def quote_assignment(name: str, value: str) -> str:
    """One ``Environment=`` assignment: ``%`` escaped, quoted when needed ("$" is not special there)."""
    return _quoted(f"{name}={value}".replace("%", "%%"))


def render(command: list[str], environment: dict[str, str] | None = None) -> str:
    """The template with its ``ExecStart=`` replaced by ``command``, after ``Environment=`` lines if any."""
    lines = template().splitlines()
    starts = [index for index, line in enumerate(lines) if line.startswith("ExecStart=")]
    assert len(starts) == 1, "the shipped unit has exactly one ExecStart="
    assignments = [f"Environment={quote_assignment(name, value)}" for name, value in (environment or {}).items()]
    lines[starts[0] : starts[0] + 1] = [*assignments, "ExecStart=" + " ".join(quote(word) for word in command)]
    return "\n".join(lines) + "\n"


def unit_environment_of(text: str) -> dict[str, str]:
    """The variables an installed unit's ``Environment=`` lines set (escapes undone)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("Environment="):
            try:
                words = shlex.split(line.removeprefix("Environment="))
            except ValueError:
                continue
            for word in words:
                name, equals, value = word.replace("%%", "%").partition("=")
                if equals:
                    found[name] = value
    return found


def unit_command(text: str) -> list[str]:
    """The words of an installed unit's ``ExecStart=`` (escapes undone), or [] when it has none."""
    for line in text.splitlines():
        if line.startswith("ExecStart="):
            value = line.removeprefix("ExecStart=").lstrip("-@:+!")
            try:
                words = shlex.split(value)
            except ValueError:
                return [value]
            return [word.replace("%%", "%").replace("$$", "$") for word in words]
    return []


def difference(text: str, home_option: str | None = None, config_option: str | None = None) -> str:
    """Why an installed unit (its ``text``) would not run this installation as this shell does; "" if it would.

    Both the command and the folders count: a unit that starts this connect5
    but sets other XDG folders reads another config and store.
    """
    command = unit_command(text)
    expected = exec_start(home_option, config_option)
    if command != expected:
        if command and not Path(command[0]).exists():
            return f"runs `{' '.join(command)}`, which does not exist"
        return f"runs `{' '.join(command)}`, not `{' '.join(expected)}`"
    environment = unit_environment_of(text)
    wanted = unit_environment(home_option)
    wrong = [name for name in XDG_VARIABLES if environment.get(name) != wanted.get(name)]
    if wrong:
        said = ", ".join(f"{name}={environment.get(name) or '(unset)'}" for name in wrong)
        return f"sets {said}, so the service would read another config or store than this shell"
    return ""


# -- systemctl ----------------------------------------------------------------


def systemctl_path() -> str | None:
    return shutil.which("systemctl")


def systemctl(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``systemctl --user ARGS``; ``ServiceError`` with systemctl's words when it fails."""
    program = systemctl_path()
    if program is None:
        raise ServiceError("systemctl not found")
    try:
        result = subprocess.run(
            [program, "--user", *args], capture_output=True, text=True, timeout=SYSTEMCTL_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        raise ServiceError(f"systemctl --user {' '.join(args)} did not answer in {SYSTEMCTL_TIMEOUT:.0f} s") from None
    if check and result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()
        raise ServiceError(f"systemctl --user {' '.join(args)}: {message[-1] if message else result.returncode}")
    return result


def user_manager_running() -> bool:
    """True when a systemd user manager answers ``systemctl --user``."""
    if systemctl_path() is None:
        return False
    try:
        result = systemctl("show", "--property=Version", check=False)
    except ServiceError:
        return False
    return result.returncode == 0 and result.stdout.startswith("Version=")


@dataclass(frozen=True)
class SystemdView:
    """What ``systemctl --user show connect5`` says, in the words of its properties."""

    available: bool
    load_state: str = ""
    active_state: str = ""
    sub_state: str = ""
    unit_file_state: str = ""
    main_pid: int = 0
    status_text: str = ""
    restarts: int = 0
    since: str = ""
    result: str = ""

    def as_dict(self) -> dict:
        return dict(self.__dict__)


PROPERTIES = {
    "LoadState": "load_state", "ActiveState": "active_state", "SubState": "sub_state",
    "UnitFileState": "unit_file_state", "MainPID": "main_pid", "StatusText": "status_text",
    "NRestarts": "restarts", "ActiveEnterTimestamp": "since", "Result": "result",
}


def systemd_view() -> SystemdView:
    """systemd's view of the unit, or ``available=False`` when no user manager answers."""
    if not user_manager_running():
        return SystemdView(available=False)
    try:
        result = systemctl("show", UNIT_NAME, "--property=" + ",".join(PROPERTIES))
    except ServiceError as error:
        log.debug("systemctl show failed: %s", error)
        return SystemdView(available=False)
    values: dict = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition("=")
        if key in PROPERTIES:
            name = PROPERTIES[key]
            values[name] = int(value) if name in ("main_pid", "restarts") and value.isdigit() else value
    return SystemdView(available=True, **values)
