"""An address on 127.0.0.1 where nothing listens: a network that is down, without leaving the machine."""

from __future__ import annotations

import socket


def closed_port() -> int:
    """A loopback port that was free a moment ago; connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
