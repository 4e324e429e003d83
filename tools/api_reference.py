"""Write ``docs/api.md`` from the public names' signatures and docstrings.

Usage: ``python tools/api_reference.py`` to write, ``--check`` to verify (tests and
CI run the check, so the reference never drifts from the code).
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis_message_queue  # noqa: E402
import redis_message_queue.asyncio  # noqa: E402
from redis_message_queue.adapters.memory import (  # noqa: E402
    AsyncMemoryBackend,
    MemoryBackend,
    MemoryStore,
)
from redis_message_queue.adapters.redis import (  # noqa: E402
    SyncRedisBackend,
    SyncRedisClusterBackend,
)
from redis_message_queue.core.clock import ManualClock  # noqa: E402
from redis_message_queue.core.stats import QueueStats  # noqa: E402
from redis_message_queue.local_cluster import LocalCluster  # noqa: E402
from redis_message_queue.local_sentinel import LocalSentinel  # noqa: E402
from redis_message_queue.local_server import LocalServer  # noqa: E402

TARGET = ROOT / "docs" / "api.md"
_FUNCTION_REPR = re.compile(r"<function (\w+) at 0x[0-9a-f]+>")
HEADER = """# API reference

Generated from the code by `tools/api_reference.py`; do not edit by hand. The asyncio
flavour (`redis_message_queue.asyncio`) has the same names; its queue and gateway
methods are coroutines, and its context managers are asynchronous.
"""


SUPPORTING = {
    "QueueStats": (QueueStats, "redis_message_queue.core.stats"),
    "MemoryBackend": (MemoryBackend, "redis_message_queue.adapters.memory"),
    "AsyncMemoryBackend": (AsyncMemoryBackend, "redis_message_queue.adapters.memory"),
    "MemoryStore": (MemoryStore, "redis_message_queue.adapters.memory"),
    "ManualClock": (ManualClock, "redis_message_queue.core.clock"),
    "LocalServer": (LocalServer, "redis_message_queue.local_server"),
    "LocalCluster": (LocalCluster, "redis_message_queue.local_cluster"),
    "LocalSentinel": (LocalSentinel, "redis_message_queue.local_sentinel"),
    "SyncRedisBackend": (SyncRedisBackend, "redis_message_queue.adapters.redis"),
    "SyncRedisClusterBackend": (
        SyncRedisClusterBackend,
        "redis_message_queue.adapters.redis",
    ),
}
"""Names the guides use beyond the package's ``__all__``, with their import path."""


def render() -> str:
    """The whole reference page."""
    sections = [HEADER, "# Exported by `redis_message_queue`\n"]
    for name in sorted(redis_message_queue.__all__):
        sections.append(_render_name(name, getattr(redis_message_queue, name)))
    sections.append("# Supporting names\n")
    for name, (value, module) in SUPPORTING.items():
        sections.append(_render_name(name, value, f"from {module} import {name}"))
    return "\n".join(sections).rstrip() + "\n"


def _render_name(name: str, value: object, import_line: str | None = None) -> str:
    lines = [f"## `{name}`", ""]
    if import_line is not None:
        lines.extend([f"Import: `{import_line}`", ""])
    doc = inspect.getdoc(value)
    if inspect.isclass(value):
        lines.extend(_class_lines(name, value, doc))
    else:
        lines.extend([f"Type alias: `{value}`", ""])
    return "\n".join(lines)


def _class_lines(name: str, cls: type, doc: str | None) -> list[str]:
    lines = [f"`class {name}{_signature(cls)}`", ""]
    bases = ", ".join(base.__qualname__ for base in cls.__bases__)
    lines.extend([f"Bases: {bases}", ""])
    if doc:
        lines.extend([doc, ""])
    for member_name, member in _public_members(cls):
        lines.extend(_member_lines(member_name, member))
    return lines


def _public_members(cls: type) -> list[tuple[str, object]]:
    members = []
    for member_name, member in vars(cls).items():
        if member_name.startswith("_") or not (
            inspect.isfunction(member) or isinstance(member, property)
        ):
            continue
        members.append((member_name, member))
    return members


def _member_lines(name: str, member: object) -> list[str]:
    if isinstance(member, property):
        heading = f"### `{name}` (property)"
        doc = inspect.getdoc(member)
    else:
        heading = f"### `{name}{_signature(member)}`"
        doc = inspect.getdoc(member)
    return [heading, "", doc or "", ""]


def _signature(value: object) -> str:
    try:
        text = str(inspect.signature(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "(...)"
    # A function default prints with its memory address; keep only its name.
    return _FUNCTION_REPR.sub(r"\1", text)


def main() -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="verify, write nothing")
    arguments = parser.parse_args()
    page = render()
    if arguments.check:
        current = TARGET.read_text() if TARGET.exists() else ""
        if current != page:
            print("docs/api.md is stale: run python tools/api_reference.py")
            return 1
        return 0
    TARGET.write_text(page)
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
