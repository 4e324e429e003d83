# Generated from the asyncio source by tools/unasync_sources.py; do not edit.
"""Ending a delivery: acknowledge or fail it, and report what happened.

This module is the asyncio source; the sync twin is generated from it.
"""

from __future__ import annotations

import logging
import time
import warnings

from redis_message_queue._sync.emitter import EventEmitter
from redis_message_queue.adapters.redis.errors import CleanupFailedError
from redis_message_queue.core import envelope
from redis_message_queue.core.errors import GatewayContractError
from redis_message_queue.core.events import EventOperation, EventOutcome
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports import Claim, Outcome, Settlement, SyncBackend
from redis_message_queue.core.settings import QueueSettings

logger = logging.getLogger(__name__)


class Settler:
    """Settles one queue's deliveries.

    Args:
        backend: Where the queue lives (with the queue's retries).
        keys: The queue's key names.
        settings: Which history lists are kept, and how long.
        emitter: Receives the settle events.
    """

    def __init__(
        self,
        backend: SyncBackend,
        keys: QueueKeyManager,
        settings: QueueSettings,
        emitter: EventEmitter,
    ) -> None:
        self._backend = backend
        self._keys = keys
        self._settings = settings
        self._emitter = emitter

    def acknowledge(self, claim: Claim, message: envelope.Envelope) -> bool:
        keep = self._settings.enable_completed_queue
        settlement = Settlement(
            stored=claim.stored,
            lease_token=claim.lease_token,
            outcome=Outcome.ACK,
            history_key=self._keys.completed if keep else None,
            history_payload=message.payload if keep else None,
            history_limit=self._settings.max_completed_length,
        )
        settled = self._settle(settlement, message)
        if keep:
            self._emitter.emit(
                EventOperation.COMPLETED,
                EventOutcome.SUCCESS if settled else EventOutcome.SKIPPED,
                message_id=message.message_id,
                destination_queue=self._keys.completed,
            )
        self._report_settled(EventOperation.ACK, settled, claim, message)
        return settled

    def fail(
        self, claim: Claim, message: envelope.Envelope, handler_error: BaseException
    ) -> bool:
        keep = self._settings.enable_failed_queue
        logger.error(
            "handler failed on queue %s for message %s",
            self._settings.name,
            message.message_id,
            exc_info=handler_error,
        )
        self._emitter.emit(
            EventOperation.FAILED,
            EventOutcome.FAILURE,
            error=handler_error,
            message_id=message.message_id,
            destination_queue=self._keys.failed if keep else None,
        )
        settlement = Settlement(
            stored=claim.stored,
            lease_token=claim.lease_token,
            outcome=Outcome.NACK,
            history_key=self._keys.failed if keep else None,
            history_payload=message.payload if keep else None,
            history_limit=self._settings.max_failed_length,
        )
        try:
            settled = self._settle(settlement, message)
        except (CleanupFailedError, GatewayContractError) as cleanup_error:
            # The handler's exception is the one the caller needs to see.
            warn_without_raising(f"{cleanup_error}; the handler's error follows")
            return False
        self._report_settled(EventOperation.NACK, settled, claim, message)
        return settled

    def _settle(self, settlement: Settlement, message: envelope.Envelope) -> bool:
        started = time.perf_counter()
        try:
            return self._backend.settle(self._keys, settlement)
        except Exception as exc:
            self._emitter.emit(
                EventOperation.CLEANUP_FAILED,
                EventOutcome.FAILURE,
                error=exc,
                started=started,
                message_id=message.message_id,
            )
            logger.warning(
                "could not settle message %s on queue %s; its lease will bring it back",
                message.message_id,
                self._settings.name,
                exc_info=exc,
            )
            if isinstance(exc, GatewayContractError):
                raise  # a gateway's bug, not a server that could not be reached
            raise CleanupFailedError(
                f"settling the message failed: {exc}",
                queue=self._settings.name,
                message_id=message.message_id,
                operation=settlement.outcome.value,
            ) from exc

    def _report_settled(
        self,
        operation: EventOperation,
        settled: bool,
        claim: Claim,
        message: envelope.Envelope,
    ) -> None:
        outcome = EventOutcome.SUCCESS if settled else EventOutcome.SKIPPED
        self._emitter.emit(
            operation,
            outcome,
            lease_token=claim.lease_token,
            message_id=message.message_id,
        )
        if settled or not claim.lease_token:
            # Without a lease (a gateway that gives none) nothing can go stale.
            return

        stale = (
            EventOperation.STALE_LEASE_ACK
            if operation is EventOperation.ACK
            else EventOperation.STALE_LEASE_NACK
        )
        self._emitter.emit(
            stale,
            EventOutcome.SKIPPED,
            lease_token=claim.lease_token,
            message_id=message.message_id,
        )
        detail = (
            f"the lease on message {message.message_id} of queue "
            f"{self._settings.name!r} was lost before {operation.value}; another "
            "consumer holds it now, so this result was not recorded"
        )
        logger.warning("%s", detail)
        warnings.warn(detail, RuntimeWarning, stacklevel=4)


def warn_without_raising(detail: str) -> None:
    """Issue a ``RuntimeWarning`` that cannot escape even with warnings as errors."""
    try:
        warnings.warn(detail, RuntimeWarning, stacklevel=4)
    except Warning:
        # Warnings set to raise must not hide the handler's own exception.
        logger.debug("a warning was raised as an error and dropped: %s", detail)
