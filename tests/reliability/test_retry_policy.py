"""What is retried and for how long: the budget, the interrupt handler, and the
calls and errors that are never retried. Real servers; timing bounds are generous.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import redis
import redis.exceptions
import valkey.exceptions

from redis_message_queue.adapters.redis import RetryBudgetExhaustedError
from redis_message_queue.adapters.redis.errors import is_transient
from redis_message_queue.core.envelope import encode
from redis_message_queue.core.errors import RedisMessageQueueError
from redis_message_queue.core.events import EventOperation
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports import ClaimOptions, Publication
from redis_message_queue.core.retry import RetryPolicy
from redis_message_queue.interrupt_handler import EventDrivenInterruptHandler
from redis_message_queue.local_server import LocalServer
from tests.reliability.conftest import EventLog, RetryingPortFactory
from tests.support.proxy import CuttingProxy

CONNECTION_ERRORS = (
    redis.exceptions.ConnectionError,
    valkey.exceptions.ConnectionError,
)
AUTHENTICATION_ERRORS = (
    redis.exceptions.AuthenticationError,
    valkey.exceptions.AuthenticationError,
)


@pytest.fixture
def stopped_port(server: LocalServer) -> int:
    """The port of a server of this flavour that was started and stopped again."""
    stopped = LocalServer(server.flavour).start()
    stopped.stop()
    return stopped.port


@pytest.fixture
def wrong_password_user(admin: redis.Redis) -> Iterator[str]:
    """A server user whose password is not the one the test's client sends."""
    name = f"rmq-{uuid.uuid4().hex[:8]}"
    admin.acl_setuser(
        name, enabled=True, passwords=["+right"], keys=["*"], commands=["+@all"]
    )
    yield name
    admin.acl_deluser(name)


def test_exhausted_budget_raises_a_redis_error_with_the_cause(
    retrying_port: RetryingPortFactory,
    stopped_port: int,
    queue: QueueKeyManager,
    event_log: EventLog,
) -> None:
    """Q25: against a stopped server, a 1 s budget ends in RetryBudgetExhaustedError."""
    port = retrying_port(stopped_port, RetryPolicy(retry_budget_seconds=1))
    started = time.monotonic()

    with pytest.raises(RetryBudgetExhaustedError) as caught:
        port.claim(queue, ClaimOptions(lease_ms=1_000))

    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 15.0
    error = caught.value
    assert isinstance(error, redis.RedisError)
    assert isinstance(error, RedisMessageQueueError)
    assert isinstance(error.__cause__, CONNECTION_ERRORS)
    assert (error.queue, error.operation) == (queue.queue_name, "claim")

    attempts = event_log.of(EventOperation.RETRY_ATTEMPT)
    (exhausted,) = event_log.of(EventOperation.RETRY_EXHAUSTED)
    assert len(attempts) >= 2
    claim_ids = {event.claim_id for event in [*attempts, exhausted]}
    assert len(claim_ids) == 1, "every attempt of one claim carries its claim id"
    assert None not in claim_ids


def test_zero_budget_makes_a_single_attempt(
    retrying_port: RetryingPortFactory,
    stopped_port: int,
    queue: QueueKeyManager,
    event_log: EventLog,
) -> None:
    """Q25: retry_budget_seconds=0 makes one attempt; the client's error is raised."""
    port = retrying_port(stopped_port, RetryPolicy(retry_budget_seconds=0))

    with pytest.raises(CONNECTION_ERRORS):
        port.claim(queue, ClaimOptions(lease_ms=1_000))

    assert event_log.events == []


def test_interrupt_stops_retrying_early(
    retrying_port: RetryingPortFactory,
    stopped_port: int,
    queue: QueueKeyManager,
    event_log: EventLog,
) -> None:
    """Q25: once the interrupt handler reports a stop, the last error is raised."""
    stop = threading.Event()
    port = retrying_port(
        stopped_port,
        RetryPolicy(retry_budget_seconds=60),
        interrupt=EventDrivenInterruptHandler(stop),
    )
    timer = threading.Timer(0.3, stop.set)
    timer.start()
    started = time.monotonic()

    try:
        with pytest.raises(CONNECTION_ERRORS):
            port.claim(queue, ClaimOptions(lease_ms=1_000))
    finally:
        timer.cancel()

    assert time.monotonic() - started < 10.0, "the interrupt did not end the retries"
    assert event_log.of(EventOperation.RETRY_ATTEMPT)
    assert event_log.of(EventOperation.RETRY_EXHAUSTED) == []


def test_publish_without_dedup_key_is_not_retried(
    retrying_port: RetryingPortFactory,
    proxy: CuttingProxy,
    admin: redis.Redis,
    queue: QueueKeyManager,
    event_log: EventLog,
) -> None:
    """Q25: a plain push cannot be told from its repeat, so a lost reply is raised.

    The message is on the server: a retry would have pushed it twice.
    """
    port = retrying_port()

    proxy.cut_after_next_command()
    with pytest.raises(CONNECTION_ERRORS):
        port.publish(queue, [Publication(encode("plain"))])

    assert admin.llen(queue.pending) == 1
    assert event_log.events == []


def test_authentication_error_is_not_retried(
    retrying_port: RetryingPortFactory,
    server: LocalServer,
    wrong_password_user: str,
    queue: QueueKeyManager,
    event_log: EventLog,
) -> None:
    """Q25: refused credentials will not heal: raised after one attempt, not retried."""
    port = retrying_port(
        server.port,
        RetryPolicy(retry_budget_seconds=60),
        username=wrong_password_user,
        password=f"not-{wrong_password_user}",
    )
    started = time.monotonic()

    with pytest.raises(AUTHENTICATION_ERRORS):
        port.claim(queue, ClaimOptions(lease_ms=1_000))

    assert time.monotonic() - started < 10.0
    assert event_log.events == []


@pytest.mark.parametrize(
    ("error_class", "transient"),
    [
        (redis.exceptions.ConnectionError, True),
        (redis.exceptions.TimeoutError, True),
        (redis.exceptions.BusyLoadingError, True),
        (redis.exceptions.ClusterDownError, True),
        (redis.exceptions.TryAgainError, True),
        (redis.exceptions.ReadOnlyError, True),
        (redis.exceptions.AuthenticationError, False),
        (redis.exceptions.AuthorizationError, False),
        (redis.exceptions.ResponseError, False),
        (valkey.exceptions.ConnectionError, True),
        (valkey.exceptions.TimeoutError, True),
        (valkey.exceptions.ClusterDownError, True),
        (valkey.exceptions.TryAgainError, True),
        (valkey.exceptions.ReadOnlyError, True),
        (valkey.exceptions.AuthenticationError, False),
        (valkey.exceptions.AuthorizationError, False),
        (RetryBudgetExhaustedError, False),
        (OSError, False),
    ],
    ids=lambda value: (
        f"{value.__module__.split('.')[0]}.{value.__name__}"
        if isinstance(value, type)
        else str(value)
    ),
)
def test_which_errors_are_transient(
    error_class: type[BaseException], transient: bool
) -> None:
    """Q25: only connection, timeout and failover errors are retried."""
    assert is_transient(error_class("failure")) is transient


def test_a_dropped_wait_wakes_the_consumer(
    retrying_port: RetryingPortFactory,
    proxy: CuttingProxy,
    queue: QueueKeyManager,
) -> None:
    """Q25: a wait whose connection drops returns as a wake-up; the claim retries."""
    port = retrying_port()
    timer = threading.Timer(0.2, proxy.drop_connections)
    timer.start()
    started = time.monotonic()

    try:
        assert port.wait_for_messages(queue, 5.0) is True
    finally:
        timer.cancel()

    assert time.monotonic() - started < 4.0
    assert port.claim(queue, ClaimOptions(lease_ms=1_000)).claims == ()
