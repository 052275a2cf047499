"""The ``connect5`` command's entry point: the running daemon answers if it can, else the CLI runs.

Kept apart from ``daemon.cli`` so that a command the daemon answers (see
``daemon.control``) costs the interpreter's start-up and one question, without
importing click or anything of connect5's own beyond what asking needs.
"""

from __future__ import annotations

import sys


def main() -> None:
    from daemon import control

    status = control.answer_from_daemon(sys.argv[1:])
    if status is not None:
        sys.exit(status)
    from daemon import cli

    cli.main()
