"""Direct access to where a test's queues live, beside the queue API.

Scenarios use it to do what another program (or a broken server) would do: push a
value that is not ours, read a list as stored, or make one backend operation fail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pytest
import redis

from redis_message_queue.adapters.memory import MemoryStore
from redis_message_queue.adapters.redis import AsyncRedisBackend, SyncRedisBackend
from redis_message_queue.core.keys import QueueKeyManager


class Storage:
    """The in-memory store or the server of one scenario.

    Args:
        store: The in-memory store, or None on a server.
        server: A client of the server (bytes replies), or None in memory.
    """

    def __init__(self, store: MemoryStore | None, server: redis.Redis | None) -> None:
        self.store = store
        self.server = server

    def push_raw(self, keys: QueueKeyManager, value: str | bytes) -> None:
        """Push ``value`` to the queue's pending list as another program would."""
        if self.server is not None:
            self.server.lpush(keys.pending, value)
        else:
            assert self.store is not None
            self.store.push_raw(keys, value)

    def entries(self, key: str) -> list[bytes]:
        """A list's entries as stored, newest first."""
        if self.server is not None:
            return cast(list[bytes], self.server.lrange(key, 0, -1))
        assert self.store is not None
        values = self.store.values(key, decode_responses=False)
        return [
            value if isinstance(value, bytes) else value.encode() for value in values
        ]

    def lifetimes(self, prefix: str) -> dict[str, int]:
        """Every server key starting with ``prefix``, with its remaining lifetime in
        seconds (-1: no expiry)."""
        server = self.require_server("the store has no keys to list")
        names = cast(list[bytes], server.keys(f"{prefix}*"))
        return {name.decode(): server.ttl(name) for name in names}

    def require_server(self, reason: str) -> redis.Redis:
        """The server client; skips the scenario (with ``reason``) in memory."""
        if self.server is None:
            pytest.skip(f"in memory: {reason}")
        return self.server

    def replace_operation(
        self,
        monkeypatch: pytest.MonkeyPatch,
        operation: str,
        behaviour: Callable[[], Any],
    ) -> None:
        """Make every call of one backend operation run ``behaviour`` instead.

        Args:
            monkeypatch: Undoes the replacement after the test.
            operation: A port method such as ``"settle"`` or ``"renew"``.
            behaviour: Returns the operation's result, or raises its error.
        """

        def sync_operation(self: object, *arguments: object, **options: object) -> Any:
            return behaviour()

        async def async_operation(
            self: object, *arguments: object, **options: object
        ) -> Any:
            return behaviour()

        if self.store is not None:
            monkeypatch.setattr(MemoryStore, operation, sync_operation)
            return
        monkeypatch.setattr(SyncRedisBackend, operation, sync_operation)
        monkeypatch.setattr(AsyncRedisBackend, operation, async_operation)
