"""A server on 127.0.0.1 that accepts connections and never answers: a network swallowing packets.

Unlike a closed port (refused at once), every request here waits for its whole
timeout, which is what makes retries long in the field. Used by the Google and
the Graph tests alike.
"""

from __future__ import annotations

import socket
import threading


class SilentServer:
    """``with SilentServer() as silent:`` — ``silent.url``; ``silent.accepted`` counts connections."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.accepted = 0
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, name="silent-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/"

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed: the test is over
                return
            self.connections.append(connection)  # held open, never read from or written to
            self.accepted += 1

    def __enter__(self) -> SilentServer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.listener.close()
        for connection in self.connections:
            connection.close()
        self.thread.join(timeout=1)
