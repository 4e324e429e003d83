"""What a queue refuses on a cluster, with errors that say how to fix it: names
without a hash tag, keys in other slots, single-node clients pointed at a cluster
node, pipelines and clients of the other flavour.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import redis.asyncio
import valkey
import valkey.asyncio
import valkey.cluster

import redis_message_queue
import redis_message_queue.asyncio
from redis_message_queue import ConfigurationError
from redis_message_queue.adapters.redis import (
    SyncRedisBackend,
    SyncRedisClusterBackend,
)
from redis_message_queue.core.hash_slots import key_slot
from redis_message_queue.core.ports import Capability
from redis_message_queue.local_cluster import LocalCluster
from redis_message_queue.local_server import ServerFlavour
from tests.cluster.conftest import ClusterVariant, QueueFactory, nodes_holding
from tests.conftest import SERVER_FLAVOURS
from tests.queue.drivers import AsyncQueueDriver, QueueDriver, SyncQueueDriver


@pytest.fixture
def any_cluster(clusters: dict[ServerFlavour, LocalCluster]) -> LocalCluster:
    """The cluster of the first flavour, for checks that do not vary by server."""
    return clusters[SERVER_FLAVOURS[0]]


@pytest.fixture
def sync_cluster_client(any_cluster: LocalCluster) -> Iterator[redis.RedisCluster]:
    """A sync redis-py cluster client."""
    client = redis.RedisCluster(host=any_cluster.host, port=any_cluster.port)
    yield client
    client.close()


# -- hash tags -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "separator", "allowed"),
    [
        ("orders", "::", False),
        ("{}orders", "::", False),
        ("x", "}{", False),
        ("{orders}", "::", True),
        ("{orders}.eu", "::", True),
        ("eu.{orders}", "::", True),
        ("n", "{x}", True),
    ],
)
def test_queue_names_need_a_hash_tag(
    make_queue: QueueFactory, name: str, separator: str, allowed: bool
) -> None:
    """C2: every key and key prefix of a queue must share one slot, which takes a
    non-empty hash tag that closes before the role of each key."""
    if allowed:
        make_queue(name, key_separator=separator)
        return
    with pytest.raises(ConfigurationError, match="hash"):
        make_queue(name, key_separator=separator)


def test_the_error_names_the_fix(make_queue: QueueFactory) -> None:
    """C2: a name without a tag is refused with the tagged name to use instead."""
    with pytest.raises(ConfigurationError, match=r"name the queue '\{orders\}'"):
        make_queue("orders")


def test_gateway_dead_letter_list_must_share_the_slot(
    variant: ClusterVariant, cluster_client: Any
) -> None:
    """C2, G15: the gateway's dead-letter list must carry the queue's hash tag."""
    package: Any = (
        redis_message_queue
        if variant.flavour == "sync"
        else redis_message_queue.asyncio
    )

    def gateway(dead_letter_queue: str) -> Any:
        return package.RedisGateway(
            redis_client=cluster_client,
            message_visibility_timeout_seconds=30,
            max_delivery_count=3,
            dead_letter_queue=dead_letter_queue,
        )

    with pytest.raises(ConfigurationError, match=r"'graveyard'.*'\{orders\}'"):
        package.RedisMessageQueue("{orders}", gateway=gateway("graveyard"))
    package.RedisMessageQueue("{orders}", gateway=gateway("{orders}::graveyard"))


def test_gateway_on_its_own_refuses_untagged_key_names(
    variant: ClusterVariant, cluster_client: Any, runner: asyncio.Runner
) -> None:
    """C2: RedisGateway used without a queue checks the key names it is given."""
    package: Any = (
        redis_message_queue
        if variant.flavour == "sync"
        else redis_message_queue.asyncio
    )
    gateway = package.RedisGateway(redis_client=cluster_client)

    def add() -> Any:
        result = gateway.add_message("orders::pending", "m")
        return runner.run(result) if variant.flavour == "asyncio" else result

    with pytest.raises(ConfigurationError, match="hash tag"):
        add()


def test_a_backend_that_routes_by_slot_gets_the_same_check(
    sync_cluster_client: redis.RedisCluster,
) -> None:
    """C1, C2: the cluster backend declares CLUSTER_ROUTING; a queue on any such
    backend checks its hash tag."""
    backend = SyncRedisClusterBackend(sync_cluster_client)

    assert Capability.CLUSTER_ROUTING in backend.capabilities
    assert Capability.CLUSTER_ROUTING not in SyncRedisBackend.capabilities
    with pytest.raises(ConfigurationError, match="hash tag"):
        redis_message_queue.RedisMessageQueue("orders", backend=backend)


# -- clients ---------------------------------------------------------------------


def test_cluster_pipelines_and_other_flavours_are_refused(
    sync_cluster_client: redis.RedisCluster, any_cluster: LocalCluster
) -> None:
    """C1: a cluster pipeline, or a cluster client of the other flavour, is
    refused with a TypeError that says what to pass."""
    async_client = redis.asyncio.RedisCluster(host="127.0.0.1", port=any_cluster.port)
    valkey_client = valkey.cluster.ValkeyCluster(
        host=any_cluster.host, port=any_cluster.port
    )
    sync_queue = redis_message_queue.RedisMessageQueue
    async_queue = redis_message_queue.asyncio.RedisMessageQueue
    refused: list[tuple[Any, object, str]] = [
        (sync_queue, sync_cluster_client.pipeline(), "pipeline"),  # type: ignore[no-untyped-call]
        (sync_queue, valkey_client.pipeline(), "pipeline"),  # type: ignore[no-untyped-call]
        (async_queue, async_client.pipeline(), "pipeline"),
        (sync_queue, async_client, "asyncio"),
        (async_queue, sync_cluster_client, "sync client"),
    ]
    try:
        for build, client, match in refused:
            with pytest.raises(TypeError, match=match):
                build("{q}", client=client)
    finally:
        valkey_client.close()  # type: ignore[no-untyped-call]


def _plain_client(variant: ClusterVariant, port: int, **options: Any) -> Any:
    if variant.flavour == "sync":
        if variant.library == "redis-py":
            return redis.Redis(port=port, **options)
        return valkey.Valkey(port=port, **options)
    if variant.library == "redis-py":
        return redis.asyncio.Redis(port=port, **options)
    return valkey.asyncio.Valkey(port=port, **options)


def _queue(variant: ClusterVariant, runner: asyncio.Runner, client: Any) -> QueueDriver:
    tag = f"{{plain-{uuid.uuid4().hex[:12]}}}"
    if variant.flavour == "sync":
        return SyncQueueDriver(
            redis_message_queue.RedisMessageQueue(tag, client=client)
        )
    queue = redis_message_queue.asyncio.RedisMessageQueue(tag, client=client)
    return AsyncQueueDriver(queue, runner)


def test_a_single_node_client_on_a_cluster_node_is_refused(
    variant: ClusterVariant, cluster: LocalCluster, runner: asyncio.Runner
) -> None:
    """C4: before its first call the backend finds the server in cluster mode and
    raises a ConfigurationError naming the cluster clients; nothing is written."""
    client = _plain_client(variant, cluster.port)
    queue = _queue(variant, runner, client)
    try:
        with pytest.raises(ConfigurationError, match="RedisCluster"):
            queue.publish("lost?")
        with pytest.raises(ConfigurationError, match="RedisCluster"):
            queue.process(lambda message: message)
    finally:
        closed = client.close() if variant.flavour == "sync" else client.aclose()
        if asyncio.iscoroutine(closed):
            runner.run(closed)

    assert nodes_holding(cluster, f"*{queue.queue.key.queue_name}*") == []


@pytest.fixture
def user_without_info(any_cluster: LocalCluster) -> Iterator[str]:
    """A user of the first primary who may run anything but INFO."""
    name = f"no-info-{uuid.uuid4().hex[:8]}"
    with redis.Redis(port=any_cluster.port) as admin:
        admin.acl_setuser(
            name,
            enabled=True,
            nopass=True,
            keys=["*"],
            channels=["*"],
            commands=["+@all", "-info"],
        )
        yield name
        admin.acl_deluser(name)


@pytest.mark.parametrize("library", ["redis-py", "valkey-py"])
def test_a_redirect_is_refused_when_info_is_not_allowed(
    any_cluster: LocalCluster, user_without_info: str, library: str
) -> None:
    """C4: when the server refuses INFO, a MOVED reply raises the same error."""
    # A tag whose slot the first primary (slots 0-5460) does not serve.
    tag = next(
        tag for index in range(100) if key_slot(tag := f"{{moved-{index}}}") > 5460
    )
    client: redis.Redis | valkey.Valkey
    if library == "redis-py":
        client = redis.Redis(port=any_cluster.port, username=user_without_info)
    else:
        client = valkey.Valkey(port=any_cluster.port, username=user_without_info)
    queue = redis_message_queue.RedisMessageQueue(tag, client=client)
    try:
        with pytest.raises(ConfigurationError, match="RedisCluster") as raised:
            queue.publish("moved")
    finally:
        client.close()

    assert "MOVED" in repr(raised.value.__cause__) or isinstance(
        raised.value.__cause__, redis.exceptions.MovedError
    )

    assert nodes_holding(any_cluster, f"*{tag}*") == []
