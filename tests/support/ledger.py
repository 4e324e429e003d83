"""A ledger of what happened to every message of a run, and the report of all ledgers.

Producers record each publish that returned success; consumers record each
delivery and how it ended; at the end the run reads what is still queued. The
ledger then says which acknowledged messages were lost (acknowledged, yet found
nowhere) and which were delivered more than once. :class:`LedgerReport` prints
every ledger of the session in pytest's terminal summary, so CI output shows them.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable

import attrs
import pytest


@attrs.define
class Ledger:
    """What a run did to each message, by message text.

    Attributes:
        scenario: What the run was, for the report.
        acknowledged: Messages whose publish returned True, with the time.
        refused: Publishes that raised (not acknowledged).
        deliveries: How often each message's handler ran.
        completed: Messages whose handler returned and whose ack succeeded.
        failed: Messages whose handler raised (nacked on purpose).
        dead_lettered: Messages found in the dead-letter list at the end.
        left: Messages still pending or processing at the end.
        crashing: Messages whose handler always crashes (they must end
            dead-lettered, and are delivered more than once on purpose).
        notes: Free-form figures for the report (timings, rates).
    """

    scenario: str
    acknowledged: dict[str, float] = attrs.Factory(dict)
    refused: int = 0
    deliveries: Counter[str] = attrs.Factory(Counter)
    completed: Counter[str] = attrs.Factory(Counter)
    failed: set[str] = attrs.Factory(set)
    dead_lettered: set[str] = attrs.Factory(set)
    left: set[str] = attrs.Factory(set)
    crashing: set[str] = attrs.Factory(set)
    notes: dict[str, str] = attrs.Factory(dict)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, repr=False)

    def published(self, text: str) -> None:
        """A publish of ``text`` returned True."""
        with self._lock:
            self.acknowledged[text] = time.monotonic()

    def publish_refused(self) -> None:
        """A publish raised after the queue's retries."""
        with self._lock:
            self.refused += 1

    def delivered(self, text: str) -> None:
        """The handler of ``text`` starts."""
        with self._lock:
            self.deliveries[text] += 1

    def acknowledged_by_consumer(self, text: str) -> None:
        """The handler of ``text`` returned and its ack succeeded."""
        with self._lock:
            self.completed[text] += 1

    def failed_on_purpose(self, text: str) -> None:
        """The handler of ``text`` raised; the queue failed the message."""
        with self._lock:
            self.failed.add(text)

    @property
    def accounted(self) -> set[str]:
        """Messages found completed, failed, dead-lettered or still queued."""
        return set(self.completed) | self.failed | self.dead_lettered | self.left

    @property
    def lost(self) -> set[str]:
        """Acknowledged messages found nowhere."""
        return set(self.acknowledged) - self.accounted

    @property
    def redelivered(self) -> set[str]:
        """Messages (crashing ones aside) whose handler ran more than once."""
        return {
            text
            for text, count in self.deliveries.items()
            if count > 1 and text not in self.crashing
        }

    @property
    def completed_twice(self) -> set[str]:
        """Messages acknowledged by two deliveries (a duplicate side effect)."""
        return {text for text, count in self.completed.items() if count > 1}

    def lost_outside(self, moment: float, before: float, after: float) -> set[str]:
        """Lost messages acknowledged outside ``[moment - before, moment + after]``.

        Asynchronous replication can only lose what the primary acknowledged
        shortly before it died; anything else lost is a bug.
        """
        earliest, latest = moment - before, moment + after
        return {
            text
            for text in self.lost
            if not earliest <= self.acknowledged[text] <= latest
        }

    def lines(self) -> list[str]:
        """The ledger as report lines."""
        counts = [
            ("published, acknowledged", len(self.acknowledged)),
            ("publishes refused after retries", self.refused),
            ("completed", len(self.completed)),
            ("failed (handler raised on purpose)", len(self.failed)),
            ("dead-lettered", len(self.dead_lettered)),
            ("still pending or processing", len(self.left)),
            ("LOST (acknowledged, found nowhere)", len(self.lost)),
            ("delivered more than once", len(self.redelivered)),
            ("acknowledged by two deliveries", len(self.completed_twice)),
        ]
        lines = [f"{self.scenario}"]
        lines += [f"    {label:<38} {count:>7}" for label, count in counts]
        lines += [f"    {label:<38} {value:>7}" for label, value in self.notes.items()]
        return lines


class LedgerReport:
    """A pytest plugin that prints the session's ledgers in the terminal summary."""

    name = "rmq-ledger-report"

    def __init__(self) -> None:
        self.ledgers: list[Ledger] = []
        self.figures: list[tuple[str, dict[str, str]]] = []

    @classmethod
    def of(cls, config: pytest.Config) -> LedgerReport:
        """The session's report, registered with pytest on first use."""
        plugin = config.pluginmanager.get_plugin(cls.name)
        if isinstance(plugin, LedgerReport):
            return plugin
        report = cls()
        config.pluginmanager.register(report, cls.name)
        return report

    def add(self, ledger: Ledger) -> None:
        """Keep ``ledger`` for the summary, and print it now (seen with ``-s``)."""
        self.ledgers.append(ledger)
        print("\n".join(ledger.lines()))

    def add_figures(self, title: str, figures: dict[str, str]) -> None:
        """Keep measured figures (a benchmark's) for the summary."""
        self.figures.append((title, figures))
        print(title, figures)

    def pytest_terminal_summary(
        self, terminalreporter: pytest.TerminalReporter
    ) -> None:
        """Print every ledger and every set of figures of the session."""
        if self.ledgers:
            terminalreporter.section("message ledgers")
            for ledger in self.ledgers:
                for line in ledger.lines():
                    terminalreporter.write_line(line)
        if self.figures:
            terminalreporter.section("measured figures")
            for title, figures in self.figures:
                terminalreporter.write_line(title)
                for label, value in figures.items():
                    terminalreporter.write_line(f"    {label:<38} {value:>7}")


def texts_of(values: Iterable[bytes | str]) -> set[str]:
    """Message texts from list entries as the server returned them."""
    return {v.decode() if isinstance(v, bytes) else v for v in values}
