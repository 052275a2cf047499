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
from pathlib import Path

from connectors.files import private_dir, write_private  # noqa: F401  (re-exported: one rule for every file written)


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


def resolve(home: str | None = None, config: str | None = None) -> Home:
    """The paths for this invocation; ``home`` wins over CONNECT5_HOME over XDG."""
    home = home or os.environ.get("CONNECT5_HOME")
    if home:
        base = Path(home).expanduser().absolute()
        config_file = Path(config).expanduser().absolute() if config else base / "config.toml"
        return Home(config_file=config_file, data_dir=base)
    config_home = xdg_home("XDG_CONFIG_HOME")
    data_home = xdg_home("XDG_DATA_HOME")
    config_file = Path(config).expanduser().absolute() if config else config_home / "connect5" / "config.toml"
    return Home(config_file=config_file, data_dir=data_home / "connect5")


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
    default = Path.home().joinpath(*XDG_DEFAULTS[variable])  # a KeyError for a misspelt name, set or not
    return xdg_value(variable) or default


def xdg_value(variable: str) -> Path | None:
    """``$variable`` when it is set to an absolute path, else None."""
    value = os.environ.get(variable, "")
    return Path(value) if os.path.isabs(value) else None
