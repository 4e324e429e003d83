"""The thread side of the Redis adapter: the shape of client it drives.

Written by hand; ``_async/primitives.py`` is its asyncio twin. The backend is
generated from the asyncio source, so only names that differ between the two
flavours live here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

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


class SyncPipeline(Protocol):
    """A pipeline of a sync client: commands queue up until ``execute``."""

    def llen(self, name: str) -> Any:
        """Queue LLEN."""
        ...

    def hlen(self, name: str) -> Any:
        """Queue HLEN."""
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
