"""The ``connect5`` command's entry point: a ``today`` answered without click, else the CLI.

Kept apart from ``daemon.cli`` so that ``connect5 today``, run many times a day,
costs the interpreter's start-up and the work alone: the running daemon answers
it (``daemon.control``), or else this process does, with the daemon's own code
(``daemon.today_report.answer_here``). Anything else, and whatever those leave
(a mistake to report, ``--help``), is click's.
"""

from __future__ import annotations

import sys

ANSWERED_BY_THE_DAEMON = "answered by the running daemon"


def main() -> None:
    tolerant_output()
    from daemon import control

    read = control.read_command(sys.argv[1:])
    if read is not None:
        command, options, fields = read
        answered = _without_click(command, options, fields)
        if answered is not None:
            answer, note = answered
            sys.exit(control.show(answer, note if options.get("verbose") else ""))
    from daemon import cli

    cli.main()


def _without_click(command: str, options: dict[str, str], fields: list[str]):
    """(answer, note) from the running daemon, else from this process; None leaves the command to click."""
    from daemon import control

    try:
        answer = control.ask_daemon(command, options, fields)
    except OSError:  # the paths cannot be worked out (a deleted working folder): click says why
        return None
    if answer is not None:
        return answer, ANSWERED_BY_THE_DAEMON
    from daemon import today_report  # today: the one command read_command reads

    answer = today_report.answer_here(options, fields)
    return (answer, "") if answer is not None else None


def tolerant_output() -> None:
    """Output every command can write: characters the encoding cannot show print as "?", a closed stream discards.

    stdout is strict by default, so one such name (a Latin-1 terminal, an emoji)
    would end the command in a traceback after its work was done; and Python
    starts with ``sys.stdout`` (or ``sys.stderr``) None when that descriptor was
    closed (``>&-``), which every write and ``isatty`` would trip on. Said once
    here, for both ways a command answers.
    """
    import os

    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the life of the process
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
