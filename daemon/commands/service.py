"""``connect5 service install|uninstall|status``: the systemd user unit for this installation.

``install`` writes ``~/.config/systemd/user/connect5.service`` with ExecStart
pointing at the connect5 that ran it, then ``daemon-reload`` and ``enable
--now`` when a user manager answers; otherwise it prints exactly what to run.
``status`` shows systemd's view and connect5's own side by side.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from daemon.cli import UserError, echo_json, json_option, pass_app

LINGER_HINT = (
    "systemd stops user services when you log out; to keep connect5 running while you are"
    " logged out (and start it at boot), run: loginctl enable-linger {user}"
)


@click.group()
def service() -> None:
    """Install, remove or inspect the systemd user service."""


@service.command()
@click.option("--dry-run", is_flag=True, help="Print the unit and where it would go; change nothing.")
@click.option("--no-start", is_flag=True, help="Write and enable the unit but do not start it now.")
@pass_app
def install(app, dry_run: bool, no_start: bool) -> None:
    """Write the unit for this installation, enable it and start it."""
    from daemon import service as unit

    app.config  # a unit that would fail at once on a bad config helps nobody: stop here instead
    text = unit.render(unit.exec_start(app.home_option, app.config_option), unit.unit_environment(app.home_option))
    target = unit.unit_path()
    if dry_run:
        click.echo(f"# would write {target}", err=True)
        click.echo(text, nl=False)
        return
    changed = _write_unit(target, text)
    click.echo(f"{'wrote' if changed else 'unchanged'}: {target}")
    if not unit.user_manager_running():
        _print_manual_steps(no_start)
    else:
        _enable(unit, changed, no_start)
    click.echo(_linger_line())


def _write_unit(target: Path, text: str) -> bool:
    try:
        if target.exists() and target.read_text(encoding="utf-8") == text:
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(target)
    except OSError as error:
        raise UserError(f"cannot write {target}: {error.strerror or error}") from None
    return True


def _enable(unit, changed: bool, no_start: bool) -> None:
    try:
        unit.systemctl("daemon-reload")
        if no_start:
            unit.systemctl("enable", unit.UNIT_NAME)
            click.echo("enabled; start it with: systemctl --user start connect5")
            return
        unit.systemctl("enable", "--now", unit.UNIT_NAME)
        if changed:
            # enable --now leaves a running old version alone; a changed unit needs a restart.
            unit.systemctl("try-restart", unit.UNIT_NAME)
    except unit.ServiceError as error:
        raise UserError(str(error)) from None
    click.echo("enabled and started; see: connect5 service status · journalctl --user -u connect5")


def _print_manual_steps(no_start: bool) -> None:
    click.echo("no systemd user manager answered (systemctl --user); when one runs, do:")
    click.echo("  systemctl --user daemon-reload")
    click.echo(f"  systemctl --user enable {'' if no_start else '--now '}connect5.service")


def _linger_line() -> str:
    user = _user()
    if Path("/var/lib/systemd/linger", user).exists():
        return f"lingering is on for {user}: connect5 keeps running while you are logged out"
    return LINGER_HINT.format(user=user)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "$USER"


@service.command()
@pass_app
def uninstall(app) -> None:
    """Stop and disable the service and remove its unit file."""
    from daemon import service as unit

    target = unit.unit_path()
    wants = target.parent / "default.target.wants" / target.name
    running = unit.user_manager_running()
    if running:
        try:
            unit.systemctl("disable", "--now", unit.UNIT_NAME, check=False)
        except unit.ServiceError as error:
            raise UserError(str(error)) from None
    if not target.exists() and not wants.is_symlink():
        click.echo(f"not installed: {target}")
        return
    for path in (wants, target):
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            raise UserError(f"cannot remove {path}: {error.strerror or error}") from None
    click.echo(f"removed {target}")
    if running:
        unit.systemctl("daemon-reload", check=False)
    else:
        click.echo("no systemd user manager answered; if one runs connect5, do: systemctl --user daemon-reload")


@service.command(name="status")
@json_option
@pass_app
def service_status(app, as_json: bool) -> None:
    """systemd's view of the service and connect5's own, side by side.

    Exit status: 0 running, 3 not running, 4 running but not as installed (another
    executable, other XDG folders, or no unit file).
    """
    view = _views(app)
    if as_json:
        echo_json(view)
    else:
        _show(view)
    sys.exit(view["exit"])


def _views(app) -> dict:
    from daemon import lock
    from daemon import service as unit

    target = unit.unit_path()
    installed = target.exists()
    text = target.read_text(encoding="utf-8") if installed else ""
    different = unit.difference(text, app.home_option, app.config_option) if installed else "no unit file"
    systemd = unit.systemd_view().as_dict()
    pid = lock.holder(app.home.lock_path)
    own = {
        "unit_file": str(target), "installed": installed, "command": unit.unit_command(text),
        "expected_command": unit.exec_start(app.home_option, app.config_option),
        "environment": unit.unit_environment_of(text), "expected_environment": unit.unit_environment(app.home_option),
        "matches_this_installation": not different, "difference": different,
        "pid": pid, "running": pid is not None,
    }
    own["sources"] = _own_summary(app)
    # 4: a daemon runs on this store, but not the one the unit would start (or there is no unit).
    code = 3 if pid is None else 4 if different else 0
    return {"systemd": systemd, "connect5": own, "exit": code}


def _own_summary(app) -> str:
    """connect5's own one-line account of its sources, from the store (to set beside systemd's STATUS)."""
    from daemon.commands import status

    try:
        report = status.collect(app)
    except UserError as error:
        return error.format_message()
    from datetime import datetime
    from zoneinfo import ZoneInfo

    parts, zone = [], ZoneInfo(report["timezone"])
    for source in report["sources"]:
        synced = source["last_sync_at"] and datetime.fromisoformat(source["last_sync_at"]).astimezone(zone)
        state = "stopped" if source["stopped"] else "failing" if source["last_error"] else \
            f"synced {synced:%H:%M}" if synced else "not synced yet"
        parts.append(f"{source['name']} {state}")
    return "; ".join(parts) or "no sources configured"


def _show(view: dict) -> None:
    systemd, own = view["systemd"], view["connect5"]
    if systemd["available"]:
        state = f"{systemd['active_state']} ({systemd['sub_state']})"
        unit_file = systemd["unit_file_state"] or systemd["load_state"]
        pid = str(systemd["main_pid"] or "-")
        restarts = str(systemd["restarts"])
        status = systemd["status_text"] or "-"
    else:
        state = unit_file = pid = restarts = status = "(no user manager)"
    if own["installed"]:
        own_file = "points at this installation" if own["matches_this_installation"] else \
            f"{own['difference']}; reinstall: connect5 service install"
    elif own["running"]:
        own_file = "not installed, yet connect5 runs here (started by hand?): connect5 service install"
    else:
        own_file = "not installed: connect5 service install"
    rows = [
        ("", "systemd", "connect5"),
        ("unit file", unit_file, own_file),
        ("state", state, "running" if own["running"] else "not running"),
        ("main pid", pid, f"{own['pid']} holds the lock" if own["pid"] else "-"),
        ("restarts", restarts, ""),
        ("status", status, own["sources"]),
    ]
    width = [max(len(row[column]) for row in rows[:-1]) for column in range(3)]
    for label, left, right in rows:
        click.echo(f"{label:<{width[0]}}  {left:<{width[1]}}  {right}".rstrip())
    click.echo(f"unit: {own['unit_file']}")
