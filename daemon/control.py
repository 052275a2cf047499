"""Asking the running daemon: a command answered by the process that already has everything loaded.

``connect5 today`` is run many times a day, and most of its time would go to
starting Python and importing click, the store, the config reader and the
picker. When ``connect5 run`` is running it has all of that loaded and owns the
store, so ``today`` asks it over a Unix socket in the data folder (a 0700
folder: only the user can reach it) and prints the answer. When no daemon
answers (none running, a stale socket, another config or clock, busy for longer
than ``ANSWER_TIMEOUT``), the command does the work itself, as before.

This module is the asking side and the wire format. The ``connect5`` entry
point (``daemon.entry``) asks before it imports click: ``read_command`` knows
the few spellings of an askable command line (``ASKABLE``), and anything else
(``--help``, a typo, an option it does not know) is left to click. It imports
nothing heavy, and the socket module only when a daemon may be there:
``_socket``, the C module under ``socket``, which loads in under 1 ms where
``socket`` takes 4-8 ms building its enums. ``daemon.control_server`` is the
answering side.

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

# The command line ``read_command`` accepts: ``connect5 [GLOBAL...] COMMAND [OPTION...]``, with the
# options ``daemon.cli.main`` and the command define; a value option as "--name VALUE" or "--name=VALUE".
GLOBAL_FLAGS = {"-v": "verbose", "--verbose": "verbose"}
GLOBAL_VALUES = {"--home": "home", "--config": "config"}
# Command -> its options, each with whether it takes a value, in the order of the question's fields
# (today's: --date's value, then "1" or "" for --no-block and --json).
ASKABLE = {
    "today": {"--date": True, "--no-block": False, "--json": False},
}


def read_command(arguments: list[str]) -> tuple[str, dict[str, str], list[str]] | None:
    """(command, global options, the question's fields) of a command line the daemon may answer, else None.

    Global options are "home", "config" and "verbose" (present: "1"). Later values
    win, as with click. None for anything not spelt as ``ASKABLE`` says: click
    then reads the line, and tells a mistake the way it always does.
    """
    options: dict[str, str] = {}
    position = _options(arguments, 0, GLOBAL_FLAGS, GLOBAL_VALUES, options)
    if position is None or position >= len(arguments) or arguments[position] not in ASKABLE:
        return None
    command = arguments[position]
    known = ASKABLE[command]
    flags = {name: name for name, takes_value in known.items() if not takes_value}
    values = {name: name for name, takes_value in known.items() if takes_value}
    given: dict[str, str] = {}
    if _options(arguments, position + 1, flags, values, given) != len(arguments):
        return None  # an argument, "--", or an option it does not know
    return command, options, [given.get(name, "") for name in known]


def _options(arguments: list[str], position: int, flags: dict[str, str], values: dict[str, str],
             into: dict[str, str]) -> int | None:
    """Read options from ``position`` into ``into``; where they stop, or None at one missing its value."""
    while position < len(arguments):
        argument = arguments[position]
        name, equals, value = argument.partition("=")
        if argument in flags:
            into[flags[argument]] = "1"
        elif name in values and equals:
            into[values[name]] = value
        elif argument in values:
            if position + 1 >= len(arguments):
                return None
            position += 1
            into[values[argument]] = arguments[position]
        else:
            return position
        position += 1
    return position


def ask_daemon(command: str, options: dict[str, str], fields: list[str]) -> tuple[int, str, str] | None:
    """``ask`` the daemon of the config and data folder that ``read_command``'s ``options`` name."""
    from daemon import where

    config_file, data_dir = where.locate(options.get("home"), options.get("config"))
    return ask(where.control_socket(data_dir), config_file, command, fields)


def show(answer: tuple[int, str, str], note: str = "") -> int:
    """Print an answer (and ``note`` on stderr after it, if any); its exit status."""
    import sys

    status, out, err = answer
    try:
        _write(sys.stdout, out)
    except BrokenPipeError:
        # `connect5 today | head -1`: the reader has what it wanted; no failure (see daemon.cli).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as error:  # > /dev/full: said as daemon.cli says it
        if not output_full(error):
            raise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        _write(sys.stderr, f"connect5: cannot write the output: {error.strerror}\n")
        return 1
    _write(sys.stderr, err + (f"connect5: {note}\n" if note else ""))
    return status


def output_full(error: OSError) -> bool:
    """True when writing stdout failed for want of space (``> /dev/full``, a full disk): no bug to trace back."""
    import errno

    return error.errno in (errno.ENOSPC, errno.EDQUOT) and not error.filename


def _write(stream, text: str) -> None:
    """``text`` to ``stream`` as ``click.echo`` writes it: a stream left at ASCII gets UTF-8, others their encoding.

    What the encoding cannot show is replaced, as ``daemon.entry`` has the CLI's own output do.
    """
    if not text:
        return
    import codecs

    encoding = stream.encoding or "utf-8"
    if codecs.lookup(encoding).name == "ascii":
        encoding = "utf-8"
    stream.buffer.write(text.encode(encoding, "replace"))
    stream.flush()


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
