"""An example storage adapter: the backend port on one SQLite database.

Written only against the public port (``redis_message_queue.core``), as a third
party would write it. Every port method is one ``BEGIN IMMEDIATE`` transaction, so
it is atomic for threads in this process and for other processes sharing the file.

Tables, each keyed by the key names of :class:`QueueKeyManager`:

- ``pending``: stored messages ordered by ``seq``; claims take the lowest. Publishes
  get the next autoincrement value; messages put back (reclaimed, released) get a
  value below every row, so they are claimed first.
- ``processing``: claimed messages by lease token, with their lease deadline.
- ``delivery_counts``: delivery counts by
  :func:`~redis_message_queue.core.envelope.delivery_field`.
- ``lists``: completed, failed and dead-letter payloads; newest has the highest id.
- ``markers``: dedup markers (the envelope id that set them, and their expiry).
- ``settled``: settle records (see :mod:`redis_message_queue.core.replay`).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from redis_message_queue.core.clock import Clock, ManualClock
from redis_message_queue.core.envelope import (
    MessageData,
    decode,
    delivery_field,
    encode,
)
from redis_message_queue.core.errors import QueueBackpressureError
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.policy import (
    ClaimDecision,
    PublishDecision,
    decide_claim,
    decide_publish,
    lease_deadline_ms,
    overflow,
)
from redis_message_queue.core.ports import (
    Capability,
    Claim,
    ClaimOptions,
    ClaimResult,
    Publication,
    PublishOptions,
    PublishResult,
    QueueDepths,
    Settlement,
    SyncBackend,
)
from redis_message_queue.core.replay import lease_tokens, marker_value, new_claim_id

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pending (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    value BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS pending_by_key ON pending (key, seq);
CREATE TABLE IF NOT EXISTS processing (
    key TEXT NOT NULL,
    token TEXT NOT NULL,
    value BLOB NOT NULL,
    deadline_ms INTEGER,
    PRIMARY KEY (key, token)
);
CREATE INDEX IF NOT EXISTS processing_by_deadline
    ON processing (key, deadline_ms, token);
CREATE TABLE IF NOT EXISTS delivery_counts (
    key TEXT NOT NULL,
    field BLOB NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (key, field)
);
CREATE TABLE IF NOT EXISTS lists (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    value BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS lists_by_key ON lists (key, id);
CREATE TABLE IF NOT EXISTS markers (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    expires_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS settled (
    key TEXT PRIMARY KEY,
    expires_ms INTEGER NOT NULL
);
"""


_PEEK_SQL = {
    (True, True): "SELECT value FROM pending WHERE key = ? ORDER BY seq ASC LIMIT ?",
    (True, False): "SELECT value FROM pending WHERE key = ? ORDER BY seq DESC LIMIT ?",
    (False, True): "SELECT value FROM lists WHERE key = ? ORDER BY id ASC LIMIT ?",
    (False, False): "SELECT value FROM lists WHERE key = ? ORDER BY id DESC LIMIT ?",
}
"""Peek queries by (the key is ``pending``, oldest first)."""


class WallClock:
    """Milliseconds from :func:`time.time`, never going backwards in a process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0

    def now_ms(self) -> int:
        """The current time, or the last reading if the wall clock went back."""
        reading = int(time.time() * 1000)
        with self._lock:
            self._last_ms = max(self._last_ms, reading)
            return self._last_ms


class SqliteBackend(SyncBackend):
    """The backend port over one SQLite database file.

    Args:
        path: The database file, or ``":memory:"`` for a private in-process one.
        clock: Time for lease deadlines, dedup windows and settle records; the
            wall clock if omitted. A :class:`ManualClock` adds
            :attr:`Capability.MANUAL_CLOCK`.
        decode_responses: Hand values out as ``str`` rather than ``bytes``.
        timeout: Seconds to wait for another process's write lock.
    """

    def __init__(
        self,
        path: str = ":memory:",
        *,
        clock: Clock | None = None,
        decode_responses: bool = False,
        timeout: float = 5.0,
    ) -> None:
        self.clock: Clock = clock if clock is not None else WallClock()
        self.decode_responses = decode_responses
        self.capabilities = (
            frozenset({Capability.MANUAL_CLOCK})
            if isinstance(self.clock, ManualClock)
            else frozenset()
        )
        self._lock = threading.Lock()
        # Autocommit mode: transactions are begun and ended explicitly below.
        self._db = sqlite3.connect(
            path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        with self._lock:
            self._db.executescript(_SCHEMA)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _out(self, value: bytes) -> MessageData:
        return value.decode("utf-8") if self.decode_responses else bytes(value)

    # -- publish ---------------------------------------------------------------

    def publish(
        self,
        queue: QueueKeyManager,
        publications: Sequence[Publication],
        options: PublishOptions,
    ) -> PublishResult:
        """See :meth:`SyncBackend.publish`."""
        with self._transaction() as db:
            now_ms = self.clock.now_ms()
            fresh = _fresh_flags(db, publications, now_ms)
            dropped = self._make_room(db, queue, sum(fresh), options)
            for publication, is_fresh in zip(publications, fresh, strict=True):
                if is_fresh:
                    _enqueue(db, queue, publication, now_ms, options)
            enqueued = [
                is_fresh or _marked_by(db, publication)
                for publication, is_fresh in zip(publications, fresh, strict=True)
            ]
        return PublishResult(
            enqueued=tuple(enqueued),
            dropped=tuple(self._out(value) for value in dropped),
        )

    def _make_room(
        self,
        db: sqlite3.Connection,
        queue: QueueKeyManager,
        incoming: int,
        options: PublishOptions,
    ) -> list[bytes]:
        length = _count(db, "pending", queue.pending)
        cap = options.max_pending_length
        decision = decide_publish(length, incoming, cap, options.overload_policy)
        if decision is PublishDecision.REFUSE:
            raise QueueBackpressureError(
                f"{length} pending plus {incoming} new messages exceed "
                f"max_pending_length={cap}",
                queue=queue.queue_name,
                operation="publish",
            )
        if decision is PublishDecision.ENQUEUE or cap is None:
            return []
        rows = db.execute(
            "SELECT seq, value FROM pending WHERE key = ? ORDER BY seq LIMIT ?",
            (queue.pending, overflow(length, incoming, cap)),
        ).fetchall()
        for seq, value in rows:
            db.execute("DELETE FROM pending WHERE seq = ?", (seq,))
            _forget_count(db, queue, value)
        return [value for _, value in rows]

    # -- claim -----------------------------------------------------------------

    def claim(
        self,
        queue: QueueKeyManager,
        options: ClaimOptions,
        *,
        claim_id: str | None = None,
    ) -> ClaimResult:
        """See :meth:`SyncBackend.claim`."""
        tokens = lease_tokens(claim_id or new_claim_id(), options.max_messages)
        with self._transaction() as db:
            now_ms = self.clock.now_ms()
            reclaimed: list[bytes] = []
            dead_lettered: list[bytes] = []
            deliveries = _earlier_run(db, queue, tokens, now_ms, options.lease_ms)
            if not deliveries:
                reclaimed = _reclaim(db, queue, now_ms, options.reclaim_limit)
                deliveries, dead_lettered = _take(db, queue, now_ms, options, tokens)
            earliest = db.execute(
                "SELECT MIN(deadline_ms) FROM processing WHERE key = ?",
                (queue.processing,),
            ).fetchone()[0]
        return ClaimResult(
            claims=tuple(
                Claim(self._out(value), token, count)
                for value, token, count in deliveries
            ),
            reclaimed=tuple(self._out(value) for value in reclaimed),
            dead_lettered=tuple(self._out(value) for value in dead_lettered),
            next_expiry_ms=None if earliest is None else max(0, earliest - now_ms),
        )

    # -- settle, renew, release ------------------------------------------------

    def settle(self, queue: QueueKeyManager, settlement: Settlement) -> bool:
        """See :meth:`SyncBackend.settle`."""
        token = settlement.lease_token
        record_key = queue.settled(token)
        with self._transaction() as db:
            now_ms = self.clock.now_ms()
            db.execute("DELETE FROM settled WHERE expires_ms < ?", (now_ms,))
            held = _held(db, queue, token, settlement.stored)
            if held is None:
                row = db.execute(
                    "SELECT 1 FROM settled WHERE key = ?", (record_key,)
                ).fetchone()
                return row is not None

            _unlease(db, queue, token)
            _forget_count(db, queue, held)
            if settlement.history_key is not None:
                payload = settlement.history_payload
                if payload is None:
                    payload = decode(held).payload
                _push_list(db, settlement.history_key, _as_bytes(payload))
                if settlement.history_limit is not None:
                    _trim(db, settlement.history_key, settlement.history_limit)
            if settlement.record_seconds is not None and settlement.record_seconds > 0:
                db.execute(
                    "INSERT OR REPLACE INTO settled (key, expires_ms) VALUES (?, ?)",
                    (record_key, now_ms + settlement.record_seconds * 1000),
                )
            return True

    def renew(
        self,
        queue: QueueKeyManager,
        stored: MessageData,
        lease_token: str,
        lease_ms: int,
    ) -> bool:
        """See :meth:`SyncBackend.renew`."""
        with self._transaction() as db:
            if _held(db, queue, lease_token, stored) is None:
                return False
            cursor = db.execute(
                "UPDATE processing SET deadline_ms = ? "
                "WHERE key = ? AND token = ? AND deadline_ms IS NOT NULL",
                (
                    lease_deadline_ms(self.clock.now_ms(), lease_ms),
                    queue.processing,
                    lease_token,
                ),
            )
            return cursor.rowcount == 1

    def release(self, queue: QueueKeyManager, lease_tokens: Sequence[str]) -> int:
        """See :meth:`SyncBackend.release`."""
        released = 0
        with self._transaction() as db:
            for token in lease_tokens:
                row = db.execute(
                    "SELECT value FROM processing WHERE key = ? AND token = ?",
                    (queue.processing, token),
                ).fetchone()
                if row is None:
                    continue
                value: bytes = row[0]
                _unlease(db, queue, token)
                _undo_one_delivery(db, queue, value)
                _push_front(db, queue, value)
                released += 1
        return released

    # -- reads and operator moves ------------------------------------------------

    def depths(self, queue: QueueKeyManager) -> QueueDepths:
        """See :meth:`SyncBackend.depths`."""
        with self._transaction() as db:
            return QueueDepths(
                pending=_count(db, "pending", queue.pending),
                processing=_count(db, "processing", queue.processing),
                completed=_count(db, "lists", queue.completed),
                failed=_count(db, "lists", queue.failed),
                dead_letter=_count(db, "lists", queue.dead_letter),
            )

    def peek(
        self,
        queue: QueueKeyManager,
        key: str,
        count: int,
        *,
        oldest_first: bool = False,
    ) -> tuple[MessageData, ...]:
        """See :meth:`SyncBackend.peek`."""
        if count < 1:
            return ()
        sql = _PEEK_SQL[key == queue.pending, oldest_first]
        with self._transaction() as db:
            rows = db.execute(sql, (key, count)).fetchall()
        return tuple(self._out(value) for (value,) in rows)

    def purge(self, queue: QueueKeyManager, key: str) -> int:
        """See :meth:`SyncBackend.purge`."""
        with self._transaction() as db:
            if key != queue.pending:
                return db.execute("DELETE FROM lists WHERE key = ?", (key,)).rowcount
            rows = db.execute(
                "SELECT value FROM pending WHERE key = ?", (key,)
            ).fetchall()
            for (value,) in rows:
                _forget_count(db, queue, value)
            db.execute("DELETE FROM pending WHERE key = ?", (key,))
            return len(rows)

    def redrive(self, queue: QueueKeyManager, message_ids: Sequence[str]) -> int:
        """See :meth:`SyncBackend.redrive`."""
        with self._transaction() as db:
            rows = db.execute(
                "SELECT id, value FROM lists WHERE key = ? ORDER BY id LIMIT ?",
                (queue.dead_letter, len(message_ids)),
            ).fetchall()
            for (row_id, value), message_id in zip(rows, message_ids, strict=False):
                db.execute("DELETE FROM lists WHERE id = ?", (row_id,))
                payload = bytes(value).decode("utf-8", errors="surrogateescape")
                stored = encode(payload, message_id).encode("utf-8", "surrogateescape")
                db.execute(
                    "INSERT INTO pending (key, value) VALUES (?, ?)",
                    (queue.pending, stored),
                )
            return len(rows)

    def forget_markers(
        self, queue: QueueKeyManager, markers: Sequence[tuple[str, str]]
    ) -> int:
        """See :meth:`SyncBackend.forget_markers`."""
        del queue
        deleted = 0
        with self._transaction() as db:
            now_ms = self.clock.now_ms()
            for key, message_id in markers:
                deleted += db.execute(
                    "DELETE FROM markers WHERE key = ? AND value = ? "
                    "AND expires_ms >= ?",
                    (key, message_id, now_ms),
                ).rowcount
        return deleted

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()


# -- helpers: each runs inside the caller's transaction ------------------------


def _as_bytes(value: MessageData) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def _field(value: bytes) -> bytes:
    return _as_bytes(delivery_field(value))


def _count(db: sqlite3.Connection, table: str, key: str) -> int:
    sql = f"SELECT COUNT(*) FROM {table} WHERE key = ?"  # noqa: S608
    return int(db.execute(sql, (key,)).fetchone()[0])


def _live_marker(db: sqlite3.Connection, key: str, now_ms: int) -> str | None:
    row = db.execute(
        "SELECT value FROM markers WHERE key = ? AND expires_ms >= ?", (key, now_ms)
    ).fetchone()
    return None if row is None else str(row[0])


def _fresh_flags(
    db: sqlite3.Connection, publications: Sequence[Publication], now_ms: int
) -> list[bool]:
    db.execute("DELETE FROM markers WHERE expires_ms < ?", (now_ms,))
    seen: set[str] = set()
    flags = []
    for publication in publications:
        key = publication.dedup_key
        duplicate = key is not None and (
            key in seen or _live_marker(db, key, now_ms) is not None
        )
        if key is not None:
            seen.add(key)
        flags.append(not duplicate)
    return flags


def _marked_by(db: sqlite3.Connection, publication: Publication) -> bool:
    # A marker holding this publication's own envelope id was set by an earlier
    # run of the same call whose reply was lost: that run enqueued it.
    marker = marker_value(publication.stored)
    if not marker or publication.dedup_key is None:
        return False
    row = db.execute(
        "SELECT value FROM markers WHERE key = ?", (publication.dedup_key,)
    ).fetchone()
    return row is not None and row[0] == marker


def _enqueue(
    db: sqlite3.Connection,
    queue: QueueKeyManager,
    publication: Publication,
    now_ms: int,
    options: PublishOptions,
) -> None:
    if publication.dedup_key is not None:
        db.execute(
            "INSERT OR REPLACE INTO markers (key, value, expires_ms) VALUES (?, ?, ?)",
            (
                publication.dedup_key,
                marker_value(publication.stored),
                now_ms + options.dedup_ttl_seconds * 1000,
            ),
        )
    db.execute(
        "INSERT INTO pending (key, value) VALUES (?, ?)",
        (queue.pending, publication.stored.encode("utf-8")),
    )


def _push_front(db: sqlite3.Connection, queue: QueueKeyManager, value: bytes) -> None:
    # Below every row of the table, hence below every pending row of this queue,
    # and below anything AUTOINCREMENT hands out later.
    lowest = db.execute("SELECT MIN(seq) FROM pending").fetchone()[0]
    seq = min(lowest or 0, 0) - 1
    db.execute(
        "INSERT INTO pending (seq, key, value) VALUES (?, ?, ?)",
        (seq, queue.pending, value),
    )


def _push_list(db: sqlite3.Connection, key: str, value: bytes) -> None:
    db.execute("INSERT INTO lists (key, value) VALUES (?, ?)", (key, value))


def _trim(db: sqlite3.Connection, key: str, limit: int) -> None:
    db.execute(
        "DELETE FROM lists WHERE key = ? AND id NOT IN "
        "(SELECT id FROM lists WHERE key = ? ORDER BY id DESC LIMIT ?)",
        (key, key, max(limit, 0)),
    )


def _held(
    db: sqlite3.Connection, queue: QueueKeyManager, token: str, stored: MessageData
) -> bytes | None:
    row = db.execute(
        "SELECT value FROM processing WHERE key = ? AND token = ?",
        (queue.processing, token),
    ).fetchone()
    if row is None or bytes(row[0]) != _as_bytes(stored):
        return None
    return bytes(row[0])


def _unlease(db: sqlite3.Connection, queue: QueueKeyManager, token: str) -> None:
    db.execute(
        "DELETE FROM processing WHERE key = ? AND token = ?",
        (queue.processing, token),
    )


def _get_count(db: sqlite3.Connection, queue: QueueKeyManager, value: bytes) -> int:
    row = db.execute(
        "SELECT count FROM delivery_counts WHERE key = ? AND field = ?",
        (queue.delivery_counts, _field(value)),
    ).fetchone()
    return 0 if row is None else int(row[0])


def _set_count(
    db: sqlite3.Connection, queue: QueueKeyManager, value: bytes, count: int
) -> None:
    if count <= 0:
        _forget_count(db, queue, value)
        return
    db.execute(
        "INSERT OR REPLACE INTO delivery_counts (key, field, count) VALUES (?, ?, ?)",
        (queue.delivery_counts, _field(value), count),
    )


def _forget_count(db: sqlite3.Connection, queue: QueueKeyManager, value: bytes) -> None:
    db.execute(
        "DELETE FROM delivery_counts WHERE key = ? AND field = ?",
        (queue.delivery_counts, _field(value)),
    )


def _undo_one_delivery(
    db: sqlite3.Connection, queue: QueueKeyManager, value: bytes
) -> None:
    _set_count(db, queue, value, _get_count(db, queue, value) - 1)


_Delivery = tuple[bytes, str, int]


def _earlier_run(
    db: sqlite3.Connection,
    queue: QueueKeyManager,
    tokens: Sequence[str],
    now_ms: int,
    lease_ms: int | None,
) -> list[_Delivery]:
    # What an earlier run of the same claim left under its tokens; the lease
    # restarts, as if the claim had happened now.
    deliveries: list[_Delivery] = []
    for token in tokens:
        row = db.execute(
            "SELECT value, deadline_ms FROM processing WHERE key = ? AND token = ?",
            (queue.processing, token),
        ).fetchone()
        if row is None:
            continue
        value = bytes(row[0])
        if lease_ms is not None and row[1] is not None:
            db.execute(
                "UPDATE processing SET deadline_ms = ? WHERE key = ? AND token = ?",
                (lease_deadline_ms(now_ms, lease_ms), queue.processing, token),
            )
        count = _get_count(db, queue, value) or 1
        deliveries.append((value, token, count))
    return deliveries


def _reclaim(
    db: sqlite3.Connection, queue: QueueKeyManager, now_ms: int, limit: int
) -> list[bytes]:
    rows = db.execute(
        "SELECT token, value FROM processing "
        "WHERE key = ? AND deadline_ms IS NOT NULL AND deadline_ms < ? "
        "ORDER BY deadline_ms, token LIMIT ?",
        (queue.processing, now_ms, max(limit, 0)),
    ).fetchall()
    # Pushing the latest deadline to the front first leaves the earliest one to
    # be claimed first.
    for token, value in reversed(rows):
        _unlease(db, queue, token)
        _push_front(db, queue, bytes(value))
    return [bytes(value) for _, value in rows]


def _take(
    db: sqlite3.Connection,
    queue: QueueKeyManager,
    now_ms: int,
    options: ClaimOptions,
    tokens: Sequence[str],
) -> tuple[list[_Delivery], list[bytes]]:
    deliveries: list[_Delivery] = []
    dead_lettered: list[bytes] = []
    while len(deliveries) < options.max_messages:
        row = db.execute(
            "SELECT seq, value FROM pending WHERE key = ? ORDER BY seq LIMIT 1",
            (queue.pending,),
        ).fetchone()
        if row is None:
            break
        seq, value = row[0], bytes(row[1])
        db.execute("DELETE FROM pending WHERE seq = ?", (seq,))
        count = _get_count(db, queue, value) + 1
        _set_count(db, queue, value, count)
        if decide_claim(count, options.max_delivery_count) is ClaimDecision.DEAD_LETTER:
            _forget_count(db, queue, value)
            _push_list(db, queue.dead_letter, _as_bytes(decode(value).payload))
            dead_lettered.append(value)
            continue

        token = tokens[len(deliveries)]
        deadline = (
            None
            if options.lease_ms is None
            else lease_deadline_ms(now_ms, options.lease_ms)
        )
        db.execute(
            "INSERT INTO processing (key, token, value, deadline_ms) "
            "VALUES (?, ?, ?, ?)",
            (queue.processing, token, value, deadline),
        )
        deliveries.append((value, token, count))
    return deliveries, dead_lettered
