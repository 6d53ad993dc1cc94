"""`heritage authorities import|list|seed`: the projects, bearers and institutions items point to.

Registered on the `heritage` app by `api.cli.commands`. Works on storage alone (no search index),
and writes one audit entry per import as the local operator. Exit codes as everywhere: 0 done,
1 done with refused rows (each named with its field on stderr), 2 bad usage.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.governance import _operator, _store
from api.cli.support import err, out

if TYPE_CHECKING:  # storage loads only when a command runs
    from api.operations.authorities import ImportSummary

authorities_app = typer.Typer(
    name="authorities",
    help="Authority records: ICH projects (代表性项目), bearers (代表性传承人) and institutions.",
    no_args_is_help=True,
)
MAX_LISTED_PROBLEMS = 50


class Kind(StrEnum):
    project = "project"
    bearer = "bearer"
    institution = "institution"


def _report(summary: ImportSummary) -> None:
    for problem in summary.problems[:MAX_LISTED_PROBLEMS]:
        err.print(f"[red]refused[/red]: {escape(problem)}", highlight=False)
    if len(summary.problems) > MAX_LISTED_PROBLEMS:
        err.print(f"… and {len(summary.problems) - MAX_LISTED_PROBLEMS} more refused rows")
    out.print(f"Authorities: {summary.describe()}", markup=False, highlight=False)
    if summary.problems:
        raise typer.Exit(1)


@authorities_app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="A .json or .csv file of authorities.")],
) -> None:
    """Add or update authorities from a file; rows already stored unchanged are left alone."""
    from api.operations.authorities import import_rows, read_rows

    rows = read_rows(path)
    _report(import_rows(_store(), rows, _operator(), what=path.name))


@authorities_app.command("seed")
def seed_command() -> None:
    """Load the shipped list of national projects (schemas/vocabularies/ich-projects.json)."""
    from api.operations.authorities import import_rows, seed_rows

    _report(import_rows(_store(), seed_rows(), _operator(), what="the seed list ich-projects.json"))


@authorities_app.command("list")
def list_command(
    kind: Annotated[Kind | None, typer.Option("--kind", help="Only this kind.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the records as JSON.")] = False,
) -> None:
    """Every stored authority (of one kind), by id."""
    from repository.authorities import AuthorityStore

    found = AuthorityStore(_store()).list(kind.value if kind else None)
    if as_json:
        typer.echo(json.dumps(found, ensure_ascii=False, indent=1))
        return
    table = Table(title=f"{len(found)} authorities")
    columns = ("id", "name", "level", "list number", "region")
    for column in columns:
        table.add_column(column, overflow="fold")
    for authority in found:
        table.add_row(
            authority["id"],
            authority["names"]["zh"],
            authority.get("level", ""),
            authority.get("list_number", ""),
            authority.get("region", {}).get("name", ""),
        )
    out.print(table)
