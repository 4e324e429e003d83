"""What truly differs between the asyncio and the sync queue, written for asyncio.

The sync twin ``redis_message_queue/_sync/primitives.py`` is hand-written with the
same names; everything else in ``_async`` is turned into sync code by a generator.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable, Coroutine
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


async def call_event_callback(function: Callable[..., Any], *arguments: Any) -> None:
    """Call ``on_event``, which the asyncio queue awaits.

    Raises:
        TypeError: The call returned something that cannot be awaited (the
            callback ran, but not as the coroutine it claimed to be).
    """
    result = function(*arguments)
    if not inspect.isawaitable(result):
        raise TypeError(
            f"{getattr(function, '__name__', function)!r} returned "
            f"{type(result).__name__}, which is not awaitable; the asyncio queue "
            "needs an async function"
        )
    await result


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
            " (for tests: redis_message_queue.adapters.memory.AsyncMemoryBackend)"
        )
    return backend


class StopSignal:
    """A flag one side sets and the other waits on with a timeout."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def set(self) -> None:
        """Raise the flag; waiters return at once."""
        self._event.set()

    def is_set(self) -> bool:
        """Whether the flag is up."""
        return self._event.is_set()

    async def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds; True if the flag went up."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            return False
        return True


class Background:
    """Work running beside the handler: an asyncio task.

    Args:
        work: The coroutine function to run, called with no arguments.
        name: A name for debugging.
    """

    def __init__(self, work: Callable[[], Coroutine[Any, Any, None]], name: str):
        self._task = asyncio.get_running_loop().create_task(work(), name=name)

    async def join(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the work to end; True if it did."""
        done, _ = await asyncio.wait({self._task}, timeout=timeout)
        if not done:
            return False
        if not self._task.cancelled():
            self._task.exception()  # retrieved so that asyncio does not log it
        return True


def cancellation_requested() -> bool:
    """Whether the current task is being cancelled from outside.

    A ``CancelledError`` raised by the handler's own code (no pending cancel) is an
    ordinary failure; one that comes with a pending cancel is a shutdown.
    """
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def shielded(
    work: Coroutine[Any, Any, Any], *, absorb_cancellation: bool = False
) -> Any:
    """Run ``work`` to its end even if the caller is cancelled meanwhile.

    Args:
        work: The cleanup to finish.
        absorb_cancellation: Swallow one cancellation that arrives meanwhile
            (the caller is about to raise something more telling); otherwise the
            cancellation is delivered once the work has finished.
    """
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        result = await task
        current = asyncio.current_task()
        if not absorb_cancellation or current is None:
            raise
        current.uncancel()
        return result


def leaves_message_claimed(error: BaseException) -> bool:
    """Whether a handler's exception means "stop now" rather than "this failed".

    Interrupts, exits and a cancellation from outside leave the message claimed
    for its lease to bring back; a ``CancelledError`` the handler raised itself,
    with no cancellation pending, is an ordinary failure.
    """
    if isinstance(error, KeyboardInterrupt | SystemExit | GeneratorExit):
        return True
    return isinstance(error, asyncio.CancelledError) and cancellation_requested()
