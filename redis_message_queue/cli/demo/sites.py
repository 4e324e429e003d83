"""Where a demo run keeps its queue: a Redis-protocol server, or process memory.

A site starts what the run needs (an embedded Valkey when no URL is given), builds
the supervisor's own queue and the worker launcher, reads the server's lists back
for the ledger, and cleans up when the run ends.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from typing import Protocol

import redis

from redis_message_queue import RedisMessageQueue
from redis_message_queue.adapters.memory import MemoryBackend, MemoryStore
from redis_message_queue.cli.demo.board import ConsumerBoard, ProducerBoard
from redis_message_queue.cli.demo.crews import Launcher
from redis_message_queue.cli.demo.options import DemoOptions
from redis_message_queue.cli.demo.processes import ProcessLauncher
from redis_message_queue.cli.demo.spec import QueueSpec
from redis_message_queue.cli.demo.threads import ThreadLauncher
from redis_message_queue.core.envelope import MessageData
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.local_server import LocalServer

_SCAN_BATCH = 1_000


class Site(Protocol):
    """The home of one run's queue."""

    backend: str
    """The backend's name, for the ledger."""

    server: str
    """Where the queue lives, for people."""

    def queue(self, spec: QueueSpec) -> RedisMessageQueue:
        """The supervisor's own queue: it only reads statistics."""
        ...

    def launcher(
        self,
        spec: QueueSpec,
        consumer_board: ConsumerBoard,
        producer_board: ProducerBoard,
    ) -> Launcher:
        """A launcher whose workers build ``spec`` on this site."""
        ...

    def read_list(self, key: str) -> list[MessageData]:
        """Every element of the list ``key``, newest first."""
        ...

    def discard(self, keys: QueueKeyManager) -> None:
        """Delete what the run left behind."""
        ...


class RedisSite:
    """A queue on the server at ``url``, driven by the Redis adapter.

    Args:
        url: The server's URL.
        label: How to name the server for people (defaults to the URL).
        disposable: The server ends with the run, so nothing needs deleting.
    """

    backend = "redis"

    def __init__(
        self, url: str, label: str | None = None, *, disposable: bool = False
    ) -> None:
        self.url = url
        self._disposable = disposable
        self.client = redis.Redis.from_url(url)
        self.server = f"{label or url} ({_server_version(self.client)})"

    def queue(self, spec: QueueSpec) -> RedisMessageQueue:
        """See :meth:`Site.queue`."""
        return spec.build(client=self.client)

    def launcher(
        self,
        spec: QueueSpec,
        consumer_board: ConsumerBoard,
        producer_board: ProducerBoard,
    ) -> ProcessLauncher:
        """See :meth:`Site.launcher`."""
        return ProcessLauncher(self.url, spec, consumer_board, producer_board)

    def read_list(self, key: str) -> list[MessageData]:
        """See :meth:`Site.read_list`."""
        return list(self.client.lrange(key, 0, -1))

    def discard(self, keys: QueueKeyManager) -> None:
        """See :meth:`Site.discard`: the queue's keys, dedup markers, settle records."""
        if self._disposable:
            return
        markers = itertools.chain.from_iterable(
            self.client.scan_iter(match=f"{prefix}*", count=_SCAN_BATCH)
            for prefix in (keys.deduplication_prefix, keys.settled_prefix)
        )
        batch: list[str | bytes] = list(keys.all_fixed_keys())
        for marker in markers:
            batch.append(marker)
            if len(batch) >= _SCAN_BATCH:
                self.client.delete(*batch)
                batch.clear()
        if batch:
            self.client.delete(*batch)

    def close(self) -> None:
        """Close the supervisor's connections."""
        self.client.close()


class MemorySite:
    """A queue in this process's memory; every worker is a thread."""

    backend = "memory"
    server = "this process, workers as threads"

    def __init__(self) -> None:
        self.store = MemoryStore()

    def queue(self, spec: QueueSpec) -> RedisMessageQueue:
        """See :meth:`Site.queue`."""
        return spec.build(backend=MemoryBackend(store=self.store))

    def launcher(
        self,
        spec: QueueSpec,
        consumer_board: ConsumerBoard,
        producer_board: ProducerBoard,
    ) -> ThreadLauncher:
        """See :meth:`Site.launcher`."""
        return ThreadLauncher(self.store, spec, consumer_board, producer_board)

    def read_list(self, key: str) -> list[MessageData]:
        """See :meth:`Site.read_list`."""
        return self.store.values(key)

    def discard(self, keys: QueueKeyManager) -> None:
        """See :meth:`Site.discard`: the store goes with the run."""
        del keys


@contextlib.contextmanager
def open_site(options: DemoOptions) -> Iterator[Site]:
    """The site ``options`` ask for, cleaned up when the ``with`` block ends.

    Raises:
        ServerNotFoundError: No URL was given and no Valkey binary is installed.
        redis.ConnectionError: The server does not answer.
    """
    if options.backend == "memory":
        yield MemorySite()
        return

    with contextlib.ExitStack() as stack:
        if options.url is None:
            server = stack.enter_context(LocalServer("valkey"))
            label = f"embedded valkey at {server.url}"
            site = RedisSite(server.url, label, disposable=True)
        else:
            site = RedisSite(options.url)
        stack.callback(site.close)
        yield site


def _server_version(client: redis.Redis) -> str:
    info = client.info("server")
    if "valkey_version" in info:
        return f"valkey {info['valkey_version']}"
    return f"redis {info.get('redis_version', '?')}"
