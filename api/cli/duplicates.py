"""`heritage duplicates`: groups of near-duplicate photos (the same picture scanned twice,
resized or re-encoded) across the whole store, as the local operator sees it (everything).

Registered on the `heritage` app by `api.cli.commands`. The hashes are those ingest stored in
each photo's `files[].phash`; the grouping is `ingest.neardup.clusters`.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from api.cli.support import load_settings, open_services, out


def duplicates_command(
    collection: Annotated[
        str | None,
        typer.Option(
            help="Only groups with an item of this collection (the others may be in any)."
        ),
    ] = None,
    threshold: Annotated[
        int, typer.Option(min=0, max=64, help="Bits of 64 that may differ (default 6).")
    ] = 6,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead.")] = False,
) -> None:
    """List groups of items whose photos look alike, with ids, titles and distances."""
    from ingest.neardup import clusters, stored_photos

    with open_services(load_settings()) as services:
        photos = list(stored_photos(services.records))
    groups = [
        group
        for group in clusters(photos, threshold)
        if collection is None or any(photo.collection == collection for photo, _ in group)
    ]
    listed = [
        [
            {
                "id": photo.item_id,
                "collection": photo.collection,
                "institution": photo.institution,
                "title": photo.title,
                "distance": distance,
            }
            for photo, distance in group
        ]
        for group in groups
    ]
    if as_json:
        typer.echo(
            json.dumps({"threshold": threshold, "clusters": listed}, ensure_ascii=False, indent=1)
        )
        return
    where = f" with an item in {collection}" if collection else ""
    table = Table(
        title=f"{len(groups)} groups of near-duplicate photos{where} (≤ {threshold} bits)"
    )
    table.add_column("group", justify="right")
    longest = max((len(photo.item_id) for group in groups for photo, _ in group), default=2)
    table.add_column("id", no_wrap=True, min_width=longest)  # ids are copied: never cut
    for column in ("collection", "title", "distance"):
        table.add_column(column, overflow="fold")
    for number, group in enumerate(groups, 1):
        for photo, distance in group:
            table.add_row(
                str(number), photo.item_id, photo.collection or "", photo.title or "", str(distance)
            )
    out.print(table)
