"""Counters the workers share with the demo's supervisor, one slot per worker.

The arrays live in shared memory, so a consumer process that is killed leaves its
counts behind for the parent to read. Each slot has a single writer (its worker,
and the supervisor only between two workers), so no lock is needed.
"""

from __future__ import annotations

import ctypes
from multiprocessing.sharedctypes import RawArray
from typing import Any

import attrs

IDLE = 0


def _shared_counters(size: int) -> Any:
    # Any: typeshed types ctypes arrays loosely; each item reads as an int.
    return RawArray(ctypes.c_long, size)


@attrs.frozen
class ConsumerBoard:
    """One slot per live consumer; a replacement takes over its slot.

    Attributes:
        busy: The delivery count of the slow message a consumer is handling, or
            :data:`IDLE` (the supervisor kills consumers only while they are busy).
        redelivered: Deliveries a consumer received with a count above one.
        kill: Set by the supervisor to make a thread consumer crash (a thread
            cannot be killed from outside).
        stop: One flag that tells every consumer to finish. A plain shared word
            rather than an event: a consumer killed while holding an event's lock
            would leave it locked for everyone.
    """

    busy: Any
    redelivered: Any
    kill: Any
    stop: Any

    @classmethod
    def create(cls, slots: int) -> ConsumerBoard:
        """A board with ``slots`` zeroed slots."""
        return cls(
            busy=_shared_counters(slots),
            redelivered=_shared_counters(slots),
            kill=_shared_counters(slots),
            stop=_shared_counters(1),
        )

    @property
    def slots(self) -> int:
        """How many consumers the board holds."""
        return len(self.busy)

    def total_redelivered(self) -> int:
        """Redeliveries seen by every consumer so far, replaced ones included."""
        return int(sum(self.redelivered))

    @property
    def stopping(self) -> bool:
        """Whether consumers have been told to finish."""
        return bool(self.stop[0])

    def tell_stop(self) -> None:
        """Tell every consumer to finish after its current message."""
        self.stop[0] = 1

    def reset(self, slot: int) -> None:
        """Clear what a dead consumer left in ``slot`` before its replacement
        starts (its redelivery count stays: it still happened)."""
        self.busy[slot] = IDLE
        self.kill[slot] = 0


@attrs.frozen
class ProducerBoard:
    """Publish counts per producer, for the progress display.

    Attributes:
        accepted: Publish calls that returned True.
        deduplicated: Publish calls that returned False.
        stop: One flag that tells every producer to give up early.
    """

    accepted: Any
    deduplicated: Any
    stop: Any

    @classmethod
    def create(cls, producers: int) -> ProducerBoard:
        """A board with ``producers`` zeroed slots."""
        return cls(
            accepted=_shared_counters(producers),
            deduplicated=_shared_counters(producers),
            stop=_shared_counters(1),
        )

    @property
    def stopping(self) -> bool:
        """Whether producers have been told to give up."""
        return bool(self.stop[0])

    def tell_stop(self) -> None:
        """Tell every producer to give up after its current publish."""
        self.stop[0] = 1

    def calls(self) -> int:
        """Publish calls made so far by every producer."""
        return int(sum(self.accepted) + sum(self.deduplicated))
