"""Shared fixtures: a running sandbox tenant (real WinRM endpoint on loopback) per test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.sandbox.embedded import SandboxConnection, running_sandbox


@pytest.fixture(scope="module", params=["http", "https"])
def sandbox(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SandboxConnection]:
    """The showcase tenant served over HTTP and over HTTPS (two runs of each test using it)."""
    state_dir: Path = tmp_path_factory.mktemp("tenant") / "state"
    with running_sandbox(state_dir, https=request.param == "https") as connection:
        yield connection


@pytest.fixture
def fresh_sandbox(tmp_path: Path) -> Iterator[SandboxConnection]:
    """A showcase tenant of the test's own (for tests that change or inspect state)."""
    with running_sandbox(tmp_path / "state") as connection:
        yield connection
