"""What a queue stores, as other programs and 6.0.0 producers see it (rules Q2, Q26,
Q27, Q28): dedup markers, the stored message, the server's keys and their lifetimes,
and keys that hold a value of the wrong type.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import Any

import pytest
import redis
import redis.exceptions

from redis_message_queue import (
    ConfigurationError,
    LuaScriptError,
    QueueEvent,
    RedisMessageQueueError,
)
from tests.queue.conftest import DriverFactory
from tests.queue.drivers import FlavouredCallback
from tests.queue.storage import Storage

ENVELOPE = re.compile(rb'^\x1eRMQ1:\{"id":"([0-9a-f]{32})","payload":(.*)\}$')


def _key_of_6_0_0(message: Any) -> str:
    # How 6.0.0 computes a default dedup value, written out independently.
    if isinstance(message, dict):
        text = json.dumps(message, sort_keys=True, allow_nan=False)
    else:
        text = message
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize(
    ("first", "again"),
    [({"b": 1, "a": "é"}, {"a": "é", "b": 1}), ("order:1", "order:1")],
    ids=["dict", "str"],
)
def test_default_marker_is_the_one_6_0_0_writes(
    make_driver: DriverFactory, storage: Storage, first: Any, again: Any
) -> None:
    """Q2: the default dedup value is the SHA-256 of the canonical text, so a queue
    computing the 6.0.0 key itself finds our marker (and the reverse); on a server
    the marker key is `<name>::deduplication::<value>` and lives an hour."""
    ours = make_driver()
    theirs = make_driver(get_deduplication_key=_key_of_6_0_0)

    assert ours.publish(first) is True
    assert theirs.publish(again) is False

    if storage.server is not None:
        marker = ours.queue.key.deduplication(_key_of_6_0_0(first))
        assert marker == f"{ours.queue.key.queue_name}::deduplication::" + (
            _key_of_6_0_0(first)
        )
        assert 3590 <= storage.server.ttl(marker) <= 3600


def test_none_key_function_uses_the_stored_text(
    make_driver: DriverFactory, storage: Storage
) -> None:
    """Q2: with get_deduplication_key=None the marker's suffix is the stored text."""
    by_text = make_driver(get_deduplication_key=None)
    by_identity = make_driver(get_deduplication_key=lambda message: message)

    assert by_text.publish({"b": 1, "a": 2}) is True
    assert by_text.publish({"a": 2, "b": 1}) is False
    assert by_identity.publish('{"a": 2, "b": 1}') is False
    assert by_text.publish("plain") is True
    assert by_identity.publish("plain") is False

    if storage.server is not None:
        key = by_text.queue.key
        assert storage.server.exists(key.deduplication('{"a": 2, "b": 1}')) == 1


def test_key_function_gets_the_original_message(make_driver: DriverFactory) -> None:
    """Q2: a custom key function receives the dict itself (awaited when async on the
    asyncio queue) and its str decides what counts as equal."""
    received: list[object] = []

    def order_id(message: dict[str, str]) -> str:
        received.append(message)
        return message["order"]

    driver = make_driver(get_deduplication_key=FlavouredCallback(order_id))

    assert driver.publish({"order": "7", "note": "first"}) is True
    assert driver.publish({"order": "7", "note": "second"}) is False
    assert received == [
        {"order": "7", "note": "first"},
        {"order": "7", "note": "second"},
    ]


def test_empty_custom_key_is_refused(make_driver: DriverFactory) -> None:
    """Q2: an empty dedup value would suppress every later publish: it is refused,
    nothing is stored, and other messages publish as usual."""
    driver = make_driver(get_deduplication_key=lambda message: message.get("k", ""))

    with pytest.raises(ConfigurationError, match="empty"):
        driver.publish({"k": ""})

    assert driver.publish({"k": "a"}) is True
    assert driver.publish({"k": "b"}) is True
    assert driver.stats().pending == 2


def test_pending_holds_the_6_0_0_envelope(
    make_driver: DriverFactory, storage: Storage
) -> None:
    """Q26: `pending` holds `\\x1eRMQ1:` and compact ASCII JSON with a fresh id and
    the payload; equal payloads are distinct entries."""
    driver = make_driver(deduplication=False)
    driver.publish("héllo")
    driver.publish("héllo")
    driver.publish({"n": 1})

    stored = storage.entries(driver.queue.key.pending)

    matches = [ENVELOPE.match(value) for value in stored]
    assert all(matches), stored
    assert all(value.isascii() for value in stored)
    payloads = [json.loads(value[len(b"\x1eRMQ1:") :])["payload"] for value in stored]
    assert payloads == ['{"n": 1}', "héllo", "héllo"]
    assert len({match.group(1) for match in matches if match}) == 3
    assert rb"h\u00e9llo" in stored[1]


def test_messages_of_other_producers_are_delivered(
    make_driver: DriverFactory, storage: Storage
) -> None:
    """Q26 (R14): an envelope pushed by a 6.0.0 producer yields its payload; a value
    without the envelope is delivered unchanged; history lists get bare payloads."""
    driver = make_driver(enable_completed_queue=True)
    key = driver.queue.key
    body = {"id": uuid.uuid4().hex, "payload": "from 6.0.0"}
    storage.push_raw(key, "\x1eRMQ1:" + json.dumps(body, separators=(",", ":")))
    storage.push_raw(key, "plain value")

    received = [driver.process(lambda message: message) for _ in range(2)]

    assert received == [b"from 6.0.0", b"plain value"]
    assert storage.entries(key.completed) == [b"plain value", b"from 6.0.0"]


def test_delivery_counts_are_forgotten_on_settle(
    make_driver: DriverFactory, storage: Storage
) -> None:
    """R5, R6: an ack or a nack forgets the delivery count, so a value pushed again
    (a foreign value is counted by its bytes) starts again at one."""
    events: list[QueueEvent] = []
    driver = make_driver(on_event=FlavouredCallback(events.append))
    key = driver.queue.key

    def fail(message: object) -> None:
        raise ValueError("no")

    storage.push_raw(key, "again")
    driver.process(lambda message: None)
    storage.push_raw(key, "again")
    with pytest.raises(ValueError, match="no"):
        driver.process(fail)
    storage.push_raw(key, "again")
    driver.process(lambda message: None)

    claims = [event for event in events if event.operation == "claim"]
    assert [event.delivery_count for event in claims] == [1, 1, 1]


def test_wrong_typed_key_raises_lua_script_error(
    make_driver: DriverFactory, storage: Storage
) -> None:
    """Q28: a string where the pending list belongs makes publish and the claim raise
    LuaScriptError, which is also a ResponseError, a RedisError and a
    RedisMessageQueueError; each call reports its failure and writes nothing."""
    server = storage.require_server("no key can hold a value of another type")
    events: list[QueueEvent] = []
    driver = make_driver(on_event=FlavouredCallback(events.append))
    key = driver.queue.key
    server.set(key.pending, "not a list")

    with pytest.raises(LuaScriptError) as publish_error:
        driver.publish("refused")
    with pytest.raises(LuaScriptError) as claim_error:
        driver.process(lambda message: message)

    for caught in (publish_error, claim_error):
        assert isinstance(caught.value, redis.exceptions.ResponseError)
        assert isinstance(caught.value, redis.exceptions.RedisError)
        assert isinstance(caught.value, RedisMessageQueueError)
        assert str(caught.value).startswith("WRONGTYPE")
    assert [(e.operation, e.outcome, e.exception_type) for e in events] == [
        ("publish", "failure", "LuaScriptError"),
        ("claim", "failure", "LuaScriptError"),
    ]
    assert server.get(key.pending) == b"not a list"
    assert server.keys(f"{key.queue_name}*") == [key.pending.encode()]


def test_server_keys_are_the_documented_ones(
    make_driver: DriverFactory, storage: Storage
) -> None:
    """Q27: after messages were acknowledged and failed, the server holds only the
    history lists (no expiry), dedup markers (the dedup window) and settle records
    (the retry budget plus 60 s), all named after the queue; no lease, count or
    counter key is left behind."""
    storage.require_server("the store has no keys to list")
    driver = make_driver(enable_completed_queue=True, enable_failed_queue=True)
    key = driver.queue.key

    def fail(message: object) -> None:
        raise ValueError("no")

    driver.publish("done")
    driver.publish("broken")
    driver.process(lambda message: None)
    with pytest.raises(ValueError, match="no"):
        driver.process(fail)

    lifetimes = storage.lifetimes(key.queue_name)
    prefix = key.queue_name + "::"
    assert all(name.startswith(prefix) for name in lifetimes)
    kinds: dict[str, list[int]] = {}
    for name, ttl in lifetimes.items():
        kinds.setdefault(name[len(prefix) :].split("::")[0], []).append(ttl)
    assert sorted(kinds) == ["completed", "deduplication", "failed", "settled"]
    assert kinds["completed"] == kinds["failed"] == [-1]
    assert len(kinds["deduplication"]) == 2
    assert all(3590 <= ttl <= 3600 for ttl in kinds["deduplication"])
    assert len(kinds["settled"]) == 2
    assert all(0 < ttl <= 180 for ttl in kinds["settled"])
