"""Tests for the Maildir watcher when a root goes away and comes back, on real folders in tmp_path.

A root moved away (``mv``) or deleted (``rm -rf``) and then made again must be
watched again, as a root missing at start is: its going and its coming back
wake the daemon at once, and so does mail landing in it afterwards. However
often that happens, each path is watched once and no thread is left behind.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fakes.maildir import deliver, make_folder, make_source, message

from connectors.maildir.watch import MaildirWatcher

TIMEOUT = 10.0  # generous: a loaded CI machine; the watcher itself takes well under a second


def wait_until(condition: Callable[[], bool], seconds: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def quiet(woken: threading.Event, seconds: float = 0.35) -> None:
    """Wait until no wake-up has come for ``seconds`` (the tail of a burst), then forget them."""
    deadline = time.monotonic() + TIMEOUT
    while woken.wait(timeout=seconds) and time.monotonic() < deadline:
        woken.clear()
    woken.clear()


@contextmanager
def watching(root: Path) -> Iterator[tuple[MaildirWatcher, threading.Event]]:
    """The source's watcher on ``root``, and the event its wake-ups set; stopped on the way out."""
    woken = threading.Event()
    watcher = make_source(root).watch(woken.set)
    try:
        yield watcher, woken
    finally:
        watcher.stop()


def wakes_on_delivery(folder: Path, number: int, woken: threading.Event) -> None:
    """Deliver a message into ``folder``: it must wake the watcher (then the burst is let pass)."""
    deliver(folder, message(number))
    assert woken.wait(TIMEOUT)
    quiet(woken)


def watched(watcher: MaildirWatcher) -> list[tuple[str, bool]]:
    """What the observer watches, one (path, recursive) per live watch."""
    emitters = list(watcher._observer.emitters)
    assert all(emitter.is_alive() for emitter in emitters)
    return sorted((emitter.watch.path, emitter.watch.is_recursive) for emitter in emitters)


def remove_by_move(root: Path) -> None:
    """``mv NoMail NoMail.old``, to a name not taken yet: the old folder stays, still full."""
    count = 0
    while (aside := root.with_name(f"{root.name}.old{count or ''}")).exists():
        count += 1
    os.rename(root, aside)


def remove_by_delete(root: Path) -> None:
    shutil.rmtree(root)


def assert_back_after(remove: Callable[[Path], None], root: Path, woken: threading.Event) -> None:
    """``root`` goes (a wake-up), comes back (a wake-up), and mail landing in it wakes us."""
    remove(root)
    assert woken.wait(TIMEOUT), "the root going away did not wake the daemon"
    quiet(woken)
    inbox = make_folder(root)
    assert woken.wait(TIMEOUT), "the root coming back did not wake the daemon"
    quiet(woken)
    deliver(inbox, message(1))
    assert woken.wait(TIMEOUT), "mail in the root made again did not wake the daemon"
    quiet(woken)


@pytest.mark.parametrize("remove", [remove_by_move, remove_by_delete], ids=["mv", "rm"])
def test_a_root_removed_and_made_again_is_watched_again(tmp_path, remove):
    root = tmp_path / "NoMail"
    inbox = make_folder(root)
    with watching(root) as (_, woken):
        wakes_on_delivery(inbox, 1, woken)
        assert_back_after(remove, root, woken)


def test_a_root_moved_aside_is_no_longer_watched_under_its_new_name(tmp_path):
    # The watch follows the folder's inode: left alone, NoMail.old would pass for NoMail.
    root = tmp_path / "NoMail"
    make_folder(root)
    with watching(root) as (watcher, woken):
        remove_by_move(root)
        assert woken.wait(TIMEOUT)
        quiet(woken)
        assert watched(watcher) == [(str(tmp_path.resolve()), False)]


def test_three_remove_and_recreate_cycles_watch_each_path_once_and_leave_no_thread(tmp_path):
    root = tmp_path / "NoMail"
    make_folder(root)
    before = set(threading.enumerate())
    with watching(root) as (watcher, woken):
        quiet(woken)
        expected = [(str(tmp_path.resolve()), False), (str(root.resolve()), True)]
        assert watched(watcher) == expected
        steady = threading.active_count()
        for cycle, remove in enumerate([remove_by_move, remove_by_delete, remove_by_move]):
            assert_back_after(remove, root, woken)
            assert watched(watcher) == expected, f"cycle {cycle}"
            assert wait_until(lambda: threading.active_count() == steady), threading.enumerate()
    assert wait_until(lambda: set(threading.enumerate()) <= before), set(threading.enumerate()) - before


@pytest.mark.parametrize("remove", [remove_by_move, remove_by_delete], ids=["mv", "rm"])
def test_a_root_removed_and_made_again_within_one_wake_up_is_watched(tmp_path, remove):
    # Within the debounce the path looks unchanged, but the old watch is on NoMail.old (mv)
    # or dead (rm, and the new folder may have the old one's inode: twice to make that likelier).
    root = tmp_path / "NoMail"
    make_folder(root)
    with watching(root) as (_, woken):
        for _ in range(2):
            remove(root)
            inbox = make_folder(root)
        assert woken.wait(TIMEOUT)
        quiet(woken)
        wakes_on_delivery(inbox, 1, woken)


def test_a_symlinked_root_is_watched_through_its_target_and_follows_a_new_target(tmp_path):
    first = make_folder(tmp_path / "store" / "first")
    second = make_folder(tmp_path / "store" / "second")
    root = tmp_path / "Maildir"
    root.symlink_to(first, target_is_directory=True)
    with watching(root) as (_, woken):
        wakes_on_delivery(first, 1, woken)
        root.unlink()  # pointed elsewhere, as `ln -sfn` does
        root.symlink_to(second, target_is_directory=True)
        assert woken.wait(TIMEOUT)
        quiet(woken)
        wakes_on_delivery(second, 2, woken)
        assert_back_after(remove_by_move, second, woken)  # the target itself goes and comes back
