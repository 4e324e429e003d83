"""The exception hierarchy rooted at :class:`RedisMessageQueueError`.

Errors that must also be redis-py exceptions (script errors, exhausted retries, failed
cleanup) live in the Redis adapter, which may import redis; they share this root.
"""

from __future__ import annotations


class RedisMessageQueueError(Exception):
    """Root of every error this library raises on purpose.

    Attributes:
        queue: The queue name the failing call worked on, when known.
        message_id: The envelope id of the message involved, when known.
        operation: What the library was doing, for example ``"publish"``.
    """

    def __init__(
        self,
        *args: object,
        queue: str | None = None,
        message_id: str | None = None,
        operation: str | None = None,
    ) -> None:
        super().__init__(*args)
        self.queue = queue
        self.message_id = message_id
        self.operation = operation


class ConfigurationError(RedisMessageQueueError, ValueError):
    """A parameter has a wrong value, or parameters do not fit together."""


class GatewayContractError(RedisMessageQueueError, TypeError):
    """A gateway or backend returned something its contract does not allow."""


class QueueBackpressureError(RedisMessageQueueError):
    """The pending list is at ``max_pending_length`` and the policy refused."""


class QueueDrainedError(RedisMessageQueueError):
    """The queue was drained; it publishes no more messages."""


class PayloadTooLargeError(RedisMessageQueueError, ValueError):
    """A published payload is larger than ``max_payload_bytes``."""


class PayloadTooDeepError(RedisMessageQueueError, ValueError):
    """A published dict nests deeper than ``max_payload_depth``."""


class LifecycleError(RedisMessageQueueError):
    """A message was asked to make a move its current state does not allow."""
