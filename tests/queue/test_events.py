"""Which events each call reports, when, and with which fields (rules Q8, Q9, Q24).

Every scenario runs on every target and flavour; the callbacks record the events.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from redis_message_queue import (
    CleanupFailedError,
    QueueBackpressureError,
    QueueEvent,
)
from redis_message_queue.core.envelope import MessageData
from redis_message_queue.core.events import hash_lease_token
from tests.queue.conftest import DriverFactory
from tests.queue.drivers import FlavouredCallback, SyncQueueDriver
from tests.queue.storage import Storage


class BoomError(Exception):
    """A handler failure."""


class InjectedError(Exception):
    """A backend operation that failed on purpose."""


def _fail(message: MessageData | None) -> None:
    raise BoomError(f"cannot handle {message!r}")


def _raise_injected() -> None:
    raise InjectedError("the server refused")


def _operations(events: list[QueueEvent]) -> list[tuple[str, str]]:
    return [(str(event.operation), str(event.outcome)) for event in events]


def _recorder(events: list[QueueEvent]) -> FlavouredCallback:
    return FlavouredCallback(events.append)


@pytest.mark.parametrize("keep", [True, False], ids=["completed-list", "no-list"])
def test_a_successful_delivery_reports_claim_completed_ack(
    make_driver: DriverFactory, keep: bool
) -> None:
    """Q24: publish, claim, then `completed` (only with the completed list), then
    `ack`; the ids and lease hashes of one delivery agree."""
    events: list[QueueEvent] = []
    driver = make_driver(enable_completed_queue=keep, on_event=_recorder(events))
    key = driver.queue.key

    driver.publish("fine")
    driver.process(lambda message: None)

    expected = [("publish", "success"), ("claim", "success")]
    if keep:
        expected.append(("completed", "success"))
    expected.append(("ack", "success"))
    assert _operations(events) == expected

    publish, claim, *settled = events
    assert {event.queue for event in events} == {key.queue_name}
    assert {event.message_id for event in events} == {publish.message_id}
    assert publish.message_id is not None
    assert len(publish.message_id) == 32
    assert publish.duration_ms is not None
    assert claim.duration_ms is not None
    assert claim.delivery_count == 1
    assert claim.lease_token_hash is not None
    assert settled[-1].lease_token_hash == claim.lease_token_hash
    if keep:
        assert settled[0].destination_queue == key.completed


@pytest.mark.parametrize("keep", [True, False], ids=["failed-list", "no-list"])
def test_a_failing_handler_reports_failed_before_the_message_moves(
    make_driver: DriverFactory, storage: Storage, keep: bool
) -> None:
    """Q24: `failed` (with the exception's class and the failed list, if any) comes
    before the message is settled, then `nack`; no `completed`, no `ack`."""
    events: list[QueueEvent] = []
    failed_list_at_event: list[list[bytes]] = []

    def record(event: QueueEvent) -> None:
        events.append(event)
        if event.operation == "failed":
            failed_list_at_event.append(storage.entries(driver.queue.key.failed))

    driver = make_driver(enable_failed_queue=keep, on_event=FlavouredCallback(record))
    key = driver.queue.key
    driver.publish("bad")

    with pytest.raises(BoomError):
        driver.process(_fail)

    assert _operations(events) == [
        ("publish", "success"),
        ("claim", "success"),
        ("failed", "failure"),
        ("nack", "success"),
    ]
    failed = events[2]
    assert failed.exception_type == "BoomError"
    assert failed.destination_queue == (key.failed if keep else None)
    assert failed.message_id == events[0].message_id
    assert failed_list_at_event == [[]], "failed must be reported before the move"
    assert storage.entries(key.failed) == ([b"bad"] if keep else [])


def test_empty_and_drained_polls_report_claim_empty(make_driver: DriverFactory) -> None:
    """Q24: a poll that finds nothing, and any poll after drain, is `claim_empty`."""
    events: list[QueueEvent] = []
    driver = make_driver(on_event=_recorder(events))

    assert driver.process(lambda message: message) is None
    driver.drain()
    assert driver.process(lambda message: message) is None

    assert _operations(events) == [("claim_empty", "skipped")] * 2


def test_a_refused_publish_reports_its_error(make_driver: DriverFactory) -> None:
    """Q24: a publish that raises reports `publish`/failure with the error's class
    and the time it took, then the error propagates."""
    events: list[QueueEvent] = []
    driver = make_driver(max_pending_length=1, on_event=_recorder(events))
    driver.publish("fits")

    with pytest.raises(QueueBackpressureError):
        driver.publish("does not fit")

    refused = events[-1]
    assert (refused.operation, refused.outcome) == ("publish", "failure")
    assert refused.exception_type == "QueueBackpressureError"
    assert refused.duration_ms is not None
    assert refused.message_id not in (None, events[0].message_id)


def test_a_failing_claim_reports_and_raises(
    make_driver: DriverFactory, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Q24: a claim that fails reports `claim`/failure and raises before the block
    runs; it is never mistaken for an empty queue."""
    events: list[QueueEvent] = []
    driver = make_driver(on_event=_recorder(events))
    driver.publish("waiting")
    storage.replace_operation(monkeypatch, "claim", _raise_injected)
    entered: list[MessageData | None] = []

    with pytest.raises(InjectedError):
        driver.process(entered.append)

    assert entered == []
    assert _operations(events)[-1] == ("claim", "failure")
    assert events[-1].exception_type == "InjectedError"


def test_cleanup_failure_after_success_raises_cleanup_failed_error(
    make_driver: DriverFactory, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Q8: an ack that fails reports `cleanup_failed` and raises CleanupFailedError
    chained to the cause; the message stays claimed for its lease to bring back."""
    events: list[QueueEvent] = []
    driver = make_driver(on_event=_recorder(events))
    driver.publish("unsettled")
    storage.replace_operation(monkeypatch, "settle", _raise_injected)

    with pytest.raises(CleanupFailedError) as caught:
        driver.process(lambda message: None)

    assert isinstance(caught.value.__cause__, InjectedError)
    assert caught.value.queue == driver.queue.key.queue_name
    assert caught.value.message_id == events[0].message_id
    assert _operations(events)[-1] == ("cleanup_failed", "failure")
    assert events[-1].exception_type == "InjectedError"
    monkeypatch.undo()
    assert driver.stats().processing == 1


def test_cleanup_failure_after_a_failed_handler_raises_the_handlers_error(
    make_driver: DriverFactory, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Q8: when the nack fails too, the handler's exception is the one raised; the
    cleanup failure is reported as an event and a warning."""
    events: list[QueueEvent] = []
    driver = make_driver(enable_failed_queue=True, on_event=_recorder(events))
    driver.publish("doubly unlucky")
    storage.replace_operation(monkeypatch, "settle", _raise_injected)

    with pytest.warns(RuntimeWarning, match="settling"), pytest.raises(BoomError):
        driver.process(_fail)

    assert _operations(events)[-2:] == [
        ("failed", "failure"),
        ("cleanup_failed", "failure"),
    ]


def test_lease_hash_is_the_start_of_the_tokens_sha256() -> None:
    """Q24: `lease_token_hash` is the first 16 hex digits of the token's SHA-256."""
    expected = hashlib.sha256(b"claim:0").hexdigest()[:16]

    assert hash_lease_token("claim:0") == expected


class _ReturnsNoAwaitable:
    """Looks like an async callable to the constructor, but returns a plain value."""

    def __init__(self, events: list[QueueEvent]) -> None:
        self.events = events

        async def looks_async(event: QueueEvent) -> None:
            return None

        vars(self)["__call__"] = looks_async  # what the constructor inspects

    def __call__(self, event: QueueEvent) -> Any:  # what a call runs
        self.events.append(event)
        return "not awaitable"


def test_callbacks_of_the_wrong_kind_are_reported_not_raised(
    make_driver: DriverFactory,
) -> None:
    """Q9: a sync queue's callback that returns an awaitable (closed unawaited) and
    an asyncio queue's callback that returns a plain value are each reported with a
    RuntimeWarning; the queue goes on."""
    events: list[QueueEvent] = []
    probe = make_driver()
    if isinstance(probe, SyncQueueDriver):

        async def recorded(event: QueueEvent) -> None:
            events.append(event)

        def on_event(event: QueueEvent) -> Any:
            return recorded(event)

        driver = make_driver(on_event=on_event)
        match = "awaitable"
    else:
        driver = make_driver(on_event=_ReturnsNoAwaitable(events))
        match = "not awaitable"

    with pytest.warns(RuntimeWarning, match=match):
        assert driver.publish("still works") is True
    with pytest.warns(RuntimeWarning, match=match):
        assert driver.process(lambda message: message) == b"still works"
