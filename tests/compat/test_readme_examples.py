"""Code of the kind the 6.0.0 README shows runs unchanged (rules G1, G11, Q1-Q5,
Q13, Q14).

Each ``readme_*`` function below is user code written against 6.0.0: only the
server's URL and the queue's name are handed in, because tests start their own
servers and never use one they did not start. The tests call the functions and
check what the README promises.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis
from redis import Redis

from redis_message_queue import QueueEvent, RedisMessageQueue
from redis_message_queue.local_server import LocalServer, ServerFlavour
from tests.conftest import SERVER_FLAVOURS


@pytest.fixture(params=SERVER_FLAVOURS)
def url(
    request: pytest.FixtureRequest, servers: dict[ServerFlavour, LocalServer]
) -> str:
    """The URL of a server this test session started."""
    return f"redis://127.0.0.1:{servers[request.param].port}/0"


@pytest.fixture
def name() -> str:
    """A queue name no other test uses."""
    return f"readme-{uuid.uuid4().hex[:10]}"


# -- the README's code ---------------------------------------------------------------


def readme_publish(url: str, name: str) -> list[bool]:
    client = Redis.from_url(url)
    queue = RedisMessageQueue(name, client=client, deduplication=True)

    results = [
        queue.publish("order:1234"),  # True
        queue.publish("order:1234"),  # False: deduplicated
        queue.publish({"user": "alice"}),  # dicts work too
    ]
    client.close()
    return results


def readme_consume(url: str, name: str, count: int) -> list[Any]:
    client = Redis.from_url(url, decode_responses=True)
    queue = RedisMessageQueue(name, client=client)

    processed = []
    for _ in range(count):
        with queue.process_message() as message:
            if message is not None:
                processed.append(message)
    client.close()
    return processed


def readme_custom_dedup_key(url: str, name: str) -> list[bool]:
    client = redis.Redis.from_url(url)
    queue = RedisMessageQueue(
        name,
        client=client,
        deduplication=True,
        get_deduplication_key=lambda msg: msg["order_id"],
    )
    results = [
        queue.publish({"order_id": "A-1", "attempt": 1}),
        queue.publish({"order_id": "A-1", "attempt": 2}),
    ]
    client.close()
    return results


def readme_success_and_failure_lists(url: str, name: str) -> tuple[Any, Any]:
    client = redis.Redis.from_url(url)
    queue = RedisMessageQueue(
        name,
        client=client,
        enable_completed_queue=True,
        enable_failed_queue=True,
    )
    queue.publish("works")
    queue.publish("breaks")

    with queue.process_message() as message:
        print("processed", message)
    try:
        with queue.process_message() as message:
            raise RuntimeError(f"cannot process {message!r}")
    except RuntimeError:
        pass

    lists = (
        client.lrange(f"{name}::completed", 0, -1),
        client.lrange(f"{name}::failed", 0, -1),
    )
    client.close()
    return lists


def readme_crash_recovery(url: str, name: str) -> tuple[Any, Any]:
    from redis_message_queue._redis_gateway import RedisGateway

    client = redis.Redis.from_url(url)
    worker = RedisMessageQueue(
        name,
        client=client,
        visibility_timeout_seconds=1,
        heartbeat_interval_seconds=0.2,
    )
    impatient = RedisMessageQueue(
        name,
        gateway=RedisGateway(
            redis_client=client,
            message_visibility_timeout_seconds=1,
            message_wait_interval_seconds=0,
        ),
    )
    worker.publish("long job")

    with worker.process_message() as message:
        time.sleep(1.5)  # longer than the visibility timeout
        with impatient.process_message() as stolen:
            pass
    client.close()
    return message, stolen


def readme_events(url: str, name: str) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []

    def on_event(event: QueueEvent) -> None:
        seen.append((event.operation, event.outcome))

    client = redis.Redis.from_url(url)
    queue = RedisMessageQueue(name, client=client, on_event=on_event)
    queue.publish("observed")
    with queue.process_message():
        pass
    client.close()
    return seen


async def readme_asyncio(url: str, name: str) -> tuple[Any, Any]:
    import redis.asyncio as redis

    from redis_message_queue.asyncio import RedisMessageQueue

    client = redis.Redis.from_url(url)
    queue = RedisMessageQueue(name, client=client, enable_completed_queue=True)
    await queue.publish("hello")
    await queue.publish({"b": 2, "a": 1})

    received = []
    for _ in range(2):
        async with queue.process_message() as message:
            if message is not None:
                received.append(message)
    completed = await client.lrange(f"{name}::completed", 0, -1)
    await client.aclose()
    return received, completed


GRACEFUL_SHUTDOWN = textwrap.dedent(
    """
    import sys

    from redis import Redis

    from redis_message_queue import GracefulInterruptHandler, RedisMessageQueue

    url, name = sys.argv[1], sys.argv[2]
    client = Redis.from_url(url)

    interrupt = GracefulInterruptHandler()
    queue = RedisMessageQueue(name, client=client, interrupt=interrupt)

    while not interrupt.is_interrupted():
        with queue.process_message() as message:
            if message is not None:
                print("processed", message.decode(), flush=True)
    print("stopped", flush=True)
    """
)

# Signals a test runner may have set to "ignore" go back to their default, as in a
# shell, so that the handler can own them.
_DEFAULT_SIGNALS = (
    "import signal\n"
    "for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):\n"
    "    signal.signal(number, signal.SIG_DFL)\n"
    "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
)


# -- the tests -----------------------------------------------------------------------


def test_publish_and_consume_as_the_readme_shows(url: str, name: str) -> None:
    """Q1, Q2, Q3: str and dict publishes, a duplicate refused, a decoding consumer
    that gets str payloads in publish order, dicts as their JSON text."""
    assert readme_publish(url, name) == [True, False, True]

    processed = readme_consume(url, name, count=2)

    assert processed == ["order:1234", '{"user": "alice"}']
    assert json.loads(processed[1]) == {"user": "alice"}


def test_custom_dedup_key_as_the_readme_shows(url: str, name: str) -> None:
    """Q2: a key function deduplicates by the field it picks."""
    assert readme_custom_dedup_key(url, name) == [True, False]


def test_success_and_failure_lists_as_the_readme_shows(url: str, name: str) -> None:
    """Q4, Q5: the completed and failed lists hold the payloads, under the key names
    6.0.0 users read."""
    completed, failed = readme_success_and_failure_lists(url, name)

    assert completed == [b"works"]
    assert failed == [b"breaks"]


def test_heartbeat_keeps_a_long_job_as_the_readme_shows(url: str, name: str) -> None:
    """Q14, G11: with a heartbeat, a job longer than the visibility timeout keeps
    its message; a second consumer on a RedisGateway finds nothing to take."""
    message, stolen = readme_crash_recovery(url, name)

    assert message == b"long job"
    assert stolen is None


def test_events_compare_with_the_6_0_0_strings(url: str, name: str) -> None:
    """Q24, G19: on_event gets events whose operation and outcome equal the strings
    6.0.0 code compares them with."""
    assert readme_events(url, name) == [
        ("publish", "success"),
        ("claim", "success"),
        ("ack", "success"),
    ]


def test_asyncio_as_the_readme_shows(url: str, name: str) -> None:
    """G1, Q3, Q4: the asyncio import runs the same code with async/await."""
    received, completed = asyncio.run(readme_asyncio(url, name))

    assert received == [b"hello", b'{"a": 1, "b": 2}']
    assert completed == [b'{"a": 1, "b": 2}', b"hello"]


def test_graceful_shutdown_loop_as_the_readme_shows(url: str, name: str) -> None:
    """Q13: the interrupt-handler loop finishes its work and stops on SIGINT."""
    readme_publish(url, name)
    root = Path(__file__).resolve().parents[2]
    consumer = subprocess.Popen(
        [sys.executable, "-c", _DEFAULT_SIGNALS + GRACEFUL_SHUTDOWN, url, name],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=root,
    )
    try:
        assert consumer.stdout is not None
        lines = [consumer.stdout.readline().strip() for _ in range(2)]
        consumer.send_signal(signal.SIGINT)
        rest, errors = consumer.communicate(timeout=20)
    finally:
        consumer.kill()

    assert lines == ["processed order:1234", 'processed {"user": "alice"}']
    assert rest.strip() == "stopped", errors
    assert consumer.returncode == 0, errors
