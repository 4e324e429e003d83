"""Names of the server keys that hold one queue.

The public keys keep the 6.0.0 format so producers of either version can share a queue:
``<name><sep>pending``, ``completed``, ``failed``, ``dlq`` and
``<name><sep>deduplication<sep><value>``. The keys we add for bookkeeping all start with
the queue name too, so a hash tag in the name puts every key of a queue in one slot.
"""

from __future__ import annotations

import attrs

from redis_message_queue.core.errors import ConfigurationError

DEFAULT_KEY_SEPARATOR = "::"


@attrs.frozen
class QueueKeyManager:
    """Builds every key name of one queue.

    Args:
        queue_name: The queue's name; every key starts with it.
        key_separator: The text between the name and each key's role.
    """

    queue_name: str
    key_separator: str = DEFAULT_KEY_SEPARATOR

    def _key(self, role: str) -> str:
        return f"{self.queue_name}{self.key_separator}{role}"

    @property
    def pending(self) -> str:
        """List of stored messages waiting to be claimed (claimed from the right)."""
        return self._key("pending")

    @property
    def processing(self) -> str:
        """Hash of claimed messages by lease token."""
        return self._key("processing")

    @property
    def lease_deadlines(self) -> str:
        """Sorted set of lease tokens scored by their deadline (server ms)."""
        return self._key("lease_deadlines")

    @property
    def delivery_counts(self) -> str:
        """Hash of delivery counts by envelope id (or foreign value)."""
        return self._key("delivery_counts")

    @property
    def completed(self) -> str:
        """List of payloads of acknowledged messages, newest first."""
        return self._key("completed")

    @property
    def failed(self) -> str:
        """List of payloads of messages whose handler raised, newest first."""
        return self._key("failed")

    @property
    def dead_letter(self) -> str:
        """List of payloads of messages that used up their deliveries."""
        return self._key("dlq")

    @property
    def deduplication_prefix(self) -> str:
        """The common start of every deduplication marker key."""
        return self._key("deduplication") + self.key_separator

    def deduplication(self, value: str) -> str:
        """The marker key that suppresses publishes with the same dedup value."""
        return self.deduplication_prefix + value

    @property
    def settled_prefix(self) -> str:
        """The common start of every settle record (see :meth:`settled`)."""
        return self._key("settled") + self.key_separator

    def settled(self, lease_token: str) -> str:
        """Short-lived record that the delivery under ``lease_token`` was settled.

        A settle repeated after its reply was lost reads it (see ``core.replay``).
        """
        return self.settled_prefix + lease_token

    def list_key(self, source: object, parameter: str = "source") -> str:
        """The key of one of the queue's lists, by its public name.

        Args:
            source: ``"pending"``, ``"completed"``, ``"failed"`` or
                ``"dead_letter"``.
            parameter: The argument's name, for error messages.

        Raises:
            TypeError: ``source`` is not a str.
            ConfigurationError: ``source`` names no list.
        """
        lists = {
            "pending": self.pending,
            "completed": self.completed,
            "failed": self.failed,
            "dead_letter": self.dead_letter,
        }
        if not isinstance(source, str):
            raise TypeError(f"'{parameter}' must be a str, got {type(source).__name__}")
        if source not in lists:
            raise ConfigurationError(
                f"'{parameter}' must be one of {', '.join(lists)}; got {source!r}"
            )
        return lists[source]

    @property
    def replication_mark(self) -> str:
        """Short-lived key written last by each durable call, so that ``WAIT``
        covers all the primary held when the call ran (see ``core.replication``).
        """
        return self._key("replication_mark")

    def all_fixed_keys(self) -> tuple[str, ...]:
        """Every key of the queue except the per-value dedup markers."""
        return (
            self.pending,
            self.processing,
            self.lease_deadlines,
            self.delivery_counts,
            self.completed,
            self.failed,
            self.dead_letter,
            self.replication_mark,
        )
