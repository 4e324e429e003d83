"""The packaged contract suite on a real cluster (3 primaries, 3 replicas), through
the cluster clients of redis-py and valkey-py, sync and asyncio. Queue names carry a
hash tag, as a cluster requires (rule C2).

Each client runs the suite on one server flavour, and the flavours alternate
between clients, so that both libraries and both servers are covered in half the
time of every pairing (the single-server suite runs every pairing).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
import redis
import redis.asyncio
import valkey.asyncio.cluster
import valkey.cluster

from redis_message_queue.adapters.redis import (
    AsyncRedisClusterBackend,
    SyncRedisClusterBackend,
)
from redis_message_queue.contract_tests import BackendContract
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports import AsyncBackend, SyncBackend
from redis_message_queue.local_cluster import LocalCluster
from redis_message_queue.local_server import ServerFlavour
from tests.conftest import SERVER_FLAVOURS
from tests.contract.planting import PlantsThroughTheClient


def _pairings(libraries: list[str], offset: int) -> list[tuple[str, ServerFlavour]]:
    count = len(SERVER_FLAVOURS)
    return [
        (library, SERVER_FLAVOURS[(index + offset) % count])
        for index, library in enumerate(libraries)
    ]


SYNC_PAIRINGS = _pairings(["redis-py", "valkey-py"], offset=0)
ASYNC_PAIRINGS = _pairings(["redis-py", "valkey-py"], offset=1)


def _pairing_id(pairing: tuple[str, ServerFlavour]) -> str:
    library, flavour = pairing
    return f"{library}-on-{flavour}"


class _TaggedQueues(BackendContract):
    """The suite with queue names that keep every key in one slot."""

    @pytest.fixture
    def keys(self) -> QueueKeyManager:
        """Key names of a queue no other test uses, under a hash tag of its own."""
        return QueueKeyManager(f"{{contract-{uuid.uuid4().hex[:12]}}}")


class TestSyncRedisClusterBackend(PlantsThroughTheClient, _TaggedQueues):
    """The sync cluster backend over a sync cluster client."""

    @pytest.fixture(params=SYNC_PAIRINGS, ids=_pairing_id)
    def backend(
        self,
        request: pytest.FixtureRequest,
        clusters: dict[ServerFlavour, LocalCluster],
    ) -> Iterator[SyncBackend]:
        library, flavour = request.param
        cluster = clusters[flavour]
        client: redis.RedisCluster | valkey.cluster.ValkeyCluster
        if library == "redis-py":
            client = redis.RedisCluster(host=cluster.host, port=cluster.port)
        else:
            client = valkey.cluster.ValkeyCluster(
                host=cluster.host, port=cluster.port, decode_responses=True
            )
        yield SyncRedisClusterBackend(client)
        client.close()


class TestAsyncRedisClusterBackend(PlantsThroughTheClient, _TaggedQueues):
    """The asyncio cluster backend over an asyncio cluster client."""

    @pytest.fixture(params=ASYNC_PAIRINGS, ids=_pairing_id)
    def backend(
        self,
        request: pytest.FixtureRequest,
        clusters: dict[ServerFlavour, LocalCluster],
        contract_runner: asyncio.Runner,
    ) -> Iterator[AsyncBackend]:
        library, flavour = request.param
        cluster = clusters[flavour]
        client: redis.asyncio.RedisCluster | valkey.asyncio.cluster.ValkeyCluster
        if library == "redis-py":
            client = redis.asyncio.RedisCluster(
                host=cluster.host, port=cluster.port, decode_responses=True
            )
        else:
            client = valkey.asyncio.cluster.ValkeyCluster(
                host=cluster.host, port=cluster.port
            )
        yield AsyncRedisClusterBackend(client)
        contract_runner.run(client.aclose())
