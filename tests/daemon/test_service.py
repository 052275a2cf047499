"""The systemd user unit and ``connect5 service install|uninstall|status``.

The unit is checked by systemd itself (``systemd-analyze verify --user``, which
exits 0 even for unknown directives, so any line it prints fails the test).
systemctl is played by a small script on PATH that records its arguments: the
commands run as real subprocesses against a real (temporary) XDG config folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from daemon import service

ROOT = Path(__file__).resolve().parents[2]
FAKE_SYSTEMCTL = """#!/bin/sh
echo "$*" >> "{log}"
case "$*" in
  *"show --property=Version"*) {version} ;;
  *"show connect5.service"*) printf 'LoadState=loaded\\nActiveState=active\\nSubState=running\\nUnitFileState=enabled\\nMainPID=4242\\nStatusText=mail synced 09:14; next block Mon 2026-03-02 09:00\\nNRestarts=1\\n' ;;
esac
exit 0
"""
NO_MANAGER = 'echo "Failed to connect to bus: No medium found" >&2; exit 1'


def verify(unit_text: str, folder: Path) -> subprocess.CompletedProcess:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing: apt-get install systemd (CI must install it too)")
    runtime = folder / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    unit = folder / "connect5.service"
    unit.write_text(unit_text)
    env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), SYSTEMD_LOG_COLOR="0")
    return subprocess.run([analyze, "verify", "--user", str(unit)], capture_output=True, text=True, env=env, timeout=60)


def test_the_installed_unit_passes_systemd_analyze_verify_without_a_word(tmp_path):
    text = service.render(service.exec_start(str(tmp_path / "home with space")))
    result = verify(text, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""


def test_the_verify_check_catches_an_unknown_directive(tmp_path):
    # The exit status stays 0 here: only the printed warning tells.
    text = service.render(service.exec_start()).replace("[Service]\n", "[Service]\nProtectNothing=yes\n")
    result = verify(text, tmp_path)
    assert "Unknown key 'ProtectNothing'" in result.stderr


def test_the_shipped_unit_is_the_template_with_only_exec_start_replaced():
    shipped = (ROOT / "systemd" / "connect5.service").read_text()
    assert service.template() == shipped
    rendered = service.render(["/opt/connect5/bin/connect5", "run"])
    differing = [pair for pair in zip(shipped.splitlines(), rendered.splitlines()) if pair[0] != pair[1]]
    assert differing == [("ExecStart=%h/.local/bin/connect5 run", "ExecStart=/opt/connect5/bin/connect5 run")]


@pytest.mark.parametrize(
    "line",
    ["Type=notify", "Restart=on-failure", "ExecReload=/bin/kill -HUP $MAINPID", "WantedBy=default.target",
     "WatchdogSec=5min", "NoNewPrivileges=yes"],
)
def test_the_unit_has(line):
    assert line in service.template().splitlines()


def test_the_unit_leaves_out_sandboxing_a_user_manager_cannot_set_up():
    keys = {line.split("=", 1)[0] for line in service.template().splitlines() if "=" in line and line[0] != "#"}
    assert not keys & {"ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices", "ProtectKernelTunables"}


@pytest.mark.parametrize("word", ["/opt/my apps/connect5", "/home/ada/100%/connect5", "/srv/$HOME/x", 'a"b\\c'])
def test_exec_start_words_survive_systemd_quoting(word):
    text = service.render([word, "--home", word, "run"])
    assert service.unit_command(text) == [word, "--home", word, "run"]


def test_exec_start_runs_this_installation_with_an_absolute_home(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    command = service.exec_start("relative/home")
    assert command[0] == str(Path(sys.executable).parent / "connect5")
    assert command[1:] == ["--home", str(tmp_path / "relative" / "home"), "run"]


# -- the commands, with a recording systemctl -----------------------------------


@pytest.fixture
def world(tmp_path, home):
    """XDG config in tmp_path, and a bin/ folder first on PATH for a fake systemctl."""
    (tmp_path / "bin").mkdir()
    (home / "config.toml").write_text('[me]\nname = "Ada"\n')
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "xdg"), PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    env.pop("CONNECT5_HOME", None)
    return tmp_path, env


def fake_systemctl(folder: Path, *, manager: bool) -> Path:
    log = folder / "systemctl.log"
    script = folder / "bin" / "systemctl"
    script.write_text(FAKE_SYSTEMCTL.format(log=log, version="echo Version=252" if manager else NO_MANAGER))
    script.chmod(0o755)
    return log


def unit_file(folder: Path) -> Path:
    return folder / "xdg" / "systemd" / "user" / "connect5.service"


def test_dry_run_prints_the_unit_and_writes_nothing(cli, home, world):
    folder, env = world
    result = cli.process("service", "install", "--dry-run", env=env)
    assert result.returncode == 0, result.stderr
    assert f"--home {home} run" in result.stdout
    assert "Type=notify" in result.stdout
    assert not unit_file(folder).exists()


def test_install_without_a_user_manager_writes_the_unit_and_says_what_to_run(cli, home, world):
    folder, env = world
    fake_systemctl(folder, manager=False)
    result = cli.process("service", "install", env=env)
    assert result.returncode == 0, result.stderr
    assert "systemctl --user daemon-reload" in result.stdout
    assert "systemctl --user enable --now connect5.service" in result.stdout
    assert "loginctl enable-linger" in result.stdout
    assert service.unit_command(unit_file(folder).read_text())[1:] == ["--home", str(home), "run"]


def test_install_reloads_enables_and_starts_when_systemd_is_there(cli, world):
    folder, env = world
    log = fake_systemctl(folder, manager=True)
    assert cli.process("service", "install", env=env).returncode == 0
    calls = log.read_text().splitlines()
    assert calls[1:] == ["--user daemon-reload", "--user enable --now connect5.service",
                         "--user try-restart connect5.service"]
    log.unlink()
    again = cli.process("service", "install", env=env)
    assert "unchanged" in again.stdout
    assert "--user try-restart connect5.service" not in log.read_text()


def test_install_refuses_a_broken_config(cli, home, world):
    folder, env = world
    (home / "config.toml").write_text('[block]\ntime = "9am"\n')
    result = cli.process("service", "install", env=env)
    assert result.returncode == 1
    assert "block.time" in result.stderr
    assert not unit_file(folder).exists()


def test_uninstall_disables_removes_and_reloads(cli, world):
    folder, env = world
    log = fake_systemctl(folder, manager=True)
    cli.process("service", "install", env=env)
    wants = unit_file(folder).parent / "default.target.wants"
    wants.mkdir()
    (wants / "connect5.service").symlink_to(unit_file(folder))
    result = cli.process("service", "uninstall", env=env)
    assert result.returncode == 0, result.stderr
    assert not unit_file(folder).exists() and not (wants / "connect5.service").is_symlink()
    assert log.read_text().splitlines()[-2:] == ["--user disable --now connect5.service", "--user daemon-reload"]
    assert "not installed" in cli.process("service", "uninstall", env=env).stdout


def test_service_status_shows_systemds_view_beside_connect5s(cli, world):
    folder, env = world
    fake_systemctl(folder, manager=True)
    cli.process("service", "install", env=env)
    result = cli.process("service", "status", "--json", env=env)
    view = json.loads(result.stdout)
    assert view["systemd"]["main_pid"] == 4242 and view["systemd"]["active_state"] == "active"
    assert view["connect5"]["matches_this_installation"] is True
    assert view["connect5"]["running"] is False
    assert view["connect5"]["sources"] == "no sources configured"
    assert result.returncode == 3  # no daemon holds the lock in this home
    table = cli.process("service", "status", env=env).stdout
    assert "active (running)" in table and "points at this installation" in table and "not running" in table


def test_service_status_without_a_user_manager_still_answers(cli, world):
    folder, env = world
    fake_systemctl(folder, manager=False)
    result = cli.process("service", "status", env=env)
    assert result.returncode == 3
    assert "(no user manager)" in result.stdout and "not installed" in result.stdout


def test_service_status_with_no_unit_file_but_a_daemon_running_is_4(cli, home, world):
    from daemon.lock import DaemonLock

    folder, env = world
    fake_systemctl(folder, manager=False)
    with DaemonLock(home / "connect5.lock"):  # a `connect5 run` started by hand
        result = cli.process("service", "status", "--json", env=env)
        table = cli.process("service", "status", env=env)
    view = json.loads(result.stdout)
    assert result.returncode == 4 and table.returncode == 4
    assert view["connect5"]["running"] and not view["connect5"]["installed"]
    assert view["connect5"]["matches_this_installation"] is False
    assert "not installed" in table.stdout and "points at this installation" not in table.stdout


# -- what reaches the journal ---------------------------------------------------


def format_record(level: int, message: str, *args, journal: bool = False) -> str:
    import logging

    from daemon.logs import JournalFormatter, SafeFormatter

    formatter = JournalFormatter("%(name)s: %(message)s") if journal else SafeFormatter("%(message)s")
    return formatter.format(logging.LogRecord("connectors.gmail", level, __file__, 1, message, args, None))


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("Authorization: Bearer ya29.a0AfH6SMBxyz", "a0AfH6SMBxyz"),
        ("refresh_token=1//0gAbCdEfGhIj", "0gAbCdEfGhIj"),
        ('{"access_token": "EwBwA8l6BAAU"}', "EwBwA8l6BAAU"),
        ("id token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTYifQ.c2ln", "eyJzdWIiOiIxMjM0NTYifQ"),
        ("code=4/0AX4XfWhQ&state=x", "0AX4XfWhQ"),
    ],
)
def test_tokens_never_reach_the_log_even_at_debug(line, secret):
    import logging

    shown = format_record(logging.DEBUG, "request failed: %s", line)
    assert secret not in shown and "<token>" in shown


def test_addresses_show_at_debug_only():
    import logging

    assert "grace@navy.mil" in format_record(logging.DEBUG, "matched %s", "grace@navy.mil")
    assert format_record(logging.WARNING, "bounce from %s", "grace@navy.mil") == "bounce from <address>"


def test_a_traceback_in_the_journal_keeps_the_error_priority_on_every_line():
    import logging

    shown = format_record(logging.ERROR, "first\nsecond", journal=True)
    assert shown.splitlines() == ["<3>connectors.gmail: first", "<3>second"]


# -- a shell with its own XDG folders ---------------------------------------------


def run_connect5(*args: str, env: dict) -> subprocess.CompletedProcess:
    """connect5 without --home: the XDG folders decide where config and store live."""
    return subprocess.run([sys.executable, "-m", "daemon", *args], capture_output=True, text=True, env=env, timeout=60)


@pytest.fixture
def xdg_shell(tmp_path):
    """A shell whose profile moved the XDG folders (and a fake systemctl with no manager)."""
    (tmp_path / "bin").mkdir()
    env = dict(os.environ, HOME=str(tmp_path / "user"), XDG_CONFIG_HOME=str(tmp_path / "my config"),
               XDG_DATA_HOME=str(tmp_path / "100% data"), PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    env.pop("CONNECT5_HOME", None)
    (tmp_path / "my config" / "connect5").mkdir(parents=True)
    (tmp_path / "my config" / "connect5" / "config.toml").write_text('[me]\nname = "Ada"\n')
    fake_systemctl(tmp_path, manager=False)
    return tmp_path, env


def test_the_unit_carries_the_shells_xdg_folders_so_the_service_reads_the_same_config(xdg_shell):
    folder, env = xdg_shell
    result = run_connect5("service", "install", env=env)
    assert result.returncode == 0, result.stderr
    text = (folder / "my config" / "systemd" / "user" / "connect5.service").read_text()
    assert service.unit_environment_of(text) == {
        "XDG_CONFIG_HOME": str(folder / "my config"), "XDG_DATA_HOME": str(folder / "100% data"),
    }
    assert verify(text, folder).returncode == 0
    check = run_connect5("check", "--json", env=env)
    (unit,) = [finding for finding in json.loads(check.stdout) if finding["check"] == "unit"]
    assert unit["ok"], unit

    # Another shell (profile changed since): check says the unit would read other folders.
    moved = dict(env, XDG_DATA_HOME=str(folder / "elsewhere"))
    check = run_connect5("check", "--json", env=moved)
    (unit,) = [finding for finding in json.loads(check.stdout) if finding["check"] == "unit"]
    assert not unit["ok"] and "another config or store" in unit["detail"], unit
    status = run_connect5("service", "status", "--json", env=moved)
    view = json.loads(status.stdout)["connect5"]
    assert view["matches_this_installation"] is False and "XDG_DATA_HOME" in view["difference"]
    assert status.returncode == 3  # not running
    table = run_connect5("service", "status", env=moved).stdout
    assert "points at this installation" not in table and "another config or store" in table
    assert "points at this installation" in run_connect5("service", "status", env=env).stdout


def test_a_home_folder_makes_the_xdg_folders_irrelevant_to_the_unit(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert service.unit_environment(str(tmp_path / "home")) == {}
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("CONNECT5_HOME", raising=False)
    assert service.unit_environment() == {}


@pytest.mark.parametrize("value", ["/plain", "/with space", "/100%", '/quote"and\\slash', "/$HOME/x"])
def test_environment_values_survive_systemd_quoting(value):
    text = service.render(["/bin/connect5", "run"], {"XDG_DATA_HOME": value})
    assert service.unit_environment_of(text) == {"XDG_DATA_HOME": value}
    assert service.unit_command(text) == ["/bin/connect5", "run"]


def test_the_unit_waits_longer_than_a_busy_store_before_killing_on_stop():
    from daemon.store import BUSY_SECONDS

    unit = (Path(__file__).resolve().parents[2] / "systemd" / "connect5.service").read_text()
    [line] = [line for line in unit.splitlines() if line.startswith("TimeoutStopSec=")]
    assert int(line.removeprefix("TimeoutStopSec=").removesuffix("s")) > BUSY_SECONDS
