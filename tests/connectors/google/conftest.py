"""Fixtures: a fake Google on 127.0.0.1 with a shared fake clock, token files, contexts."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes.google import FakeGoogle
from fakes.google.clock import FakeClock

from connectors.base import SourceContext
from connectors.google import CALENDAR_EVENTS, CALENDAR_EVENTS_READONLY, GMAIL_METADATA

ME = "me@example.com"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock):
    with FakeGoogle(clock=clock.monotonic, now=clock.now, address=ME) as server:
        yield server


@pytest.fixture
def tokens_dir(tmp_path: Path, fake: FakeGoogle) -> Path:
    folder = tmp_path / "tokens"
    fake.token_file(folder, [GMAIL_METADATA, CALENDAR_EVENTS_READONLY, CALENDAR_EVENTS])
    return folder


@pytest.fixture
def context(tmp_path: Path, tokens_dir: Path, clock: FakeClock) -> SourceContext:
    return SourceContext(name="gmail", own_addresses=frozenset({ME}), data_dir=tmp_path, tokens_dir=tokens_dir,
                         timezone="Europe/London", now=clock.now)
