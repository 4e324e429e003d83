"""Import path of the asyncio queue, kept from 6.0.0."""

from redis_message_queue._async.redis_message_queue import RedisMessageQueue

__all__ = ["RedisMessageQueue"]
