"""Every Python example in the guides runs (rule D1): docs cannot drift from code.

Each ```python block of the README and of a page under ``docs/guides`` runs in the
order of the page, in one namespace per page, so later blocks may use earlier names;
``test_*``
functions an example defines are called afterwards. Examples start their own
servers (``LocalServer``, ``LocalCluster``, ``LocalSentinel``) or use the
in-memory backend; none touches a server it did not start.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDES = ROOT / "docs" / "guides"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _pages() -> list[Path]:
    return [ROOT / "README.md", *sorted(GUIDES.glob("*.md"))]


@pytest.mark.parametrize("page", _pages(), ids=lambda page: page.stem)
def test_guide_examples_run(page: Path) -> None:
    """D1: the page's examples run top to bottom without an error."""
    blocks = _BLOCK.findall(page.read_text())
    assert blocks, f"{page.name} has no python example"

    namespace: dict[str, object] = {"__name__": f"guide_{page.stem}"}
    try:
        for number, block in enumerate(blocks, start=1):
            code = compile(block, f"{page.name}#example{number}", "exec")
            exec(code, namespace)  # noqa: S102 - our own documentation examples
        _run_example_tests(namespace)
    finally:
        _stop_servers(namespace)


def _run_example_tests(namespace: dict[str, object]) -> None:
    # A guide that shows a user's test function gets it run too.
    for name, value in list(namespace.items()):
        if name.startswith("test_") and callable(value):
            value()


def _stop_servers(namespace: dict[str, object]) -> None:
    from redis_message_queue.local_cluster import LocalCluster
    from redis_message_queue.local_sentinel import LocalSentinel
    from redis_message_queue.local_server import LocalServer

    for value in namespace.values():
        if isinstance(value, LocalServer | LocalCluster | LocalSentinel):
            value.stop()
