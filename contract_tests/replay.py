"""The contract for repeated calls: a call whose reply was lost, made again.

A connection can drop after the server ran a call and before its reply arrived;
the runtime then repeats the call with the same arguments. These tests make the
first call, pretend its reply was lost, repeat it, and check that the repeat
returns what the first call did and changes nothing more (rules R21-R24 of
``docs/behaviour.md``). :class:`BackendContract` inherits them.
"""

from __future__ import annotations

import uuid

from redis_message_queue.contract_tests.harness import PortDriver, TimeControl
from redis_message_queue.core import envelope
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports import (
    Claim,
    ClaimOptions,
    Outcome,
    Publication,
    Settlement,
)
from redis_message_queue.core.replay import lease_tokens, new_claim_id

_LEASE_MS = 300
_PAST_LEASE_SECONDS = 0.45
_RECORD_SECONDS = 60


def _marked(keys: QueueKeyManager, text: str, marker: str) -> Publication:
    return Publication(envelope.encode(text), dedup_key=keys.deduplication(marker))


def _publish(port: PortDriver, keys: QueueKeyManager, *texts: str) -> None:
    port.publish(keys, [Publication(envelope.encode(text)) for text in texts])


def _settlement(
    claim: Claim, *, history_key: str | None = None, record: bool = True
) -> Settlement:
    return Settlement(
        claim.stored,
        claim.lease_token,
        outcome=Outcome.ACK,
        history_key=history_key,
        history_payload=envelope.decode(claim.stored).payload,
        record_seconds=_RECORD_SECONDS if record else None,
    )


def _claim_one(port: PortDriver, keys: QueueKeyManager) -> Claim:
    (claim,) = port.claim(keys, ClaimOptions(lease_ms=_LEASE_MS)).claims
    return claim


class ReplayRules:
    """Rules R21-R24; mixed into :class:`BackendContract`, which supplies fixtures."""

    # -- publish ------------------------------------------------------------------

    def test_repeated_publication_reports_enqueued_once(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R21: a repeated publish returns the first run's result, pushing nothing."""
        publication = _marked(keys, "once", "repeat")

        assert port.publish(keys, [publication]).enqueued == (True,)
        assert port.publish(keys, [publication]).enqueued == (True,)

        assert port.depths(keys).pending == 1
        other = _marked(keys, "once", "repeat")
        assert port.publish(keys, [other]).enqueued == (False,), (
            "another publication with the same key must still be a duplicate"
        )

    def test_repeated_duplicate_stays_a_duplicate(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R21: a publication a live marker suppressed is suppressed again."""
        assert port.publish(keys, [_marked(keys, "first", "k")]).enqueued == (True,)
        duplicate = _marked(keys, "second", "k")

        assert port.publish(keys, [duplicate]).enqueued == (False,)
        assert port.publish(keys, [duplicate]).enqueued == (False,)
        assert port.depths(keys).pending == 1

    def test_repeated_batch_keeps_each_result(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R21: within a repeated batch, each publication keeps its first result."""
        batch = [
            _marked(keys, "a", "same"),
            _marked(keys, "b", "same"),
            _marked(keys, "c", "other"),
        ]

        assert port.publish(keys, batch).enqueued == (True, False, True)
        assert port.publish(keys, batch).enqueued == (True, False, True)
        assert port.depths(keys).pending == 2

    # -- claim --------------------------------------------------------------------

    def test_lease_tokens_derive_from_the_claim_id(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R22: the i-th message of a claim gets the token ``<claim_id>:<i>``."""
        _publish(port, keys, "a", "b")
        claim_id = new_claim_id()

        options = ClaimOptions(max_messages=3, lease_ms=_LEASE_MS)
        result = port.claim(keys, options, claim_id=claim_id)

        tokens = [claim.lease_token for claim in result.claims]
        assert tokens == list(lease_tokens(claim_id, 2))

    def test_repeated_claim_returns_the_first_claims(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R22: a repeated claim returns what the first run took, claiming no more."""
        _publish(port, keys, "a", "b", "c")
        claim_id = new_claim_id()
        options = ClaimOptions(max_messages=2, lease_ms=_LEASE_MS)

        first = port.claim(keys, options, claim_id=claim_id)
        repeat = port.claim(keys, options, claim_id=claim_id)

        assert [_text(claim) for claim in first.claims] == ["a", "b"]
        assert _comparable(repeat.claims) == _comparable(first.claims)
        assert (repeat.reclaimed, repeat.dead_lettered) == ((), ())
        depths = port.depths(keys)
        assert (depths.pending, depths.processing) == (1, 2)

    def test_repeat_of_an_empty_claim_claims_as_usual(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R22: a repeat whose tokens hold nothing is an ordinary claim."""
        claim_id = new_claim_id()
        options = ClaimOptions(lease_ms=_LEASE_MS)
        assert port.claim(keys, options, claim_id=claim_id).claims == ()
        _publish(port, keys, "late")

        (claim,) = port.claim(keys, options, claim_id=claim_id).claims

        assert _text(claim) == "late"
        assert claim.lease_token == lease_tokens(claim_id, 1)[0]

    def test_repeated_claim_restarts_the_lease(
        self, port: PortDriver, keys: QueueKeyManager, time_control: TimeControl
    ) -> None:
        """R22: the messages a repeat returns get a full lease from now."""
        _publish(port, keys, "slow")
        claim_id = new_claim_id()
        options = ClaimOptions(lease_ms=600)
        (first,) = port.claim(keys, options, claim_id=claim_id).claims

        # Without the restart, the lease would end between these two steps.
        time_control.advance(0.4)
        (repeat,) = port.claim(keys, options, claim_id=claim_id).claims
        time_control.advance(0.4)

        other = port.claim(keys, options)
        assert (other.claims, other.reclaimed) == ((), ())
        assert repeat.delivery_count == first.delivery_count == 1

    def test_repeat_never_returns_a_message_taken_back(
        self, port: PortDriver, keys: QueueKeyManager, time_control: TimeControl
    ) -> None:
        """R22, R8: once its lease was taken back, a repeat does not get it again."""
        _publish(port, keys, "contested")
        claim_id = new_claim_id()
        options = ClaimOptions(lease_ms=_LEASE_MS)
        port.claim(keys, options, claim_id=claim_id)
        time_control.advance(_PAST_LEASE_SECONDS)
        (taker,) = port.claim(keys, options).claims

        repeat = port.claim(keys, options, claim_id=claim_id)

        assert repeat.claims == ()
        assert taker.delivery_count == 2
        assert port.depths(keys).processing == 1

    # -- settle -------------------------------------------------------------------

    def test_repeated_settle_returns_true_and_changes_nothing(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R23: a repeated successful settle returns True; history gets one entry."""
        _publish(port, keys, "done")
        claim = _claim_one(port, keys)
        settlement = _settlement(claim, history_key=keys.completed)

        assert port.settle(keys, settlement) is True
        assert port.settle(keys, settlement) is True

        depths = port.depths(keys)
        assert (depths.processing, depths.completed) == (0, 1)

    def test_settle_without_record_is_not_recognised(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R23: without ``record_seconds`` nothing is kept; a repeat returns False."""
        _publish(port, keys, "done")
        settlement = _settlement(_claim_one(port, keys), record=False)

        assert port.settle(keys, settlement) is True
        assert port.settle(keys, settlement) is False

    def test_repeated_settle_of_a_token_taken_back_stays_false(
        self, port: PortDriver, keys: QueueKeyManager, time_control: TimeControl
    ) -> None:
        """R23, R9: a settle that lost its lease returns False, also when repeated."""
        _publish(port, keys, "late")
        old = _claim_one(port, keys)
        time_control.advance(_PAST_LEASE_SECONDS)
        new = _claim_one(port, keys)

        assert port.settle(keys, _settlement(old)) is False
        assert port.settle(keys, _settlement(old)) is False
        assert port.depths(keys).processing == 1
        assert port.settle(keys, _settlement(new)) is True

    def test_settle_records_are_per_token(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R23: one delivery's record never settles another token."""
        _publish(port, keys, "x")
        claim = _claim_one(port, keys)
        assert port.settle(keys, _settlement(claim)) is True

        stranger = Claim(claim.stored, f"{uuid.uuid4().hex}:0", 1)
        assert port.settle(keys, _settlement(stranger)) is False

    # -- renew --------------------------------------------------------------------

    def test_repeated_renew_is_harmless(
        self, port: PortDriver, keys: QueueKeyManager
    ) -> None:
        """R24: renewing twice with the current token returns True both times."""
        _publish(port, keys, "long")
        claim = _claim_one(port, keys)

        for _ in range(2):
            assert port.renew(keys, claim.stored, claim.lease_token, 60_000) is True

        assert port.claim(keys, ClaimOptions(lease_ms=_LEASE_MS)).claims == ()
        assert port.settle(keys, _settlement(claim)) is True


def _text(claim: Claim) -> str:
    payload = envelope.decode(claim.stored).payload
    return payload.decode("utf-8") if isinstance(payload, bytes) else payload


def _comparable(claims: tuple[Claim, ...]) -> list[tuple[str, str, int]]:
    return [(_text(c), c.lease_token, c.delivery_count) for c in claims]
