"""The retry policy's validation and the pure replay rules (claim ids, lease tokens,
marker values, settle records).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from redis_message_queue.core import envelope
from redis_message_queue.core.errors import ConfigurationError
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.replay import lease_tokens, marker_value, new_claim_id
from redis_message_queue.core.retry import RetryPolicy


def test_defaults_are_those_of_6_0_0() -> None:
    policy = RetryPolicy()

    assert policy.retry_budget_seconds == 120
    assert policy.retry_max_delay_seconds == 5.0
    assert policy.retry_initial_delay_seconds == 0.01
    assert policy.retries
    assert policy.settle_record_seconds == 180


def test_zero_budget_means_a_single_attempt() -> None:
    policy = RetryPolicy(retry_budget_seconds=0)

    assert not policy.retries
    assert policy.settle_record_seconds == 60, "client-side repeats still need it"


@pytest.mark.parametrize(
    "arguments",
    [
        {"retry_budget_seconds": 1.5},
        {"retry_budget_seconds": True},
        {"retry_budget_seconds": "120"},
        {"retry_max_delay_seconds": "5"},
        {"retry_max_delay_seconds": False},
        {"retry_initial_delay_seconds": None},
    ],
    ids=str,
)
def test_wrong_types_raise_type_error(arguments: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match=next(iter(arguments))):
        RetryPolicy(**arguments)


@pytest.mark.parametrize(
    "arguments",
    [
        {"retry_budget_seconds": -1},
        {"retry_max_delay_seconds": 0},
        {"retry_max_delay_seconds": -1.0},
        {"retry_max_delay_seconds": math.inf},
        {"retry_initial_delay_seconds": math.nan},
        {"retry_initial_delay_seconds": 0},
        {"retry_initial_delay_seconds": 6.0},
        {"retry_initial_delay_seconds": 2, "retry_max_delay_seconds": 1},
    ],
    ids=str,
)
def test_wrong_values_raise_configuration_error(arguments: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match="retry_"):
        RetryPolicy(**arguments)


def test_equal_delays_are_allowed() -> None:
    policy = RetryPolicy(retry_initial_delay_seconds=1, retry_max_delay_seconds=1)

    assert policy.retry_initial_delay_seconds == policy.retry_max_delay_seconds


def test_lease_tokens_number_the_claim_id() -> None:
    claim_id = new_claim_id()

    assert len(claim_id) == 32
    assert claim_id != new_claim_id()
    assert lease_tokens(claim_id, 3) == (
        f"{claim_id}:0",
        f"{claim_id}:1",
        f"{claim_id}:2",
    )
    assert lease_tokens(claim_id, 0) == ()


@pytest.mark.parametrize("kind", [str, bytes])
def test_marker_value_is_the_envelope_id(kind: type) -> None:
    stored = envelope.encode("payload", message_id="abc123")
    value = stored.encode() if kind is bytes else stored

    assert marker_value(value) == "abc123"


@pytest.mark.parametrize(
    "stored",
    [
        "plain text from another program",
        envelope.encode("payload", message_id="x" * 65),
        '\x1eRMQ1:{"id":"broken',
    ],
    ids=["foreign", "long id", "malformed"],
)
def test_marker_value_is_empty_without_a_usable_id(stored: str) -> None:
    assert marker_value(stored) == ""


def test_marker_stays_small() -> None:
    stored = envelope.encode("a large payload " * 10_000)

    assert len(marker_value(stored).encode()) <= 100


def test_settle_record_key_starts_with_the_queue_name() -> None:
    keys = QueueKeyManager("{orders}", key_separator="::")

    assert keys.settled("abc:0") == "{orders}::settled::abc:0"
