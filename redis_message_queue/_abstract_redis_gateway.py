"""Import path of the sync gateway interface, kept from 6.0.0."""

from redis_message_queue.adapters.gateway._sync.interface import AbstractRedisGateway

__all__ = ["AbstractRedisGateway"]
