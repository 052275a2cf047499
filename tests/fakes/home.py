"""A connect5 home driven through the real CLI in this process, at a pinned time."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner


class CliHome:
    """``connect5 --home HOME ...`` in-process; ``at`` pins the clock the commands see."""

    day = ""  # the day whose picks ``states`` reads

    def __init__(self, home: Path, monkeypatch):
        self.home, self.monkeypatch = home, monkeypatch
        self.home.mkdir()

    def at(self, moment: str) -> None:
        self.monkeypatch.setenv("CONNECT5_NOW", moment)

    def connect5(self, *arguments: str):
        from daemon.cli import main

        result = CliRunner().invoke(main, ["--home", str(self.home), *arguments])
        assert result.exit_code == 0, result.output
        return result

    def states(self) -> dict[str, str]:
        """Each pick of ``day`` by name: its funnel state."""
        data = json.loads(self.connect5("today", "--date", self.day, "--no-block", "--json").output)
        return {pick["name"]: pick["state"] for pick in data["picks"]}
