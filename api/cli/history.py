"""`heritage history ITEM` and `heritage delete ITEM --reason ...`: an item's versions, and
deleting an item for good, as the local operator (an admin of HERITAGE_INSTITUTION).

Registered on the `heritage` app by `api.cli.commands`. What they do: `api.operations.history`.
"""

from __future__ import annotations

import getpass
import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from api.cli.support import load_settings, open_services, out

if TYPE_CHECKING:  # the operations load only when a command runs
    from api.operations.callers import Caller
    from api.settings import Settings


def _operator(settings: Settings) -> Caller:
    """The person at the terminal, acting as an admin (they hold the storage credentials)."""
    from api.operations.callers import Caller

    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return Caller(f"cli:{user}", settings.institution, "admin")


def history_command(
    item: Annotated[str, typer.Argument(help="The item's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON instead.")] = False,
) -> None:
    """An item's versions, oldest first: when, who and what changed."""
    from api.operations.history import versions

    settings = load_settings()
    with open_services(settings) as services:
        listed = versions(services, item, _operator(settings))
    if as_json:
        typer.echo(json.dumps([v.to_dict() for v in listed], ensure_ascii=False, indent=1))
        return
    table = Table(title=f"{len(listed)} versions of {item}")
    for column in ("n", "time", "agent", "change"):
        table.add_column(column, overflow="fold")
    for v in listed:
        table.add_row(f"{v.n}{' (current)' if v.current else ''}", v.time, v.agent, v.change)
    out.print(table)


def delete_command(
    item: Annotated[str, typer.Argument(help="The item's id.")],
    reason: Annotated[str, typer.Option(help="Why, e.g. 'the bearer asked'; kept in the log.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete an item for good: its record, versions and unshared files; a tombstone stays."""
    from api.operations.history import delete_for_good
    from api.operations.items import ItemLocks, WriteContext, owned_record, record_etag

    settings = load_settings()
    with open_services(settings) as services:
        caller = _operator(settings)
        record = owned_record(services, item, caller)
        if not yes:
            typer.confirm(
                f"Delete {item} ({record['collection']}) for good? Its files and versions "
                "cannot be recovered",
                abort=True,
            )
        tombstone = delete_for_good(
            services,
            ItemLocks(),
            item,
            WriteContext(caller, "cli delete"),
            record_etag(record),  # a change made since the question was asked refuses
            reason,
        )
    out.print(f"Deleted {item} for good on {tombstone['deleted']}.", markup=False, highlight=False)
