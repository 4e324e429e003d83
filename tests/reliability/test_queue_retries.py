"""The queue's own calls are retried: lost replies to a publish, a claim and an ack
leave exactly one delivery and one completed message (sync and asyncio queues).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import redis.asyncio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

import redis_message_queue
import redis_message_queue.asyncio
from redis_message_queue.core.events import EventOperation, QueueEvent
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.interrupt_handler import BaseGracefulInterruptHandler
from tests.queue.drivers import (
    AsyncQueueDriver,
    FlavouredCallback,
    QueueDriver,
    SyncQueueDriver,
)
from tests.support.proxy import CuttingProxy

QueueFactory = Callable[..., QueueDriver]


class _Never(BaseGracefulInterruptHandler):
    def is_interrupted(self) -> bool:
        return False


@pytest.fixture(params=["sync", "asyncio"])
def make_queue(
    request: pytest.FixtureRequest,
    proxy: CuttingProxy,
    runner: asyncio.Runner,
    queue: QueueKeyManager,
) -> Iterator[QueueFactory]:
    """Build a queue whose client reaches the server through the proxy.

    The client does not repeat commands itself, so the queue's retries are the
    ones under test.
    """
    closers: list[Callable[[], Any]] = []

    def build(**options: Any) -> QueueDriver:
        options.setdefault("message_wait_interval_seconds", 0)
        options = {
            key: value.pick(request.param)
            if isinstance(value, FlavouredCallback)
            else value
            for key, value in options.items()
        }
        if request.param == "sync":
            client = redis.Redis(port=proxy.port, retry=Retry(NoBackoff(), 0))
            closers.append(client.close)
            sync_queue = redis_message_queue.RedisMessageQueue(
                queue.queue_name, client=client, **options
            )
            return SyncQueueDriver(sync_queue)

        async_client = redis.asyncio.Redis(
            port=proxy.port, retry=AsyncRetry(NoBackoff(), 0)
        )
        closers.append(lambda: runner.run(async_client.aclose()))
        async_queue = redis_message_queue.asyncio.RedisMessageQueue(
            queue.queue_name, client=async_client, **options
        )
        return AsyncQueueDriver(async_queue, runner)

    yield build
    for close in closers:
        close()


def test_lost_replies_to_publish_claim_and_ack(
    make_queue: QueueFactory, proxy: CuttingProxy, admin: redis.Redis
) -> None:
    """R21-R23: each retry returns the first run's result; nothing is doubled."""
    events: list[QueueEvent] = []
    driver = make_queue(
        on_event=FlavouredCallback(events.append),
        enable_completed_queue=True,
        interrupt=_Never(),
    )
    driver.stats()

    proxy.cut_after_next_command()
    assert driver.publish("job") is True

    def handle(message: object) -> object:
        proxy.cut_after_next_command()  # the ack that follows this handler
        return message

    proxy.cut_after_next_command()
    assert driver.process(handle) == b"job"

    assert proxy.cuts == 3
    stats = driver.stats()
    assert (stats.pending, stats.processing, stats.completed) == (0, 0, 1)
    retried = [e for e in events if e.operation is EventOperation.RETRY_ATTEMPT]
    assert len(retried) == 3, "one retry each for the publish, the claim and the ack"
    assert [e.claim_id is not None for e in retried] == [False, True, False]
    operations = [event.operation for event in events]
    assert EventOperation.CLEANUP_FAILED not in operations
    assert EventOperation.STALE_LEASE_ACK not in operations
    assert driver.process(lambda message: message) is None


def test_interrupt_must_be_a_handler(make_queue: QueueFactory) -> None:
    """The queue refuses an ``interrupt`` that is not a graceful interrupt handler."""
    with pytest.raises(TypeError, match="interrupt"):
        make_queue(interrupt=object())
