"""The API reference page is generated from the code and kept current (rule D2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_api_reference_matches_the_code() -> None:
    """D2: docs/api.md is what tools/api_reference.py writes from the docstrings."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "api_reference.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
