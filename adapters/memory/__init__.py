"""An in-memory backend with the exact semantics of the Redis one.

Use it to run a queue in unit tests without a server::

    from redis_message_queue.adapters.memory import MemoryBackend

Backends built on one :class:`MemoryStore` share its queues, as clients of one
server do.
"""

from redis_message_queue.adapters.memory.backend import (
    AsyncMemoryBackend,
    SyncMemoryBackend,
)
from redis_message_queue.adapters.memory.store import MemoryStore

MemoryBackend = SyncMemoryBackend
"""The name to import for tests of synchronous code."""

__all__ = ["AsyncMemoryBackend", "MemoryBackend", "MemoryStore", "SyncMemoryBackend"]
