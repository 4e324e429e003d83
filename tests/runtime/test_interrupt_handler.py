"""Interrupt handlers (rule Q13): signals become a stop request, never lost."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest

from redis_message_queue.interrupt_handler import (
    BaseGracefulInterruptHandler,
    EventDrivenInterruptHandler,
    GracefulInterruptHandler,
)


@pytest.fixture
def handler() -> Iterator[GracefulInterruptHandler]:
    """A handler owning SIGINT and SIGTERM, given back after the test."""
    owned = GracefulInterruptHandler(
        verbose=False, signals=[signal.SIGINT, signal.SIGTERM]
    )
    yield owned
    owned.reset()


def test_first_signal_sets_the_flag(handler: GracefulInterruptHandler) -> None:
    """Q13: the first signal is a stop request, not an exception."""
    assert handler.is_interrupted() is False

    os.kill(os.getpid(), signal.SIGTERM)

    assert handler.is_interrupted() is True


def test_second_signal_is_delivered_as_usual(
    handler: GracefulInterruptHandler,
) -> None:
    """Q13: a second Ctrl-C raises KeyboardInterrupt."""
    os.kill(os.getpid(), signal.SIGINT)
    assert handler.is_interrupted()

    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)


def test_verbose_prints_the_signal(capsys: pytest.CaptureFixture[str]) -> None:
    """Q13: verbose handlers say which signal arrived."""
    handler = GracefulInterruptHandler(signals=[signal.SIGTERM])
    try:
        os.kill(os.getpid(), signal.SIGTERM)
    finally:
        handler.reset()

    assert "Received signal: SIGTERM" in capsys.readouterr().err


def test_reset_gives_signals_back(handler: GracefulInterruptHandler) -> None:
    """Q13: after reset another handler may own the same signals."""
    handler.reset()

    again = GracefulInterruptHandler(verbose=False, signals=[signal.SIGTERM])
    again.reset()
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        ({"verbose": 1}, TypeError, "verbose"),
        ({"signals": "SIGINT"}, TypeError, "iterable"),
        ({"signals": 2}, TypeError, "iterable"),
        ({"signals": []}, ValueError, "empty"),
        ({"signals": [signal.SIGTERM, 15]}, TypeError, r"\[1\]"),
        ({"signals": [signal.SIGKILL]}, ValueError, "cannot be caught"),
    ],
)
def test_bad_arguments(arguments: dict[str, object], error: type, match: str) -> None:
    """Q13: wrong types are TypeErrors, wrong values ValueErrors."""
    with pytest.raises(error, match=match):
        GracefulInterruptHandler(**arguments)  # type: ignore[arg-type]


def test_signal_owned_twice_is_refused(handler: GracefulInterruptHandler) -> None:
    """Q13: two handlers cannot own one signal."""
    with pytest.raises(ValueError, match="already owned"):
        GracefulInterruptHandler(signals=[signal.SIGTERM])


def test_custom_handler_is_not_overwritten() -> None:
    """Q13: a signal that already has a custom handler is refused, untouched."""

    def custom(signum: int, frame: object) -> None:
        return None

    previous = signal.signal(signal.SIGUSR1, custom)
    try:
        with pytest.raises(ValueError, match="already has a handler"):
            GracefulInterruptHandler(signals=[signal.SIGUSR1])
        assert signal.getsignal(signal.SIGUSR1) is custom
    finally:
        signal.signal(signal.SIGUSR1, previous)


def test_main_thread_only() -> None:
    """Q13: signals can only be handled on the main thread."""
    errors: list[BaseException] = []

    def build() -> None:
        try:
            GracefulInterruptHandler(signals=[signal.SIGUSR2])
        except ValueError as exc:
            errors.append(exc)

    worker = threading.Thread(target=build)
    worker.start()
    worker.join()

    assert len(errors) == 1


def test_event_driven_handler_follows_its_event() -> None:
    """Q13: an event-driven handler stops when its event is set."""
    event = threading.Event()
    handler = EventDrivenInterruptHandler(event)
    assert isinstance(handler, BaseGracefulInterruptHandler)
    assert handler.is_interrupted() is False

    event.set()

    assert handler.is_interrupted() is True
    with pytest.raises(TypeError):
        EventDrivenInterruptHandler(object())  # type: ignore[arg-type]
