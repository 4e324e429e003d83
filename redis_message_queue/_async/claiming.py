"""The consumer's wait: claim, and when nothing is there, sleep until there may be.

An idle consumer sleeps on the server (one blocking command per wait) when the
backend can; otherwise it polls with growing pauses. It wakes early enough to take
back a lease that is about to expire.
"""

from __future__ import annotations

import logging
import time

from redis_message_queue._async import primitives
from redis_message_queue._async.emitter import EventEmitter
from redis_message_queue.core.envelope import decode
from redis_message_queue.core.events import EventOperation, EventOutcome
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports import (
    AsyncBackend,
    Capability,
    Claim,
    ClaimOptions,
    ClaimResult,
)
from redis_message_queue.interrupt_handler._interface import (
    BaseGracefulInterruptHandler,
)

logger = logging.getLogger(__name__)

_FIRST_POLL_SECONDS = 0.01
_LONGEST_POLL_SECONDS = 0.25
_LEASE_WAKE_MARGIN_SECONDS = 0.002
_INTERRUPT_CHECK_SECONDS = 0.25


class Claimer:
    """Takes messages for one queue, waiting up to a bound when none are pending.

    Args:
        backend: Where the queue lives.
        keys: The queue's key names.
        options: How each claim step takes messages.
        emitter: Receives reclaim, dead-letter and claim-failure events.
        interrupt: Stops the wait (before the next claim step) once it reports
            an interruption.
    """

    def __init__(
        self,
        backend: AsyncBackend,
        keys: QueueKeyManager,
        options: ClaimOptions,
        emitter: EventEmitter,
        *,
        interrupt: BaseGracefulInterruptHandler | None = None,
    ) -> None:
        self._backend = backend
        self._keys = keys
        self._options = options
        self._emitter = emitter
        self._interrupt = interrupt
        self._blocking = Capability.BLOCKING_WAIT in backend.capabilities

    async def next_claims(self, wait_seconds: float) -> tuple[Claim, ...]:
        """Claim messages, waiting at most ``wait_seconds`` for one to arrive.

        Returns:
            The claims made, or an empty tuple when the wait ran out.
        """
        deadline = primitives.monotonic() + wait_seconds
        poll_pause = _FIRST_POLL_SECONDS
        while True:
            if self._interrupt is not None and self._interrupt.is_interrupted():
                return ()
            result = await self._claim_once()
            if result.claims:
                return result.claims

            remaining = deadline - primitives.monotonic()
            if remaining <= 0:
                return ()

            pause = _pause_before_next_claim(remaining, result.next_expiry_ms)
            if self._interrupt is not None:
                # A server-side wait cannot see the flag: look again now and then.
                pause = min(pause, _INTERRUPT_CHECK_SECONDS)
            if self._blocking:
                await self._backend.wait_for_messages(self._keys, pause)
            else:
                await primitives.sleep(min(pause, poll_pause))
                poll_pause = min(poll_pause * 2, _LONGEST_POLL_SECONDS)

    async def _claim_once(self) -> ClaimResult:
        started = time.perf_counter()
        try:
            result = await self._backend.claim(self._keys, self._options)
        except Exception as exc:
            await self._emitter.emit(
                EventOperation.CLAIM, EventOutcome.FAILURE, error=exc, started=started
            )
            raise

        await self._report_side_effects(result)
        return result

    async def _report_side_effects(self, result: ClaimResult) -> None:
        for stored in result.reclaimed:
            logger.warning(
                "lease expired on queue %s; message requeued", self._keys.queue_name
            )
            await self._emitter.emit(
                EventOperation.CLAIM_RECLAIM,
                EventOutcome.SUCCESS,
                message_id=decode(stored).message_id,
            )
        for stored in result.dead_lettered:
            logger.warning("message dead-lettered on queue %s", self._keys.queue_name)
            await self._emitter.emit(
                EventOperation.DLQ,
                EventOutcome.SUCCESS,
                destination_queue=self._keys.dead_letter,
                message_id=decode(stored).message_id,
            )


def _pause_before_next_claim(remaining: float, next_expiry_ms: int | None) -> float:
    # A blocking wait with a zero timeout would block forever: keep it positive.
    pause = remaining
    if next_expiry_ms is not None:
        pause = min(pause, next_expiry_ms / 1000 + _LEASE_WAKE_MARGIN_SECONDS)
    return max(pause, 0.001)
