"""Fixtures for queues on a real cluster: each client library, sync and asyncio, on
the session's clusters (the server flavours alternate between clients).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, Literal

import attrs
import pytest
import redis
import redis.asyncio
import valkey.asyncio.cluster
import valkey.cluster

import redis_message_queue
import redis_message_queue.asyncio
from redis_message_queue.local_cluster import LocalCluster
from redis_message_queue.local_server import LocalServer, ServerFlavour
from tests.conftest import SERVER_FLAVOURS
from tests.queue.drivers import AsyncQueueDriver, QueueDriver, SyncQueueDriver


@attrs.frozen
class ClusterVariant:
    """Which queue flavour, client library and server a test runs with."""

    flavour: Literal["sync", "asyncio"]
    library: Literal["redis-py", "valkey-py"]
    server: ServerFlavour

    def __str__(self) -> str:
        return f"{self.flavour}-{self.library}-on-{self.server}"


def _server(index: int) -> ServerFlavour:
    return SERVER_FLAVOURS[index % len(SERVER_FLAVOURS)]


VARIANTS = (
    ClusterVariant("sync", "redis-py", _server(0)),
    ClusterVariant("sync", "valkey-py", _server(1)),
    ClusterVariant("asyncio", "redis-py", _server(1)),
    ClusterVariant("asyncio", "valkey-py", _server(0)),
)

QueueFactory = Callable[..., QueueDriver]


@pytest.fixture(params=VARIANTS, ids=str)
def variant(request: pytest.FixtureRequest) -> ClusterVariant:
    """The queue flavour, client library and server of this run."""
    chosen: ClusterVariant = request.param
    return chosen


@pytest.fixture
def cluster(
    variant: ClusterVariant, clusters: dict[ServerFlavour, LocalCluster]
) -> LocalCluster:
    """The running cluster of the variant's server flavour."""
    return clusters[variant.server]


@pytest.fixture
def runner() -> Iterator[asyncio.Runner]:
    """The event loop of an asyncio variant."""
    with asyncio.Runner() as loop_runner:
        yield loop_runner


@pytest.fixture
def cluster_client(
    variant: ClusterVariant, cluster: LocalCluster, runner: asyncio.Runner
) -> Iterator[Any]:
    """A cluster client of the variant's flavour and library (bytes replies)."""
    host, port = cluster.host, cluster.port
    if variant.flavour == "sync":
        sync_client: redis.RedisCluster | valkey.cluster.ValkeyCluster
        if variant.library == "redis-py":
            sync_client = redis.RedisCluster(host=host, port=port)
        else:
            sync_client = valkey.cluster.ValkeyCluster(host=host, port=port)
        yield sync_client
        sync_client.close()
        return

    async_client: redis.asyncio.RedisCluster | valkey.asyncio.cluster.ValkeyCluster
    if variant.library == "redis-py":
        async_client = redis.asyncio.RedisCluster(host=host, port=port)
    else:
        async_client = valkey.asyncio.cluster.ValkeyCluster(host=host, port=port)
    yield async_client
    runner.run(async_client.aclose())


@pytest.fixture
def make_queue(
    variant: ClusterVariant, cluster_client: Any, runner: asyncio.Runner
) -> QueueFactory:
    """Build a queue of the variant's flavour over the cluster client."""

    def build(name: str, **options: Any) -> QueueDriver:
        options.setdefault("message_wait_interval_seconds", 0.2)
        if variant.flavour == "sync":
            queue = redis_message_queue.RedisMessageQueue(
                name, client=cluster_client, **options
            )
            return SyncQueueDriver(queue)
        async_queue = redis_message_queue.asyncio.RedisMessageQueue(
            name, client=cluster_client, **options
        )
        return AsyncQueueDriver(async_queue, runner)

    return build


@pytest.fixture
def tag() -> str:
    """A hash tag no other test uses."""
    return f"{{orders-{uuid.uuid4().hex[:12]}}}"


def nodes_holding(cluster: LocalCluster, pattern: str) -> list[LocalServer]:
    """The primaries that hold at least one key matching ``pattern``."""
    holding = []
    for node in cluster.primaries:
        with redis.Redis(port=node.port) as client:
            if client.keys(pattern):
                holding.append(node)
    return holding


def command_calls(node: LocalServer) -> Counter[str]:
    """Calls per command on one node since it started (script commands too)."""
    with redis.Redis(port=node.port) as client:
        stats: dict[str, Any] = client.info("commandstats")
    return Counter({name: int(entry["calls"]) for name, entry in stats.items()})
