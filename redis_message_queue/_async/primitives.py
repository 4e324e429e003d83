"""What truly differs between the asyncio and the sync queue, written for asyncio.

The sync twin ``redis_message_queue/_sync/primitives.py`` is hand-written with the
same names; everything else in ``_async`` is turned into sync code by a generator.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any

from redis_message_queue.core.ports import AsyncBackend

IS_ASYNC = True
"""Whether this is the asyncio flavour (decides which callables fit)."""

monotonic = time.monotonic


async def sleep(seconds: float) -> None:
    """Pause the current task."""
    await asyncio.sleep(seconds)


async def call_user_function(function: Callable[..., Any], *arguments: Any) -> Any:
    """Call a user function that may be sync or async, and return its result."""
    result = function(*arguments)
    if inspect.isawaitable(result):
        return await result
    return result


def backend_for_client(client: object) -> AsyncBackend:
    """Choose the backend that drives ``client``.

    Raises:
        TypeError: ``client`` is not an asyncio client this queue can use.
    """
    from redis_message_queue.adapters.redis.connections import (  # noqa: PLC0415
        async_backend_for_client,
    )

    return async_backend_for_client(client)


def require_backend(backend: object) -> AsyncBackend:
    """Check that ``backend`` implements the asyncio port.

    Raises:
        TypeError: It is not an :class:`AsyncBackend`.
    """
    if not isinstance(backend, AsyncBackend):
        raise TypeError(
            f"the asyncio queue needs an AsyncBackend, got {type(backend).__name__}"
        )
    return backend
