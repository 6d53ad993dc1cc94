"""Run the checkout's `heritage` command as an installed one runs: with its bytecode.

An installed package ships compiled modules; a shell with PYTHONDONTWRITEBYTECODE (as some CI
and sandbox shells set) would make every process of every timed run compile the checkout again
(about 0.1 s of CPU per process). The benches that time the CLI compile it once, into
~/.cache/heritage/pycache (PYTHONPYCACHEPREFIX: outside the checkout), and run with that.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PYCACHE = Path.home() / ".cache" / "heritage" / "pycache"
PACKAGES = ("api", "ingest", "repository", "schemas", "search")


def installed_env(**extra: str) -> dict[str, str]:
    """The environment of a command run as installed: bytecode kept (outside the checkout)."""
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(PYCACHE), **extra}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def compile_checkout() -> None:
    """Compile the checkout's packages (run from its root) into the bytecode cache."""
    command = [sys.executable, "-m", "compileall", "-q", *PACKAGES]
    subprocess.run(command, env=installed_env(), check=True, stdout=subprocess.DEVNULL)
