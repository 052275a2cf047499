"""The machine refusing a write: a read-only data folder or store, a full disk.

None of these is a bug of connect5, so none shows a traceback: a command says in
one line which folder or file and what to do, a source records a plain error,
and ``connect5 check`` flags a data folder or store it cannot write. Permissions
are tested as a user whom file modes bind (``fakes.unprivileged``: CI runs as
root); a full disk is SQLite's own page limit, which answers SQLITE_FULL
("database or disk is full") exactly as a full disk does.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes.unprivileged import run_python

from conftest import DATA
from connectors.records import Attendee, Batch, CalendarItem, Contact
from daemon import config as config_module
from daemon import paths
from daemon import store as store_module
from daemon.config import Source

CONNECTIONS = (
    "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
    "Grace,Hopper,https://www.linkedin.com/in/grace,grace@example.com,Navy,Admiral,01 Jan 2020\n"
)


def connect5_unprivileged(home: Path, *arguments: str):
    """``connect5 --home HOME ...`` in a fresh process that file modes bind, as a user's shell would run it."""
    argv = ["--home", str(home), *arguments]
    return run_python(f"from daemon.cli import main\nmain({argv!r}, prog_name='connect5')\n")


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.fixture
def synced_home(cli, home, tmp_path, monkeypatch):
    """A home with one contact and a Maildir source, synced once, on a workday (today must choose)."""
    monkeypatch.setenv("CONNECT5_NOW", "2026-11-27T10:00:00+00:00")  # a Friday, whatever day the tests run
    maildir = tmp_path / "Maildir"
    for part in ("cur", "new", "tmp"):
        (maildir / part).mkdir(parents=True)
    cli.write_config('[me]\nname = "Ada"\nemails = ["ada@example.com"]\ntimezone = "Europe/London"\n\n'
                     f'[[sources]]\nname = "mail"\ntype = "maildir"\npath = ["{maildir}"]\n')
    export = tmp_path / "Connections.csv"
    export.write_text(CONNECTIONS, encoding="utf-8")
    cli("import", "linkedin", str(export))
    cli("sync")
    home.chmod(0o700)
    return home


@pytest.fixture
def read_only_home(synced_home):
    """The data folder 0500 and the store 0400, as a read-only mount or a chmod leaves them.

    No lock file yet (the first `connect5 run` after a reboot makes it), and the
    store's -wal and -shm files there (another reader has it open), so SQLite
    opens the store and refuses only its first write.
    """
    home, db = synced_home, synced_home / "connect5.db"
    (home / "connect5.lock").unlink(missing_ok=True)
    reader = sqlite3.connect(db)
    reader.execute("SELECT count(*) FROM contacts").fetchone()
    db.chmod(0o400)
    home.chmod(0o500)
    try:
        yield home
    finally:
        home.chmod(0o700)
        db.chmod(0o600)
        reader.close()


# -- a read-only data folder --------------------------------------------------------


@pytest.mark.parametrize("command", [["run", "--once"], ["sync"], ["done", "Grace"], ["today", "--no-block"]])
def test_a_read_only_data_folder_is_one_line_naming_it_for_every_command(read_only_home, command):
    result = connect5_unprivileged(read_only_home, *command)
    assert result.returncode == 1, result.stderr
    line = one_line(result.stderr)
    assert line.startswith("connect5: cannot write ") and f"{read_only_home} (0500)" in line, line
    assert f"run `chmod u+w {read_only_home}" in line and "or point --home elsewhere" in line, line


def test_a_store_that_turns_out_read_only_stops_the_daemon_with_a_plain_line_not_a_traceback(read_only_home):
    read_only_home.chmod(0o700)
    (read_only_home / "connect5.lock").touch(mode=0o600)  # the lock can be taken; the store still refuses writes
    read_only_home.chmod(0o500)
    result = connect5_unprivileged(read_only_home, "run", "--once")
    assert result.returncode == 1 and "Traceback" not in result.stderr and "a bug" not in result.stderr, result.stderr
    db = read_only_home / "connect5.db"
    assert result.stderr.strip().splitlines()[-1].startswith(f"connect5: cannot write the store {db}: "), result.stderr
    assert f"{db} (0400)" in result.stderr


@pytest.mark.parametrize("folder_mode", [0o500, 0o700])
def test_check_flags_a_data_folder_or_store_it_cannot_write(read_only_home, folder_mode):
    db = read_only_home / "connect5.db"
    read_only_home.chmod(folder_mode)
    result = connect5_unprivileged(read_only_home, "check", "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    (finding,) = [f for f in json.loads(result.stdout) if f["check"] == "data"]
    assert not finding["ok"] and f"{db} (0400)" in finding["detail"]
    assert (f"{read_only_home} (0500)" in finding["detail"]) == (folder_mode == 0o500)
    assert finding["fix"].startswith("run `chmod u+w ")


def test_check_says_a_writable_data_folder_is_writable(synced_home):
    result = connect5_unprivileged(synced_home, "check", "--json")
    (finding,) = [f for f in json.loads(result.stdout) if f["check"] == "data"]
    assert finding == {"check": "data", "ok": True, "detail": f"{synced_home} is writable", "fix": "", "fixed": False}


# -- a full disk --------------------------------------------------------------------


def fill_up(store) -> None:
    """No page more for this connection: SQLite answers SQLITE_FULL, as when the disk is full."""
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")


class ManyMeetings:
    """A calendar source with more meetings than a full store can take."""

    kind = "calendar"

    @dataclass(frozen=True)
    class Options:
        pass

    def sync(self, cursor):
        start = datetime(2026, 11, 20, 9, tzinfo=UTC)
        items = tuple(
            CalendarItem(source="cal", external_id=f"meeting-{number}-{'x' * 200}", start=start + timedelta(hours=number),
                         end=start + timedelta(hours=number, minutes=30), title="Catch-up",
                         attendees=(Attendee("grace@example.com", "Grace Hopper", "accepted"),))
            for number in range(500)
        )
        yield Batch(items, "cursor-1")


def test_a_full_disk_is_a_plain_error_for_the_source_not_a_bug(tmp_path, monkeypatch, caplog):
    from daemon.runner import sync_one

    monkeypatch.setenv("CONNECT5_NOW", "2026-11-27T06:00:00+00:00")
    path = tmp_path / "connect5.db"
    store = store_module.open_store(path)
    store.import_contacts([Contact("grace", "Grace Hopper", emails=("grace@example.com",), source="linkedin")],
                          source="linkedin", snapshot=True)
    config = config_module.parse({"me": {"emails": ["ada@example.com"], "timezone": "UTC"}}, tmp_path / "c.toml")
    fill_up(store)
    with caplog.at_level(logging.DEBUG):
        outcome = sync_one(store, config, paths.resolve(str(tmp_path)), Source("cal", "ics", ManyMeetings.Options()),
                           connector=ManyMeetings())
    store.close()
    said = f"the disk holding the store is full ({path}); free some space and try again"
    assert outcome["error"] == said and outcome["line"] == f"cal: {said}" and not outcome["stopped"]
    assert "Traceback" not in caplog.text and "bug" not in caplog.text and "unexpected" not in caplog.text
    assert said in caplog.text
    reopened = store_module.open_store(path)  # room again: status shows the plain error
    try:
        assert reopened.query("SELECT last_error FROM cursors WHERE source = 'cal'") == [{"last_error": said}]
    finally:
        reopened.close()


def test_a_command_that_finds_the_disk_full_says_so_in_one_line(cli, home, monkeypatch):
    cli.write_config("")
    cli("import", "linkedin", str(DATA / "linkedin" / "export-2024.csv"))  # a store to fill
    opening = store_module.open_store

    def open_on_a_full_disk(path, **options):
        opened = opening(path, **options)
        fill_up(opened)
        return opened

    monkeypatch.setattr(store_module, "open_store", open_on_a_full_disk)
    export = home.parent / "Connections.csv"
    export.write_text(CONNECTIONS + "".join(
        f"Person,Number{n},https://www.linkedin.com/in/person-{n},p{n}@example.com,Co,Role,01 Jan 2020\n"
        for n in range(2000)), encoding="utf-8")
    result = cli("import", "linkedin", "--add-only", str(export), ok=False)  # people to add, none gone
    assert result.exit_code == 1
    assert one_line(result.stderr) == (f"connect5: the disk holding the store is full ({home / 'connect5.db'});"
                                       " free some space and try again")


def test_a_disk_already_full_at_start_is_named_by_run_and_today_not_taken_for_stdout(tmp_path):
    # A real full disk: a 1 MB tmpfs in a mount namespace of the test's own (root in CI, as here).
    disk = tmp_path / "disk"
    disk.mkdir()
    script = f"""
set -e
mount -t tmpfs -o size=1m tmpfs {disk}
mkdir -m 700 {disk}/home
printf '[me]\\ntimezone = "UTC"\\n' > {disk}/home/config.toml
{sys.executable} -m daemon --home {disk}/home import linkedin {DATA / "linkedin" / "export-2018-legacy.csv"} >/dev/null
dd if=/dev/zero of={disk}/fill bs=1k count=4000 2>/dev/null || true
rm -f {disk}/home/connect5.db-shm {disk}/home/connect5.db-wal
for command in "run --once" "today"; do
    {sys.executable} -m daemon --home {disk}/home $command >/dev/null 2>>{tmp_path}/errors || echo "exit $?" >> {tmp_path}/errors
done
"""
    unshare = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-rm"]
    result = subprocess.run([*unshare, "sh", "-c", script], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "CONNECT5_NOW": "2026-11-27T10:00:00+00:00"})
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "errors").read_text().splitlines()
    assert lines == [
        f"connect5: the disk holding {disk}/home/connect5.lock is full; free some space and try again", "exit 1",
        f"connect5: the disk holding the store is full ({disk}/home/connect5.db); free some space and try again",
        "exit 1",
    ], lines
