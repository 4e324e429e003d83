"""Reliable message queues on Redis-protocol servers.

Publish with deduplication, consume under leases that bring crashed work back, and
route poison messages to a dead-letter list. ``redis_message_queue.asyncio`` holds the
asyncio flavour with the same names.
"""

from redis_message_queue._exceptions import (
    CleanupFailedError,
    ConfigurationError,
    GatewayContractError,
    LuaScriptError,
    QueueBackpressureError,
    RedisMessageQueueError,
    RetryBudgetExhaustedError,
)
from redis_message_queue._sync.redis_message_queue import RedisMessageQueue
from redis_message_queue.core.envelope import MessageData
from redis_message_queue.core.events import EventOperation, EventOutcome, QueueEvent

__all__ = [
    "CleanupFailedError",
    "ConfigurationError",
    "EventOperation",
    "EventOutcome",
    "GatewayContractError",
    "LuaScriptError",
    "MessageData",
    "QueueBackpressureError",
    "QueueEvent",
    "RedisMessageQueue",
    "RedisMessageQueueError",
    "RetryBudgetExhaustedError",
]
