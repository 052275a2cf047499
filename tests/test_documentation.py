"""Every command is in the README, and every doc the README links exists."""

import re
from pathlib import Path

import pytest

from daemon.cli import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_appears_in_the_readme(command):
    assert f"connect5 {command}" in README


def test_every_linked_document_exists():
    links = re.findall(r"\]\(([^)#]+)\)", README)
    assert links
    for link in links:
        if not link.startswith("http"):
            assert (ROOT / link).exists(), link


def test_the_quick_start_has_exactly_two_commands():
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    assert [block.strip().count("\n") for block in blocks] == [0, 0]
    assert "connect5 demo" in blocks[0] and blocks[1].strip() == "scripts/test"
    assert (ROOT / ".ci" / "run").read_text().count("scripts/test") == 1
