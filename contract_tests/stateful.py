"""A model-based contract test: random lifecycles checked against a reference model.

:class:`LifecycleMachine` publishes, claims, acknowledges, fails, abandons (a
consumer that crashed) and lets time pass in random orders, on a fresh queue per
run. A small reference model predicts, step by step, which messages each claim
returns, takes back and dead-letters, what each settle returns, and where every
published message is; after every step the backend must agree (rules R1, R7, R9,
R11 and R20 of ``docs/behaviour.md``). :meth:`BackendContract.
test_random_lifecycles_keep_every_message_in_one_place` runs it; adapter authors
can also call :func:`run_lifecycle_machine` with their own settings.

The machine needs a clock the tests move (:attr:`Capability.MANUAL_CLOCK`): with a
real clock, leases would expire between the model's prediction and the call.
"""

from __future__ import annotations

import uuid
from collections import Counter

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from redis_message_queue.contract_tests.harness import PortDriver, TimeControl
from redis_message_queue.core import envelope
from redis_message_queue.core.clock import Clock
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.policy import lease_deadline_ms, lease_expired
from redis_message_queue.core.ports import (
    ClaimOptions,
    Outcome,
    Publication,
    Settlement,
)

LEASE_MS = 1_000
MAX_DELIVERIES = 3

DEFAULT_SETTINGS = settings(
    max_examples=50,
    stateful_step_count=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
"""Small enough to run in seconds on the in-memory backend, and derandomized so
that a run is reproducible; pass other settings to explore further."""


class _Lease:
    """What the model knows of one delivery: message, token, deadline."""

    def __init__(self, text: str, stored: str, token: str, deadline_ms: int) -> None:
        self.text = text
        self.stored = stored
        self.token = token
        self.deadline_ms = deadline_ms


class LifecycleMachine(RuleBasedStateMachine):
    """Random operations on one queue, each checked against the reference model.

    :func:`run_lifecycle_machine` binds ``port``, ``time_control`` and ``clock``.
    """

    port: PortDriver
    time_control: TimeControl
    clock: Clock

    def __init__(self) -> None:
        super().__init__()
        self.keys = QueueKeyManager(f"stateful-{uuid.uuid4().hex[:12]}")
        self.published: list[str] = []
        self.stored: dict[str, str] = {}
        self.pending: list[str] = []  # next to claim first
        self.leases: dict[str, _Lease] = {}  # in processing, by token
        self.in_hand: list[str] = []  # tokens a live consumer still holds
        self.spent: list[str] = []  # tokens settled or taken back
        self.token_text: dict[str, str] = {}
        self.counts: Counter[str] = Counter()
        self.completed: list[str] = []  # newest first, as the list reads
        self.failed: list[str] = []
        self.dead: list[str] = []

    # -- operations ---------------------------------------------------------------

    @rule(count=st.integers(min_value=1, max_value=3))
    def publish(self, count: int) -> None:
        """R1: new messages join the new end of pending."""
        texts = [f"m{len(self.published) + i}" for i in range(count)]
        for text in texts:
            self.stored[text] = envelope.encode(text)
        publications = [Publication(self.stored[text]) for text in texts]

        result = self.port.publish(self.keys, publications)

        assert result.enqueued == (True,) * count
        self.published.extend(texts)
        self.pending.extend(texts)

    @rule(max_messages=st.integers(min_value=1, max_value=3))
    def claim(self, max_messages: int) -> None:
        """R1, R7, R11: reclaim expired leases, then deliver or dead-letter."""
        now_ms = self.clock.now_ms()
        expected_reclaimed = self._reclaim(now_ms)
        expected_claims, expected_dead = self._take(max_messages)

        options = ClaimOptions(
            max_messages=max_messages,
            lease_ms=LEASE_MS,
            max_delivery_count=MAX_DELIVERIES,
        )
        result = self.port.claim(self.keys, options)

        assert sorted(map(_text, result.reclaimed)) == sorted(expected_reclaimed)
        assert [_text(value) for value in result.dead_lettered] == expected_dead
        delivered = [(_text(c.stored), c.delivery_count) for c in result.claims]
        assert delivered == expected_claims

        deadline_ms = lease_deadline_ms(now_ms, LEASE_MS)
        for claim in result.claims:
            text = _text(claim.stored)
            token = claim.lease_token
            assert token not in self.leases, "a lease token was handed out twice"
            self.leases[token] = _Lease(text, self.stored[text], token, deadline_ms)
            self.in_hand.append(token)
            self.token_text[token] = text

    def _reclaim(self, now_ms: int) -> list[str]:
        expired = sorted(
            (lease.deadline_ms, lease.token)
            for lease in self.leases.values()
            if lease_expired(lease.deadline_ms, now_ms)
        )
        texts = []
        for _, token in expired:
            texts.append(self.leases.pop(token).text)
            self._spend(token)
        self.pending[:0] = texts
        return texts

    def _take(self, max_messages: int) -> tuple[list[tuple[str, int]], list[str]]:
        claims: list[tuple[str, int]] = []
        dead: list[str] = []
        while self.pending and len(claims) < max_messages:
            text = self.pending.pop(0)
            self.counts[text] += 1
            if self.counts[text] > MAX_DELIVERIES:
                del self.counts[text]
                dead.append(text)
                self.dead.insert(0, text)
                continue
            claims.append((text, self.counts[text]))
        return claims, dead

    @precondition(lambda self: self.in_hand or self.spent)
    @rule(data=st.data(), ack=st.booleans(), stale=st.booleans())
    def settle(self, data: st.DataObject, ack: bool, stale: bool) -> None:
        """R5, R6, R9: the holder settles; a stale token changes nothing."""
        tokens = self.spent if (stale and self.spent) or not self.in_hand else None
        token = data.draw(st.sampled_from(tokens or self.in_hand), label="token")
        lease = self.leases.get(token)
        stored = self.stored[self.token_text[token]]
        history = self.keys.completed if ack else self.keys.failed
        settlement = Settlement(
            stored,
            token,
            outcome=Outcome.ACK if ack else Outcome.NACK,
            history_key=history,
            history_payload=envelope.decode(stored).payload,
        )

        settled = self.port.settle(self.keys, settlement)

        assert settled is (lease is not None), "R9: only the holding token settles"
        if lease is None:
            return
        del self.leases[token]
        self.counts.pop(lease.text, None)
        self._spend(token)
        (self.completed if ack else self.failed).insert(0, lease.text)

    @precondition(lambda self: self.in_hand)
    @rule(data=st.data())
    def crash(self, data: st.DataObject) -> None:
        """R7: a consumer vanishes; its lease alone brings the message back."""
        token = data.draw(st.sampled_from(self.in_hand), label="token")
        self.in_hand.remove(token)

    @rule(seconds=st.sampled_from([0.3, 0.7, 1.5]))
    def let_time_pass(self, seconds: float) -> None:
        """R7, R8: leases run out only as time passes."""
        self.time_control.advance(seconds)

    def _spend(self, token: str) -> None:
        if token in self.in_hand:
            self.in_hand.remove(token)
        if token not in self.spent:
            self.spent.append(token)

    # -- checks after every step --------------------------------------------------

    @invariant()
    def every_message_is_in_exactly_one_place(self) -> None:
        """R20: pending, processing, completed, failed and dead letters add up."""
        pending = self._read(self.keys.pending, oldest_first=True)
        completed = self._read(self.keys.completed)
        failed = self._read(self.keys.failed)
        dead = self._read(self.keys.dead_letter)
        processing = [lease.text for lease in self.leases.values()]

        places = Counter(pending + processing + completed + failed + dead)
        assert places == Counter(self.published), "a message was lost or doubled"
        assert pending == self.pending, "R1: pending holds the wrong order"
        assert (completed, failed, dead) == (self.completed, self.failed, self.dead)

        depths = self.port.depths(self.keys)
        assert depths.processing == len(self.leases)
        assert depths.pending == len(self.pending)

    def _read(self, key: str, *, oldest_first: bool = False) -> list[str]:
        values = self.port.peek(self.keys, key, 10_000, oldest_first=oldest_first)
        return [_text(value) for value in values]


def run_lifecycle_machine(
    port: PortDriver,
    time_control: TimeControl,
    clock: Clock,
    machine_settings: settings | None = None,
) -> None:
    """Run :class:`LifecycleMachine` against ``port``; fail on the first mismatch.

    Args:
        port: The backend under test.
        time_control: Moves the backend's clock.
        clock: The backend's clock, read to predict lease expiries.
        machine_settings: Hypothesis settings (example and step counts);
            :data:`DEFAULT_SETTINGS`, read at call time, if ``None``.
    """

    class BoundMachine(LifecycleMachine):
        pass

    BoundMachine.port = port
    BoundMachine.time_control = time_control
    BoundMachine.clock = clock
    run_state_machine_as_test(
        BoundMachine, settings=machine_settings or DEFAULT_SETTINGS
    )


def _text(value: object) -> str:
    assert isinstance(value, str | bytes), f"value has type {type(value)}"
    payload = envelope.decode(value).payload
    return payload.decode("utf-8") if isinstance(payload, bytes) else payload
