"""Import path of the exceptions, kept from 6.0.0."""

from redis_message_queue.adapters.redis.errors import (
    CleanupFailedError,
    LuaScriptError,
    ReplicationTimeoutError,
    RetryBudgetExhaustedError,
)
from redis_message_queue.core.errors import (
    ConfigurationError,
    GatewayContractError,
    LifecycleError,
    PayloadTooDeepError,
    PayloadTooLargeError,
    QueueBackpressureError,
    QueueDrainedError,
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
    "QueueDrainedError",
    "RedisMessageQueueError",
    "ReplicationTimeoutError",
    "RetryBudgetExhaustedError",
]
