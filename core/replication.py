"""Durable writes: how many replicas must hold a write before a call returns.

A Redis or Valkey primary answers a write before its replicas have it, so a
failover can lose the writes of the last moments (asynchronous replication). A
backend given :class:`ReplicaAcks` follows every write with ``WAIT`` on the same
primary and reports success only once enough replicas hold it. Docs:
``docs/failover.md`` (rules C11-C13).
"""

from __future__ import annotations

import attrs

from redis_message_queue.core.errors import ConfigurationError
from redis_message_queue.core.validation import positive_int, require_int

DEFAULT_REPLICA_ACK_TIMEOUT_MS = 1000
"""How long one write waits for its replicas by default."""


@attrs.frozen
class ReplicaAcks:
    """How many replicas must confirm each write, and how long to wait for them.

    Attributes:
        replicas: Replicas that must hold the write (``WAIT numreplicas``).
        timeout_ms: The longest wait of one call (``WAIT timeout``, never 0: the
            server would wait forever).
    """

    replicas: int
    timeout_ms: int


def replica_acks(
    min_replicas_acknowledging: object, replica_ack_timeout_ms: object
) -> ReplicaAcks | None:
    """Validate the two durable-mode arguments of a backend, once.

    Args:
        min_replicas_acknowledging: 0 turns durable mode off; more asks that many
            replicas to confirm every write.
        replica_ack_timeout_ms: How long a write may wait for them.

    Returns:
        The setting, or None when durable mode is off.

    Raises:
        TypeError: An argument is not an int.
        ConfigurationError: The replica count is negative or the timeout not
            above zero.
    """
    replicas = require_int("min_replicas_acknowledging", min_replicas_acknowledging)
    if replicas < 0:
        raise ConfigurationError(
            f"'min_replicas_acknowledging' must be >= 0, got {replicas}"
        )
    timeout_ms = positive_int("replica_ack_timeout_ms", replica_ack_timeout_ms)
    if replicas == 0:
        return None
    return ReplicaAcks(replicas=replicas, timeout_ms=timeout_ms)
