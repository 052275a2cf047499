"""What the run loop sleeps on, and what wakes it: watcher threads and signals.

A signal may land on any thread (watchdog's observers, debounce timers). Python
runs its handler in the main thread, but only once that thread runs Python code
again: a main thread asleep in a lock's timed wait would not notice a SIGTERM
for up to the loop's longest sleep. ``signal.set_wakeup_fd`` makes the C-level
handler write the signal's number into ``Wakeup``'s socket pair, in whichever
thread it runs, so the ``select`` in ``wait`` returns at once; byte 0 is a
thread's poke.
"""

from __future__ import annotations

import select
import socket


class Wakeup:
    """A socket pair that watcher threads and signals write a byte to, and the loop waits on."""

    def __init__(self) -> None:
        self.reader, self.writer = socket.socketpair()
        self.reader.setblocking(False)
        self.writer.setblocking(False)

    def poke(self) -> None:
        try:
            self.writer.send(b"\0")
        except OSError:  # full (the loop is already due to wake) or closed (stopping)
            pass

    def wait(self, timeout: float) -> set[int]:
        """Sleep until poked or ``timeout``; the signal numbers that arrived (0: a poke)."""
        ready, _, _ = select.select([self.reader], [], [], timeout)
        received: set[int] = set()
        while ready:
            try:
                data = self.reader.recv(4096)
            except BlockingIOError:
                break
            if not data:
                break
            received.update(data)
        return received

    def close(self) -> None:
        self.reader.close()
        self.writer.close()
