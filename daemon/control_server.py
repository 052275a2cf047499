"""The answering side of ``daemon.control``: commands' questions, answered by the run loop.

A thread accepts connections on the control socket and reads each question;
the run loop, the one thread that owns the store, answers it (``Daemon.answer``)
between syncs, and the thread sends the answer back. A question the loop does
not reach within ``ANSWER_WAIT`` (a long first backfill) is dropped: the
command has given up by then and works on its own.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from daemon import control

log = logging.getLogger(__name__)

ANSWER_WAIT = control.ANSWER_TIMEOUT
READ_TIMEOUT = 1.0  # a client that connects and says nothing does not hold the next one up


@dataclass
class Question:
    command: str
    config_file: str
    environment: dict[str, str]
    fields: list[str]
    answer: bytes = b""  # empty: declined
    answered: threading.Event = field(default_factory=threading.Event)
    abandoned: bool = False  # the asker's wait is over: not worth answering any more


class ControlServer:
    """Listen on ``path`` and hand each question to ``post("ask", question)``."""

    def __init__(self, path: Path, post: Callable[[str, object], None]):
        self.path = path
        self.post = post
        if path.is_socket():
            path.unlink()  # a socket left by a daemon that died: we hold the daemon lock now
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.listener.bind(str(path))
            os.chmod(path, 0o600)
            self.listener.listen(64)  # a burst of `today`s waits its turn
        except OSError:
            self.listener.close()
            raise
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, name="connect5-control", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopping = True
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() in the thread
        except OSError:
            pass
        self.thread.join(timeout=ANSWER_WAIT + READ_TIMEOUT + 1)
        self.listener.close()
        try:
            self.path.unlink()
        except OSError:
            pass

    def _serve(self) -> None:
        while not self.stopping:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                if self.stopping:
                    return
                log.exception("control socket failed; commands work without the daemon")
                return
            with connection:
                try:
                    self._handle(connection)
                except OSError as error:  # the asker went away: its loss
                    log.debug("control connection: %s", error)

    def _handle(self, connection: socket.socket) -> None:
        connection.settimeout(READ_TIMEOUT)
        received = bytearray()
        while len(received) <= control.MAX_QUESTION and (chunk := connection.recv(65536)):
            received += chunk
        parsed = control.parse_question(bytes(received))
        if parsed is None or len(received) > control.MAX_QUESTION:
            log.debug("control socket: not a question, ignored")
            return
        question = Question(*parsed)
        self.post("ask", question)
        if not question.answered.wait(ANSWER_WAIT):
            question.abandoned = True
            return
        if question.answer:
            connection.settimeout(ANSWER_WAIT)
            connection.sendall(question.answer)


def start(path: Path, post: Callable[[str, object], None]) -> ControlServer | None:
    """A server on ``path``, or None (logged) when the socket cannot be made: commands then work alone."""
    try:
        return ControlServer(path, post)
    except OSError as error:  # a path over the 107 bytes a socket may have, a read-only folder
        log.warning("commands cannot ask the daemon (%s: %s); they work on their own", path, error)
        return None
