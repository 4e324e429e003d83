"""The suite refuses to pass silently: a missing override fails, skips say why."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def _run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_adapter=source)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs", *args)


def test_subclass_without_backend_override_fails_every_test(
    pytester: pytest.Pytester,
) -> None:
    """S1: forgetting to override ``backend`` fails each test, saying what to do."""
    result = _run(
        pytester,
        """
        from redis_message_queue.contract_tests import BackendContract

        class TestForgotTheBackend(BackendContract):
            pass
        """,
    )

    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) == 0
    assert outcomes.get("skipped", 0) == 0
    assert outcomes.get("errors", 0) > 40
    result.stdout.fnmatch_lines(["*override the 'backend' fixture of BackendContract*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_backend_fixture_yielding_no_backend_fails(pytester: pytest.Pytester) -> None:
    """S1: a ``backend`` fixture that yields something else fails loudly."""
    result = _run(
        pytester,
        """
        import pytest
        from redis_message_queue.contract_tests import BackendContract

        class TestNotABackend(BackendContract):
            @pytest.fixture
            def backend(self):
                return object()
        """,
        "-k",
        "publish_then_claim",
    )

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*must yield a SyncBackend or AsyncBackend*object*"])


def test_capability_skips_name_the_capability(pytester: pytest.Pytester) -> None:
    """S3: tests needing an undeclared capability skip with the capability named."""
    result = _run(
        pytester,
        """
        import pytest
        from redis_message_queue.adapters.memory import SyncMemoryBackend
        from redis_message_queue.contract_tests import BackendContract

        class TestBareBackend(BackendContract):
            @pytest.fixture
            def backend(self):
                backend = SyncMemoryBackend()
                backend.capabilities = frozenset()
                return backend
        """,
        "-k",
        "wait or random",
    )

    result.assert_outcomes(skipped=3)
    result.stdout.fnmatch_lines(
        [
            "SKIPPED [[]2[]] *: backend does not declare BLOCKING_WAIT",
            "SKIPPED [[]1[]] *: backend does not declare MANUAL_CLOCK",
        ],
        consecutive=False,
    )
