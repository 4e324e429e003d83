"""Failovers and slot migrations on a :class:`LocalCluster`, as an operator runs them.

Each move uses plain cluster commands on the nodes (``CLUSTER NODES``, ``SETSLOT``,
``MIGRATE``), so it works the same on Redis and Valkey, and reports how long its
steps took.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs
import redis

from redis_message_queue.core.hash_slots import key_slot
from redis_message_queue.local_cluster import LocalCluster
from redis_message_queue.local_server import LocalServer

_TIMEOUT_SECONDS = 30.0
_POLL_SECONDS = 0.05
_MIGRATE_BATCH = 1000
_MIGRATE_TIMEOUT_MS = 10_000


@attrs.frozen
class NodeLine:
    """One line of ``CLUSTER NODES``."""

    node_id: str
    port: int
    flags: frozenset[str]
    primary_id: str
    slots: tuple[tuple[int, int], ...]

    def serves(self, slot: int) -> bool:
        """Whether this node owns ``slot``."""
        return any(first <= slot <= last for first, last in self.slots)


@contextmanager
def admin(node: LocalServer) -> Iterator[redis.Redis]:
    """A plain client of one node (str replies)."""
    client = redis.Redis(
        host=node.host, port=node.port, decode_responses=True, socket_timeout=5
    )
    try:
        yield client
    finally:
        client.close()


def command(node: LocalServer, *arguments: object) -> Any:
    """Send one command to one node and return its reply."""
    with admin(node) as client:
        return client.execute_command(*arguments)  # type: ignore[no-untyped-call]


def node_lines(node: LocalServer) -> list[NodeLine]:
    """The cluster as ``node`` sees it."""
    lines = []
    for text in str(command(node, "CLUSTER", "NODES")).splitlines():
        fields = text.split()
        if not fields:
            continue
        port = int(fields[1].split("@")[0].rsplit(":", 1)[1] or 0)
        slots = tuple(_slot_range(field) for field in fields[8:] if "[" not in field)
        lines.append(
            NodeLine(fields[0], port, frozenset(fields[2].split(",")), fields[3], slots)
        )
    return lines


def _slot_range(field: str) -> tuple[int, int]:
    first, _, last = field.partition("-")
    return int(first), int(last or first)


def live_nodes(cluster: LocalCluster) -> list[LocalServer]:
    """The nodes whose process answers."""
    return [node for node in cluster.nodes if node.ping()]


def owner_of(cluster: LocalCluster, key: str) -> LocalServer:
    """The primary that serves ``key``'s slot, as a live node sees it."""
    slot = key_slot(key)
    for line in node_lines(live_nodes(cluster)[0]):
        if "master" in line.flags and "fail" not in line.flags and line.serves(slot):
            return _server(cluster, line.port)
    raise AssertionError(f"no live primary serves slot {slot}")


def replica_of(cluster: LocalCluster, primary: LocalServer) -> LocalServer:
    """A replica of ``primary``."""
    lines = node_lines(primary)
    primary_id = next(line.node_id for line in lines if "myself" in line.flags)
    for line in lines:
        if line.primary_id == primary_id:
            return _server(cluster, line.port)
    raise AssertionError(f"node {primary.port} has no replica")


def allow_any_replica_to_fail_over(cluster: LocalCluster) -> None:
    """``cluster-replica-validity-factor 0``: a replica always takes over."""
    for node in cluster.nodes:
        command(node, "CONFIG", "SET", "cluster-replica-validity-factor", "0")


def kill_owner(cluster: LocalCluster, key: str) -> dict[str, float]:
    """SIGKILL the primary of ``key``'s slot, wait for its replica to take over,
    then start the killed node again: it comes back empty and joins as a replica.

    Returns:
        ``killed_at`` (monotonic), ``promoted_after`` and ``rejoined_after``
        (seconds after the kill).
    """
    owner = owner_of(cluster, key)
    replica = replica_of(cluster, owner)

    killed_at = time.monotonic()
    owner.kill()
    wait_until(lambda: _role(replica) == "master", "the replica's promotion")
    wait_until(lambda: cluster_ok(cluster), "cluster_state:ok after the failover")
    promoted_after = time.monotonic() - killed_at

    owner.start()
    wait_until(lambda: _linked_to(owner, replica), "the old primary's return")
    return {
        "killed_at": killed_at,
        "promoted_after": promoted_after,
        "rejoined_after": time.monotonic() - killed_at,
    }


def migrate_slot_of(cluster: LocalCluster, key: str) -> dict[str, float]:
    """Move ``key``'s slot to another primary, keys and all, while clients run.

    The classic sequence: ``SETSLOT IMPORTING`` on the target, ``MIGRATING`` on
    the source, ``MIGRATE`` of the slot's keys in batches, then ``SETSLOT NODE``
    on the target, the source and every other node.

    Returns:
        ``started_at`` (monotonic), ``migrated_after`` (seconds), ``keys`` (how
        many moved), ``source`` and ``target`` (ports).
    """
    slot = key_slot(key)
    source = owner_of(cluster, key)
    target = next(node for node in cluster.primaries if node is not source)
    source_id, target_id = _my_id(source), _my_id(target)

    started_at = time.monotonic()
    command(target, "CLUSTER", "SETSLOT", slot, "IMPORTING", source_id)
    command(source, "CLUSTER", "SETSLOT", slot, "MIGRATING", target_id)
    moved = 0
    while keys := command(source, "CLUSTER", "GETKEYSINSLOT", slot, _MIGRATE_BATCH):
        command(
            source, "MIGRATE", target.host, target.port, "", 0,
            _MIGRATE_TIMEOUT_MS, "KEYS", *keys,
        )  # fmt: skip
        moved += len(keys)
    # Replicas refuse SETSLOT; they learn the new owner from their primaries.
    others = [node for node in _primaries(cluster) if node not in (target, source)]
    for node in [target, source, *others]:
        command(node, "CLUSTER", "SETSLOT", slot, "NODE", target_id)
    return {
        "started_at": started_at,
        "migrated_after": time.monotonic() - started_at,
        "keys": float(moved),
        "source": float(source.port),
        "target": float(target.port),
    }


def cluster_ok(cluster: LocalCluster) -> bool:
    """Whether every live node reports ``cluster_state:ok``."""
    for node in live_nodes(cluster):
        if "cluster_state:ok" not in str(command(node, "CLUSTER", "INFO")):
            return False
    return True


def wait_until(done: Callable[[], bool], what: str) -> None:
    """Poll ``done`` until it holds.

    Raises:
        AssertionError: It did not hold within 30 s.
    """
    deadline = time.monotonic() + _TIMEOUT_SECONDS
    while True:
        try:
            if done():
                return
        except redis.RedisError:
            pass  # a node restarting or failing over; ask again
        assert time.monotonic() < deadline, f"no {what} within {_TIMEOUT_SECONDS} s"
        time.sleep(_POLL_SECONDS)


def _primaries(cluster: LocalCluster) -> list[LocalServer]:
    lines = node_lines(live_nodes(cluster)[0])
    ports = {line.port for line in lines if "master" in line.flags}
    return [node for node in live_nodes(cluster) if node.port in ports]


def _server(cluster: LocalCluster, port: int) -> LocalServer:
    return next(node for node in cluster.nodes if node.port == port)


def _my_id(node: LocalServer) -> str:
    return str(command(node, "CLUSTER", "MYID"))


def _role(node: LocalServer) -> str:
    with admin(node) as client:
        return str(client.info("replication")["role"])


def _linked_to(replica: LocalServer, primary: LocalServer) -> bool:
    with admin(replica) as client:
        info = client.info("replication")
    linked = info.get("master_link_status") == "up"
    return linked and int(info.get("master_port", 0)) == primary.port
