"""The default deduplication key: SHA-256 of a message's canonical bytes.

Two dicts with the same content in a different key order produce the same key, since
the canonical form sorts keys.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from redis_message_queue.core.envelope import MessageData, decode
from redis_message_queue.core.errors import ConfigurationError
from redis_message_queue.core.keys import QueueKeyManager


def canonical_bytes(message: object) -> bytes:
    """The bytes the default key hashes: UTF-8 of the str, or of the canonical JSON."""
    if isinstance(message, str):
        return message.encode("utf-8")
    if isinstance(message, dict):
        return json.dumps(message, sort_keys=True, allow_nan=False).encode("utf-8")
    raise TypeError(f"message must be a str or dict, got {type(message).__name__}")


def default_deduplication_key(message: object) -> str:
    """SHA-256 hex digest of :func:`canonical_bytes`."""
    return hashlib.sha256(canonical_bytes(message)).hexdigest()


def require_deduplication_value(value: object) -> str:
    """Check what a custom key function returned.

    An empty value is refused: its marker key would be the bare prefix, shared by
    every message, and would suppress every later publish.

    Raises:
        TypeError: The value is not a str.
        ConfigurationError: The value is empty.
    """
    if not isinstance(value, str):
        raise TypeError(
            f"get_deduplication_key must return a str, got {type(value).__name__}"
        )
    if not value:
        raise ConfigurationError(
            "get_deduplication_key returned an empty string", operation="publish"
        )
    return value


def dedup_value_of_stored_text(settings: DedupSettings, text: str) -> str:
    """The dedup value a message had, recomputed from the text that was stored.

    Possible for the default key (the stored text is the canonical text it hashed)
    and for ``get_deduplication_key=None`` (the text is the value); a custom
    function saw the original message, which the text cannot give back.

    Raises:
        ConfigurationError: The queue uses a custom key function.
    """
    function = settings.get_deduplication_key
    if function is None:
        return text
    if function is default_deduplication_key:
        return default_deduplication_key(text)
    raise ConfigurationError(
        "a custom get_deduplication_key cannot be recomputed from a stored message"
    )


def markers_of_dropped(
    settings: DedupSettings, keys: QueueKeyManager, dropped: Sequence[MessageData]
) -> list[tuple[str, str]]:
    """The dedup markers of dropped messages, each with the id it must hold.

    Foreign values (no envelope id) have no marker of ours.
    """
    if not settings.deduplication:
        return []
    markers = []
    for stored in dropped:
        message = decode(stored)
        if message.message_id is None:
            continue
        text = message.payload
        text = text.decode("utf-8") if isinstance(text, bytes) else text
        value = dedup_value_of_stored_text(settings, text)
        markers.append((keys.deduplication(value), message.message_id))
    return markers


class DedupSettings(Protocol):
    """What the functions here need to know of a queue's settings."""

    @property
    def deduplication(self) -> bool:
        """Whether deduplication is on."""
        ...

    @property
    def get_deduplication_key(self) -> Callable[[Any], Any] | None:
        """The queue's key function."""
        ...
