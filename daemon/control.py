"""Asking the running daemon: a command answered by the process that already has everything loaded.

``connect5 today`` is run many times a day, and most of its time would go to
starting Python and importing the store, the config reader and the picker. When
``connect5 run`` is running it has all of that loaded and owns the store, so
``today`` asks it over a Unix socket in the data folder (a 0700 folder: only the
user can reach it) and prints the answer. When no daemon answers (none running,
a stale socket, another config or clock, busy for longer than
``ANSWER_TIMEOUT``), the command does the work itself, as before. This module
is the asking side and the wire format; it imports nothing heavy, and the
socket module only when a daemon may be there: ``_socket``, the C module under
``socket``, which loads in under 1 ms where ``socket`` takes 4-8 ms building its
enums, a tenth of what asking is there to save. ``daemon.control_server`` is the answering side.

The wire format. A question: NUL-separated fields (``VERSION``, the command,
the config file, the ``ENVIRONMENT``, then the command's own), ended by the client shutting down its sending half.
An answer: ``b"<exit status> <stdout length>\\n"``, stdout, then stderr, both
UTF-8. A daemon that will not answer this question closes the connection
without a word.
"""

from __future__ import annotations

import os

VERSION = "connect5-control/1"
ANSWER_TIMEOUT = 3.0  # seconds to wait for the daemon (busy with a long sync?) before working alone
MAX_QUESTION = 64 * 1024
# Variables that change an answer: the daemon answers only when its own are the same.
ENVIRONMENT = ("CONNECT5_NOW", "TZ")


def ask(socket_path: str, config_file: str, command: str, fields: list[str]) -> tuple[int, str, str] | None:
    """The daemon's (exit status, stdout, stderr) for ``command``, or None to work without it.

    A daemon answers only with the config file the command would read, and only
    when the ``ENVIRONMENT`` it runs with is the command's.
    """
    if not os.path.exists(socket_path):
        return None
    import _socket

    environment = (os.environ.get(name, "") for name in ENVIRONMENT)
    try:
        question = "\0".join([VERSION, command, config_file, *environment, *fields]).encode()
    except UnicodeEncodeError:  # a path or TZ that is not UTF-8: not for the wire
        return None
    try:
        connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    except OSError:
        return None
    try:
        connection.settimeout(ANSWER_TIMEOUT)
        connection.connect(socket_path)
        connection.sendall(question)
        connection.shutdown(_socket.SHUT_WR)
        received = bytearray()
        while chunk := connection.recv(65536):
            received += chunk
    except OSError:  # refused (a stale socket), timed out, reset: on our own, then
        return None
    finally:
        connection.close()
    return parse_answer(bytes(received))


def parse_question(data: bytes) -> tuple[str, str, dict[str, str], list[str]] | None:
    """(command, config file, environment, fields) of a question, or None when it is not one this version asks."""
    try:
        parts = data.decode().split("\0")
    except UnicodeDecodeError:
        return None
    first = 3 + len(ENVIRONMENT)  # the command's own fields
    if len(parts) < first or parts[0] != VERSION:
        return None
    return parts[1], parts[2], dict(zip(ENVIRONMENT, parts[3:first])), parts[first:]


def same_environment(environment: dict[str, str]) -> bool:
    return all(os.environ.get(name, "") == environment.get(name) for name in ENVIRONMENT)


def format_answer(status: int, out: str, err: str) -> bytes:
    body = out.encode()
    return f"{status} {len(body)}\n".encode() + body + err.encode()


def parse_answer(data: bytes) -> tuple[int, str, str] | None:
    head, newline, rest = data.partition(b"\n")
    try:
        status, length = (int(part) for part in head.split(b" "))
        if not newline or length > len(rest):
            return None
        return status, rest[:length].decode(), rest[length:].decode()
    except ValueError:  # nothing (the daemon declined), or not an answer
        return None
