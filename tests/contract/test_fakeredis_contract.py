"""The packaged contract suite on the Redis backend over fakeredis (rule S5).

A quick target that needs no server: fakeredis runs our Lua scripts with lupa. Where
it differs from a real server, the test is skipped with the difference as reason
(listed in docs/contract-suite.md); every other rule must hold.
"""

from __future__ import annotations

from collections.abc import Iterator

import fakeredis
import pytest

from redis_message_queue.adapters.redis import SyncRedisBackend
from redis_message_queue.contract_tests import BackendContract
from redis_message_queue.core.ports import Capability
from tests.contract.planting import PlantsThroughTheClient

NO_CROSS_CONNECTION_WAKE_UP = (
    "fakeredis: a blocked BLMOVE does not wake on a push from another connection, "
    "and returns at once instead of waiting out its timeout"
)


class FakeRedisBackend(SyncRedisBackend):
    """The Redis backend as it behaves on fakeredis: no blocking waits."""

    capabilities = SyncRedisBackend.capabilities - {Capability.BLOCKING_WAIT}


class TestRedisBackendOnFakeredis(PlantsThroughTheClient, BackendContract):
    """S5: the Redis backend keeps the contract on fakeredis, differences skipped."""

    @pytest.fixture
    def backend(self) -> Iterator[FakeRedisBackend]:
        client = fakeredis.FakeRedis(server=fakeredis.FakeServer())
        yield FakeRedisBackend(client)
        client.close()

    def test_wait_wakes_on_publish(self) -> None:  # type: ignore[override]
        """R15 (not on fakeredis)."""
        pytest.skip(NO_CROSS_CONNECTION_WAKE_UP)

    def test_wait_times_out_when_nothing_arrives(self) -> None:  # type: ignore[override]
        """R15 (not on fakeredis)."""
        pytest.skip(NO_CROSS_CONNECTION_WAKE_UP)
