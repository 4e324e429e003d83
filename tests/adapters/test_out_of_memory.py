"""A server out of memory refuses writes with a typed error, nothing half-written."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from redis_message_queue import LuaScriptError, RedisMessageQueue
from redis_message_queue.local_server import LocalServer, ServerFlavour
from tests.conftest import SERVER_FLAVOURS


@pytest.fixture(params=SERVER_FLAVOURS)
def full_server(request: pytest.FixtureRequest) -> Iterator[LocalServer]:
    """A server whose memory limit is already reached, evicting nothing."""
    flavour: ServerFlavour = request.param
    with LocalServer(flavour) as server:
        client = redis.Redis(port=server.port)
        client.config_set("maxmemory-policy", "noeviction")
        client.set("ballast", b"x" * 2_000_000)
        client.close()
        yield server


def _fill_up(client: redis.Redis) -> None:
    # Set last, through the test's own connection: closing a connection frees
    # buffers and would bring the server back under its limit.
    used = int(client.info("memory")["used_memory"])
    client.config_set("maxmemory", used - 200_000)


def test_publish_on_a_full_server_is_refused_cleanly(full_server: LocalServer) -> None:
    """Q28: out of memory is a LuaScriptError (also a ResponseError); no marker."""
    client = redis.Redis(port=full_server.port)
    queue = RedisMessageQueue(f"oom-{uuid.uuid4().hex[:8]}", client=client)
    _fill_up(client)
    try:
        with pytest.raises(LuaScriptError) as caught:
            queue.publish("no room")

        assert isinstance(caught.value, redis.exceptions.ResponseError)
        assert "maxmemory" in str(caught.value)
        assert client.keys(f"{queue.key.queue_name}*") == []
    finally:
        client.close()
