"""What every `heritage` command module shares: the consoles, the exit-2 error line, reading
settings and opening the services. A module of its own so `api/cli.py` and the command modules
it registers can all import it without a cycle.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from api.services import Services
from api.settings import Settings
from repository import StorageError

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def fail(message: str) -> NoReturn:
    """Bad usage or configuration: one line on stderr, exit 2."""
    err.print(f"heritage: error: {message}", markup=False, highlight=False)
    raise typer.Exit(2)


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "HERITAGE_" + "_".join(str(p) for p in first["loc"]).upper()
        fail(f"bad configuration: {name}: {first['msg']} (got {first.get('input')!r})")


@contextmanager
def open_services(settings: Settings) -> Iterator[Services]:
    try:
        services = Services.from_settings(settings)
    except (StorageError, OSError, ValueError) as exc:
        fail(f"cannot open storage or index: {exc}")
    try:
        yield services
    finally:
        services.close()
