"""Reliable message queues on Redis-protocol servers.

Publish with deduplication, consume under leases that bring crashed work back, and
route poison messages to a dead-letter list. ``redis_message_queue.asyncio`` holds the
asyncio flavour with the same names.
"""

from redis_message_queue._abstract_redis_gateway import AbstractRedisGateway
from redis_message_queue._exceptions import (
    CleanupFailedError,
    ConfigurationError,
    GatewayContractError,
    LuaScriptError,
    PayloadTooDeepError,
    PayloadTooLargeError,
    QueueBackpressureError,
    QueueDrainedError,
    RedisMessageQueueError,
    ReplicationTimeoutError,
    RetryBudgetExhaustedError,
)
from redis_message_queue._redis_gateway import RedisGateway
from redis_message_queue._stored_message import ClaimedMessage, MessageData
from redis_message_queue._sync.redis_message_queue import RedisMessageQueue
from redis_message_queue.core.events import EventOperation, EventOutcome, QueueEvent
from redis_message_queue.interrupt_handler import (
    BaseGracefulInterruptHandler,
    EventDrivenInterruptHandler,
    GracefulInterruptHandler,
)

# The 17 names of 6.0.0, then five later additions: EventDrivenInterruptHandler,
# PayloadTooLargeError, PayloadTooDeepError, QueueDrainedError and
# ReplicationTimeoutError.
__all__ = [
    "AbstractRedisGateway",
    "BaseGracefulInterruptHandler",
    "ClaimedMessage",
    "CleanupFailedError",
    "ConfigurationError",
    "EventDrivenInterruptHandler",
    "EventOperation",
    "EventOutcome",
    "GatewayContractError",
    "GracefulInterruptHandler",
    "LuaScriptError",
    "MessageData",
    "PayloadTooDeepError",
    "PayloadTooLargeError",
    "QueueBackpressureError",
    "QueueDrainedError",
    "QueueEvent",
    "RedisGateway",
    "RedisMessageQueue",
    "RedisMessageQueueError",
    "ReplicationTimeoutError",
    "RetryBudgetExhaustedError",
]
