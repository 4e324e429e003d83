"""What a gateway decides for the queues that use it, validated once and frozen.

A queue built with ``gateway=`` takes its lease length, delivery budget, dead-letter
key, dedup window, wait and backpressure from the gateway. These are the rules of
``RedisGateway``'s constructor and of the ``gateway=`` argument of the queue.
Docs: ``docs/gateways.md`` (rules G5 and G9-G13 of ``docs/behaviour.md``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import cast

import attrs

from redis_message_queue.core import validation
from redis_message_queue.core.errors import ConfigurationError, GatewayContractError
from redis_message_queue.core.keys import DEFAULT_KEY_SEPARATOR, QueueKeyManager
from redis_message_queue.core.retry import (
    DEFAULT_RETRY_BUDGET_SECONDS,
    DEFAULT_RETRY_INITIAL_DELAY_SECONDS,
    DEFAULT_RETRY_MAX_DELAY_SECONDS,
    RetryPolicy,
)
from redis_message_queue.core.settings import (
    DEFAULT_BLOCK_TIMEOUT_SECONDS,
    DEFAULT_DEDUPLICATION_TTL_SECONDS,
    DEFAULT_WAIT_SECONDS,
    OverloadPolicy,
    QueueSettings,
    overload_policy,
)

QUEUE_ARGUMENTS_OWNED_BY_GATEWAY: Mapping[str, str] = {
    "visibility_timeout_seconds": "message_visibility_timeout_seconds",
    "max_delivery_count": "max_delivery_count",
    "max_pending_length": "max_pending_length",
    "pending_overload_policy": "pending_overload_policy",
    "pending_overload_block_timeout_seconds": "pending_overload_block_timeout_seconds",
    "message_wait_interval_seconds": "message_wait_interval_seconds",
}
"""Queue arguments a ``gateway=`` queue refuses, and the gateway's name for each."""


@attrs.frozen(kw_only=True)
class GatewaySettings:
    """Everything a gateway decides for the queues it serves.

    Attributes:
        visibility_timeout_seconds: Lease length; ``None`` when the gateway gives no
            leases.
        max_delivery_count: Deliveries before dead-lettering; ``None`` for no limit.
        dead_letter_queue: The dead-letter key, set together with
            ``max_delivery_count``.
        deduplication_ttl_seconds: How long a dedup marker suppresses publishes.
        wait_seconds: How long one claim waits for a message (0: one attempt).
        max_pending_length: The cap on ``pending``; ``None`` for no cap.
        pending_overload_policy: What a publish does at the cap.
        pending_overload_block_timeout_seconds: How long ``block`` waits.
        retry: How failed server calls are retried.
    """

    visibility_timeout_seconds: int | None = None
    max_delivery_count: int | None = None
    dead_letter_queue: str | None = None
    deduplication_ttl_seconds: int = DEFAULT_DEDUPLICATION_TTL_SECONDS
    wait_seconds: float = DEFAULT_WAIT_SECONDS
    max_pending_length: int | None = None
    pending_overload_policy: OverloadPolicy = OverloadPolicy.RAISE
    pending_overload_block_timeout_seconds: float = DEFAULT_BLOCK_TIMEOUT_SECONDS
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)

    @property
    def lease_ms(self) -> int | None:
        """The lease length in milliseconds, or ``None`` without leases."""
        if self.visibility_timeout_seconds is None:
            return None
        return self.visibility_timeout_seconds * 1000


def validate_gateway_arguments(
    *,
    retry_budget_seconds: object = DEFAULT_RETRY_BUDGET_SECONDS,
    retry_max_delay_seconds: object = DEFAULT_RETRY_MAX_DELAY_SECONDS,
    retry_initial_delay_seconds: object = DEFAULT_RETRY_INITIAL_DELAY_SECONDS,
    message_deduplication_log_ttl_seconds: object = None,
    message_wait_interval_seconds: object = None,
    message_visibility_timeout_seconds: object = None,
    max_delivery_count: object = None,
    dead_letter_queue: object = None,
    max_pending_length: object = None,
    pending_overload_policy: object = "raise",
    pending_overload_block_timeout_seconds: object = DEFAULT_BLOCK_TIMEOUT_SECONDS,
) -> GatewaySettings:
    """Check ``RedisGateway``'s arguments (all but the client and the interrupt).

    Returns:
        The frozen settings.

    Raises:
        TypeError: An argument has the wrong type.
        ConfigurationError: An argument has a wrong value or arguments conflict.
    """
    ttl = _int_or_default(
        "message_deduplication_log_ttl_seconds",
        message_deduplication_log_ttl_seconds,
        DEFAULT_DEDUPLICATION_TTL_SECONDS,
        minimum=1,
    )
    wait = _int_or_default(
        "message_wait_interval_seconds",
        message_wait_interval_seconds,
        DEFAULT_WAIT_SECONDS,
        minimum=0,
    )
    visibility = validation.optional_positive_int(
        "message_visibility_timeout_seconds", message_visibility_timeout_seconds
    )
    # The policy checks its own values; the casts only satisfy the type checker.
    retry = RetryPolicy(
        retry_budget_seconds=cast(int, retry_budget_seconds),
        retry_max_delay_seconds=cast(float, retry_max_delay_seconds),
        retry_initial_delay_seconds=cast(float, retry_initial_delay_seconds),
    )
    deliveries, dead_letter = _dead_lettering(
        max_delivery_count, dead_letter_queue, visibility
    )
    pending_cap = validation.optional_positive_int(
        "max_pending_length", max_pending_length
    )
    policy = overload_policy(pending_overload_policy)
    if policy is not OverloadPolicy.RAISE and pending_cap is None:
        raise ConfigurationError(
            f"'pending_overload_policy={policy.value}' needs 'max_pending_length'; "
            "without a cap it would never apply"
        )
    return GatewaySettings(
        visibility_timeout_seconds=visibility,
        max_delivery_count=deliveries,
        dead_letter_queue=dead_letter,
        deduplication_ttl_seconds=ttl,
        wait_seconds=wait,
        max_pending_length=pending_cap,
        pending_overload_policy=policy,
        pending_overload_block_timeout_seconds=validation.finite_number(
            "pending_overload_block_timeout_seconds",
            pending_overload_block_timeout_seconds,
        ),
        retry=retry,
    )


def _int_or_default(name: str, value: object, default: int, *, minimum: int) -> int:
    if value is None:
        return default
    number = validation.require_int(name, value)
    if number < minimum:
        raise ConfigurationError(f"'{name}' must be >= {minimum}, got {number}")
    return number


def _dead_lettering(
    max_delivery_count: object, dead_letter_queue: object, visibility: int | None
) -> tuple[int | None, str | None]:
    deliveries = validation.optional_positive_int(
        "max_delivery_count", max_delivery_count
    )
    if deliveries is not None and visibility is None:
        raise ConfigurationError(
            "'max_delivery_count' needs 'message_visibility_timeout_seconds': "
            "without leases no delivery is ever retried"
        )

    dead_letter = None
    if dead_letter_queue is not None:
        if not isinstance(dead_letter_queue, str):
            raise TypeError(
                "'dead_letter_queue' must be a str, got "
                f"{type(dead_letter_queue).__name__}"
            )
        if not dead_letter_queue.strip():
            raise ConfigurationError(
                "'dead_letter_queue' must not be empty or whitespace-only"
            )
        dead_letter = dead_letter_queue

    if (deliveries is None) != (dead_letter is None):
        raise ConfigurationError(
            "'max_delivery_count' and 'dead_letter_queue' must be given together"
        )
    return deliveries, dead_letter


def refuse_queue_arguments_with_gateway(
    explicit: Collection[str], *, client: object, interrupt: object
) -> None:
    """Refuse queue arguments that a ``gateway=`` queue takes from its gateway.

    An argument counts as given when the caller named it, even with its default
    value: a queue cannot honour a lease length or a cap that its gateway decides.

    Args:
        explicit: The names of the keyword arguments the caller passed.
        client: The queue's ``client`` argument.
        interrupt: The queue's ``interrupt`` argument.

    Raises:
        ConfigurationError: ``client`` or ``interrupt`` is set, or a setting the
            gateway owns was passed.
    """
    if client is not None:
        raise ConfigurationError("'gateway' cannot be combined with 'client'")
    if interrupt is not None:
        raise ConfigurationError(
            "'gateway' cannot be combined with 'interrupt': give the interrupt "
            "handler to the gateway instead (RedisGateway(interrupt=...))"
        )

    owned = [name for name in QUEUE_ARGUMENTS_OWNED_BY_GATEWAY if name in explicit]
    if owned:
        fixes = ", ".join(
            f"{name} -> {QUEUE_ARGUMENTS_OWNED_BY_GATEWAY[name]}" for name in owned
        )
        raise ConfigurationError(
            f"with 'gateway', the gateway decides {', '.join(map(repr, owned))}; "
            f"configure the gateway instead ({fixes})"
        )


def gateway_lease_seconds(value: object) -> int | None:
    """Check a custom gateway's ``message_visibility_timeout_seconds``.

    Returns:
        The lease length, or ``None`` when the gateway gives no leases.

    Raises:
        GatewayContractError: The value is neither an int nor None.
        ConfigurationError: The value is not greater than zero.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise GatewayContractError(
            "the gateway's 'message_visibility_timeout_seconds' must be an int or "
            f"None, got {type(value).__name__}"
        )
    if value <= 0:
        raise ConfigurationError(
            "the gateway's 'message_visibility_timeout_seconds' must be greater "
            f"than 0, got {value}"
        )
    return value


def custom_gateway_settings(
    *, lease_seconds: int | None, max_delivery_count: object, dead_letter_queue: object
) -> GatewaySettings:
    """The settings of a queue on a user's gateway, which waits and caps by itself.

    The queue makes a single claim call per wait (the gateway's own call waits), and
    uses the gateway's dead-letter key for ``key.dead_letter`` when it names one.
    """
    dead_letter = dead_letter_queue if isinstance(dead_letter_queue, str) else None
    deliveries = max_delivery_count if isinstance(max_delivery_count, int) else None
    return GatewaySettings(
        visibility_timeout_seconds=lease_seconds,
        max_delivery_count=deliveries,
        dead_letter_queue=dead_letter or None,
        wait_seconds=0.0,
    )


def queue_settings_with_gateway(
    queue: QueueSettings, gateway: GatewaySettings
) -> QueueSettings:
    """The queue's settings once the gateway's decisions replace its own.

    Raises:
        ConfigurationError: The queue's heartbeat is not shorter than half the
            gateway's lease.
    """
    heartbeat = queue.heartbeat_interval_seconds
    visibility = gateway.visibility_timeout_seconds
    if heartbeat is not None and visibility is not None and heartbeat >= visibility / 2:
        raise ConfigurationError(
            "'heartbeat_interval_seconds' must be less than half of the gateway's "
            f"'message_visibility_timeout_seconds' ({visibility}), got {heartbeat}"
        )
    return attrs.evolve(
        queue,
        visibility_timeout_seconds=visibility,
        max_delivery_count=gateway.max_delivery_count,
        deduplication_ttl_seconds=gateway.deduplication_ttl_seconds,
        wait_seconds=gateway.wait_seconds,
        max_pending_length=gateway.max_pending_length,
        pending_overload_policy=gateway.pending_overload_policy,
        pending_overload_block_timeout_seconds=(
            gateway.pending_overload_block_timeout_seconds
        ),
    )


@attrs.frozen
class GatewayQueueKeys(QueueKeyManager):
    """The key names of a queue whose dead-letter list the gateway names.

    Attributes:
        dead_letter_key: The gateway's ``dead_letter_queue``.
    """

    dead_letter_key: str = attrs.field(kw_only=True)

    @property
    def dead_letter(self) -> str:
        """The gateway's dead-letter list."""
        return self.dead_letter_key


def keys_for_gateway(
    queue_name: str, key_separator: str, gateway: GatewaySettings
) -> QueueKeyManager:
    """The key names of a queue on a gateway, with the gateway's dead-letter key."""
    if gateway.dead_letter_queue is None:
        return QueueKeyManager(queue_name, key_separator)
    return GatewayQueueKeys(
        queue_name, key_separator, dead_letter_key=gateway.dead_letter_queue
    )


def keys_from_key_name(
    key: str, role: str, gateway: GatewaySettings
) -> QueueKeyManager:
    """The key names of the queue that ``key`` belongs to, for a standalone gateway.

    The queue binds its own key names to the gateway; without them the default
    separator is assumed, so ``"orders::pending"`` is the pending list of
    ``"orders"``.

    Args:
        key: A key name passed to a gateway method.
        role: The part of the queue the method expects there, such as
            ``"pending"``.
        gateway: The gateway's settings (for the dead-letter key).

    Raises:
        ConfigurationError: ``key`` is not a ``<name>::<role>`` key.
    """
    suffix = DEFAULT_KEY_SEPARATOR + role
    if not key.endswith(suffix) or len(key) == len(suffix):
        raise ConfigurationError(
            f"RedisGateway works on a queue's own key names, such as "
            f"'orders{suffix}'; got {key!r} where the {role} list belongs"
        )
    return keys_for_gateway(key[: -len(suffix)], DEFAULT_KEY_SEPARATOR, gateway)
