# Generated from the asyncio source by tools/unasync_sources.py; do not edit.
"""Publishing under the ``block`` policy: retry a full queue until it has room.

Shared by the queue and ``RedisGateway``. The cap itself is checked on the server in
the same step as the push; only the waiting happens here.
"""

from __future__ import annotations

import random

from redis_message_queue._sync import primitives
from redis_message_queue.core.errors import QueueBackpressureError
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports import (
    Publication,
    PublishOptions,
    PublishResult,
    SyncBackend,
)
from redis_message_queue.core.settings import OverloadPolicy

_BLOCK_FIRST_PAUSE_SECONDS = 0.005
_BLOCK_LONGEST_PAUSE_SECONDS = 0.1


def publish_with_policy(
    backend: SyncBackend,
    keys: QueueKeyManager,
    publication: Publication,
    options: PublishOptions,
    block_timeout_seconds: float,
) -> PublishResult:
    """Publish one message; with ``block``, wait for room up to the timeout.

    Raises:
        QueueBackpressureError: The queue is full and the policy refused, or
            ``block`` waited ``block_timeout_seconds`` in vain.
    """
    if options.overload_policy is not OverloadPolicy.BLOCK:
        return backend.publish(keys, [publication], options)

    deadline = primitives.monotonic() + block_timeout_seconds
    pause = _BLOCK_FIRST_PAUSE_SECONDS
    while True:
        try:
            return backend.publish(keys, [publication], options)
        except QueueBackpressureError:
            remaining = deadline - primitives.monotonic()
            if remaining <= 0:
                raise
        # Jitter keeps blocked producers from retrying in lockstep.
        jittered = pause * random.uniform(0.5, 1.5)  # noqa: S311 - not security
        primitives.sleep(min(remaining, jittered))
        pause = min(pause * 2, _BLOCK_LONGEST_PAUSE_SECONDS)
