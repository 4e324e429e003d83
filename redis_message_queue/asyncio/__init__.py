"""The asyncio flavour of the queue: the same names, with async methods."""

from redis_message_queue._async.redis_message_queue import RedisMessageQueue
from redis_message_queue._exceptions import (
    CleanupFailedError,
    ConfigurationError,
    GatewayContractError,
    LuaScriptError,
    QueueBackpressureError,
    RedisMessageQueueError,
    RetryBudgetExhaustedError,
)
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
