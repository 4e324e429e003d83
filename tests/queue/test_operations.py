"""Operator calls on the queue: redrive, purge, and the fixes around them (Q20-Q23)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from redis_message_queue import ConfigurationError, RedisMessageQueue
from redis_message_queue.adapters.memory import MemoryBackend
from redis_message_queue.core.clock import ManualClock
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports import ClaimOptions, ClaimResult
from tests.queue.conftest import Clock, DriverFactory
from tests.queue.drivers import QueueDriver


def _crash(message: object) -> None:
    raise SystemExit


def _dead_letter(
    driver_factory: DriverFactory, clock: Clock, *texts: str
) -> QueueDriver:
    driver = driver_factory(visibility_timeout_seconds=1, max_delivery_count=1)
    for text in texts:
        driver.publish(text)
        with pytest.raises(SystemExit):
            driver.process(_crash)
        clock.advance(1.2)
    assert driver.process(lambda message: message) is None
    assert driver.stats().dead_letter == len(texts)
    return driver


def test_redrive_moves_dead_letters_back(
    make_driver: DriverFactory, clock: Clock
) -> None:
    """Q20: redrive_dead_letters moves the oldest back with a fresh budget."""
    driver = _dead_letter(make_driver, clock, "one", "two", "three")

    assert driver.run(driver.queue.redrive_dead_letters(max_messages=2)) == 2
    assert driver.process(lambda message: message) == b"one"
    assert driver.run(driver.queue.redrive_dead_letters()) == 1
    stats = driver.stats()
    assert (stats.pending, stats.dead_letter) == (2, 0)


def test_purge_refuses_processing_and_empties_lists(
    make_driver: DriverFactory,
) -> None:
    """Q21: purge empties pending or a history list, never processing."""
    driver = make_driver(enable_completed_queue=True)
    for text in ("a", "b", "c"):
        driver.publish(text)
    driver.process(lambda message: None)
    queue = driver.queue

    with pytest.raises(ConfigurationError, match="processing"):
        driver.run(queue.purge(target="processing"))
    with pytest.raises(ConfigurationError, match="target"):
        driver.run(queue.purge(target="everything"))
    assert driver.run(queue.purge(target="pending")) == 2
    assert driver.run(queue.purge(target="completed")) == 1
    stats = driver.stats()
    assert (stats.pending, stats.completed) == (0, 0)


@pytest.mark.parametrize("key_function", ["default", None])
def test_dropped_message_can_be_published_again(
    make_driver: DriverFactory, key_function: str | None
) -> None:
    """Q22: drop_oldest forgets the dropped message's dedup marker."""
    options: dict[str, object] = {
        "max_pending_length": 1,
        "pending_overload_policy": "drop_oldest",
    }
    if key_function is None:
        options["get_deduplication_key"] = None
    driver = make_driver(**options)

    assert driver.publish({"reading": 1}) is True
    assert driver.publish({"reading": 2}) is True  # drops reading 1
    assert driver.publish({"reading": 1}) is True, "the dropped marker survived"
    assert driver.publish({"reading": 1}) is False, "a live marker still counts"


def test_drop_oldest_with_custom_key_is_refused() -> None:
    """Q22: a custom key cannot be recomputed, so the combination is refused."""
    with pytest.raises(ConfigurationError, match="drop_oldest"):
        RedisMessageQueue(
            "q",
            backend=MemoryBackend(),
            max_pending_length=5,
            pending_overload_policy="drop_oldest",
            get_deduplication_key=lambda message: "k",
        )


class _LostClaimReply(MemoryBackend):
    """Runs the first claim on the store, then loses its reply."""

    lost = False

    def claim(
        self,
        queue: QueueKeyManager,
        options: ClaimOptions,
        *,
        claim_id: str | None = None,
    ) -> ClaimResult:
        result = super().claim(queue, options, claim_id=claim_id)
        if result.claims and not self.lost:
            self.lost = True
            raise ConnectionResetError("reply lost")
        return result

    def is_transient(self, error: BaseException) -> bool:
        return False


@pytest.mark.parametrize("visibility_timeout_seconds", [None, 300])
def test_drain_releases_claims_whose_reply_was_lost(
    visibility_timeout_seconds: int | None,
) -> None:
    """Q23: a claim that ran but lost its reply is given back by drain()."""
    backend = _LostClaimReply(clock=ManualClock())
    queue = RedisMessageQueue(
        "lost",
        backend=backend,
        visibility_timeout_seconds=visibility_timeout_seconds,
        max_delivery_count=None if visibility_timeout_seconds is None else 10,
        message_wait_interval_seconds=0,
    )
    queue.publish("orphan?")

    with pytest.raises(ConnectionResetError), queue.process_message():
        pass
    assert queue.stats().processing == 1

    assert queue.drain(timeout=1) is True
    stats = queue.stats()
    assert (stats.pending, stats.processing) == (1, 0)
    assert _next_payloads(backend) == [b"orphan?"]


def _next_payloads(backend: MemoryBackend) -> Sequence[object]:
    fresh = RedisMessageQueue("lost", backend=MemoryBackend(backend.store))
    return fresh.peek(5)
