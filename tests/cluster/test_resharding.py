"""A queue's slot moves to another primary under load (rule C14).

Two queues share a hash tag, one in the default mode and one in durable mode.
While producer and consumer threads run on each, the slot is migrated the classic
way: ``SETSLOT IMPORTING`` and ``MIGRATING``, ``MIGRATE`` of the slot's keys in
batches, ``SETSLOT NODE`` on every node. Meanwhile the scripts get ``TRYAGAIN``
(their keys are split between two nodes) or ``ASK``, and afterwards ``MOVED``. A
ledger per queue shows that nothing was lost and nothing stayed stuck.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from redis_message_queue.local_cluster import LocalCluster
from redis_message_queue.local_server import ServerFlavour
from tests.conftest import SERVER_FLAVOURS
from tests.support.cluster_moves import command, migrate_slot_of, owner_of
from tests.support.lanes import cluster_client, default_and_durable_lanes
from tests.support.ledger import LedgerReport
from tests.support.workload import Workload, run_workload

pytestmark = pytest.mark.slow


@pytest.fixture(params=SERVER_FLAVOURS)
def cluster(request: pytest.FixtureRequest) -> Iterator[LocalCluster]:
    """A cluster of its own: the test moves a slot."""
    flavour: ServerFlavour = request.param
    with LocalCluster(flavour) as running:
        yield running


@pytest.fixture
def client(cluster: LocalCluster) -> Iterator[Any]:
    """A cluster client that knows every node."""
    running = cluster_client(cluster)
    yield running
    running.close()


def test_a_migrating_slot_loses_nothing_and_leaves_nothing_stuck(
    cluster: LocalCluster, client: Any, request: pytest.FixtureRequest
) -> None:
    """C14: every acknowledged message is completed, failed or dead-lettered after
    the queues' slot moved to another primary, in both modes; the slot's keys are
    all on the new owner.
    """
    default, durable = default_and_durable_lanes(
        client, "slot migration under load", cluster.flavour
    )
    pending = default.queue.key.pending
    source = owner_of(cluster, pending)

    timings = run_workload(
        [default, durable],
        Workload(messages=5_000),
        disturb=lambda: migrate_slot_of(cluster, pending),
    )

    report = LedgerReport.of(request.config)
    for lane in (default, durable):
        notes = lane.ledger.notes
        notes["migration took (s)"] = f"{timings['migrated_after']:.2f}"
        notes["keys migrated (both queues)"] = f"{timings['keys']:.0f}"
        report.add(lane.ledger)
    assert timings["drained_in"] < float("inf"), "the queues did not drain"
    for lane in (default, durable):
        ledger = lane.ledger
        assert ledger.refused == 0
        assert not ledger.lost, sorted(ledger.lost)[:10]
        assert not ledger.left
        assert ledger.crashing <= ledger.dead_lettered
    target = owner_of(cluster, pending)
    assert target is not source
    assert command(source, "DBSIZE") == 0
