"""Queues on a gateway: the 6.0.0 extension point, sync and asyncio.

``AbstractRedisGateway`` (in ``_async/interface.py`` and its generated sync twin) is
the interface users implement; :class:`ClaimedMessage` is what a lease-giving
gateway returns; the gateway backends drive any gateway through the backend port,
checking each result. ``RedisGateway``, the gateway on our Redis backend, lives with
the queue runtime (``redis_message_queue/_async/redis_gateway.py``).
"""

from redis_message_queue.adapters.gateway._async.backend import AsyncGatewayBackend
from redis_message_queue.adapters.gateway._sync.backend import SyncGatewayBackend
from redis_message_queue.adapters.gateway.claimed_message import ClaimedMessage

__all__ = ["AsyncGatewayBackend", "ClaimedMessage", "SyncGatewayBackend"]
