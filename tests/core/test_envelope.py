"""The stored-message envelope and the default dedup key (rules Q1, Q2, R14)."""

from __future__ import annotations

import hashlib
import json

import pytest

from redis_message_queue.core import envelope
from redis_message_queue.core.dedup import canonical_bytes, default_deduplication_key
from redis_message_queue.core.payload import serialize


def test_envelope_format_is_marked_compact_json() -> None:
    """The stored form is the marker plus compact, ASCII-escaped JSON."""
    stored = envelope.encode("héllo", message_id="abc")

    assert stored == '\x1eRMQ1:{"id":"abc","payload":"h\\u00e9llo"}'


@pytest.mark.parametrize("kind", [str, bytes])
def test_decode_returns_payload_in_the_stored_type(kind: type) -> None:
    """Bytes in, bytes out; str in, str out."""
    stored = envelope.encode("héllo", message_id="abc")
    value = stored.encode() if kind is bytes else stored

    decoded = envelope.decode(value)

    assert decoded.message_id == "abc"
    assert decoded.payload == ("héllo".encode() if kind is bytes else "héllo")


@pytest.mark.parametrize(
    "foreign",
    [
        "plain",
        b"plain",
        b"\xff\xfe not utf-8",
        "\x1eRMQ1:not json",
        "\x1eRMQ1:[1, 2]",
        '\x1eRMQ1:{"id": 5, "payload": "x"}',
        b"\x1eRMQ1:\xff",
    ],
)
def test_foreign_values_pass_through(foreign: str | bytes) -> None:
    """R14: anything that is not our envelope is delivered unchanged."""
    decoded = envelope.decode(foreign)

    assert decoded.message_id is None
    assert decoded.payload == foreign
    assert envelope.delivery_field(foreign) == foreign


def test_every_publish_gets_a_fresh_id() -> None:
    """Equal payloads are distinct entries."""
    first, second = envelope.encode("x"), envelope.encode("x")

    assert envelope.decode(first).message_id != envelope.decode(second).message_id


def test_default_key_is_sha256_of_canonical_json() -> None:
    """Q2: dicts hash their sorted JSON, strings their UTF-8 bytes."""
    message = {"b": 1, "a": "x"}
    canonical = json.dumps(message, sort_keys=True, allow_nan=False).encode()

    assert canonical_bytes(message) == canonical
    assert default_deduplication_key(message) == hashlib.sha256(canonical).hexdigest()
    assert default_deduplication_key({"a": "x", "b": 1}) == default_deduplication_key(
        message
    )
    assert default_deduplication_key("é") == hashlib.sha256("é".encode()).hexdigest()


def test_serialized_dict_is_what_consumers_receive() -> None:
    """Q1: the published text is the canonical JSON."""
    assert serialize({"z": [1, 2], "a": None}) == '{"a": null, "z": [1, 2]}'
