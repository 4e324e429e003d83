"""``rmq demo``: the ledger's accounting, the workload, and whole runs end to end.

The end-to-end runs use small workloads on servers the tests start themselves.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest
import redis
from click.testing import CliRunner

from redis_message_queue.cli.demo import command
from redis_message_queue.cli.demo.board import ConsumerBoard
from redis_message_queue.cli.demo.crews import ConsumerPool, Ending
from redis_message_queue.cli.demo.killer import Killer
from redis_message_queue.cli.demo.ledger import (
    Findings,
    Ledger,
    RunFacts,
    exit_code,
    reconcile,
)
from redis_message_queue.cli.demo.options import DemoOptions
from redis_message_queue.cli.demo.workers import ProducerReport
from redis_message_queue.cli.demo.workload import (
    POISON_WINDOW,
    DemoMessage,
    MessageKind,
    WorkloadShape,
    build_workload,
    parse_payload,
)
from redis_message_queue.cli.main import main
from redis_message_queue.core.errors import ConfigurationError
from redis_message_queue.local_server import LocalServer, available_flavours

REQUIRED_KEYS = {
    "published",
    "deduplicated",
    "completed",
    "failed",
    "dead_lettered",
    "redelivered",
    "lost",
    "elapsed",
    "messages_per_second",
}
SMALL_RUN = ["-n", "300", "--producers", "2", "--consumers", "2", "--seed", "7"]

needs_valkey = pytest.mark.skipif(
    "valkey" not in available_flavours(), reason="no valkey-server installed"
)


def _facts(accepted: list[str], **changes: Any) -> RunFacts:
    return RunFacts(
        accepted=tuple(accepted), deduplicated=2, redelivered=1, elapsed=2.0, **changes
    )


def _assert_balanced(ledger: dict[str, Any]) -> None:
    assert ledger.keys() >= REQUIRED_KEYS
    assert ledger["lost"] == 0
    assert ledger["duplicated"] == 0
    settled = ledger["completed"] + ledger["failed"] + ledger["dead_lettered"]
    assert settled == ledger["published"]
    assert ledger["balanced"] is True


def _run_cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "redis_message_queue", "demo", *arguments],
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )


# -- the ledger ---------------------------------------------------------------------


def test_ledger_balances_when_every_message_is_found_once() -> None:
    findings = Findings(completed=("a", "b"), failed=("c",), dead_lettered=("d",))

    ledger = reconcile(_facts(["a", "b", "c", "d"]), findings)

    assert (ledger.completed, ledger.failed, ledger.dead_lettered) == (2, 1, 1)
    assert ledger.lost == ledger.duplicated == ledger.unexpected == 0
    assert ledger.messages_per_second == 2.0
    assert ledger.balanced
    assert exit_code(ledger) == 0


def test_ledger_counts_a_message_found_nowhere_as_lost() -> None:
    ledger = reconcile(_facts(["a", "b", "c"]), Findings(completed=("a", "b")))

    assert ledger.lost == 1
    assert not ledger.balanced
    assert exit_code(ledger) == 1


def test_ledger_counts_a_message_found_twice_as_duplicated() -> None:
    findings = Findings(completed=("a", "b"), dead_lettered=("b",))

    ledger = reconcile(_facts(["a", "b"]), findings)

    assert ledger.lost == 0
    assert ledger.duplicated == 1
    assert exit_code(ledger) == 1


def test_ledger_flags_entries_nobody_published() -> None:
    findings = Findings(completed=("a", "zzz"), unreadable=1)

    ledger = reconcile(_facts(["a"]), findings)

    assert ledger.completed == 1
    assert ledger.unexpected == 2
    assert exit_code(ledger) == 1


@pytest.mark.parametrize(
    "trouble",
    [{"timed_out": True}, {"consumer_errors": 1}, {"producer_errors": 1}],
)
def test_ledger_fails_on_trouble_beyond_the_lists(trouble: dict[str, Any]) -> None:
    ledger = reconcile(_facts(["a"], **trouble), Findings(completed=("a",)))

    assert exit_code(ledger) == 1


def test_ledger_json_has_the_documented_keys() -> None:
    ledger = reconcile(_facts(["a"]), Findings(completed=("a",)))

    encoded = json.loads(json.dumps(ledger.as_dict()))

    assert encoded.keys() >= REQUIRED_KEYS
    assert encoded["published"] == 1
    assert encoded["deduplicated"] == 2
    assert encoded["redelivered"] == 1


# -- the workload -------------------------------------------------------------------


def test_workload_shape_of_the_default_run() -> None:
    shape = WorkloadShape.for_run(10_000, kills=3)

    assert shape.duplicates == 500
    assert shape.distinct == 9_500
    assert shape.poison == 4
    assert shape.failing == 95
    assert shape.slow >= 3 * 4


def test_workload_shape_of_a_tiny_run_has_no_poison() -> None:
    shape = WorkloadShape.for_run(5, kills=3)

    assert shape.poison == 0
    assert shape.distinct == 5
    assert shape.failing + shape.slow <= shape.distinct


def test_workload_holds_unique_ids_and_repeats_after_originals() -> None:
    shape = WorkloadShape.for_run(2_000, kills=3)

    workload = build_workload(shape, seed=1)

    ids = [message.message_id for message in workload.messages]
    assert len(set(ids)) == shape.distinct
    assert len(workload.publications) == shape.publish_calls
    first_seen: dict[str, int] = {}
    for position, message in enumerate(workload.publications):
        first_seen.setdefault(message.message_id, position)
    assert list(first_seen) == ids


def test_workload_kinds_match_the_shape() -> None:
    shape = WorkloadShape.for_run(2_000, kills=3)

    workload = build_workload(shape, seed=2)

    assert workload.count(MessageKind.POISON) == shape.poison
    assert workload.count(MessageKind.FAILING) == shape.failing
    assert workload.count(MessageKind.SLOW) == shape.slow
    poison = [m for m in workload.messages if m.kind is MessageKind.POISON]
    window = max(shape.poison, int(shape.distinct * POISON_WINDOW))
    assert all(int(m.message_id[1:]) < window for m in poison)


def test_workload_is_reproducible_and_split_among_producers() -> None:
    shape = WorkloadShape.for_run(1_000, kills=3)
    workload = build_workload(shape, seed=3)

    shares = [workload.share(index, 3) for index in range(3)]

    assert build_workload(shape, seed=3) == workload
    combined = Counter(m for share in shares for m in share)
    assert combined == Counter(workload.publications)


def test_payload_round_trip_and_strangers() -> None:
    message = DemoMessage("m42", MessageKind.SLOW)

    assert parse_payload(json.dumps(message.payload()).encode()) == message
    assert parse_payload(b"not json") is None
    assert parse_payload('{"id": "m1", "kind": "exotic"}') is None
    assert parse_payload("[1, 2]") is None


def test_options_refuse_a_url_with_the_memory_backend() -> None:
    with pytest.raises(ConfigurationError, match="url"):
        DemoOptions(backend="memory", url="redis://127.0.0.1:1/0")
    with pytest.raises(ConfigurationError, match="consumers"):
        DemoOptions(consumers=0)


# -- supervision --------------------------------------------------------------------


class FakeHandle:
    """A worker that ends when the test says so."""

    def __init__(self) -> None:
        self.alive = True
        self.end = Ending.RUNNING
        self.killed = False

    def is_alive(self) -> bool:
        return self.alive

    def kill(self) -> None:
        self.killed = True
        self.die(Ending.CRASHED)

    def die(self, ending: Ending) -> None:
        self.alive, self.end = False, ending

    def ending(self) -> Ending:
        return self.end

    def stop(self, timeout: float) -> None:
        del timeout
        self.alive = False


class FakeLauncher:
    """Hands out fake consumers and remembers them per slot."""

    def __init__(self) -> None:
        self.started: list[tuple[int, FakeHandle]] = []

    def consumer(self, slot: int) -> FakeHandle:
        handle = FakeHandle()
        self.started.append((slot, handle))
        return handle

    def producer(self, index: int, messages: Sequence[DemoMessage]) -> FakeHandle:
        del index, messages
        return FakeHandle()

    def reports(self) -> list[ProducerReport]:
        return []

    def current(self, slot: int) -> FakeHandle:
        return [handle for s, handle in self.started if s == slot][-1]


def test_pool_replaces_dead_consumers_and_tells_kills_from_crashes() -> None:
    launcher, board = FakeLauncher(), ConsumerBoard.create(3)
    pool = ConsumerPool(launcher, board)
    pool.start()
    board.busy[1] = 1

    pool.kill(1)
    launcher.current(0).die(Ending.CRASHED)
    launcher.current(2).die(Ending.FAILED)
    pool.tend()

    assert (pool.killed, pool.crashed, pool.errors) == (1, 1, 1)
    assert len(launcher.started) == 6
    assert board.busy[1] == 0
    assert all(launcher.current(slot).is_alive() for slot in range(3))


def test_pool_stops_replacing_once_told_to_stop() -> None:
    launcher, board = FakeLauncher(), ConsumerBoard.create(2)
    pool = ConsumerPool(launcher, board)
    pool.start()

    pool.stop()
    pool.tend()

    assert board.stopping
    assert len(launcher.started) == 2


def test_killer_spreads_its_kills_over_the_run() -> None:
    launcher, board = FakeLauncher(), ConsumerBoard.create(2)
    pool = ConsumerPool(launcher, board)
    pool.start()
    killer = Killer(pool, kills=2, rng=random.Random(0))

    killer.consider(0.2)
    assert killer.done == 0

    killer.consider(0.4)
    assert killer.done == 0, "nobody is busy"

    board.busy[0] = 2
    killer.consider(0.4)
    assert killer.done == 0, "a redelivered message is spared"

    board.busy[1] = 1
    killer.consider(0.4)
    assert killer.done == 1
    assert launcher.current(1).killed


# -- the command --------------------------------------------------------------------


def test_cli_refuses_a_url_with_the_memory_backend() -> None:
    arguments = ["demo", "--backend", "memory", "--url", "redis://127.0.0.1:1/0"]

    result = CliRunner().invoke(main, arguments)

    assert result.exit_code == 2
    assert "url" in result.output


def test_cli_exits_1_and_still_prints_the_ledger_when_messages_are_lost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lossy = reconcile(_facts(["a", "b"]), Findings(completed=("a",)))

    def fake_run(options: DemoOptions, display: object) -> Ledger:
        del options, display
        return lossy

    monkeypatch.setattr(command, "run_demo", fake_run)
    result = CliRunner().invoke(main, ["demo", "--json"])

    assert result.exit_code == 1
    assert json.loads(result.stdout)["lost"] == 1


def test_memory_backend_run_balances() -> None:
    arguments = ["demo", *SMALL_RUN, "--backend", "memory", "--json"]

    result = CliRunner().invoke(main, arguments)

    assert result.exit_code == 0, result.output
    ledger = json.loads(result.stdout)
    _assert_balanced(ledger)
    assert ledger["backend"] == "memory"
    assert ledger["deduplicated"] == 15
    assert ledger["dead_lettered"] == 1
    assert ledger["consumer_crashes"] == 3


def test_memory_backend_run_that_times_out_exits_1() -> None:
    # A poison message needs three lease periods; half a second is not enough.
    arguments = ["demo", *SMALL_RUN, "--backend", "memory", "--timeout", "0.5"]

    result = CliRunner().invoke(main, [*arguments, "--json"])

    assert result.exit_code == 1
    ledger = json.loads(result.stdout)
    assert ledger["timed_out"] is True
    assert ledger["lost"] > 0


def test_table_output_names_every_line() -> None:
    arguments = ["demo", "-n", "40", "--backend", "memory", "--kills", "0"]

    result = CliRunner().invoke(main, arguments)

    assert result.exit_code == 0, result.output
    for label in ("published", "deduplicated", "dead-lettered", "lost", "OK"):
        assert label in result.stdout


@needs_valkey
def test_embedded_valkey_run_balances() -> None:
    result = _run_cli(*SMALL_RUN, "--json")

    assert result.returncode == 0, result.stderr
    ledger = json.loads(result.stdout)
    _assert_balanced(ledger)
    assert ledger["backend"] == "redis"
    assert ledger["dead_lettered"] == 1
    assert ledger["consumer_crashes"] == 3


@needs_valkey
def test_run_against_a_given_url_balances_and_cleans_up() -> None:
    with LocalServer("valkey") as server:
        result = _run_cli(*SMALL_RUN, "--url", server.url, "--json")
        client = redis.Redis.from_url(server.url)
        leftover = client.dbsize()
        client.close()

    assert result.returncode == 0, result.stderr
    ledger = json.loads(result.stdout)
    _assert_balanced(ledger)
    assert str(server.port) in ledger["server"]
    assert leftover == 0


def test_unreachable_url_is_a_clean_error() -> None:
    # Nothing listens on port 1; the demo must say so instead of a traceback.
    result = CliRunner().invoke(main, ["demo", "--url", "redis://127.0.0.1:1/0"])

    assert result.exit_code == 1
    assert "cannot use redis://127.0.0.1:1/0" in result.output
