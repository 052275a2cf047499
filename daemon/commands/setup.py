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
    from daemon import config as config_module
    from connectors.files import private_dir, write_private

    home = app.home
    target: Path = home.config_file
    if target.is_dir():
        raise UserError(f"{target} is a folder; a config file goes there (move the folder away)")
    if target.exists() and not force:
        raise UserError(f"{target} exists; edit it, or use --force to start again")
    text = example_text()
    if name:
        text = text.replace('name = ""', f"name = {toml_string(name)}", 1)
    if emails:
        text = text.replace("emails = []", f"emails = [{', '.join(toml_string(email) for email in emails)}]", 1)
    if linkedin_url:
        text = text.replace('linkedin_url = ""', f"linkedin_url = {toml_string(linkedin_url)}", 1)
    try:
        config_module.load_text(text, target)  # what init writes must load: refused before anything is written
    except config_module.ConfigError as error:
        raise UserError(f"not written: {'; '.join(error.problems) or error}") from None
    try:
        # The folders first: a config written beside a data folder that cannot be made
        # would leave a half-done setup that the next `init` refuses to redo.
        private_dir(home.data_dir)
        private_dir(home.tokens_dir)
        write_private(target, text)
    except OSError as error:
        raise UserError(f"cannot write {error.filename or target}: {error.strerror or error}") from None
    click.echo(f"wrote {target}")
    click.echo("next: connect5 import linkedin ~/Downloads/Basic_LinkedInDataExport_….zip, then connect5 today")


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string: quotes, backslashes and control characters escaped, the rest as is."""
    escaped = []
    for character in text:
        if character in '"\\':
            escaped.append("\\" + character)
        elif ord(character) < 0x20 or ord(character) == 0x7F:
            escaped.append(f"\\u{ord(character):04x}")
        else:
            escaped.append(character)
    return '"' + "".join(escaped) + '"'
