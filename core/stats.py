"""What ``stats()`` reports about a queue."""

from __future__ import annotations

import attrs

from redis_message_queue.core.ports.types import QueueDepths


@attrs.frozen
class QueueStats:
    """The depth of each part of a queue; ``None`` for a history list that is off.

    Attributes:
        pending: Messages waiting to be claimed.
        processing: Messages claimed and not yet settled.
        completed: Entries in the completed list, or None when it is disabled.
        failed: Entries in the failed list, or None when it is disabled.
        dead_letter: Entries in the dead-letter list.
    """

    pending: int
    processing: int
    completed: int | None
    failed: int | None
    dead_letter: int

    @classmethod
    def from_depths(
        cls, depths: QueueDepths, *, completed_enabled: bool, failed_enabled: bool
    ) -> QueueStats:
        """Build the report from raw depths and which history lists are on."""
        return cls(
            pending=depths.pending,
            processing=depths.processing,
            completed=depths.completed if completed_enabled else None,
            failed=depths.failed if failed_enabled else None,
            dead_letter=depths.dead_letter,
        )
