"""The queue every participant of a run builds: one spec, picklable for children."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from redis_message_queue import RedisMessageQueue

# Idle consumers look at their stop signal this often.
WAIT_SECONDS = 0.5


@attrs.frozen
class QueueSpec:
    """How to build the demo's queue.

    History lists keep every entry so the ledger can read the whole run back
    from the server.

    Attributes:
        name: The queue's name, fresh for each run.
        visibility_timeout_seconds: The lease length.
        max_delivery_count: Deliveries before a message is dead-lettered.
    """

    name: str
    visibility_timeout_seconds: int
    max_delivery_count: int

    def build(
        self,
        *,
        client: object = None,
        backend: object = None,
        on_event: Callable[..., Any] | None = None,
    ) -> RedisMessageQueue:
        """A queue on ``client`` or ``backend`` with this spec's settings."""
        return RedisMessageQueue(
            self.name,
            client=client,
            backend=backend,
            enable_completed_queue=True,
            enable_failed_queue=True,
            max_completed_length=None,
            max_failed_length=None,
            visibility_timeout_seconds=self.visibility_timeout_seconds,
            max_delivery_count=self.max_delivery_count,
            message_wait_interval_seconds=WAIT_SECONDS,
            on_event=on_event,
        )
