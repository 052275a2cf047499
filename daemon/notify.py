"""systemd's notify protocol (sd_notify(3)) over ``$NOTIFY_SOCKET``; a no-op without it.

Written by hand: it is one datagram per call, and the abstract-namespace form
(a socket path starting with ``@``) is the only subtlety. The watchdog part
reads ``$WATCHDOG_USEC`` (set by ``WatchdogSec=``) and pings at half of it, as
sd_watchdog_enabled(3) advises, so one late ping never gets us killed.

Every message is best-effort: a send waits at most ``SEND_TIMEOUT`` seconds. A
notify socket whose queue is full (a receiver that has stopped reading; Linux
queues only ``net.unix.max_dgram_qlen`` datagrams, often 10) must never block
the daemon, or a SIGTERM would wait behind it for good.
"""

from __future__ import annotations

import logging
import os
import socket
import time

log = logging.getLogger(__name__)

SEND_TIMEOUT = 1.0


class Notifier:
    """Sends READY/STATUS/WATCHDOG/RELOADING/STOPPING; every method is safe without systemd."""

    def __init__(self, address: str | None = None, watchdog_every: float | None = None):
        address = address if address is not None else os.environ.get("NOTIFY_SOCKET", "")
        # "@name" is Linux's abstract namespace: the kernel wants a leading NUL byte.
        self.address = "\0" + address[1:] if address.startswith("@") else address
        self.socket: socket.socket | None = None
        if self.address:
            self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self.socket.settimeout(SEND_TIMEOUT)
        self.watchdog_every = watchdog_every if watchdog_every is not None else watchdog_interval()
        self.last_ping = time.monotonic()
        self.last_status = ""
        self.failed = False

    @property
    def enabled(self) -> bool:
        return self.socket is not None

    def send(self, *lines: str) -> bool:
        if self.socket is None:
            return False
        try:
            self.socket.sendto("\n".join(lines).encode(), self.address)
        except OSError as error:
            # Logged once: systemd going away must not flood the journal or stop us.
            if not self.failed:
                log.warning("cannot notify systemd at %s: %s", self.address.lstrip("\0"), error)
                self.failed = True
            return False
        self.failed = False
        return True

    def ready(self, status: str = "") -> None:
        self.last_status = status or self.last_status
        self.send("READY=1", *([f"STATUS={status}"] if status else []))

    def status(self, text: str) -> None:
        """Tell systemd what we are doing; unchanged text is not sent again."""
        if text != self.last_status:
            self.last_status = text
            self.send(f"STATUS={text}")

    def watchdog(self) -> None:
        self.last_ping = time.monotonic()
        self.send("WATCHDOG=1")

    def keepalive(self) -> None:
        """Ping the watchdog if half of WatchdogSec has (nearly) gone by since the last ping."""
        if self.watchdog_every and time.monotonic() - self.last_ping >= self.watchdog_every * 0.9:
            self.watchdog()

    def reloading(self) -> None:
        # RELOADING=1 must carry MONOTONIC_USEC for Type=notify-reload; harmless for Type=notify.
        self.send("RELOADING=1", f"MONOTONIC_USEC={time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}")

    def stopping(self) -> None:
        self.send("STOPPING=1", "STATUS=stopping")

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()
            self.socket = None


def watchdog_interval() -> float | None:
    """Half of systemd's WatchdogSec (``$WATCHDOG_USEC``) in seconds, if it is meant for us."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        value = int(usec)
    except ValueError:
        return None
    return value / 2_000_000 if value > 0 else None
