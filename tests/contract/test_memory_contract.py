"""The packaged contract suite on the in-memory backend, sync and asyncio."""

from __future__ import annotations

import pytest

from redis_message_queue.adapters.memory import (
    AsyncMemoryBackend,
    MemoryStore,
    SyncMemoryBackend,
)
from redis_message_queue.contract_tests import BackendContract
from redis_message_queue.core.clock import ManualClock
from redis_message_queue.core.ports import AsyncBackend, SyncBackend


@pytest.fixture(params=["sync", "asyncio"])
def flavour(request: pytest.FixtureRequest) -> str:
    """Which flavour of the backend the suite drives."""
    return str(request.param)


class TestMemoryBackendWithManualClock(BackendContract):
    """Leases and dedup windows measured by a clock the tests move."""

    @pytest.fixture
    def backend(self, flavour: str) -> SyncBackend | AsyncBackend:
        store = MemoryStore(ManualClock())
        if flavour == "sync":
            return SyncMemoryBackend(store)
        return AsyncMemoryBackend(store)


class TestMemoryBackendWithSystemClock(BackendContract):
    """The same rules with real time passing, as users' integration tests see it."""

    @pytest.fixture
    def backend(self, flavour: str) -> SyncBackend | AsyncBackend:
        if flavour == "sync":
            return SyncMemoryBackend(decode_responses=True)
        return AsyncMemoryBackend(decode_responses=True)
