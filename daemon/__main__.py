"""``python -m daemon``: the same as the ``connect5`` command."""

from daemon.cli import main

main()
