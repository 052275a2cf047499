"""``connect5 today``: the day's five, why each was picked, and the block written.

Run many times a day, so it is mostly answered before click is even imported:
by the running daemon (``daemon.control``), or by the ``connect5`` entry point
itself (``daemon.today_report.answer_here``). This click command runs for the
rest: ``--restart-block``, ``--help``, a mistake to report. All three print
with ``daemon.today_report``.
"""

from __future__ import annotations

import click

from daemon.cli import UserError, json_option, parse_day, pass_app


@click.command()
@click.option("--date", "given", metavar="YYYY-MM-DD", help="Another day (default: today in your zone).")
@click.option("--no-block", is_flag=True, help="Pick but do not write the block.")
@click.option("--restart-block", is_flag=True, help="Start a new block series after you deleted the old one.")
@json_option
@pass_app
def today(app, given: str | None, no_block: bool, restart_block: bool, as_json: bool) -> None:
    """Show the day's five (choosing them if not yet chosen) and write the day's block."""
    from daemon import today_report

    if given:
        parse_day(given)
    config, store = app.config, app.store()
    try:
        today_report.report(config, store, app.home, given, no_block=no_block, restart_block=restart_block,
                            as_json=as_json, echo=click.echo)
    except today_report.PastDayError as error:
        raise UserError(str(error)) from None
