"""The queue's lifecycle on every target and flavour (rules Q1-Q9, Q11, R7, R9)."""

from __future__ import annotations

import json

import pytest

from redis_message_queue import QueueEvent
from redis_message_queue.core.envelope import MessageData
from tests.queue.conftest import Clock, DriverFactory
from tests.queue.drivers import FlavouredCallback
from tests.queue.storage import Storage


def _text(message: MessageData | None) -> str:
    assert message is not None, "expected a message, got None"
    return message.decode() if isinstance(message, bytes) else message


class BoomError(Exception):
    """A handler failure."""


def _fail(message: MessageData | None) -> None:
    raise BoomError(f"cannot handle {message!r}")


def test_publish_and_process_round_trip(make_driver: DriverFactory) -> None:
    """Q3, Q4: a published str arrives as bytes and is acknowledged."""
    driver = make_driver()

    assert driver.publish("hello") is True
    received = driver.process(lambda message: message)

    assert received == b"hello"
    stats = driver.stats()
    assert (stats.pending, stats.processing, stats.completed) == (0, 0, None)


def test_decode_responses_gives_str(make_driver: DriverFactory) -> None:
    """Q3: with a decoding client the payload is a str."""
    driver = make_driver(decode_responses=True)
    driver.publish("héllo")

    assert driver.process(lambda message: message) == "héllo"


def test_dict_arrives_as_canonical_json(make_driver: DriverFactory) -> None:
    """Q1: a dict is stored as sorted, ASCII-escaped JSON with default separators;
    keys below the top level become strings, as json makes them."""
    driver = make_driver()
    driver.publish({"b": 1, "a": "é"})

    driver.publish({"z": {2: "int keys below the top"}, "y": [1.5, None]})

    text = _text(driver.process(lambda message: message))
    nested = _text(driver.process(lambda message: message))

    assert text == '{"a": "\\u00e9", "b": 1}'
    assert json.loads(text) == {"a": "é", "b": 1}
    assert nested == '{"y": [1.5, null], "z": {"2": "int keys below the top"}}'


def test_empty_queue_yields_none(make_driver: DriverFactory) -> None:
    """Q3: nothing within the wait yields None."""
    driver = make_driver(message_wait_interval_seconds=0.05)

    assert driver.process(lambda message: message) is None


def test_messages_arrive_in_publish_order(make_driver: DriverFactory) -> None:
    """Q3 (R1): consumers see messages in publish order."""
    driver = make_driver()
    for text in ("a", "b", "c"):
        driver.publish(text)

    received = [_text(driver.process(lambda message: message)) for _ in range(3)]

    assert received == ["a", "b", "c"]


def test_equal_dicts_deduplicate(make_driver: DriverFactory) -> None:
    """Q2: equal content in another key order is a duplicate within the window."""
    driver = make_driver()

    assert driver.publish({"b": 1, "a": "x"}) is True
    assert driver.publish({"a": "x", "b": 1}) is False
    assert driver.publish({"a": "x", "b": 2}) is True
    assert driver.stats().pending == 2


def test_deduplication_off_publishes_every_copy(make_driver: DriverFactory) -> None:
    """Q2: without deduplication equal messages are distinct entries."""
    driver = make_driver(deduplication=False)

    assert driver.publish("same") is True
    assert driver.publish("same") is True
    assert driver.stats().pending == 2


def test_custom_key_collisions_suppress(make_driver: DriverFactory) -> None:
    """Q2: a custom key function decides what counts as equal."""
    driver = make_driver(get_deduplication_key=lambda message: message["order"])

    assert driver.publish({"order": "7", "note": "first"}) is True
    assert driver.publish({"order": "7", "note": "second"}) is False


def test_completed_history_keeps_newest(make_driver: DriverFactory) -> None:
    """Q4: acknowledged payloads go to the completed list, trimmed to its length."""
    driver = make_driver(enable_completed_queue=True, max_completed_length=2)
    for text in ("one", "two", "three"):
        driver.publish(text)

    for _ in range(3):
        driver.process(lambda message: None)

    assert driver.stats().completed == 2


def test_handler_exception_fails_the_message(make_driver: DriverFactory) -> None:
    """Q5: an exception moves the payload to failed and propagates."""
    driver = make_driver(enable_failed_queue=True)
    driver.publish("bad")

    with pytest.raises(BoomError):
        driver.process(_fail)

    stats = driver.stats()
    assert (stats.pending, stats.processing, stats.failed) == (0, 0, 1)
    assert driver.process(lambda message: message) is None, "failure is final"


def test_failed_history_keeps_newest(
    make_driver: DriverFactory, storage: Storage
) -> None:
    """Q5 (R17): failed payloads are kept newest first, trimmed to their length."""
    driver = make_driver(enable_failed_queue=True, max_failed_length=2)
    for text in ("one", "two", "three"):
        driver.publish(text)

    for _ in range(3):
        with pytest.raises(BoomError):
            driver.process(_fail)

    assert storage.entries(driver.queue.key.failed) == [b"three", b"two"]


def test_handler_exception_without_history_removes(make_driver: DriverFactory) -> None:
    """Q5: with the failed list off, a failed message is removed."""
    driver = make_driver()
    driver.publish("bad")

    with pytest.raises(BoomError):
        driver.process(_fail)

    stats = driver.stats()
    assert (stats.pending, stats.processing, stats.failed) == (0, 0, None)


def _crash(message: MessageData | None) -> None:
    raise KeyboardInterrupt


def test_crash_leaves_message_for_redelivery(
    make_driver: DriverFactory, clock: Clock
) -> None:
    """Q6 (R7): an interrupted handler leaves the message; the lease brings it back."""
    events: list[QueueEvent] = []
    driver = make_driver(visibility_timeout_seconds=1, on_event=_recorder(events))
    driver.publish("survivor")

    with pytest.raises(KeyboardInterrupt):
        driver.process(_crash)
    assert driver.stats().processing == 1

    clock.advance(1.2)
    assert driver.process(lambda message: message) == b"survivor"

    claims = [event for event in events if event.operation == "claim"]
    assert [event.delivery_count for event in claims] == [1, 2]
    (reclaim,) = [event for event in events if event.operation == "claim_reclaim"]
    assert reclaim.message_id == claims[0].message_id
    assert not {"failed", "nack"} & {str(event.operation) for event in events}


@pytest.mark.parametrize("exit_class", [SystemExit, GeneratorExit])
def test_exits_leave_the_message_claimed(
    make_driver: DriverFactory, exit_class: type[BaseException]
) -> None:
    """Q6: SystemExit and GeneratorExit, like KeyboardInterrupt, settle nothing."""
    events: list[QueueEvent] = []
    driver = make_driver(on_event=_recorder(events))
    driver.publish("interrupted")

    def leave(message: MessageData | None) -> None:
        raise exit_class

    with pytest.raises(exit_class):
        driver.process(leave)

    stats = driver.stats()
    assert (stats.pending, stats.processing) == (0, 1)
    assert [str(event.operation) for event in events] == ["publish", "claim"]


def test_without_leases_a_crashed_message_stays_in_processing(
    make_driver: DriverFactory, clock: Clock
) -> None:
    """Q6 (R18): with visibility_timeout_seconds=None nothing brings it back."""
    driver = make_driver(visibility_timeout_seconds=None, max_delivery_count=None)
    driver.publish("orphan")

    with pytest.raises(KeyboardInterrupt):
        driver.process(_crash)
    if clock.manual is not None:
        clock.advance(24 * 3600)

    assert driver.process(lambda message: message) is None
    assert driver.stats().processing == 1


def test_taken_back_message_goes_first_with_its_own_count(
    make_driver: DriverFactory, clock: Clock
) -> None:
    """R7, Q3: an expired message is delivered before messages waiting longer; each
    publish has its own delivery count, raised by every claim (R4)."""
    events: list[QueueEvent] = []
    driver = make_driver(
        visibility_timeout_seconds=1, deduplication=False, on_event=_recorder(events)
    )
    driver.publish("same")
    driver.publish("same")
    with pytest.raises(KeyboardInterrupt):
        driver.process(_crash)
    driver.publish("later")

    clock.advance(1.2)
    received = [_text(driver.process(lambda message: message)) for _ in range(3)]

    assert received == ["same", "same", "later"]
    claims = [event for event in events if event.operation == "claim"]
    assert [event.delivery_count for event in claims] == [1, 2, 1, 1]
    assert claims[1].message_id == claims[0].message_id
    assert claims[2].message_id != claims[0].message_id


def test_expired_lease_nobody_took_back_still_acks(
    make_driver: DriverFactory, clock: Clock
) -> None:
    """R9, Q7: a late ack succeeds while no other consumer has taken the message."""
    events: list[QueueEvent] = []
    driver = make_driver(visibility_timeout_seconds=1, on_event=_recorder(events))
    driver.publish("slow but alone")

    driver.process(lambda message: clock.advance(1.2))

    assert ("ack", "success") in [(e.operation, e.outcome) for e in events]
    assert driver.stats().processing == 0


def test_poison_message_ends_in_dead_letter(
    make_driver: DriverFactory, clock: Clock, storage: Storage
) -> None:
    """Q6 (R11), Q26: with max_delivery_count=2 a message is delivered twice, then
    its bare payload goes to `<name>::dlq`, the list `key.dead_letter` names."""
    events: list[QueueEvent] = []
    driver = make_driver(
        visibility_timeout_seconds=1, max_delivery_count=2, on_event=_recorder(events)
    )
    driver.publish("poison")

    for _ in range(2):
        with pytest.raises(KeyboardInterrupt):
            driver.process(_crash)
        clock.advance(1.2)

    assert driver.process(lambda message: message) is None
    stats = driver.stats()
    assert (stats.pending, stats.processing, stats.dead_letter) == (0, 0, 1)
    dead = [event for event in events if event.operation == "dlq"]
    assert len(dead) == 1
    assert dead[0].destination_queue == driver.queue.key.dead_letter
    assert dead[0].message_id == events[0].message_id
    assert driver.queue.key.dead_letter == f"{driver.queue.key.queue_name}::dlq"
    assert storage.entries(driver.queue.key.dead_letter) == [b"poison"]


def test_stale_ack_warns_and_spares_the_new_holder(
    make_driver: DriverFactory, clock: Clock
) -> None:
    """Q7 (R9): a late ack after a reclaim changes nothing and warns."""
    events: list[QueueEvent] = []
    slow = make_driver(visibility_timeout_seconds=1, on_event=_recorder(events))
    fast = make_driver(visibility_timeout_seconds=1)
    slow.publish("contested")

    def late_handler(message: MessageData | None) -> None:
        clock.advance(1.2)
        assert fast.process(lambda again: again) == message

    with pytest.warns(RuntimeWarning, match="lease"):
        slow.process(late_handler)

    operations = [(event.operation, event.outcome) for event in events]
    assert ("ack", "skipped") in operations
    assert ("stale_lease_ack", "skipped") in operations
    assert slow.stats().processing == 0


def test_stale_nack_warns_and_raises_the_handlers_error(
    make_driver: DriverFactory, clock: Clock, storage: Storage
) -> None:
    """Q7 (R9): a failing handler whose lease was taken back changes nothing: its
    nack is skipped with `stale_lease_nack` and a warning, and its error propagates."""
    events: list[QueueEvent] = []
    slow = make_driver(
        visibility_timeout_seconds=1,
        enable_failed_queue=True,
        enable_completed_queue=True,
        on_event=_recorder(events),
    )
    fast = make_driver(visibility_timeout_seconds=1, enable_completed_queue=True)
    slow.publish("contested")

    def late_failure(message: MessageData | None) -> None:
        clock.advance(1.2)
        assert fast.process(lambda again: again) == message
        raise BoomError("too late")

    with pytest.warns(RuntimeWarning, match="lease"), pytest.raises(BoomError):
        slow.process(late_failure)

    operations = [(event.operation, event.outcome) for event in events]
    assert operations[-3:] == [
        ("failed", "failure"),
        ("nack", "skipped"),
        ("stale_lease_nack", "skipped"),
    ]
    assert storage.entries(slow.queue.key.failed) == []
    assert storage.entries(slow.queue.key.completed) == [b"contested"]


def test_events_report_publish_claim_ack(make_driver: DriverFactory) -> None:
    """Q9: each operation reports an event with its fields filled."""
    events: list[QueueEvent] = []
    driver = make_driver(on_event=_recorder(events))

    driver.publish("observed")
    driver.publish("observed")
    driver.process(lambda message: None)

    operations = [(event.operation, event.outcome) for event in events]
    assert operations == [
        ("publish", "success"),
        ("publish_dedup_hit", "skipped"),
        ("claim", "success"),
        ("ack", "success"),
    ]
    claim = events[2]
    assert claim.queue == driver.queue.key.queue_name
    assert claim.message_id == events[0].message_id
    assert claim.lease_token_hash is not None
    assert len(claim.lease_token_hash) == 16
    assert claim.duration_ms is not None


def test_failing_event_callback_never_breaks_the_queue(
    make_driver: DriverFactory,
) -> None:
    """Q9: a raising on_event is logged and warned about, never raised."""

    def broken(event: QueueEvent) -> None:
        raise RuntimeError("metrics are down")

    driver = make_driver(on_event=FlavouredCallback(broken))

    assert driver.publish("still works") is True
    assert driver.process(lambda message: message) == b"still works"


def test_drain_stops_new_deliveries(make_driver: DriverFactory) -> None:
    """Q11: after drain, process_message yields None without claiming."""
    driver = make_driver()
    driver.publish("left for later")

    assert driver.drain() is True
    assert driver.process(lambda message: message) is None
    assert driver.stats().pending == 1


def _recorder(events: list[QueueEvent]) -> FlavouredCallback:
    return FlavouredCallback(events.append)
