"""Fixtures: a fake Graph on 127.0.0.1 over HTTPS, and a mailbox signed in to it."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from fakes.graph import FakeGraph

from connectors.base import SourceContext
from connectors.outlook.calendar import OutlookCalendarSource
from connectors.outlook.mail import OutlookMailSource

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)  # a Monday
ME = "me@example.com"


@pytest.fixture
def graph():
    with FakeGraph(username=ME) as fake:
        yield fake


def account_options(graph: FakeGraph, **extra) -> dict:
    return {
        "client_id": "11111111-2222-3333-4444-555555555555",
        "tenant": "organizations",
        "authority": graph.authority,
        "graph_url": graph.url,
        "ca_bundle": str(graph.ca_path),
        **extra,
    }


def sign_in(graph: FakeGraph, tokens_dir: Path) -> str:
    """Run the device-code flow against the fake, as `connect5 auth outlook` does."""
    from connectors.outlook import auth
    from connectors.outlook.mail import OutlookMailSource

    options = OutlookMailSource.Options(**account_options(graph))
    account = auth.resolve(options, tokens_dir)
    scopes = auth.qualified(account.graph_url, ("Mail.ReadBasic", "Calendars.ReadWrite"))
    username = auth.SignIn(account).device_flow(scopes, show=lambda message: None)
    auth.record_sign_in(tokens_dir, options.client_id, options.tenant, username)
    return username


@pytest.fixture
def tokens_dir(graph, tmp_path) -> Path:
    folder = tmp_path / "tokens"
    sign_in(graph, folder)
    return folder


def context(tmp_path: Path, tokens_dir: Path, name: str = "outlook", now=NOW) -> SourceContext:
    return SourceContext(
        name=name, own_addresses=frozenset({ME}), data_dir=tmp_path, tokens_dir=tokens_dir,
        timezone="Europe/London", now=lambda: now,
    )


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
