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
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class BarProgress:
    """A live bar; failures are printed above it as they happen so none scrolls by unseen."""

    def __init__(self, progress: Progress):
        self._progress = progress
        self._task = progress.add_task("ingest", total=None)
        self._stages: dict[str, TaskID] = {}  # file → its own line while a long stage runs

    def start(self, total: int) -> None:
        self._progress.update(self._task, total=total)

    def advance(self, name: str, outcome: str) -> None:
        if outcome == "failed":
            self._progress.console.print(f"[red]failed[/red] {escape(name)}", highlight=False)
        self._progress.update(self._task, advance=1, description=outcome)
        stage_task = self._stages.pop(name, None)
        if stage_task is not None:
            self._progress.remove_task(stage_task)

    def stage(self, name: str, stage: str) -> None:
        """Long transcodes get a line of their own naming the file and what is happening."""
        text = f"  {escape(name)}: {escape(stage)}"
        if name in self._stages:
            self._progress.update(self._stages[name], description=text)
        else:
            self._stages[name] = self._progress.add_task(text, total=None)


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

    def stage(self, name: str, stage: str) -> None:
        self._console.print(f"  {name}: {stage}", markup=False, highlight=False)


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
