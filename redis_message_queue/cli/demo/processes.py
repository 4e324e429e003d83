"""Workers as separate processes, for a queue on a Redis-protocol server.

Children start from a fresh interpreter (``forkserver`` where available, else
``spawn``), build their own client and queue, and ignore Ctrl-C: the demo ends
them itself. A crash is a real ``SIGKILL``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, SpawnContext
from multiprocessing.process import BaseProcess
from typing import NoReturn

import redis

from redis_message_queue.cli.demo.board import ConsumerBoard, ProducerBoard
from redis_message_queue.cli.demo.crews import Ending
from redis_message_queue.cli.demo.spec import QueueSpec
from redis_message_queue.cli.demo.workers import (
    Consumer,
    ProducerReport,
    produce,
    silence_library_logs,
)
from redis_message_queue.cli.demo.workload import DemoMessage


def start_context() -> ForkServerContext | SpawnContext:
    """The multiprocessing context for workers, with their modules preloaded."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # Replacement consumers then start in milliseconds, not an import's time.
    context.set_forkserver_preload([__name__])
    return context


class ProcessHandle:
    """One worker process.

    Args:
        process: The started process.
    """

    def __init__(self, process: BaseProcess) -> None:
        self._process = process

    def is_alive(self) -> bool:
        """Whether the process is still running."""
        return self._process.is_alive()

    def kill(self) -> None:
        """Send ``SIGKILL``."""
        if self._process.pid is not None and self._process.is_alive():
            os.kill(self._process.pid, signal.SIGKILL)

    def ending(self) -> Ending:
        """How the process ended, judged by its exit code."""
        code = self._process.exitcode
        if code is None:
            return Ending.RUNNING
        if code == 0:
            return Ending.STOPPED
        if code == -signal.SIGKILL:
            return Ending.CRASHED
        return Ending.FAILED

    def stop(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds, then terminate, then kill."""
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(1.0)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()


class ProcessLauncher:
    """Starts producer and consumer processes on the server at ``url``.

    Args:
        url: The server's URL.
        spec: The queue every worker builds.
        consumer_board: The consumers' shared counters.
        producer_board: The producers' shared counters.
    """

    def __init__(
        self,
        url: str,
        spec: QueueSpec,
        consumer_board: ConsumerBoard,
        producer_board: ProducerBoard,
    ) -> None:
        self._url = url
        self._spec = spec
        self._consumer_board = consumer_board
        self._producer_board = producer_board
        self._context = start_context()
        self._report_pipes: list[Connection] = []

    def consumer(self, slot: int) -> ProcessHandle:
        """Start a consumer process in ``slot``."""
        arguments = (self._url, self._spec, slot, self._consumer_board)
        return self._start(_consumer_main, arguments, f"rmq-demo-consumer-{slot}")

    def producer(self, index: int, messages: Sequence[DemoMessage]) -> ProcessHandle:
        """Start a producer process for ``messages``."""
        # One pipe per producer, whose writing end only the producer holds: if
        # the demo dies, the producer's report fails at once instead of blocking.
        reader, writer = self._context.Pipe(duplex=False)
        arguments = (
            self._url,
            self._spec,
            index,
            tuple(messages),
            self._producer_board,
            writer,
        )
        handle = self._start(_producer_main, arguments, f"rmq-demo-producer-{index}")
        writer.close()
        self._report_pipes.append(reader)
        return handle

    def reports(self) -> list[ProducerReport]:
        """The producer reports that arrived in the pipes."""
        arrived = []
        for pipe in list(self._report_pipes):
            try:
                if not pipe.poll():
                    continue
                arrived.append(pipe.recv())
            except EOFError:
                pass  # the producer died without a report; its handle tells
            pipe.close()
            self._report_pipes.remove(pipe)
        return arrived

    def _start(
        self, target: Callable[..., None], arguments: tuple[object, ...], name: str
    ) -> ProcessHandle:
        process = self._context.Process(
            target=target, args=arguments, name=name, daemon=True
        )
        process.start()
        return ProcessHandle(process)


def _consumer_main(url: str, spec: QueueSpec, slot: int, board: ConsumerBoard) -> None:
    _settle_in()

    def should_stop() -> bool:
        return board.stopping or _orphaned()

    consumer = Consumer(slot, board, crash=_die, should_stop=should_stop)
    with _one_line_errors(f"consumer {slot}"):
        client = redis.Redis.from_url(url)
        consumer.run(spec.build(client=client, on_event=consumer.on_event))


def _producer_main(
    url: str,
    spec: QueueSpec,
    index: int,
    messages: tuple[DemoMessage, ...],
    board: ProducerBoard,
    report_pipe: Connection,
) -> None:
    _settle_in()

    def should_stop() -> bool:
        return board.stopping or _orphaned()

    queue = spec.build(client=redis.Redis.from_url(url))
    report = produce(queue, messages, index=index, board=board, should_stop=should_stop)
    with report_pipe:
        report_pipe.send(report)


def _settle_in() -> None:
    # Ctrl-C reaches the whole process group; the parent ends its children itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    silence_library_logs()


@contextlib.contextmanager
def _one_line_errors(who: str) -> Iterator[None]:
    # The supervisor counts a failed worker and replaces it; a full traceback
    # per replacement (say, while the server is down) would bury the ledger.
    try:
        yield
    except Exception as exc:
        sys.stderr.write(f"rmq demo: {who} stopped: {type(exc).__name__}: {exc}\n")
        raise SystemExit(1) from exc


def _orphaned() -> bool:
    parent = multiprocessing.parent_process()
    return parent is not None and not parent.is_alive()


def _die() -> NoReturn:
    os.kill(os.getpid(), signal.SIGKILL)
    raise SystemExit(1)  # not reached: SIGKILL cannot be caught
