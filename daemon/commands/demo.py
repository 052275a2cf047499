"""``connect5 demo``: the whole loop on a generated network, offline, then the funnel it built."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from daemon.cli import UserError, echo_json, json_option


@click.command()
@click.option("--contacts", default=500, show_default=True, type=click.IntRange(10, 2000),
              help="Size of the generated network.")
@click.option("--days", default=10, show_default=True, type=click.IntRange(1, 60), help="Workdays to simulate.")
@click.option("--seed", default=1, show_default=True, type=int, help="Same seed, same run.")
@click.option("--dir", "directory", type=click.Path(path_type=Path), help="Build the home here (default: a new temp dir).")
@click.option("--start", metavar="YYYY-MM-DD", help="First simulated day (default: ends the week before this one).")
@json_option
def demo(contacts: int, days: int, seed: int, directory: Path | None, start: str | None, as_json: bool) -> None:
    """Build a home with a generated network, Maildir and calendar, and run the real daemon over it."""
    from daemon import demo as demo_package

    if directory is not None and directory.exists() and not directory.is_dir():
        raise UserError(f"{directory} is not a folder; give a new or empty folder to --dir")
    if directory is not None and directory.exists() and any(directory.iterdir()):
        raise UserError(f"{directory} is not empty; give a new or empty folder to --dir")
    if directory is not None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            probe = directory / ".connect5-demo-probe"
            probe.write_text("")
            probe.unlink()
        except OSError as error:
            raise UserError(f"cannot build the demo in {directory}: {error.strerror or error}") from None
    settings = demo_package.Settings(contacts=contacts, days=days, seed=seed, directory=directory,
                                     start=_start(start))
    on_day = None if as_json else _print_day
    if not as_json:
        click.echo(f"connect5 demo: {contacts} generated contacts, {days} workdays, seed {seed}")
    result = demo_package.run(settings, on_day=on_day)
    if as_json:
        echo_json({key: value for key, value in result.items() if key != "stats"})
        return
    _print_end(result)


def _start(text: str | None) -> date | None:
    from daemon.cli import parse_day

    return parse_day(text, "--start") if text else None


def _print_day(report) -> None:
    funnel = " → ".join(str(count) for count in report.funnel.values())
    click.echo(
        f"  {report.day:%a %Y-%m-%d}  {report.picked} picked · you wrote {_count(report.emailed, 'e-mail')},"
        f" {report.linkedin} on LinkedIn · in came {_count(report.replies, 'reply', 'replies')},"
        f" {_count(report.linkedin_replies, 'LinkedIn message')}, {_count(report.bookings, 'booking')}"
        f" · funnel {funnel}"
    )


def _count(number: int, one: str, many: str = "") -> str:
    return f"{number} {one if number == 1 else many or one + 's'}"


def _print_end(result: dict) -> None:
    from daemon.commands.stats import render_coverage, render_funnel

    stats = result["stats"]
    click.echo("")
    click.echo(f"What the daemon detected, {result['start']} to {result['end']}:")
    for line in render_funnel(stats)[1:] + [""] + render_coverage(stats):
        click.echo(line)
    home = result["home"]
    click.echo("")
    click.echo(f"Block calendar: {result['calendar']}  (subscribe to it in any calendar app)")
    click.echo(f"Home: {home}")
    if result["review"]:
        click.echo(f"{_count(result['review'], 'match was', 'matches were')} not guessed:"
                   f" connect5 --home {home} review")
    click.echo(f"Look around: connect5 --home {home} stats | today | contacts list")
    click.echo(f"Done in {result['seconds']:.1f} s")
