"""Planting a foreign value at a queue's key through a backend's own client.

The contract's R16 test needs a key of the wrong type; the Redis backends keep their
client, so the tests borrow it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from redis_message_queue.core.ports import AsyncBackend, SyncBackend


class PlantsThroughTheClient:
    """Mixin for contract subclasses whose backend holds a Redis-protocol client."""

    @pytest.fixture
    def plant_foreign_value(
        self, backend: SyncBackend | AsyncBackend, contract_runner: asyncio.Runner
    ) -> Callable[[str], None]:
        """Write a plain string at ``key`` with the backend's own client."""
        client = backend._client  # type: ignore[union-attr]

        def plant(key: str) -> None:
            result = client.set(key, "planted by another program")
            if asyncio.iscoroutine(result):
                contract_runner.run(result)

        return plant
