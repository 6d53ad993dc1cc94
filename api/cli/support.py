"""What every `heritage` command module shares: the consoles, the one mapping from the error tree
to exit codes, reading settings and opening the services.

Exit codes (README.md): 0 all done; 1 done with failed items or damage found; 2 bad usage or
configuration, or a backend that cannot be reached — always one clear line on stderr, never a
traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from typer.core import TyperGroup

from schemas.errors import HeritageError

if TYPE_CHECKING:  # configuration and backends load when a command runs, not for --help
    from api.services import Services
    from api.settings import Settings

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def fail(message: str) -> NoReturn:
    """Bad usage or configuration: one line on stderr, exit 2."""
    err.print(f"heritage: error: {message}", markup=False, highlight=False)
    raise typer.Exit(2)


def load_settings(**overrides: Any) -> Settings:
    from pydantic import ValidationError

    from api.settings import Settings

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "HERITAGE_" + "_".join(str(p) for p in first["loc"]).upper()
        fail(f"bad configuration: {name}: {first['msg']} (got {first.get('input')!r})")


EXIT_USAGE = 2
"""Every `HeritageError` that reaches the top of a command: bad input, a missing thing, a refused
action or an unreachable backend. Failed items are counted in reports and exit 1 by the command."""


class HeritageGroup(TyperGroup):
    """The `heritage` command group: the one place where an error from the tree that reaches the
    top of any command (or sub-command) becomes one line on stderr and an exit code."""

    def invoke(self, ctx: Any) -> Any:  # typer's own click Context
        try:
            return super().invoke(ctx)
        except HeritageError as exc:
            err.print(f"heritage: error: {exc}", markup=False, highlight=False)
            raise typer.Exit(EXIT_USAGE) from None


@contextmanager
def open_services(settings: Settings) -> Iterator[Services]:
    from api.services import Services

    try:
        services = Services.from_settings(settings)
    except (HeritageError, OSError) as exc:
        fail(f"cannot open storage or index: {exc}")
    try:
        yield services
    finally:
        services.close()
