"""Where connect5 keeps its files: XDG folders, or one folder with ``--home``.

Without a home: config in ``$XDG_CONFIG_HOME/connect5/config.toml`` and data
(store, tokens, the .ics block) in ``$XDG_DATA_HOME/connect5/``. With ``--home
DIR`` or ``CONNECT5_HOME`` everything lives in DIR, which is what tests and the
demo use. An XDG variable set to a relative path is ignored, as the XDG Base
Directory spec asks: https://specifications.freedesktop.org/basedir-spec/latest/
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pathlib is imported where it is used: `connect5 today` asks the daemon without it
    from pathlib import Path

CONTROL_SOCKET = "control.sock"  # in the data folder: how commands reach the running daemon


@dataclass(frozen=True)
class Home:
    config_file: Path
    data_dir: Path

    @property
    def db_path(self) -> Path:
        return self.data_dir / "connect5.db"

    @property
    def tokens_dir(self) -> Path:
        return self.data_dir / "tokens"

    @property
    def ics_path(self) -> Path:
        return self.data_dir / "connect5.ics"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / "connect5.lock"

    @property
    def control_path(self) -> Path:
        return self.data_dir / CONTROL_SOCKET


def control_socket(data_dir: str) -> str:
    """``Home.control_path`` from ``locate``'s data folder."""
    return os.path.join(data_dir, CONTROL_SOCKET)


def resolve(home: str | None = None, config: str | None = None) -> Home:
    """The paths for this invocation; ``home`` wins over CONNECT5_HOME over XDG."""
    from pathlib import Path

    config_file, data_dir = locate(home, config)
    return Home(config_file=Path(config_file), data_dir=Path(data_dir))


def locate(home: str | None = None, config: str | None = None) -> tuple[str, str]:
    """``resolve``'s (config file, data folder) as strings, with no pathlib: what ``today`` needs to ask the daemon."""
    home = home or os.environ.get("CONNECT5_HOME")
    config_file = _absolute(config) if config else ""
    if home:
        base = _absolute(home)
        return config_file or os.path.join(base, "config.toml"), base
    config_file = config_file or os.path.join(_xdg_home("XDG_CONFIG_HOME"), "connect5", "config.toml")
    return config_file, os.path.join(_xdg_home("XDG_DATA_HOME"), "connect5")


def _absolute(path: str) -> str:
    """``Path(path).expanduser().absolute()``, as a string (``Path`` tidies its slashes and dots)."""
    return os.path.join(os.getcwd(), os.path.expanduser(path))


# The spec's defaults, under $HOME, of the two folders connect5 uses.
XDG_DEFAULTS = {
    "XDG_CONFIG_HOME": (".config",),
    "XDG_DATA_HOME": (".local", "share"),
}


def xdg_home(variable: str) -> Path:
    """``$variable`` (one of XDG_DEFAULTS) when it is an absolute path, else the spec's default.

    "If an implementation encounters a relative path in any of these variables it
    should consider the path invalid and ignore it" (which also rules out ``~/x``,
    which no shell expanded).
    """
    from pathlib import Path

    return Path(_xdg_home(variable))


def _xdg_home(variable: str) -> str:
    default = os.path.join(os.path.expanduser("~"), *XDG_DEFAULTS[variable])  # a KeyError for a misspelt name
    return _xdg_value(variable) or default


def xdg_value(variable: str) -> Path | None:
    """``$variable`` when it is set to an absolute path, else None."""
    from pathlib import Path

    value = _xdg_value(variable)
    return Path(value) if value else None


def _xdg_value(variable: str) -> str:
    value = os.environ.get(variable, "")
    return value if os.path.isabs(value) else ""
