"""The primary of a queue's slot dies under load (rules C10, C13).

Two queues share a hash tag, so one primary serves both: one in the default mode,
one in durable mode. Producer and consumer threads run on each (20,000 messages
in all) while the primary is SIGKILLed; its replica takes over, the killed node
comes back empty as a replica, and the run finishes and drains. A ledger per queue
then accounts for every message whose publish returned True.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from redis_message_queue.local_cluster import LocalCluster
from redis_message_queue.local_server import ServerFlavour
from tests.conftest import SERVER_FLAVOURS
from tests.support.cluster_moves import allow_any_replica_to_fail_over, kill_owner
from tests.support.lanes import cluster_client, default_and_durable_lanes
from tests.support.ledger import Ledger, LedgerReport
from tests.support.workload import Workload, run_workload

pytestmark = pytest.mark.slow

NODE_TIMEOUT_MS = 1000
"""How long a silent primary may stay before its replica takes over."""

REPLICATION_WINDOW = (2.0, 1.0)
"""Seconds before and after the kill within which an acknowledged publish can be
lost to asynchronous replication (its reply may be recorded a moment late)."""


@pytest.fixture(params=SERVER_FLAVOURS)
def cluster(request: pytest.FixtureRequest) -> Iterator[LocalCluster]:
    """A cluster of its own (the test kills a node) where any replica takes over."""
    flavour: ServerFlavour = request.param
    with LocalCluster(flavour, node_timeout_ms=NODE_TIMEOUT_MS) as running:
        allow_any_replica_to_fail_over(running)
        yield running


@pytest.fixture
def client(cluster: LocalCluster) -> Iterator[Any]:
    """A cluster client that knows every node."""
    running = cluster_client(cluster)
    yield running
    running.close()


def test_a_killed_primary_loses_at_most_the_replication_window(
    cluster: LocalCluster, client: Any, request: pytest.FixtureRequest
) -> None:
    """C10, C13: after the failover every acknowledged message is completed,
    failed, dead-lettered or still queued; the default mode may lose only what the
    primary acknowledged just before it died, durable mode loses nothing.
    """
    default, durable = default_and_durable_lanes(
        client, "failover of the queues' primary", cluster.flavour
    )
    pending = default.queue.key.pending

    timings = run_workload(
        [default, durable], Workload(), disturb=lambda: kill_owner(cluster, pending)
    )

    report = LedgerReport.of(request.config)
    for lane in (default, durable):
        _note(lane.ledger, timings)
        report.add(lane.ledger)
    assert timings["drained_in"] < float("inf"), "the queues did not drain"
    for lane in (default, durable):
        ledger = lane.ledger
        assert ledger.refused == 0
        assert ledger.crashing <= ledger.dead_lettered
        assert not ledger.left
    before, after = REPLICATION_WINDOW
    assert not default.ledger.lost_outside(timings["killed_at"], before, after)
    assert not durable.ledger.lost, sorted(durable.ledger.lost)[:10]


def _note(ledger: Ledger, timings: dict[str, float]) -> None:
    ledger.notes["replica promoted after (s)"] = f"{timings['promoted_after']:.2f}"
    ledger.notes["old primary back after (s)"] = f"{timings['rejoined_after']:.2f}"
    ledger.notes["run drained after (s)"] = f"{timings['drained_in']:.1f}"
