"""Lanes for runs on a cluster: a default-mode queue and a durable one, side by
side under one hash tag, so that one primary serves both and one failover or slot
migration hits both at the same moment.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

import redis
import valkey.cluster

import redis_message_queue
from redis_message_queue.adapters.redis import SyncRedisClusterBackend
from redis_message_queue.local_cluster import LocalCluster
from tests.support.ledger import Ledger
from tests.support.workload import Lane, QueueEvents

LEASE_SECONDS = 5
"""Longer than a failover, so that leases do not expire during one."""

REPLICA_ACK_TIMEOUT_MS = 500
"""How long a durable write waits for its replica before it is retried."""


def cluster_client(cluster: LocalCluster) -> Any:
    """A sync cluster client of the server's own library that knows every node
    (the first one may be the one that dies).
    """
    addresses = cluster.startup_nodes
    if cluster.flavour == "redis":
        nodes = [
            redis.cluster.ClusterNode(host, port)  # type: ignore[no-untyped-call]
            for host, port in addresses
        ]
        return redis.RedisCluster(startup_nodes=nodes)
    valkey_nodes = [
        valkey.cluster.ClusterNode(host, port)  # type: ignore[no-untyped-call]
        for host, port in addresses
    ]
    return valkey.cluster.ValkeyCluster(startup_nodes=valkey_nodes)


def default_and_durable_lanes(
    client: Any, scenario: str, flavour: str
) -> tuple[Lane, Lane]:
    """A default-mode lane and a durable lane on two queues of one hash tag."""
    tag = f"{{ledger-{uuid.uuid4().hex[:8]}}}"
    default = _lane(client, f"{tag}.default", f"{scenario}, default mode, {flavour}")
    durable = _lane(
        client,
        f"{tag}.durable",
        f"{scenario}, durable mode, {flavour}",
        backend=SyncRedisClusterBackend(
            client,
            min_replicas_acknowledging=1,
            replica_ack_timeout_ms=REPLICA_ACK_TIMEOUT_MS,
        ),
    )
    return default, durable


def _lane(
    client: Any,
    name: str,
    scenario: str,
    backend: SyncRedisClusterBackend | None = None,
) -> Lane:
    events = QueueEvents()
    queue = redis_message_queue.RedisMessageQueue(
        name,
        client=None if backend is not None else client,
        backend=backend,
        visibility_timeout_seconds=LEASE_SECONDS,
        max_delivery_count=2,
        message_wait_interval_seconds=0.2,
        on_event=events,
    )
    read_processing = functools.partial(client.hvals, queue.key.processing)
    return Lane(queue, Ledger(scenario), events, read_processing)
