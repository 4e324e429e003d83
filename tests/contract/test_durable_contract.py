"""The packaged contract suite in durable mode (C11): every backend rule holds when
each write waits for the replica. Two runs keep it short: the sync backend over
redis-py on one server flavour, the asyncio backend over valkey-py on the other
(when both are installed); ``tests/adapters/test_durable_writes.py`` covers every
client library and flavour on the writes themselves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import redis
import valkey.asyncio

from redis_message_queue.adapters.redis import AsyncRedisBackend, SyncRedisBackend
from redis_message_queue.contract_tests import BackendContract
from redis_message_queue.core.ports import AsyncBackend, SyncBackend
from redis_message_queue.local_sentinel import LocalSentinel
from redis_message_queue.local_server import ServerFlavour
from tests.conftest import SERVER_FLAVOURS
from tests.contract.planting import PlantsThroughTheClient

DURABLE = {"min_replicas_acknowledging": 1, "replica_ack_timeout_ms": 5000}
"""One replica must hold each write; a stall of the test replica fails loudly."""


class TestSyncDurableBackend(PlantsThroughTheClient, BackendContract):
    """The sync backend in durable mode over redis-py (bytes replies)."""

    @pytest.fixture
    def backend(
        self, replicated_servers: dict[ServerFlavour, LocalSentinel]
    ) -> Iterator[SyncBackend]:
        primary = replicated_servers[SERVER_FLAVOURS[0]].primary
        client = redis.Redis(port=primary.port)
        yield SyncRedisBackend(client, **DURABLE)
        client.close()


class TestAsyncDurableBackend(PlantsThroughTheClient, BackendContract):
    """The asyncio backend in durable mode over valkey-py (str replies)."""

    @pytest.fixture
    def backend(
        self,
        replicated_servers: dict[ServerFlavour, LocalSentinel],
        contract_runner: asyncio.Runner,
    ) -> Iterator[AsyncBackend]:
        primary = replicated_servers[SERVER_FLAVOURS[-1]].primary
        client = valkey.asyncio.Valkey(port=primary.port, decode_responses=True)
        yield AsyncRedisBackend(client, **DURABLE)
        contract_runner.run(client.aclose())
