"""Import path of the asyncio gateway interface, kept from 6.0.0."""

from redis_message_queue.adapters.gateway._async.interface import AbstractRedisGateway

__all__ = ["AbstractRedisGateway"]
