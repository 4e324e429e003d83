"""The backend that keeps queues on a Redis or Valkey server.

Every operation is one round trip: a plain LPUSH, one EVALSHA of the operation's
script, or one pipeline of reads. The scripts restate the rules of
``core.policy`` on the server, so any number of clients can share a queue.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from redis_message_queue.adapters.redis import script_calls
from redis_message_queue.adapters.redis._async.primitives import (
    AsyncRedisClient,
    AsyncScript,
)
from redis_message_queue.adapters.redis.errors import (
    cluster_node_error,
    is_missing_script,
    is_server_refusal,
    is_transient,
    translated_errors,
)
from redis_message_queue.adapters.redis.replica_waits import (
    Command,
    durable_commands,
    durable_result,
    script_commands,
)
from redis_message_queue.adapters.redis.script_calls import ScriptCall
from redis_message_queue.adapters.redis.script_library import register_scripts
from redis_message_queue.core.envelope import MessageData
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.ports._async.backend import AsyncBackend
from redis_message_queue.core.ports.types import (
    Capability,
    ClaimOptions,
    ClaimResult,
    Publication,
    PublishOptions,
    PublishResult,
    QueueDepths,
    Settlement,
)
from redis_message_queue.core.replay import new_claim_id
from redis_message_queue.core.replication import (
    DEFAULT_REPLICA_ACK_TIMEOUT_MS,
    ReplicaAcks,
    replica_acks,
)

logger = logging.getLogger(__name__)

_SHORTEST_BLOCK_SECONDS = 0.001
"""The server counts blocking timeouts in milliseconds; 0 would block forever."""

_READ_ONLY_SCRIPTS = frozenset({"depths"})
"""Script calls that write nothing, so durable mode does not wait for replicas."""


class AsyncRedisBackend(AsyncBackend):
    """Keeps queues on a Redis or Valkey server (7.0 or newer).

    Args:
        client: A redis-py or valkey-py client of the backend's flavour. The
            backend borrows it and never closes it. A ``socket_timeout`` on it must
            be longer than any wait passed to :meth:`wait_for_messages`, and in
            durable mode longer than ``replica_ack_timeout_ms``.
        min_replicas_acknowledging: Durable mode when above 0: every write
            (publish, claim, settle, renew, release, purge, redrive, marker
            cleanup) returns only once this many replicas of the primary hold it,
            and otherwise raises :class:`ReplicationTimeoutError`, which the queue
            retries. See ``docs/failover.md``.
        replica_ack_timeout_ms: How long one write waits for those replicas.

    Raises:
        TypeError: A durable-mode argument is not an int.
        ConfigurationError: The replica count is negative or the timeout not
            above zero.
    """

    capabilities = frozenset(
        {
            Capability.BLOCKING_WAIT,
            Capability.SERVER_TIME,
            Capability.TYPE_CHECKED_KEYS,
        }
    )

    def __init__(
        self,
        client: AsyncRedisClient,
        *,
        min_replicas_acknowledging: int = 0,
        replica_ack_timeout_ms: int = DEFAULT_REPLICA_ACK_TIMEOUT_MS,
    ) -> None:
        self._replica_acks = replica_acks(
            min_replicas_acknowledging, replica_ack_timeout_ms
        )
        self._client = client
        self._scripts = register_scripts(client)
        self.decode_responses = bool(client.get_encoder().decode_responses)
        self._server_checked = False

    async def publish(
        self,
        queue: QueueKeyManager,
        publications: Sequence[Publication],
        options: PublishOptions,
    ) -> PublishResult:
        """Push messages onto ``pending``; see the port for the contract.

        Without dedup markers and without a cap this is a plain LPUSH; otherwise
        ``publish.lua`` checks the cap and the markers in the same step.

        Raises:
            QueueBackpressureError: The cap refused the batch.
            LuaScriptError: ``pending`` holds a value of another type.
        """
        if not script_calls.needs_publish_script(publications, options):
            return await self._push(queue, publications)

        call = script_calls.publish_call(queue, publications, options)
        reply = await self._run(self._scripts.publish, call, queue, "publish")
        result = script_calls.publish_result(queue, reply)

        logger.debug(
            "published %d of %d to %s, dropped %d",
            sum(result.enqueued),
            len(publications),
            queue.queue_name,
            len(result.dropped),
        )
        return result

    async def claim(
        self,
        queue: QueueKeyManager,
        options: ClaimOptions,
        *,
        claim_id: str | None = None,
    ) -> ClaimResult:
        """Reclaim expired leases, then claim; see the port for the contract.

        Raises:
            LuaScriptError: A key of the queue holds a value of another type.
        """
        call = script_calls.claim_call(queue, options, claim_id or new_claim_id())
        reply = await self._run(self._scripts.claim, call, queue, "claim")
        result = script_calls.claim_result(reply)

        logger.debug(
            "claimed %d from %s, reclaimed %d, dead-lettered %d",
            len(result.claims),
            queue.queue_name,
            len(result.reclaimed),
            len(result.dead_lettered),
        )
        return result

    async def settle(self, queue: QueueKeyManager, settlement: Settlement) -> bool:
        """Acknowledge or fail a delivery; see the port for the contract.

        Raises:
            LuaScriptError: A key of the queue holds a value of another type.
        """
        call = script_calls.settle_call(queue, settlement)
        reply = await self._run(self._scripts.settle, call, queue, "settle")
        settled = int(reply) == 1

        logger.debug(
            "settled %s on %s as %s: %s",
            settlement.lease_token,
            queue.queue_name,
            settlement.outcome.value,
            settled,
        )
        return settled

    async def renew(
        self,
        queue: QueueKeyManager,
        stored: MessageData,
        lease_token: str,
        lease_ms: int,
    ) -> bool:
        """Extend a lease by the server clock; see the port for the contract.

        Raises:
            LuaScriptError: A key of the queue holds a value of another type.
        """
        # The token alone names the claim; tokens are random and never reused.
        del stored
        call = script_calls.renew_call(queue, lease_token, lease_ms)
        reply = await self._run(self._scripts.renew, call, queue, "renew")
        renewed = int(reply) == 1

        logger.debug("renewed %s on %s: %s", lease_token, queue.queue_name, renewed)
        return renewed

    async def depths(self, queue: QueueKeyManager) -> QueueDepths:
        """Count each part of the queue in one round trip, as one snapshot.

        Raises:
            LuaScriptError: A key of the queue holds a value of another type.
        """
        await self._check_server(queue)
        # MULTI/EXEC, so that a claim or reclaim cannot land between two counts.
        pipeline = self._client.pipeline(transaction=True)
        pipeline.llen(queue.pending)
        pipeline.hlen(queue.processing)
        pipeline.llen(queue.completed)
        pipeline.llen(queue.failed)
        pipeline.llen(queue.dead_letter)

        with translated_errors(queue, "depths"):
            replies = await pipeline.execute(raise_on_error=False)
            _raise_first_error(replies)

        return script_calls.depths_result(replies)

    async def peek(
        self,
        queue: QueueKeyManager,
        key: str,
        count: int,
        *,
        oldest_first: bool = False,
    ) -> tuple[MessageData, ...]:
        """See :meth:`AsyncBackend.peek`.

        Raises:
            LuaScriptError: ``key`` holds a value of another type.
        """
        if count <= 0:
            return ()
        start, stop = (-count, -1) if oldest_first else (0, count - 1)
        await self._check_server(queue)
        with translated_errors(queue, "peek"):
            values = await self._client.execute_command("LRANGE", key, start, stop)
        return tuple(reversed(values)) if oldest_first else tuple(values)

    async def wait_for_messages(
        self, queue: QueueKeyManager, timeout_seconds: float
    ) -> bool:
        """Block on the server until ``pending`` is non-empty or the time is up.

        BLMOVE from the claim end of ``pending`` back onto the same end leaves the
        list as it was, and the server wakes the waiter as soon as anything is
        pushed, by this library or by another program.

        Returns:
            True if ``pending`` held a message when the wait ended.

        Raises:
            LuaScriptError: ``pending`` holds a value of another type.
        """
        await self._check_server(queue)
        with translated_errors(queue, "wait"):
            if timeout_seconds <= 0:
                length = await self._client.execute_command("LLEN", queue.pending)
                return int(length) > 0

            timeout = max(timeout_seconds, _SHORTEST_BLOCK_SECONDS)
            moved = await self._client.execute_command(
                "BLMOVE", queue.pending, queue.pending, "RIGHT", "RIGHT", timeout
            )
        return moved is not None

    async def release(self, queue: QueueKeyManager, lease_tokens: Sequence[str]) -> int:
        """See :meth:`AsyncBackend.release`."""
        if not lease_tokens:
            return 0
        call = script_calls.release_call(queue, lease_tokens)
        return int(await self._run(self._scripts.release, call, queue, "release"))

    async def purge(self, queue: QueueKeyManager, key: str) -> int:
        """See :meth:`AsyncBackend.purge`."""
        call = script_calls.purge_call(queue, key)
        return int(await self._run(self._scripts.purge, call, queue, "purge"))

    async def redrive(self, queue: QueueKeyManager, message_ids: Sequence[str]) -> int:
        """See :meth:`AsyncBackend.redrive`."""
        if not message_ids:
            return 0
        call = script_calls.redrive_call(queue, message_ids)
        return int(await self._run(self._scripts.redrive, call, queue, "redrive"))

    async def forget_markers(
        self, queue: QueueKeyManager, markers: Sequence[tuple[str, str]]
    ) -> int:
        """See :meth:`AsyncBackend.forget_markers`."""
        if not markers:
            return 0
        call = script_calls.forget_markers_call(markers)
        script = self._scripts.forget_markers
        return int(await self._run(script, call, queue, "forget_markers"))

    def is_transient(self, error: BaseException) -> bool:
        """Lost connections, timeouts and failovers; not refused credentials.

        See :func:`redis_message_queue.adapters.redis.errors.is_transient`.
        """
        return is_transient(error)

    async def _push(
        self, queue: QueueKeyManager, publications: Sequence[Publication]
    ) -> PublishResult:
        values = [publication.stored for publication in publications]
        await self._check_server(queue)
        acks = self._replica_acks
        if acks is not None:
            push: Command = ("LPUSH", queue.pending, *values)
            await self._write_durably(queue, "publish", acks, push)
        else:
            with translated_errors(queue, "publish"):
                await self._client.execute_command("LPUSH", queue.pending, *values)

        logger.debug("published %d to %s", len(values), queue.queue_name)
        return PublishResult(enqueued=(True,) * len(values))

    async def _run(
        self,
        script: AsyncScript,
        call: ScriptCall,
        queue: QueueKeyManager,
        operation: str,
    ) -> Any:
        await self._check_server(queue)
        acks = self._replica_acks
        if acks is not None and operation not in _READ_ONLY_SCRIPTS:
            evalsha, eval_source = script_commands(script, call)
            return await self._write_durably(
                queue, operation, acks, evalsha, eval_source
            )
        with translated_errors(queue, operation):
            return await script(keys=call.keys, args=call.args)

    async def _write_durably(
        self,
        queue: QueueKeyManager,
        operation: str,
        acks: ReplicaAcks,
        write: Command,
        fallback: Command | None = None,
    ) -> Any:
        """Run ``write`` and wait until enough replicas hold it (durable mode).

        Args:
            queue: The queue the write works on.
            operation: What the write does, for errors and logs.
            acks: How many replicas must confirm, and how long to wait.
            write: The command, for example an ``EVALSHA``.
            fallback: What to send instead when the server lacks the script
                (after a restart): the same call as ``EVAL``.

        Raises:
            ReplicationTimeoutError: Too few replicas confirmed in time.
        """
        commands = durable_commands(queue, write, acks)
        with translated_errors(queue, operation):
            replies = await self._round_trip(queue, commands)
            if fallback is not None and is_missing_script(replies[0]):
                commands[0] = fallback
                replies = await self._round_trip(queue, commands)
            return durable_result(queue, operation, replies, acks)

    async def _round_trip(
        self, queue: QueueKeyManager, commands: Sequence[Command]
    ) -> list[Any]:
        """Send ``commands`` as one pipeline on one connection; return every reply.

        Error replies come back as exceptions in the list, not raised.
        """
        del queue
        pipeline = self._client.pipeline(transaction=False)
        for command in commands:
            pipeline.execute_command(*command)
        return await pipeline.execute(raise_on_error=False)

    async def _check_server(self, queue: QueueKeyManager) -> None:
        """Refuse a cluster node, once, before the backend's first call.

        A single-node client on a cluster node reaches only that node's slots, so
        a queue could seem to work until its slot moves. ``INFO cluster`` tells;
        it costs one round trip in the backend's life. A server that refuses
        INFO (an ACL, a renamed command) is taken as a single server; a ``MOVED``
        reply is still refused later (``translated_errors``).

        Raises:
            ConfigurationError: The server runs in cluster mode.
        """
        if self._server_checked:
            return
        try:
            info = await self._client.execute_command("INFO", "cluster")
        except Exception as exc:
            if not is_server_refusal(exc):
                raise
            logger.debug("INFO refused, taken as a single server: %s", exc)
            info = {}
        if _cluster_enabled(info):
            raise cluster_node_error(queue, "connect")
        self._server_checked = True


def _cluster_enabled(info: object) -> bool:
    # The clients parse INFO into a dict; cluster_enabled is 0 or 1.
    return isinstance(info, dict) and str(info.get("cluster_enabled", 0)) == "1"


def _raise_first_error(replies: Sequence[object]) -> None:
    # Pipelines prefix the first error with the command's position; raising the
    # reply itself keeps the server's message intact for the translation.
    for reply in replies:
        if isinstance(reply, Exception):
            raise reply
