"""The packaged contract suite on the example SQLite backend.

This is all an adapter author outside the repository writes to prove a backend:
subclass ``BackendContract`` and override its ``backend`` fixture.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlite_backend import SqliteBackend

from redis_message_queue.contract_tests import BackendContract
from redis_message_queue.core.clock import ManualClock


class TestSqliteBackendWithManualClock(BackendContract):
    """Leases and dedup windows measured by a clock the tests move."""

    @pytest.fixture
    def backend(self, tmp_path: Path) -> SqliteBackend:
        return SqliteBackend(str(tmp_path / "queue.db"), clock=ManualClock())


class TestSqliteBackendWithWallClock(BackendContract):
    """The same rules with real time passing and values handed out as ``str``."""

    @pytest.fixture
    def backend(self, tmp_path: Path) -> SqliteBackend:
        return SqliteBackend(str(tmp_path / "queue.db"), decode_responses=True)
