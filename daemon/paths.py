"""Where connect5 keeps its files: XDG folders, or one folder with ``--home``.

Without a home: config in ``$XDG_CONFIG_HOME/connect5/config.toml`` and data
(store, tokens, the .ics block) in ``$XDG_DATA_HOME/connect5/``. With ``--home
DIR`` or ``CONNECT5_HOME`` everything lives in DIR, which is what tests and the
demo use.
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
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    config_file = Path(config).expanduser().absolute() if config else config_home / "connect5" / "config.toml"
    return Home(config_file=config_file, data_dir=data_home / "connect5")

