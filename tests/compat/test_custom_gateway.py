"""A queue on a user's own gateway, end to end on a real server (G12-G14, G16, G17)."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import pytest

from redis_message_queue import (
    ClaimedMessage,
    ConfigurationError,
    GatewayContractError,
    QueueEvent,
)
from redis_message_queue.core.dedup import default_deduplication_key
from redis_message_queue.core.envelope import MessageData
from tests.compat.conftest import Harness
from tests.queue.drivers import FlavouredCallback


class BoomError(Exception):
    """A handler failure."""


def _fail(message: MessageData | None) -> None:
    raise BoomError(f"cannot handle {message!r}")


def _names(calls: list[tuple[Any, ...]]) -> list[str]:
    return [call[0] for call in calls]


def test_publish_claim_and_ack_go_through_the_gateway(harness: Harness) -> None:
    """G12: dedup publishes call publish_message, claims wait_for_message_and_move,
    an ack to the completed list move_message then trim_queue, all on the queue's
    own key names."""
    gateway = harness.custom_gateway()
    queue = harness.queue(
        gateway=gateway, enable_completed_queue=True, max_completed_length=5
    )
    key = queue.queue.key

    assert queue.publish("a") is True
    assert queue.publish("a") is False
    assert queue.process(lambda message: message) == b"a"

    marker = key.deduplication(default_deduplication_key("a"))
    assert gateway.calls == [
        ("publish_message", key.pending, marker),
        ("publish_message", key.pending, marker),
        ("wait_for_message_and_move", key.pending, key.processing),
        ("move_message", key.processing, key.completed, None),
        ("trim_queue", key.completed, 5),
    ]
    assert harness.list(key.completed) == [b"a"]
    assert harness.list(key.processing) == []


def test_publish_without_dedup_adds_and_ack_removes(harness: Harness) -> None:
    """G12: without deduplication publish calls add_message; a plain ack calls
    remove_message with lease_token=None; dicts arrive as their JSON text."""
    gateway = harness.custom_gateway()
    queue = harness.queue(gateway=gateway, deduplication=False)
    key = queue.queue.key

    assert queue.publish({"b": 1, "a": 2}) is True
    assert queue.publish({"b": 1, "a": 2}) is True
    assert queue.process(lambda message: message) == b'{"a": 2, "b": 1}'

    assert gateway.calls[:2] == [("add_message", key.pending)] * 2
    assert gateway.calls[-1] == ("remove_message", key.processing, None)
    assert len(harness.list(key.pending)) == 1


def test_failing_handler_moves_to_failed_or_removes(harness: Harness) -> None:
    """G12: a handler failure moves the message to the failed list (then trims it),
    or removes it; the handler's exception propagates."""
    gateway = harness.custom_gateway()
    keeping = harness.queue(gateway=gateway, enable_failed_queue=True)
    key = keeping.queue.key
    keeping.publish("bad")

    with pytest.raises(BoomError):
        keeping.process(_fail)

    assert gateway.calls[-2:] == [
        ("move_message", key.processing, key.failed, None),
        ("trim_queue", key.failed, 1000),
    ]
    assert harness.list(key.failed) == [b"bad"]

    dropping = harness.queue(gateway=gateway)
    dropping.publish("worse")
    with pytest.raises(BoomError):
        dropping.process(_fail)
    assert gateway.calls[-1] == ("remove_message", key.processing, None)
    assert harness.list(key.processing) == []


def test_empty_gateway_yields_none_after_one_wait(harness: Harness) -> None:
    """G12: the gateway does the waiting: one call per process_message()."""
    gateway = harness.custom_gateway()
    queue = harness.queue(gateway=gateway)

    assert queue.process(lambda message: message) is None
    assert _names(gateway.calls) == ["wait_for_message_and_move"]


def test_decoding_client_gives_str_payloads(harness: Harness) -> None:
    """G12: what the gateway's client returns decides str or bytes, as in 6.0.0."""
    gateway = harness.custom_gateway()
    gateway.client = harness.client(decode_responses=True)
    queue = harness.queue(gateway=gateway)
    queue.publish("héllo")

    assert queue.process(lambda message: message) == "héllo"


def test_lease_giving_gateway_gets_its_tokens_back(harness: Harness) -> None:
    """G13: with message_visibility_timeout_seconds the gateway returns
    ClaimedMessage, and the queue settles with that lease token."""
    gateway = harness.custom_gateway(leased=True)
    events: list[QueueEvent] = []
    queue = harness.queue(gateway=gateway, on_event=FlavouredCallback(events.append))
    key = queue.queue.key
    queue.publish("leased")

    assert queue.process(lambda message: message) == b"leased"

    operation, processing, token = gateway.calls[-1]
    assert (operation, processing) == ("remove_message", key.processing)
    assert isinstance(token, str)
    assert token
    claim = next(event for event in events if event.operation == "claim")
    assert claim.lease_token_hash is not None
    assert claim.delivery_count is None


def test_lost_lease_on_a_gateway_is_a_stale_ack(harness: Harness) -> None:
    """G13: when the gateway refuses the token (lease lost), the ack is skipped with
    a stale_lease_ack event and a RuntimeWarning."""
    gateway = harness.custom_gateway(leased=True)
    events: list[QueueEvent] = []
    queue = harness.queue(gateway=gateway, on_event=FlavouredCallback(events.append))
    key = queue.queue.key
    queue.publish("taken")

    def lose_the_lease(message: MessageData | None) -> None:
        harness.server.delete(key.processing + ":tokens")

    with pytest.warns(RuntimeWarning, match="lease"):
        queue.process(lose_the_lease)

    outcomes = [(event.operation, event.outcome) for event in events]
    assert ("ack", "skipped") in outcomes
    assert ("stale_lease_ack", "skipped") in outcomes


def test_plain_results_never_report_stale_leases(harness: Harness) -> None:
    """G12: without a lease token a refused ack is just skipped (no stale event)."""
    gateway = harness.custom_gateway()
    events: list[QueueEvent] = []
    queue = harness.queue(gateway=gateway, on_event=FlavouredCallback(events.append))
    key = queue.queue.key
    queue.publish("gone")

    queue.process(lambda message: harness.server.delete(key.processing))

    outcomes = [(event.operation, event.outcome) for event in events]
    assert ("ack", "skipped") in outcomes
    assert all(operation != "stale_lease_ack" for operation, _ in outcomes)


def test_heartbeat_renews_through_the_gateway(harness: Harness) -> None:
    """G13: the heartbeat renews with renew_message_lease(processing, stored, token)."""
    gateway = harness.custom_gateway(leased=True)
    queue = harness.queue(gateway=gateway, heartbeat_interval_seconds=0.05)
    key = queue.queue.key
    queue.publish("slow")

    if harness.is_async:
        # The asyncio heartbeat is a task: the handler must yield to the loop.
        harness.run(_hold_async(queue.queue, 0.3))
    else:
        queue.process(lambda message: time.sleep(0.3))

    renewals = [call for call in gateway.calls if call[0] == "renew_message_lease"]
    assert len(renewals) >= 2
    assert {call[1] for call in renewals} == {key.processing}


def test_lease_giving_gateway_must_return_claimed_messages(harness: Harness) -> None:
    """G13, G14: a lease-giving gateway that returns plain data breaks the contract."""
    gateway = harness.custom_gateway()
    gateway.message_visibility_timeout_seconds = 30  # type: ignore[union-attr]
    queue = harness.queue(gateway=gateway)
    queue.publish("plain")

    with pytest.raises(GatewayContractError, match="ClaimedMessage"):
        queue.process(lambda message: message)


async def _hold_async(queue: Any, seconds: float) -> None:
    async with queue.process_message() as message:
        assert message is not None
        await asyncio.sleep(seconds)


def _override(gateway: Any, name: str, result: object) -> None:
    """Make the gateway's method ``name`` return ``result`` (sync or async)."""

    def plain(*arguments: Any, **options: Any) -> object:
        return result

    async def awaited(*arguments: Any, **options: Any) -> object:
        return result

    harness_async = hasattr(gateway.client, "aclose")
    setattr(gateway, name, awaited if harness_async else plain)


@pytest.mark.parametrize(
    ("method", "result", "options"),
    [
        ("publish_message", "yes", {}),
        ("publish_message", 1, {}),
        ("publish_message", None, {}),
        ("add_message", True, {"deduplication": False}),
        ("add_message", "", {"deduplication": False}),
    ],
)
def test_wrong_publish_results_are_contract_errors(
    harness: Harness, method: str, result: object, options: dict[str, Any]
) -> None:
    """G14: publish_message must return a bool and add_message None."""
    gateway = harness.custom_gateway()
    events: list[QueueEvent] = []
    queue = harness.queue(
        gateway=gateway, on_event=FlavouredCallback(events.append), **options
    )
    _override(gateway, method, result)

    with pytest.raises(GatewayContractError, match=method):
        queue.publish("message")
    assert (events[-1].operation, events[-1].outcome) == ("publish", "failure")
    assert events[-1].exception_type == "GatewayContractError"


@pytest.mark.parametrize("result", [5, ["stored"], True, bytearray(b"stored")])
def test_wrong_claim_results_are_contract_errors(
    harness: Harness, result: object
) -> None:
    """G14: wait_for_message_and_move must return ClaimedMessage, str, bytes or None."""
    gateway = harness.custom_gateway()
    queue = harness.queue(gateway=gateway)
    _override(gateway, "wait_for_message_and_move", result)

    with pytest.raises(GatewayContractError, match="wait_for_message_and_move"):
        queue.process(lambda message: message)


def test_claimed_message_from_a_gateway_without_leases_is_fine(
    harness: Harness,
) -> None:
    """G12: a gateway without leases may still return ClaimedMessage."""
    gateway = harness.custom_gateway()
    queue = harness.queue(gateway=gateway)
    _override(gateway, "wait_for_message_and_move", ClaimedMessage(b"raw", "t-1"))
    _override(gateway, "remove_message", True)

    assert queue.process(lambda message: message) == b"raw"


@pytest.mark.parametrize("method", ["remove_message", "move_message"])
def test_wrong_settle_results_are_contract_errors(
    harness: Harness, method: str
) -> None:
    """G14: move_message and remove_message must return a bool; after a successful
    handler the contract error is raised, after a failing one the handler's error."""
    gateway = harness.custom_gateway()
    queue = harness.queue(gateway=gateway, enable_completed_queue=True)
    _override(gateway, "remove_message", 1)
    _override(gateway, "move_message", "moved")
    queue.publish("x")
    queue.publish("y")

    if method == "move_message":
        with pytest.raises(GatewayContractError, match=method):
            queue.process(lambda message: message)
        return
    with pytest.warns(RuntimeWarning), pytest.raises(BoomError):
        queue.process(_fail)


def test_gateway_events_hook_reaches_on_event(harness: Harness) -> None:
    """G16: _set_event_emitter(queue_name, emit) receives a function the gateway
    calls with operation and outcome names (awaited on asyncio)."""
    gateway = harness.custom_gateway()
    received: list[tuple[str, Any]] = []
    gateway._set_event_emitter = (  # type: ignore[union-attr]
        lambda name, emit: received.append((name, emit))
    )
    events: list[QueueEvent] = []
    queue = harness.queue(gateway=gateway, on_event=FlavouredCallback(events.append))

    [(name, emit)] = received
    assert name == queue.queue.key.queue_name
    harness.run(emit("claim_reclaim", "success", message_id="m-1"))

    assert events[-1].operation == "claim_reclaim"
    assert events[-1].outcome == "success"
    assert events[-1].message_id == "m-1"


def test_failed_trim_is_reported_not_raised(harness: Harness) -> None:
    """G16: a trim_queue that raises after a successful move is a trim_failed event;
    the message stays acknowledged."""
    gateway = harness.custom_gateway()
    events: list[QueueEvent] = []
    queue = harness.queue(
        gateway=gateway,
        enable_completed_queue=True,
        on_event=FlavouredCallback(events.append),
    )

    def broken(*arguments: Any) -> None:
        raise OSError("trim refused")

    async def broken_async(*arguments: Any) -> None:
        broken()

    gateway.trim_queue = broken_async if harness.is_async else broken  # type: ignore[method-assign, assignment]
    queue.publish("kept")

    assert queue.process(lambda message: message) == b"kept"
    failures = [event for event in events if event.operation == "trim_failed"]
    assert [(event.outcome, event.exception_type) for event in failures] == [
        ("failure", "OSError")
    ]
    assert harness.list(queue.queue.key.completed) == [b"kept"]


@pytest.mark.parametrize(("answer", "drained"), [(True, True), (False, False)])
def test_drain_asks_the_gateway_for_unresolved_claims(
    harness: Harness, answer: bool, drained: bool
) -> None:
    """G16: drain() calls _drain_pending_claim_ids(processing_key, *,
    deadline_monotonic) and returns its answer; no timeout is math.inf."""
    gateway = harness.custom_gateway()
    asked: list[tuple[str, float]] = []

    def hook(processing_key: str, *, deadline_monotonic: float) -> bool:
        asked.append((processing_key, deadline_monotonic))
        return answer

    async def async_hook(processing_key: str, *, deadline_monotonic: float) -> bool:
        return hook(processing_key, deadline_monotonic=deadline_monotonic)

    gateway._drain_pending_claim_ids = async_hook if harness.is_async else hook  # type: ignore[union-attr]
    queue = harness.queue(gateway=gateway)

    assert queue.drain() is drained
    assert asked == [(queue.queue.key.processing, math.inf)]


def test_drain_without_the_hook_reports_nothing_left(harness: Harness) -> None:
    """G16: a gateway without the drain hook has nothing to resolve."""
    queue = harness.queue(gateway=harness.custom_gateway())

    assert queue.drain(0) is True


def test_drain_hook_must_answer_with_a_bool(harness: Harness) -> None:
    """G14, G16: a drain hook returning something else breaks the contract."""
    gateway = harness.custom_gateway()
    _override(gateway, "_drain_pending_claim_ids", "done")
    queue = harness.queue(gateway=gateway)

    with pytest.raises(GatewayContractError):
        queue.drain()


def test_counting_and_peeking_are_refused_on_a_custom_gateway(
    harness: Harness,
) -> None:
    """G17: the gateway interface cannot count or read lists: stats() and peek()
    raise ConfigurationError."""
    queue = harness.queue(gateway=harness.custom_gateway())

    with pytest.raises(ConfigurationError, match="custom gateway"):
        queue.stats()
    if hasattr(queue.queue, "peek"):
        with pytest.raises(ConfigurationError, match="custom gateway"):
            harness.run(queue.queue.peek())


def test_redis_gateway_subclass_runs_its_own_methods(harness: Harness) -> None:
    """G12: a subclass of RedisGateway is driven through its methods, overrides
    included, like any custom gateway."""
    base = type(harness.redis_gateway())
    published: list[str] = []

    if harness.is_async:

        class AsyncRecording(base):  # type: ignore[valid-type, misc]
            async def publish_message(
                self, queue: str, message: str, dedup_key: str
            ) -> bool:
                published.append(queue)
                result: bool = await super().publish_message(queue, message, dedup_key)
                return result

        kind: Any = AsyncRecording
    else:

        class Recording(base):  # type: ignore[valid-type, misc]
            def publish_message(self, queue: str, message: str, dedup_key: str) -> bool:
                published.append(queue)
                result: bool = super().publish_message(queue, message, dedup_key)
                return result

        kind = Recording

    gateway = kind(
        redis_client=harness.client(),
        message_visibility_timeout_seconds=30,
        message_wait_interval_seconds=0,
    )
    queue = harness.queue(gateway=gateway, enable_completed_queue=True)
    queue.publish("through-the-subclass")

    assert queue.process(lambda message: message) == b"through-the-subclass"
    assert published == [queue.queue.key.pending]
    assert harness.list(queue.queue.key.completed) == [b"through-the-subclass"]
