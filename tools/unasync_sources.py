"""Generate the sync twin of every ``_async`` package, or check that it is current.

The asyncio code is the one we write; the sync code is derived from it token by token
(``async``/``await`` dropped, async names mapped to sync ones), so the logic exists
once. ``primitives.py`` is the exception: the few lines that truly differ between
threads and asyncio are written by hand in each flavour.

Usage: ``python tools/unasync_sources.py`` to write, ``--check`` to verify (CI).
"""

from __future__ import annotations

import argparse
import difflib
import subprocess
import sys
import tempfile
from pathlib import Path

import unasync

ROOT = Path(__file__).resolve().parent.parent
SOURCE_PACKAGES = (
    "core/ports/_async",
    "adapters/redis/_async",
    "adapters/gateway/_async",
    "redis_message_queue/_async",
)
HAND_WRITTEN = {"primitives.py"}
REPLACEMENTS = {
    "_async": "_sync",
    "AsyncBackend": "SyncBackend",
    "AsyncRedisBackend": "SyncRedisBackend",
    "AsyncRedisClusterBackend": "SyncRedisClusterBackend",
    "AsyncMemoryBackend": "SyncMemoryBackend",
    "AsyncQueueRuntime": "SyncQueueRuntime",
    "AsyncScript": "Script",
    "AsyncRedisClient": "SyncRedisClient",
    "AsyncGatewayBackend": "SyncGatewayBackend",
    "async_backend_for_client": "sync_backend_for_client",
    "aclose": "close",
    "AsyncRetrying": "Retrying",
}
HEADER = (
    "# Generated from the asyncio source by tools/unasync_sources.py; do not edit.\n"
)


def generate(target_root: Path) -> list[Path]:
    """Write the sync twins below ``target_root``; return the files written."""
    written = []
    for package in SOURCE_PACKAGES:
        source_dir = ROOT / package
        for source in sorted(source_dir.glob("*.py")):
            if source.name in HAND_WRITTEN:
                continue
            relative = Path(package.replace("_async", "_sync")) / source.name
            destination = target_root / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(HEADER + _unasync_text(source))
            written.append(destination)
    _format(written)
    return written


def _unasync_text(source: Path) -> str:
    rule = unasync.Rule("/_async/", "/_sync/", additional_replacements=REPLACEMENTS)
    tokens = unasync.tokenize_rt.src_to_tokens(source.read_text())
    return str(unasync.tokenize_rt.tokens_to_src(rule._unasync_tokens(tokens)))


def _format(paths: list[Path]) -> None:
    if not paths:
        return
    config = str(ROOT / "pyproject.toml")
    files = [str(path) for path in paths]
    subprocess.run(  # noqa: S603 - fixed command on our own files
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--fix-only",
            "-q",
            "--config",
            config,
            *files,
        ],
        check=True,
    )
    subprocess.run(  # noqa: S603 - fixed command on our own files
        [sys.executable, "-m", "ruff", "format", "-q", "--config", config, *files],
        check=True,
    )


def check() -> int:
    """Return 0 when every committed sync twin matches a fresh generation."""
    stale = 0
    with tempfile.TemporaryDirectory() as scratch:
        for fresh in generate(Path(scratch)):
            committed = ROOT / fresh.relative_to(scratch)
            current = committed.read_text() if committed.exists() else ""
            if current != fresh.read_text():
                stale += 1
                diff = difflib.unified_diff(
                    current.splitlines(),
                    fresh.read_text().splitlines(),
                    str(committed),
                    "generated",
                    lineterm="",
                )
                print("\n".join(diff))
    if stale:
        print(f"{stale} generated file(s) are stale: run tools/unasync_sources.py")
    return 1 if stale else 0


def main() -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="verify, write nothing")
    arguments = parser.parse_args()
    if arguments.check:
        return check()
    for path in generate(ROOT):
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
