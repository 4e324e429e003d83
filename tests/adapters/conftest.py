"""Fixtures for the Redis backend tests: every server flavour, client library and
flavour of backend, on servers the session started itself.

Fixture names start with ``redis_`` so they never shadow those of other adapters'
tests in this folder.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator, Sequence
from typing import Literal

import attrs
import pytest
import redis
import redis.asyncio
import valkey
import valkey.asyncio

from redis_message_queue.adapters.redis import AsyncRedisBackend, SyncRedisBackend
from redis_message_queue.core.envelope import MessageData, decode, encode
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports import (
    Claim,
    ClaimOptions,
    ClaimResult,
    Outcome,
    Publication,
    PublishOptions,
    PublishResult,
    QueueDepths,
    Settlement,
    SyncBackend,
)
from redis_message_queue.local_server import LocalServer, ServerFlavour
from tests.conftest import SERVER_FLAVOURS

LONG_LEASE_MS = 60_000
"""A lease no test outlives."""


@attrs.frozen
class ClientVariant:
    """Which backend flavour and client library a test runs with."""

    flavour: Literal["sync", "asyncio"]
    library: Literal["redis-py", "valkey-py"]
    decode_responses: bool

    def __str__(self) -> str:
        decoded = "str" if self.decode_responses else "bytes"
        return f"{self.flavour}-{self.library}-{decoded}"


# Each library and flavour once with each reply type: four runs, not eight.
CLIENT_VARIANTS = (
    ClientVariant("sync", "redis-py", decode_responses=False),
    ClientVariant("sync", "valkey-py", decode_responses=True),
    ClientVariant("asyncio", "redis-py", decode_responses=True),
    ClientVariant("asyncio", "valkey-py", decode_responses=False),
)


class AsyncioBridge(SyncBackend):
    """Drives an asyncio backend from a sync test, every call on one event loop."""

    def __init__(self, runner: asyncio.Runner, backend: AsyncRedisBackend) -> None:
        self._runner = runner
        self.inner = backend
        self.capabilities = backend.capabilities
        self.decode_responses = backend.decode_responses

    def publish(
        self,
        queue: QueueKeyManager,
        publications: Sequence[Publication],
        options: PublishOptions,
    ) -> PublishResult:
        """Run the asyncio publish to completion."""
        return self._runner.run(self.inner.publish(queue, publications, options))

    def claim(
        self,
        queue: QueueKeyManager,
        options: ClaimOptions,
        *,
        claim_id: str | None = None,
    ) -> ClaimResult:
        """Run the asyncio claim to completion."""
        return self._runner.run(self.inner.claim(queue, options, claim_id=claim_id))

    def is_transient(self, error: BaseException) -> bool:
        """The asyncio backend's answer."""
        return self.inner.is_transient(error)

    def settle(self, queue: QueueKeyManager, settlement: Settlement) -> bool:
        """Run the asyncio settle to completion."""
        return self._runner.run(self.inner.settle(queue, settlement))

    def renew(
        self,
        queue: QueueKeyManager,
        stored: MessageData,
        lease_token: str,
        lease_ms: int,
    ) -> bool:
        """Run the asyncio renew to completion."""
        return self._runner.run(self.inner.renew(queue, stored, lease_token, lease_ms))

    def depths(self, queue: QueueKeyManager) -> QueueDepths:
        """Run the asyncio depths to completion."""
        return self._runner.run(self.inner.depths(queue))

    def peek(
        self,
        queue: QueueKeyManager,
        key: str,
        count: int,
        *,
        oldest_first: bool = False,
    ) -> tuple[MessageData, ...]:
        """Run the asyncio peek to completion."""
        return self._runner.run(
            self.inner.peek(queue, key, count, oldest_first=oldest_first)
        )

    def release(self, queue: QueueKeyManager, lease_tokens: Sequence[str]) -> int:
        """Run the asyncio release to completion."""
        return self._runner.run(self.inner.release(queue, lease_tokens))

    def purge(self, queue: QueueKeyManager, key: str) -> int:
        """Run the asyncio purge to completion."""
        return self._runner.run(self.inner.purge(queue, key))

    def redrive(self, queue: QueueKeyManager, message_ids: Sequence[str]) -> int:
        """Run the asyncio redrive to completion."""
        return self._runner.run(self.inner.redrive(queue, message_ids))

    def forget_markers(
        self, queue: QueueKeyManager, markers: Sequence[tuple[str, str]]
    ) -> int:
        """Run the asyncio forget_markers to completion."""
        return self._runner.run(self.inner.forget_markers(queue, markers))

    def wait_for_messages(self, queue: QueueKeyManager, timeout_seconds: float) -> bool:
        """Run the asyncio wait to completion."""
        return self._runner.run(self.inner.wait_for_messages(queue, timeout_seconds))


@pytest.fixture(params=SERVER_FLAVOURS)
def redis_server(
    request: pytest.FixtureRequest, servers: dict[ServerFlavour, LocalServer]
) -> LocalServer:
    """A server this session started, one run per flavour installed."""
    flavour: ServerFlavour = request.param
    return servers[flavour]


@pytest.fixture
def redis_admin(redis_server: LocalServer) -> Iterator[redis.Redis]:
    """A plain client for arranging and inspecting server state (bytes replies)."""
    client = redis.Redis.from_url(redis_server.url)
    yield client
    client.close()


@pytest.fixture
def redis_queue() -> QueueKeyManager:
    """The keys of a queue no other test uses."""
    return QueueKeyManager(f"rmq-test-{uuid.uuid4().hex}")


@pytest.fixture(params=CLIENT_VARIANTS, ids=str)
def redis_variant(request: pytest.FixtureRequest) -> ClientVariant:
    """The backend flavour and client library of this run."""
    variant: ClientVariant = request.param
    return variant


@pytest.fixture
def redis_backend(
    redis_server: LocalServer, redis_variant: ClientVariant
) -> Iterator[SyncRedisBackend | AsyncioBridge]:
    """The backend under test; an asyncio one is driven through a bridge."""
    if redis_variant.flavour == "sync":
        client = _sync_client(redis_server.url, redis_variant)
        yield SyncRedisBackend(client)
        client.close()
        return

    with asyncio.Runner() as runner:
        async_client = _async_client(redis_server.url, redis_variant)
        yield AsyncioBridge(runner, AsyncRedisBackend(async_client))
        runner.run(async_client.aclose())


def _sync_client(url: str, variant: ClientVariant) -> redis.Redis | valkey.Valkey:
    decode = variant.decode_responses
    if variant.library == "redis-py":
        return redis.Redis.from_url(url, decode_responses=decode)
    client: valkey.Valkey = valkey.Valkey.from_url(url, decode_responses=decode)
    return client


def _async_client(
    url: str, variant: ClientVariant
) -> redis.asyncio.Redis | valkey.asyncio.Valkey:
    decode = variant.decode_responses
    if variant.library == "redis-py":
        return redis.asyncio.Redis.from_url(url, decode_responses=decode)
    client: valkey.asyncio.Valkey = valkey.asyncio.Valkey.from_url(
        url, decode_responses=decode
    )
    return client


# -- helpers shared by the Redis backend tests ----------------------------------------


def as_bytes(value: MessageData) -> bytes:
    """A stored value as bytes, whatever the client's reply type."""
    return value.encode("utf-8") if isinstance(value, str) else value


def payload_of(claim: Claim) -> bytes:
    """The payload a claim carries, as bytes."""
    return as_bytes(decode(claim.stored).payload)


def publish(
    backend: SyncBackend,
    queue: QueueKeyManager,
    *payloads: str,
    options: PublishOptions | None = None,
) -> list[str]:
    """Publish each payload in a fresh envelope; return the stored envelopes."""
    stored = [encode(payload) for payload in payloads]
    publications = [Publication(stored=value) for value in stored]
    backend.publish(queue, publications, options or PublishOptions())
    return stored


def claim_all(
    backend: SyncBackend, queue: QueueKeyManager, lease_ms: int | None = LONG_LEASE_MS
) -> tuple[Claim, ...]:
    """Claim everything pending."""
    options = ClaimOptions(max_messages=100, lease_ms=lease_ms)
    return backend.claim(queue, options).claims


def ack(
    backend: SyncBackend,
    queue: QueueKeyManager,
    claim: Claim,
    history_key: str | None = None,
    history_limit: int | None = None,
) -> bool:
    """Acknowledge ``claim``, keeping its payload in ``history_key`` if given."""
    settlement = Settlement(
        stored=claim.stored,
        lease_token=claim.lease_token,
        outcome=Outcome.ACK,
        history_key=history_key,
        history_payload=decode(claim.stored).payload,
        history_limit=history_limit,
    )
    return backend.settle(queue, settlement)


def snapshot(admin: redis.Redis, queue: QueueKeyManager) -> dict[bytes, object]:
    """Every key of the queue (dedup markers too) with its type and content."""
    state: dict[bytes, object] = {}
    for key in sorted(admin.scan_iter(match=f"{queue.queue_name}*")):
        kind = admin.type(key)
        state[key] = (kind, read_key(admin, key, kind))
    return state


def read_key(admin: redis.Redis, key: bytes, kind: bytes | str) -> object:
    """The whole content of one key of the given type."""
    if kind == b"list":
        return admin.lrange(key, 0, -1)
    if kind == b"hash":
        return admin.hgetall(key)
    if kind == b"zset":
        return admin.zrange(key, 0, -1, withscores=True)
    return admin.get(key)


def key_of(queue: QueueKeyManager, role: str) -> str:
    """The key of a queue's part, by the name of its QueueKeyManager property."""
    return {
        "pending": queue.pending,
        "processing": queue.processing,
        "lease_deadlines": queue.lease_deadlines,
        "delivery_counts": queue.delivery_counts,
        "completed": queue.completed,
        "dead_letter": queue.dead_letter,
    }[role]
