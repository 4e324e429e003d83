"""Import path of the exceptions, kept from 6.0.0."""

from redis_message_queue.adapters.redis.errors import (
    LuaScriptError,
    RetryBudgetExhaustedError,
)
from redis_message_queue.core.errors import (
    CleanupFailedError,
    ConfigurationError,
    GatewayContractError,
    LifecycleError,
    PayloadTooDeepError,
    PayloadTooLargeError,
    QueueBackpressureError,
    RedisMessageQueueError,
)

__all__ = [
    "CleanupFailedError",
    "ConfigurationError",
    "GatewayContractError",
    "LifecycleError",
    "LuaScriptError",
    "PayloadTooDeepError",
    "PayloadTooLargeError",
    "QueueBackpressureError",
    "RedisMessageQueueError",
    "RetryBudgetExhaustedError",
]
