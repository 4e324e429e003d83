"""The Redis backend on real servers: every flavour, both client libraries, sync and
asyncio (see ``conftest.py`` for the matrix).
"""

from __future__ import annotations

import threading
import time

import pytest
import redis
import redis.exceptions

from redis_message_queue.adapters.redis import (
    AsyncRedisBackend,
    SyncRedisBackend,
)
from redis_message_queue.core.envelope import decode, encode
from redis_message_queue.core.errors import (
    QueueBackpressureError,
)
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports import (
    AsyncBackend,
    Capability,
    ClaimOptions,
    Outcome,
    Publication,
    PublishOptions,
    Settlement,
    SyncBackend,
)
from redis_message_queue.core.replay import marker_value
from redis_message_queue.core.settings import OverloadPolicy
from redis_message_queue.local_server import LocalServer
from tests.adapters.conftest import (
    LONG_LEASE_MS,
    AsyncioBridge,
    ClientVariant,
    ack,
    as_bytes,
    claim_all,
    key_of,
    payload_of,
    publish,
    snapshot,
)

# -- the backend's shape -------------------------------------------------------------


def test_backends_implement_the_ports() -> None:
    assert issubclass(AsyncRedisBackend, AsyncBackend)
    assert issubclass(SyncRedisBackend, SyncBackend)


def test_capabilities_and_reply_type(
    redis_backend: SyncBackend,
    redis_variant: ClientVariant,
    redis_queue: QueueKeyManager,
) -> None:
    assert redis_backend.capabilities == {
        Capability.BLOCKING_WAIT,
        Capability.SERVER_TIME,
        Capability.TYPE_CHECKED_KEYS,
    }
    assert redis_backend.decode_responses is redis_variant.decode_responses

    publish(redis_backend, redis_queue, "one")
    (claim,) = claim_all(redis_backend, redis_queue)

    expected = str if redis_variant.decode_responses else bytes
    assert isinstance(claim.stored, expected)
    assert isinstance(claim.lease_token, str)


# -- publish -------------------------------------------------------------------------


def test_claims_come_out_oldest_first_with_unique_tokens(
    redis_backend: SyncBackend, redis_queue: QueueKeyManager
) -> None:
    """R1: claims take the oldest first, each with its own token."""
    first = publish(redis_backend, redis_queue, "a", "b", "c")
    second = publish(redis_backend, redis_queue, "d", "e")

    claims = claim_all(redis_backend, redis_queue)

    assert [as_bytes(c.stored) for c in claims] == [
        value.encode() for value in first + second
    ]
    assert len({c.lease_token for c in claims}) == 5
    assert {c.delivery_count for c in claims} == {1}
    assert redis_backend.depths(redis_queue).processing == 5


def test_dedup_marker_suppresses_and_expires_by_its_ttl(
    redis_backend: SyncBackend,
    redis_admin: redis.Redis,
    redis_queue: QueueKeyManager,
) -> None:
    marker = redis_queue.deduplication("order-1")
    options = PublishOptions(dedup_ttl_seconds=30)

    def publish_once(stored: str) -> tuple[bool, ...]:
        publication = Publication(stored=stored, dedup_key=marker)
        return redis_backend.publish(redis_queue, [publication], options).enqueued

    first = encode("order")
    assert publish_once(first) == (True,)
    assert publish_once(encode("order")) == (False,)
    # The marker names the publication that set it, so a repeat can recognise it.
    assert redis_admin.get(marker) == marker_value(first).encode()
    assert 0 < int(redis_admin.ttl(marker)) <= 30
    assert redis_backend.depths(redis_queue).pending == 1


def test_first_of_equal_dedup_keys_in_one_call_wins(
    redis_backend: SyncBackend, redis_queue: QueueKeyManager
) -> None:
    marker = redis_queue.deduplication("same")
    publications = [
        Publication(stored=encode("first"), dedup_key=marker),
        Publication(stored=encode("plain")),
        Publication(stored=encode("second"), dedup_key=marker),
    ]

    result = redis_backend.publish(redis_queue, publications, PublishOptions())

    assert result.enqueued == (True, True, False)
    claims = claim_all(redis_backend, redis_queue)
    assert [payload_of(c) for c in claims] == [b"first", b"plain"]


@pytest.mark.parametrize("policy", [OverloadPolicy.RAISE, OverloadPolicy.BLOCK])
def test_refusing_policies_write_nothing(
    redis_backend: SyncBackend,
    redis_admin: redis.Redis,
    redis_queue: QueueKeyManager,
    policy: OverloadPolicy,
) -> None:
    options = PublishOptions(max_pending_length=2, overload_policy=policy)
    publish(redis_backend, redis_queue, "a", "b", options=options)
    before = snapshot(redis_admin, redis_queue)

    marked = Publication(encode("c"), dedup_key=redis_queue.deduplication("c"))
    with pytest.raises(QueueBackpressureError) as raised:
        redis_backend.publish(redis_queue, [marked], options)

    assert raised.value.queue == redis_queue.queue_name
    assert raised.value.operation == "publish"
    assert snapshot(redis_admin, redis_queue) == before


def test_suppressed_duplicates_do_not_count_against_the_cap(
    redis_backend: SyncBackend, redis_queue: QueueKeyManager
) -> None:
    options = PublishOptions(max_pending_length=1)
    marker = redis_queue.deduplication("once")
    publication = Publication(stored=encode("once"), dedup_key=marker)
    redis_backend.publish(redis_queue, [publication], options)

    again = Publication(stored=encode("once"), dedup_key=marker)
    result = redis_backend.publish(redis_queue, [again], options)

    assert result.enqueued == (False,)


def test_drop_oldest_makes_room_and_reports_what_it_dropped(
    redis_backend: SyncBackend, redis_queue: QueueKeyManager
) -> None:
    options = PublishOptions(
        max_pending_length=3, overload_policy=OverloadPolicy.DROP_OLDEST
    )
    oldest = publish(redis_backend, redis_queue, "a", "b", "c", options=options)

    publications = [Publication(encode("d")), Publication(encode("e"))]
    result = redis_backend.publish(redis_queue, publications, options)

    assert result.enqueued == (True, True)
    assert [as_bytes(value) for value in result.dropped] == [
        oldest[0].encode(),
        oldest[1].encode(),
    ]
    claims = claim_all(redis_backend, redis_queue)
    assert [payload_of(c) for c in claims] == [b"c", b"d", b"e"]


def test_drop_oldest_refuses_a_batch_larger_than_the_cap(
    redis_backend: SyncBackend, redis_queue: QueueKeyManager
) -> None:
    options = PublishOptions(
        max_pending_length=1, overload_policy=OverloadPolicy.DROP_OLDEST
    )
    publish(redis_backend, redis_queue, "kept", options=options)

    with pytest.raises(QueueBackpressureError):
        publish(redis_backend, redis_queue, "x", "y", options=options)

    assert [payload_of(c) for c in claim_all(redis_backend, redis_queue)] == [b"kept"]


# -- claim: leases, reclaim, dead letters --------------------------------------------


def test_expired_leases_come_back_earliest_deadline_first(
    redis_backend: SyncBackend, redis_queue: QueueKeyManager
) -> None:
    """R7: expired leases go back to the claim end, earliest deadline first."""
    publish(redis_backend, redis_queue, "late", "early")
    late = redis_backend.claim(redis_queue, ClaimOptions(lease_ms=250))
    early = redis_backend.claim(redis_queue, ClaimOptions(lease_ms=100))
    assert late.next_expiry_ms is not None
    assert 0 < late.next_expiry_ms <= 250

    not_yet = redis_backend.claim(redis_queue, ClaimOptions(lease_ms=LONG_LEASE_MS))
    assert not_yet.reclaimed == ()
    assert not_yet.claims == ()

    time.sleep(0.35)
    result = redis_backend.claim(redis_queue, ClaimOptions(lease_ms=LONG_LEASE_MS))

    assert result.reclaimed == (early.claims[0].stored, late.claims[0].stored)
    (again,) = result.claims
    assert again.stored == early.claims[0].stored
    assert again.delivery_count == 2
    assert again.lease_token != early.claims[0].lease_token
    assert redis_backend.depths(redis_queue).pending == 1


def test_reclaim_is_limited_per_step(
    redis_backend: SyncBackend, redis_queue: QueueKeyManager
) -> None:
    """R7: one claim step takes back at most `reclaim_limit` leases."""
    publish(redis_backend, redis_queue, "a", "b", "c")
    claim_all(redis_backend, redis_queue, lease_ms=50)
    time.sleep(0.1)

    options = ClaimOptions(max_messages=0, lease_ms=LONG_LEASE_MS, reclaim_limit=2)
    result = redis_backend.claim(redis_queue, options)

    assert len(result.reclaimed) == 2
    assert result.claims == ()
    assert result.next_expiry_ms == 0


def test_claims_without_a_lease_are_never_reclaimed(
    redis_backend: SyncBackend,
    redis_admin: redis.Redis,
    redis_queue: QueueKeyManager,
) -> None:
    publish(redis_backend, redis_queue, "a")

    result = redis_backend.claim(redis_queue, ClaimOptions(lease_ms=None))

    assert len(result.claims) == 1
    assert result.next_expiry_ms is None
    assert redis_admin.exists(redis_queue.lease_deadlines) == 0
    assert redis_backend.claim(redis_queue, ClaimOptions()).reclaimed == ()


def test_dead_letter_after_max_deliveries_then_go_on(
    redis_backend: SyncBackend,
    redis_admin: redis.Redis,
    redis_queue: QueueKeyManager,
) -> None:
    poison = 'h\u00e9llo \u2713 \U0001f389 "quoted" \\ end'
    (stored,) = publish(redis_backend, redis_queue, poison)
    options = ClaimOptions(lease_ms=50, max_delivery_count=2)
    for delivery in (1, 2):
        (claim,) = redis_backend.claim(redis_queue, options).claims
        assert claim.delivery_count == delivery
        time.sleep(0.1)
    publish(redis_backend, redis_queue, "healthy")

    result = redis_backend.claim(redis_queue, options)

    assert [as_bytes(value) for value in result.dead_lettered] == [stored.encode()]
    assert [payload_of(c) for c in result.claims] == [b"healthy"]
    assert redis_admin.lrange(redis_queue.dead_letter, 0, -1) == [poison.encode()]
    message_id = decode(stored).message_id
    assert message_id is not None
    assert redis_admin.hexists(redis_queue.delivery_counts, message_id) == 0


def test_foreign_value_is_counted_by_value_and_dead_lettered_unchanged(
    redis_backend: SyncBackend,
    redis_admin: redis.Redis,
    redis_queue: QueueKeyManager,
) -> None:
    redis_admin.lpush(redis_queue.pending, b"from-another-program")
    options = ClaimOptions(lease_ms=50, max_delivery_count=1)

    (claim,) = redis_backend.claim(redis_queue, options).claims
    assert as_bytes(claim.stored) == b"from-another-program"
    counts = redis_admin.hgetall(redis_queue.delivery_counts)
    assert counts == {b"from-another-program": b"1"}
    time.sleep(0.1)

    result = redis_backend.claim(redis_queue, options)

    assert result.claims == ()
    dead = redis_admin.lrange(redis_queue.dead_letter, 0, -1)
    assert dead == [b"from-another-program"]


# -- settle and renew ----------------------------------------------------------------


def test_ack_keeps_the_newest_history_and_forgets_the_claim(
    redis_backend: SyncBackend,
    redis_admin: redis.Redis,
    redis_queue: QueueKeyManager,
) -> None:
    publish(redis_backend, redis_queue, "a", "b", "c")

    for claim in claim_all(redis_backend, redis_queue):
        assert ack(redis_backend, redis_queue, claim, redis_queue.completed, 2)

    assert redis_admin.lrange(redis_queue.completed, 0, -1) == [b"c", b"b"]
    for role in ("processing", "lease_deadlines", "delivery_counts"):
        assert redis_admin.exists(key_of(redis_queue, role)) == 0


def test_nack_without_a_limit_keeps_every_failure(
    redis_backend: SyncBackend,
    redis_admin: redis.Redis,
    redis_queue: QueueKeyManager,
) -> None:
    publish(redis_backend, redis_queue, "a", "b")

    for claim in claim_all(redis_backend, redis_queue):
        settlement = Settlement(
            stored=claim.stored,
            lease_token=claim.lease_token,
            outcome=Outcome.NACK,
            history_key=redis_queue.failed,
            history_payload=b"failed:" + payload_of(claim),
        )
        assert redis_backend.settle(redis_queue, settlement)

    failed = redis_admin.lrange(redis_queue.failed, 0, -1)
    assert failed == [b"failed:b", b"failed:a"]
    assert redis_backend.depths(redis_queue).failed == 2


def test_settle_without_history_keeps_nothing(
    redis_backend: SyncBackend,
    redis_admin: redis.Redis,
    redis_queue: QueueKeyManager,
) -> None:
    publish(redis_backend, redis_queue, "a")
    (claim,) = claim_all(redis_backend, redis_queue)

    assert ack(redis_backend, redis_queue, claim)

    assert snapshot(redis_admin, redis_queue) == {}


def test_a_stale_token_settles_and_renews_nothing(
    redis_backend: SyncBackend,
    redis_admin: redis.Redis,
    redis_queue: QueueKeyManager,
) -> None:
    publish(redis_backend, redis_queue, "a")
    (stale,) = claim_all(redis_backend, redis_queue, lease_ms=50)
    time.sleep(0.1)
    (current,) = claim_all(redis_backend, redis_queue)
    before = snapshot(redis_admin, redis_queue)

    renewed = redis_backend.renew(redis_queue, stale.stored, stale.lease_token, 10_000)
    settled = ack(redis_backend, redis_queue, stale, redis_queue.completed, 10)

    assert (renewed, settled) == (False, False)
    assert snapshot(redis_admin, redis_queue) == before
    assert current.stored == stale.stored


def test_renew_moves_the_deadline_by_the_server_clock(
    redis_backend: SyncBackend,
    redis_admin: redis.Redis,
    redis_queue: QueueKeyManager,
) -> None:
    """R4, R10: deadlines are measured by the server's clock, not the client's."""
    publish(redis_backend, redis_queue, "a")
    (claim,) = claim_all(redis_backend, redis_queue, lease_ms=150)
    first_deadline = redis_admin.zscore(redis_queue.lease_deadlines, claim.lease_token)

    renewed = redis_backend.renew(
        redis_queue, claim.stored, claim.lease_token, LONG_LEASE_MS
    )
    time.sleep(0.25)

    assert renewed
    deadline = redis_admin.zscore(redis_queue.lease_deadlines, claim.lease_token)
    assert first_deadline is not None
    assert deadline is not None
    assert deadline > first_deadline + LONG_LEASE_MS / 2
    assert redis_backend.claim(redis_queue, ClaimOptions()).reclaimed == ()


def test_renew_refuses_a_claim_without_a_lease(
    redis_backend: SyncBackend,
    redis_admin: redis.Redis,
    redis_queue: QueueKeyManager,
) -> None:
    publish(redis_backend, redis_queue, "a")
    (claim,) = claim_all(redis_backend, redis_queue, lease_ms=None)

    assert not redis_backend.renew(redis_queue, claim.stored, claim.lease_token, 100)
    assert redis_admin.exists(redis_queue.lease_deadlines) == 0


# -- depths and waiting --------------------------------------------------------------


def test_depths_count_every_part(
    redis_backend: SyncBackend,
    redis_admin: redis.Redis,
    redis_queue: QueueKeyManager,
) -> None:
    publish(redis_backend, redis_queue, "a", "b", "c", "d")
    claimed = redis_backend.claim(redis_queue, ClaimOptions(max_messages=2))
    first, second = claimed.claims
    ack(redis_backend, redis_queue, first, redis_queue.completed)
    redis_admin.lpush(redis_queue.failed, b"x", b"y")
    redis_admin.lpush(redis_queue.dead_letter, b"z")

    depths = redis_backend.depths(redis_queue)

    assert (depths.pending, depths.processing) == (2, 1)
    assert (depths.completed, depths.failed, depths.dead_letter) == (1, 2, 1)
    assert second.delivery_count == 1


def test_wait_wakes_on_a_push_by_another_program(
    redis_backend: SyncBackend,
    redis_server: LocalServer,
    redis_queue: QueueKeyManager,
) -> None:
    pushed_at: list[float] = []

    def push_later() -> None:
        time.sleep(0.2)
        other = redis.Redis.from_url(redis_server.url)
        pushed_at.append(time.monotonic())
        other.lpush(redis_queue.pending, b"foreign")
        other.close()

    pusher = threading.Thread(target=push_later)
    pusher.start()
    woke = redis_backend.wait_for_messages(redis_queue, 5.0)
    woke_at = time.monotonic()
    pusher.join()

    assert woke
    assert woke_at - pushed_at[0] < 0.5
    assert redis_backend.depths(redis_queue).pending == 1


def test_wait_times_out_on_an_empty_queue(
    redis_backend: SyncBackend, redis_queue: QueueKeyManager
) -> None:
    started = time.monotonic()

    woke = redis_backend.wait_for_messages(redis_queue, 0.3)

    assert not woke
    assert 0.25 <= time.monotonic() - started < 2.0
    assert not redis_backend.wait_for_messages(redis_queue, 0)


def test_wait_leaves_pending_as_it_was(
    redis_backend: SyncBackend,
    redis_admin: redis.Redis,
    redis_queue: QueueKeyManager,
) -> None:
    publish(redis_backend, redis_queue, "a", "b", "c")
    before = redis_admin.lrange(redis_queue.pending, 0, -1)

    assert redis_backend.wait_for_messages(redis_queue, 1.0)
    assert redis_backend.wait_for_messages(redis_queue, 0)

    assert redis_admin.lrange(redis_queue.pending, 0, -1) == before


def test_peek_lists_the_newest_entries_first(
    redis_backend: SyncRedisBackend | AsyncioBridge,
    redis_admin: redis.Redis,
    redis_queue: QueueKeyManager,
) -> None:
    redis_admin.lpush(redis_queue.completed, b"old", b"middle", b"new")

    peeked = redis_backend.peek(redis_queue, redis_queue.completed, 2)

    assert [as_bytes(value) for value in peeked] == [b"new", b"middle"]
    assert redis_backend.peek(redis_queue, redis_queue.completed, 0) == ()
