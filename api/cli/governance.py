"""`heritage keys create|list|revoke` and `heritage verify`: the operator's governance commands.

Registered on the `heritage` app by `api.cli.commands`. Both work on storage alone (no search
index). Each key change and each verify run is written to the audit log as the local operator.
"""

from __future__ import annotations

import getpass
import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from api.cli.support import fail, load_settings, out
from schemas.errors import HeritageError

if TYPE_CHECKING:  # storage loads only when a command runs
    from repository import ObjectStore
    from repository.audit import Actor

keys_app = typer.Typer(
    name="keys",
    help="API keys: each acts for one institution with one role (archivist, curator, admin).",
    no_args_is_help=True,
)


def _store() -> ObjectStore:
    from repository import open_store

    try:
        return open_store(load_settings().store_config())
    except (HeritageError, OSError) as exc:
        fail(f"cannot open storage: {exc}")


def _operator() -> Actor:
    """The person at the terminal, as the audit log names them."""
    from repository.audit import Actor

    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return Actor(f"heritage-cli ({user})")


@keys_app.command("create")
def create_key(
    institution: Annotated[str, typer.Option(help="The institution the key acts for.")],
    role: Annotated[str, typer.Option(help="archivist, curator or admin.")],
    label: Annotated[str, typer.Option(help="Who or what holds the key (for the list).")] = "",
) -> None:
    """Make a key; its token is printed once and stored nowhere (only its sha256 is)."""
    from api.operations.keys import create_key as create

    key, token = create(_store(), _operator(), institution, role, label)
    out.print(f"Key {key.id}: {key.role} of {key.institution}", markup=False, highlight=False)
    out.print("Token (shown once; keep it secret):", highlight=False)
    typer.echo(token)


@keys_app.command("list")
def list_keys(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every key (active and revoked), without tokens."""
    from repository.apikeys import KeyStore

    keys = KeyStore(_store()).list()
    if as_json:
        shown = [{k: v for k, v in asdict(key).items() if k != "token_sha256"} for key in keys]
        typer.echo(json.dumps(shown, ensure_ascii=False, indent=1))
        return
    table = Table(title=f"{len(keys)} API keys")
    for column in ("id", "institution", "role", "label", "created", "revoked"):
        table.add_column(column, overflow="fold")
    for key in keys:
        table.add_row(key.id, key.institution, key.role, key.label, key.created, key.revoked or "")
    out.print(table)


@keys_app.command("revoke")
def revoke_key(key_id: Annotated[str, typer.Argument(help="The id from `keys list`.")]) -> None:
    """Revoke a key: refused by running servers within seconds (their lookup cache)."""
    from api.operations.keys import revoke_key as revoke

    key = revoke(_store(), _operator(), key_id)
    out.print(f"Revoked key {key.id} ({key.role} of {key.institution}) at {key.revoked}.")


def verify(
    collection: Annotated[
        str | None, typer.Option(help="Only this collection's records (no orphan search).")
    ] = None,
    sample: Annotated[
        int | None,
        typer.Option(min=1, help="Only this many records, chosen at random (no orphan search)."),
    ] = None,
) -> None:
    """Fixity audit: re-read every stored file, compare its sha256, list orphaned blobs.

    Damaged items get a failed fixity-check event (their files then answer 503), items found
    intact again a successful one; the run's summary goes to the audit log.
    Exit 1 when a file is missing or changed or a record unreadable (orphans alone: exit 0).
    """
    from repository import RecordStore
    from repository.audit import AuditLog
    from repository.fixity import audit, record_damage_events, record_repair_events

    store = _store()
    records = RecordStore(store)
    result = audit(records, collection=collection, sample=sample)
    for damage in result.damage:
        out.print(
            f"{damage.problem}: {damage.item_id} {damage.role} ({damage.key}): {damage.detail}",
            markup=False,
            highlight=False,
        )
    for key in result.orphans or []:
        out.print(f"orphan: {key} (no record references it)", markup=False, highlight=False)
    written = record_damage_events(records, result)
    repaired = record_repair_events(records, result)
    for item_id in repaired:
        out.print(f"intact again: {item_id}", markup=False, highlight=False)
    scope = f" of collection {collection}" if collection else ""
    scope += f", a sample of {sample}" if sample else ""
    summary = f"fixity audit{scope}: {result.summary()}"
    AuditLog(store).append(
        "verify",
        _operator(),
        summary=summary,
        damaged_items=sorted(result.damaged_items()),
        events_written=written,
        repaired_items=repaired,
        orphans=len(result.orphans or []),
    )
    out.print(summary[0].upper() + summary[1:] + ".", markup=False, highlight=False)
    if not result.ok:
        raise typer.Exit(1)
