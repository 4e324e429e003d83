"""Queues on every target (in-memory, and each server flavour), sync and asyncio."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import redis.asyncio

import redis_message_queue
import redis_message_queue.asyncio
from redis_message_queue.adapters.memory import (
    AsyncMemoryBackend,
    MemoryStore,
    SyncMemoryBackend,
)
from redis_message_queue.core.clock import ManualClock
from redis_message_queue.local_server import LocalServer, ServerFlavour
from tests.conftest import SERVER_FLAVOURS
from tests.queue.drivers import (
    AsyncQueueDriver,
    FlavouredCallback,
    QueueDriver,
    SyncQueueDriver,
)
from tests.queue.storage import Storage

TARGETS = ["memory", *SERVER_FLAVOURS]

DriverFactory = Callable[..., QueueDriver]


class Clock:
    """Makes time pass for leases: moves the manual clock, or sleeps for real."""

    def __init__(self, manual: ManualClock | None) -> None:
        self.manual = manual

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass."""
        if self.manual is not None:
            self.manual.advance(seconds)
        else:
            import time

            time.sleep(seconds)


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest) -> str:
    """Where the queue lives."""
    return str(request.param)


@pytest.fixture(params=["sync", "asyncio"])
def flavour(request: pytest.FixtureRequest) -> str:
    """Which queue class runs the scenario."""
    return str(request.param)


@pytest.fixture
def runner() -> Iterator[asyncio.Runner]:
    """The event loop of an asyncio scenario."""
    with asyncio.Runner() as loop_runner:
        yield loop_runner


@pytest.fixture
def memory_clock(target: str) -> ManualClock | None:
    """The in-memory target's clock (None on servers)."""
    return ManualClock() if target == "memory" else None


@pytest.fixture
def clock(memory_clock: ManualClock | None) -> Clock:
    """Time control that works on every target."""
    return Clock(memory_clock)


@pytest.fixture
def memory_store(memory_clock: ManualClock | None) -> MemoryStore | None:
    """The store every in-memory queue of one test shares (None on servers)."""
    return MemoryStore(memory_clock) if memory_clock is not None else None


@pytest.fixture
def storage(
    target: str,
    memory_store: MemoryStore | None,
    servers: dict[ServerFlavour, LocalServer],
) -> Iterator[Storage]:
    """Direct access to where the test's queues live."""
    if memory_store is not None:
        yield Storage(memory_store, None)
        return
    server = redis.Redis(port=servers[target].port)  # type: ignore[index]
    yield Storage(None, server)
    server.close()


@pytest.fixture
def queue_name() -> str:
    """A queue name no other test uses."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def make_driver(
    target: str,
    flavour: str,
    runner: asyncio.Runner,
    servers: dict[ServerFlavour, LocalServer],
    memory_store: MemoryStore | None,
    queue_name: str,
) -> Iterator[DriverFactory]:
    """Build queues on the target; every queue of one test shares its storage."""
    closers: list[Callable[[], Any]] = []

    def build(
        name: str | None = None, *, decode_responses: bool = False, **options: Any
    ) -> QueueDriver:
        name = name or queue_name
        options.setdefault("message_wait_interval_seconds", 0.2)
        options = {
            key: value.pick(flavour) if isinstance(value, FlavouredCallback) else value
            for key, value in options.items()
        }
        if flavour == "sync":
            sync_link = _sync_link(
                target, memory_store, servers, decode_responses, closers
            )
            sync_queue = redis_message_queue.RedisMessageQueue(
                name, **sync_link, **options
            )
            return SyncQueueDriver(sync_queue)

        async_link = _async_link(
            target, memory_store, servers, decode_responses, closers
        )
        async_queue = redis_message_queue.asyncio.RedisMessageQueue(
            name, **async_link, **options
        )
        return AsyncQueueDriver(async_queue, runner)

    yield build
    for close in closers:
        result = close()
        if asyncio.iscoroutine(result):
            runner.run(result)


def _sync_link(
    target: str,
    store: MemoryStore | None,
    servers: dict[ServerFlavour, LocalServer],
    decode_responses: bool,
    closers: list[Callable[[], Any]],
) -> dict[str, Any]:
    if store is not None:
        return {"backend": SyncMemoryBackend(store, decode_responses=decode_responses)}
    server = servers[target]  # type: ignore[index]
    client = redis.Redis(port=server.port, decode_responses=decode_responses)
    closers.append(client.close)
    return {"client": client}


def _async_link(
    target: str,
    store: MemoryStore | None,
    servers: dict[ServerFlavour, LocalServer],
    decode_responses: bool,
    closers: list[Callable[[], Any]],
) -> dict[str, Any]:
    if store is not None:
        return {"backend": AsyncMemoryBackend(store, decode_responses=decode_responses)}
    server = servers[target]  # type: ignore[index]
    client = redis.asyncio.Redis(port=server.port, decode_responses=decode_responses)
    closers.append(client.aclose)
    return {"client": client}
