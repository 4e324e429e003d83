"""What producers and consumers do, whether they run as processes or threads.

The bodies here take their queue ready-made and a ``crash`` function that ends the
worker abruptly; the process and thread launchers supply both.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import NoReturn

import attrs

from redis_message_queue import (
    EventOperation,
    EventOutcome,
    QueueEvent,
    RedisMessageQueue,
)
from redis_message_queue.cli.demo.board import IDLE, ConsumerBoard, ProducerBoard
from redis_message_queue.cli.demo.workload import (
    DemoMessage,
    MessageKind,
    parse_payload,
)

SLOW_HANDLER_SECONDS = 0.15
_SLEEP_STEP_SECONDS = 0.01


class DeliberateError(Exception):
    """Raised by the handler of a failing message; the queue records a failure."""


class SimulatedCrash(SystemExit):
    """Ends a thread consumer as if its process had died.

    The queue leaves a message claimed when ``SystemExit`` escapes the handler,
    so, as after a real crash, only the lease brings the message back.
    """


def silence_library_logs() -> None:
    """Keep the queue's warnings about expected crashes off the terminal."""
    library = logging.getLogger("redis_message_queue")
    library.addHandler(logging.NullHandler())
    library.propagate = False


# -- producing --------------------------------------------------------------------


@attrs.frozen
class ProducerReport:
    """What one producer did, sent to the supervisor when it ends.

    Attributes:
        index: The producer's number.
        accepted: Ids of the publish calls that returned True.
        deduplicated: Publish calls that returned False.
        error: Why the producer stopped early, or ``None``.
    """

    index: int
    accepted: tuple[str, ...]
    deduplicated: int
    error: str | None = None


def produce(
    queue: RedisMessageQueue,
    messages: Sequence[DemoMessage],
    *,
    index: int,
    board: ProducerBoard,
    should_stop: Callable[[], bool],
) -> ProducerReport:
    """Publish ``messages`` in order and report which calls were accepted.

    An error ends the producer; the report says why, and the ids published so
    far still count. So does ``should_stop``, polled before each publish.
    """
    accepted: list[str] = []
    deduplicated = 0
    try:
        for message in messages:
            if should_stop():
                break
            if queue.publish(message.payload()):
                accepted.append(message.message_id)
                board.accepted[index] += 1
            else:
                deduplicated += 1
                board.deduplicated[index] += 1
    except Exception as exc:
        error: str | None = f"{type(exc).__name__}: {exc}"
    else:
        error = None
    return ProducerReport(index, tuple(accepted), deduplicated, error)


# -- consuming --------------------------------------------------------------------


class Consumer:
    """Takes messages one at a time until told to stop, or until it crashes.

    Args:
        slot: The consumer's slot on the board.
        board: Where it shows when it is busy and counts redeliveries.
        crash: Ends the consumer at once, leaving its message claimed.
        should_stop: Polled between messages.
    """

    def __init__(
        self,
        slot: int,
        board: ConsumerBoard,
        *,
        crash: Callable[[], NoReturn],
        should_stop: Callable[[], bool],
    ) -> None:
        self._slot = slot
        self._board = board
        self._crash = crash
        self._should_stop = should_stop
        self._delivery_count = 1

    def on_event(self, event: QueueEvent) -> None:
        """The queue's ``on_event`` hook: note each delivery's count."""
        claimed = (
            event.operation is EventOperation.CLAIM
            and event.outcome is EventOutcome.SUCCESS
        )
        if not claimed:
            return

        self._delivery_count = event.delivery_count or 1
        if self._delivery_count > 1:
            self._board.redelivered[self._slot] += 1

    def run(self, queue: RedisMessageQueue) -> None:
        """Consume from ``queue`` (built with :meth:`on_event` as its hook)."""
        while not self._should_stop():
            try:
                self._take_one(queue)
            except DeliberateError:
                # The queue has moved the message to the failed list.
                continue

    def _take_one(self, queue: RedisMessageQueue) -> None:
        with queue.process_message() as data:
            if data is None:
                return
            message = parse_payload(data)
            if message is not None:
                self._handle(message)

    def _handle(self, message: DemoMessage) -> None:
        if message.kind is MessageKind.POISON:
            self._crash()
        if message.kind is MessageKind.FAILING:
            raise DeliberateError(f"message {message.message_id} fails on purpose")
        if message.kind is MessageKind.SLOW:
            self._work_slowly()

    def _work_slowly(self) -> None:
        board, slot = self._board, self._slot
        board.busy[slot] = self._delivery_count
        try:
            deadline = time.monotonic() + SLOW_HANDLER_SECONDS
            while time.monotonic() < deadline:
                if board.kill[slot]:
                    self._crash()
                time.sleep(_SLEEP_STEP_SECONDS)
        finally:
            board.busy[slot] = IDLE
