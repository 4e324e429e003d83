"""The demo's settings, checked once and frozen."""

from __future__ import annotations

from typing import Literal

import attrs

from redis_message_queue.core.errors import ConfigurationError

BackendName = Literal["redis", "memory"]
BACKENDS: tuple[BackendName, ...] = ("redis", "memory")


@attrs.frozen
class DemoOptions:
    """What one demo run does.

    Attributes:
        messages: Publish calls in total, deliberate duplicates included.
        producers: Producer processes (threads with the memory backend).
        consumers: Consumer processes (threads with the memory backend) alive at
            any time; each one that dies is replaced.
        backend: ``"redis"`` for a Redis-protocol server, ``"memory"`` for the
            in-process backend.
        url: The server to use; ``None`` starts an embedded Valkey.
        kills: Consumers the demo kills while they handle a message.
        timeout_seconds: Give up waiting after this long; what is left is lost.
        seed: Seed of the workload's random choices; ``None`` for a fresh one.
        visibility_timeout_seconds: The lease after which a crashed consumer's
            message comes back.
        max_delivery_count: Deliveries before a message is dead-lettered.

    Raises:
        ConfigurationError: A count is out of range, or ``url`` is given with the
            memory backend.
    """

    messages: int = 10_000
    producers: int = 2
    consumers: int = 4
    backend: BackendName = "redis"
    url: str | None = None
    kills: int = 3
    timeout_seconds: float = 120.0
    seed: int | None = None
    visibility_timeout_seconds: int = 2
    max_delivery_count: int = 3

    def __attrs_post_init__(self) -> None:
        minimums = {
            "messages": 1,
            "producers": 1,
            "consumers": 1,
            "kills": 0,
            "visibility_timeout_seconds": 1,
            "max_delivery_count": 1,
        }
        for name, minimum in minimums.items():
            value = getattr(self, name)
            if value < minimum:
                raise ConfigurationError(
                    f"'{name}' must be at least {minimum}, got {value}"
                )

        if self.backend not in BACKENDS:
            raise ConfigurationError(f"unknown backend {self.backend!r}")
        if self.url is not None and self.backend == "memory":
            raise ConfigurationError("'url' needs the redis backend, not memory")
        if self.timeout_seconds <= 0:
            raise ConfigurationError("'timeout_seconds' must be positive")
