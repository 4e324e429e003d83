"""Which clients a queue accepts (rule Q18): wrong ones fail with a clear TypeError."""

from __future__ import annotations

from typing import Any

import pytest
import redis
import redis.asyncio
import redis.sentinel
import valkey
import valkey.asyncio

import redis_message_queue
import redis_message_queue.asyncio
from redis_message_queue.local_server import LocalServer, ServerFlavour
from tests.conftest import SERVER_FLAVOURS

PORT = 1  # nothing is ever sent: every rejection happens before any I/O


def _sync_queue(client: object) -> None:
    redis_message_queue.RedisMessageQueue("clients", client=client)


def _async_queue(client: object) -> None:
    redis_message_queue.asyncio.RedisMessageQueue("clients", client=client)


@pytest.mark.parametrize(
    ("build", "client", "match"),
    [
        (_sync_queue, redis.asyncio.Redis(port=PORT), "asyncio"),
        (_sync_queue, valkey.asyncio.Valkey(port=PORT), "asyncio"),
        (_async_queue, redis.Redis(port=PORT), "sync client"),
        (_async_queue, valkey.Valkey(port=PORT), "sync client"),
        (_sync_queue, redis.Redis(port=PORT).pipeline(), "pipeline"),
        (_sync_queue, redis.sentinel.Sentinel([("127.0.0.1", PORT)]), "master_for"),  # type: ignore[no-untyped-call]
        (_async_queue, redis.asyncio.Sentinel([("127.0.0.1", PORT)]), "master_for"),  # type: ignore[no-untyped-call]
        (_sync_queue, "redis://localhost", "redis.Redis"),
    ],
)
def test_unusable_clients_are_refused(build: Any, client: object, match: str) -> None:
    """Q18: another flavour, a pipeline, a Sentinel manager or a URL is refused."""
    with pytest.raises(TypeError, match=match):
        build(client)


def test_single_connection_clients_are_refused_on_both_flavours(
    servers: dict[ServerFlavour, LocalServer],
) -> None:
    """Q18: a pinned single connection cannot be shared across threads or a fork."""
    # The sync client connects while it is built, so it needs a live server.
    port = servers[SERVER_FLAVOURS[0]].port
    sync_client = redis.Redis(port=port, single_connection_client=True)
    try:
        with pytest.raises(TypeError, match="single_connection_client"):
            _sync_queue(sync_client)
    finally:
        sync_client.close()

    for async_client in (
        redis.asyncio.Redis(port=port, single_connection_client=True),
        valkey.asyncio.Valkey(port=port, single_connection_client=True),
    ):
        with pytest.raises(TypeError, match="single_connection_client"):
            _async_queue(async_client)
