# Generated from the asyncio source by tools/unasync_sources.py; do not edit.
"""How a queue built with ``gateway=`` reaches its gateway.

Our own ``RedisGateway`` is not called through its methods: the queue drives the
gateway's backend directly, with the gateway's settings, so each operation stays one
round trip. Any other gateway is driven through the gateway backend, which checks
every result. Either way the gateway decides the lease, the delivery budget, the
dead-letter key, the dedup window, the wait and the cap. This module is the asyncio
source; the sync twin is generated.
"""

from __future__ import annotations

import functools
import inspect
import logging
import math
import warnings
from typing import Any

from redis_message_queue._sync import primitives
from redis_message_queue._sync.emitter import EventEmitter
from redis_message_queue._sync.redis_gateway import RedisGateway
from redis_message_queue.adapters.gateway import contract
from redis_message_queue.adapters.gateway._sync.backend import SyncGatewayBackend
from redis_message_queue.adapters.gateway._sync.interface import (
    AbstractRedisGateway,
)
from redis_message_queue.core.errors import ConfigurationError, GatewayContractError
from redis_message_queue.core.events import EventOperation, EventOutcome
from redis_message_queue.core.gateway_settings import (
    GatewaySettings,
    custom_gateway_settings,
    gateway_lease_seconds,
    keys_for_gateway,
    queue_settings_with_gateway,
)
from redis_message_queue.core.hash_slots import require_one_slot
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports import SyncBackend
from redis_message_queue.core.retry import RetryPolicy
from redis_message_queue.core.settings import QueueSettings
from redis_message_queue.interrupt_handler._interface import (
    BaseGracefulInterruptHandler,
)

logger = logging.getLogger(__name__)

_BOUND_PENDING_ATTRIBUTE = "_rmq_bound_pending_queue"
"""Set on a dead-lettering gateway: the pending key of the one queue it serves."""


class GatewayLink:
    """A queue's gateway: the backend the queue drives, and what the gateway decides.

    Attributes:
        backend: The backend the queue drives (before the queue's retries).
        settings: What the gateway decides for the queue.
        retry_policy: How the queue retries that backend: our gateway's policy, or
            None (the default policy; a custom gateway's errors are never retried).
        interrupt: The gateway's interrupt handler, if any.

    Args:
        gateway: The queue's ``gateway`` argument.

    Raises:
        TypeError: ``gateway`` is not a gateway.
        GatewayContractError: ``gateway`` is of the other flavour (an asyncio one
            for the sync queue, or the reverse), or its
            ``message_visibility_timeout_seconds`` is neither an int nor None.
        ConfigurationError: That visibility timeout is not greater than zero.
    """

    def __init__(self, gateway: object) -> None:
        self._gateway = _require_gateway(gateway)
        self._emitter: EventEmitter | None = None
        self.backend: SyncBackend
        self.settings: GatewaySettings
        self.interrupt: BaseGracefulInterruptHandler | None = None
        self.retry_policy: RetryPolicy | None = None
        self._custom_backend: SyncGatewayBackend | None = None

        # A subclass may override methods, so only the exact class skips them.
        if type(self._gateway) is RedisGateway:
            # The queue retries the server backend itself, under this policy.
            self.backend = self._gateway._server_backend
            self.settings = self._gateway._settings
            self.retry_policy = self._gateway._settings.retry
            self.interrupt = self._gateway._interrupt
            return

        lease_seconds = gateway_lease_seconds(
            getattr(self._gateway, "message_visibility_timeout_seconds", None)
        )
        self.settings = custom_gateway_settings(
            lease_seconds=lease_seconds,
            max_delivery_count=self._gateway.max_delivery_count,
            dead_letter_queue=self._gateway.dead_letter_queue,
        )
        self.backend = self._custom_backend = SyncGatewayBackend(
            self._gateway, lease_capable=lease_seconds is not None
        )

    def attach(
        self, settings: QueueSettings, emitter: EventEmitter
    ) -> tuple[QueueSettings, QueueKeyManager]:
        """Bind the gateway to one queue.

        Args:
            settings: The queue's validated settings.
            emitter: The queue's event emitter, for the gateway's own events.

        Returns:
            The queue's settings with the gateway's decisions, and its key names
            (with the gateway's dead-letter key).

        Raises:
            ConfigurationError: A dead-lettering gateway already serves another
                queue, the heartbeat does not fit the gateway's lease, or (on a
                cluster) the queue's keys do not share one slot.
        """
        merged = queue_settings_with_gateway(settings, self.settings)
        keys = keys_for_gateway(merged.name, merged.key_separator, self.settings)
        _bind_to_one_queue(self._gateway, keys)
        if self._gateway.is_redis_cluster:
            require_one_slot(keys)
        if merged.heartbeat_interval_seconds is not None and merged.lease_ms is None:
            _warn_heartbeat_without_lease(keys)

        self._emitter = emitter
        if isinstance(self._gateway, RedisGateway):
            self._gateway._bind_queue_keys(keys)
        if self._custom_backend is not None:
            self._custom_backend.report_events_to(emitter.emit)
            hook = getattr(self._gateway, "_set_event_emitter", None)
            if callable(hook):
                hook(keys.queue_name, self._emit_from_gateway)
        return merged, keys

    def drain(self, keys: QueueKeyManager, deadline: float | None) -> bool:
        """Let the gateway settle claims it could not resolve, if it can.

        Calls the gateway's optional ``_drain_pending_claim_ids(processing_key, *,
        deadline_monotonic)`` hook (no bound is ``math.inf``).

        Returns:
            True when nothing is left unresolved (always, without the hook).

        Raises:
            GatewayContractError: The hook returned something other than a bool.
        """
        hook = getattr(self._gateway, "_drain_pending_claim_ids", None)
        if not callable(hook):
            return True
        bounded = functools.partial(
            hook, deadline_monotonic=math.inf if deadline is None else deadline
        )
        result = primitives.call_user_function(bounded, keys.processing)
        return contract.require_bool(result, "_drain_pending_claim_ids", keys)

    def _emit_from_gateway(self, operation: str, outcome: str, **fields: Any) -> None:
        # What a gateway's _set_event_emitter hook receives: names as plain strings.
        if self._emitter is not None:
            self._emitter.emit(
                EventOperation(operation), EventOutcome(outcome), **fields
            )


def _require_gateway(gateway: object) -> AbstractRedisGateway:
    if isinstance(gateway, AbstractRedisGateway):
        return gateway

    claim = getattr(gateway, "wait_for_message_and_move", None)
    if claim is None:
        raise TypeError(
            f"'gateway' must be an AbstractRedisGateway, got {type(gateway).__name__}"
        )
    wanted = "asyncio" if primitives.IS_ASYNC else "sync"
    given = "asyncio" if inspect.iscoroutinefunction(claim) else "sync"
    if given == wanted:
        raise GatewayContractError(
            f"'gateway' must subclass the {wanted} AbstractRedisGateway, got "
            f"{type(gateway).__name__}"
        )
    package = "redis_message_queue"
    if given == "asyncio":
        package += ".asyncio"
    raise GatewayContractError(
        f"the {wanted} queue got the {given} gateway {type(gateway).__name__}; "
        f"pass it to {package}.RedisMessageQueue, or give this queue a {wanted} "
        "gateway"
    )


def _bind_to_one_queue(gateway: AbstractRedisGateway, keys: QueueKeyManager) -> None:
    # A gateway that dead-letters keeps one dead-letter list; serving two queues
    # would mix their dead letters, so it stays with the first queue.
    if gateway.max_delivery_count is None:
        return
    bound = getattr(gateway, _BOUND_PENDING_ATTRIBUTE, None)
    if bound is None:
        setattr(gateway, _BOUND_PENDING_ATTRIBUTE, keys.pending)
        return
    if bound != keys.pending:
        raise ConfigurationError(
            f"this gateway dead-letters messages of the queue at {bound!r}; build "
            f"another gateway for the queue at {keys.pending!r}"
        )


def _warn_heartbeat_without_lease(keys: QueueKeyManager) -> None:
    detail = (
        f"queue {keys.queue_name!r} has a heartbeat, but its gateway gives no "
        "leases (no message_visibility_timeout_seconds), so no heartbeat will run"
    )
    logger.warning("%s", detail)
    try:
        warnings.warn(detail, RuntimeWarning, stacklevel=4)
    except Warning:
        logger.debug("the heartbeat warning was raised as an error and dropped")
