"""What a run left in a temporary folder it was given."""

from __future__ import annotations

from pathlib import Path


def left_behind(folder: Path) -> list[Path]:
    """The entries of `folder`, but for multiprocessing's own `pymp-*` folder: it holds the
    workers' fork server's socket, lives as long as the process that started the server, and
    is removed when that process exits (`multiprocessing.util.get_temp_dir`)."""
    return sorted(p for p in folder.iterdir() if not p.name.startswith("pymp-"))
