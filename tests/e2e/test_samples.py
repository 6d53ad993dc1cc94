"""The sample collection the demo ingests stays consistent with its manifest and the schemas."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_samples_manifest_and_files_agree() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "samples" / "make_samples.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
