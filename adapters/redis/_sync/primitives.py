"""The thread side of the Redis adapter: the shape of client it drives.

Written by hand; ``_async/primitives.py`` is its asyncio twin. The backend is
generated from the asyncio source, so only names that differ between the two
flavours live here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import redis
import redis.cluster
import redis.exceptions
import valkey
import valkey.cluster

from redis_message_queue.adapters.redis.script_calls import ScriptArgument


class Script(Protocol):
    """A Lua script registered with a sync client (runs with EVALSHA)."""

    def __call__(
        self,
        keys: Sequence[str] | None = None,
        args: Iterable[ScriptArgument] | None = None,
    ) -> Any:
        """Run the script and return its reply."""
        ...

    @property
    def sha(self) -> str:
        """The SHA1 digest ``EVALSHA`` names the script by."""
        ...

    @property
    def script(self) -> Any:
        """The Lua source."""
        ...


class SyncPipeline(Protocol):
    """A pipeline of a sync client: commands queue up until ``execute``."""

    def llen(self, name: str) -> Any:
        """Queue LLEN."""
        ...

    def hlen(self, name: str) -> Any:
        """Queue HLEN."""
        ...

    def execute_command(self, *args: Any, **options: Any) -> Any:
        """Queue any command."""
        ...

    def execute(self, raise_on_error: bool = True) -> list[Any]:
        """Send the queued commands in one round trip and return their replies."""
        ...


class Encoder(Protocol):
    """The part of a client's encoder the backend reads."""

    @property
    def decode_responses(self) -> bool:
        """Whether replies come back as ``str`` rather than ``bytes``."""
        ...


class SyncRedisClient(Protocol):
    """What the backend needs of a redis-py or valkey-py sync client."""

    def get_encoder(self) -> Encoder:
        """The client's encoder (it tells whether replies are decoded).

        Single-node and cluster clients both have one; only the former have a
        connection pool.
        """
        ...

    def register_script(self, script: str) -> Script:
        """Wrap Lua source in a script object."""
        ...

    def pipeline(self, transaction: bool = True) -> SyncPipeline:
        """Start a pipeline."""
        ...

    def execute_command(self, *args: Any, **options: Any) -> Any:
        """Send one command and return its reply."""
        ...


def run_on_slot_owner(
    client: object, key: str, commands: Sequence[Sequence[Any]]
) -> list[Any]:
    """Send ``commands`` as one pipeline on one connection to the primary of ``key``.

    The primary is the one the cluster client maps the key's slot to; the client's
    own redirections are bypassed, so a ``MOVED`` or ``ASK`` reply comes back as
    it is. Error replies come back as exceptions in the list, not raised.

    Raises:
        TypeError: ``client`` is not a sync cluster client.
        redis.exceptions.ConnectionError: The primary is unreachable (or
            valkey-py's error of that name).
    """
    # A node's own client pipelines on one of its connections, whereas the
    # cluster client's pipeline follows redirections and may split the commands.
    node_client: redis.Redis | valkey.Valkey | None
    if isinstance(client, redis.cluster.RedisCluster):
        node = client.get_node_from_key(key)  # type: ignore[no-untyped-call]
        node_client = None if node is None else node.redis_connection
    elif isinstance(client, valkey.cluster.ValkeyCluster):
        valkey_node = client.get_node_from_key(key)  # type: ignore[no-untyped-call]
        node_client = None if valkey_node is None else valkey_node.valkey_connection
    else:
        raise TypeError(f"expected a sync cluster client, got {type(client).__name__}")
    if node_client is None:
        raise redis.exceptions.ConnectionError(f"no known owner of {key!r}")

    pipeline = node_client.pipeline(transaction=False)
    for command in commands:
        pipeline.execute_command(*command)
    replies: list[Any] = pipeline.execute(raise_on_error=False)
    return replies
