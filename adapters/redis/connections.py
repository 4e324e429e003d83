"""Which client objects a queue accepts, and the backend that drives each.

A queue shares its client across threads and, after a fork, must not share a socket
with its parent. So pipelines, Sentinel managers and single-connection clients are
refused with a message that says what to pass instead. Cluster clients get the
cluster backend, which routes each queue to the primary that owns its hash slot.
"""

from __future__ import annotations

import redis
import redis.asyncio
import redis.asyncio.client
import redis.asyncio.cluster
import redis.client
import redis.cluster
import redis.sentinel
import valkey
import valkey.asyncio
import valkey.asyncio.client
import valkey.asyncio.cluster
import valkey.client
import valkey.cluster
import valkey.sentinel

from redis_message_queue.adapters.redis._async.backend import AsyncRedisBackend
from redis_message_queue.adapters.redis._async.cluster_backend import (
    AsyncRedisClusterBackend,
)
from redis_message_queue.adapters.redis._sync.backend import SyncRedisBackend
from redis_message_queue.adapters.redis._sync.cluster_backend import (
    SyncRedisClusterBackend,
)

_SYNC_CLIENTS = (redis.Redis, valkey.Valkey)
_ASYNC_CLIENTS = (redis.asyncio.Redis, valkey.asyncio.Valkey)
_SYNC_CLUSTERS = (redis.cluster.RedisCluster, valkey.cluster.ValkeyCluster)
_ASYNC_CLUSTERS = (
    redis.asyncio.cluster.RedisCluster,
    valkey.asyncio.cluster.ValkeyCluster,
)
# Checked first: a sync cluster pipeline is also a cluster client.
_PIPELINES = (
    redis.client.Pipeline,
    redis.asyncio.client.Pipeline,
    redis.cluster.ClusterPipeline,
    redis.asyncio.cluster.ClusterPipeline,
    valkey.client.Pipeline,
    valkey.asyncio.client.Pipeline,
    valkey.cluster.ClusterPipeline,
    valkey.asyncio.cluster.ClusterPipeline,
)
_SENTINELS = (
    redis.sentinel.Sentinel,
    redis.asyncio.Sentinel,
    valkey.sentinel.Sentinel,
    valkey.asyncio.Sentinel,
)


def sync_backend_for_client(client: object) -> SyncRedisBackend:
    """The backend for a sync client: single-node or cluster.

    Raises:
        TypeError: ``client`` is not a usable sync Redis or Valkey client.
    """
    _refuse_unusable(client)
    if isinstance(client, _ASYNC_CLIENTS + _ASYNC_CLUSTERS):
        raise TypeError(
            "the sync queue needs a sync client (redis.Redis, valkey.Valkey, "
            "redis.RedisCluster or valkey.cluster.ValkeyCluster); use "
            "redis_message_queue.asyncio for an asyncio client"
        )
    if isinstance(client, _SYNC_CLUSTERS):
        return SyncRedisClusterBackend(client)
    if not isinstance(client, _SYNC_CLIENTS):
        raise TypeError(
            "'client' must be a redis.Redis, valkey.Valkey, redis.RedisCluster or "
            f"valkey.cluster.ValkeyCluster, got {type(client).__name__}"
        )
    _refuse_single_connection(client)
    return SyncRedisBackend(client)


def async_backend_for_client(client: object) -> AsyncRedisBackend:
    """The backend for an asyncio client: single-node or cluster.

    Raises:
        TypeError: ``client`` is not a usable asyncio Redis or Valkey client.
    """
    _refuse_unusable(client)
    if isinstance(client, _SYNC_CLIENTS + _SYNC_CLUSTERS):
        raise TypeError(
            "the asyncio queue needs an asyncio client (redis.asyncio.Redis, "
            "valkey.asyncio.Valkey, redis.asyncio.RedisCluster or "
            "valkey.asyncio.cluster.ValkeyCluster); use redis_message_queue for a "
            "sync client"
        )
    if isinstance(client, _ASYNC_CLUSTERS):
        return AsyncRedisClusterBackend(client)
    if not isinstance(client, _ASYNC_CLIENTS):
        raise TypeError(
            "'client' must be a redis.asyncio.Redis, valkey.asyncio.Valkey, "
            "redis.asyncio.RedisCluster or valkey.asyncio.cluster.ValkeyCluster, "
            f"got {type(client).__name__}"
        )
    _refuse_single_connection(client)
    return AsyncRedisBackend(client)


def _refuse_unusable(client: object) -> None:
    if isinstance(client, _PIPELINES):
        raise TypeError(
            "'client' is a pipeline; pass the client the pipeline came from"
        )
    if isinstance(client, _SENTINELS):
        raise TypeError(
            "'client' is a Sentinel manager; pass sentinel.master_for(name) instead"
        )


def _refuse_single_connection(client: object) -> None:
    # A client built with single_connection_client=True pins one socket; sharing it
    # across threads or a fork interleaves replies.
    pinned = getattr(client, "single_connection_client", False) is True
    if pinned or getattr(client, "connection", None) is not None:
        raise TypeError(
            "'client' was built with single_connection_client=True; a queue needs a "
            "client with a connection pool"
        )
