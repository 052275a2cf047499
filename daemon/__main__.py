"""``python -m daemon``: the same as the ``connect5`` command."""

from daemon.entry import main

main()
