"""CPython's e-mail test messages (bounces, groups, odd charsets, broken MIME) through the Maildir source.

Every readable message arrives, every unreadable one is named in the log with
its path and why, nothing raises and nothing hangs; also end to end through
``connect5 sync``.
"""

from __future__ import annotations

import json
import logging

import pytest
from hostile.helpers import BAD_MAIL, deadline, mail_corpus, stage_maildir

from connectors.base import SourceContext
from connectors.maildir import MaildirSource


def _source(root, name="mail") -> MaildirSource:
    options = MaildirSource.Options(path=[str(root)], backfill_months=0)
    return MaildirSource(options, SourceContext(name=name, own_addresses=frozenset({"aperson@dom.ain"})))


def test_corpus_has_its_licence_and_source():
    folder = mail_corpus()[0].parent
    assert (folder / "LICENSE").read_text().startswith("A. HISTORY OF THE SOFTWARE")
    assert "test_email/data" in (folder / "SOURCE.md").read_text()


def test_every_readable_message_arrives_and_every_bad_one_is_named(tmp_path, caplog):
    messages = mail_corpus()
    placed = stage_maildir(tmp_path / "Maildir", messages)
    by_name = {path.name: unique for unique, path in zip(placed, messages)}
    caplog.set_level(logging.WARNING, logger="connectors")
    with deadline(10):
        items = [item for batch in _source(tmp_path / "Maildir").sync(None) for item in batch.items]
    good = {unique for name, unique in by_name.items() if name not in BAD_MAIL}
    assert {item.external_id for item in items} == good
    assert len(items) == len(messages) - len(BAD_MAIL) == 41
    for name, reason in BAD_MAIL.items():
        path = str(placed[by_name[name]])
        assert any(path in record.getMessage() and reason in record.getMessage() for record in caplog.records), name


def test_a_second_sync_repeats_nothing_and_reports_nothing_again(tmp_path, caplog):
    stage_maildir(tmp_path / "Maildir", mail_corpus())
    source = _source(tmp_path / "Maildir")
    cursor = None
    for batch in source.sync(None):
        cursor = batch.cursor
    caplog.clear()
    caplog.set_level(logging.WARNING, logger="connectors")
    again = [item for batch in source.sync(cursor) for item in batch.items]
    assert again == []
    assert not [record for record in caplog.records if "Skipping" in record.getMessage()]


@pytest.mark.parametrize("name", ["msg_16.txt", "msg_24.txt", "msg_26.txt", "msg_32.txt"])
def test_odd_headers_give_best_effort_values(tmp_path, name):
    """Duplicate headers, RFC 2231 names, charsets Python does not know: values, not errors."""
    stage_maildir(tmp_path / "Maildir", [mail_corpus()[0].parent / name])
    (item,) = [item for batch in _source(tmp_path / "Maildir").sync(None) for item in batch.items]
    assert item.sent_at.tzinfo is not None
    assert isinstance(item.subject, str)


def test_connect5_sync_of_the_corpus_imports_the_good_and_names_the_bad(cli, tmp_path):
    placed = stage_maildir(tmp_path / "Maildir", mail_corpus())
    cli.write_config(
        f'[me]\nemails = ["aperson@dom.ain"]\n\n[[sources]]\nname = "corpus"\ntype = "maildir"\n'
        f'path = ["{tmp_path / "Maildir"}"]\nbackfill_months = 0\n'
    )
    result = cli.process("sync", "--json")
    assert result.returncode == 0, result.stderr
    (outcome,) = json.loads(result.stdout)
    assert outcome["items"] == 41 and outcome["error"] == ""
    assert "Traceback" not in result.stderr
    skipped = [line for line in result.stderr.splitlines() if "Skipping" in line]
    assert len(skipped) == len(BAD_MAIL)
    assert all(any(str(path) in line for path in placed.values()) for line in skipped)
