"""Workers as threads, for the in-memory backend (it lives in this process).

A thread cannot be killed from outside, so a kill is a request the consumer honours
within milliseconds by raising :class:`SimulatedCrash` inside its handler, which
leaves the message claimed exactly as a dead process would.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from typing import NoReturn

from redis_message_queue.adapters.memory import MemoryBackend, MemoryStore
from redis_message_queue.cli.demo.board import ConsumerBoard, ProducerBoard
from redis_message_queue.cli.demo.crews import Ending
from redis_message_queue.cli.demo.spec import QueueSpec
from redis_message_queue.cli.demo.workers import (
    Consumer,
    ProducerReport,
    SimulatedCrash,
    produce,
)
from redis_message_queue.cli.demo.workload import DemoMessage


class ThreadHandle:
    """One worker thread.

    Args:
        body: What the thread runs.
        name: The thread's name.
        kill: Asks the worker to crash.
    """

    def __init__(
        self, body: Callable[[], None], name: str, kill: Callable[[], None]
    ) -> None:
        self._ending = Ending.RUNNING
        self._body = body
        self._kill = kill
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._body()
        except SimulatedCrash:
            self._ending = Ending.CRASHED
        except Exception:
            self._ending = Ending.FAILED
        else:
            self._ending = Ending.STOPPED

    def is_alive(self) -> bool:
        """Whether the thread is still running."""
        return self._thread.is_alive()

    def kill(self) -> None:
        """Ask the worker to crash at its next chance."""
        self._kill()

    def ending(self) -> Ending:
        """How the thread ended, or :attr:`Ending.RUNNING`."""
        return self._ending if not self.is_alive() else Ending.RUNNING

    def stop(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds (a daemon thread left over ends with the
        program)."""
        self._thread.join(timeout)


class ThreadLauncher:
    """Starts producer and consumer threads on one in-memory store.

    Args:
        store: The store every worker's backend shares.
        spec: The queue every worker builds.
        consumer_board: The consumers' shared counters.
        producer_board: The producers' shared counters.
    """

    def __init__(
        self,
        store: MemoryStore,
        spec: QueueSpec,
        consumer_board: ConsumerBoard,
        producer_board: ProducerBoard,
    ) -> None:
        self._store = store
        self._spec = spec
        self._consumer_board = consumer_board
        self._producer_board = producer_board
        self._reports: queue.SimpleQueue[ProducerReport] = queue.SimpleQueue()

    def consumer(self, slot: int) -> ThreadHandle:
        """Start a consumer thread in ``slot``."""
        board = self._consumer_board
        consumer = Consumer(
            slot, board, crash=_crash, should_stop=lambda: board.stopping
        )
        backend = MemoryBackend(store=self._store)
        work = self._spec.build(backend=backend, on_event=consumer.on_event)

        def ask_to_crash() -> None:
            board.kill[slot] = 1

        return ThreadHandle(
            lambda: consumer.run(work), f"rmq-demo-consumer-{slot}", ask_to_crash
        )

    def producer(self, index: int, messages: Sequence[DemoMessage]) -> ThreadHandle:
        """Start a producer thread for ``messages``."""
        work = self._spec.build(backend=MemoryBackend(store=self._store))

        board = self._producer_board

        def body() -> None:
            report = produce(
                work,
                messages,
                index=index,
                board=board,
                should_stop=lambda: board.stopping,
            )
            self._reports.put(report)

        return ThreadHandle(body, f"rmq-demo-producer-{index}", lambda: None)

    def reports(self) -> list[ProducerReport]:
        """The producer reports that arrived."""
        arrived = []
        while not self._reports.empty():
            arrived.append(self._reports.get())
        return arrived


def _crash() -> NoReturn:
    raise SimulatedCrash
