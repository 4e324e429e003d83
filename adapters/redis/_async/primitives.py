"""The asyncio side of the Redis adapter: the shape of client it drives.

Written by hand; ``_sync/primitives.py`` is its thread-side twin. The backend is
generated from the asyncio source, so only names that differ between the two
flavours live here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

import redis.asyncio.cluster
import redis.exceptions
import valkey.asyncio.cluster

from redis_message_queue.adapters.redis.script_calls import ScriptArgument

NodeT = TypeVar("NodeT")


class AsyncScript(Protocol):
    """A Lua script registered with an asyncio client (runs with EVALSHA)."""

    def __call__(
        self,
        keys: Sequence[str] | None = None,
        args: Iterable[ScriptArgument] | None = None,
    ) -> Awaitable[Any]:
        """Run the script; await the reply."""
        ...

    @property
    def sha(self) -> str:
        """The SHA1 digest ``EVALSHA`` names the script by."""
        ...

    @property
    def script(self) -> Any:
        """The Lua source."""
        ...


class AsyncPipeline(Protocol):
    """A pipeline of an asyncio client: commands queue up until ``execute``."""

    def llen(self, name: str) -> Any:
        """Queue LLEN."""
        ...

    def hlen(self, name: str) -> Any:
        """Queue HLEN."""
        ...

    def execute_command(self, *args: Any, **options: Any) -> Any:
        """Queue any command."""
        ...

    def execute(self, raise_on_error: bool = True) -> Awaitable[list[Any]]:
        """Send the queued commands in one round trip; await their replies."""
        ...


class Encoder(Protocol):
    """The part of a client's encoder the backend reads."""

    @property
    def decode_responses(self) -> bool:
        """Whether replies come back as ``str`` rather than ``bytes``."""
        ...


class AsyncRedisClient(Protocol):
    """What the backend needs of a redis-py or valkey-py asyncio client."""

    def get_encoder(self) -> Encoder:
        """The client's encoder (it tells whether replies are decoded).

        Single-node and cluster clients both have one; only the former have a
        connection pool.
        """
        ...

    def register_script(self, script: str) -> AsyncScript:
        """Wrap Lua source in a script object."""
        ...

    def pipeline(self, transaction: bool = True) -> AsyncPipeline:
        """Start a pipeline."""
        ...

    def execute_command(self, *args: Any, **options: Any) -> Awaitable[Any]:
        """Send one command; await its reply."""
        ...


async def run_on_slot_owner(
    client: object, key: str, commands: Sequence[Sequence[Any]]
) -> list[Any]:
    """Send ``commands`` as one pipeline on one connection to the primary of ``key``.

    The primary is the one the cluster client maps the key's slot to; the client's
    own redirections are bypassed, so a ``MOVED`` or ``ASK`` reply comes back as
    it is. Error replies come back as exceptions in the list, not raised.

    Raises:
        TypeError: ``client`` is not an asyncio cluster client.
        redis.exceptions.ConnectionError: The primary is unreachable (or
            valkey-py's error of that name).
    """
    # A node's own pipeline runs on one of its connections, whereas the cluster
    # client's pipeline follows redirections and may split the commands.
    if isinstance(client, redis.asyncio.cluster.RedisCluster):
        await client.initialize()
        node = _require_node(client.get_node_from_key(key), key)
        entries = [
            redis.asyncio.cluster.PipelineCommand(position, *command)
            for position, command in enumerate(commands)
        ]
        await node.execute_pipeline(entries)
        return [entry.result for entry in entries]

    if isinstance(client, valkey.asyncio.cluster.ValkeyCluster):
        await client.initialize()
        valkey_node = _require_node(client.get_node_from_key(key), key)
        valkey_entries = [
            valkey.asyncio.cluster.PipelineCommand(position, *command)
            for position, command in enumerate(commands)
        ]
        await valkey_node.execute_pipeline(valkey_entries)
        return [entry.result for entry in valkey_entries]

    raise TypeError(f"expected an asyncio cluster client, got {type(client).__name__}")


def _require_node(node: NodeT | None, key: str) -> NodeT:
    if node is None:
        raise redis.exceptions.ConnectionError(f"no known owner of {key!r}")
    return node
