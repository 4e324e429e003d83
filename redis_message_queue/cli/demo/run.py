"""One demo run from start to ledger: start the workers, watch, sabotage, account.

The supervisor polls the queue's statistics, keeps the consumer pool at strength,
lets the killer strike, and stops waiting when the producers are done and nothing
is pending or claimed any more (or when the timeout runs out). Then it reads the
server's lists back and reconciles them with what the producers published.
"""

from __future__ import annotations

import contextlib
import logging
import random
import secrets
import time
import warnings
from collections.abc import Iterator

import attrs

from redis_message_queue import RedisMessageQueue
from redis_message_queue.cli.demo.board import ConsumerBoard, ProducerBoard
from redis_message_queue.cli.demo.crews import ConsumerPool, ProducerGroup
from redis_message_queue.cli.demo.display import Display, Snapshot
from redis_message_queue.cli.demo.killer import Killer
from redis_message_queue.cli.demo.ledger import Findings, Ledger, RunFacts, reconcile
from redis_message_queue.cli.demo.options import DemoOptions
from redis_message_queue.cli.demo.sites import Site, open_site
from redis_message_queue.cli.demo.spec import QueueSpec
from redis_message_queue.cli.demo.workload import (
    Workload,
    WorkloadShape,
    build_workload,
    parse_payload,
)
from redis_message_queue.core.keys import QueueKeyManager
from redis_message_queue.core.stats import QueueStats

TICK_SECONDS = 0.02
IDLE_POLLS_TO_FINISH = 2
# A consumer that keeps failing (say, the server went away) is replaced only so
# many times before the run gives up.
ERRORS_PER_CONSUMER = 3


@attrs.frozen
class Plan:
    """The fixed inputs of one run.

    Attributes:
        options: What the user asked for.
        workload: The messages to publish.
        spec: The queue every participant builds.
    """

    options: DemoOptions
    workload: Workload
    spec: QueueSpec


def plan_run(options: DemoOptions) -> Plan:
    """Lay out the workload and name a fresh queue for ``options``."""
    shape = WorkloadShape.for_run(options.messages, kills=options.kills)
    spec = QueueSpec(
        name=f"rmq-demo-{secrets.token_hex(4)}",
        visibility_timeout_seconds=options.visibility_timeout_seconds,
        max_delivery_count=options.max_delivery_count,
    )
    return Plan(options, build_workload(shape, options.seed), spec)


def run_demo(options: DemoOptions, display: Display) -> Ledger:
    """Run the demo that ``options`` describe and return its ledger.

    Raises:
        ServerNotFoundError: No URL was given and no Valkey binary is installed.
        redis.ConnectionError: The server does not answer.
    """
    plan = plan_run(options)
    with open_site(options) as site, _quiet_library():
        return Supervisor(site, plan, display).run()


class Supervisor:
    """Runs one plan on one site.

    Args:
        site: Where the queue lives.
        plan: What to run.
        display: Where to show progress.
    """

    def __init__(self, site: Site, plan: Plan, display: Display) -> None:
        options = plan.options
        self._site = site
        self._plan = plan
        self._display = display
        self._queue: RedisMessageQueue = site.queue(plan.spec)
        self._consumer_board = ConsumerBoard.create(options.consumers)
        self._producer_board = ProducerBoard.create(options.producers)

        launcher = site.launcher(plan.spec, self._consumer_board, self._producer_board)
        shares = [
            plan.workload.share(index, options.producers)
            for index in range(options.producers)
        ]
        self._pool = ConsumerPool(launcher, self._consumer_board)
        self._producers = ProducerGroup(launcher, self._producer_board, shares)
        rng = random.Random(options.seed)  # noqa: S311 - a demo's choice, no secret
        self._killer = Killer(self._pool, options.kills, rng)

    def run(self) -> Ledger:
        """Start everything, wait for the queue to empty, and account."""
        self._display.start()
        try:
            self._pool.start()
            started = time.monotonic()
            self._producers.start()
            timed_out = self._watch(started + self._plan.options.timeout_seconds)
            elapsed = time.monotonic() - started
        finally:
            self._pool.stop()
            self._producers.stop()
            self._display.stop()

        self._producers.collect()
        findings = read_findings(self._site, self._queue.key)
        self._site.discard(self._queue.key)
        return reconcile(self._facts(elapsed, timed_out), findings)

    def _watch(self, deadline: float) -> bool:
        # Returns whether the wait was cut short (timeout or failing consumers).
        error_limit = ERRORS_PER_CONSUMER * self._plan.options.consumers
        total = max(1, len(self._plan.workload.messages))
        idle_polls = 0
        while True:
            self._pool.tend()
            self._producers.collect()
            stats = self._queue.stats()
            self._display.update(self._snapshot(stats))
            self._killer.consider(_settled(stats) / total)

            # The depths are not one atomic read, so a reclaim between two of
            # them could fake an empty queue once; twice in a row cannot.
            idle = stats.pending == 0 and stats.processing == 0
            idle_polls = idle_polls + 1 if idle and self._producers.done else 0
            if idle_polls >= IDLE_POLLS_TO_FINISH:
                return False
            if time.monotonic() >= deadline or self._pool.errors > error_limit:
                return True
            time.sleep(TICK_SECONDS)

    def _snapshot(self, stats: QueueStats) -> Snapshot:
        return Snapshot(
            publish_calls=self._producer_board.calls(),
            total_calls=len(self._plan.workload.publications),
            settled=_settled(stats),
            total_messages=len(self._plan.workload.messages),
            pending=stats.pending,
            processing=stats.processing,
            dead_lettered=stats.dead_letter,
            killed=self._pool.killed,
            crashed=self._pool.crashed,
        )

    def _facts(self, elapsed: float, timed_out: bool) -> RunFacts:
        reports = self._producers.reports()
        return RunFacts(
            accepted=tuple(i for report in reports for i in report.accepted),
            deduplicated=sum(report.deduplicated for report in reports),
            redelivered=self._consumer_board.total_redelivered(),
            elapsed=elapsed,
            consumers_killed=self._pool.killed,
            consumer_crashes=self._pool.crashed,
            consumer_errors=self._pool.errors,
            producer_errors=sum(1 for report in reports if report.error),
            timed_out=timed_out,
            backend=self._site.backend,
            server=self._site.server,
        )


def read_findings(site: Site, keys: QueueKeyManager) -> Findings:
    """The message ids in the completed, failed and dead-letter lists."""
    found: dict[str, tuple[str, ...]] = {}
    unreadable = 0
    lists = {
        "completed": keys.completed,
        "failed": keys.failed,
        "dead_lettered": keys.dead_letter,
    }
    for name, key in lists.items():
        messages = [parse_payload(data) for data in site.read_list(key)]
        found[name] = tuple(m.message_id for m in messages if m is not None)
        unreadable += sum(1 for message in messages if message is None)

    return Findings(
        completed=found["completed"],
        failed=found["failed"],
        dead_lettered=found["dead_lettered"],
        unreadable=unreadable,
    )


def _settled(stats: QueueStats) -> int:
    return (stats.completed or 0) + (stats.failed or 0) + stats.dead_letter


@contextlib.contextmanager
def _quiet_library() -> Iterator[None]:
    # Crashes and lost leases are the point of the demo; the queue's warnings
    # about them would drown the display. Worker processes silence themselves.
    library = logging.getLogger("redis_message_queue")
    handler = logging.NullHandler()
    propagate = library.propagate
    library.addHandler(handler)
    library.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="the lease on message", category=RuntimeWarning
            )
            yield
    finally:
        library.removeHandler(handler)
        library.propagate = propagate
