"""Backpressure on publish (rule Q19): raise, drop_oldest, block."""

from __future__ import annotations

import threading
import time

import pytest

from redis_message_queue import ConfigurationError, QueueBackpressureError, QueueEvent
from tests.queue.conftest import DriverFactory
from tests.queue.drivers import FlavouredCallback, SyncQueueDriver


def test_raise_refuses_when_full(make_driver: DriverFactory) -> None:
    """Q19: at the cap, publish raises and the queue is unchanged."""
    driver = make_driver(max_pending_length=2)
    driver.publish("a")
    driver.publish("b")

    with pytest.raises(QueueBackpressureError) as caught:
        driver.publish("c")

    assert caught.value.queue == driver.queue.key.queue_name
    assert driver.stats().pending == 2
    driver.process(lambda message: None)
    assert driver.publish("c") is True, "the refused message left no dedup marker"


def test_drop_oldest_makes_room_and_reports(make_driver: DriverFactory) -> None:
    """Q19: drop_oldest removes the oldest pending message and emits `dropped`."""
    events: list[QueueEvent] = []
    driver = make_driver(
        max_pending_length=2,
        pending_overload_policy="drop_oldest",
        on_event=FlavouredCallback(events.append),
    )
    for text in ("a", "b", "c"):
        assert driver.publish(text) is True

    received = [driver.process(lambda message: message) for _ in range(3)]

    assert received == [b"b", b"c", None]
    assert [str(event.operation) for event in events].count("dropped") == 1


def test_block_waits_for_room(make_driver: DriverFactory) -> None:
    """Q19: block retries until a consumer makes room, within its timeout."""
    driver = make_driver(
        max_pending_length=1,
        pending_overload_policy="block",
        pending_overload_block_timeout_seconds=5,
    )
    if not isinstance(driver, SyncQueueDriver):
        pytest.skip("a consumer thread needs the sync flavour")
    consumer_queue = make_driver()
    driver.publish("first")

    def consume_later() -> None:
        time.sleep(0.3)
        consumer_queue.process(lambda message: None)

    consumer = threading.Thread(target=consume_later)
    consumer.start()
    assert driver.publish("second") is True
    consumer.join()
    assert driver.stats().pending == 1


def test_block_gives_up_after_its_timeout(make_driver: DriverFactory) -> None:
    """Q19: block raises once its timeout has passed without room."""
    driver = make_driver(
        max_pending_length=1,
        pending_overload_policy="block",
        pending_overload_block_timeout_seconds=0.2,
    )
    driver.publish("first")
    started = time.monotonic()

    with pytest.raises(QueueBackpressureError):
        driver.publish("second")
    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize("policy", ["block", "drop_oldest"])
def test_policy_without_cap_is_refused(make_driver: DriverFactory, policy: str) -> None:
    """Q19: a policy that could never apply is a configuration mistake."""
    with pytest.raises(ConfigurationError, match="max_pending_length"):
        make_driver(pending_overload_policy=policy)


def test_cap_holds_under_concurrent_publishers(make_driver: DriverFactory) -> None:
    """Q19: the check and the push are one step, so the cap is never exceeded."""
    driver = make_driver(max_pending_length=50, deduplication=False)
    if not isinstance(driver, SyncQueueDriver):
        pytest.skip("publisher threads need the sync flavour")
    accepted: list[bool] = []
    lock = threading.Lock()

    def publish_many(worker: int) -> None:
        for index in range(20):
            try:
                driver.publish(f"{worker}-{index}")
            except QueueBackpressureError:
                continue
            with lock:
                accepted.append(True)

    workers = [threading.Thread(target=publish_many, args=[n]) for n in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert len(accepted) == 50
    assert driver.stats().pending == 50
