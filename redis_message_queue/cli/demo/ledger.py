"""The demo's accounting: does every published message end in exactly one place?

The ledger trusts the server, not the workers: a message counts as completed,
failed or dead-lettered only if its payload sits in that list at the end. Workers
report what the server cannot tell: which publish calls were accepted, and how many
deliveries were repeats.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import attrs


@attrs.frozen
class Findings:
    """Message ids read from the server's lists when the run ends.

    Attributes:
        completed: Ids in the completed list.
        failed: Ids in the failed list.
        dead_lettered: Ids in the dead-letter list.
        unreadable: Entries of those lists that are no demo payload.
    """

    completed: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    dead_lettered: tuple[str, ...] = ()
    unreadable: int = 0


@attrs.frozen
class RunFacts:
    """What the run observed besides the server's lists.

    Attributes:
        accepted: Ids of the publish calls that returned True, one per call.
        deduplicated: Publish calls that returned False.
        redelivered: Deliveries whose delivery count was above one.
        elapsed: Seconds from the first publish to the end of the wait.
        consumers_killed: Consumers the demo killed mid-message.
        consumer_crashes: Consumers that a poison message crashed.
        consumer_errors: Consumers that ended with an unexpected error.
        producer_errors: Producers that could not publish their share.
        timed_out: The wait for the queue to empty ran out.
        backend: The backend's name.
        server: Where the queue lived, for people.
    """

    accepted: tuple[str, ...]
    deduplicated: int
    redelivered: int
    elapsed: float
    consumers_killed: int = 0
    consumer_crashes: int = 0
    consumer_errors: int = 0
    producer_errors: int = 0
    timed_out: bool = False
    backend: str = ""
    server: str = ""


@attrs.frozen
class Ledger:
    """The outcome of a run; :attr:`balanced` says whether the queue kept faith.

    Attributes:
        published: Distinct messages enqueued (publish calls that returned True).
        deduplicated: Publish calls suppressed as duplicates.
        completed: Published messages found in the completed list.
        failed: Published messages found in the failed list.
        dead_lettered: Published messages found in the dead-letter list.
        redelivered: Deliveries of a message that had been delivered before.
        lost: Published messages found in none of those lists.
        duplicated: Extra appearances of messages found more than once.
        unexpected: Entries that match no published message.
        elapsed: Seconds the run took.
        messages_per_second: Settled messages per second.
        facts: The raw observations behind the counts.
    """

    published: int
    deduplicated: int
    completed: int
    failed: int
    dead_lettered: int
    redelivered: int
    lost: int
    duplicated: int
    unexpected: int
    elapsed: float
    messages_per_second: float
    facts: RunFacts

    @property
    def settled(self) -> int:
        """Messages found in the completed, failed or dead-letter list."""
        return self.completed + self.failed + self.dead_lettered

    @property
    def balanced(self) -> bool:
        """Whether every published message ended in exactly one list, and nothing
        else went wrong."""
        facts = self.facts
        troubles = (
            self.lost,
            self.duplicated,
            self.unexpected,
            facts.consumer_errors,
            facts.producer_errors,
        )
        return (
            not any(troubles) and not facts.timed_out and self.settled == self.published
        )

    def as_dict(self) -> dict[str, Any]:
        """The ledger as the JSON object ``rmq demo --json`` prints."""
        facts = self.facts
        return {
            "published": self.published,
            "deduplicated": self.deduplicated,
            "completed": self.completed,
            "failed": self.failed,
            "dead_lettered": self.dead_lettered,
            "redelivered": self.redelivered,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "unexpected": self.unexpected,
            "elapsed": round(self.elapsed, 3),
            "messages_per_second": round(self.messages_per_second, 1),
            "consumers_killed": facts.consumers_killed,
            "consumer_crashes": facts.consumer_crashes,
            "consumer_errors": facts.consumer_errors,
            "producer_errors": facts.producer_errors,
            "timed_out": facts.timed_out,
            "backend": facts.backend,
            "server": facts.server,
            "balanced": self.balanced,
        }


def reconcile(facts: RunFacts, findings: Findings) -> Ledger:
    """Match what was published against what the server's lists hold."""
    published = set(facts.accepted)
    seen = Counter([*findings.completed, *findings.failed, *findings.dead_lettered])

    lost = len(published - seen.keys())
    duplicated = sum(count - 1 for count in seen.values() if count > 1)
    strangers = sum(count for key, count in seen.items() if key not in published)

    completed = _known(findings.completed, published)
    failed = _known(findings.failed, published)
    dead_lettered = _known(findings.dead_lettered, published)
    settled = completed + failed + dead_lettered
    rate = settled / facts.elapsed if facts.elapsed > 0 else 0.0

    return Ledger(
        published=len(facts.accepted),
        deduplicated=facts.deduplicated,
        completed=completed,
        failed=failed,
        dead_lettered=dead_lettered,
        redelivered=facts.redelivered,
        lost=lost,
        duplicated=duplicated,
        unexpected=strangers + findings.unreadable,
        elapsed=facts.elapsed,
        messages_per_second=rate,
        facts=facts,
    )


def exit_code(ledger: Ledger) -> int:
    """0 when the ledger balances, 1 when anything is lost or unaccounted for."""
    return 0 if ledger.balanced else 1


def _known(ids: Sequence[str], published: set[str]) -> int:
    return sum(1 for message_id in ids if message_id in published)
