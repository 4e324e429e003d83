"""The contract suite every backend must pass, shipped for adapter authors.

Usage, in your own ``test_my_backend.py``::

    import pytest
    from redis_message_queue.contract_tests import BackendContract

    class TestMyBackend(BackendContract):
        @pytest.fixture
        def backend(self):
            backend = MyBackend(...)
            yield backend

Run ``pytest``: every rule of ``docs/behaviour.md`` is checked; tests that need a
capability your backend does not declare are skipped with the reason.
"""

import pytest

# Before the suite is imported, so that its assertions explain their failures even
# though it lives in an installed package.
pytest.register_assert_rewrite(
    "redis_message_queue.contract_tests.suite",
    "redis_message_queue.contract_tests.harness",
    "redis_message_queue.contract_tests.replay",
    "redis_message_queue.contract_tests.stateful",
)

from redis_message_queue.contract_tests.harness import (  # noqa: E402
    PortDriver,
    TimeControl,
)
from redis_message_queue.contract_tests.suite import BackendContract  # noqa: E402

__all__ = ["BackendContract", "PortDriver", "TimeControl"]
