"""Queues and gateways of both flavours on a local server, for the 6.0.0 API tests."""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
import redis
import redis.asyncio

import redis_message_queue
import redis_message_queue.asyncio
from redis_message_queue.local_server import LocalServer, ServerFlavour
from tests.compat.gateways import (
    AnyListGateway,
    AsyncLeasedListGateway,
    AsyncListGateway,
    LeasedListGateway,
    ListGateway,
)
from tests.conftest import SERVER_FLAVOURS
from tests.queue.drivers import (
    AsyncQueueDriver,
    FlavouredCallback,
    QueueDriver,
    SyncQueueDriver,
)


class Harness:
    """Builds clients, gateways and queues of one flavour; reads the server directly.

    Args:
        flavour: ``"sync"`` or ``"asyncio"``.
        port: The local server's port.
        runner: The event loop of asyncio scenarios.
    """

    def __init__(self, flavour: str, port: int, runner: asyncio.Runner) -> None:
        self.flavour = flavour
        self.port = port
        self.runner = runner
        self.name = f"compat-{uuid.uuid4().hex[:10]}"
        self.server = redis.Redis(port=port)
        self._closers: list[Callable[[], Any]] = [self.server.close]

    @property
    def is_async(self) -> bool:
        """Whether the harness builds asyncio objects."""
        return self.flavour == "asyncio"

    def run(self, result: Any) -> Any:
        """Await ``result`` on the harness loop when it is awaitable."""
        if inspect.isawaitable(result):
            return self.runner.run(_awaited(result))
        return result

    def client(self, *, decode_responses: bool = False) -> Any:
        """A client of the harness flavour, closed after the test."""
        if self.is_async:
            async_client = redis.asyncio.Redis(
                port=self.port, decode_responses=decode_responses
            )
            self._closers.append(async_client.aclose)
            return async_client
        sync_client = redis.Redis(port=self.port, decode_responses=decode_responses)
        self._closers.append(sync_client.close)
        return sync_client

    def custom_gateway(self, *, leased: bool = False) -> AnyListGateway:
        """An in-test gateway of the harness flavour."""
        if self.is_async:
            kind: type[AsyncListGateway] = (
                AsyncLeasedListGateway if leased else AsyncListGateway
            )
            return kind(self.client())
        sync_kind: type[ListGateway] = LeasedListGateway if leased else ListGateway
        return sync_kind(self.client())

    def redis_gateway(self, **options: Any) -> Any:
        """Our ``RedisGateway`` of the harness flavour."""
        options.setdefault("redis_client", self.client())
        if self.is_async:
            return redis_message_queue.asyncio.RedisGateway(**options)
        return redis_message_queue.RedisGateway(**options)

    def queue(self, name: str | None = None, **options: Any) -> QueueDriver:
        """A queue of the harness flavour, wrapped in a driver."""
        options = {
            key: value.pick(self.flavour)
            if isinstance(value, FlavouredCallback)
            else value
            for key, value in options.items()
        }
        if self.is_async:
            async_queue = redis_message_queue.asyncio.RedisMessageQueue(
                name or self.name, **options
            )
            return AsyncQueueDriver(async_queue, self.runner)
        sync_queue = redis_message_queue.RedisMessageQueue(name or self.name, **options)
        return SyncQueueDriver(sync_queue)

    def list(self, key: str) -> list[bytes]:
        """The entries of a list on the server, as stored."""
        return cast(list[bytes], self.server.lrange(key, 0, -1))

    def close(self) -> None:
        """Close every client the harness built."""
        for close in self._closers:
            self.run(close())


async def _awaited(result: Any) -> Any:
    return await result


@pytest.fixture(params=SERVER_FLAVOURS)
def server_flavour(request: pytest.FixtureRequest) -> ServerFlavour:
    """Which server runs the scenario."""
    flavour: ServerFlavour = request.param
    return flavour


@pytest.fixture(params=["sync", "asyncio"])
def flavour(request: pytest.FixtureRequest) -> str:
    """Which flavour of the API runs the scenario."""
    return str(request.param)


@pytest.fixture
def runner() -> Iterator[asyncio.Runner]:
    """The event loop of an asyncio scenario."""
    with asyncio.Runner() as loop_runner:
        yield loop_runner


@pytest.fixture
def harness(
    flavour: str,
    server_flavour: ServerFlavour,
    servers: dict[ServerFlavour, LocalServer],
    runner: asyncio.Runner,
) -> Iterator[Harness]:
    """A harness on a local server (never on a server the tests did not start)."""
    built = Harness(flavour, servers[server_flavour].port, runner)
    yield built
    built.close()
