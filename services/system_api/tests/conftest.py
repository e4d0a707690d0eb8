"""Fixtures of the system-api tests: the in-process stack and an edge replica on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.system_api.tests.support import KEYS, Client, Edge


@pytest.fixture
async def edge(tmp_path: Path) -> AsyncIterator[Edge]:
    from tests.inprocess import start_stack  # the whole stack: imported only by tests using it

    async with start_stack(tmp_path, keys=KEYS) as stack:
        e = Edge(stack, stack.home / "api_keys.json")
        try:
            yield e
        finally:
            await e.close()


@pytest.fixture
async def client(edge: Edge) -> Client:
    """A client of an edge replica with default settings."""
    return await edge.replica()
