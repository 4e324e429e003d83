"""The asyncio flavour of the queue: the same names, with async methods."""

from redis_message_queue._async.redis_message_queue import RedisMessageQueue
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
from redis_message_queue._stored_message import ClaimedMessage, MessageData
from redis_message_queue.asyncio._abstract_redis_gateway import AbstractRedisGateway
from redis_message_queue.asyncio._redis_gateway import RedisGateway
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
