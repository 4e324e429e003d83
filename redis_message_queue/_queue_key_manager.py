"""Import path of ``QueueKeyManager``, kept from 6.0.0.

``QueueKeyManager(name, separator).dead_letter`` is ``<name><separator>dlq``, the
list dead letters are actually written to.
"""

from redis_message_queue.core.keys import QueueKeyManager

__all__ = ["QueueKeyManager"]
