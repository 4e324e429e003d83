"""Fixtures: a server of each flavour behind a :class:`CuttingProxy`, and a
:class:`RetryingBackend` over the Redis backend of each flavour and client library,
driven through one synchronous interface.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from typing import Literal

import attrs
import pytest
import redis
import redis.asyncio
import valkey
import valkey.asyncio

from redis_message_queue._async.emitter import EventEmitter as AsyncEventEmitter
from redis_message_queue._async.retrying import RetryingBackend as AsyncRetrying
from redis_message_queue._sync.emitter import EventEmitter as SyncEventEmitter
from redis_message_queue._sync.retrying import RetryingBackend as SyncRetrying
from redis_message_queue.adapters.redis import AsyncRedisBackend, SyncRedisBackend
from redis_message_queue.adapters.redis.script_library import script_source
from redis_message_queue.contract_tests.harness import PortDriver
from redis_message_queue.core.events import EventOperation, QueueEvent
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.retry import RetryPolicy
from redis_message_queue.interrupt_handler import BaseGracefulInterruptHandler
from redis_message_queue.local_server import LocalServer, ServerFlavour
from tests.conftest import SERVER_FLAVOURS
from tests.support.proxy import CuttingProxy

TEST_POLICY = RetryPolicy(retry_budget_seconds=10)
"""Long enough for any retry after a cut reply; short if a test goes wrong."""


@attrs.frozen
class Variant:
    """Which flavour of backend and which client library a test runs with."""

    flavour: Literal["sync", "asyncio"]
    library: Literal["redis-py", "valkey-py"]

    def __str__(self) -> str:
        return f"{self.flavour}-{self.library}"


VARIANTS = (
    Variant("sync", "redis-py"),
    Variant("asyncio", "redis-py"),
    Variant("sync", "valkey-py"),
    Variant("asyncio", "valkey-py"),
)


class EventLog:
    """The events a retrying backend emitted, with a reading of the server at each
    ``retry_attempt`` (taken after the failed attempt, before the next one).
    """

    def __init__(self) -> None:
        self.events: list[QueueEvent] = []
        self.readings: list[object] = []
        self.read: Callable[[], object] = lambda: None

    def __call__(self, event: QueueEvent) -> None:
        self.events.append(event)
        if event.operation is EventOperation.RETRY_ATTEMPT:
            self.readings.append(self.read())

    def of(self, operation: EventOperation) -> list[QueueEvent]:
        """The events of one operation, in order."""
        return [event for event in self.events if event.operation is operation]


@pytest.fixture(params=SERVER_FLAVOURS)
def server(
    request: pytest.FixtureRequest, servers: dict[ServerFlavour, LocalServer]
) -> LocalServer:
    """A server this session started, one run per flavour installed."""
    flavour: ServerFlavour = request.param
    return servers[flavour]


@pytest.fixture
def admin(server: LocalServer) -> Iterator[redis.Redis]:
    """A direct client (bytes replies) with every script already loaded.

    Loaded scripts keep the first EVALSHA of a test from being answered NOSCRIPT,
    so a cut always lands on the operation itself.
    """
    client = redis.Redis(port=server.port)
    for name in ("publish", "claim", "settle", "renew"):
        client.script_load(script_source(name))
    yield client
    client.close()


@pytest.fixture
def proxy(server: LocalServer) -> Iterator[CuttingProxy]:
    """A proxy in front of the server."""
    with CuttingProxy(server.port) as running:
        yield running


@pytest.fixture
def queue() -> QueueKeyManager:
    """The keys of a queue no other test uses."""
    return QueueKeyManager(f"rmq-retry-{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=VARIANTS, ids=str)
def variant(request: pytest.FixtureRequest) -> Variant:
    """The backend flavour and client library of this run."""
    chosen: Variant = request.param
    return chosen


@pytest.fixture
def runner() -> Iterator[asyncio.Runner]:
    """The event loop of an asyncio backend."""
    with asyncio.Runner() as loop_runner:
        yield loop_runner


@pytest.fixture
def event_log() -> EventLog:
    """Where the retrying backend's events go."""
    return EventLog()


RetryingPortFactory = Callable[..., PortDriver]


@pytest.fixture
def retrying_port(
    variant: Variant,
    runner: asyncio.Runner,
    proxy: CuttingProxy,
    queue: QueueKeyManager,
    event_log: EventLog,
) -> Iterator[RetryingPortFactory]:
    """Build a retrying backend whose client talks to ``port`` (the proxy's)."""
    closers: list[Callable[[], None]] = []

    def build(
        port: int | None = None,
        policy: RetryPolicy = TEST_POLICY,
        interrupt: BaseGracefulInterruptHandler | None = None,
        **client_options: object,
    ) -> PortDriver:
        through_proxy = port is None
        port = proxy.port if port is None else port
        driver = _build(port, policy, interrupt, client_options)
        if through_proxy:
            # Open a connection now, so that a cut never lands on the handshake.
            driver.depths(queue)
        return driver

    def _build(
        port: int,
        policy: RetryPolicy,
        interrupt: BaseGracefulInterruptHandler | None,
        client_options: dict[str, object],
    ) -> PortDriver:
        if variant.flavour == "sync":
            client = _sync_client(variant, port, client_options)
            closers.append(client.close)
            sync_backend = SyncRetrying(
                SyncRedisBackend(client),
                policy,
                emitter=SyncEventEmitter(queue.queue_name, event_log),
                interrupt=interrupt,
            )
            return PortDriver(sync_backend, runner)

        async_client = _async_client(variant, port, client_options)
        closers.append(lambda: runner.run(async_client.aclose()))
        async_backend = AsyncRetrying(
            AsyncRedisBackend(async_client),
            policy,
            emitter=AsyncEventEmitter(queue.queue_name, event_log),
            interrupt=interrupt,
        )
        return PortDriver(async_backend, runner)

    yield build
    for close in closers:
        close()


def _sync_client(
    variant: Variant, port: int, options: dict[str, object]
) -> redis.Redis | valkey.Valkey:
    # No retries inside the client: the retrying backend is what is under test.
    options = {"retry": None, **options}
    if variant.library == "redis-py":
        return redis.Redis(port=port, **options)  # type: ignore[arg-type]
    client: valkey.Valkey = valkey.Valkey(port=port, **options)  # type: ignore[arg-type]
    return client


def _async_client(
    variant: Variant, port: int, options: dict[str, object]
) -> redis.asyncio.Redis | valkey.asyncio.Valkey:
    options = {"retry": None, **options}
    if variant.library == "redis-py":
        return redis.asyncio.Redis(port=port, **options)  # type: ignore[arg-type]
    client: valkey.asyncio.Valkey = valkey.asyncio.Valkey(port=port, **options)  # type: ignore[arg-type]
    return client
