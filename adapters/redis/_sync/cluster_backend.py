# Generated from the asyncio source by tools/unasync_sources.py; do not edit.
"""The backend for Redis Cluster and Valkey Cluster, driven by a cluster client.

The scripts get every key they touch in KEYS, and the queue checks that all its keys
share one hash slot, so the client sends each call to the primary that owns the
queue's slot: one round trip per operation, as on a single server. Only the counts
differ: a cluster pipeline cannot always wrap them in MULTI/EXEC (valkey-py and
older redis-py refuse), so a read-only script takes them as one snapshot.
"""

from __future__ import annotations

from redis_message_queue.adapters.redis import script_calls
from redis_message_queue.adapters.redis._sync.backend import SyncRedisBackend
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports.types import Capability, QueueDepths


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
