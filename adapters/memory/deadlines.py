"""An index of keys by deadline, like a Redis sorted set scored in milliseconds."""

from __future__ import annotations

import heapq

from redis_message_queue.core.policy import lease_expired

# Re-setting a key leaves its old heap entry behind; rebuild once stale entries
# outnumber live ones, so renewals cannot grow the heap without bound.
_COMPACT_MIN_SIZE = 64


class DeadlineIndex:
    """Keys with a deadline each, read back earliest first.

    An entry has expired once its deadline has passed, the rule of
    :func:`~redis_message_queue.core.policy.lease_expired`; Redis expires keys by
    the same rule, so the index serves lease deadlines and dedup markers alike.
    Ties are broken by key, as a sorted set orders equal scores.
    """

    def __init__(self) -> None:
        self._deadlines: dict[str, int] = {}
        self._heap: list[tuple[int, str]] = []

    def __len__(self) -> int:
        return len(self._deadlines)

    def __contains__(self, key: object) -> bool:
        return key in self._deadlines

    def set(self, key: str, deadline_ms: int) -> None:
        """Give ``key`` the deadline ``deadline_ms``, replacing any earlier one."""
        self._deadlines[key] = deadline_ms
        heapq.heappush(self._heap, (deadline_ms, key))
        self._compact_if_stale()

    def discard(self, key: str) -> None:
        """Forget ``key`` if it is present."""
        self._deadlines.pop(key, None)

    def earliest(self) -> int | None:
        """The earliest deadline held, or ``None`` when the index is empty."""
        self._drop_stale_top()
        return self._heap[0][0] if self._heap else None

    def pop_expired(self, now_ms: int, limit: int | None = None) -> list[str]:
        """Remove and return the expired keys, earliest deadline first.

        Args:
            now_ms: The current time.
            limit: Return at most this many; ``None`` for all of them.
        """
        expired: list[str] = []
        while limit is None or len(expired) < limit:
            self._drop_stale_top()
            if not self._heap or not lease_expired(self._heap[0][0], now_ms):
                break

            _, key = heapq.heappop(self._heap)
            del self._deadlines[key]
            expired.append(key)
        return expired

    def _drop_stale_top(self) -> None:
        while self._heap:
            deadline, key = self._heap[0]
            if self._deadlines.get(key) == deadline:
                return
            heapq.heappop(self._heap)

    def _compact_if_stale(self) -> None:
        if len(self._heap) < _COMPACT_MIN_SIZE:
            return
        if len(self._heap) > 2 * len(self._deadlines):
            self._heap = [(deadline, key) for key, deadline in self._deadlines.items()]
            heapq.heapify(self._heap)
