# Generated from the asyncio source by tools/unasync_sources.py; do not edit.
"""The backend for Redis Cluster and Valkey Cluster, driven by a cluster client.

The scripts get every key they touch in KEYS, and the queue checks that all its keys
share one hash slot, so the client sends each call to the primary that owns the
queue's slot: one round trip per operation, as on a single server. Only the counts
differ: a cluster pipeline cannot always wrap them in MULTI/EXEC (valkey-py and
older redis-py refuse), so a read-only script takes them as one snapshot.

In durable mode each write goes straight to the slot's primary as one pipeline
with its ``WAIT`` (see ``replica_waits``): the cluster client would follow a
redirection with the write alone, on another connection, and the ``WAIT`` would
then count nothing. A redirection or a lost primary is reported as a transient
error after the client has been made to look up the slot's owner again.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from redis_message_queue.adapters.redis import script_calls
from redis_message_queue.adapters.redis._sync.backend import SyncRedisBackend
from redis_message_queue.adapters.redis._sync.primitives import run_on_slot_owner
from redis_message_queue.adapters.redis.errors import (
    is_redirect,
    is_transient,
    slot_moved_error,
)
from redis_message_queue.adapters.redis.replica_waits import Command
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports.types import Capability, QueueDepths

logger = logging.getLogger(__name__)


class SyncRedisClusterBackend(SyncRedisBackend):
    """Keeps queues on a Redis Cluster or Valkey Cluster (7.0 or newer).

    Each queue lives on the primary that owns its hash slot; every key of a queue
    must hash to that slot (see ``core.hash_slots``).

    Args:
        client: A redis-py ``RedisCluster`` or valkey-py ``ValkeyCluster`` of the
            backend's flavour. The backend borrows it and never closes it.
    """

    capabilities = SyncRedisBackend.capabilities | {Capability.CLUSTER_ROUTING}

    def depths(self, queue: QueueKeyManager) -> QueueDepths:
        """Count each part of the queue in one round trip, as one snapshot.

        Raises:
            LuaScriptError: A key of the queue holds a value of another type.
        """
        call = script_calls.depths_call(queue)
        reply = self._run(self._scripts.depths, call, queue, "depths")
        return script_calls.depths_result(reply)

    def _check_server(self, queue: QueueKeyManager) -> None:
        """Nothing to check: the client read the cluster's slots when it was built."""
        del queue

    def _round_trip(
        self, queue: QueueKeyManager, commands: Sequence[Command]
    ) -> list[Any]:
        """Send ``commands`` in one pipeline to the primary of the queue's slot.

        Raises:
            redis.exceptions.TryAgainError: The node redirected the call (the slot
                moved or is moving).
            redis.exceptions.ConnectionError: The primary is unreachable (or the
                valkey-py error of that name).
        """
        try:
            replies = run_on_slot_owner(self._client, queue.pending, commands)
        except Exception as exc:
            if is_transient(exc):
                self._look_up_owner(queue)
            raise

        redirect = next((reply for reply in replies if is_redirect(reply)), None)
        if redirect is not None:
            logger.debug(
                "durable call on %s redirected: %s", queue.queue_name, redirect
            )
            self._look_up_owner(queue)
            raise slot_moved_error(queue, "durable write", redirect) from redirect
        return replies

    def _look_up_owner(self, queue: QueueKeyManager) -> None:
        """Make the cluster client learn where the queue's slot lives now.

        A keyed read through the client follows ``MOVED`` (and re-reads the
        cluster's layout after a lost connection), which updates its slot map;
        the next durable call then goes to the new owner. Its failure changes
        nothing: the caller's error is the one reported.
        """
        with contextlib.suppress(Exception):
            self._client.execute_command("EXISTS", queue.pending)
