# Generated from the asyncio source by tools/unasync_sources.py; do not edit.
"""Retries of backend calls that failed on a transient error, made safe to repeat.

A dropped connection leaves the caller unsure whether the server ran the call.
:class:`RetryingBackend` repeats the call with the same arguments, and the port's
repeat rules (R21-R24 in ``docs/behaviour.md``) make the repeat return what the
first run did: a claim keeps its claim id, a publication its envelope id, and a
settle asks for a record of its success. The backend says which errors are
transient; the loop is tenacity's, with the policy of 6.0.0.

This module is the asyncio source; the sync twin is generated from it.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Sequence
from typing import Protocol, TypeVar

import attrs
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_delay,
    wait_exponential_jitter,
)

from redis_message_queue._sync import primitives
from redis_message_queue._sync.emitter import EventEmitter
from redis_message_queue.adapters.redis.errors import RetryBudgetExhaustedError
from redis_message_queue.core.envelope import MessageData, decode
from redis_message_queue.core.events import EventOperation, EventOutcome
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports import (
    ClaimOptions,
    ClaimResult,
    Publication,
    PublishOptions,
    PublishResult,
    QueueDepths,
    Settlement,
    SyncBackend,
)
from redis_message_queue.core.replay import lease_tokens, new_claim_id
from redis_message_queue.core.retry import (
    RETRY_EXPONENT_BASE,
    RETRY_JITTER_SECONDS,
    RetryPolicy,
)
from redis_message_queue.interrupt_handler._interface import (
    BaseGracefulInterruptHandler,
)

logger = logging.getLogger(__name__)

_INTERRUPT_POLL_SECONDS = 0.05
"""A pause between attempts checks the interrupt handler this often."""

_JITTER_TAKES_MULTIPLIER = (
    "multiplier" in inspect.signature(wait_exponential_jitter).parameters
)

T_co = TypeVar("T_co", covariant=True)


class _Attempt(Protocol[T_co]):
    """One run of the call being retried."""

    def __call__(self) -> T_co:
        """Make the call once."""
        ...


@attrs.frozen
class _CallDetails:
    """What the logs, events and errors of one retried call name."""

    queue: QueueKeyManager
    operation: str
    message_id: str | None = None
    claim_id: str | None = None
    lease_token: str | None = None


class RetryingBackend(SyncBackend):
    """Another backend whose calls are retried on transient errors.

    Publishes with a dedup key on every publication, claims, settles and renewals
    are retried; a publish with a publication lacking a dedup key is not (an
    unconditional push cannot be told apart from its repeat), nor are the reads.
    A wait that fails on a transient error returns as a wake-up.

    Args:
        backend: The backend to call; its ``is_transient`` decides what to retry.
        policy: Budget and pauses; 120 s, 0.01 s growing to 5 s by default.
        emitter: Receives ``retry_attempt`` and ``retry_exhausted`` events.
        interrupt: Once it reports an interruption, a failed call is not tried
            again: its error is raised as it is.
    """

    def __init__(
        self,
        backend: SyncBackend,
        policy: RetryPolicy | None = None,
        *,
        emitter: EventEmitter | None = None,
        interrupt: BaseGracefulInterruptHandler | None = None,
    ) -> None:
        self.inner = backend
        self.policy = policy if policy is not None else RetryPolicy()
        self.capabilities = backend.capabilities
        self.decode_responses = backend.decode_responses
        self._emitter = emitter
        self._interrupt = interrupt
        self._unresolved_claims: dict[str, tuple[QueueKeyManager, int]] = {}

    def stopping_also_on(self, stop: BaseGracefulInterruptHandler) -> RetryingBackend:
        """The same retries, also given up once ``stop`` reports an interruption.

        A heartbeat renews through such a backend, so that stopping the heartbeat
        ends a renewal's retries at once.
        """
        interrupt = stop if self._interrupt is None else _Either(self._interrupt, stop)
        return RetryingBackend(
            self.inner, self.policy, emitter=self._emitter, interrupt=interrupt
        )

    def publish(
        self,
        queue: QueueKeyManager,
        publications: Sequence[Publication],
        options: PublishOptions,
    ) -> PublishResult:
        """Publish, retrying only when every publication carries a dedup key."""

        def attempt() -> PublishResult:
            return self.inner.publish(queue, publications, options)

        if any(publication.dedup_key is None for publication in publications):
            return attempt()
        details = _CallDetails(queue, "publish", message_id=_first_id(publications))
        return self._retry(attempt, details)

    def claim(
        self,
        queue: QueueKeyManager,
        options: ClaimOptions,
        *,
        claim_id: str | None = None,
    ) -> ClaimResult:
        """Claim under one claim id for every attempt, so a repeat finds its work."""
        claim_id = claim_id or new_claim_id()

        def attempt() -> ClaimResult:
            return self.inner.claim(queue, options, claim_id=claim_id)

        details = _CallDetails(queue, "claim", claim_id=claim_id)
        try:
            return self._retry(attempt, details)
        except Exception:
            # The server may have run the claim: remember how to give it back.
            self._unresolved_claims[claim_id] = (queue, options.max_messages)
            raise

    def settle(self, queue: QueueKeyManager, settlement: Settlement) -> bool:
        """Settle, keeping a record of success for longer than the retry budget."""
        if settlement.record_seconds is None:
            record_seconds = self.policy.settle_record_seconds
            settlement = attrs.evolve(settlement, record_seconds=record_seconds)

        def attempt() -> bool:
            return self.inner.settle(queue, settlement)

        details = _CallDetails(
            queue,
            settlement.outcome.value,
            message_id=decode(settlement.stored).message_id,
            lease_token=settlement.lease_token,
        )
        return self._retry(attempt, details)

    def renew(
        self,
        queue: QueueKeyManager,
        stored: MessageData,
        lease_token: str,
        lease_ms: int,
    ) -> bool:
        """Renew; extending a lease twice is harmless, so a repeat is too."""

        def attempt() -> bool:
            return self.inner.renew(queue, stored, lease_token, lease_ms)

        details = _CallDetails(
            queue,
            "renew",
            message_id=decode(stored).message_id,
            lease_token=lease_token,
        )
        return self._retry(attempt, details)

    def depths(self, queue: QueueKeyManager) -> QueueDepths:
        """The inner backend's depths (not retried)."""
        return self.inner.depths(queue)

    def release(self, queue: QueueKeyManager, lease_tokens: Sequence[str]) -> int:
        """Release, retried: releasing a token twice finds nothing the second time."""

        def attempt() -> int:
            return self.inner.release(queue, lease_tokens)

        return self._retry(attempt, _CallDetails(queue, "release"))

    def purge(self, queue: QueueKeyManager, key: str) -> int:
        """The inner backend's purge (an operator's call: not retried)."""
        return self.inner.purge(queue, key)

    def redrive(self, queue: QueueKeyManager, message_ids: Sequence[str]) -> int:
        """The inner backend's redrive (not retried: a repeat would move more)."""
        return self.inner.redrive(queue, message_ids)

    def forget_markers(
        self, queue: QueueKeyManager, markers: Sequence[tuple[str, str]]
    ) -> int:
        """Forget markers, retried: a repeat deletes nothing more."""

        def attempt() -> int:
            return self.inner.forget_markers(queue, markers)

        return self._retry(attempt, _CallDetails(queue, "forget_markers"))

    def release_unresolved_claims(self) -> int:
        """Give back the messages of claims whose outcome stayed unknown.

        A claim that failed even after its retries may still have run on the
        server; its messages would then sit in processing until their lease ends,
        or for good without leases. Releasing by the claim's tokens puts them back
        at once.

        Returns:
            How many messages were put back.
        """
        released = 0
        for claim_id, (queue, count) in list(self._unresolved_claims.items()):
            try:
                released += self.release(queue, lease_tokens(claim_id, count))
            except Exception as error:
                logger.warning(
                    "could not release claim %s on queue %s: %s",
                    claim_id,
                    queue.queue_name,
                    error,
                )
                continue
            del self._unresolved_claims[claim_id]
            self._emit_recovered(queue, claim_id)
        return released

    @property
    def has_unresolved_claims(self) -> bool:
        """Whether a claim's outcome is still unknown."""
        return bool(self._unresolved_claims)

    def peek(
        self,
        queue: QueueKeyManager,
        key: str,
        count: int,
        *,
        oldest_first: bool = False,
    ) -> tuple[MessageData, ...]:
        """The inner backend's peek (not retried)."""
        return self.inner.peek(queue, key, count, oldest_first=oldest_first)

    def wait_for_messages(self, queue: QueueKeyManager, timeout_seconds: float) -> bool:
        """The inner backend's wait; a transient failure ends it as a wake-up.

        A wait changes nothing, so instead of retrying it the caller is sent to
        claim, a call that is retried; the port allows spurious wake-ups.
        """
        try:
            return self.inner.wait_for_messages(queue, timeout_seconds)
        except Exception as error:
            if not self.policy.retries or not self._should_retry(error):
                raise
            logger.warning(
                "wait on queue %s failed (%s: %s); claiming again",
                queue.queue_name,
                type(error).__name__,
                error,
            )
            return True

    def close(self) -> None:
        """Close the inner backend."""
        self.inner.close()

    def is_transient(self, error: BaseException) -> bool:
        """The inner backend's answer."""
        return self.inner.is_transient(error)

    # -- the loop -----------------------------------------------------------------

    def _retry(self, attempt: _Attempt[T_co], details: _CallDetails) -> T_co:
        if not self.policy.retries:
            return attempt()

        def attempt_and_report() -> T_co:
            try:
                return attempt()
            except Exception as error:
                if self._should_retry(error):
                    self._report_failed_attempt(details, error)
                raise

        retrying = Retrying(
            sleep=self._pause,
            stop=stop_after_delay(self.policy.retry_budget_seconds),
            wait=_pauses(self.policy),
            retry=retry_if_exception(self._should_retry),
        )
        try:
            result: T_co = retrying(attempt_and_report)
        except RetryError as exhausted:
            last_error = exhausted.last_attempt.exception()
            attempts = exhausted.last_attempt.attempt_number
            raise self._give_up(details, attempts, last_error) from last_error
        return result

    def _should_retry(self, error: BaseException) -> bool:
        interrupted = self._interrupt is not None and self._interrupt.is_interrupted()
        return not interrupted and self.inner.is_transient(error)

    def _pause(self, seconds: float) -> None:
        # Sleep in slices, so that an interruption ends the pause early.
        deadline = primitives.monotonic() + seconds
        while self._interrupt is None or not self._interrupt.is_interrupted():
            remaining = deadline - primitives.monotonic()
            if remaining <= 0:
                return
            primitives.sleep(min(remaining, _INTERRUPT_POLL_SECONDS))

    def _report_failed_attempt(
        self, details: _CallDetails, error: BaseException
    ) -> None:
        logger.warning(
            "%s on queue %s failed (%s: %s); retrying",
            details.operation,
            details.queue.queue_name,
            type(error).__name__,
            error,
        )
        self._emit(EventOperation.RETRY_ATTEMPT, details, error)

    def _give_up(
        self, details: _CallDetails, attempts: int, last_error: BaseException | None
    ) -> RetryBudgetExhaustedError:
        logger.warning(
            "%s on queue %s failed %d times within the %d s retry budget; giving up",
            details.operation,
            details.queue.queue_name,
            attempts,
            self.policy.retry_budget_seconds,
        )
        self._emit(EventOperation.RETRY_EXHAUSTED, details, last_error)
        error: RetryBudgetExhaustedError = RetryBudgetExhaustedError(
            f"{details.operation} on queue {details.queue.queue_name!r} failed "
            f"{attempts} times within the {self.policy.retry_budget_seconds} s "
            f"retry budget; last error: {last_error!r}",
            queue=details.queue.queue_name,
            message_id=details.message_id,
            operation=details.operation,
        )
        return error

    def _emit(
        self,
        operation: EventOperation,
        details: _CallDetails,
        error: BaseException | None,
    ) -> None:
        if self._emitter is None:
            return
        self._emitter.emit(
            operation,
            EventOutcome.FAILURE,
            error=error,
            lease_token=details.lease_token,
            message_id=details.message_id,
            claim_id=details.claim_id,
        )

    def _emit_recovered(self, queue: QueueKeyManager, claim_id: str) -> None:
        logger.info("released unresolved claim %s on %s", claim_id, queue.queue_name)
        if self._emitter is not None:
            self._emitter.emit(
                EventOperation.CLAIM_RECLAIM, EventOutcome.SUCCESS, claim_id=claim_id
            )


class _Either(BaseGracefulInterruptHandler):
    """Interrupted as soon as one of two handlers is."""

    def __init__(
        self, first: BaseGracefulInterruptHandler, second: BaseGracefulInterruptHandler
    ) -> None:
        self._first = first
        self._second = second

    def is_interrupted(self) -> bool:
        """Whether either handler reports an interruption."""
        return self._first.is_interrupted() or self._second.is_interrupted()


def _pauses(policy: RetryPolicy) -> wait_exponential_jitter:
    # Newer tenacity calls the first pause ``multiplier`` and warns about the old
    # name ``initial``; older releases know only ``initial``. Same meaning.
    first = policy.retry_initial_delay_seconds
    named = {"multiplier": first} if _JITTER_TAKES_MULTIPLIER else {"initial": first}
    return wait_exponential_jitter(
        exp_base=RETRY_EXPONENT_BASE,
        max=policy.retry_max_delay_seconds,
        jitter=RETRY_JITTER_SECONDS,
        **named,
    )


def _first_id(publications: Sequence[Publication]) -> str | None:
    # Events name one message; a batch is named by its first.
    return decode(publications[0].stored).message_id if publications else None
