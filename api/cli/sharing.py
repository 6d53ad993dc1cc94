"""The sharing commands of `heritage`: `export` (a collection as RDF) and `harvest` (another
repository's OAI-PMH feed into a collection). Registered on the typer app in `api.cli.commands`.

Exit codes (README.md): 0 done; 1 done with failed records; 2 bad usage or
configuration (one line on stderr).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from api.cli.support import err, fail, load_settings, open_services, out


class RdfFormat(StrEnum):
    turtle = "turtle"
    jsonld = "jsonld"
    rdfxml = "rdfxml"


def _require_slug(collection: str) -> None:
    from repository.keys import is_valid_slug

    if not is_valid_slug(collection):
        fail(f"collection {collection!r} is not a valid slug")


def export_command(
    collection: Annotated[str, typer.Option("--collection", "-c", help="Collection slug.")],
    format: Annotated[RdfFormat, typer.Option("--format", "-f", help="RDF syntax.")] = (
        RdfFormat.turtle
    ),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
) -> None:
    """Export a collection's public records as RDF (EDM + schema.org)."""
    from api.operations.authorities import AuthorityNames, authority_lookup, institution_names
    from api.protocols.exports import export_collection
    from repository.authorities import AuthorityStore
    from search.base import Audience

    _require_slug(collection)
    with open_services(load_settings()) as services:
        settings, names = services.settings, AuthorityNames(services.store).names
        data, count = export_collection(
            services.records,
            collection,
            format.value,
            settings.base_url,
            Audience.public(),
            authority_lookup(AuthorityStore(services.store)),
            lambda code: institution_names(code, settings, names),
        )
    if count == 0:
        fail(f"collection {collection!r} has no public records to export")
    if output is None:
        typer.echo(data.decode("utf-8"), nl=False)
        return
    try:
        output.write_bytes(data)
    except OSError as exc:
        fail(f"cannot write {output}: {exc}")
    err.print(f"Exported {count} records of {collection} to {output}", markup=False)


def harvest_command(
    url: Annotated[str, typer.Argument(help="The OAI-PMH base URL of the other repository.")],
    collection: Annotated[
        str, typer.Option("--collection", "-c", help="Local collection to harvest into.")
    ],
    set_spec: Annotated[
        str | None, typer.Option("--set", "-s", help="Harvest only this OAI set.")
    ] = None,
) -> None:
    """Harvest another repository (OAI-PMH; EDM with files when offered, else oai_dc)."""
    from api.protocols.harvest import harvest

    _require_slug(collection)
    with open_services(load_settings()) as services:
        report = harvest(
            url,
            set_spec=set_spec,
            collection=collection,
            store=services.store,
            records=services.records,
            index=services.index,
            institution=services.settings.institution,
        )
    out.print(report.summary(), markup=False, highlight=False)
    for problem in report.failed:
        out.print(f"failed: {problem}", markup=False, highlight=False)
    raise typer.Exit(1 if report.failed else 0)
