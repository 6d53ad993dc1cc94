"""Run the checkout's `heritage` command as an installed one runs: with its bytecode.

An installed package ships compiled modules; a shell with PYTHONDONTWRITEBYTECODE (as some CI
and sandbox shells set) would make every process of every timed run compile the checkout again
(about 0.1 s of CPU per process). The benches that time the CLI compile it once, into
~/.cache/heritage/pycache (PYTHONPYCACHEPREFIX: outside the checkout), and run with that.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from contextlib import suppress
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


PR_SET_CHILD_SUBREAPER = 36


def count_every_descendant() -> None:
    """Make this process the subreaper of what it starts: a `heritage ingest` forks its workers
    from a fork server, which outlives the command by a moment and would be reparented to init,
    its CPU and its workers' lost to `RUSAGE_CHILDREN`. Call `reap_orphans` after each command."""
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def children() -> set[int]:
    """The pids of this process's children (from /proc)."""
    me, found = str(os.getpid()), set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if fields[1] == me:
            found.add(int(stat.parent.name))
    return found


def reap_orphans(before: set[int]) -> None:
    """Wait for the children this process has now and had not at `before` (a finished command's
    fork server and resource tracker, reparented here), so their CPU is counted."""
    for pid in children() - before:
        with suppress(ChildProcessError):  # reaped meanwhile
            os.waitpid(pid, 0)
