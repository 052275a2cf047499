"""Where connect5 keeps its files: XDG folders, or one folder with ``--home``.

Without a home: config in ``$XDG_CONFIG_HOME/connect5/config.toml`` and data
(store, tokens, the .ics block) in ``$XDG_DATA_HOME/connect5/``. With ``--home
DIR`` or ``CONNECT5_HOME`` everything lives in DIR, which is what tests and the
demo use. An XDG variable set to a relative path is ignored, as the XDG Base
Directory spec asks: https://specifications.freedesktop.org/basedir-spec/latest/
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from daemon import where

if TYPE_CHECKING:  # pathlib is imported where it is used
    from pathlib import Path


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
        return self.data_dir / where.CONTROL_SOCKET


def resolve(home: str | None = None, config: str | None = None) -> Home:
    """The paths for this invocation; ``home`` wins over CONNECT5_HOME over XDG."""
    from pathlib import Path

    config_file, data_dir = where.locate(home, config)
    return Home(config_file=Path(config_file), data_dir=Path(data_dir))


def xdg_home(variable: str) -> Path:
    """``$variable`` (one of ``where.XDG_DEFAULTS``) when it is an absolute path, else the spec's default.

    "If an implementation encounters a relative path in any of these variables it
    should consider the path invalid and ignore it" (which also rules out ``~/x``,
    which no shell expanded).
    """
    from pathlib import Path

    return Path(where.xdg_home(variable))


def xdg_value(variable: str) -> Path | None:
    """``$variable`` when it is set to an absolute path, else None."""
    from pathlib import Path

    value = where.xdg_value(variable)
    return Path(value) if value else None
