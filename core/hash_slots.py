"""Redis Cluster hash slots: every key of a queue must live in one slot.

A script may only touch keys of one slot. A queue keeps all its keys together when
its name carries a hash tag (``{orders}``), since a tagged key hashes by its tag
only. Docs: ``docs/guides/cluster.md`` (rules C2 and G15).
"""

from __future__ import annotations

from redis_message_queue.core.errors import ConfigurationError
from redis_message_queue.core.keys import QueueKeyManager

SLOT_COUNT = 16384


def _crc16(data: bytes) -> int:
    # CRC-16/XMODEM, the checksum Redis Cluster hashes keys with.
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = (crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def hash_tag(key: str) -> str | None:
    """The hash tag of ``key``: the text inside the first ``{...}``, if non-empty."""
    start = key.find("{")
    if start < 0:
        return None
    end = key.find("}", start + 1)
    if end <= start + 1:
        return None
    return key[start + 1 : end]


def key_slot(key: str) -> int:
    """The cluster slot of ``key`` (by its hash tag when it has one)."""
    tag = hash_tag(key)
    hashed = key if tag is None else tag
    return _crc16(hashed.encode("utf-8")) % SLOT_COUNT


def require_one_slot(keys: QueueKeyManager) -> None:
    """Check that every key of a queue, its dead-letter list included, shares a slot.

    The keys built per message (dedup markers, settle records) extend two
    prefixes; each prefix must close a hash tag, so that whatever follows it
    cannot change the slot.

    Raises:
        ConfigurationError: A prefix has no hash tag, or two keys of the queue hash
            to different slots. The message says how to name the queue.
    """
    prefixes = (keys.deduplication_prefix, keys.settled_prefix)
    for prefix in prefixes:
        if hash_tag(prefix) is None:
            raise ConfigurationError(
                f"queue {keys.queue_name!r} runs on a cluster, where every key of a "
                f"queue must hash to one slot, but the key prefix {prefix!r} has no "
                f"hash tag; {_renaming_hint(keys.queue_name)}",
                queue=keys.queue_name,
            )

    tag = hash_tag(keys.deduplication_prefix)
    slot = key_slot(keys.deduplication_prefix)
    for key in (*keys.all_fixed_keys(), *prefixes):
        if key_slot(key) != slot:
            raise ConfigurationError(
                f"key {key!r} of queue {keys.queue_name!r} hashes to slot "
                f"{key_slot(key)}, not {slot} like the queue's other keys; every "
                f"key of the queue needs the hash tag '{{{tag}}}'",
                queue=keys.queue_name,
            )


def _renaming_hint(name: str) -> str:
    if "{" in name or "}" in name:
        return "put one non-empty {...} tag in the name, for example '{orders}'"
    return f"name the queue '{{{name}}}' instead of {name!r}"
