"""``connect5 init``: write a config file from the documented example."""

from __future__ import annotations

from pathlib import Path

import click

from daemon.cli import UserError, pass_app


def example_text() -> str:
    """The shipped config.example.toml (package data, a link to the top-level file)."""
    from importlib import resources

    return resources.files("daemon").joinpath("data/config.example.toml").read_text(encoding="utf-8")


@click.command()
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@click.option("--name", default="", help="Your name.")
@click.option("--email", "emails", multiple=True, help="Your address (repeat for aliases).")
@click.option("--linkedin-url", default="", help="Your LinkedIn profile URL.")
@pass_app
def init(app, force: bool, name: str, emails: tuple[str, ...], linkedin_url: str) -> None:
    """Write the config file (XDG config, or DIR/config.toml with --home) and the data folder."""
    import json

    from daemon import config as config_module
    from daemon.paths import private_dir, write_private

    home = app.home
    target: Path = home.config_file
    if target.exists() and not force:
        raise UserError(f"{target} exists; edit it, or use --force to start again")
    text = example_text()
    if name:
        text = text.replace('name = ""', f"name = {json.dumps(name)}", 1)
    if emails:
        text = text.replace("emails = []", f"emails = {json.dumps(list(emails))}", 1)
    if linkedin_url:
        text = text.replace('linkedin_url = ""', f"linkedin_url = {json.dumps(linkedin_url)}", 1)
    config_module.load_text(text, target)
    write_private(target, text)
    private_dir(home.data_dir)
    private_dir(home.tokens_dir)
    click.echo(f"wrote {target}")
    click.echo("next: connect5 import linkedin ~/Downloads/Basic_LinkedInDataExport_….zip, then connect5 today")
