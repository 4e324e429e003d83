"""Import path of the sync queue, kept from 6.0.0."""

from redis_message_queue._sync.redis_message_queue import RedisMessageQueue

__all__ = ["RedisMessageQueue"]
