"""Our ``RedisGateway``: on its own (G8) and as ``gateway=`` (G11), on real servers."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from redis_message_queue import ClaimedMessage, ConfigurationError, QueueEvent
from redis_message_queue._config import LUA_SCRIPTS
from redis_message_queue._stored_message import encode_stored_message
from redis_message_queue.core.envelope import MessageData
from redis_message_queue.interrupt_handler import EventDrivenInterruptHandler
from tests.compat.conftest import Harness
from tests.queue.drivers import FlavouredCallback, QueueDriver


class BoomError(Exception):
    """A handler failure."""


def _fail(message: MessageData | None) -> None:
    raise BoomError(f"cannot handle {message!r}")


def _crash(message: MessageData | None) -> None:
    raise SystemExit(3)


def test_standalone_gateway_publishes_and_claims(harness: Harness) -> None:
    """G8: publish_message honours the marker, add_message always pushes,
    wait_for_message_and_move hands out ClaimedMessage oldest first, then None."""
    gateway = harness.redis_gateway(
        message_visibility_timeout_seconds=30, message_wait_interval_seconds=0
    )
    pending, processing = f"{harness.name}::pending", f"{harness.name}::processing"
    marker = f"{harness.name}::deduplication::one"

    assert harness.run(gateway.publish_message(pending, "one", marker)) is True
    assert harness.run(gateway.publish_message(pending, "one", marker)) is False
    assert harness.run(gateway.add_message(pending, "two")) is None

    first = harness.run(gateway.wait_for_message_and_move(pending, processing))
    second = harness.run(gateway.wait_for_message_and_move(pending, processing))
    assert isinstance(first, ClaimedMessage)
    assert isinstance(second, ClaimedMessage)
    assert (first.stored_message, second.stored_message) == (b"one", b"two")
    assert first.lease_token != second.lease_token
    assert harness.run(gateway.wait_for_message_and_move(pending, processing)) is None
    assert 3500 < harness.server.ttl(marker) <= 3600


def test_standalone_gateway_settles_and_renews(harness: Harness) -> None:
    """G8: move_message keeps the bare payload, remove_message settles (also without
    a token, by the token it handed out), renew works only with a live lease."""
    gateway = harness.redis_gateway(
        message_visibility_timeout_seconds=30, message_wait_interval_seconds=0
    )
    name = harness.name
    pending, processing = f"{name}::pending", f"{name}::processing"
    for text in ("kept", "dropped"):
        harness.run(gateway.add_message(pending, encode_stored_message(text)))
    kept = harness.run(gateway.wait_for_message_and_move(pending, processing))
    dropped = harness.run(gateway.wait_for_message_and_move(pending, processing))

    assert harness.run(
        gateway.renew_message_lease(processing, kept.stored_message, kept.lease_token)
    )
    assert not harness.run(
        gateway.renew_message_lease(processing, kept.stored_message, "not-a-token")
    )
    assert not harness.run(
        gateway.move_message(
            processing,
            f"{name}::completed",
            kept.stored_message,
            lease_token="x",  # noqa: S106 - a token that holds nothing
        )
    )
    assert harness.run(
        gateway.move_message(
            processing,
            f"{name}::completed",
            kept.stored_message,
            lease_token=kept.lease_token,
        )
    )
    assert harness.run(gateway.remove_message(processing, dropped.stored_message))
    assert harness.list(f"{name}::completed") == [b"kept"]
    assert harness.server.hlen(processing) == 0


def test_standalone_gateway_trims(harness: Harness) -> None:
    """G8: trim_queue keeps the newest max_length entries; 0 is refused."""
    gateway = harness.redis_gateway()
    key = f"{harness.name}::completed"
    harness.server.lpush(key, "old", "middle", "new")

    harness.run(gateway.trim_queue(key, 2))

    assert harness.list(key) == [b"new", b"middle"]
    with pytest.raises(ConfigurationError):
        harness.run(gateway.trim_queue(key, 0))


def test_gateway_without_leases_renews_nothing(harness: Harness) -> None:
    """G8: without a visibility timeout there is no lease to renew."""
    gateway = harness.redis_gateway(message_wait_interval_seconds=0)
    pending, processing = f"{harness.name}::pending", f"{harness.name}::processing"
    harness.run(gateway.add_message(pending, "x"))
    claimed = harness.run(gateway.wait_for_message_and_move(pending, processing))

    assert not harness.run(
        gateway.renew_message_lease(
            processing, claimed.stored_message, claimed.lease_token
        )
    )
    assert harness.run(
        gateway.remove_message(
            processing, claimed.stored_message, lease_token=claimed.lease_token
        )
    )


def test_standalone_gateway_needs_queue_key_names(harness: Harness) -> None:
    """G8: without a bound queue, keys must be <name>::pending / ::processing."""
    gateway = harness.redis_gateway(message_wait_interval_seconds=0)
    name = harness.name

    with pytest.raises(ConfigurationError, match="::pending"):
        harness.run(gateway.add_message(name, "x"))
    with pytest.raises(ConfigurationError, match="processing"):
        harness.run(gateway.wait_for_message_and_move(f"{name}::pending", "elsewhere"))
    with pytest.raises(ConfigurationError):
        harness.run(gateway.remove_message(f"{name}::pending", b"x"))


def test_gateway_learns_the_separator_of_its_queue(harness: Harness) -> None:
    """G8: once a queue uses the gateway, the queue's own key names resolve."""
    gateway = harness.redis_gateway(message_wait_interval_seconds=0)
    queue = harness.queue(gateway=gateway, key_separator="/")
    key = queue.queue.key

    harness.run(gateway.add_message(key.pending, "via-gateway"))

    assert queue.process(lambda message: message) == b"via-gateway"


def test_interrupted_gateway_stops_claiming(harness: Harness) -> None:
    """G18: once the gateway's interrupt handler reports a stop, claims return None
    without taking anything, on their own and through a queue."""
    stop = threading.Event()
    gateway = harness.redis_gateway(
        interrupt=EventDrivenInterruptHandler(stop), message_wait_interval_seconds=1
    )
    queue = harness.queue(gateway=gateway)
    key = queue.queue.key
    queue.publish("waits")
    stop.set()

    started = time.monotonic()
    claimed = harness.run(
        gateway.wait_for_message_and_move(key.pending, key.processing)
    )
    assert claimed is None
    assert queue.process(lambda message: message) is None
    assert time.monotonic() - started < 0.5
    assert len(harness.list(key.pending)) == 1


def test_interrupted_client_queue_stops_claiming(harness: Harness) -> None:
    """G18: a client= queue's interrupt handler stops its claims the same way."""
    stop = threading.Event()
    queue = harness.queue(
        client=harness.client(),
        interrupt=EventDrivenInterruptHandler(stop),
        message_wait_interval_seconds=1,
    )
    queue.publish("waits")
    stop.set()

    assert queue.process(lambda message: message) is None
    assert len(harness.list(queue.queue.key.pending)) == 1
    stop.clear()
    assert queue.process(lambda message: message) == b"waits"


def _command_counts(harness: Harness) -> dict[str, int]:
    info: dict[str, Any] = harness.server.info("commandstats")
    ignored = {"info", "lrange", "hlen", "keys", "script", "ttl"}
    counts: dict[str, int] = {}
    for section, stats in info.items():
        command = section.removeprefix("cmdstat_")
        if command not in ignored:
            counts[command] = int(stats["calls"])
    return counts


def _scenario(harness: Harness, queue: QueueDriver, events: list[QueueEvent]) -> Any:
    """Publish, ack, fail, crash and dead-letter; return what can be observed."""
    name = queue.queue.key.queue_name
    before = _command_counts(harness)

    published = [queue.publish(text) for text in ("a", "a", "b", "c")]
    acked = queue.process(lambda message: message)
    with pytest.raises(BoomError):
        queue.process(_fail)
    with pytest.raises(SystemExit):
        queue.process(_crash)
    time.sleep(1.05)  # the crashed delivery's one-second lease runs out
    after_lease = queue.process(lambda message: message)

    after = _command_counts(harness)
    commands = {
        command: calls - before.get(command, 0)
        for command, calls in after.items()
        if calls != before.get(command, 0)
    }
    return {
        "published": published,
        "acked": acked,
        "after_lease": after_lease,
        "lists": {
            role: harness.list(f"{name}::{role}")
            for role in ("pending", "completed", "failed", "dlq")
        },
        "processing": harness.server.hlen(f"{name}::processing"),
        "events": [
            (
                event.operation,
                event.outcome,
                (event.destination_queue or "").replace(name, "N"),
                event.delivery_count,
            )
            for event in events
        ],
        "commands": commands,
    }


def test_redis_gateway_queue_behaves_as_a_client_queue(harness: Harness) -> None:
    """G11: with the same lease, delivery budget, dead-letter list and wait, a queue on
    RedisGateway publishes, acks, fails, reclaims and dead-letters exactly as a
    client= queue: same results, lists, events and server commands (one round trip
    per operation)."""
    for source in LUA_SCRIPTS.values():
        harness.server.script_load(source)

    client_events: list[QueueEvent] = []
    client_queue = harness.queue(
        f"{harness.name}-client",
        client=harness.client(),
        visibility_timeout_seconds=1,
        max_delivery_count=1,
        enable_completed_queue=True,
        enable_failed_queue=True,
        message_wait_interval_seconds=0,
        on_event=FlavouredCallback(client_events.append),
    )
    gateway_name = f"{harness.name}-gateway"
    gateway_events: list[QueueEvent] = []
    gateway_queue = harness.queue(
        gateway_name,
        gateway=harness.redis_gateway(
            message_visibility_timeout_seconds=1,
            max_delivery_count=1,
            dead_letter_queue=f"{gateway_name}::dlq",
            message_wait_interval_seconds=0,
        ),
        enable_completed_queue=True,
        enable_failed_queue=True,
        on_event=FlavouredCallback(gateway_events.append),
    )

    with_client = _scenario(harness, client_queue, client_events)
    with_gateway = _scenario(harness, gateway_queue, gateway_events)

    assert with_gateway == with_client
    assert with_client["published"] == [True, False, True, True]
    assert with_client["lists"]["dlq"] == [b"c"]
    assert ("dlq", "success", "N::dlq", None) in with_client["events"]


def test_gateway_settings_reach_the_queue(harness: Harness) -> None:
    """G11: the gateway's dedup window, cap and policy apply to the queue."""
    gateway = harness.redis_gateway(
        message_deduplication_log_ttl_seconds=60,
        max_pending_length=1,
        pending_overload_policy="drop_oldest",
        message_wait_interval_seconds=0,
    )
    queue = harness.queue(gateway=gateway)
    key = queue.queue.key

    queue.publish("first")
    queue.publish("second")

    assert harness.list(key.pending) != []
    assert len(harness.list(key.pending)) == 1
    markers = harness.server.keys(key.deduplication_prefix + "*")
    assert all(0 < harness.server.ttl(marker) <= 60 for marker in markers)
    assert queue.process(lambda message: message) == b"second"
