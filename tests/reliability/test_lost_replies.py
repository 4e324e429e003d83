"""A reply lost after the server ran the call: the retry returns the first run's
result, and no message is lost or delivered twice.

Each test arms the proxy to forward the next command and drop its reply. The event
log reads the server when the retrying backend reports the failed attempt, which
proves that the first run happened before its reply was lost. Every server flavour,
both client libraries, sync and asyncio.
"""

from __future__ import annotations

import pytest
import redis
import redis.retry
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff

from redis_message_queue.core.envelope import decode, encode
from redis_message_queue.core.events import EventOperation
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports import (
    Claim,
    ClaimOptions,
    Outcome,
    Publication,
    Settlement,
)
from redis_message_queue.core.retry import RetryPolicy
from tests.reliability.conftest import (
    TEST_POLICY,
    EventLog,
    RetryingPortFactory,
    Variant,
)
from tests.support.proxy import CuttingProxy

LEASE_MS = 60_000


def _texts(claims: tuple[Claim, ...]) -> list[str]:
    texts = []
    for claim in claims:
        payload = decode(claim.stored).payload
        texts.append(payload.decode() if isinstance(payload, bytes) else payload)
    return texts


def _ack(claim: Claim) -> Settlement:
    return Settlement(claim.stored, claim.lease_token, outcome=Outcome.ACK)


def test_dedup_publish_retry_reports_enqueued(
    retrying_port: RetryingPortFactory,
    proxy: CuttingProxy,
    admin: redis.Redis,
    queue: QueueKeyManager,
    event_log: EventLog,
) -> None:
    """R21: the retry of a publish whose reply was lost returns True, not False."""
    port = retrying_port()
    marker = queue.deduplication("order-1")
    event_log.read = lambda: admin.llen(queue.pending)

    proxy.cut_after_next_command()
    result = port.publish(queue, [Publication(encode("order-1"), marker)])

    assert result.enqueued == (True,)
    assert proxy.cuts == 1
    assert event_log.readings == [1], "the first run must have pushed the message"
    assert admin.llen(queue.pending) == 1
    again = Publication(encode("order-1"), marker)
    assert port.publish(queue, [again]).enqueued == (False,)


def test_claim_retry_returns_what_the_lost_claim_took(
    retrying_port: RetryingPortFactory,
    proxy: CuttingProxy,
    admin: redis.Redis,
    queue: QueueKeyManager,
    event_log: EventLog,
) -> None:
    """R22: the retry returns the messages the first run claimed, and no others."""
    port = retrying_port()
    port.publish(queue, [Publication(encode(text)) for text in ("a", "b", "c")])
    event_log.read = lambda: (admin.llen(queue.pending), admin.hlen(queue.processing))

    proxy.cut_after_next_command()
    result = port.claim(queue, ClaimOptions(max_messages=2, lease_ms=LEASE_MS))

    assert _texts(result.claims) == ["a", "b"]
    assert [claim.delivery_count for claim in result.claims] == [1, 1]
    assert event_log.readings == [(1, 2)], "the first run must have claimed a and b"
    (attempt,) = event_log.of(EventOperation.RETRY_ATTEMPT)
    assert attempt.claim_id is not None
    assert all(c.lease_token.startswith(f"{attempt.claim_id}:") for c in result.claims)

    for claim in result.claims:
        assert port.settle(queue, _ack(claim)) is True
    rest = port.claim(queue, ClaimOptions(max_messages=10, lease_ms=LEASE_MS))
    assert _texts(rest.claims) == ["c"], "a message was lost or delivered twice"


def test_claim_survives_two_lost_replies_in_a_row(
    retrying_port: RetryingPortFactory,
    proxy: CuttingProxy,
    admin: redis.Redis,
    queue: QueueKeyManager,
    event_log: EventLog,
) -> None:
    """R22: a repeat whose own reply is lost is repeated again, with the same result."""
    port = retrying_port()
    port.publish(queue, [Publication(encode(text)) for text in ("a", "b")])
    event_log.read = lambda: admin.hlen(queue.processing)

    proxy.cut_after_next_command(times=2)
    result = port.claim(queue, ClaimOptions(lease_ms=LEASE_MS))

    assert _texts(result.claims) == ["a"]
    assert result.claims[0].delivery_count == 1
    assert proxy.cuts == 2
    assert event_log.readings == [1, 1]
    assert admin.llen(queue.pending) == 1


@pytest.mark.parametrize("outcome", [Outcome.ACK, Outcome.NACK], ids=str)
def test_settle_retry_reports_settled(
    retrying_port: RetryingPortFactory,
    proxy: CuttingProxy,
    admin: redis.Redis,
    queue: QueueKeyManager,
    event_log: EventLog,
    outcome: Outcome,
) -> None:
    """R23: the retry of an ack or nack whose reply was lost returns True."""
    port = retrying_port()
    port.publish(queue, [Publication(encode("job"))])
    (claim,) = port.claim(queue, ClaimOptions(lease_ms=LEASE_MS)).claims
    history = queue.completed if outcome is Outcome.ACK else queue.failed
    settlement = Settlement(
        claim.stored,
        claim.lease_token,
        outcome=outcome,
        history_key=history,
        history_payload=decode(claim.stored).payload,
    )
    event_log.read = lambda: (admin.hlen(queue.processing), admin.llen(history))

    proxy.cut_after_next_command()
    settled = port.settle(queue, settlement)

    assert settled is True
    assert event_log.readings == [(0, 1)], "the first run must have settled it"
    assert admin.llen(history) == 1, "the payload was kept twice"
    record_ttl = int(admin.ttl(queue.settled(claim.lease_token)))
    assert 0 < record_ttl <= TEST_POLICY.settle_record_seconds
    assert port.claim(queue, ClaimOptions(lease_ms=LEASE_MS)).claims == ()
    assert port.depths(queue).processing == 0


def test_renew_retry_reports_renewed(
    retrying_port: RetryingPortFactory,
    proxy: CuttingProxy,
    admin: redis.Redis,
    queue: QueueKeyManager,
    event_log: EventLog,
) -> None:
    """R24: the retry of a renewal whose reply was lost returns True."""
    port = retrying_port()
    port.publish(queue, [Publication(encode("long job"))])
    (claim,) = port.claim(queue, ClaimOptions(lease_ms=1_000)).claims
    seconds, microseconds = admin.time()
    server_now_ms = seconds * 1000 + microseconds // 1000
    event_log.read = lambda: admin.zscore(queue.lease_deadlines, claim.lease_token)

    proxy.cut_after_next_command()
    renewed = port.renew(queue, claim.stored, claim.lease_token, LEASE_MS)

    assert renewed is True
    (deadline_after_first_run,) = event_log.readings
    assert isinstance(deadline_after_first_run, float)
    assert deadline_after_first_run > server_now_ms + LEASE_MS / 2
    assert port.settle(queue, _ack(claim)) is True


def test_repeats_by_the_client_library_are_safe_too(
    retrying_port: RetryingPortFactory,
    proxy: CuttingProxy,
    admin: redis.Redis,
    queue: QueueKeyManager,
    event_log: EventLog,
    variant: Variant,
) -> None:
    """R21-R23: redis-py repeats a command itself after a dropped connection (by
    default); the repeat rules make those repeats return the first result too.
    """
    if variant.library != "redis-py":
        pytest.skip("valkey-py does not repeat commands by default")
    retry_class = redis.retry.Retry if variant.flavour == "sync" else AsyncRetry
    no_own_retries = RetryPolicy(retry_budget_seconds=0)
    port = retrying_port(policy=no_own_retries, retry=retry_class(NoBackoff(), 3))
    marker = queue.deduplication("client-retried")

    proxy.cut_after_next_command()
    assert port.publish(queue, [Publication(encode("x"), marker)]).enqueued == (True,)
    proxy.cut_after_next_command()
    (claim,) = port.claim(queue, ClaimOptions(lease_ms=LEASE_MS)).claims
    proxy.cut_after_next_command()
    assert port.settle(queue, _ack(claim)) is True

    assert proxy.cuts == 3
    assert claim.delivery_count == 1
    depths = port.depths(queue)
    assert (depths.pending, depths.processing) == (0, 0)
    assert event_log.events == [], "the client library did the repeating"
