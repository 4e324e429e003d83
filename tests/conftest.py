"""Servers shared by the whole test session: one per flavour found on this machine,
and one cluster per flavour for the tests that need one.

Tests start their own servers on free loopback ports and never use a server they did
not start. ``RMQ_TEST_FLAVOURS=valkey`` limits the run to some flavours.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from redis_message_queue.local_cluster import LocalCluster
from redis_message_queue.local_sentinel import LocalSentinel
from redis_message_queue.local_server import (
    LocalServer,
    ServerFlavour,
    available_flavours,
)


def _flavours() -> list[ServerFlavour]:
    wanted = os.environ.get("RMQ_TEST_FLAVOURS")
    found = available_flavours()
    if not wanted:
        return found
    return [flavour for flavour in found if flavour in wanted.split(",")]


SERVER_FLAVOURS = _flavours()


@pytest.fixture(scope="session")
def servers() -> Iterator[dict[ServerFlavour, LocalServer]]:
    """One running server per flavour, started lazily on first use."""
    started: dict[ServerFlavour, LocalServer] = {}
    yield _LazyServers(started)
    for server in started.values():
        server.stop()


class _LazyServers(dict[ServerFlavour, LocalServer]):
    def __init__(self, started: dict[ServerFlavour, LocalServer]) -> None:
        super().__init__()
        self._started = started

    def __missing__(self, flavour: ServerFlavour) -> LocalServer:
        server = LocalServer(flavour).start()
        self._started[flavour] = server
        self[flavour] = server
        return server


@pytest.fixture(scope="session")
def clusters() -> Iterator[dict[ServerFlavour, LocalCluster]]:
    """One running cluster (3 primaries, 3 replicas) per flavour, started lazily."""
    started: dict[ServerFlavour, LocalCluster] = {}
    yield _LazyClusters(started)
    for cluster in started.values():
        cluster.stop()


class _LazyClusters(dict[ServerFlavour, LocalCluster]):
    def __init__(self, started: dict[ServerFlavour, LocalCluster]) -> None:
        super().__init__()
        self._started = started

    def __missing__(self, flavour: ServerFlavour) -> LocalCluster:
        cluster = LocalCluster(flavour).start()
        self._started[flavour] = cluster
        self[flavour] = cluster
        return cluster


@pytest.fixture(scope="session")
def replicated_servers() -> Iterator[dict[ServerFlavour, LocalSentinel]]:
    """One primary with one replica (no Sentinels) per flavour, started lazily."""
    started: dict[ServerFlavour, LocalSentinel] = {}
    yield _LazyReplicatedServers(started)
    for replicated in started.values():
        replicated.stop()


class _LazyReplicatedServers(dict[ServerFlavour, LocalSentinel]):
    def __init__(self, started: dict[ServerFlavour, LocalSentinel]) -> None:
        super().__init__()
        self._started = started

    def __missing__(self, flavour: ServerFlavour) -> LocalSentinel:
        replicated = LocalSentinel(flavour, sentinels=0).start()
        self._started[flavour] = replicated
        self[flavour] = replicated
        return replicated
