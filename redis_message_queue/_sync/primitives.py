"""What truly differs between the asyncio and the sync queue, written for threads.

The asyncio twin ``redis_message_queue/_async/primitives.py`` has the same names;
everything else in ``_sync`` is generated from the asyncio source.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable
from typing import Any

from redis_message_queue.core.ports import SyncBackend

IS_ASYNC = False
"""Whether this is the asyncio flavour (decides which callables fit)."""

monotonic = time.monotonic


def sleep(seconds: float) -> None:
    """Pause the current thread."""
    time.sleep(seconds)


def call_user_function(function: Callable[..., Any], *arguments: Any) -> Any:
    """Call a user function on the sync queue and return its result.

    Raises:
        TypeError: It returned an awaitable, which the sync queue can never await
            (the awaitable is closed first so that it leaves no warning behind).
    """
    result = function(*arguments)
    if inspect.isawaitable(result):
        close = getattr(result, "close", None)
        if close is not None:
            close()
        raise TypeError(
            f"{getattr(function, '__name__', function)!r} returned an awaitable; "
            "the sync queue needs a regular function"
        )
    return result


def call_event_callback(function: Callable[..., Any], *arguments: Any) -> None:
    """Call ``on_event`` on the sync queue.

    Raises:
        TypeError: It returned an awaitable, as :func:`call_user_function` says.
    """
    call_user_function(function, *arguments)


def backend_for_client(client: object) -> SyncBackend:
    """Choose the backend that drives ``client``.

    Raises:
        TypeError: ``client`` is not a sync client this queue can use.
    """
    from redis_message_queue.adapters.redis.connections import (  # noqa: PLC0415
        sync_backend_for_client,
    )

    return sync_backend_for_client(client)


def require_backend(backend: object) -> SyncBackend:
    """Check that ``backend`` implements the sync port.

    Raises:
        TypeError: It is not a :class:`SyncBackend`.
    """
    if not isinstance(backend, SyncBackend):
        raise TypeError(
            f"the sync queue needs a SyncBackend, got {type(backend).__name__}"
            " (for tests: redis_message_queue.adapters.memory.MemoryBackend)"
        )
    return backend


class StopSignal:
    """A flag one side sets and the other waits on with a timeout."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        """Raise the flag; waiters return at once."""
        self._event.set()

    def is_set(self) -> bool:
        """Whether the flag is up."""
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds; True if the flag went up."""
        return self._event.wait(timeout)


class Background:
    """Work running beside the handler: a daemon thread, so that a handler busy
    with the CPU cannot starve it.

    Args:
        work: The function to run, called with no arguments.
        name: The thread's name.
    """

    def __init__(self, work: Callable[[], None], name: str) -> None:
        self._thread = threading.Thread(target=work, name=name, daemon=True)
        self._thread.start()

    def join(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the work to end; True if it did."""
        self._thread.join(timeout)
        return not self._thread.is_alive()


def cancellation_requested() -> bool:
    """Threads are not cancelled from outside: always False."""
    return False


def shielded(work: Any, *, absorb_cancellation: bool = False) -> Any:
    """Return the already computed result (a thread is never cancelled)."""
    del absorb_cancellation
    return work


def leaves_message_claimed(error: BaseException) -> bool:
    """Whether a handler's exception means "stop now" rather than "this failed".

    Interrupts and exits leave the message claimed for its lease to bring back.
    """
    return isinstance(error, KeyboardInterrupt | SystemExit | GeneratorExit)
