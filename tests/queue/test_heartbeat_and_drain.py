"""Heartbeats, drain and cancellation (rules Q11, Q14-Q17)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import redis_message_queue
import redis_message_queue.asyncio
from redis_message_queue import QueueEvent
from redis_message_queue.adapters.memory import (
    AsyncMemoryBackend,
    MemoryBackend,
    MemoryStore,
)
from redis_message_queue.core.clock import ManualClock
from redis_message_queue.core.envelope import MessageData
from redis_message_queue.core.errors import QueueDrainedError
from redis_message_queue.core.keys import QueueKeyManager
from tests.queue.conftest import Clock, DriverFactory
from tests.queue.drivers import FlavouredCallback, SyncQueueDriver


def test_heartbeat_keeps_a_busy_handlers_lease(
    make_driver: DriverFactory, clock: Clock
) -> None:
    """Q14: renewals while the handler runs keep the message from a second consumer."""
    events: list[QueueEvent] = []
    _require_sync(make_driver)
    busy = make_driver(
        visibility_timeout_seconds=1,
        heartbeat_interval_seconds=0.2,
        on_event=FlavouredCallback(events.append),
    )
    other = make_driver(visibility_timeout_seconds=1)
    busy.publish("long job")

    def handler(message: MessageData | None) -> None:
        for _ in range(5):
            clock.advance(0.3)
            if clock.manual is not None:
                time.sleep(0.25)  # lets the heartbeat thread renew meanwhile
        assert other.process(lambda stolen: stolen) is None

    busy.process(handler)

    renewals = [event for event in events if event.operation == "lease_renew"]
    assert renewals, "the heartbeat never renewed"
    assert all(event.outcome == "success" for event in renewals)
    assert busy.stats().processing == 0


def test_lost_lease_stops_heartbeat_and_reports_once(
    make_driver: DriverFactory, clock: Clock, target: str
) -> None:
    """Q15: a renewal that finds the lease gone fires on_heartbeat_failure once."""
    if clock.manual is None:
        pytest.skip("needs a clock that can jump past the lease between renewals")
    failures: list[str] = []
    events: list[QueueEvent] = []
    _require_sync(make_driver)
    slow = make_driver(
        visibility_timeout_seconds=1,
        heartbeat_interval_seconds=0.1,
        on_heartbeat_failure=FlavouredCallback(lambda: failures.append("lost")),
        on_event=FlavouredCallback(events.append),
    )
    thief = make_driver(visibility_timeout_seconds=1)
    slow.publish("contested")

    def handler(message: MessageData | None) -> None:
        clock.advance(2)
        assert thief.process(lambda stolen: stolen) == message
        time.sleep(0.4)

    with pytest.warns(RuntimeWarning, match="lease"):
        slow.process(handler)

    assert failures == ["lost"]
    lost = [event for event in events if event.operation == "lease_renew_failed"]
    assert [event.outcome for event in lost] == ["skipped"]


def _require_sync(make_driver: DriverFactory) -> None:
    # The asyncio heartbeat is a task: it runs only while the handler awaits, and
    # these scenarios run handlers outside the loop. The task-based tests below
    # cover the asyncio flavour.
    if not isinstance(make_driver(), SyncQueueDriver):
        pytest.skip("asyncio heartbeats are covered by the task-based tests")


def test_process_message_callback_handles_one_message(
    make_driver: DriverFactory,
) -> None:
    """Q16: the callback form has the same lifecycle as the context manager."""
    driver = make_driver(enable_completed_queue=True)
    seen: list[MessageData | None] = []
    driver.publish("via callback")

    assert driver.process_callback(seen.append) is True
    assert driver.process_callback(seen.append) is False
    assert seen == [b"via callback"]
    assert driver.stats().completed == 1


def test_drain_waits_for_a_running_handler_thread(make_driver: DriverFactory) -> None:
    """Q11: drain returns True once the running delivery has settled."""
    driver = make_driver()
    if not isinstance(driver, SyncQueueDriver):
        pytest.skip("the asyncio flavour is covered by the task-based test below")
    driver.publish("in flight")
    started = threading.Event()

    def handler(message: MessageData | None) -> None:
        started.set()
        time.sleep(0.3)

    consumer = threading.Thread(target=driver.process, args=[handler])
    consumer.start()
    assert started.wait(5)

    assert driver.drain(timeout=0) is False
    assert driver.drain(timeout=5) is True
    consumer.join()
    assert driver.queue.is_drained
    assert driver.stats().processing == 0


def test_publish_after_drain_is_refused(make_driver: DriverFactory) -> None:
    """Q11: a drained queue publishes nothing and says so."""
    driver = make_driver()
    driver.drain()

    with pytest.raises(QueueDrainedError):
        driver.publish("too late")
    assert driver.stats().pending == 0


@pytest.mark.parametrize("timeout", [-1, "1", True])
def test_drain_timeout_is_validated(
    make_driver: DriverFactory, timeout: object
) -> None:
    """Q11: drain's timeout is a number >= 0 or None."""
    driver = make_driver()

    with pytest.raises((TypeError, ValueError)):
        driver.drain(timeout)  # type: ignore[arg-type]


def _async_queue() -> tuple[redis_message_queue.asyncio.RedisMessageQueue, ManualClock]:
    clock = ManualClock()
    backend = AsyncMemoryBackend(MemoryStore(clock))
    queue = redis_message_queue.asyncio.RedisMessageQueue(
        "cancel", backend=backend, visibility_timeout_seconds=1
    )
    return queue, clock


def test_drain_waits_for_a_running_handler_task() -> None:
    """Q11: the asyncio drain (and its aclose spelling) waits for running tasks."""
    queue, _ = _async_queue()

    async def scenario() -> tuple[bool, bool, bool]:
        await queue.publish("in flight")
        started = asyncio.Event()

        async def consume() -> None:
            async def handler(message: MessageData) -> None:
                started.set()
                await asyncio.sleep(0.3)

            await queue.process_message_callback(handler)

        task = asyncio.create_task(consume())
        await started.wait()
        early = await queue.drain(timeout=0)
        settled = await queue.aclose(timeout=5)
        await task
        return early, settled, queue.is_drained

    assert asyncio.run(scenario()) == (False, True, True)


def test_asyncio_heartbeat_renews_while_the_handler_awaits() -> None:
    """Q14: the heartbeat task renews while an async handler awaits."""
    clock = ManualClock()
    store = MemoryStore(clock)
    events: list[QueueEvent] = []

    async def record(event: QueueEvent) -> None:
        events.append(event)

    def build(**options: object) -> redis_message_queue.asyncio.RedisMessageQueue:
        return redis_message_queue.asyncio.RedisMessageQueue(
            "beats",
            backend=AsyncMemoryBackend(store),
            visibility_timeout_seconds=1,
            message_wait_interval_seconds=0,
            **options,  # type: ignore[arg-type]
        )

    busy = build(heartbeat_interval_seconds=0.05, on_event=record)
    other = build()

    async def scenario() -> MessageData | None:
        await busy.publish("long job")
        async with busy.process_message():
            for _ in range(4):
                clock.advance(0.4)
                await asyncio.sleep(0.12)
            async with other.process_message() as stolen:
                return stolen

    assert asyncio.run(scenario()) is None
    assert any(event.operation == "lease_renew" for event in events)


def test_external_cancellation_leaves_the_message_claimed() -> None:
    """Q17: cancelling a consumer task from outside is a shutdown, not a failure."""
    queue, clock = _async_queue()

    async def scenario() -> tuple[int, MessageData | None]:
        await queue.publish("survives cancel")
        entered = asyncio.Event()

        async def consume() -> None:
            async with queue.process_message():
                entered.set()
                await asyncio.sleep(10)

        task = asyncio.create_task(consume())
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        processing = (await queue.stats()).processing

        clock.advance(1.5)
        async with queue.process_message() as again:
            return processing, again

    assert asyncio.run(scenario()) == (1, b"survives cancel")


def test_handler_raised_cancellation_is_a_failure() -> None:
    """Q17: a CancelledError the handler raises itself fails the message."""
    queue, _ = _async_queue()

    async def scenario() -> int:
        await queue.publish("self-cancelled")
        with pytest.raises(asyncio.CancelledError):
            async with queue.process_message():
                raise asyncio.CancelledError
        return (await queue.stats()).processing

    assert asyncio.run(scenario()) == 0


class _RenewalsFail(MemoryBackend):
    """Every renewal fails with an error the retry policy would retry for minutes."""

    def renew(
        self,
        queue: QueueKeyManager,
        stored: MessageData,
        lease_token: str,
        lease_ms: int,
    ) -> bool:
        raise ConnectionError("server unreachable")

    def is_transient(self, error: BaseException) -> bool:
        return isinstance(error, ConnectionError)


def test_stopping_the_heartbeat_ends_renewal_retries() -> None:
    """Q14: a renewal retrying within its 120 s budget stops with the heartbeat."""
    events: list[QueueEvent] = []
    queue = redis_message_queue.RedisMessageQueue(
        "stuck-renewals",
        backend=_RenewalsFail(clock=ManualClock()),
        visibility_timeout_seconds=10,
        heartbeat_interval_seconds=0.2,
        on_event=events.append,
    )
    queue.publish("work")

    with queue.process_message() as message:
        assert message == b"work"
        time.sleep(0.6)  # the first renewal is retrying meanwhile

    operations = {str(event.operation) for event in events}
    assert "retry_attempt" in operations
    assert "heartbeat_stop_timeout" not in operations, "renewal retries outlived it"
    assert queue.stats().processing == 0
