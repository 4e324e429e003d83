"""Supervision of the demo's workers, the same for processes and threads.

A launcher starts one worker and hands back a handle; the consumer pool keeps a
fixed number of consumers alive, kills some on request, and tells the deaths it
caused from the crashes poison messages caused.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Sequence
from typing import Protocol

from redis_message_queue.cli.demo.board import ConsumerBoard, ProducerBoard
from redis_message_queue.cli.demo.workers import ProducerReport
from redis_message_queue.cli.demo.workload import DemoMessage

STOP_GRACE_SECONDS = 2.0


class Ending(enum.Enum):
    """How a worker ended."""

    RUNNING = "running"
    STOPPED = "stopped"
    """It finished when told to."""

    CRASHED = "crashed"
    """It died abruptly, leaving its message claimed."""

    FAILED = "failed"
    """It ended with an unexpected error."""


class WorkerHandle(Protocol):
    """One running producer or consumer."""

    def is_alive(self) -> bool:
        """Whether the worker is still running."""
        ...

    def kill(self) -> None:
        """End the worker abruptly, as a crash would."""
        ...

    def ending(self) -> Ending:
        """How the worker ended, or :attr:`Ending.RUNNING`."""
        ...

    def stop(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for the worker to end, then force it."""
        ...


class Launcher(Protocol):
    """Starts workers of one flavour (processes or threads)."""

    def consumer(self, slot: int) -> WorkerHandle:
        """Start a consumer in ``slot`` of the board."""
        ...

    def producer(self, index: int, messages: Sequence[DemoMessage]) -> WorkerHandle:
        """Start a producer that publishes ``messages``."""
        ...

    def reports(self) -> list[ProducerReport]:
        """The producer reports that arrived since the last call."""
        ...


class ConsumerPool:
    """Keeps ``board.slots`` consumers running and replaces the ones that die.

    Args:
        launcher: Starts each consumer.
        board: The consumers' shared counters.

    Attributes:
        killed: Consumers this pool killed on request.
        crashed: Consumers that died on their own (poison messages).
        errors: Consumers that ended with an unexpected error.
    """

    def __init__(self, launcher: Launcher, board: ConsumerBoard) -> None:
        self._launcher = launcher
        self._board = board
        self._handles: list[WorkerHandle] = []
        self._doomed: set[int] = set()
        self.killed = 0
        self.crashed = 0
        self.errors = 0

    def start(self) -> None:
        """Start one consumer per slot."""
        self._handles = [self._launcher.consumer(s) for s in range(self._board.slots)]

    def busy_slots(self) -> list[int]:
        """Slots whose consumer handles a message it got first, not yet doomed."""
        return [
            slot
            for slot, handle in enumerate(self._handles)
            if self._board.busy[slot] == 1
            and slot not in self._doomed
            and handle.is_alive()
        ]

    def kill(self, slot: int) -> None:
        """Kill the consumer in ``slot``; :meth:`tend` replaces it."""
        self._doomed.add(slot)
        self._handles[slot].kill()

    def tend(self) -> None:
        """Count the consumers that died since the last call, and replace them."""
        if self._board.stopping:
            return
        for slot, handle in enumerate(self._handles):
            if handle.is_alive():
                continue
            self._count_death(slot, handle.ending())
            self._board.reset(slot)
            self._handles[slot] = self._launcher.consumer(slot)

    def _count_death(self, slot: int, ending: Ending) -> None:
        if slot in self._doomed:
            self._doomed.discard(slot)
            self.killed += 1
        elif ending is Ending.CRASHED:
            self.crashed += 1
        else:
            self.errors += 1

    def stop(self) -> None:
        """Tell every consumer to finish, and force the ones that do not."""
        self._board.tell_stop()
        _stop_all(self._handles)


class ProducerGroup:
    """Runs one producer per share of the workload and gathers their reports.

    Args:
        launcher: Starts each producer.
        shares: The publish calls of each producer.
    """

    def __init__(
        self,
        launcher: Launcher,
        board: ProducerBoard,
        shares: Sequence[Sequence[DemoMessage]],
    ) -> None:
        self._launcher = launcher
        self._board = board
        self._shares = shares
        self._handles: list[WorkerHandle] = []
        self._reports: dict[int, ProducerReport] = {}

    def start(self) -> None:
        """Start every producer."""
        self._handles = [
            self._launcher.producer(index, share)
            for index, share in enumerate(self._shares)
        ]

    def collect(self) -> None:
        """Take the reports that arrived; a producer that died without one gets
        an error report."""
        for report in self._launcher.reports():
            self._reports[report.index] = report
        for index, handle in enumerate(self._handles):
            if index in self._reports or handle.is_alive():
                continue
            # Its report may have arrived just as it ended.
            for report in self._launcher.reports():
                self._reports[report.index] = report
            if index not in self._reports:
                error = f"producer ended without a report ({handle.ending().value})"
                self._reports[index] = ProducerReport(index, (), 0, error)

    @property
    def done(self) -> bool:
        """Whether every producer has reported."""
        return len(self._reports) == len(self._shares)

    def reports(self) -> list[ProducerReport]:
        """The reports gathered so far, by producer number."""
        return [self._reports[index] for index in sorted(self._reports)]

    def stop(self) -> None:
        """Tell the producers to give up, and force the ones that do not."""
        self._board.tell_stop()
        _stop_all(self._handles)


def _stop_all(handles: Sequence[WorkerHandle]) -> None:
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for handle in handles:
        handle.stop(max(0.0, deadline - time.monotonic()))
