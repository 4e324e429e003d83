"""The contract every backend must meet, as tests an adapter author inherits.

Subclass :class:`BackendContract` in a ``test_*.py`` module, name the subclass
``Test...``, and override the ``backend`` fixture so that it yields a fresh backend
(sync or asyncio). Each test's docstring names the rule it checks by its id in
``docs/behaviour.md``. Tests that need an optional capability are skipped, with the
reason shown, when the backend does not declare it; the required rules never skip.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from redis_message_queue.contract_tests.harness import (
    ManualTime,
    PortDriver,
    RealTime,
    TimeControl,
)
from redis_message_queue.contract_tests.replay import ReplayRules
from redis_message_queue.core import envelope
from redis_message_queue.core.clock import ManualClock
from redis_message_queue.core.errors import QueueBackpressureError
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports import (
    AsyncBackend,
    Capability,
    Claim,
    ClaimOptions,
    Outcome,
    Publication,
    PublishOptions,
    Settlement,
    SyncBackend,
)
from redis_message_queue.core.settings import OverloadPolicy

LEASE_MS = 300
"""Short enough for real-clock backends to expire within a test."""

PAST_LEASE_SECONDS = 0.45
"""How long to let time pass so that a ``LEASE_MS`` lease has surely expired."""


def _publish_texts(port: PortDriver, keys: QueueKeyManager, *texts: str) -> list[str]:
    stored = [envelope.encode(text) for text in texts]
    port.publish(keys, [Publication(stored=value) for value in stored])
    return stored


def _payload(stored: object) -> str:
    assert isinstance(stored, str | bytes), f"stored value has type {type(stored)}"
    value = envelope.decode(stored).payload
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _as_text(value: object) -> str:
    assert isinstance(value, str | bytes), f"value has type {type(value)}"
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _claim_one(
    port: PortDriver,
    keys: QueueKeyManager,
    *,
    lease_ms: int | None = LEASE_MS,
    max_delivery_count: int | None = None,
) -> Claim | None:
    options = ClaimOptions(lease_ms=lease_ms, max_delivery_count=max_delivery_count)
    claims = port.claim(keys, options).claims
    assert len(claims) <= 1, "a claim of max_messages=1 returned more than one"
    return claims[0] if claims else None


def _ack(port: PortDriver, keys: QueueKeyManager, claim: Claim) -> bool:
    return port.settle(
        keys, Settlement(claim.stored, claim.lease_token, outcome=Outcome.ACK)
    )


class BackendContract(ReplayRules):
    """The shared contract suite. Override the ``backend`` fixture in a subclass."""

    @pytest.fixture
    def contract_runner(self) -> Iterator[asyncio.Runner]:
        """The event loop an asyncio backend (and its client) runs on."""
        with asyncio.Runner() as runner:
            yield runner

    @pytest.fixture
    def backend(self) -> SyncBackend | AsyncBackend:
        """Yield a fresh backend. Adapter authors must override this fixture."""
        pytest.fail(
            "override the 'backend' fixture of BackendContract to yield your backend"
        )

    @pytest.fixture
    def port(
        self, backend: object, contract_runner: asyncio.Runner
    ) -> Iterator[PortDriver]:
        """The backend under test behind a synchronous driver."""
        if not isinstance(backend, SyncBackend | AsyncBackend):
            pytest.fail(
                "the 'backend' fixture must yield a SyncBackend or AsyncBackend, got "
                f"{type(backend).__name__}"
            )
        driver = PortDriver(backend, contract_runner)
        yield driver
        driver.close()

    @pytest.fixture
    def keys(self) -> QueueKeyManager:
        """Key names of a queue no other test uses."""
        return QueueKeyManager(f"contract-{uuid.uuid4().hex[:12]}")

    @pytest.fixture
    def time_control(self, port: PortDriver) -> TimeControl:
        """Makes time pass: moves an injected clock, or waits for real."""
        if Capability.MANUAL_CLOCK in port.capabilities:
            clock = getattr(port.backend, "clock", None)
            assert isinstance(clock, ManualClock), (
                "a backend declaring MANUAL_CLOCK must expose its ManualClock as .clock"
            )
            return ManualTime(clock)
        return RealTime()

    @pytest.fixture
    def plant_foreign_value(self) -> Callable[[str], None]:
        """Write a plain string at a key, as another program would.

        Backends that declare ``TYPE_CHECKED_KEYS`` must override this fixture so
        that the R16 test can put a value of the wrong type under a queue's key.
        """

        def plant(key: str) -> None:
            pytest.fail(
                "a backend declaring TYPE_CHECKED_KEYS must override the "
                f"'plant_foreign_value' fixture (asked to plant at {key!r})"
            )

        return plant

    @staticmethod
    def require(port: PortDriver, capability: Capability) -> None:
        """Skip the calling test, with the reason, unless the backend can do it."""
        if capability not in port.capabilities:
            pytest.skip(f"backend does not declare {capability.name}")

    # -- publish and claim --------------------------------------------------------

    def test_publish_then_claim_returns_the_stored_message(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R1: a published message is claimed exactly as it was stored."""
        (stored,) = _publish_texts(port, keys, "hello")

        claim = _claim_one(port, keys)

        assert claim is not None
        assert _as_text(claim.stored) == stored
        assert claim.delivery_count == 1
        assert claim.lease_token
        assert _claim_one(port, keys) is None

    def test_claims_come_in_publish_order(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R1: claims take the oldest pending message first (FIFO)."""
        _publish_texts(port, keys, "a", "b")
        _publish_texts(port, keys, "c")

        payloads = []
        while (claim := _claim_one(port, keys)) is not None:
            payloads.append(_payload(claim.stored))

        assert payloads == ["a", "b", "c"]

    def test_claim_many_returns_oldest_first(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R1: a batch claim returns up to max_messages, oldest first."""
        _publish_texts(port, keys, *[f"m{i}" for i in range(5)])

        result = port.claim(keys, ClaimOptions(max_messages=3, lease_ms=LEASE_MS))

        assert [_payload(claim.stored) for claim in result.claims] == ["m0", "m1", "m2"]
        tokens = {claim.lease_token for claim in result.claims}
        assert len(tokens) == 3, "each claimed message needs its own lease token"

    def test_claim_on_empty_queue_returns_nothing(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R1: claiming from an empty queue returns no claims and never blocks."""
        started = time.monotonic()

        result = port.claim(keys, ClaimOptions(lease_ms=LEASE_MS))

        assert result.claims == ()
        assert time.monotonic() - started < 1.0

    def test_foreign_values_are_delivered_unchanged(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R14: a value that is not our envelope is delivered and settled as is."""
        port.publish(keys, [Publication(stored="plain text from another program")])

        claim = _claim_one(port, keys)

        assert claim is not None
        assert _as_text(claim.stored) == "plain text from another program"
        assert _ack(port, keys, claim) is True
        assert port.depths(keys).processing == 0

    def test_peek_reads_both_ends_without_changes(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R19: peek shows the newest or the next-to-claim entries, changing nothing."""
        _publish_texts(port, keys, "a", "b", "c")

        newest = port.peek(keys, keys.pending, 2)
        next_up = port.peek(keys, keys.pending, 2, oldest_first=True)

        assert [_payload(value) for value in newest] == ["c", "b"]
        assert [_payload(value) for value in next_up] == ["a", "b"]
        assert port.peek(keys, keys.pending, 0) == ()
        assert port.depths(keys).pending == 3

    # -- deduplication ------------------------------------------------------------

    def test_duplicate_inside_window_is_suppressed(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R2: a publish whose dedup marker is live is suppressed."""
        marker = keys.deduplication("same")
        first = Publication(envelope.encode("x"), dedup_key=marker)
        second = Publication(envelope.encode("x"), dedup_key=marker)

        assert port.publish(keys, [first]).enqueued == (True,)
        assert port.publish(keys, [second]).enqueued == (False,)
        assert port.depths(keys).pending == 1

    def test_first_of_equal_keys_in_one_call_wins(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R2: within one publish call, the first of equal dedup keys is enqueued."""
        marker = keys.deduplication("batch")
        batch = [
            Publication(envelope.encode("first"), dedup_key=marker),
            Publication(envelope.encode("second"), dedup_key=marker),
            Publication(envelope.encode("other"), dedup_key=keys.deduplication("o")),
        ]

        result = port.publish(keys, batch)

        assert result.enqueued == (True, False, True)
        claim = _claim_one(port, keys)
        assert claim is not None
        assert _payload(claim.stored) == "first"

    def test_duplicate_after_window_is_accepted(
        self, port: PortDriver, keys: QueueKeyManager, time_control: TimeControl
    ) -> None:
        """R3: once the dedup window has passed, the same key publishes again."""
        marker = keys.deduplication("windowed")
        options = PublishOptions(dedup_ttl_seconds=1)
        publication = Publication(envelope.encode("x"), dedup_key=marker)
        assert port.publish(keys, [publication], options).enqueued == (True,)

        time_control.advance(1.2)

        again = Publication(envelope.encode("x"), dedup_key=marker)
        assert port.publish(keys, [again], options).enqueued == (True,)
        assert port.depths(keys).pending == 2

    def test_settling_does_not_reopen_the_window(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R2: completing a message leaves its dedup marker in place."""
        marker = keys.deduplication("done")
        port.publish(keys, [Publication(envelope.encode("x"), dedup_key=marker)])
        claim = _claim_one(port, keys)
        assert claim is not None
        assert _ack(port, keys, claim)

        again = Publication(envelope.encode("x"), dedup_key=marker)
        assert port.publish(keys, [again]).enqueued == (False,)

    # -- settling -----------------------------------------------------------------

    def test_ack_removes_the_message(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R5: acknowledging removes the message from processing for good."""
        _publish_texts(port, keys, "work")
        claim = _claim_one(port, keys)
        assert claim is not None

        assert _ack(port, keys, claim) is True

        depths = port.depths(keys)
        assert (depths.pending, depths.processing, depths.completed) == (0, 0, 0)

    def test_ack_with_history_keeps_newest_payloads(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R5, R17: completed payloads are kept newest first, trimmed to the limit."""
        _publish_texts(port, keys, "p1", "p2", "p3")
        for _ in range(3):
            claim = _claim_one(port, keys)
            assert claim is not None
            settlement = Settlement(
                claim.stored,
                claim.lease_token,
                outcome=Outcome.ACK,
                history_key=keys.completed,
                history_payload=envelope.decode(claim.stored).payload,
                history_limit=2,
            )
            assert port.settle(keys, settlement) is True

        assert port.depths(keys).completed == 2
        assert self.history(port, keys, keys.completed) == ["p3", "p2"]

    def test_nack_moves_payload_to_failed(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R6: a failed message leaves processing; its payload goes to failed."""
        _publish_texts(port, keys, "bad")
        claim = _claim_one(port, keys)
        assert claim is not None

        settlement = Settlement(
            claim.stored,
            claim.lease_token,
            outcome=Outcome.NACK,
            history_key=keys.failed,
            history_payload=envelope.decode(claim.stored).payload,
        )
        assert port.settle(keys, settlement) is True

        depths = port.depths(keys)
        assert (depths.processing, depths.failed) == (0, 1)
        assert self.history(port, keys, keys.failed) == ["bad"]

    @staticmethod
    def history(port: PortDriver, keys: QueueKeyManager, list_key: str) -> list[str]:
        """A history list's payloads, newest first."""
        return [_as_text(value) for value in port.peek(keys, list_key, 100)]

    # -- leases -------------------------------------------------------------------

    def test_expired_lease_is_redelivered_with_new_token(
        self, port: PortDriver, keys: QueueKeyManager, time_control: TimeControl
    ) -> None:
        """R7: a crashed consumer's message comes back after the lease, count 2."""
        _publish_texts(port, keys, "crash me")
        first = _claim_one(port, keys)
        assert first is not None

        time_control.advance(PAST_LEASE_SECONDS)
        result = port.claim(keys, ClaimOptions(lease_ms=LEASE_MS))

        assert len(result.reclaimed) == 1
        (second,) = result.claims
        assert _payload(second.stored) == "crash me"
        assert second.delivery_count == 2
        assert second.lease_token != first.lease_token

    def test_live_lease_is_never_reclaimed(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R8: a message whose lease has not expired stays with its holder."""
        _publish_texts(port, keys, "held")
        assert _claim_one(port, keys, lease_ms=60_000) is not None

        result = port.claim(keys, ClaimOptions(lease_ms=60_000))

        assert result.claims == ()
        assert result.reclaimed == ()
        assert result.next_expiry_ms is not None
        assert 0 < result.next_expiry_ms <= 60_000

    def test_without_lease_message_is_never_reclaimed(
        self, port: PortDriver, keys: QueueKeyManager, time_control: TimeControl
    ) -> None:
        """R18: a message claimed without a lease stays in processing."""
        _publish_texts(port, keys, "no lease")
        assert _claim_one(port, keys, lease_ms=None) is not None

        time_control.advance(PAST_LEASE_SECONDS)

        assert port.claim(keys, ClaimOptions(lease_ms=None)).claims == ()
        assert port.depths(keys).processing == 1

    def test_stale_token_cannot_settle(
        self, port: PortDriver, keys: QueueKeyManager, time_control: TimeControl
    ) -> None:
        """R9: after a reclaim, the old token's ack changes nothing."""
        _publish_texts(port, keys, "contested")
        old = _claim_one(port, keys)
        assert old is not None
        time_control.advance(PAST_LEASE_SECONDS)
        new = _claim_one(port, keys)
        assert new is not None

        assert _ack(port, keys, old) is False
        assert port.depths(keys).processing == 1
        assert port.renew(keys, old.stored, old.lease_token, LEASE_MS) is False
        assert _ack(port, keys, new) is True
        assert port.depths(keys).processing == 0

    def test_expired_but_unclaimed_lease_still_acks(
        self, port: PortDriver, keys: QueueKeyManager, time_control: TimeControl
    ) -> None:
        """R9: an expired lease that nobody took back still settles."""
        _publish_texts(port, keys, "late")
        claim = _claim_one(port, keys)
        assert claim is not None

        time_control.advance(PAST_LEASE_SECONDS)

        assert _ack(port, keys, claim) is True
        assert port.depths(keys).processing == 0

    def test_renew_extends_the_lease(
        self, port: PortDriver, keys: QueueKeyManager, time_control: TimeControl
    ) -> None:
        """R10: a renewed lease outlives its original deadline."""
        _publish_texts(port, keys, "long job")
        claim = _claim_one(port, keys)
        assert claim is not None

        time_control.advance(0.2)
        assert port.renew(keys, claim.stored, claim.lease_token, 2_000) is True
        time_control.advance(0.25)

        result = port.claim(keys, ClaimOptions(lease_ms=LEASE_MS))
        assert result.reclaimed == ()
        assert _ack(port, keys, claim) is True

    # -- dead letters -------------------------------------------------------------

    def test_dead_letter_after_max_deliveries(
        self, port: PortDriver, keys: QueueKeyManager, time_control: TimeControl
    ) -> None:
        """R11: with N=2, two deliveries happen, the third claim dead-letters."""
        _publish_texts(port, keys, "poison")
        for expected_count in (1, 2):
            claim = _claim_one(port, keys, max_delivery_count=2)
            assert claim is not None
            assert claim.delivery_count == expected_count
            time_control.advance(PAST_LEASE_SECONDS)

        result = port.claim(keys, ClaimOptions(lease_ms=LEASE_MS, max_delivery_count=2))

        assert result.claims == ()
        assert len(result.dead_lettered) == 1
        assert _payload(result.dead_lettered[0]) == "poison"
        depths = port.depths(keys)
        assert (depths.pending, depths.processing, depths.dead_letter) == (0, 0, 1)
        assert self.history(port, keys, keys.dead_letter) == ["poison"]

    def test_dead_lettering_continues_with_next_message(
        self, port: PortDriver, keys: QueueKeyManager, time_control: TimeControl
    ) -> None:
        """R11: a claim that dead-letters a message delivers the next one."""
        _publish_texts(port, keys, "poison")
        assert _claim_one(port, keys, max_delivery_count=1) is not None
        time_control.advance(PAST_LEASE_SECONDS)
        _publish_texts(port, keys, "healthy")

        claim = _claim_one(port, keys, max_delivery_count=1)

        assert claim is not None
        assert _payload(claim.stored) == "healthy"
        assert port.depths(keys).dead_letter == 1

    # -- backpressure -------------------------------------------------------------

    def test_full_queue_refuses_and_writes_nothing(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R12: at the cap, RAISE refuses the whole call and changes nothing."""
        options = PublishOptions(max_pending_length=2)
        _publish_texts(port, keys, "a", "b")
        marker = keys.deduplication("c")

        with pytest.raises(QueueBackpressureError):
            port.publish(keys, [Publication(envelope.encode("c"), marker)], options)

        assert port.depths(keys).pending == 2
        retry = Publication(envelope.encode("c"), marker)
        assert port.publish(keys, [retry]).enqueued == (True,), "marker leaked"

    def test_drop_oldest_makes_room(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R13: DROP_OLDEST removes the oldest pending messages and reports them."""
        options = PublishOptions(
            max_pending_length=2, overload_policy=OverloadPolicy.DROP_OLDEST
        )
        _publish_texts(port, keys, "a", "b")

        result = port.publish(keys, [Publication(envelope.encode("c"))], options)

        assert [_payload(value) for value in result.dropped] == ["a"]
        payloads = []
        while (claim := _claim_one(port, keys)) is not None:
            payloads.append(_payload(claim.stored))
        assert payloads == ["b", "c"]

    # -- waiting ------------------------------------------------------------------

    def test_wait_wakes_on_publish(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R15: a blocked wait returns soon after a concurrent publish."""
        self.require(port, Capability.BLOCKING_WAIT)
        publication = Publication(envelope.encode("wake up"))
        started = time.monotonic()

        woke = port.wait_while_another_publishes(keys, 5.0, 0.2, publication)

        assert woke is True
        assert time.monotonic() - started < 2.0
        assert port.depths(keys).pending == 1, "a wait must not consume the message"

    def test_wait_times_out_when_nothing_arrives(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R15: a wait on an empty queue returns False after its timeout."""
        self.require(port, Capability.BLOCKING_WAIT)
        started = time.monotonic()

        assert port.wait_for_messages(keys, 0.2) is False
        assert 0.15 <= time.monotonic() - started < 2.0

    # -- foreign values at our keys ------------------------------------------------

    def test_wrong_typed_keys_are_refused_before_any_write(
        self,
        port: PortDriver,
        keys: QueueKeyManager,
        plant_foreign_value: Callable[[str], None],
    ) -> None:
        """R16: a key holding the wrong type fails the call, and nothing changes."""
        self.require(port, Capability.TYPE_CHECKED_KEYS)
        for number, role in enumerate(("processing", "dead_letter", "delivery_counts")):
            queue = QueueKeyManager(f"{keys.queue_name}-{number}")
            _publish_texts(port, queue, "kept")
            plant_foreign_value(getattr(queue, role))

            with pytest.raises(Exception):  # noqa: B017, PT011 - the backend's type
                port.claim(queue, ClaimOptions(lease_ms=LEASE_MS, max_delivery_count=3))

            assert len(port.peek(queue, queue.pending, 5)) == 1, role

        held = QueueKeyManager(f"{keys.queue_name}-held")
        _publish_texts(port, held, "kept")
        claim = _claim_one(port, held)
        assert claim is not None
        plant_foreign_value(held.completed)
        settlement = Settlement(
            claim.stored,
            claim.lease_token,
            outcome=Outcome.ACK,
            history_key=held.completed,
            history_payload=envelope.decode(claim.stored).payload,
        )
        with pytest.raises(Exception):  # noqa: B017, PT011 - the backend's type
            port.settle(held, settlement)
        assert port.renew(held, claim.stored, claim.lease_token, LEASE_MS) is True

    # -- operator moves -----------------------------------------------------------

    def test_release_puts_claims_back_unclaimed(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R25: a released claim is the next message claimed, as a first delivery."""
        _publish_texts(port, keys, "given back", "later")
        claim = _claim_one(port, keys, lease_ms=None)
        assert claim is not None

        assert port.release(keys, [claim.lease_token, "no-such-token"]) == 1

        again = _claim_one(port, keys)
        assert again is not None
        assert _payload(again.stored) == "given back"
        assert again.delivery_count == 1
        assert _ack(port, keys, claim) is False, "the old token holds nothing now"

    def test_purge_empties_one_list(
        self, port: PortDriver, keys: QueueKeyManager, time_control: TimeControl
    ) -> None:
        """R26: purge removes every entry of one list and forgets pending counts."""
        _publish_texts(port, keys, "a", "b")
        assert _claim_one(port, keys) is not None
        time_control.advance(PAST_LEASE_SECONDS)
        port.claim(keys, ClaimOptions(max_messages=0, lease_ms=LEASE_MS))

        assert port.purge(keys, keys.pending) == 2
        assert port.purge(keys, keys.dead_letter) == 0

        _publish_texts(port, keys, "fresh")
        claim = _claim_one(port, keys)
        assert claim is not None
        assert claim.delivery_count == 1
        assert port.depths(keys).pending == 0

    def test_redrive_gives_dead_letters_a_fresh_budget(
        self, port: PortDriver, keys: QueueKeyManager, time_control: TimeControl
    ) -> None:
        """R27: redrive moves the oldest dead letters to pending in new envelopes."""
        for text in ("first", "second"):
            _publish_texts(port, keys, text)
            assert _claim_one(port, keys, max_delivery_count=1) is not None
            time_control.advance(PAST_LEASE_SECONDS)
            port.claim(
                keys,
                ClaimOptions(max_messages=0, lease_ms=LEASE_MS, max_delivery_count=1),
            )
        port.claim(keys, ClaimOptions(lease_ms=LEASE_MS, max_delivery_count=1))
        assert port.depths(keys).dead_letter == 2

        assert port.redrive(keys, ["id-one"]) == 1

        claim = _claim_one(port, keys, max_delivery_count=1)
        assert claim is not None
        assert _payload(claim.stored) == "first"
        assert envelope.decode(claim.stored).message_id == "id-one"
        assert claim.delivery_count == 1
        assert port.redrive(keys, ["id-two", "id-three"]) == 1

    def test_redrive_keeps_text_exactly(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R27: non-ASCII, quotes, slashes and control characters survive redrive."""
        text = 'héllo "wörld" / \\ \t 日本 \u0001'
        _publish_texts(port, keys, text)
        assert _claim_one(port, keys, max_delivery_count=0) is None

        assert port.redrive(keys, ["again"]) == 1
        claim = _claim_one(port, keys)
        assert claim is not None
        assert _payload(claim.stored) == text

    def test_forget_markers_only_deletes_own_markers(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R28: a marker is forgotten only while it still holds the given id."""
        marker = keys.deduplication("dropped")
        stored = envelope.encode("x", message_id="owner")
        port.publish(keys, [Publication(stored, dedup_key=marker)])

        assert port.forget_markers(keys, [(marker, "someone-else")]) == 0
        again = Publication(envelope.encode("x"), dedup_key=marker)
        assert port.publish(keys, [again]).enqueued == (False,)

        assert port.forget_markers(keys, [(marker, "owner")]) == 1
        assert port.publish(keys, [again]).enqueued == (True,)

    # -- conservation -------------------------------------------------------------

    def test_every_message_is_in_exactly_one_place(
        self, port: PortDriver, keys: QueueKeyManager, time_control: TimeControl
    ) -> None:
        """R20: through claims, crashes and settles, no message is lost or doubled."""
        _publish_texts(port, keys, *[f"m{i}" for i in range(10)])
        held = port.claim(keys, ClaimOptions(max_messages=6, lease_ms=LEASE_MS))
        for finished in held.claims[:3]:
            assert _ack(port, keys, finished)
        time_control.advance(PAST_LEASE_SECONDS)

        depths = port.depths(keys)
        assert depths.pending + depths.processing == 7
        seen = []
        while (claim := _claim_one(port, keys)) is not None:
            seen.append(_payload(claim.stored))
            assert _ack(port, keys, claim)
        assert sorted(seen) == sorted(f"m{i}" for i in range(3, 10))
        assert port.depths(keys).processing == 0

    def test_random_lifecycles_keep_every_message_in_one_place(
        self, port: PortDriver, time_control: TimeControl
    ) -> None:
        """R20, R1, R7, R9, R11: random operations agree with a reference model.

        Publishes, claims, acks, nacks, crashes and time passing in random orders
        (``contract_tests/stateful.py``); needs ``MANUAL_CLOCK`` and hypothesis.
        """
        self.require(port, Capability.MANUAL_CLOCK)
        pytest.importorskip("hypothesis", reason="the model-based test needs it")
        # Imported here so that the rest of the suite runs without hypothesis.
        from redis_message_queue.contract_tests.stateful import (  # noqa: PLC0415
            run_lifecycle_machine,
        )

        clock = getattr(port.backend, "clock", None)
        assert isinstance(clock, ManualClock)
        run_lifecycle_machine(port, time_control, clock)
