"""Start a throw-away Redis Cluster on loopback for tests, demos and benchmarks.

Three primaries with one replica each by default, every node a
:class:`~redis_message_queue.local_server.LocalServer` with cluster mode on, its own
port, bus port, directory and ``nodes.conf``. The cluster is formed with plain
commands (``CLUSTER ADDSLOTSRANGE``, ``MEET``, ``REPLICATE``), so no ``*-cli``
binary is needed; stopping it stops exactly its own processes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from types import TracebackType
from typing import Any

import redis

from redis_message_queue.core.hash_slots import SLOT_COUNT
from redis_message_queue.local_server import LocalServer, ServerFlavour, free_port

logger = logging.getLogger(__name__)

_FORM_TIMEOUT_SECONDS = 30.0
_POLL_SECONDS = 0.05
_DEFAULT_NODE_TIMEOUT_MS = 5000


class LocalCluster:
    """A cluster of server processes on 127.0.0.1, formed by :meth:`start`.

    Attributes:
        flavour: The server every node runs.
        host: The address every node listens on.
        nodes: Every node, primaries first.
        primaries: The nodes that serve the slots, in slot order.
        replicas: The nodes that follow them, in the order of their primaries.

    Args:
        flavour: Which server to run on every node.
        primaries: How many primaries share the slots (at least 1).
        replicas_per_primary: How many replicas follow each primary.
        node_timeout_ms: ``cluster-node-timeout``: how long a node may be
            unreachable before the others fail it over.

    Raises:
        ServerNotFoundError: No server binary of ``flavour`` is installed.
        ValueError: ``primaries`` is below 1 or ``replicas_per_primary`` below 0.
    """

    def __init__(
        self,
        flavour: ServerFlavour = "valkey",
        *,
        primaries: int = 3,
        replicas_per_primary: int = 1,
        node_timeout_ms: int = _DEFAULT_NODE_TIMEOUT_MS,
    ) -> None:
        if primaries < 1 or replicas_per_primary < 0:
            raise ValueError("a cluster needs a primary and no negative replicas")
        self.flavour = flavour
        self.host = "127.0.0.1"
        node_count = primaries * (1 + replicas_per_primary)
        # The bus port is chosen too: port + 10000 may be taken or beyond 65535.
        self._bus_ports = [free_port() for _ in range(node_count)]
        self.nodes = [
            LocalServer(
                flavour, extra_arguments=_cluster_arguments(bus_port, node_timeout_ms)
            )
            for bus_port in self._bus_ports
        ]
        self.primaries = self.nodes[:primaries]
        self.replicas = self.nodes[primaries:]

    @property
    def port(self) -> int:
        """The port of the first primary: a startup node for cluster clients."""
        return self.primaries[0].port

    @property
    def url(self) -> str:
        """A ``redis://`` URL of the first primary, for ``RedisCluster.from_url``."""
        return f"redis://{self.host}:{self.port}"

    @property
    def startup_nodes(self) -> list[tuple[str, int]]:
        """``(host, port)`` of every node."""
        return [(node.host, node.port) for node in self.nodes]

    def start(self) -> LocalCluster:
        """Start every node, form the cluster and wait until it serves every slot.

        Returns when every node reports ``cluster_state:ok``, knows every other
        node, and every replica's link to its primary is up.

        Raises:
            RuntimeError: A node did not start, or the cluster did not form in
                time; the message says which step stalled.
        """
        started = time.monotonic()
        try:
            for node in self.nodes:
                node.start()
            with ExitStack() as stack:
                admins = [stack.enter_context(_admin(node)) for node in self.nodes]
                self._form(admins)
        except BaseException:
            self.stop()
            raise
        logger.debug(
            "formed a %s cluster of %d nodes in %.2f s",
            self.flavour,
            len(self.nodes),
            time.monotonic() - started,
        )
        return self

    def stop(self) -> None:
        """Stop every node and remove its directory."""
        for node in self.nodes:
            node.stop()

    def _form(self, admins: Sequence[redis.Redis]) -> None:
        primaries = admins[: len(self.primaries)]
        replicas = admins[len(self.primaries) :]

        # Distinct config epochs up front spare the nodes resolving collisions.
        for epoch, admin in enumerate(admins, start=1):
            _command(admin, "CLUSTER", "SET-CONFIG-EPOCH", epoch)
        ranges = _slot_ranges(len(primaries))
        for admin, (first, last) in zip(primaries, ranges, strict=True):
            _command(admin, "CLUSTER", "ADDSLOTSRANGE", first, last)

        ids = self._meet(admins)
        primary_ids = ids[: len(primaries)]
        for index, replica in enumerate(replicas):
            primary_id = primary_ids[index % len(primary_ids)]
            _command(replica, "CLUSTER", "REPLICATE", primary_id)

        _wait_until(lambda: _all_ok(admins), "cluster_state:ok on every node")
        _wait_until(lambda: _replicas_linked(replicas), "replica link up")
        _wait_until(
            lambda: _all_see_replicas(admins, len(replicas)),
            "replica known to every node",
        )

    def _meet(self, admins: Sequence[redis.Redis]) -> list[str]:
        # Every pair meets directly: gossip alone takes seconds to spread.
        addresses = [
            (node.host, node.port, bus_port)
            for node, bus_port in zip(self.nodes, self._bus_ports, strict=True)
        ]
        for index, admin in enumerate(admins):
            for address in addresses[index + 1 :]:
                _command(admin, "CLUSTER", "MEET", *address)

        ids = [str(_command(admin, "CLUSTER", "MYID")) for admin in admins]
        _wait_until(lambda: _all_know(admins, set(ids)), "meeting of all nodes")
        return ids

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


@contextmanager
def local_cluster(flavour: ServerFlavour = "valkey") -> Iterator[LocalCluster]:
    """Run a :class:`LocalCluster` for the duration of a ``with`` block."""
    with LocalCluster(flavour) as cluster:
        yield cluster


def _cluster_arguments(bus_port: int, node_timeout_ms: int) -> list[str]:
    # A diskless full sync would wait 5 s for more replicas by default.
    return [
        "--cluster-enabled", "yes",
        "--cluster-config-file", "nodes.conf",
        "--cluster-port", str(bus_port),
        "--cluster-node-timeout", str(node_timeout_ms),
        "--repl-diskless-sync-delay", "0",
    ]  # fmt: skip


def _slot_ranges(primaries: int) -> list[tuple[int, int]]:
    bounds = [SLOT_COUNT * index // primaries for index in range(primaries + 1)]
    return [(bounds[i], bounds[i + 1] - 1) for i in range(primaries)]


@contextmanager
def _admin(node: LocalServer) -> Iterator[redis.Redis]:
    client = redis.Redis(host=node.host, port=node.port, decode_responses=True)
    try:
        yield client
    finally:
        client.close()


def _command(admin: redis.Redis, *arguments: object) -> Any:
    # redis-py leaves execute_command unannotated.
    return admin.execute_command(*arguments)  # type: ignore[no-untyped-call]


def _cluster_info(admin: redis.Redis) -> dict[str, str]:
    text = str(_command(admin, "CLUSTER", "INFO"))
    fields = (line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {name: value.strip() for name, value in fields}


def _node_lines(admin: redis.Redis) -> list[list[str]]:
    # CLUSTER NODES: "<id> <address> <flags> <primary> ..." per line.
    text = str(_command(admin, "CLUSTER", "NODES"))
    return [line.split() for line in text.splitlines() if line.strip()]


def _all_know(admins: Sequence[redis.Redis], ids: set[str]) -> bool:
    # A node still in handshake shows under a random id until it answers.
    for admin in admins:
        lines = _node_lines(admin)
        if {fields[0] for fields in lines} != ids:
            return False
        if any("handshake" in fields[2].split(",") for fields in lines):
            return False
    return True


def _all_ok(admins: Sequence[redis.Redis]) -> bool:
    return all(_cluster_info(admin)["cluster_state"] == "ok" for admin in admins)


def _replicas_linked(replicas: Sequence[redis.Redis]) -> bool:
    for replica in replicas:
        info = replica.info("replication")
        if info.get("master_link_status") != "up":
            return False
    return True


def _all_see_replicas(admins: Sequence[redis.Redis], count: int) -> bool:
    for admin in admins:
        flags = [fields[2].split(",") for fields in _node_lines(admin)]
        if sum(1 for flag in flags if "slave" in flag) != count:
            return False
    return True


def _wait_until(done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + _FORM_TIMEOUT_SECONDS
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the cluster did not form: no {what} in time")
        time.sleep(_POLL_SECONDS)
