"""``connect5 import linkedin|vcard PATH``: bring the network into the store."""

from __future__ import annotations

from pathlib import Path

import click

from daemon.cli import LazyGroup, UserError, echo_json, json_option, pass_app


@click.group("import", cls=LazyGroup, lazy={})
def import_group() -> None:
    """Import your network: a LinkedIn export (zip, folder or Connections.csv), vCards."""


@import_group.command("linkedin")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--quiet", is_flag=True, help="Only the summary line.")
@click.option("--add-only", is_flag=True, help="Add and update the people in it; mark nobody gone.")
@click.option("--mark-gone", is_flag=True,
              help="Take it as your whole network even if it lacks most of it: the rest are marked gone.")
@json_option
@pass_app
def linkedin(app, path: Path, quiet: bool, add_only: bool, mark_gone: bool, as_json: bool) -> None:
    """Import a LinkedIn data export: contacts, and messages as interactions.

    The export is your network as it is now: people no longer in it are marked
    gone (kept, never picked). One that would mark more than half of your network
    gone, or that looks older than what you imported before, is refused unless
    --add-only or --mark-gone says what you mean.
    """
    from connectors.base import NotAnExportError
    from connectors.linkedin import read_export
    from daemon import clock, importer

    if not path.exists():
        raise UserError(f"{path}: no such file or folder")
    try:
        export = read_export(path, owner_url=app.config.me.linkedin_url or None, now=clock.now())
    except NotAnExportError as error:
        raise UserError(str(error)) from None
    if add_only and mark_gone:
        raise click.UsageError("--add-only and --mark-gone ask for opposite things: give one")
    store = app.store()
    try:
        summary = importer.import_linkedin(
            store, export, mark_gone="none" if add_only else "all" if mark_gone else "guarded")
    except importer.RefusedExportError as error:
        raise UserError(f"{path}: {error}") from None
    _report(summary, as_json, quiet)


@import_group.command("vcard")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--quiet", is_flag=True, help="Only the summary line.")
@click.option("--only-known", is_flag=True,
              help="Only add addresses to people already in your network; a card that names nobody is left out.")
@json_option
@pass_app
def vcard(app, path: Path, quiet: bool, only_known: bool, as_json: bool) -> None:
    """Import vCards (2.1, 3.0, 4.0).

    A card that names one contact (by LinkedIn profile, address or name) adds its
    addresses to them; a card with an address that names nobody becomes a new
    contact, unless --only-known. Your own card is left out.
    """
    from connectors.base import NotAnExportError
    from connectors.vcard import read_vcards
    from daemon import importer

    if not path.exists():
        raise UserError(f"{path}: no such file")
    try:
        result = read_vcards(path)
    except NotAnExportError as error:
        raise UserError(str(error)) from None
    me = app.config.me
    summary = importer.import_vcards(app.store(), result, add_new=not only_known, own_addresses=me.emails,
                                     own_profile=_profile(me.linkedin_url))
    _report(summary, as_json, quiet)


def _report(summary: dict, as_json: bool, quiet: bool) -> None:
    if as_json:
        echo_json(summary)
        return
    click.echo(summary["line"])
    if quiet:
        return
    for problem in summary["skipped"]:
        click.echo(f"  skipped {problem}")
    for note in summary["notes"]:
        click.echo(f"  {note}")


def _profile(url: str) -> str:
    from connectors.linkedin import normalise_profile_url

    try:
        return normalise_profile_url(url) if url else ""
    except ValueError:
        return ""
