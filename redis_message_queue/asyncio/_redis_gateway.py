"""Import path of the asyncio ``RedisGateway``, kept from 6.0.0."""

from redis_message_queue._async.redis_gateway import RedisGateway

__all__ = ["RedisGateway"]
