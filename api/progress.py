"""Ingest progress for people: a rich bar on a terminal, one plain line per item otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class BarProgress:
    """A live bar; failures are printed above it as they happen so none scrolls by unseen."""

    def __init__(self, progress: Progress):
        self._progress = progress
        self._task = progress.add_task("ingest", total=None)

    def start(self, total: int) -> None:
        self._progress.update(self._task, total=total)

    def advance(self, name: str, outcome: str) -> None:
        if outcome == "failed":
            self._progress.console.print(f"[red]failed[/red] {escape(name)}", highlight=False)
        self._progress.update(self._task, advance=1, description=outcome)


class LineProgress:
    """For logs and pipes: `[3/120] stored photos/a.jpg`."""

    def __init__(self, console: Console):
        self._console = console
        self._total = 0
        self._done = 0

    def start(self, total: int) -> None:
        self._total = total
        self._console.print(f"{total} items to ingest", markup=False, highlight=False)

    def advance(self, name: str, outcome: str) -> None:
        self._done += 1
        line = f"[{self._done}/{self._total}] {outcome} {name}"
        self._console.print(line, markup=False, highlight=False)


@contextmanager
def ingest_progress(console: Console) -> Iterator[BarProgress | LineProgress]:
    if not console.is_terminal:
        yield LineProgress(console)
        return
    columns = (
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        yield BarProgress(progress)
