"""The backend for Redis and Valkey servers, sync and asyncio.

Both redis-py and valkey-py clients work, single-node and cluster. The Lua scripts
in ``scripts/`` do every multi-key step on the server in one round trip.
"""

from redis_message_queue.adapters.redis._async.backend import AsyncRedisBackend
from redis_message_queue.adapters.redis._async.cluster_backend import (
    AsyncRedisClusterBackend,
)
from redis_message_queue.adapters.redis._sync.backend import SyncRedisBackend
from redis_message_queue.adapters.redis._sync.cluster_backend import (
    SyncRedisClusterBackend,
)
from redis_message_queue.adapters.redis.errors import (
    LuaScriptError,
    RetryBudgetExhaustedError,
)

__all__ = [
    "AsyncRedisBackend",
    "AsyncRedisClusterBackend",
    "LuaScriptError",
    "RetryBudgetExhaustedError",
    "SyncRedisBackend",
    "SyncRedisClusterBackend",
]
