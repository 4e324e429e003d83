"""The queue's configuration: validated once, in one place, then frozen.

The rules follow the 6.0.0 constructor exactly (types first, then values, in parameter
order), plus the guards this library adds. Docs: ``docs/configuration.md``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import attrs

from redis_message_queue.core import validation
from redis_message_queue.core.dedup import default_deduplication_key
from redis_message_queue.core.errors import ConfigurationError
from redis_message_queue.core.keys import DEFAULT_KEY_SEPARATOR

DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 300
DEFAULT_MAX_DELIVERY_COUNT = 10
DEFAULT_HISTORY_LENGTH = 1000
DEFAULT_DEDUPLICATION_TTL_SECONDS = 3600
DEFAULT_WAIT_SECONDS = 5
DEFAULT_BLOCK_TIMEOUT_SECONDS = 1.0


class OverloadPolicy(enum.StrEnum):
    """What publish does when ``pending`` is at ``max_pending_length``."""

    RAISE = "raise"
    DROP_OLDEST = "drop_oldest"
    BLOCK = "block"


DedupKeyFunction = Callable[[Any], Any]


@attrs.frozen(kw_only=True)
class QueueSettings:
    """Everything a queue needs to know about its own behaviour."""

    name: str
    key_separator: str = DEFAULT_KEY_SEPARATOR
    deduplication: bool = True
    get_deduplication_key: DedupKeyFunction | None = default_deduplication_key
    deduplication_ttl_seconds: int = DEFAULT_DEDUPLICATION_TTL_SECONDS
    enable_completed_queue: bool = False
    enable_failed_queue: bool = False
    max_completed_length: int | None = DEFAULT_HISTORY_LENGTH
    max_failed_length: int | None = DEFAULT_HISTORY_LENGTH
    visibility_timeout_seconds: int | None = DEFAULT_VISIBILITY_TIMEOUT_SECONDS
    heartbeat_interval_seconds: float | None = None
    max_delivery_count: int | None = DEFAULT_MAX_DELIVERY_COUNT
    max_pending_length: int | None = None
    pending_overload_policy: OverloadPolicy = OverloadPolicy.RAISE
    pending_overload_block_timeout_seconds: float = DEFAULT_BLOCK_TIMEOUT_SECONDS
    wait_seconds: float = DEFAULT_WAIT_SECONDS
    max_payload_bytes: int | None = None
    max_payload_depth: int | None = None

    @property
    def lease_ms(self) -> int | None:
        """The lease length in milliseconds, or ``None`` when leases are off."""
        if self.visibility_timeout_seconds is None:
            return None
        return self.visibility_timeout_seconds * 1000


def validate_queue_arguments(
    name: object,
    *,
    asynchronous: bool,
    key_separator: object = DEFAULT_KEY_SEPARATOR,
    deduplication: object = True,
    enable_completed_queue: object = False,
    enable_failed_queue: object = False,
    visibility_timeout_seconds: object = DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
    heartbeat_interval_seconds: object = None,
    max_completed_length: object = DEFAULT_HISTORY_LENGTH,
    max_failed_length: object = DEFAULT_HISTORY_LENGTH,
    max_delivery_count: object = DEFAULT_MAX_DELIVERY_COUNT,
    max_pending_length: object = None,
    pending_overload_policy: object = "raise",
    pending_overload_block_timeout_seconds: object = DEFAULT_BLOCK_TIMEOUT_SECONDS,
    get_deduplication_key: object = default_deduplication_key,
    on_heartbeat_failure: object = None,
    on_event: object = None,
    max_payload_bytes: object = None,
    max_payload_depth: object = None,
    message_wait_interval_seconds: object = None,
) -> QueueSettings:
    """Check the queue constructor's arguments and freeze them.

    Args:
        name: The queue name.
        asynchronous: Whether the queue is the asyncio flavour (decides which
            callables are acceptable).
        **rest: The constructor's keyword arguments, unchanged.

    Returns:
        The frozen settings.

    Raises:
        TypeError: An argument has the wrong type.
        ConfigurationError: An argument has a wrong value or arguments conflict.
    """
    queue_name = validation.text_without_control_characters("name", name)
    separator = validation.text_without_control_characters(
        "key_separator", key_separator
    )
    if separator in queue_name:
        raise ConfigurationError(
            f"queue name {queue_name!r} must not contain the key separator "
            f"{separator!r}"
        )

    dedup = validation.require_bool("deduplication", deduplication)
    keep_completed = validation.require_bool(
        "enable_completed_queue", enable_completed_queue
    )
    keep_failed = validation.require_bool("enable_failed_queue", enable_failed_queue)
    completed_length = _history_length(
        "max_completed_length", max_completed_length, keep_completed
    )
    failed_length = _history_length("max_failed_length", max_failed_length, keep_failed)

    deliveries = validation.optional_positive_int(
        "max_delivery_count", max_delivery_count
    )
    visibility = validation.optional_positive_int(
        "visibility_timeout_seconds", visibility_timeout_seconds
    )
    pending_cap = validation.optional_positive_int(
        "max_pending_length", max_pending_length
    )
    policy = overload_policy(pending_overload_policy)
    _require_recomputable_keys(policy, dedup, get_deduplication_key)
    if policy is not OverloadPolicy.RAISE and pending_cap is None:
        raise ConfigurationError(
            f"'pending_overload_policy={policy.value}' needs 'max_pending_length'; "
            "without a cap it would never apply"
        )
    block_timeout = validation.finite_number(
        "pending_overload_block_timeout_seconds",
        pending_overload_block_timeout_seconds,
    )

    dedup_function = _deduplication_function(get_deduplication_key, dedup, asynchronous)
    validation.optional_callable(
        "on_heartbeat_failure", on_heartbeat_failure, asynchronous=asynchronous
    )
    validation.optional_callable(
        "on_event", on_event, asynchronous=asynchronous, async_required=True
    )
    heartbeat = _heartbeat_interval(
        heartbeat_interval_seconds, visibility, on_heartbeat_failure
    )
    if deliveries is not None and visibility is None:
        raise ConfigurationError(
            "'max_delivery_count' needs 'visibility_timeout_seconds': without leases "
            "no delivery is ever retried (with leases off, also pass "
            "max_delivery_count=None)"
        )

    return QueueSettings(
        name=queue_name,
        key_separator=separator,
        deduplication=dedup,
        get_deduplication_key=dedup_function,
        enable_completed_queue=keep_completed,
        enable_failed_queue=keep_failed,
        max_completed_length=completed_length,
        max_failed_length=failed_length,
        visibility_timeout_seconds=visibility,
        heartbeat_interval_seconds=heartbeat,
        max_delivery_count=deliveries,
        max_pending_length=pending_cap,
        pending_overload_policy=policy,
        pending_overload_block_timeout_seconds=block_timeout,
        max_payload_bytes=validation.optional_positive_int(
            "max_payload_bytes", max_payload_bytes
        ),
        max_payload_depth=validation.optional_positive_int(
            "max_payload_depth", max_payload_depth
        ),
        wait_seconds=_wait_seconds(message_wait_interval_seconds),
    )


def _require_recomputable_keys(
    policy: OverloadPolicy, deduplication: bool, key_function: object
) -> None:
    # Dropping a message must also drop its dedup marker, or it could not be
    # published again for a whole window: only known key functions allow that.
    if policy is not OverloadPolicy.DROP_OLDEST or not deduplication:
        return
    if key_function not in (None, default_deduplication_key):
        raise ConfigurationError(
            "'pending_overload_policy=drop_oldest' with a custom "
            "'get_deduplication_key': a dropped message's dedup marker could not be "
            "found to let it be published again; use the default key or None"
        )


def _history_length(name: str, value: object, enabled: bool) -> int | None:
    length = validation.optional_positive_int(name, value)
    if length not in (None, DEFAULT_HISTORY_LENGTH) and not enabled:
        flag = name.replace("max_", "enable_").replace("_length", "_queue")
        raise ConfigurationError(f"'{name}' is set but '{flag}' is False")
    return length


def _wait_seconds(value: object) -> float:
    if value is None:
        return DEFAULT_WAIT_SECONDS
    return validation.finite_number("message_wait_interval_seconds", value)


def overload_policy(value: object) -> OverloadPolicy:
    """Check a ``pending_overload_policy`` value and return the policy."""
    if not isinstance(value, str):
        raise TypeError(
            f"'pending_overload_policy' must be a str, got {type(value).__name__}"
        )
    try:
        return OverloadPolicy(value)
    except ValueError:
        allowed = ", ".join(repr(policy.value) for policy in OverloadPolicy)
        raise ConfigurationError(
            f"'pending_overload_policy' must be one of {allowed}, got {value!r}"
        ) from None


def _deduplication_function(
    value: object, deduplication: bool, asynchronous: bool
) -> DedupKeyFunction | None:
    function = validation.optional_callable(
        "get_deduplication_key", value, asynchronous=asynchronous
    )
    if not deduplication and function not in (None, default_deduplication_key):
        raise ConfigurationError(
            "'get_deduplication_key' is set but 'deduplication' is False"
        )
    return function


def _heartbeat_interval(
    value: object, visibility: int | None, on_failure: object
) -> float | None:
    if value is None:
        if on_failure is not None:
            raise ConfigurationError(
                "'on_heartbeat_failure' needs 'heartbeat_interval_seconds'"
            )
        return None

    interval = validation.positive_number("heartbeat_interval_seconds", value)
    if visibility is None:
        raise ConfigurationError(
            "'heartbeat_interval_seconds' needs 'visibility_timeout_seconds'"
        )
    if interval >= visibility / 2:
        raise ConfigurationError(
            "'heartbeat_interval_seconds' must be less than half of "
            f"'visibility_timeout_seconds' ({visibility}), got {interval}"
        )
    return interval
