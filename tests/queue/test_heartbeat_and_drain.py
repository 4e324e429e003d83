"""Heartbeats, drain and cancellation (rules Q11, Q14-Q17, Q24)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

import redis_message_queue
from redis_message_queue import QueueEvent
from redis_message_queue.adapters.memory import MemoryBackend
from redis_message_queue.core.clock import ManualClock
from redis_message_queue.core.envelope import MessageData
from redis_message_queue.core.errors import QueueDrainedError
from redis_message_queue.core.keys import QueueKeyManager
from tests.queue.conftest import Clock, DriverFactory
from tests.queue.drivers import AsyncQueueDriver, FlavouredCallback, SyncQueueDriver
from tests.queue.storage import Storage


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


def test_heartbeat_outlives_the_visibility_timeout(
    make_driver: DriverFactory, memory_clock: ManualClock | None
) -> None:
    """Q14: a delivery held past its visibility timeout keeps its message: another
    consumer finds nothing to take back, on threads and on the event loop."""
    holder = make_driver(visibility_timeout_seconds=1, heartbeat_interval_seconds=0.05)
    other = make_driver(visibility_timeout_seconds=1, message_wait_interval_seconds=0)
    holder.publish("long job")

    held = holder.hold(1.5, clock=memory_clock, other=other)

    assert held == (b"long job", None)
    assert holder.stats().processing == 0


def test_renewals_run_beside_the_handler_and_name_the_message(
    make_driver: DriverFactory,
) -> None:
    """Q14, Q24: while a delivery is held, `lease_renew` events arrive with the
    message id and lease hash of its claim; the sync queue sends them from the
    heartbeat thread."""
    events: list[QueueEvent] = []
    threads: list[str] = []

    def record(event: QueueEvent) -> None:
        events.append(event)
        threads.append(threading.current_thread().name)

    driver = make_driver(
        visibility_timeout_seconds=1,
        heartbeat_interval_seconds=0.05,
        on_event=FlavouredCallback(record),
    )
    driver.publish("held")

    assert driver.hold(0.4).message == b"held"

    claim = next(event for event in events if event.operation == "claim")
    renewals = [event for event in events if event.operation == "lease_renew"]
    assert renewals, "the heartbeat never renewed"
    for renewal in renewals:
        assert renewal.outcome == "success"
        assert renewal.message_id == claim.message_id
        assert renewal.lease_token_hash == claim.lease_token_hash
    assert str(events[-1].operation) == "ack"
    if isinstance(driver, SyncQueueDriver):
        renewal_threads = {threads[events.index(event)] for event in renewals}
        assert threading.current_thread().name not in renewal_threads


@pytest.mark.parametrize("failure", ["lost", "error"])
def test_failed_renewal_stops_the_heartbeat_and_calls_back_once(
    make_driver: DriverFactory,
    storage: Storage,
    monkeypatch: pytest.MonkeyPatch,
    failure: str,
) -> None:
    """Q15: a renewal that finds no lease (skipped) or raises (failure, with the
    error's class) is the last one: `on_heartbeat_failure` (sync or async) runs
    once and the handler goes on."""
    calls: list[str] = []
    failures: list[str] = []
    events: list[QueueEvent] = []

    def renew() -> bool:
        calls.append("renew")
        if failure == "error":
            raise RuntimeError("renewal refused")
        return False

    driver = make_driver(
        visibility_timeout_seconds=1,
        heartbeat_interval_seconds=0.05,
        on_heartbeat_failure=FlavouredCallback(lambda: failures.append("lost")),
        on_event=FlavouredCallback(events.append),
    )
    driver.publish("long job")
    storage.replace_operation(monkeypatch, "renew", renew)

    assert driver.hold(0.4).message == b"long job"

    assert calls == ["renew"], "the heartbeat renewed after its first failure"
    assert failures == ["lost"]
    (lost,) = [event for event in events if event.operation == "lease_renew_failed"]
    if failure == "error":
        assert (lost.outcome, lost.exception_type) == ("failure", "RuntimeError")
    else:
        assert (lost.outcome, lost.exception_type) == ("skipped", None)
    assert str(events[-1].operation) == "ack"


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


def test_drained_polls_pause_instead_of_spinning(make_driver: DriverFactory) -> None:
    """Q11: after drain, process_message() waits up to the wait interval (at most
    1 s) before it yields None, so a loop that ignores is_draining does not spin."""
    driver = make_driver(message_wait_interval_seconds=0.2)
    driver.drain()
    assert driver.queue.is_draining

    started = time.monotonic()
    for _ in range(3):
        assert driver.process(lambda message: message) is None

    assert time.monotonic() - started >= 0.55


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


def _asyncio_driver(make_driver: DriverFactory, **options: Any) -> AsyncQueueDriver:
    driver = make_driver(**options)
    if not isinstance(driver, AsyncQueueDriver):
        pytest.skip("tasks and their cancellation are an asyncio matter")
    return driver


def test_drain_waits_for_a_running_handler_task(make_driver: DriverFactory) -> None:
    """Q11: the asyncio drain (and its aclose spelling) waits for running tasks."""
    driver = _asyncio_driver(make_driver)
    queue = driver.queue

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

    assert driver.run(scenario()) == (False, True, True)


def test_external_cancellation_leaves_the_message_claimed(
    make_driver: DriverFactory, clock: Clock
) -> None:
    """Q17: cancelling a consumer task from outside is a shutdown, not a failure:
    the message stays claimed and its lease brings it back."""
    driver = _asyncio_driver(make_driver, visibility_timeout_seconds=1)
    queue = driver.queue

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

        clock.advance(1.2)
        async with queue.process_message() as again:
            return processing, again

    assert driver.run(scenario()) == (1, b"survives cancel")


def test_handler_raised_cancellation_is_a_failure(make_driver: DriverFactory) -> None:
    """Q17: a CancelledError the handler raises itself fails the message."""
    driver = _asyncio_driver(make_driver, enable_failed_queue=True)
    queue = driver.queue

    async def scenario() -> tuple[int, int | None]:
        await queue.publish("self-cancelled")
        with pytest.raises(asyncio.CancelledError):
            async with queue.process_message():
                raise asyncio.CancelledError
        stats = await queue.stats()
        return stats.processing, stats.failed

    assert driver.run(scenario()) == (0, 1)


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
