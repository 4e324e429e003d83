"""Which clients a queue accepts (rule Q18): wrong ones fail with a clear TypeError;
and queues across a fork (rule Q29).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
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


FORKING_PROGRAM = textwrap.dedent(
    """
    import os
    import sys

    import redis

    from redis_message_queue import RedisMessageQueue
    from redis_message_queue.adapters.memory import MemoryBackend

    port, name = int(sys.argv[1]), sys.argv[2]
    options = {"enable_completed_queue": True, "message_wait_interval_seconds": 0}
    parent = RedisMessageQueue(name, client=redis.Redis(port=port), **options)
    parent.publish("for the child")
    in_memory = RedisMessageQueue(name, backend=MemoryBackend(), **options)
    in_memory.publish("copied")

    child = os.fork()
    if child == 0:
        own = RedisMessageQueue(name, client=redis.Redis(port=port), **options)
        with own.process_message() as message:
            delivered = message == b"for the child"
        with in_memory.process_message() as copy:
            delivered = delivered and copy == b"copied"
        os._exit(0 if delivered else 1)

    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the child saw the wrong messages"
    stats = parent.stats()
    assert (stats.pending, stats.processing, stats.completed) == (0, 0, 1), stats
    assert in_memory.stats().pending == 1, "the child changed the parent's store"
    assert parent.publish("after the fork") is True
    print("forked fine")
    """
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.parametrize("flavour", SERVER_FLAVOURS)
def test_queues_built_after_a_fork_work_in_the_child(
    servers: dict[ServerFlavour, LocalServer], flavour: ServerFlavour
) -> None:
    """Q29: a child builds its own client and queue and consumes what the parent
    published; the parent's queue goes on; the in-memory store is per process."""
    name = f"fork-{uuid.uuid4().hex[:10]}"
    root = Path(__file__).resolve().parents[2]

    finished = subprocess.run(
        [sys.executable, "-c", FORKING_PROGRAM, str(servers[flavour].port), name],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
        check=False,
    )

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "forked fine"
