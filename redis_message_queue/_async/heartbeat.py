"""Keeps a lease alive while its handler runs, beside the handler.

The sync queue renews from a daemon thread, the asyncio queue from a task. The first
renewal that fails or finds the lease gone stops the heartbeat for good and reports
it once through ``on_heartbeat_failure``, unless the handler has already finished.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Any

from redis_message_queue._async import primitives
from redis_message_queue._async.emitter import EventEmitter, report_callback_failure
from redis_message_queue._async.retrying import RetryingBackend
from redis_message_queue.core.envelope import decode
from redis_message_queue.core.events import EventOperation, EventOutcome
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports import Claim
from redis_message_queue.interrupt_handler._implementation import (
    EventDrivenInterruptHandler,
)

logger = logging.getLogger(__name__)

_SHORTEST_STOP_WAIT_SECONDS = 0.1


class Heartbeat:
    """Renews one claim's lease every ``interval_seconds`` until stopped.

    Args:
        backend: Where the lease lives, with the queue's retries.
        keys: The queue's key names.
        claim: The claim whose lease is kept.
        lease_ms: The lease length each renewal sets.
        interval_seconds: Time between renewals.
        emitter: Receives the renewal events.
        on_failure: The user's ``on_heartbeat_failure``, or None.
    """

    def __init__(
        self,
        backend: RetryingBackend,
        keys: QueueKeyManager,
        claim: Claim,
        *,
        lease_ms: int,
        interval_seconds: float,
        emitter: EventEmitter,
        on_failure: Callable[[], Any] | None,
    ) -> None:
        self._keys = keys
        self._claim = claim
        self._lease_ms = lease_ms
        self._interval = interval_seconds
        self._emitter = emitter
        self._on_failure = on_failure
        self._message_id = decode(claim.stored).message_id
        self._stop = primitives.StopSignal()
        # Stopping the heartbeat also ends the retries of a renewal under way.
        self._backend = backend.stopping_also_on(
            EventDrivenInterruptHandler(self._stop)
        )
        self._runner: primitives.Background | None = None

    def start(self) -> None:
        """Begin renewing in the background."""
        name = f"rmq-heartbeat-{self._keys.queue_name}"
        self._runner = primitives.Background(self._run, name)

    async def stop(self) -> None:
        """Stop renewing and wait (bounded) for an in-flight renewal to end.

        A renewal still running after ``max(2 x interval, 0.1 s)`` is left behind
        with a ``heartbeat_stop_timeout`` event and a warning; its late result
        cannot harm the settled message.
        """
        self._stop.set()
        if self._runner is None:
            return

        timeout = max(2 * self._interval, _SHORTEST_STOP_WAIT_SECONDS)
        if await self._runner.join(timeout):
            return
        await self._emitter.emit(
            EventOperation.HEARTBEAT_STOP_TIMEOUT,
            EventOutcome.FAILURE,
            message_id=self._message_id,
            lease_token=self._claim.lease_token,
        )
        detail = f"heartbeat of queue {self._keys.queue_name!r} did not stop in time"
        logger.warning("%s", detail)
        _warn(detail)

    async def _run(self) -> None:
        while not await self._stop.wait(self._interval):
            if not await self._renew_once():
                return

    async def _renew_once(self) -> bool:
        try:
            renewed = await self._backend.renew(
                self._keys, self._claim.stored, self._claim.lease_token, self._lease_ms
            )
        except Exception as exc:
            logger.warning(
                "lease renewal failed on queue %s", self._keys.queue_name, exc_info=exc
            )
            await self._report_loss(EventOutcome.FAILURE, exc)
            return False

        if not renewed:
            logger.warning("lease lost on queue %s", self._keys.queue_name)
            await self._report_loss(EventOutcome.SKIPPED, None)
            return False

        await self._emitter.emit(
            EventOperation.LEASE_RENEW,
            EventOutcome.SUCCESS,
            message_id=self._message_id,
            lease_token=self._claim.lease_token,
        )
        return True

    async def _report_loss(
        self, outcome: EventOutcome, error: BaseException | None
    ) -> None:
        await self._emitter.emit(
            EventOperation.LEASE_RENEW_FAILED,
            outcome,
            error=error,
            message_id=self._message_id,
            lease_token=self._claim.lease_token,
        )
        if self._on_failure is None or self._stop.is_set():
            # Once the handler is done its lease no longer matters to anyone.
            return
        try:
            await primitives.call_user_function(self._on_failure)
        except Exception as exc:
            report_callback_failure("on_heartbeat_failure", exc)


def _warn(detail: str) -> None:
    try:
        warnings.warn(detail, RuntimeWarning, stacklevel=4)
    except Warning:
        logger.debug("the heartbeat warning was raised as an error and dropped")
