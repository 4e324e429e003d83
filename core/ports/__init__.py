"""The ports an adapter implements: one backend interface, sync and asyncio.

The asyncio port in ``_async`` is the source; ``_sync`` is generated from it by
``tools/unasync_sources.py`` and checked in CI, so the two can never drift.
"""

from redis_message_queue.core.ports._async.backend import AsyncBackend
from redis_message_queue.core.ports._sync.backend import SyncBackend
from redis_message_queue.core.ports.types import (
    Capability,
    Claim,
    ClaimOptions,
    ClaimResult,
    Outcome,
    Publication,
    PublishOptions,
    PublishResult,
    QueueDepths,
    Settlement,
)

__all__ = [
    "AsyncBackend",
    "Capability",
    "Claim",
    "ClaimOptions",
    "ClaimResult",
    "Outcome",
    "Publication",
    "PublishOptions",
    "PublishResult",
    "QueueDepths",
    "Settlement",
    "SyncBackend",
]
