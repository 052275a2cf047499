"""``connect5 check [--fix] [--json]``: what is wrong with this installation and how to fix it.

Checks the config (file, key, problem), the privacy of the data folder,
``tokens/``, the token files, the store's files and the block file (read before
anything opens the store), that the data folder and the store can be written
(not a read-only folder, file or mount, not a full disk), the store (opens, is
ours, is sound), the systemd unit (if installed, that it runs this installation
and these folders) and the paths the sources read. ``--fix`` repairs what is safe to repair by itself: file modes.

Exit status: 0 when all is well, 1 when something needs fixing.
"""

from __future__ import annotations

import stat
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import click

from daemon.cli import echo_json, json_option, pass_app
from rules.stats import counted

STORE_TIMEOUT = 0.5


@dataclass
class Finding:
    check: str
    ok: bool
    detail: str
    fix: str = ""
    fixed: bool = False


@click.command()
@click.option("--fix", "repair", is_flag=True, help="Repair what can be repaired safely (file modes).")
@json_option
@pass_app
def check(app, repair: bool, as_json: bool) -> None:
    """Check config, tokens, store and unit file; say what is wrong and how to fix it."""
    findings: list[Finding] = []
    config = _check_config(app.home.config_file, findings)
    open_holes = _check_modes(app.home, config, findings, repair)
    _check_writable(app.home, findings)
    _check_store(app.home.db_path, findings)
    _recheck_modes(open_holes)
    _check_unit(app, findings)
    if config is not None:
        _check_block_path(_block_file(app.home, config), findings)
        _check_sources(config, findings)
    if as_json:
        echo_json([asdict(finding) for finding in findings])
    else:
        _show(findings)
    sys.exit(0 if all(finding.ok or finding.fixed for finding in findings) else 1)


def _check_config(path: Path, findings: list[Finding]):
    from daemon import config as config_module

    if not path.exists():
        findings.append(Finding("config", False, f"{path}: no config file", "connect5 init"))
        return None
    try:
        config = config_module.load(path, missing_ok=False)
    except config_module.ConfigError as error:
        for problem in error.problems:
            findings.append(Finding("config", False, f"{path}: {problem}", f"edit {path}"))
        return None
    findings.append(Finding("config", True, f"{path} is valid ({counted(len(config.sources), 'source')})"))
    mail = [source.name for source in config.sources if _reads_mail(source.type)]
    if mail and not config.own_addresses:
        # Without them every message reads as inbound: what you sent never counts.
        findings.append(Finding("config", False, f"{path}: [me] emails is empty, so mail read by {', '.join(mail)}"
                                " cannot tell what you sent", f"add your addresses to [me] emails in {path}"))
    return config


def _reads_mail(type_name: str) -> bool:
    from connectors import base

    return getattr(base.source_class(type_name), "kind", "") == "mail"


def _check_modes(home, config, findings: list[Finding], repair: bool) -> list[tuple[Finding, object]]:
    """Folders 0700, token, store and block files 0600: nobody else on the machine reads them.

    Read before anything opens the store, which makes its files private on the
    way; the holes left open are returned, for ``_recheck_modes``.
    """
    from daemon import permissions

    if not home.data_dir.exists():
        findings.append(Finding("data", False, f"{home.data_dir}: missing", "connect5 init"))
        return []
    open_holes = []
    for entry in permissions.inspect(home.data_dir, home.tokens_dir, _block_file(home, config)):
        if entry.private:
            findings.append(Finding("modes", True, f"{entry.what} {entry.path} is {entry.actual:04o}"))
            continue
        finding = Finding("modes", False, f"{entry.what} {entry.path} is {entry.actual:04o}, should be {entry.mode:04o}",
                          f"chmod {entry.mode:o} {entry.path} (or: connect5 check --fix)")
        findings.append(finding)
        if not repair:
            open_holes.append((finding, entry))
            continue
        try:
            permissions.make_private(entry)
        except permissions.NotPrivateError as error:
            finding.detail = str(error)
            continue
        finding.fixed = True
        finding.detail = f"{entry.what} {entry.path} was {entry.actual:04o}, now {entry.repaired:04o}"
    return open_holes


def _check_writable(home, findings: list[Finding]) -> None:
    """connect5 can write its folder and the store's files (a read-only mount or folder stops every
    command that records anything), and their disk is not full."""
    from daemon.store_problems import no_space, unwritable

    if not home.data_dir.exists():
        return  # said by _check_modes
    db = home.db_path
    reason = unwritable(home.data_dir, db, Path(f"{db}-wal"), Path(f"{db}-shm"), home.lock_path)
    if reason:
        findings.append(Finding("data", False, f"connect5 cannot write its data: {reason[0]}", reason[1]))
        return
    if no_space(home.data_dir):
        findings.append(Finding("data", False, f"the disk holding {home.data_dir} is full", "free some space on it"))
    else:
        findings.append(Finding("data", True, f"{home.data_dir} is writable"))


def _recheck_modes(open_holes: list[tuple[Finding, object]]) -> None:
    """A hole that opening the store closed is reported as found, and as fixed by that."""
    for finding, entry in open_holes:
        try:
            now = stat.S_IMODE(entry.path.lstat().st_mode)
        except FileNotFoundError:
            continue
        if now & ~entry.mode & 0o777 == 0:
            finding.fixed = True
            finding.detail = (f"{entry.what} {entry.path} was {entry.actual:04o}, now {now:04o}"
                              " (opening the store fixed it)")


def _block_file(home, config) -> Path | None:
    """The .ics file the block is written to, when the writer is ``ics``."""
    if config is None or config.block.writer != "ics":
        return None
    configured = getattr(config.block.options, "path", "") if config.block.options else ""
    return Path(configured).expanduser() if configured else home.ics_path


def _check_block_path(path: Path | None, findings: list[Finding]) -> None:
    """The .ics block path names a file, or nothing yet: not a device, FIFO or folder, which the writer refuses."""
    import stat

    try:
        mode = path.stat().st_mode if path is not None else None
    except OSError:  # not there yet (the first block makes it), or not reachable: the writer says which
        return
    if mode is not None and not stat.S_ISREG(mode):
        findings.append(Finding("block", False, f"{path} is not a file, so no block can be written there",
                                "set [block] path to a file of connect5's own"))


def _check_store(path: Path, findings: list[Finding]) -> None:
    from daemon import store as store_module

    if not path.exists():
        findings.append(Finding("store", False, f"{path}: no store yet", "connect5 import linkedin PATH"))
        return
    if path.stat().st_size == 0:
        # Opening it would quietly make a new, empty store: a file emptied by accident
        # (a full disk, a bad copy) is said, not papered over.
        findings.append(Finding("store", False, f"{path}: an empty file (0 bytes), not a store",
                                "restore a backup, or delete it to start a new store"))
        return
    try:
        store = store_module.open_store(path, create=False, timeout=STORE_TIMEOUT)
    except store_module.StoreAccessError as error:  # says what to do itself
        findings.append(Finding("store", False, str(error)))
        return
    except store_module.StoreError as error:
        findings.append(Finding("store", False, str(error), "move the file aside or point --home elsewhere"))
        return
    try:
        verdict = store.db.execute("PRAGMA quick_check").fetchone()[0]
        contacts = store.db.execute("SELECT count(*) FROM contacts").fetchone()[0]
    except Exception as error:  # sqlite3.OperationalError when busy; any failure is the finding
        findings.append(Finding("store", False, f"{path}: {error}", "try again; if it persists, restore a backup"))
        return
    finally:
        store.close()
    if verdict != "ok":
        findings.append(Finding("store", False, f"{path}: damaged ({verdict})", "restore a backup of the store"))
    else:
        findings.append(Finding("store", True, f"{path} opens and is sound ({contacts} contacts)"))


def _check_unit(app, findings: list[Finding]) -> None:
    from daemon import service as unit

    target = unit.unit_path()
    if not target.exists():
        findings.append(Finding("unit", True, f"{target}: not installed (optional: connect5 service install)"))
        return
    different = unit.difference(target.read_text(encoding="utf-8"), app.home_option, app.config_option)
    if different:
        findings.append(Finding("unit", False, f"{target} {different}", "connect5 service install"))
    else:
        findings.append(Finding("unit", True, f"{target} runs this installation"))


def _check_sources(config, findings: list[Finding]) -> None:
    for source in config.sources:
        paths = getattr(source.options, "path", None)
        if not paths:
            continue
        for text in [paths] if isinstance(paths, str) else paths:
            path = Path(text).expanduser()
            if source.type == "maildir" and path.exists() and not path.is_dir():
                findings.append(Finding("source", False, f"{source.name}: {path} is a file, not a Maildir folder",
                                        f"name the folder holding cur/, new/ and tmp/ in sources.{source.name}.path"))
            elif path.exists():
                findings.append(Finding("source", True, f"{source.name}: {path} exists"))
            else:
                findings.append(Finding("source", False, f"{source.name}: {path} does not exist",
                                        f"create it or fix sources.{source.name}.path in {config.path}"))


def _show(findings: list[Finding]) -> None:
    for finding in findings:
        mark = "fixed" if finding.fixed else "ok" if finding.ok else "FAIL"
        click.echo(f"{mark:<5} {finding.check:<7} {finding.detail}")
        if finding.fix and not finding.ok and not finding.fixed:
            click.echo(f"{'':<14}fix: {finding.fix}")
    bad = sum(not finding.ok and not finding.fixed for finding in findings)
    click.echo("all is well" if not bad else f"{bad} thing{'s' if bad > 1 else ''} to fix")
