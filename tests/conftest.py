"""Shared fixtures: a private connect5 home per test and a way to run the CLI in it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

DATA = Path(__file__).parent / "data"
# Ada's config with one Maildir source read from its start (format with maildir=...).
MAILDIR_CONFIG = """
[me]
name = "Ada Lovelace"
emails = ["ada@example.com"]
timezone = "UTC"

[[sources]]
name = "mail"
type = "maildir"
path = ["{maildir}"]
backfill_months = 0
"""


class Cli:
    """Runs ``connect5 --home HOME ...`` in-process and hands back the click result."""

    def __init__(self, home: Path):
        self.home = home

    def __call__(self, *args: str, ok: bool = True, env: dict | None = None):
        from daemon.cli import main

        result = CliRunner().invoke(main, ["--home", str(self.home), *args], env=env, catch_exceptions=False)
        if ok and result.exit_code != 0:
            raise AssertionError(f"connect5 {' '.join(args)} exited {result.exit_code}:\n{result.output}")
        return result

    def json(self, *args: str, env: dict | None = None):
        return json.loads(self(*args, "--json", env=env).stdout)

    def process(self, *args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
        """The real executable in a subprocess: for exit codes and stderr exactly as users see them."""
        full_env = {**os.environ, **(env or {})}
        command = [sys.executable, "-m", "daemon", "--home", str(self.home), *args]
        return subprocess.run(command, capture_output=True, text=True, env=full_env, timeout=60, **kwargs)

    def write_config(self, text: str) -> Path:
        path = self.home / "config.toml"
        path.write_text(text)
        return path

    def import_network(self, connections_csv: str) -> None:
        """A London owner's config and the network of ``connections_csv`` (Connections.csv text) imported."""
        self.write_config('[me]\ntimezone = "Europe/London"\nname = "Owner"\n')
        export = self.home.parent / "Connections.csv"
        export.write_text(connections_csv, encoding="utf-8")
        self("import", "linkedin", str(export))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def cli(home: Path) -> Cli:
    return Cli(home)


@pytest.fixture
def linkedin_2024() -> Path:
    return DATA / "linkedin" / "export-2024.csv"


def _hypothesis_profiles() -> None:
    """The default run is reproducible (a fixed seed per test, so CI never flakes on a
    new random example); CONNECT5_SLOW=1 explores with fresh examples, and more."""
    from hypothesis import settings

    settings.register_profile("default", derandomize=True, deadline=None)
    settings.register_profile("slow", derandomize=False, deadline=None, max_examples=1000)
    settings.load_profile("slow" if os.environ.get("CONNECT5_SLOW") else "default")


_hypothesis_profiles()
