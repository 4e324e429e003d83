"""Durable mode of the Redis backend: each write, then ``WAIT`` on the same primary.

``WAIT numreplicas timeout`` counts the replicas that hold every write made so far
*on its own connection*. So the write, a short-lived mark and the ``WAIT`` go out
as one pipeline on one connection: one round trip. Writing the mark
(``<name>::replication_mark``) last makes the ``WAIT`` cover everything the primary
held when the call ran, also when the call itself wrote nothing: a repeat that finds
its first run's work, or a duplicate publish that finds another producer's marker.

Pure code shared by the sync and asyncio backends; they send the commands.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeAlias

from redis_message_queue.adapters.redis.errors import ReplicationTimeoutError
from redis_message_queue.adapters.redis.script_calls import ScriptArgument, ScriptCall
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.replication import ReplicaAcks

Command: TypeAlias = tuple[ScriptArgument, ...]
"""One server command with its arguments, as a pipeline sends it."""

MARK_LIFETIME_MS = 60_000
"""The mark is overwritten by every durable write; it expires once a queue idles."""


class ScriptSource(Protocol):
    """What a registered script object tells about itself (redis-py, valkey-py)."""

    @property
    def sha(self) -> str:
        """The SHA1 digest ``EVALSHA`` names the script by."""
        ...

    @property
    def script(self) -> Any:
        """The Lua source, sent with ``EVAL`` when the server lacks the script."""
        ...


def script_commands(script: ScriptSource, call: ScriptCall) -> tuple[Command, Command]:
    """The ``EVALSHA`` of a script call, and the ``EVAL`` to send if it is missing."""
    arguments = (len(call.keys), *call.keys, *call.args)
    return ("EVALSHA", script.sha, *arguments), ("EVAL", script.script, *arguments)


def durable_commands(
    queue: QueueKeyManager, write: Command, acks: ReplicaAcks
) -> list[Command]:
    """The pipeline of one durable call: the write, the mark, then ``WAIT``."""
    return [
        write,
        ("SET", queue.replication_mark, "1", "PX", MARK_LIFETIME_MS),
        ("WAIT", acks.replicas, acks.timeout_ms),
    ]


def durable_result(
    queue: QueueKeyManager,
    operation: str,
    replies: Sequence[Any],
    acks: ReplicaAcks,
) -> Any:
    """The write's reply, once the replicas confirmed it.

    Raises:
        Exception: The first error reply of the pipeline, as the client parsed it.
        ReplicationTimeoutError: ``WAIT`` counted fewer replicas than required.
    """
    for reply in replies:
        if isinstance(reply, Exception):
            raise reply

    write_reply, _, acknowledged = replies
    if int(acknowledged) < acks.replicas:
        raise ReplicationTimeoutError(
            f"{operation} on queue {queue.queue_name!r}: {int(acknowledged)} of "
            f"{acks.replicas} replicas confirmed the write within "
            f"{acks.timeout_ms} ms; a failover now could lose it",
            required=acks.replicas,
            acknowledged=int(acknowledged),
            queue=queue.queue_name,
            operation=operation,
        )
    return write_reply
