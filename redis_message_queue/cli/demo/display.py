"""What people see: a live progress display on stderr and the final ledger table."""

from __future__ import annotations

import sys
from typing import Literal, Protocol

import attrs
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from redis_message_queue.cli.demo.ledger import Ledger


@attrs.frozen
class Snapshot:
    """The state of a run at one moment.

    Attributes:
        publish_calls: Publish calls made so far.
        total_calls: Publish calls the workload holds.
        settled: Messages in the completed, failed and dead-letter lists.
        total_messages: Distinct messages the workload holds.
        pending: Messages waiting.
        processing: Messages claimed and not settled.
        dead_lettered: Messages in the dead-letter list.
        killed: Consumers the demo killed.
        crashed: Consumers poison messages crashed.
    """

    publish_calls: int
    total_calls: int
    settled: int
    total_messages: int
    pending: int
    processing: int
    dead_lettered: int
    killed: int
    crashed: int


class Display(Protocol):
    """Shows a run's progress."""

    def start(self) -> None:
        """Begin showing."""
        ...

    def update(self, snapshot: Snapshot) -> None:
        """Show ``snapshot``."""
        ...

    def stop(self) -> None:
        """Leave the last state on screen and stop refreshing."""
        ...


class NoDisplay:
    """Shows nothing: for output that is not a terminal."""

    def start(self) -> None:
        """See :meth:`Display.start`."""

    def update(self, snapshot: Snapshot) -> None:
        """See :meth:`Display.update`."""

    def stop(self) -> None:
        """See :meth:`Display.stop`."""


class ProgressDisplay:
    """Two rich progress bars, publishing and settling, with the queue's depths.

    Args:
        console: Where to draw (stderr, so that stdout stays clean).
    """

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=console,
        )
        self._published: TaskID | None = None
        self._settled: TaskID | None = None

    def start(self) -> None:
        """See :meth:`Display.start`."""
        self._progress.start()
        self._published = self._progress.add_task("published", detail="")
        self._settled = self._progress.add_task("settled", detail="")

    def update(self, snapshot: Snapshot) -> None:
        """See :meth:`Display.update`."""
        if self._published is None or self._settled is None:
            return
        self._progress.update(
            self._published,
            completed=snapshot.publish_calls,
            total=snapshot.total_calls,
        )
        detail = (
            f"pending {snapshot.pending}  processing {snapshot.processing}  "
            f"dead {snapshot.dead_lettered}  killed {snapshot.killed}  "
            f"crashed {snapshot.crashed}"
        )
        self._progress.update(
            self._settled,
            completed=snapshot.settled,
            total=snapshot.total_messages,
            detail=detail,
        )

    def stop(self) -> None:
        """See :meth:`Display.stop`."""
        self._progress.stop()


def consoles() -> tuple[Console, Console]:
    """Consoles for stdout and stderr, coloured only when stderr is a terminal."""
    system: Literal["auto"] | None = "auto" if sys.stderr.isatty() else None
    return (
        Console(color_system=system, highlight=False),
        Console(stderr=True, color_system=system, highlight=False),
    )


def progress_display(console: Console) -> Display:
    """A live display when ``console`` is a terminal, else nothing."""
    if console.is_terminal:
        return ProgressDisplay(console)
    return NoDisplay()


def ledger_table(ledger: Ledger) -> Table:
    """The ledger as a table with a word on each line; troubles stand out in red."""
    facts = ledger.facts
    table = Table(
        title=f"rmq demo ledger: {facts.backend}, {facts.server}",
        title_justify="left",
        show_header=False,
    )
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_column("meaning", style="dim")

    for label, value, meaning, trouble in _ledger_rows(ledger):
        table.add_row(label, value, meaning, style="bold red" if trouble else None)
    return table


def _ledger_rows(ledger: Ledger) -> list[tuple[str, str, str, bool]]:
    # Each row: label, value, meaning, and whether it signals trouble.
    facts = ledger.facts
    counts = [
        ("published", ledger.published, "distinct messages enqueued", False),
        ("deduplicated", ledger.deduplicated, "repeat publishes suppressed", False),
        ("completed", ledger.completed, "acknowledged", False),
        ("failed", ledger.failed, "handler raised an exception", False),
        ("dead-lettered", ledger.dead_lettered, "poison, out of deliveries", False),
        ("redelivered", ledger.redelivered, "deliveries after a lease ran out", False),
        ("lost", ledger.lost, "published, found nowhere", ledger.lost > 0),
        ("duplicated", ledger.duplicated, "found twice", ledger.duplicated > 0),
        ("unexpected", ledger.unexpected, "never published", ledger.unexpected > 0),
        (
            "consumers killed",
            facts.consumers_killed,
            "killed mid-message by the demo",
            False,
        ),
        (
            "poison crashes",
            facts.consumer_crashes,
            "consumers a poison message crashed",
            False,
        ),
        ("consumer errors", facts.consumer_errors, "", facts.consumer_errors > 0),
        ("producer errors", facts.producer_errors, "", facts.producer_errors > 0),
    ]
    rows = [
        (label, f"{value:,}", meaning, bad) for label, value, meaning, bad in counts
    ]

    elapsed = f"{ledger.elapsed:.2f} s"
    rate = f"{ledger.messages_per_second:,.0f}"
    rows.append(("elapsed", elapsed, "first publish to empty queue", facts.timed_out))
    rows.append(("messages per second", rate, "settled / elapsed", False))
    return rows


def verdict(ledger: Ledger) -> str:
    """One line that says whether the ledger balances, with rich markup."""
    if ledger.balanced:
        return (
            "[bold green]OK[/]: every published message ended in exactly one of "
            "completed, failed or dead-letter."
        )
    if ledger.facts.timed_out:
        return "[bold red]FAILED[/]: the queue did not empty before the timeout."
    return "[bold red]FAILED[/]: some messages are lost or unaccounted for."
