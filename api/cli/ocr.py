"""`heritage ocr`: the OCR stage on items already stored (ingest runs it for new documents when
`HERITAGE_OCR=auto`). Registered on the `heritage` app by `api.cli.commands`.

Pages with a text layer are never read; pages read before are skipped unless `--force`; pages a
person corrected in the workspace are kept even with `--force` (a machine never undoes a
curator's edit). One line per item; exit 1 when an item failed (the others still ran).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from api.cli.history import _operator
from api.cli.support import load_settings, open_services, out


def ocr_command(
    collection: Annotated[str, typer.Option(help="The collection whose items are read.")],
    item: Annotated[
        str | None,
        typer.Option(help="Only this item (a photo of text too; otherwise documents)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Read pages read before again (never pages a person corrected)."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines instead.")] = False,
) -> None:
    """Read the text of scanned pages (RapidOCR; Tesseract's vertical models for columns)."""
    from api.operations.ingesting import ocr_limits
    from api.operations.ocr import ocr_items

    settings = load_settings()
    failed = 0
    with open_services(settings) as services:
        results = ocr_items(
            services,
            _operator(settings),
            collection,
            ocr_limits(settings),
            item=item,
            force=force,
        )
        for result in results:
            failed += result.outcome == "failed"
            if as_json:
                typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
                continue
            said = f"{result.id}: {result.outcome}"
            if result.pages:
                said += f", pages {', '.join(map(str, result.pages))}"
            if result.kept:
                said += f"; kept as corrected by a person: {', '.join(map(str, result.kept))}"
            for note in [*result.notes, *([result.error] if result.error else [])]:
                said += f"; {note}"
            out.print(said, markup=False, highlight=False)
    if failed:
        raise typer.Exit(1)
