"""Import path of the sync ``RedisGateway``, kept from 6.0.0."""

from redis_message_queue._sync.redis_gateway import RedisGateway

__all__ = ["RedisGateway"]
