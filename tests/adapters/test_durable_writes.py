"""Durable mode of the Redis backend (rules C11, C12): each write returns only once
the replica holds it, in one pipeline with its ``WAIT``; too few replicas raise a
typed, retried error. Every client library, sync and asyncio, on a primary with one
replica per server flavour; the cluster path on the session's clusters.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import pytest
import redis
import redis.asyncio
import redis.client
import valkey
import valkey.asyncio
import valkey.asyncio.cluster

import redis_message_queue
from redis_message_queue import RedisMessageQueueError, ReplicationTimeoutError
from redis_message_queue.adapters.redis import (
    AsyncRedisBackend,
    AsyncRedisClusterBackend,
    SyncRedisBackend,
    SyncRedisClusterBackend,
)
from redis_message_queue.adapters.redis.script_library import script_source
from redis_message_queue.core.envelope import encode
from redis_message_queue.core.errors import ConfigurationError
from redis_message_queue.core.events import EventOperation, QueueEvent
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports import ClaimOptions, Publication, PublishOptions
from redis_message_queue.local_cluster import LocalCluster
from redis_message_queue.local_sentinel import LocalSentinel
from redis_message_queue.local_server import LocalServer, ServerFlavour
from tests.adapters.conftest import (
    CLIENT_VARIANTS,
    AsyncioBridge,
    ClientVariant,
    ack,
    claim_all,
    snapshot,
)
from tests.conftest import SERVER_FLAVOURS
from tests.support.ledger import LedgerReport
from tests.support.replication_link import ReplicationLink

Durable = SyncRedisBackend | AsyncioBridge
DurableFactory = Callable[..., Durable]


@pytest.fixture(params=SERVER_FLAVOURS)
def replicated(
    request: pytest.FixtureRequest,
    replicated_servers: dict[ServerFlavour, LocalSentinel],
) -> LocalSentinel:
    """A primary with one replica, of one server flavour."""
    return replicated_servers[request.param]


@pytest.fixture
def primary_admin(replicated: LocalSentinel) -> Iterator[redis.Redis]:
    """A plain client of the primary (bytes replies)."""
    client = redis.Redis(port=replicated.primary.port)
    yield client
    client.close()


@pytest.fixture
def replica_admin(replicated: LocalSentinel) -> Iterator[redis.Redis]:
    """A plain client of the replica (bytes replies)."""
    client = redis.Redis(port=replicated.replicas[0].port)
    yield client
    client.close()


@pytest.fixture(params=CLIENT_VARIANTS, ids=str)
def variant(request: pytest.FixtureRequest) -> ClientVariant:
    """The backend flavour and client library of this run."""
    chosen: ClientVariant = request.param
    return chosen


@pytest.fixture
def durable_backend(
    replicated: LocalSentinel, variant: ClientVariant
) -> Iterator[DurableFactory]:
    """Build a backend of the variant over the primary, with the given options."""
    closers: list[Callable[[], None]] = []
    runner = asyncio.Runner()
    port, decode = replicated.primary.port, variant.decode_responses

    def build(**options: Any) -> Durable:
        if variant.flavour == "sync":
            client: redis.Redis | valkey.Valkey
            if variant.library == "redis-py":
                client = redis.Redis(port=port, decode_responses=decode)
            else:
                client = valkey.Valkey(port=port, decode_responses=decode)
            closers.append(client.close)
            return SyncRedisBackend(client, **options)

        async_client: redis.asyncio.Redis | valkey.asyncio.Valkey
        if variant.library == "redis-py":
            async_client = redis.asyncio.Redis(port=port, decode_responses=decode)
        else:
            async_client = valkey.asyncio.Valkey(port=port, decode_responses=decode)
        closers.append(lambda: runner.run(async_client.aclose()))
        return AsyncioBridge(runner, AsyncRedisBackend(async_client, **options))

    yield build
    for close in closers:
        close()
    runner.close()


@pytest.fixture
def queue() -> QueueKeyManager:
    """The keys of a queue no other test uses."""
    return QueueKeyManager(f"rmq-durable-{uuid.uuid4().hex[:12]}")


def _calls(admin: redis.Redis) -> dict[str, int]:
    stats: dict[str, Any] = admin.info("commandstats")
    return {name: int(entry["calls"]) for name, entry in stats.items()}


def _publication(queue: QueueKeyManager, text: str) -> Publication:
    return Publication(encode(text), queue.deduplication(text))


def test_each_write_is_on_the_replica_when_the_call_returns(
    durable_backend: DurableFactory,
    primary_admin: redis.Redis,
    replica_admin: redis.Redis,
    queue: QueueKeyManager,
) -> None:
    """C11: after every durable write the replica already holds what the primary
    holds: publish (with and without a dedup key), claim, renew, ack, release and
    purge.
    """
    backend = durable_backend(min_replicas_acknowledging=1)

    def same() -> bool:
        return snapshot(replica_admin, queue) == snapshot(primary_admin, queue)

    backend.publish(queue, [_publication(queue, "a")], _ttl())
    assert same()
    backend.publish(queue, [Publication(encode("b"))], _ttl())
    assert same()
    first, second = claim_all(backend, queue)
    assert same()
    assert backend.renew(queue, first.stored, first.lease_token, 60_000)
    assert same()
    assert ack(backend, queue, first)
    assert same()
    assert backend.release(queue, [second.lease_token]) == 1
    assert same()
    assert backend.purge(queue, queue.pending) == 1
    assert same()


def _ttl() -> PublishOptions:
    return PublishOptions(dedup_ttl_seconds=600)


def test_a_durable_write_is_one_pipeline_and_reads_do_not_wait(
    replicated: LocalSentinel, primary_admin: redis.Redis, queue: QueueKeyManager
) -> None:
    """C11: a durable publish is one round trip: one pipeline of the script, the
    mark and WAIT, and no other command; counts, peeks and waits send no WAIT.
    """
    client = redis.Redis(port=replicated.primary.port)
    backend = SyncRedisBackend(client, min_replicas_acknowledging=1)
    backend.publish(queue, [_publication(queue, "warm-up")], _ttl())
    pipelines: list[list[str]] = []
    commands: list[str] = []

    def execute(pipeline: redis.client.Pipeline, raise_on_error: bool = True) -> Any:
        pipelines.append([str(args[0]) for args, _ in pipeline.command_stack])
        return PIPELINE_EXECUTE(pipeline, raise_on_error)

    def command(redis_client: redis.Redis, *args: Any, **options: Any) -> Any:
        commands.append(str(args[0]))
        return CLIENT_COMMAND(redis_client, *args, **options)  # type: ignore[no-untyped-call]

    with (
        mock.patch.object(redis.client.Pipeline, "execute", execute),
        mock.patch.object(redis.Redis, "execute_command", command),
    ):
        backend.publish(queue, [_publication(queue, "a")], _ttl())
    assert pipelines == [["EVALSHA", "SET", "WAIT"]]
    assert commands == []

    waits = _calls(primary_admin)["cmdstat_wait"]
    backend.depths(queue)
    backend.peek(queue, queue.pending, 10)
    backend.wait_for_messages(queue, 0)
    assert _calls(primary_admin)["cmdstat_wait"] == waits
    assert primary_admin.exists(queue.replication_mark)
    client.close()


PIPELINE_EXECUTE = redis.client.Pipeline.execute
CLIENT_COMMAND = redis.Redis.execute_command


def test_too_few_replicas_raise_a_typed_transient_error(
    durable_backend: DurableFactory, queue: QueueKeyManager
) -> None:
    """C12: asking for more replicas than answer in time raises
    ReplicationTimeoutError with the counts, the queue and the operation; the
    backend calls it transient, so the queue retries it.
    """
    backend = durable_backend(min_replicas_acknowledging=2, replica_ack_timeout_ms=50)

    with pytest.raises(ReplicationTimeoutError) as raised:
        backend.publish(queue, [_publication(queue, "a")], _ttl())

    error = raised.value
    assert isinstance(error, RedisMessageQueueError)
    assert isinstance(error, redis.RedisError)
    assert (error.required, error.acknowledged) == (2, 1)
    assert (error.queue, error.operation) == (queue.queue_name, "publish")
    assert "1 of 2 replicas" in str(error)
    assert backend.is_transient(error)


def test_a_missing_script_is_sent_in_full(
    durable_backend: DurableFactory,
    primary_admin: redis.Redis,
    queue: QueueKeyManager,
) -> None:
    """C11: after the server lost its scripts (a restart, SCRIPT FLUSH), a durable
    call sends the script with EVAL, which loads it again.
    """
    backend = durable_backend(min_replicas_acknowledging=1)
    primary_admin.script_flush()

    result = backend.publish(queue, [_publication(queue, "a")], _ttl())

    assert result.enqueued == (True,)
    assert primary_admin.script_exists(_sha_of("publish")) == [True]


def _sha_of(name: str) -> str:
    import hashlib

    return hashlib.sha1(script_source(name).encode()).hexdigest()  # noqa: S324


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"min_replicas_acknowledging": "1"}, TypeError),
        ({"min_replicas_acknowledging": True}, TypeError),
        ({"min_replicas_acknowledging": -1}, ConfigurationError),
        (
            {"min_replicas_acknowledging": 1, "replica_ack_timeout_ms": 0},
            ConfigurationError,
        ),
        ({"min_replicas_acknowledging": 1, "replica_ack_timeout_ms": 1.5}, TypeError),
    ],
)
def test_durable_arguments_are_checked(options: dict[str, Any], error: type) -> None:
    """C11: the replica count is an int >= 0, the timeout an int > 0 (a WAIT with
    timeout 0 would block forever).
    """
    client = redis.Redis(port=1)
    with pytest.raises(error):
        SyncRedisBackend(client, **options)
    client.close()


def test_the_queue_retries_until_the_replica_holds_the_write(
    replicated: LocalSentinel, queue: QueueKeyManager
) -> None:
    """C12: while the replica is stalled, a durable publish is retried and returns
    True only once the replica is back and holds it; the retries are reported.
    """
    events: list[QueueEvent] = []
    client = redis.Redis(port=replicated.primary.port)
    backend = SyncRedisBackend(
        client, min_replicas_acknowledging=1, replica_ack_timeout_ms=100
    )
    durable = redis_message_queue.RedisMessageQueue(
        queue.queue_name, backend=backend, on_event=events.append
    )
    replica = replicated.replicas[0]
    assert replica.pid is not None

    os.kill(replica.pid, signal.SIGSTOP)
    resume = threading.Timer(1.0, os.kill, (replica.pid, signal.SIGCONT))
    try:
        resume.start()
        started = time.monotonic()
        assert durable.publish("kept")
        waited = time.monotonic() - started
    finally:
        resume.cancel()
        os.kill(replica.pid, signal.SIGCONT)
        client.close()

    assert waited >= 0.9
    retries = [e for e in events if e.operation is EventOperation.RETRY_ATTEMPT]
    assert retries
    assert {event.exception_type for event in retries} == {"ReplicationTimeoutError"}
    with redis.Redis(port=replica.port) as replica_client:
        assert replica_client.llen(queue.pending) == 1


def test_durable_writes_on_a_cluster(
    clusters: dict[ServerFlavour, LocalCluster],
) -> None:
    """C11: on a cluster a durable call goes to the primary of the queue's slot,
    sync over redis-py and asyncio over valkey-py, and waits there.
    """
    cluster = clusters[SERVER_FLAVOURS[0]]
    name = f"{{durable-{uuid.uuid4().hex[:8]}}}"
    keys = QueueKeyManager(name)
    owner = _owner(cluster, keys)
    before = {node.port: _waits(node) for node in cluster.primaries}

    sync_client = redis.RedisCluster(host=cluster.host, port=cluster.port)
    sync_backend = SyncRedisClusterBackend(sync_client, min_replicas_acknowledging=1)
    sync_backend.publish(keys, [_publication(keys, "a")], _ttl())
    sync_client.close()

    async def asynchronous() -> int:
        client = valkey.asyncio.cluster.ValkeyCluster(
            host=cluster.host, port=cluster.port
        )
        backend = AsyncRedisClusterBackend(client, min_replicas_acknowledging=1)
        await backend.publish(keys, [_publication(keys, "b")], _ttl())
        claims = await backend.claim(keys, ClaimOptions(max_messages=10))
        await client.aclose()
        return len(claims.claims)

    assert asyncio.run(asynchronous()) == 2
    waited = {node.port: _waits(node) - before[node.port] for node in cluster.primaries}
    # A script the node does not hold yet costs one more pipeline (EVAL).
    assert waited.pop(owner.port) >= 3
    assert set(waited.values()) == {0}


def _owner(cluster: LocalCluster, keys: QueueKeyManager) -> LocalServer:
    with redis.RedisCluster(host=cluster.host, port=cluster.port) as client:
        node = client.get_node_from_key(keys.pending)
    return next(n for n in cluster.nodes if n.port == node.port)


def _waits(node: LocalServer) -> int:
    with redis.Redis(port=node.port) as client:
        return _calls(client).get("cmdstat_wait", 0)


BENCHMARK_MESSAGES = 1000


@pytest.mark.parametrize("flavour", SERVER_FLAVOURS)
def test_what_durable_mode_costs(
    flavour: ServerFlavour,
    replicated_servers: dict[ServerFlavour, LocalSentinel],
    request: pytest.FixtureRequest,
) -> None:
    """C11: durable mode keeps one round trip per call and costs throughput (the
    wait for the replica), measured on one thread and reported in the summary.
    """
    primary = replicated_servers[flavour].primary
    rates = {}
    for durable in (False, True):
        client = redis.Redis(port=primary.port)
        backend = SyncRedisBackend(client, min_replicas_acknowledging=int(durable))
        name = f"rmq-bench-{uuid.uuid4().hex[:8]}"
        queue = redis_message_queue.RedisMessageQueue(name, backend=backend)
        rates[durable] = _publish_and_consume(queue)
        client.close()

    (publish, consume), (durable_publish, durable_consume) = rates[False], rates[True]
    LedgerReport.of(request.config).add_figures(
        f"durable mode against the default, one thread, {flavour}",
        {
            "round trips per message, both modes": "3",
            "publishes per second, default": f"{publish:.0f}",
            "publishes per second, durable": f"{durable_publish:.0f}",
            "publish throughput ratio": f"{durable_publish / publish:.2f}",
            "claims+acks per second, default": f"{consume:.0f}",
            "claims+acks per second, durable": f"{durable_consume:.0f}",
            "consume throughput ratio": f"{durable_consume / consume:.2f}",
        },
    )
    # Loose on purpose: a busy CI machine slows both modes alike.
    assert durable_publish > 0.1 * publish
    assert durable_consume > 0.1 * consume


def _publish_and_consume(
    queue: redis_message_queue.RedisMessageQueue,
) -> tuple[float, float]:
    started = time.perf_counter()
    for number in range(BENCHMARK_MESSAGES):
        queue.publish(f"message {number}")
    published = time.perf_counter()
    for _ in range(BENCHMARK_MESSAGES):
        with queue.process_message() as message:
            assert message is not None
    consumed = time.perf_counter()
    return (
        BENCHMARK_MESSAGES / (published - started),
        BENCHMARK_MESSAGES / (consumed - published),
    )


@pytest.mark.parametrize("flavour", SERVER_FLAVOURS)
def test_a_lagging_replica_loses_default_publishes_but_no_durable_one(
    flavour: ServerFlavour,
) -> None:
    """C13: while the replication stream is held back, a default-mode publish is
    acknowledged and then lost with its primary; a durable publish is never
    acknowledged (ReplicationTimeoutError), so nothing acknowledged is lost.
    """
    keys = QueueKeyManager(f"rmq-lag-{uuid.uuid4().hex[:8]}")
    with (
        LocalServer(flavour, extra_arguments=_NO_SYNC_DELAY) as primary,
        ReplicationLink(primary.port) as link,
        LocalServer(flavour, extra_arguments=_replica_of(link.port)) as replica,
        redis.Redis(port=primary.port) as client,
        redis.Redis(port=replica.port) as replica_client,
    ):
        _wait_for_link(replica_client)
        default = SyncRedisBackend(client)
        durable = SyncRedisBackend(
            client, min_replicas_acknowledging=1, replica_ack_timeout_ms=200
        )

        link.hold()
        acknowledged = default.publish(keys, [_publication(keys, "a")], _ttl())
        with pytest.raises(ReplicationTimeoutError):
            durable.publish(keys, [_publication(keys, "b")], _ttl())
        assert client.llen(keys.pending) == 2
        primary.kill()
        replica_client.execute_command("REPLICAOF", "NO", "ONE")

        assert acknowledged.enqueued == (True,)
        assert replica_client.llen(keys.pending) == 0, "the replica got the stream"


_NO_SYNC_DELAY = ["--repl-diskless-sync-delay", "0"]
"""A diskless full sync would wait 5 s for more replicas by default."""


def _replica_of(port: int) -> list[str]:
    return ["--replicaof", "127.0.0.1", str(port)]


def _wait_for_link(replica: redis.Redis) -> None:
    deadline = time.monotonic() + 10
    while replica.info("replication").get("master_link_status") != "up":
        assert time.monotonic() < deadline, "the replica did not connect"
        time.sleep(0.02)
