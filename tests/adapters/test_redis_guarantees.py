"""What the Redis backend guarantees beyond each result: a wrong-typed key is refused
before any write, each operation is one round trip, scripts reload themselves, many
consumers never share a message, and server errors are translated in one place.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import redis
import redis.exceptions
import valkey.exceptions
from redis.client import Monitor

from redis_message_queue.adapters.redis import (
    LuaScriptError,
    RetryBudgetExhaustedError,
    SyncRedisBackend,
)
from redis_message_queue.adapters.redis.errors import translated_errors
from redis_message_queue.adapters.redis.script_library import script_source
from redis_message_queue.core.envelope import encode
from redis_message_queue.core.errors import RedisMessageQueueError
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports import (
    ClaimOptions,
    Publication,
    PublishOptions,
    SyncBackend,
)
from redis_message_queue.core.settings import OverloadPolicy
from redis_message_queue.local_server import LocalServer
from tests.adapters.conftest import (
    LONG_LEASE_MS,
    ack,
    claim_all,
    key_of,
    payload_of,
    publish,
    snapshot,
)

# -- wrong-typed keys are refused before any write -----------------------------------


Call = Callable[[], object]


def arrange_publish(backend: SyncBackend, queue: QueueKeyManager) -> Call:
    publish(backend, queue, "old")
    options = PublishOptions(
        max_pending_length=1, overload_policy=OverloadPolicy.DROP_OLDEST
    )
    marked = Publication(encode("new"), dedup_key=queue.deduplication("new"))
    return lambda: backend.publish(queue, [marked], options)


def arrange_plain_publish(backend: SyncBackend, queue: QueueKeyManager) -> Call:
    return lambda: publish(backend, queue, "plain")


def arrange_claim(backend: SyncBackend, queue: QueueKeyManager) -> Call:
    # Reclaims an expired lease, dead-letters that message, delivers the next:
    # every key of the claim script is written, most after an earlier write.
    publish(backend, queue, "poison", "next")
    backend.claim(queue, ClaimOptions(lease_ms=20))
    time.sleep(0.05)
    options = ClaimOptions(max_messages=2, lease_ms=LONG_LEASE_MS, max_delivery_count=1)
    return lambda: backend.claim(queue, options)


def arrange_settle(backend: SyncBackend, queue: QueueKeyManager) -> Call:
    publish(backend, queue, "done")
    (claim,) = claim_all(backend, queue)
    return lambda: ack(backend, queue, claim, queue.completed, 10)


def arrange_renew(backend: SyncBackend, queue: QueueKeyManager) -> Call:
    publish(backend, queue, "slow")
    (claim,) = claim_all(backend, queue)
    return lambda: backend.renew(queue, claim.stored, claim.lease_token, 90_000)


SCENARIOS: dict[str, tuple[Callable[[SyncBackend, QueueKeyManager], Call], str]] = {
    "publish": (arrange_publish, "publish"),
    "plain_publish": (arrange_plain_publish, "publish"),
    "claim": (arrange_claim, "claim"),
    "settle": (arrange_settle, "settle"),
    "renew": (arrange_renew, "renew"),
}

WRONG_TYPE_CASES = [
    ("publish", "pending"),
    ("plain_publish", "pending"),
    ("claim", "pending"),
    ("claim", "processing"),
    ("claim", "lease_deadlines"),
    ("claim", "delivery_counts"),
    ("claim", "dead_letter"),
    ("settle", "processing"),
    ("settle", "lease_deadlines"),
    ("settle", "delivery_counts"),
    ("settle", "completed"),
    ("renew", "processing"),
    ("renew", "lease_deadlines"),
]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_scenarios_write_when_the_keys_are_sound(
    redis_backend: SyncBackend,
    redis_admin: redis.Redis,
    redis_queue: QueueKeyManager,
    scenario: str,
) -> None:
    arrange, _ = SCENARIOS[scenario]
    call = arrange(redis_backend, redis_queue)
    before = snapshot(redis_admin, redis_queue)

    call()

    assert snapshot(redis_admin, redis_queue) != before


@pytest.mark.parametrize(("scenario", "role"), WRONG_TYPE_CASES)
def test_a_wrong_typed_key_is_refused_before_any_write(
    redis_backend: SyncBackend,
    redis_admin: redis.Redis,
    redis_queue: QueueKeyManager,
    scenario: str,
    role: str,
) -> None:
    """R16, R20: a wrong-typed key fails the call before it writes anything, so a
    message is never half moved (taken out of one part, never put in the next)."""
    arrange, operation = SCENARIOS[scenario]
    call = arrange(redis_backend, redis_queue)
    redis_admin.delete(key_of(redis_queue, role))
    redis_admin.set(key_of(redis_queue, role), b"not a queue part")
    before = snapshot(redis_admin, redis_queue)

    with pytest.raises(LuaScriptError) as raised:
        call()

    assert isinstance(raised.value, redis.exceptions.ResponseError)
    assert isinstance(raised.value, RedisMessageQueueError)
    assert str(raised.value).startswith("WRONGTYPE")
    assert (raised.value.queue, raised.value.operation) == (
        redis_queue.queue_name,
        operation,
    )
    assert snapshot(redis_admin, redis_queue) == before


@pytest.mark.parametrize("operation", ["depths", "wait"])
def test_reads_refuse_a_wrong_typed_key_too(
    redis_backend: SyncBackend,
    redis_admin: redis.Redis,
    redis_queue: QueueKeyManager,
    operation: str,
) -> None:
    """R16: reads refuse a wrong-typed key with the same error."""
    redis_admin.set(redis_queue.pending, b"not a list")

    reads: dict[str, Call] = {
        "depths": lambda: redis_backend.depths(redis_queue),
        "wait": lambda: redis_backend.wait_for_messages(redis_queue, 0.1),
    }

    with pytest.raises(LuaScriptError) as raised:
        reads[operation]()

    assert raised.value.operation == operation


# -- round trips and script loading --------------------------------------------------


def command_calls(admin: redis.Redis) -> Counter[str]:
    """Calls per command since the server started (commands in scripts too)."""
    stats: dict[str, Any] = admin.info("commandstats")
    return Counter({name: int(entry["calls"]) for name, entry in stats.items()})


def sent_by_clients(monitor: Monitor, admin: redis.Redis) -> Counter[str]:
    """Commands other clients sent since the last call (or since MONITOR began).

    Scripts' inner commands are left out, so this counts round trips.
    """
    admin_address = str(admin.client_info()["addr"])
    marker = uuid.uuid4().hex
    admin.echo(marker)

    sent: Counter[str] = Counter()
    # redis-py leaves Monitor unannotated.
    for entry in monitor.listen():  # type: ignore[no-untyped-call]
        address = f"{entry['client_address']}:{entry['client_port']}"
        name = str(entry["command"]).split(" ", 1)[0].upper()
        if address == admin_address and marker in entry["command"]:
            return sent
        if entry["client_type"] != "lua" and address != admin_address:
            sent[name] += 1
    raise AssertionError("the monitor stopped before the marker")


def test_each_operation_is_one_round_trip(
    redis_backend: SyncBackend,
    redis_admin: redis.Redis,
    redis_queue: QueueKeyManager,
) -> None:
    def script_operations() -> None:
        marker = redis_queue.deduplication(uuid.uuid4().hex)
        publication = Publication(encode("scripted"), dedup_key=marker)
        redis_backend.publish(redis_queue, [publication], PublishOptions())
        (claim,) = redis_backend.claim(redis_queue, ClaimOptions(lease_ms=9000)).claims
        redis_backend.renew(redis_queue, claim.stored, claim.lease_token, 9000)
        ack(redis_backend, redis_queue, claim, redis_queue.completed, 5)

    script_operations()  # loads the scripts on first use
    with redis_admin.monitor() as monitor:  # type: ignore[no-untyped-call]
        at_start = command_calls(redis_admin)
        for _ in range(5):
            publish(redis_backend, redis_queue, "plain")
        after_plain = command_calls(redis_admin)
        plain_sent = sent_by_clients(monitor, redis_admin)

        for _ in range(5):
            script_operations()
        after_scripts = command_calls(redis_admin)
        script_sent = sent_by_clients(monitor, redis_admin)

    plain, scripted = after_plain - at_start, after_scripts - after_plain
    assert plain["cmdstat_lpush"] == 5
    assert plain["cmdstat_evalsha"] == 0
    assert scripted["cmdstat_evalsha"] == 5 * 4
    for never in ("cmdstat_eval", "cmdstat_script|load", "cmdstat_script"):
        assert (after_scripts - at_start)[never] == 0
    assert plain_sent == Counter({"LPUSH": 5})
    assert script_sent == Counter({"EVALSHA": 5 * 4})


def test_scripts_load_again_after_a_script_flush(
    redis_backend: SyncBackend,
    redis_admin: redis.Redis,
    redis_queue: QueueKeyManager,
) -> None:
    publish(redis_backend, redis_queue, "a")
    claim_all(redis_backend, redis_queue)
    redis_admin.script_flush()

    publish(redis_backend, redis_queue, "b")
    (claim,) = claim_all(redis_backend, redis_queue)

    assert payload_of(claim) == b"b"


def test_every_script_ships_with_a_header() -> None:
    for name in ("publish", "claim", "settle", "renew"):
        source = script_source(name)
        assert source.startswith("-- ")
        assert "KEYS[1]" in source.split("\n\n", 2)[1]


# -- many consumers ------------------------------------------------------------------


def test_concurrent_consumers_never_share_a_message(
    redis_server: LocalServer, redis_queue: QueueKeyManager
) -> None:
    producer_client = redis.Redis.from_url(redis_server.url)
    producer = SyncRedisBackend(producer_client)
    payloads = [f"m{index}" for index in range(300)]
    publish(producer, redis_queue, *payloads)
    taken: list[bytes] = []
    lock = threading.Lock()

    def consume() -> None:
        client = redis.Redis.from_url(redis_server.url)
        backend = SyncRedisBackend(client)
        while claims := backend.claim(redis_queue, ClaimOptions(max_messages=7)).claims:
            with lock:
                taken.extend(payload_of(claim) for claim in claims)
        client.close()

    consumers = [threading.Thread(target=consume) for _ in range(4)]
    for consumer in consumers:
        consumer.start()
    for consumer in consumers:
        consumer.join()
    producer_client.close()

    assert sorted(taken) == sorted(payload.encode() for payload in payloads)


def test_every_idle_consumer_wakes_on_one_push(
    redis_server: LocalServer, redis_queue: QueueKeyManager
) -> None:
    woke: list[bool] = []
    clients = [redis.Redis.from_url(redis_server.url) for _ in range(3)]

    def wait(client: redis.Redis) -> None:
        woke.append(SyncRedisBackend(client).wait_for_messages(redis_queue, 5.0))

    waiters = [threading.Thread(target=wait, args=(client,)) for client in clients]
    for waiter in waiters:
        waiter.start()
    time.sleep(0.2)
    publish(SyncRedisBackend(clients[0]), redis_queue, "one")
    for waiter in waiters:
        waiter.join()
    for client in clients:
        client.close()

    assert woke == [True, True, True]


# -- errors --------------------------------------------------------------------------


def test_error_classes_keep_redis_py_bases() -> None:
    """G20: the script and retry errors keep their redis-py bases."""
    assert LuaScriptError.__bases__ == (
        redis.exceptions.ResponseError,
        RedisMessageQueueError,
    )
    assert RetryBudgetExhaustedError.__bases__ == (
        redis.exceptions.RedisError,
        RedisMessageQueueError,
    )
    error = RetryBudgetExhaustedError("gave up", queue="q", operation="claim")
    assert (error.queue, error.operation, str(error)) == ("q", "claim", "gave up")


@pytest.mark.parametrize(
    "error_class",
    [redis.exceptions.ResponseError, valkey.exceptions.ResponseError],
)
def test_wrong_type_replies_of_either_library_are_translated(
    error_class: type[Exception],
) -> None:
    """Q28: WRONGTYPE replies of either client library become LuaScriptError."""
    queue = QueueKeyManager("orders")
    original = error_class("WRONGTYPE Operation against a key holding the wrong kind")

    with pytest.raises(LuaScriptError) as raised, translated_errors(queue, "claim"):
        raise original

    assert raised.value.__cause__ is original
    assert (raised.value.queue, raised.value.operation) == ("orders", "claim")


@pytest.mark.parametrize(
    "error",
    [
        redis.exceptions.ResponseError("ERR something else"),
        valkey.exceptions.ResponseError("NOSCRIPT No matching script"),
        redis.exceptions.ConnectionError("gone"),
        ValueError("not ours"),
    ],
)
def test_other_errors_pass_through_unchanged(error: Exception) -> None:
    """Q28: any other error is raised as the client raised it."""
    with (
        pytest.raises(type(error)) as raised,
        translated_errors(QueueKeyManager("orders"), "publish"),
    ):
        raise error

    assert raised.value is error
