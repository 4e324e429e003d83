"""Queues on a real cluster through ``client=`` and ``gateway=``, sync and asyncio:
the whole lifecycle, where the keys live, and what each operation sends.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import redis

import redis_message_queue
import redis_message_queue.asyncio
from redis_message_queue.core.hash_slots import key_slot
from redis_message_queue.local_cluster import LocalCluster
from tests.cluster.conftest import (
    ClusterVariant,
    QueueFactory,
    command_calls,
    nodes_holding,
)
from tests.queue.drivers import AsyncQueueDriver, QueueDriver, SyncQueueDriver


class BoomError(Exception):
    """A handler failure."""


def _text(message: object) -> str:
    assert isinstance(message, bytes), f"expected bytes, got {type(message)}"
    return message.decode()


def _fail(message: object) -> None:
    raise BoomError(_text(message))


def _crash(message: object) -> None:
    raise SystemExit(_text(message))


def test_lifecycle_on_a_cluster(make_queue: QueueFactory, tag: str) -> None:
    """C5: publish, ack, fail, crash, dead-letter and redrive on a cluster."""
    queue = make_queue(
        tag,
        enable_completed_queue=True,
        enable_failed_queue=True,
        visibility_timeout_seconds=1,
        max_delivery_count=1,
    )

    assert [queue.publish(text) for text in ("a", "b", "c", "a")] == [
        True,
        True,
        True,
        False,
    ]
    assert queue.process(_text) == "a"
    with pytest.raises(BoomError):
        queue.process(_fail)
    with pytest.raises(SystemExit):
        queue.process(_crash)
    time.sleep(1.1)  # the crashed delivery's lease runs out
    assert queue.process(lambda message: message) is None, "c is dead-lettered"

    stats = queue.stats()
    assert (stats.pending, stats.processing) == (0, 0)
    assert (stats.completed, stats.failed, stats.dead_letter) == (1, 1, 1)
    assert queue.run(queue.queue.redrive_dead_letters()) == 1
    assert queue.process(_text) == "c"


def test_every_key_lives_on_the_primary_of_the_slot(
    make_queue: QueueFactory, cluster: LocalCluster, tag: str
) -> None:
    """C3: every key of a queue, markers and settle records included, is in one
    slot on one primary."""
    queue = make_queue(tag, enable_completed_queue=True)
    for text in ("x", "y"):
        queue.publish(text)
    queue.process(_text)

    holding = nodes_holding(cluster, f"*{tag}*")

    assert len(holding) == 1
    slot = key_slot(tag)
    with redis.Redis(port=holding[0].port) as admin:
        keys = [key.decode() for key in admin.keys(f"*{tag}*")]
        in_slot = admin.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot)
    roles = {key.split("::")[1] for key in keys}
    assert {"pending", "completed", "deduplication", "settled"} <= roles
    assert {key_slot(key) for key in keys} == {slot}
    assert in_slot == len(keys)


def test_each_operation_is_one_command_on_the_owning_primary(
    make_queue: QueueFactory, cluster: LocalCluster, tag: str
) -> None:
    """C3: publish, claim, ack and stats each send one EVALSHA to the primary that
    owns the queue's slot; nothing else, and no MULTI/EXEC."""
    queue = make_queue(tag)

    def cycle() -> None:
        queue.publish(f"m-{time.monotonic_ns()}")
        assert queue.process(_text) is not None
        queue.stats()

    cycle()  # loads the scripts on first use
    before = {node.port: command_calls(node) for node in cluster.primaries}
    for _ in range(5):
        cycle()
    after = {node.port: command_calls(node) for node in cluster.primaries}

    sent = {port: after[port] - before[port] for port in before}
    owner = [port for port, calls in sent.items() if calls["cmdstat_evalsha"]]
    assert len(owner) == 1
    others = [calls for port, calls in sent.items() if port != owner[0]]
    assert all(calls["cmdstat_evalsha"] == 0 for calls in others)
    outer = {
        name: count
        for name, count in sent[owner[0]].items()
        if name in {"cmdstat_evalsha", "cmdstat_multi", "cmdstat_exec", "cmdstat_eval"}
    }
    assert outer == {"cmdstat_evalsha": 5 * 4}


def test_gateway_on_a_cluster_client(
    variant: ClusterVariant, cluster_client: Any, runner: asyncio.Runner, tag: str
) -> None:
    """C1: RedisGateway takes a cluster client, reports is_redis_cluster, and a
    queue built on it dead-letters into the gateway's list in the queue's slot."""
    package: Any = (
        redis_message_queue
        if variant.flavour == "sync"
        else redis_message_queue.asyncio
    )
    gateway = package.RedisGateway(
        redis_client=cluster_client,
        message_wait_interval_seconds=0,
        message_visibility_timeout_seconds=1,
        max_delivery_count=1,
        dead_letter_queue=f"{tag}::graveyard",
    )
    assert gateway.is_redis_cluster is True
    built = package.RedisMessageQueue(tag, gateway=gateway)
    queue: QueueDriver = (
        SyncQueueDriver(built)
        if variant.flavour == "sync"
        else AsyncQueueDriver(built, runner)
    )

    queue.publish("doomed")
    with pytest.raises(SystemExit):
        queue.process(_crash)
    time.sleep(1.1)
    assert queue.process(lambda message: message) is None

    assert queue.stats().dead_letter == 1
    assert queue.queue.key.dead_letter == f"{tag}::graveyard"
