"""Producer and consumer threads on queues, with one disturbance in the middle.

:func:`run_workload` drives one or more lanes at once, each a queue with its own
producer and consumer threads and its own ledger: producers publish distinct
messages while consumers process them (most succeed, a few fail on purpose, a few
crash every time until they are dead-lettered). When a share of the messages has
been published, a disturbance runs once (a failover, a slot migration) on its own
thread, so lanes side by side (the default mode and durable mode) live through the
same event. Afterwards the consumers drain every queue, and each ledger records
what is left.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable, Sequence

import attrs

import redis_message_queue
from redis_message_queue.core.envelope import MessageData, decode
from redis_message_queue.core.events import EventOperation, EventOutcome, QueueEvent
from tests.support.ledger import Ledger, texts_of

Disturbance = Callable[[], dict[str, float]]
"""Runs once during the workload; returns timings (seconds) for the report."""

_POLL_SECONDS = 0.05


class HandlerFailureError(Exception):
    """A handler that fails on purpose."""


@attrs.frozen
class Workload:
    """How many messages, threads and special messages each lane has.

    Attributes:
        messages: Messages each lane publishes.
        producers: Producer threads per lane.
        consumers: Consumer threads per lane.
        fail_every: Every n-th message of a producer fails its handler.
        crashing: The first messages of producer 0 crash their consumer every
            time, until they are dead-lettered.
        disturb_at: Share of all messages published before the disturbance.
        drain_seconds: How long the consumers may take to empty the queues.
    """

    messages: int = 10_000
    producers: int = 2
    consumers: int = 2
    fail_every: int = 500
    crashing: int = 3
    disturb_at: float = 0.4
    drain_seconds: float = 60.0

    def texts(self, producer: int) -> list[str]:
        """The messages of one producer."""
        share = self.messages // self.producers
        return [f"m-{producer}-{seq}" for seq in range(share)]

    def crashes(self, text: str) -> bool:
        """Whether the handler of ``text`` always crashes its consumer."""
        _, producer, seq = text.split("-")
        return producer == "0" and int(seq) < self.crashing

    def fails(self, text: str) -> bool:
        """Whether the handler of ``text`` raises."""
        seq = int(text.rsplit("-", 1)[1])
        return seq % self.fail_every == self.fail_every - 1


class QueueEvents:
    """The ``on_event`` of a lane's queue: counts for the report, and whether the
    last ack of the calling thread succeeded.
    """

    def __init__(self) -> None:
        self.retries = 0
        self.stale_acks = 0
        self._last_ack = threading.local()

    def __call__(self, event: QueueEvent) -> None:
        if event.operation is EventOperation.ACK:
            self._last_ack.outcome = event.outcome
        elif event.operation is EventOperation.RETRY_ATTEMPT:
            self.retries += 1
        elif event.operation is EventOperation.STALE_LEASE_ACK:
            self.stale_acks += 1

    def last_ack_succeeded(self) -> bool:
        """Whether the calling thread's last ack settled its message."""
        outcome = getattr(self._last_ack, "outcome", None)
        self._last_ack.outcome = None
        return outcome is EventOutcome.SUCCESS


@attrs.define
class Lane:
    """One queue of a run, with what records its fate.

    Attributes:
        queue: The queue its threads share.
        ledger: Where its threads record what happened.
        events: The queue's ``on_event``.
        read_processing: Reads the stored messages in processing at the end.
    """

    queue: redis_message_queue.RedisMessageQueue
    ledger: Ledger
    events: QueueEvents
    read_processing: Callable[[], list[MessageData]]
    completed_at: list[float] = attrs.Factory(list)


class _Run:
    """The threads of one run and what they share."""

    def __init__(self, lanes: Sequence[Lane], workload: Workload) -> None:
        self.lanes = lanes
        self.workload = workload
        self.stop = threading.Event()
        self.disturbed = threading.Event()
        self.finished = threading.Event()
        self.errors: list[BaseException] = []

    def produce(self, lane: Lane, producer: int) -> None:
        for text in self.workload.texts(producer):
            try:
                enqueued = lane.queue.publish(text)
            except Exception:  # counted: the ledger reports refused publishes
                lane.ledger.publish_refused()
                continue
            if enqueued:
                lane.ledger.published(text)

    def consume(self, lane: Lane) -> None:
        while not self.stop.is_set():
            try:
                self._handle_one(lane)
            except SystemExit:
                continue  # the crash left the message claimed, as a crash would
            except HandlerFailureError:
                continue  # failed on purpose; the queue failed the message
            except RuntimeWarning:
                # Tests turn warnings into errors: the lease of this delivery
                # expired while the queue was unreachable, and the message went
                # to another consumer (stale_lease_ack).
                continue
            except Exception as error:  # the test reports every one
                self.errors.append(error)

    def _handle_one(self, lane: Lane) -> None:
        with lane.queue.process_message() as payload:
            if payload is None:
                return
            text = _text(payload)
            lane.ledger.delivered(text)
            if self.workload.crashes(text):
                raise SystemExit(text)
            if self.workload.fails(text):
                lane.ledger.failed_on_purpose(text)
                raise HandlerFailureError(text)
        # A stale ack only warns (outside tests, which raise warnings).
        if lane.events.last_ack_succeeded():
            lane.ledger.acknowledged_by_consumer(text)
            lane.completed_at.append(time.monotonic())

    def disturb_midway(self, disturb: Disturbance, timings: dict[str, float]) -> None:
        threshold = self.workload.messages * len(self.lanes) * self.workload.disturb_at
        while self._published() < threshold and not self.stop.is_set():
            time.sleep(_POLL_SECONDS)
        try:
            timings["disturbed_at"] = time.monotonic()
            timings.update(disturb())
        except BaseException as error:
            self.errors.append(error)
        finally:
            self.disturbed.set()
        # A server started here gets the Linux death signal when the thread that
        # started it ends, so this thread lives until the run is over.
        self.finished.wait()

    def _published(self) -> int:
        return sum(len(lane.ledger.acknowledged) for lane in self.lanes)

    def drained(self) -> bool:
        for lane in self.lanes:
            stats = lane.queue.stats()
            if stats.pending or stats.processing:
                return False
        return True


def run_workload(
    lanes: Sequence[Lane],
    workload: Workload,
    disturb: Disturbance | None = None,
) -> dict[str, float]:
    """Run producers and consumers on every lane, disturbing them once midway.

    Args:
        lanes: The queues, each with its ledger.
        workload: Messages and threads of each lane.
        disturb: Runs once, midway, on its own thread.

    Returns:
        Timings in seconds: the disturbance's own, ``disturbed_at`` (monotonic),
        ``published_in`` and ``drained_in`` (from the start; infinite when the
        queues did not drain within ``workload.drain_seconds``).

    Raises:
        AssertionError: A thread failed unexpectedly.
    """
    run = _Run(lanes, workload)
    producers, consumers = [], []
    for number, lane in enumerate(lanes):
        lane.ledger.crashing = set(workload.texts(0)[: workload.crashing])
        producers += [
            threading.Thread(target=run.produce, args=(lane, p), name=f"p-{number}-{p}")
            for p in range(workload.producers)
        ]
        consumers += [
            threading.Thread(target=run.consume, args=(lane,), name=f"c-{number}-{c}")
            for c in range(workload.consumers)
        ]
    timings: dict[str, float] = {}
    chaos = None
    if disturb is not None:
        chaos = threading.Thread(
            target=run.disturb_midway, args=(disturb, timings), name="disturbance"
        )

    started = time.monotonic()
    for thread in [*producers, *consumers, *([chaos] if chaos else [])]:
        thread.start()
    try:
        for thread in producers:
            thread.join()
        timings["published_in"] = time.monotonic() - started
        if chaos is not None:
            run.disturbed.wait()
        drained = _wait_for_drain(run, workload.drain_seconds)
        timings["drained_in"] = time.monotonic() - started if drained else math.inf
    finally:
        run.stop.set()
        for thread in consumers:
            thread.join()
        try:
            for lane in lanes:
                _read_what_is_left(lane)
        finally:
            run.finished.set()
            if chaos is not None:
                chaos.join()

    for lane in lanes:
        _note(lane, timings)
    failures = [f"{type(error).__name__}: {error}" for error in run.errors[:3]]
    assert not run.errors, f"threads failed: {failures}"
    return timings


def _wait_for_drain(run: _Run, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not run.drained():
        if time.monotonic() > deadline:
            return False
        time.sleep(_POLL_SECONDS * 4)
    return True


def _read_what_is_left(lane: Lane) -> None:
    queue = lane.queue
    lane.ledger.dead_lettered = texts_of(queue.peek(100_000, source="dead_letter"))
    left = list(queue.peek(100_000, source="pending"))
    left += [decode(stored).payload for stored in lane.read_processing()]
    lane.ledger.left = texts_of(left)


def _note(lane: Lane, timings: dict[str, float]) -> None:
    ledger, events = lane.ledger, lane.events
    times = ledger.acknowledged.values()
    if len(times) > 1:
        rate = len(times) / (max(times) - min(times))
        ledger.notes["publishes per second (this queue)"] = f"{rate:.0f}"
    if "disturbed_at" in timings:
        pause = _longest_gap(list(ledger.acknowledged.values()))
        ledger.notes["longest pause in publishes (s)"] = f"{pause:.2f}"
        pause = _longest_gap(lane.completed_at)
        ledger.notes["longest pause in acks (s)"] = f"{pause:.2f}"
    ledger.notes["retried calls"] = str(events.retries)
    ledger.notes["stale acks (lease expired meanwhile)"] = str(events.stale_acks)


def _longest_gap(times: list[float]) -> float:
    """The longest pause between two successes in a row (the disturbance's)."""
    ordered = sorted(times)
    return max((b - a for a, b in itertools.pairwise(ordered)), default=0.0)


def _text(payload: MessageData) -> str:
    return payload.decode() if isinstance(payload, bytes) else payload
