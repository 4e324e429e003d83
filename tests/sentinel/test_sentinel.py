"""Queues on a client from ``Sentinel.master_for(...)`` (rule C15): one primary,
one replica and three Sentinels, all the same server binary. The primary is
SIGKILLed under load; the Sentinels promote the replica, and the queue's retries
find it through the Sentinels. The sync queue runs on the first server flavour
(Valkey), the asyncio queue on the last (Redis when it is installed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import redis.asyncio.sentinel
import redis.sentinel
import valkey.asyncio.sentinel
import valkey.sentinel

import redis_message_queue
import redis_message_queue.asyncio
from redis_message_queue.local_sentinel import LocalSentinel
from tests.conftest import SERVER_FLAVOURS
from tests.support.ledger import Ledger, LedgerReport
from tests.support.workload import Lane, QueueEvents, Workload, run_workload

pytestmark = pytest.mark.slow

REPLICATION_WINDOW = (2.0, 1.0)
"""Seconds around the kill within which asynchronous replication may lose an
acknowledged publish."""


@pytest.fixture
def sentinel_set() -> Iterator[LocalSentinel]:
    """A primary, a replica and three Sentinels of the first flavour (the test
    kills the primary); the asyncio test runs on the last one.
    """
    with LocalSentinel(SERVER_FLAVOURS[0]) as running:
        yield running


def _kill_primary(sentinel_set: LocalSentinel) -> dict[str, float]:
    import time

    old = sentinel_set.current_primary()
    killed_at = time.monotonic()
    old.kill()
    sentinel_set.wait_for_new_primary(old)
    return {"killed_at": killed_at, "promoted_after": time.monotonic() - killed_at}


def test_a_sync_queue_follows_a_sentinel_failover(
    sentinel_set: LocalSentinel, request: pytest.FixtureRequest
) -> None:
    """C15: a sync queue on ``master_for`` keeps publishing and consuming through
    a Sentinel failover; every acknowledged message is accounted for, except what
    asynchronous replication may lose at the kill.
    """
    manager: redis.sentinel.Sentinel | valkey.sentinel.Sentinel
    if sentinel_set.flavour == "redis":
        manager = redis.sentinel.Sentinel(  # type: ignore[no-untyped-call]
            sentinel_set.sentinel_addresses
        )
    else:
        manager = valkey.sentinel.Sentinel(  # type: ignore[no-untyped-call]
            sentinel_set.sentinel_addresses
        )
    client: Any = manager.master_for(sentinel_set.service_name)
    events = QueueEvents()
    queue = redis_message_queue.RedisMessageQueue(
        "orders",
        client=client,
        visibility_timeout_seconds=5,
        max_delivery_count=2,
        message_wait_interval_seconds=0.2,
        on_event=events,
    )
    ledger = Ledger(f"Sentinel failover, sync queue, {sentinel_set.flavour}")
    lane = Lane(queue, ledger, events, lambda: client.hvals(queue.key.processing))

    try:
        timings = run_workload(
            [lane], Workload(messages=2_000), lambda: _kill_primary(sentinel_set)
        )
    finally:
        client.close()
        for sentinel in manager.sentinels:
            sentinel.close()

    ledger.notes["replica promoted after (s)"] = f"{timings['promoted_after']:.2f}"
    LedgerReport.of(request.config).add(ledger)
    assert timings["drained_in"] < float("inf"), "the queue did not drain"
    assert ledger.refused == 0
    assert not ledger.left
    assert ledger.crashing <= ledger.dead_lettered
    before, after = REPLICATION_WINDOW
    assert not ledger.lost_outside(timings["killed_at"], before, after)


def test_an_asyncio_queue_follows_a_sentinel_failover() -> None:
    """C15: an asyncio queue on ``master_for`` publishes through a Sentinel
    failover (its retries reach the promoted replica) and delivers every message
    published before and after it.
    """
    flavour = SERVER_FLAVOURS[-1]
    with LocalSentinel(flavour) as sentinel_set:
        delivered = asyncio.run(_publish_across_a_failover(sentinel_set))

    expected = {f"before-{i}" for i in range(50)} | {f"after-{i}" for i in range(50)}
    assert delivered == expected


async def _publish_across_a_failover(sentinel_set: LocalSentinel) -> set[str]:
    manager: redis.asyncio.sentinel.Sentinel | valkey.asyncio.sentinel.Sentinel
    if sentinel_set.flavour == "redis":
        manager = redis.asyncio.sentinel.Sentinel(  # type: ignore[no-untyped-call]
            sentinel_set.sentinel_addresses
        )
    else:
        manager = valkey.asyncio.sentinel.Sentinel(  # type: ignore[no-untyped-call]
            sentinel_set.sentinel_addresses
        )
    client: Any = manager.master_for(sentinel_set.service_name, decode_responses=True)
    queue = redis_message_queue.asyncio.RedisMessageQueue(
        "{invoices}", client=client, message_wait_interval_seconds=0.2
    )
    try:
        for number in range(50):
            assert await queue.publish(f"before-{number}")
        # The kill must not race replication: these are about the re-discovery.
        await client.execute_command("WAIT", 1, 5000)
        old = sentinel_set.current_primary()
        old.kill()

        for number in range(50):
            assert await queue.publish(f"after-{number}")
        assert sentinel_set.current_primary() is not old

        delivered: set[str] = set()
        while len(delivered) < 100:
            async with queue.process_message() as message:
                assert isinstance(message, str), f"{len(delivered)} delivered"
                delivered.add(message)
        return delivered
    finally:
        await client.aclose()
        for sentinel in manager.sentinels:
            await sentinel.aclose()
