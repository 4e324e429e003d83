"""Focused tests of the in-memory adapter: store, backends, waits, lifecycle.

The contract suite checks the rules every backend shares; these tests pin down the
details of this adapter, with a manual clock wherever time matters.
"""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from collections.abc import Callable

import pytest

from redis_message_queue.adapters.memory import (
    AsyncMemoryBackend,
    MemoryBackend,
    MemoryStore,
    SyncMemoryBackend,
)
from redis_message_queue.adapters.memory.clock import SystemClock
from redis_message_queue.adapters.memory.deadlines import DeadlineIndex
from redis_message_queue.adapters.memory.record import MessageRecord
from redis_message_queue.adapters.memory.waiters import LoopWaiter
from redis_message_queue.core import envelope
from redis_message_queue.core.clock import ManualClock
from redis_message_queue.core.envelope import MessageData
from redis_message_queue.core.errors import (
    ConfigurationError,
    LifecycleError,
    QueueBackpressureError,
)
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.lifecycle import Move, State
from redis_message_queue.core.ports import (
    Capability,
    Claim,
    ClaimOptions,
    Outcome,
    Publication,
    PublishOptions,
    Settlement,
)
from redis_message_queue.core.replay import lease_tokens
from redis_message_queue.core.settings import OverloadPolicy

LEASE = ClaimOptions(lease_ms=1_000)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(clock: ManualClock) -> MemoryStore:
    return MemoryStore(clock)


@pytest.fixture
def backend(store: MemoryStore) -> SyncMemoryBackend:
    return SyncMemoryBackend(store)


@pytest.fixture
def keys() -> QueueKeyManager:
    return QueueKeyManager("orders")


def publish(
    backend: SyncMemoryBackend,
    keys: QueueKeyManager,
    *texts: str,
    options: PublishOptions | None = None,
) -> list[str]:
    stored = [envelope.encode(text) for text in texts]
    publications = [Publication(value) for value in stored]
    backend.publish(keys, publications, options or PublishOptions())
    return stored


def claim_one(
    backend: SyncMemoryBackend, keys: QueueKeyManager, options: ClaimOptions = LEASE
) -> Claim:
    (claim,) = backend.claim(keys, options).claims
    return claim


def payload_of(stored: MessageData) -> MessageData:
    return envelope.decode(stored).payload


def settle(
    backend: SyncMemoryBackend,
    keys: QueueKeyManager,
    claim: Claim,
    outcome: Outcome = Outcome.ACK,
    *,
    history_key: str | None = None,
    history_payload: MessageData | None = None,
    history_limit: int | None = None,
) -> bool:
    settlement = Settlement(
        claim.stored,
        claim.lease_token,
        outcome,
        history_key=history_key,
        history_payload=history_payload,
        history_limit=history_limit,
    )
    return backend.settle(keys, settlement)


def wait_until(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.001)


# -- construction -------------------------------------------------------------------


def test_memory_backend_is_the_sync_backend() -> None:
    assert MemoryBackend is SyncMemoryBackend


def test_capabilities_follow_the_clock(clock: ManualClock) -> None:
    manual = SyncMemoryBackend(clock=clock)
    real = AsyncMemoryBackend()

    assert manual.capabilities == {Capability.BLOCKING_WAIT, Capability.MANUAL_CLOCK}
    assert manual.clock is clock
    assert real.capabilities == {Capability.BLOCKING_WAIT}
    assert isinstance(real.clock, SystemClock)


def test_backends_on_one_store_share_queues(
    store: MemoryStore, keys: QueueKeyManager
) -> None:
    producer = SyncMemoryBackend(store)
    consumer = SyncMemoryBackend(store)

    publish(producer, keys, "shared")

    assert payload_of(claim_one(consumer, keys).stored) == b"shared"


def test_a_second_clock_for_a_shared_store_is_refused(store: MemoryStore) -> None:
    with pytest.raises(ConfigurationError, match="MemoryStore"):
        SyncMemoryBackend(store, clock=ManualClock())

    assert SyncMemoryBackend(store, clock=store.clock).clock is store.clock


def test_system_clock_never_goes_backwards(monkeypatch: pytest.MonkeyPatch) -> None:
    readings = iter([10.0, 9.0, 11.0])
    monkeypatch.setattr(time, "time", lambda: next(readings))
    clock = SystemClock()

    assert [clock.now_ms(), clock.now_ms(), clock.now_ms()] == [10_000, 10_000, 11_000]


# -- values as a client sees them ---------------------------------------------------


def test_values_come_out_as_bytes_by_default(
    backend: SyncMemoryBackend, keys: QueueKeyManager
) -> None:
    (stored,) = publish(backend, keys, "héllo")

    claim = claim_one(backend, keys)

    assert claim.stored == stored.encode("utf-8")
    assert payload_of(claim.stored) == "héllo".encode()


def test_decode_responses_is_per_backend(
    store: MemoryStore, keys: QueueKeyManager
) -> None:
    text_client = SyncMemoryBackend(store, decode_responses=True)
    bytes_client = SyncMemoryBackend(store)
    publish(bytes_client, keys, "a", "b")

    as_text = claim_one(text_client, keys)
    as_bytes = claim_one(bytes_client, keys)

    assert isinstance(as_text.stored, str)
    assert isinstance(as_bytes.stored, bytes)
    assert settle(bytes_client, keys, as_text) is True, "a token works in any client"


def test_foreign_values_are_delivered_unchanged(
    backend: SyncMemoryBackend, store: MemoryStore, keys: QueueKeyManager
) -> None:
    foreign = b"\xff\xfe not utf-8"
    assert store.push_raw(keys, foreign) == 1
    store.push_raw(keys, "plain text")

    first = claim_one(backend, keys)
    second = claim_one(backend, keys)

    assert (first.stored, second.stored) == (foreign, b"plain text")
    assert settle(backend, keys, first) is True


def test_values_and_peek_list_newest_first(
    backend: SyncMemoryBackend, store: MemoryStore, keys: QueueKeyManager
) -> None:
    stored = publish(backend, keys, "old", "new")

    assert store.values(keys.pending, decode_responses=True) == stored[::-1]
    assert backend.peek(keys, keys.pending, 1) == (stored[1].encode(),)
    assert store.values("no such key") == []


def test_flush_forgets_everything(
    backend: SyncMemoryBackend, store: MemoryStore, keys: QueueKeyManager
) -> None:
    marker = keys.deduplication("x")
    backend.publish(keys, [Publication(envelope.encode("x"), marker)], PublishOptions())

    store.flush()

    assert backend.depths(keys).pending == 0
    again = Publication(envelope.encode("x"), marker)
    assert backend.publish(keys, [again], PublishOptions()).enqueued == (True,)


# -- deduplication ------------------------------------------------------------------


def test_dedup_marker_lives_exactly_its_ttl(
    backend: SyncMemoryBackend, clock: ManualClock, keys: QueueKeyManager
) -> None:
    options = PublishOptions(dedup_ttl_seconds=10)
    marker = keys.deduplication("same")

    def publish_once() -> bool:
        publication = Publication(envelope.encode("x"), marker)
        (enqueued,) = backend.publish(keys, [publication], options).enqueued
        return enqueued

    assert publish_once() is True
    clock.advance(10)
    assert publish_once() is False, "like Redis, a key lives through its expiry ms"
    clock.advance(0.001)
    assert publish_once() is True
    assert backend.depths(keys).pending == 2


def test_first_of_equal_keys_in_one_call_wins(
    backend: SyncMemoryBackend, keys: QueueKeyManager
) -> None:
    marker = keys.deduplication("k")
    batch = [
        Publication(envelope.encode("first"), marker),
        Publication(envelope.encode("second"), marker),
        Publication(envelope.encode("free")),
    ]

    result = backend.publish(keys, batch, PublishOptions())

    assert result.enqueued == (True, False, True)
    assert payload_of(claim_one(backend, keys).stored) == b"first"


# -- backpressure -------------------------------------------------------------------


@pytest.mark.parametrize("policy", [OverloadPolicy.RAISE, OverloadPolicy.BLOCK])
def test_refusing_policies_write_nothing(
    backend: SyncMemoryBackend, keys: QueueKeyManager, policy: OverloadPolicy
) -> None:
    options = PublishOptions(max_pending_length=2, overload_policy=policy)
    publish(backend, keys, "a", "b", options=options)
    marker = keys.deduplication("c")
    batch = [Publication(envelope.encode("c"), marker)]

    with pytest.raises(QueueBackpressureError) as caught:
        backend.publish(keys, batch, options)

    assert (caught.value.queue, caught.value.operation) == ("orders", "publish")
    assert backend.depths(keys).pending == 2
    assert backend.publish(keys, batch, PublishOptions()).enqueued == (True,)


def test_suppressed_duplicates_do_not_count_against_the_cap(
    backend: SyncMemoryBackend, keys: QueueKeyManager
) -> None:
    options = PublishOptions(max_pending_length=1)
    marker = keys.deduplication("only")
    backend.publish(keys, [Publication(envelope.encode("x"), marker)], options)

    duplicate = Publication(envelope.encode("x"), marker)
    assert backend.publish(keys, [duplicate], options).enqueued == (False,)


def test_drop_oldest_reports_what_it_dropped(
    backend: SyncMemoryBackend, keys: QueueKeyManager
) -> None:
    options = PublishOptions(
        max_pending_length=3, overload_policy=OverloadPolicy.DROP_OLDEST
    )
    stored = publish(backend, keys, "a", "b", "c", options=options)

    result = backend.publish(
        keys, [Publication(envelope.encode(t)) for t in ("d", "e")], options
    )

    assert result.dropped == (stored[0].encode(), stored[1].encode())
    claims = backend.claim(keys, ClaimOptions(max_messages=5)).claims
    assert [payload_of(c.stored) for c in claims] == [b"c", b"d", b"e"]


def test_drop_oldest_refuses_a_batch_larger_than_the_cap(
    backend: SyncMemoryBackend, keys: QueueKeyManager
) -> None:
    options = PublishOptions(
        max_pending_length=1, overload_policy=OverloadPolicy.DROP_OLDEST
    )

    with pytest.raises(QueueBackpressureError):
        publish(backend, keys, "a", "b", options=options)
    assert backend.depths(keys).pending == 0


# -- claims and leases --------------------------------------------------------------


def test_claims_are_fifo_with_unique_tokens(
    backend: SyncMemoryBackend, keys: QueueKeyManager
) -> None:
    """R1: claims take the oldest first, each with its own token."""
    publish(backend, keys, "m0", "m1", "m2")

    result = backend.claim(keys, ClaimOptions(max_messages=2, lease_ms=1_000))

    assert [payload_of(c.stored) for c in result.claims] == [b"m0", b"m1"]
    assert len({c.lease_token for c in result.claims}) == 2
    claim_id = result.claims[0].lease_token.split(":")[0]
    assert len(claim_id) == 32
    assert tuple(c.lease_token for c in result.claims) == lease_tokens(claim_id, 2)
    assert backend.depths(keys).pending == 1


def test_next_expiry_tracks_the_earliest_lease(
    backend: SyncMemoryBackend, clock: ManualClock, keys: QueueKeyManager
) -> None:
    publish(backend, keys, "a", "b")

    first = backend.claim(keys, ClaimOptions(lease_ms=5_000))
    clock.advance(1)
    second = backend.claim(keys, ClaimOptions(lease_ms=60_000))

    assert first.next_expiry_ms == 5_000
    assert second.next_expiry_ms == 4_000
    assert backend.claim(keys, ClaimOptions()).next_expiry_ms == 4_000


def test_without_leases_there_is_no_expiry(
    backend: SyncMemoryBackend, clock: ManualClock, keys: QueueKeyManager
) -> None:
    publish(backend, keys, "a")
    claim = claim_one(backend, keys, ClaimOptions(lease_ms=None))

    clock.advance(3600)

    assert backend.claim(keys, LEASE).next_expiry_ms is None
    assert backend.renew(keys, claim.stored, claim.lease_token, 1_000) is False
    assert backend.depths(keys).processing == 1


def test_a_lease_expires_only_after_its_deadline(
    backend: SyncMemoryBackend, clock: ManualClock, keys: QueueKeyManager
) -> None:
    """R4, R8: a lease runs out only once the clock passes its deadline."""
    publish(backend, keys, "job")
    first = claim_one(backend, keys)

    clock.advance(1)
    assert backend.claim(keys, LEASE).reclaimed == ()
    clock.advance(0.001)
    result = backend.claim(keys, LEASE)

    assert result.reclaimed == (first.stored,)
    (second,) = result.claims
    assert (second.stored, second.delivery_count) == (first.stored, 2)
    assert second.lease_token != first.lease_token


def test_reclaim_is_limited_and_earliest_deadline_first(
    backend: SyncMemoryBackend, clock: ManualClock, keys: QueueKeyManager
) -> None:
    """R7: expired leases come back earliest deadline first, a few per step."""
    publish(backend, keys, "a", "b", "c")
    for _ in range(3):
        claim_one(backend, keys)
        clock.advance(0.1)
    publish(backend, keys, "fresh")
    clock.advance(2)

    result = backend.claim(keys, ClaimOptions(lease_ms=1_000, reclaim_limit=2))

    assert [payload_of(v) for v in result.reclaimed] == [b"a", b"b"]
    assert [payload_of(c.stored) for c in result.claims] == [b"a"]
    order = backend.claim(keys, ClaimOptions(max_messages=5, reclaim_limit=0))
    assert [payload_of(c.stored) for c in order.claims] == [b"b", b"fresh"]


def test_renew_moves_the_deadline(
    backend: SyncMemoryBackend, clock: ManualClock, keys: QueueKeyManager
) -> None:
    """R10: renewing moves the deadline to now + lease_ms."""
    publish(backend, keys, "long")
    claim = claim_one(backend, keys)

    clock.advance(1.5)
    assert backend.renew(keys, claim.stored, claim.lease_token, 1_000) is True
    clock.advance(0.9)

    assert backend.claim(keys, LEASE).reclaimed == ()
    assert backend.renew(keys, claim.stored, "unknown-token", 1_000) is False
    assert backend.renew(keys, b"other value", claim.lease_token, 1_000) is False


# -- dead letters -------------------------------------------------------------------


def test_dead_letter_keeps_the_payload_and_goes_on(
    backend: SyncMemoryBackend,
    store: MemoryStore,
    clock: ManualClock,
    keys: QueueKeyManager,
) -> None:
    options = ClaimOptions(lease_ms=1_000, max_delivery_count=1)
    (poison,) = publish(backend, keys, "poison")
    claim_one(backend, keys, options)
    clock.advance(2)
    publish(backend, keys, "healthy")

    result = backend.claim(keys, options)

    assert result.dead_lettered == (poison.encode(),)
    assert [payload_of(c.stored) for c in result.claims] == [b"healthy"]
    assert store.values(keys.dead_letter) == [b"poison"]
    assert backend.depths(keys).dead_letter == 1


def test_foreign_value_is_dead_lettered_unchanged(
    backend: SyncMemoryBackend,
    store: MemoryStore,
    clock: ManualClock,
    keys: QueueKeyManager,
) -> None:
    options = ClaimOptions(lease_ms=1_000, max_delivery_count=1)
    store.push_raw(keys, b"raw")
    claim_one(backend, keys, options)
    clock.advance(2)

    assert backend.claim(keys, options).dead_lettered == (b"raw",)
    assert store.values(keys.dead_letter) == [b"raw"]
    store.push_raw(keys, b"raw")
    assert claim_one(backend, keys, options).delivery_count == 1, "count forgotten"


# -- settling -----------------------------------------------------------------------


def test_ack_keeps_newest_history_and_forgets_the_count(
    backend: SyncMemoryBackend, store: MemoryStore, keys: QueueKeyManager
) -> None:
    for text in ("p1", "p2", "p3"):
        store.push_raw(keys, text)
        claim = claim_one(backend, keys)
        assert settle(backend, keys, claim, history_key=keys.completed, history_limit=2)

    assert store.values(keys.completed) == [b"p3", b"p2"]
    store.push_raw(keys, "p3")
    assert claim_one(backend, keys).delivery_count == 1


def test_nack_pushes_the_given_payload_to_failed(
    backend: SyncMemoryBackend, store: MemoryStore, keys: QueueKeyManager
) -> None:
    publish(backend, keys, "bad")
    claim = claim_one(backend, keys)

    assert settle(
        backend,
        keys,
        claim,
        Outcome.NACK,
        history_key=keys.failed,
        history_payload="as given",
    )

    assert store.values(keys.failed, decode_responses=True) == ["as given"]
    depths = backend.depths(keys)
    assert (depths.processing, depths.failed, depths.completed) == (0, 1, 0)


def test_settle_without_history_drops_the_payload(
    backend: SyncMemoryBackend, keys: QueueKeyManager
) -> None:
    publish(backend, keys, "gone")

    assert settle(backend, keys, claim_one(backend, keys)) is True

    assert backend.depths(keys) == backend.depths(QueueKeyManager("empty"))


def test_stale_token_changes_nothing(
    backend: SyncMemoryBackend, clock: ManualClock, keys: QueueKeyManager
) -> None:
    publish(backend, keys, "contested")
    old = claim_one(backend, keys)
    clock.advance(2)
    new = claim_one(backend, keys)

    assert settle(backend, keys, old, history_key=keys.completed) is False
    assert backend.renew(keys, old.stored, old.lease_token, 1_000) is False
    assert backend.depths(keys).completed == 0
    assert settle(backend, keys, new) is True
    assert settle(backend, keys, new) is False, "a token settles only once"


def test_settle_needs_the_stored_value_the_token_holds(
    backend: SyncMemoryBackend, keys: QueueKeyManager
) -> None:
    publish(backend, keys, "a")
    claim = claim_one(backend, keys)
    wrong = Settlement(b"something else", claim.lease_token, Outcome.ACK)

    assert backend.settle(keys, wrong) is False
    assert backend.depths(keys).processing == 1


# -- the lifecycle ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "move"),
    [
        (State.PENDING, Move.ACK),
        (State.PENDING, Move.RENEW),
        (State.PENDING, Move.EXPIRE),
        (State.PROCESSING, Move.CLAIM),
        (State.PROCESSING, Move.DEAD_LETTER),
        (State.COMPLETED, Move.NACK),
        (State.FAILED, Move.EXPIRE),
        (State.DEAD_LETTER, Move.CLAIM),
    ],
)
def test_illegal_moves_raise_and_keep_the_state(state: State, move: Move) -> None:
    record = MessageRecord(b"x", state)

    with pytest.raises(LifecycleError) as caught:
        record.move(move)

    assert record.state is state
    assert caught.value.operation == move.value


def test_a_record_follows_the_legal_path() -> None:
    record = MessageRecord(b"x")

    for move in (Move.CLAIM, Move.RENEW, Move.EXPIRE, Move.CLAIM, Move.ACK):
        record.move(move)

    assert record.state is State.COMPLETED


# -- the deadline index -------------------------------------------------------------


def test_deadline_index_orders_ties_by_key_and_replaces_deadlines() -> None:
    index = DeadlineIndex()
    index.set("b", 10)
    index.set("a", 10)
    index.set("c", 5)
    index.set("c", 30)

    assert index.earliest() == 10
    assert index.pop_expired(now_ms=10) == []
    assert index.pop_expired(now_ms=11) == ["a", "b"]
    assert (len(index), "c" in index) == (1, True)


def test_deadline_index_stays_small_under_renewals() -> None:
    index = DeadlineIndex()
    for deadline in range(1_000):
        index.set("token", deadline)

    assert len(index._heap) < 200
    assert index.pop_expired(now_ms=10_000) == ["token"]


# -- waiting ------------------------------------------------------------------------


def test_wait_returns_at_once_when_a_message_is_pending(
    backend: SyncMemoryBackend, keys: QueueKeyManager
) -> None:
    publish(backend, keys, "ready")
    started = time.monotonic()

    assert backend.wait_for_messages(keys, 5) is True

    assert time.monotonic() - started < 0.5
    assert backend.depths(keys).pending == 1


def test_wait_times_out_and_unregisters(
    backend: SyncMemoryBackend, store: MemoryStore, keys: QueueKeyManager
) -> None:
    assert backend.wait_for_messages(keys, 0.05) is False
    assert store.waiter_count(keys) == 0


def test_blocked_thread_wakes_on_publish_from_another_thread(
    store: MemoryStore, keys: QueueKeyManager
) -> None:
    consumer = SyncMemoryBackend(store)
    outcome: list[tuple[bool, float]] = []

    def wait() -> None:
        started = time.monotonic()
        woke = consumer.wait_for_messages(keys, 10)
        outcome.append((woke, time.monotonic() - started))

    thread = threading.Thread(target=wait)
    thread.start()
    wait_until(lambda: store.waiter_count(keys) == 1)
    publish(SyncMemoryBackend(store), keys, "wake up")
    thread.join(5)

    ((woke, elapsed),) = outcome
    assert woke is True
    assert elapsed < 2
    assert store.waiter_count(keys) == 0


def test_reclaim_wakes_a_waiting_consumer(
    backend: SyncMemoryBackend,
    store: MemoryStore,
    clock: ManualClock,
    keys: QueueKeyManager,
) -> None:
    publish(backend, keys, "a", "b")
    backend.claim(keys, ClaimOptions(max_messages=2, lease_ms=1_000))
    clock.advance(2)
    woke: list[bool] = []
    thread = threading.Thread(
        target=lambda: woke.append(backend.wait_for_messages(keys, 10))
    )
    thread.start()
    wait_until(lambda: store.waiter_count(keys) == 1)

    assert len(backend.claim(keys, LEASE).reclaimed) == 2
    thread.join(5)
    assert woke == [True]


def test_waiting_coroutine_wakes_on_publish_from_another_thread(
    store: MemoryStore, keys: QueueKeyManager
) -> None:
    consumer = AsyncMemoryBackend(store)
    producer = SyncMemoryBackend(store)

    async def scenario() -> tuple[bool, float, int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.005)
                ticks += 1

        ticker = asyncio.create_task(tick())
        publisher = threading.Timer(0.2, publish, [producer, keys, "from a thread"])
        started = time.monotonic()
        publisher.start()
        woke = await consumer.wait_for_messages(keys, 10)
        elapsed = time.monotonic() - started
        ticker.cancel()
        publisher.join()
        return woke, elapsed, ticks

    woke, elapsed, ticks = asyncio.run(scenario())

    assert woke is True
    assert 0.15 < elapsed < 2
    assert ticks >= 5, "the event loop must keep running during the wait"


def test_cancelled_async_wait_unregisters(
    store: MemoryStore, keys: QueueKeyManager
) -> None:
    consumer = AsyncMemoryBackend(store)

    async def scenario() -> None:
        waiting = asyncio.create_task(consumer.wait_for_messages(keys, 10))
        while store.waiter_count(keys) == 0:
            await asyncio.sleep(0.001)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting

    asyncio.run(scenario())

    assert store.waiter_count(keys) == 0
    assert asyncio.run(consumer.wait_for_messages(keys, 0.01)) is False


def test_waking_a_waiter_of_a_closed_loop_is_harmless() -> None:
    loop = asyncio.new_event_loop()
    waiter = LoopWaiter(loop)
    loop.close()

    waiter.wake()


def test_async_backend_runs_every_operation(
    store: MemoryStore, clock: ManualClock, keys: QueueKeyManager
) -> None:
    backend = AsyncMemoryBackend(store, decode_responses=True)

    async def scenario() -> None:
        stored = envelope.encode("async")
        await backend.publish(keys, [Publication(stored)], PublishOptions())
        (claim,) = (await backend.claim(keys, LEASE)).claims
        assert claim.stored == stored
        assert await backend.renew(keys, claim.stored, claim.lease_token, 1_000)
        settlement = Settlement(
            claim.stored, claim.lease_token, Outcome.ACK, history_key=keys.completed
        )
        assert await backend.settle(keys, settlement)
        assert await backend.peek(keys, keys.completed, 10) == ("async",)
        assert (await backend.depths(keys)).completed == 1
        await backend.close()

    asyncio.run(scenario())


# -- many threads -------------------------------------------------------------------


def test_threads_deliver_every_message_exactly_once(keys: QueueKeyManager) -> None:
    store = MemoryStore()
    texts = [f"m{i}" for i in range(2_000)]
    delivered: list[MessageData] = []
    delivered_lock = threading.Lock()
    done = threading.Event()

    def produce(share: list[str]) -> None:
        backend = SyncMemoryBackend(store)
        for start in range(0, len(share), 10):
            publish(backend, keys, *share[start : start + 10])

    def consume() -> None:
        backend = SyncMemoryBackend(store)
        options = ClaimOptions(max_messages=7, lease_ms=60_000)
        while not done.is_set():
            claims = backend.claim(keys, options).claims
            if not claims:
                backend.wait_for_messages(keys, 0.02)
            for claim in claims:
                assert settle(backend, keys, claim, history_key=keys.completed)
            with delivered_lock:
                delivered.extend(payload_of(claim.stored) for claim in claims)

    threads = [threading.Thread(target=produce, args=(texts[i::4],)) for i in range(4)]
    threads += [threading.Thread(target=consume) for _ in range(4)]
    for thread in threads:
        thread.start()
    wait_until(lambda: store.depths(keys).completed == len(texts), timeout=20)
    done.set()
    for thread in threads:
        thread.join(5)

    counts = collections.Counter(delivered)
    assert set(counts) == {text.encode() for text in texts}
    assert set(counts.values()) == {1}
    depths = store.depths(keys)
    assert (depths.pending, depths.processing, depths.completed) == (0, 0, 2_000)
