"""The packaged contract suite on real servers: every flavour found on this machine
(Valkey from the embedded wheel, Redis when ``redis-server`` is installed), with
redis-py and valkey-py clients, sync and asyncio.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import redis
import redis.asyncio
import valkey
import valkey.asyncio

from redis_message_queue.adapters.redis import AsyncRedisBackend, SyncRedisBackend
from redis_message_queue.contract_tests import BackendContract
from redis_message_queue.core.ports import AsyncBackend, SyncBackend
from redis_message_queue.local_server import LocalServer, ServerFlavour
from tests.conftest import SERVER_FLAVOURS
from tests.contract.planting import PlantsThroughTheClient

CLIENTS = ["redis-py", "valkey-py"]


@pytest.fixture(params=SERVER_FLAVOURS)
def server(
    request: pytest.FixtureRequest, servers: dict[ServerFlavour, LocalServer]
) -> LocalServer:
    """The running server of one flavour."""
    return servers[request.param]


@pytest.fixture(params=CLIENTS)
def client_library(request: pytest.FixtureRequest) -> str:
    """Which client library talks to the server."""
    return str(request.param)


class TestSyncRedisBackend(PlantsThroughTheClient, BackendContract):
    """The sync backend over a sync client."""

    @pytest.fixture
    def backend(
        self, server: LocalServer, client_library: str
    ) -> Iterator[SyncBackend]:
        client: redis.Redis | valkey.Valkey
        if client_library == "redis-py":
            client = redis.Redis(port=server.port)
        else:
            client = valkey.Valkey(port=server.port, decode_responses=True)
        yield SyncRedisBackend(client)
        client.close()


class TestAsyncRedisBackend(PlantsThroughTheClient, BackendContract):
    """The asyncio backend over an asyncio client."""

    @pytest.fixture
    def backend(
        self,
        server: LocalServer,
        client_library: str,
        contract_runner: asyncio.Runner,
    ) -> Iterator[AsyncBackend]:
        client: redis.asyncio.Redis | valkey.asyncio.Valkey
        if client_library == "redis-py":
            client = redis.asyncio.Redis(port=server.port, decode_responses=True)
        else:
            client = valkey.asyncio.Valkey(port=server.port)
        yield AsyncRedisBackend(client)
        contract_runner.run(client.aclose())
