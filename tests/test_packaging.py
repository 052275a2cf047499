"""The import names daemon, connectors and rules collide with other PyPI projects: ours must win."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["daemon", "connectors", "rules"])
def test_top_level_package_resolves_to_this_project(name):
    module = __import__(name)
    assert Path(module.__file__).resolve().parent == ROOT / name


def test_daemon_package_is_ours_not_python_daemon():
    import daemon

    assert hasattr(daemon, "__version__")
    assert not hasattr(daemon, "DaemonContext")


def test_shipped_example_config_is_the_top_level_file():
    from daemon.commands.setup import example_text

    assert example_text() == (ROOT / "config.example.toml").read_text()
