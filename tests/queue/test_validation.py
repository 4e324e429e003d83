"""Constructor and publish validation (rules Q1, Q2, Q10, Q12): typed errors, no I/O."""

from __future__ import annotations

import math
from typing import Any

import pytest

import redis_message_queue
import redis_message_queue.asyncio
from redis_message_queue import ConfigurationError, RedisMessageQueue
from redis_message_queue.adapters.memory import MemoryBackend
from redis_message_queue.core.errors import PayloadTooDeepError, PayloadTooLargeError


def _build(**options: Any) -> RedisMessageQueue:
    options.setdefault("backend", MemoryBackend())
    name = options.pop("name", "orders")
    return RedisMessageQueue(name, **options)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"name": 5}, TypeError),
        ({"name": ""}, ConfigurationError),
        ({"name": "   "}, ConfigurationError),
        ({"name": "a\x00b"}, ConfigurationError),
        ({"name": "line\nbreak"}, ConfigurationError),
        ({"name": "esc\x1b[31m"}, ConfigurationError),
        ({"name": "a::b"}, ConfigurationError),
        ({"key_separator": ""}, ConfigurationError),
        ({"key_separator": "  "}, ConfigurationError),
        ({"key_separator": 1}, TypeError),
        ({"deduplication": 1}, TypeError),
        ({"enable_completed_queue": "yes"}, TypeError),
        ({"enable_failed_queue": None}, TypeError),
        ({"max_completed_length": 0}, ConfigurationError),
        ({"max_completed_length": True}, TypeError),
        ({"max_completed_length": 5}, ConfigurationError),
        ({"max_failed_length": 5}, ConfigurationError),
        ({"max_delivery_count": 0}, ConfigurationError),
        ({"max_delivery_count": 2.0}, TypeError),
        ({"visibility_timeout_seconds": 1.5}, TypeError),
        ({"visibility_timeout_seconds": -1}, ConfigurationError),
        ({"visibility_timeout_seconds": None}, ConfigurationError),
        ({"max_pending_length": 0}, ConfigurationError),
        ({"pending_overload_policy": "explode"}, ConfigurationError),
        ({"pending_overload_policy": 1}, TypeError),
        ({"pending_overload_block_timeout_seconds": math.inf}, ConfigurationError),
        ({"pending_overload_block_timeout_seconds": -1}, ConfigurationError),
        ({"pending_overload_block_timeout_seconds": True}, TypeError),
        ({"get_deduplication_key": "sha"}, TypeError),
        ({"deduplication": False, "get_deduplication_key": str}, ConfigurationError),
        ({"on_event": 3}, TypeError),
        ({"on_heartbeat_failure": print}, ConfigurationError),
        ({"heartbeat_interval_seconds": 150}, ConfigurationError),
        ({"heartbeat_interval_seconds": math.nan}, ConfigurationError),
        ({"heartbeat_interval_seconds": False}, TypeError),
        ({"backend": None}, ConfigurationError),
        ({"backend": object()}, TypeError),
        ({"max_payload_bytes": 0}, ConfigurationError),
        ({"message_wait_interval_seconds": -1}, ConfigurationError),
    ],
)
def test_wrong_arguments_raise_typed_errors(
    options: dict[str, Any], error: type[Exception]
) -> None:
    """Q10: a wrong type is a TypeError, a wrong value a ConfigurationError."""
    with pytest.raises(error):
        _build(**options)


def test_a_queue_needs_a_client_or_a_gateway() -> None:
    """Q10: without client, gateway or backend the error says what to pass."""
    with pytest.raises(ConfigurationError, match="Either 'client' or 'gateway'"):
        RedisMessageQueue("orders")


def test_no_trimming_needs_no_history_list() -> None:
    """Q10: None (keep everything) is accepted for either length without its list."""
    queue = _build(max_completed_length=None, max_failed_length=None)

    assert queue.publish("x") is True


def test_configuration_error_is_a_value_error() -> None:
    """Q10: ConfigurationError is also a ValueError and a RedisMessageQueueError."""
    with pytest.raises(ValueError, match="separator"):
        _build(name="a::b")
    assert issubclass(ConfigurationError, redis_message_queue.RedisMessageQueueError)


def test_defaults_are_accepted_explicitly() -> None:
    """Q10: passing the documented defaults explicitly is fine."""
    queue = _build(
        deduplication=True,
        max_completed_length=1000,
        max_failed_length=1000,
        visibility_timeout_seconds=300,
        max_delivery_count=10,
        heartbeat_interval_seconds=10,
    )
    assert queue.key.pending == "orders::pending"
    assert queue.key.dead_letter == "orders::dlq"


def test_sync_queue_refuses_async_callbacks() -> None:
    """Q10: the sync queue cannot await, so it refuses coroutine functions."""

    async def on_event(event: object) -> None:
        return None

    with pytest.raises(TypeError, match="on_event"):
        _build(on_event=on_event)
    with pytest.raises(TypeError, match="get_deduplication_key"):
        _build(get_deduplication_key=on_event)


def test_async_queue_requires_async_on_event() -> None:
    """Q10: the asyncio queue awaits on_event, so it must be a coroutine function."""
    from redis_message_queue.adapters.memory import AsyncMemoryBackend

    with pytest.raises(TypeError, match="on_event"):
        redis_message_queue.asyncio.RedisMessageQueue(
            "orders", backend=AsyncMemoryBackend(), on_event=print
        )


def test_backend_of_the_other_flavour_is_refused() -> None:
    """Q10: an asyncio backend cannot drive the sync queue."""
    from redis_message_queue.adapters.memory import AsyncMemoryBackend

    with pytest.raises(TypeError, match="SyncBackend"):
        _build(backend=AsyncMemoryBackend())


@pytest.mark.parametrize(
    ("message", "error"),
    [
        (b"bytes", TypeError),
        (42, TypeError),
        (["list"], TypeError),
        ({1: "int key"}, TypeError),
        ({"x": math.nan}, ValueError),
        ({"x": math.inf}, ValueError),
        ("lone \ud800 surrogate", ValueError),
        ({"nested": "lone \udfff"}, ValueError),
    ],
)
def test_bad_messages_are_refused_before_any_io(
    message: Any, error: type[Exception]
) -> None:
    """Q1: bad payloads raise a typed error and nothing is queued."""
    queue = _build()

    with pytest.raises(error):
        queue.publish(message)

    assert queue.stats().pending == 0


def test_non_string_keys_are_listed() -> None:
    """Q1: the error names up to three offending keys."""
    queue = _build()

    with pytest.raises(TypeError, match="1, 2, 3"):
        queue.publish({1: "a", 2: "b", 3: "c", 4: "d"})  # type: ignore[dict-item]


def test_custom_key_must_be_a_non_empty_string() -> None:
    """Q2: an empty dedup value would suppress everything, so it is refused."""
    with pytest.raises(ConfigurationError, match="empty"):
        _build(get_deduplication_key=lambda message: "").publish("x")
    with pytest.raises(TypeError, match="str"):
        _build(get_deduplication_key=lambda message: 7).publish("x")


def test_sync_key_function_returning_awaitable_is_refused() -> None:
    """Q2: an awaitable from a key function on the sync queue is closed and refused."""

    async def key(message: object) -> str:
        return "k"

    # The lambda hides the coroutine function from the constructor's check.
    queue = _build(get_deduplication_key=lambda message: key(message))  # noqa: PLW0108

    with pytest.raises(TypeError, match="awaitable"):
        queue.publish("x")


def test_payload_guards_refuse_before_io() -> None:
    """Q12: size and depth guards raise their own errors."""
    queue = _build(max_payload_bytes=30, max_payload_depth=2)

    with pytest.raises(PayloadTooLargeError):
        queue.publish("x" * 31)
    with pytest.raises(PayloadTooDeepError):
        queue.publish({"a": {"b": {"c": 1}}})
    assert queue.publish({"a": {"b": 1}}) is True
    assert queue.stats().pending == 1
