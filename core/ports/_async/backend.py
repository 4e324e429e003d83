"""The backend port: what a storage adapter must do for a queue.

Every method works on one queue, named by its :class:`QueueKeyManager`. A method is
atomic: either all of its effect happens or none does, even with many clients. A
backend may raise its own transport errors; the runtime treats any exception as
"the outcome is unknown".
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

from redis_message_queue.core.envelope import MessageData
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports.types import (
    Capability,
    ClaimOptions,
    ClaimResult,
    Publication,
    PublishOptions,
    PublishResult,
    QueueDepths,
    Settlement,
)


class AsyncBackend(abc.ABC):
    """Storage for queues. Subclass it and implement the abstract methods."""

    capabilities: frozenset[Capability] = frozenset()
    """The optional abilities this backend has."""

    decode_responses: bool = False
    """Whether stored values come back as ``str`` (True) or ``bytes`` (False)."""

    @abc.abstractmethod
    async def publish(
        self,
        queue: QueueKeyManager,
        publications: Sequence[Publication],
        options: PublishOptions,
    ) -> PublishResult:
        """Push messages onto ``pending``, skipping those with a live dedup marker.

        Pre: ``publications`` is non-empty; each ``stored`` is a fresh envelope.
        Post: for each publication, in order, a dedup marker (if given) is created
        with ``options.dedup_ttl_seconds`` and the message is pushed at the new end
        of ``pending``, or, when its marker already existed, nothing happens for it.
        Duplicates within one call: the first one wins.
        A marker holds its publication's envelope id
        (:func:`~redis_message_queue.core.replay.marker_value`). Repeating a call
        whose reply was lost: a publication whose marker already holds its own id
        was enqueued by the earlier run, so it is reported enqueued and not pushed
        again (publications without a marker cannot be told apart and are pushed
        again).
        Atomicity: the whole call is one step. If the cap refuses, nothing is
        written; with ``DROP_OLDEST`` the oldest pending elements are removed first
        and returned in ``dropped``.

        Raises:
            QueueBackpressureError: ``pending`` plus the new messages would exceed
                ``options.max_pending_length`` and the policy refuses.
        """

    @abc.abstractmethod
    async def claim(
        self,
        queue: QueueKeyManager,
        options: ClaimOptions,
        *,
        claim_id: str | None = None,
    ) -> ClaimResult:
        """Take back expired leases, then take the oldest pending messages.

        Post: first, up to ``options.reclaim_limit`` messages whose lease deadline
        has passed leave ``processing`` and go back to the claim end of ``pending``
        (earliest deadline claimed first). Then up to ``options.max_messages``
        messages are taken from the old end of ``pending``; each one's delivery
        count goes up by one; one whose count exceeds ``max_delivery_count`` has
        its payload pushed onto the dead-letter list and is not delivered (the
        claim goes on with the next). The i-th delivered message gets the lease
        token ``lease_tokens(claim_id, max_messages)[i]``
        (:func:`~redis_message_queue.core.replay.lease_tokens`; a fresh claim id
        when ``claim_id`` is None) and, with ``lease_ms``, a deadline of now +
        ``lease_ms``. Never blocks. Returns an empty ``claims`` when nothing is
        pending.
        Repeating a call whose reply was lost (same ``claim_id``): if any of the
        claim id's tokens still holds a message, nothing is taken back or claimed;
        the messages those tokens hold are returned, in token order, with their
        delivery counts unchanged and (with ``lease_ms``) their deadlines moved to
        now + ``lease_ms``; ``reclaimed`` and ``dead_lettered`` are empty.
        Atomicity: one step; no message is ever outside every list.
        """

    @abc.abstractmethod
    async def settle(self, queue: QueueKeyManager, settlement: Settlement) -> bool:
        """End a delivery: acknowledge or fail the claimed message.

        Post: if ``settlement.lease_token`` still holds the message, the message
        leaves ``processing``, its lease and delivery count are forgotten, and its
        payload is pushed onto ``history_key`` (trimmed to ``history_limit``) when
        given; returns True. With ``record_seconds``, a success also leaves the
        record :meth:`QueueKeyManager.settled` for that long. If the token no
        longer holds the message, nothing changes: it returns True when that
        record exists (an earlier run of this settle succeeded and its reply was
        lost), else False (the lease expired and the message was taken back).
        Atomicity: one step.
        """

    @abc.abstractmethod
    async def renew(
        self,
        queue: QueueKeyManager,
        stored: MessageData,
        lease_token: str,
        lease_ms: int,
    ) -> bool:
        """Extend a lease to now + ``lease_ms``.

        Post: True if ``lease_token`` still holds the message and its deadline moved;
        False, with nothing changed, otherwise.
        """

    @abc.abstractmethod
    async def depths(self, queue: QueueKeyManager) -> QueueDepths:
        """Count the entries in each part of the queue, as one consistent snapshot."""

    @abc.abstractmethod
    async def peek(
        self,
        queue: QueueKeyManager,
        key: str,
        count: int,
        *,
        oldest_first: bool = False,
    ) -> tuple[MessageData, ...]:
        """Read, without changing anything, up to ``count`` entries of a list.

        Pre: ``key`` is one of the queue's lists (pending, completed, failed,
        dead-letter). Post: the newest entries, newest first; with
        ``oldest_first`` the oldest entries, oldest first (for ``pending``: the
        next messages a claim takes, in order). A count below 1 returns nothing.
        """

    @abc.abstractmethod
    async def release(self, queue: QueueKeyManager, lease_tokens: Sequence[str]) -> int:
        """Give claimed messages back as if they had never been claimed.

        Post: each message still held by one of ``lease_tokens`` leaves
        ``processing`` for the claim end of ``pending`` (it is the next to be
        claimed), loses its lease, and its delivery count goes down by one; tokens
        that hold nothing are skipped. Atomicity: one step.

        Returns:
            How many messages were put back.
        """

    @abc.abstractmethod
    async def purge(self, queue: QueueKeyManager, key: str) -> int:
        """Remove every entry of one list of the queue.

        Pre: ``key`` is the queue's pending, completed, failed or dead-letter list
        (never processing: its messages belong to running handlers).
        Post: the list is empty; for ``pending``, the delivery counts of the
        removed messages are forgotten too. Dedup markers stay. Atomicity: one step.

        Returns:
            How many entries were removed.
        """

    @abc.abstractmethod
    async def redrive(self, queue: QueueKeyManager, message_ids: Sequence[str]) -> int:
        """Move the oldest dead letters back to ``pending`` with a fresh budget.

        Post: up to ``len(message_ids)`` payloads leave the dead-letter list,
        oldest first, and are published again in fresh envelopes with those ids
        (so their delivery counts start from zero). Atomicity: one step.

        Returns:
            How many messages were moved.
        """

    @abc.abstractmethod
    async def forget_markers(
        self, queue: QueueKeyManager, markers: Sequence[tuple[str, str]]
    ) -> int:
        """Delete dedup markers that still belong to given messages.

        Post: for each ``(marker key, envelope id)``, the marker is deleted when it
        holds that id; a marker set again by a later publish is kept.

        Returns:
            How many markers were deleted.
        """

    async def wait_for_messages(
        self, queue: QueueKeyManager, timeout_seconds: float
    ) -> bool:
        """Wait until ``pending`` may hold a message, at most ``timeout_seconds``.

        Spurious wake-ups are allowed; the caller claims and waits again. A
        backend without :attr:`Capability.BLOCKING_WAIT` returns False at once and
        the runtime paces its polling itself.

        Returns:
            True if the wait ended because a message may be there.
        """
        del queue, timeout_seconds
        return False

    async def close(self) -> None:
        """Release what the backend holds open. The default holds nothing."""
        return

    def is_transient(self, error: BaseException) -> bool:
        """Whether ``error`` may pass if the same call is made again.

        A runtime retries calls that failed with a transient error (a dropped
        connection, a timeout, a failover in progress); the port's repeat rules
        make that safe even when the failed call ran. The default knows no
        transient errors, so nothing is retried.
        """
        del error
        return False
