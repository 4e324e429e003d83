"""Interrupt handlers: one that owns process signals, one driven by an event."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterable
from types import FrameType
from typing import Any, Protocol

from redis_message_queue.interrupt_handler._interface import (
    BaseGracefulInterruptHandler,
)

_UNCATCHABLE = frozenset(
    {signal.SIGKILL, signal.SIGSTOP} if hasattr(signal, "SIGKILL") else set()
)
_owned_signals: set[signal.Signals] = set()
_ownership_lock = threading.Lock()


def _default_signals() -> tuple[signal.Signals, ...]:
    wanted = [signal.SIGINT, signal.SIGTERM]
    if hasattr(signal, "SIGHUP"):
        wanted.append(signal.SIGHUP)
    return tuple(wanted)


class GracefulInterruptHandler(BaseGracefulInterruptHandler):
    """Turns the first SIGINT/SIGTERM/SIGHUP into a stop request.

    The first signal sets the flag that :meth:`is_interrupted` reports (and prints
    ``Received signal: ...`` to stderr when ``verbose``); a second one restores the
    previous disposition and delivers the signal again, so a second Ctrl-C raises
    ``KeyboardInterrupt`` as usual.

    Args:
        verbose: Print a line to stderr on the first signal.
        signals: The signals to own; each must still have its default handler.

    Raises:
        TypeError: ``verbose`` is not a bool, or ``signals`` is not an iterable of
            ``signal.Signals``.
        ValueError: ``signals`` is empty, holds a signal that cannot be caught,
            one another handler already owns or one with a custom handler, or the
            handler is built outside the main thread.
    """

    def __init__(
        self,
        verbose: bool = True,
        signals: Iterable[signal.Signals] = _default_signals(),
    ) -> None:
        if not isinstance(verbose, bool):
            raise TypeError(f"'verbose' must be a bool, got {type(verbose).__name__}")
        wanted = _checked_signals(signals)
        if threading.current_thread() is not threading.main_thread():
            raise ValueError(
                "GracefulInterruptHandler must be built on the main thread"
            )

        self._verbose = verbose
        self._interrupted = threading.Event()
        self._previous: dict[signal.Signals, Any] = {}
        self._install(wanted)

    def _install(self, wanted: tuple[signal.Signals, ...]) -> None:
        with _ownership_lock:
            for signum in wanted:
                _require_default_disposition(signum)
            for signum in wanted:
                self._previous[signum] = signal.signal(signum, self._on_signal)
                _owned_signals.add(signum)

    def is_interrupted(self) -> bool:
        """Whether a signal arrived."""
        return self._interrupted.is_set()

    def reset(self) -> None:
        """Give every owned signal back its previous handler and forget the flag."""
        with _ownership_lock:
            for signum, previous in self._previous.items():
                signal.signal(signum, previous)
                _owned_signals.discard(signum)
            self._previous.clear()
        self._interrupted.clear()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        received = signal.Signals(signum)
        if not self._interrupted.is_set():
            self._interrupted.set()
            if self._verbose:
                print(f"Received signal: {received.name}", file=sys.stderr)
            return

        previous = self._previous.pop(received, signal.SIG_DFL)
        signal.signal(received, previous)
        with _ownership_lock:
            _owned_signals.discard(received)
        signal.raise_signal(received)


class _SettableEvent(Protocol):
    def is_set(self) -> bool: ...


class EventDrivenInterruptHandler(BaseGracefulInterruptHandler):
    """Stops the queue when an event is set, without touching process signals.

    Args:
        stop_event: A ``threading.Event``, ``asyncio.Event`` or anything with
            ``is_set()``.
    """

    def __init__(self, stop_event: _SettableEvent) -> None:
        if not callable(getattr(stop_event, "is_set", None)):
            raise TypeError("'stop_event' must have an is_set() method")
        self._stop_event = stop_event

    def is_interrupted(self) -> bool:
        """Whether the event is set."""
        return bool(self._stop_event.is_set())


def _checked_signals(signals: object) -> tuple[signal.Signals, ...]:
    if isinstance(signals, str | bytes) or not isinstance(signals, Iterable):
        raise TypeError("'signals' must be an iterable of signal.Signals")
    wanted = tuple(signals)
    if not wanted:
        raise ValueError("'signals' must not be empty")

    for position, signum in enumerate(wanted):
        if not isinstance(signum, signal.Signals):
            raise TypeError(
                f"'signals'[{position}] must be a signal.Signals, got {signum!r}"
            )
        if signum in _UNCATCHABLE:
            raise ValueError(f"{signum.name} cannot be caught")
        if signum in _owned_signals:
            raise ValueError(
                f"{signum.name} is already owned by another GracefulInterruptHandler"
            )
    return wanted


def _require_default_disposition(signum: signal.Signals) -> None:
    current = signal.getsignal(signum)
    defaults: tuple[Any, ...] = (signal.SIG_DFL, None)
    if signum == signal.SIGINT:
        defaults = (*defaults, signal.default_int_handler)
    if current not in defaults:
        raise ValueError(
            f"{signum.name} already has a handler ({current!r}); create the "
            "GracefulInterruptHandler first (for example before asyncio.run())"
        )
