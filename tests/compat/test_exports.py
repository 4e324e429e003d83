"""The names, module paths and types of 6.0.0 (rules G1-G3, G19, G20): code written
for it imports and finds what it expects.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.resources
from typing import Any

import pytest
import redis.exceptions

import redis_message_queue
import redis_message_queue.asyncio
from redis_message_queue import ClaimedMessage

NAMES_OF_6_0_0 = {
    "RedisMessageQueue",
    "RedisGateway",
    "AbstractRedisGateway",
    "ClaimedMessage",
    "MessageData",
    "GracefulInterruptHandler",
    "BaseGracefulInterruptHandler",
    "QueueEvent",
    "EventOperation",
    "EventOutcome",
    "RedisMessageQueueError",
    "ConfigurationError",
    "GatewayContractError",
    "LuaScriptError",
    "QueueBackpressureError",
    "CleanupFailedError",
    "RetryBudgetExhaustedError",
}
LATER_ADDITIONS = {
    "EventDrivenInterruptHandler",
    "PayloadTooLargeError",
    "PayloadTooDeepError",
    "QueueDrainedError",
    "ReplicationTimeoutError",
}
FLAVOURED = {"RedisMessageQueue", "RedisGateway", "AbstractRedisGateway"}


@pytest.mark.parametrize("package", [redis_message_queue, redis_message_queue.asyncio])
def test_all_holds_the_names_of_6_0_0_and_the_later_additions(package: Any) -> None:
    """G1: __all__ is the 17 names of 6.0.0 plus five additions, all importable."""
    assert len(NAMES_OF_6_0_0) == 17
    assert set(package.__all__) == NAMES_OF_6_0_0 | LATER_ADDITIONS
    assert len(package.__all__) == len(set(package.__all__))
    for name in package.__all__:
        assert getattr(package, name) is not None


def test_asyncio_package_shares_every_unflavoured_object() -> None:
    """G1: only the queue and the two gateway classes differ in the asyncio package."""
    sync, asynchronous = redis_message_queue, redis_message_queue.asyncio
    for name in sync.__all__:
        same = getattr(sync, name) is getattr(asynchronous, name)
        assert same is (name not in FLAVOURED), name


def test_flavoured_classes_are_related_as_in_6_0_0() -> None:
    """G1: each flavour's RedisGateway implements that flavour's interface."""
    sync, asynchronous = redis_message_queue, redis_message_queue.asyncio
    assert issubclass(sync.RedisGateway, sync.AbstractRedisGateway)
    assert issubclass(asynchronous.RedisGateway, asynchronous.AbstractRedisGateway)
    assert not issubclass(sync.RedisGateway, asynchronous.AbstractRedisGateway)
    assert not issubclass(asynchronous.RedisGateway, sync.AbstractRedisGateway)


@pytest.mark.parametrize(
    ("module", "name", "package"),
    [
        ("redis_message_queue.redis_message_queue", "RedisMessageQueue", "sync"),
        (
            "redis_message_queue.asyncio.redis_message_queue",
            "RedisMessageQueue",
            "asyncio",
        ),
        ("redis_message_queue._redis_gateway", "RedisGateway", "sync"),
        ("redis_message_queue.asyncio._redis_gateway", "RedisGateway", "asyncio"),
        ("redis_message_queue._abstract_redis_gateway", "AbstractRedisGateway", "sync"),
        (
            "redis_message_queue.asyncio._abstract_redis_gateway",
            "AbstractRedisGateway",
            "asyncio",
        ),
        ("redis_message_queue._stored_message", "ClaimedMessage", "sync"),
        ("redis_message_queue._stored_message", "MessageData", "sync"),
        (
            "redis_message_queue.interrupt_handler",
            "GracefulInterruptHandler",
            "sync",
        ),
        (
            "redis_message_queue.interrupt_handler",
            "BaseGracefulInterruptHandler",
            "sync",
        ),
        (
            "redis_message_queue.interrupt_handler._implementation",
            "GracefulInterruptHandler",
            "sync",
        ),
        (
            "redis_message_queue.interrupt_handler._interface",
            "BaseGracefulInterruptHandler",
            "sync",
        ),
        ("redis_message_queue._exceptions", "GatewayContractError", "sync"),
    ],
)
def test_module_paths_of_6_0_0_hold_the_package_objects(
    module: str, name: str, package: str
) -> None:
    """G2: a 6.0.0 module path imports and holds the very object the package has."""
    imported = importlib.import_module(module)
    exported = redis_message_queue if package == "sync" else redis_message_queue.asyncio

    assert getattr(imported, name) is getattr(exported, name)


def test_private_helpers_of_6_0_0_import() -> None:
    """G2: the stored-message helpers, the key manager and the config constants."""
    stored = importlib.import_module("redis_message_queue._stored_message")
    keys = importlib.import_module("redis_message_queue._queue_key_manager")
    config = importlib.import_module("redis_message_queue._config")

    text = stored.encode_stored_message("payload")
    assert text.startswith(config.STORED_MESSAGE_PREFIX) is True
    assert stored.decode_stored_message(text) == "payload"
    assert stored.decode_stored_message(text.encode()) == b"payload"
    assert stored.decode_stored_message(b"foreign") == b"foreign"
    assert config.DEFAULT_VISIBILITY_TIMEOUT_SECONDS == 300
    assert config.DEFAULT_MESSAGE_DEDUPLICATION_LOG_TTL_SECONDS == 3600
    assert config.DEFAULT_MESSAGE_WAIT_INTERVAL_SECONDS == 5
    assert set(config.LUA_SCRIPTS) == {"publish", "claim", "settle", "renew"}
    with pytest.raises(TypeError):
        config.LUA_SCRIPTS["claim"] = "return 1"
    assert keys.QueueKeyManager("orders", "::").pending == "orders::pending"


def test_key_manager_dead_letter_names_the_list_actually_written() -> None:
    """G2: key.dead_letter is <name><separator>dlq (6.0.0 named a list never used)."""
    keys = importlib.import_module("redis_message_queue._queue_key_manager")

    assert keys.QueueKeyManager("orders", "::").dead_letter == "orders::dlq"
    assert keys.QueueKeyManager("orders", "/").dead_letter == "orders/dlq"


def test_claimed_message_is_a_frozen_dataclass() -> None:
    """G3: ClaimedMessage(stored_message, lease_token) is a frozen dataclass."""
    claimed = ClaimedMessage(stored_message=b"stored", lease_token="t")  # noqa: S106

    assert [field.name for field in dataclasses.fields(ClaimedMessage)] == [
        "stored_message",
        "lease_token",
    ]
    assert ClaimedMessage("stored", "token").stored_message == "stored"
    with pytest.raises(dataclasses.FrozenInstanceError):
        claimed.lease_token = "u"  # type: ignore[misc]  # noqa: S105


@pytest.mark.parametrize(
    ("stored", "token", "error"),
    [
        (b"stored", 7, TypeError),
        (b"stored", None, TypeError),
        (b"stored", b"token", TypeError),
        (b"stored", "", ValueError),
        (7, "token", TypeError),
        (None, "token", TypeError),
        (bytearray(b"stored"), "token", TypeError),
    ],
)
def test_claimed_message_validates_its_fields(
    stored: object, token: object, error: type[Exception]
) -> None:
    """G3: a non-str token is a TypeError, an empty one a ValueError, a non-str/bytes
    stored message a TypeError."""
    with pytest.raises(error):
        ClaimedMessage(stored_message=stored, lease_token=token)  # type: ignore[arg-type]


OPERATIONS_OF_6_0_0 = [
    "publish",
    "publish_dedup_hit",
    "claim",
    "claim_empty",
    "claim_reclaim",
    "ack",
    "nack",
    "dlq",
    "completed",
    "failed",
    "lease_renew",
    "lease_renew_failed",
    "heartbeat_stop_timeout",
    "stale_lease_ack",
    "stale_lease_nack",
    "cleanup_failed",
    "trim_failed",
    "retry_attempt",
    "retry_exhausted",
]


def test_event_names_are_the_strings_of_6_0_0() -> None:
    """G19: EventOperation holds the 19 operation strings of 6.0.0 (plus `dropped`)
    and EventOutcome its three outcomes; members compare equal to the strings."""
    operations = [str(member) for member in redis_message_queue.EventOperation]
    outcomes = [str(member) for member in redis_message_queue.EventOutcome]

    assert operations == [*OPERATIONS_OF_6_0_0, "dropped"]
    assert outcomes == ["success", "failure", "skipped"]
    assert redis_message_queue.EventOperation("claim_empty") == "claim_empty"
    assert hash(redis_message_queue.EventOutcome.SKIPPED) == hash("skipped")


def test_queue_event_keeps_the_6_0_0_fields_in_order() -> None:
    """G19: QueueEvent is a frozen dataclass whose fields start with the nine of
    6.0.0, in order, with their defaults; later fields have defaults too."""
    event_class = redis_message_queue.QueueEvent
    fields = dataclasses.fields(event_class)

    assert [field.name for field in fields[:9]] == [
        "queue",
        "operation",
        "outcome",
        "message_id",
        "claim_id",
        "lease_token_hash",
        "destination_queue",
        "exception_type",
        "duration_ms",
    ]
    required = [f.name for f in fields if f.default is dataclasses.MISSING]
    assert required == ["queue", "operation", "outcome"]
    event = event_class("orders", "publish", "success")  # type: ignore[arg-type]
    assert event.message_id is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.queue = "other"  # type: ignore[misc]


def test_message_data_is_str_or_bytes() -> None:
    """G19: MessageData is the alias str | bytes."""
    assert redis_message_queue.MessageData == str | bytes


def test_package_ships_type_information() -> None:
    """G1: the package carries its py.typed marker; the interrupt module exports
    both handler classes of 6.0.0."""
    root = importlib.resources.files("redis_message_queue")
    interrupt = importlib.import_module("redis_message_queue.interrupt_handler")

    assert root.joinpath("py.typed").is_file()
    assert {"GracefulInterruptHandler", "BaseGracefulInterruptHandler"} <= set(
        interrupt.__all__
    )


def test_exception_classes_have_the_6_0_0_bases() -> None:
    """G20: every error derives from RedisMessageQueueError with the 6.0.0 bases,
    in order, so old except clauses keep catching what they caught."""
    errors = importlib.import_module("redis_message_queue._exceptions")

    assert errors.RedisMessageQueueError.__bases__ == (Exception,)
    assert errors.ConfigurationError.__bases__ == (
        errors.RedisMessageQueueError,
        ValueError,
    )
    assert errors.GatewayContractError.__bases__ == (
        errors.RedisMessageQueueError,
        TypeError,
    )
    assert errors.QueueBackpressureError.__bases__ == (errors.RedisMessageQueueError,)
    assert errors.LuaScriptError.__bases__ == (
        redis.exceptions.ResponseError,
        errors.RedisMessageQueueError,
    )
    assert errors.RetryBudgetExhaustedError.__bases__ == (
        redis.exceptions.RedisError,
        errors.RedisMessageQueueError,
    )
    assert issubclass(errors.CleanupFailedError, errors.RedisMessageQueueError)
    assert issubclass(errors.CleanupFailedError, redis.exceptions.RedisError)
    for name in NAMES_OF_6_0_0:
        if name.endswith("Error"):
            assert getattr(errors, name) is getattr(redis_message_queue, name)
