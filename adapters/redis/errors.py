"""Errors of the Redis adapter, and the one place client errors become ours.

These classes are also redis-py exceptions, so code written against 6.0.0 that
catches ``redis.exceptions.ResponseError`` or ``RedisError`` keeps working.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import redis.exceptions
import valkey.exceptions

from redis_message_queue.core.errors import ConfigurationError, RedisMessageQueueError
from redis_message_queue.core.keys import QueueKeyManager

logger = logging.getLogger(__name__)

_RESPONSE_ERRORS = (redis.exceptions.ResponseError, valkey.exceptions.ResponseError)
_REFUSED_PREFIXES = ("WRONGTYPE", "OOM")
"""Replies that mean the server refused the call before writing anything."""
_OUT_OF_MEMORY_ERRORS = (
    redis.exceptions.OutOfMemoryError,
    valkey.exceptions.OutOfMemoryError,
)
"""The clients strip the ``OOM`` prefix and raise these instead."""
# A cluster node's answer for a slot it does not serve; cluster clients follow it.
# redis-py parses it into AskError (MovedError is one); valkey-py keeps the text.
_REDIRECT_ERRORS = (redis.exceptions.AskError, valkey.exceptions.AskError)
_REDIRECT_PREFIXES = ("MOVED ", "ASK ")
# redis-py and valkey-py parse NOSCRIPT into these, dropping the prefix.
_MISSING_SCRIPT_ERRORS = (
    redis.exceptions.NoScriptError,
    valkey.exceptions.NoScriptError,
)

# Errors after which the same call may pass: the connection dropped or timed out, or
# the server is failing over. A connection refused for its credentials will not heal.
_TRANSIENT_ERRORS = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ClusterDownError,
    redis.exceptions.TryAgainError,
    redis.exceptions.ReadOnlyError,
    valkey.exceptions.ConnectionError,
    valkey.exceptions.TimeoutError,
    valkey.exceptions.ClusterDownError,
    valkey.exceptions.TryAgainError,
    valkey.exceptions.ReadOnlyError,
)
_PERMANENT_CONNECTION_ERRORS = (
    redis.exceptions.AuthenticationError,
    redis.exceptions.AuthorizationError,
    valkey.exceptions.AuthenticationError,
    valkey.exceptions.AuthorizationError,
)


def _init_with_context(
    self: redis.exceptions.RedisError,
    *args: object,
    queue: str | None = None,
    message_id: str | None = None,
    operation: str | None = None,
) -> None:
    # redis-py's constructor takes no queue details, so they are set after it ran.
    redis.exceptions.RedisError.__init__(self, *args)
    self.queue = queue  # type: ignore[attr-defined]
    self.message_id = message_id  # type: ignore[attr-defined]
    self.operation = operation  # type: ignore[attr-defined]


class LuaScriptError(redis.exceptions.ResponseError, RedisMessageQueueError):
    """A queue key holds a value of the wrong type, so the server refused the call.

    Nothing was written: every script checks its keys before its first write.
    Another program uses one of the queue's key names; rename the queue or remove
    the foreign key.
    """

    __init__ = _init_with_context


class RetryBudgetExhaustedError(redis.exceptions.RedisError, RedisMessageQueueError):
    """Retrying a failed server call used up its budget; the last error is the cause."""

    __init__ = _init_with_context


class ReplicationTimeoutError(redis.exceptions.RedisError, RedisMessageQueueError):
    """Too few replicas confirmed a write in time (durable mode).

    The primary has the write, but a failover now could lose it, so the call did
    not report success. The queue retries such a call like a dropped connection
    (repeats are safe); this error surfaces when it is not retried, or as the
    cause of :class:`RetryBudgetExhaustedError`.

    Attributes:
        required: How many replicas had to confirm.
        acknowledged: How many did within the timeout.
    """

    def __init__(
        self,
        *args: object,
        required: int = 0,
        acknowledged: int = 0,
        queue: str | None = None,
        message_id: str | None = None,
        operation: str | None = None,
    ) -> None:
        _init_with_context(
            self, *args, queue=queue, message_id=message_id, operation=operation
        )
        self.required = required
        self.acknowledged = acknowledged


class CleanupFailedError(redis.exceptions.RedisError, RedisMessageQueueError):
    """Acknowledging or failing a message did not reach the server.

    The message keeps its lease and comes back once the lease expires. The error
    is also a ``redis.RedisError``, as the raw client error was in 6.0.0; the
    client's exception is its ``__cause__``.
    """

    __init__ = _init_with_context


def is_transient(error: BaseException) -> bool:
    """Whether a client error may pass when the same call is made again.

    True for lost connections, timeouts, ``CLUSTERDOWN``, ``TRYAGAIN`` and
    ``READONLY`` (a replica that is being promoted), from redis-py and valkey-py
    alike, and for :class:`ReplicationTimeoutError`; False for authentication and
    authorization failures and for anything else.
    """
    if isinstance(error, _PERMANENT_CONNECTION_ERRORS):
        return False
    return isinstance(error, (*_TRANSIENT_ERRORS, ReplicationTimeoutError))


def is_missing_script(reply: object) -> bool:
    """Whether a reply is the server's ``NOSCRIPT`` (the script is not loaded)."""
    if isinstance(reply, _MISSING_SCRIPT_ERRORS):
        return True
    return isinstance(reply, _RESPONSE_ERRORS) and str(reply).startswith("NOSCRIPT")


def is_redirect(reply: object) -> bool:
    """Whether a reply is a cluster node's ``MOVED`` or ``ASK``."""
    if not isinstance(reply, _RESPONSE_ERRORS):
        return False
    return isinstance(reply, _REDIRECT_ERRORS) or str(reply).startswith(
        _REDIRECT_PREFIXES
    )


def slot_moved_error(
    queue: QueueKeyManager, operation: str, redirect: BaseException
) -> redis.exceptions.TryAgainError:
    """The transient error for a durable call that a cluster node redirected.

    Durable calls bypass the cluster client's redirections (see
    ``replica_waits``); the queue's retries repeat them on the slot's new owner.
    """
    return redis.exceptions.TryAgainError(
        f"{operation} on queue {queue.queue_name!r}: the slot is moving or moved "
        f"({redirect}); trying again on its owner"
    )


def is_server_refusal(error: BaseException) -> bool:
    """Whether the server answered with an error (the connection itself is fine)."""
    return isinstance(error, _RESPONSE_ERRORS)


def cluster_node_error(queue: QueueKeyManager, operation: str) -> ConfigurationError:
    """The error for a single-node client whose server is a cluster node.

    Such a client reaches only the slots of the node it is connected to, and
    cannot follow the cluster when slots move or a replica takes over.
    """
    return ConfigurationError(
        f"queue {queue.queue_name!r}: the server is a cluster node, but the client "
        "is a single-node client that cannot follow the cluster's slots; pass a "
        "cluster client instead (redis.RedisCluster, valkey.cluster.ValkeyCluster, "
        "or their asyncio twins)",
        queue=queue.queue_name,
        operation=operation,
    )


@contextlib.contextmanager
def translated_errors(queue: QueueKeyManager, operation: str) -> Iterator[None]:
    """Turn a refusal of the server into :class:`LuaScriptError`.

    Refusals are a key holding the wrong type (``WRONGTYPE``) and a server out of
    memory under ``maxmemory`` with ``noeviction`` (``OOM``): in both cases nothing
    was written.

    Every server call of the adapter runs inside this block. Other errors, and
    replies that are not about a key's type, pass through unchanged.

    Args:
        queue: The queue the call works on.
        operation: What the call does, for example ``"claim"``.

    Raises:
        LuaScriptError: The server answered with a ``WRONGTYPE`` or ``OOM`` error.
        ConfigurationError: The server redirected the call to another cluster
            node (``MOVED`` or ``ASK``): the client is not a cluster client.
    """
    try:
        yield
    except _RESPONSE_ERRORS as exc:
        message = str(exc)
        if isinstance(exc, _REDIRECT_ERRORS) or message.startswith(_REDIRECT_PREFIXES):
            raise cluster_node_error(queue, operation) from exc
        refused = message.startswith(_REFUSED_PREFIXES) or isinstance(
            exc, _OUT_OF_MEMORY_ERRORS
        )
        if isinstance(exc, LuaScriptError) or not refused:
            raise
        logger.debug("%s on %s refused: %s", operation, queue.queue_name, message)
        raise LuaScriptError(
            message, queue=queue.queue_name, operation=operation
        ) from exc
