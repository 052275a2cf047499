"""Fixtures: a fake Graph on 127.0.0.1 over HTTPS, and a mailbox signed in to it."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes.graph import FakeGraph
from fakes.graph.wiring import ME, NOW, account_options, context, sign_in

from connectors.outlook.block import OutlookBlockWriter
from connectors.outlook.calendar import OutlookCalendarSource
from connectors.outlook.mail import OutlookMailSource


@pytest.fixture
def graph():
    with FakeGraph(username=ME) as fake:
        yield fake


@pytest.fixture
def tokens_dir(graph, tmp_path) -> Path:
    folder = tmp_path / "tokens"
    sign_in(graph, folder)
    return folder


@pytest.fixture
def mail_source(graph, tokens_dir, tmp_path):
    def build(now=NOW, **extra) -> OutlookMailSource:
        options = OutlookMailSource.Options(**account_options(graph, **extra))
        return OutlookMailSource(options, context(tmp_path, tokens_dir, "outlook-mail", now))
    return build


@pytest.fixture
def calendar_source(graph, tokens_dir, tmp_path):
    def build(now=NOW, **extra) -> OutlookCalendarSource:
        options = OutlookCalendarSource.Options(**account_options(graph, **extra))
        return OutlookCalendarSource(options, context(tmp_path, tokens_dir, "outlook-calendar", now))
    return build


@pytest.fixture
def block_writer(graph, tokens_dir, tmp_path):
    def build(**extra) -> OutlookBlockWriter:
        options = OutlookBlockWriter.Options(**account_options(graph, **extra))
        return OutlookBlockWriter(options, context(tmp_path, tokens_dir, "block"))
    return build
