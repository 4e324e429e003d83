# Generated from the asyncio source by tools/unasync_sources.py; do not edit.
"""Delivers :class:`QueueEvent` objects to the user's ``on_event`` callback.

A failing callback must never change what the queue does: its exception is logged
and reported as a ``RuntimeWarning``, and that warning cannot escape either, even when
warnings are turned into errors.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from typing import Any

from redis_message_queue._sync import primitives
from redis_message_queue.core.events import (
    EventOperation,
    EventOutcome,
    QueueEvent,
    hash_lease_token,
)

logger = logging.getLogger(__name__)


class EventEmitter:
    """Builds events for one queue and hands them to its callback.

    Args:
        queue_name: The queue's name, copied into every event.
        callback: The user's ``on_event``; ``None`` turns emitting into a no-op.
    """

    def __init__(self, queue_name: str, callback: Callable[..., Any] | None) -> None:
        self._queue_name = queue_name
        self._callback = callback

    @property
    def enabled(self) -> bool:
        """Whether anyone listens (lets callers skip building costly fields)."""
        return self._callback is not None

    def emit(
        self,
        operation: EventOperation,
        outcome: EventOutcome,
        *,
        lease_token: str | None = None,
        error: BaseException | None = None,
        started: float | None = None,
        **fields: Any,
    ) -> None:
        """Build one event and deliver it; never raises.

        Args:
            operation: What happened.
            outcome: How it ended.
            lease_token: Reported only as its hash.
            error: Reported as its class name.
            started: A ``time.perf_counter()`` reading; the event gets the duration.
            **fields: Other :class:`QueueEvent` fields.
        """
        if self._callback is None:
            return

        event = QueueEvent(
            queue=self._queue_name,
            operation=operation,
            outcome=outcome,
            lease_token_hash=hash_lease_token(lease_token) if lease_token else None,
            exception_type=type(error).__name__ if error is not None else None,
            duration_ms=_elapsed_ms(started),
            **fields,
        )
        try:
            primitives.call_event_callback(self._callback, event)
        except Exception as exc:
            report_callback_failure("on_event", exc)


def report_callback_failure(callback_name: str, exc: BaseException) -> None:
    """Log a user callback's exception and warn about it, without raising."""
    logger.error("%s callback raised", callback_name, exc_info=exc)
    try:
        warnings.warn(
            f"{callback_name} callback raised {type(exc).__name__}: {exc}",
            RuntimeWarning,
            stacklevel=3,
        )
    except Warning:
        # Warnings configured as errors must not turn a callback bug into a failure.
        logger.debug("the %s warning was raised as an error and dropped", callback_name)


def _elapsed_ms(started: float | None) -> float | None:
    if started is None:
        return None
    return (time.perf_counter() - started) * 1000
