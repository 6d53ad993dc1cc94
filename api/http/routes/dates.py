"""`GET /api/dates`: how a written date is read, before anything is saved.

The workspace's edit form asks it as the archivist types (`static/edit.js`), so 清代 shows
"1644–1912" at once; any client may ask the same. It is the one date reader of manifests, PATCH,
the form and the search box (`schemas.dates`), so what it says is what a save would store.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api.http.i18n import choose_language, message
from schemas.dates import read_date

router = APIRouter(tags=["dates"])

MAX_DATE_CHARS = 100  # the form's field holds no more


@router.get("/api/dates")
def read_written_date(
    request: Request, text: Annotated[str, Query(min_length=1, max_length=MAX_DATE_CHARS)]
) -> dict[str, Any]:
    """The date as a record would hold it (EDTF, earliest and latest year, era), and a sentence
    saying so in the caller's language; 422 quoting the text and what to write instead."""
    date = read_date(text).record()  # DateError is InvalidInput: 422 naming the text
    earliest, latest = date.get("earliest"), date.get("latest")
    understood = message(
        choose_language(request),
        "edit.date_understood",
        edtf=date["edtf"],
        earliest="…" if earliest is None else earliest,
        latest="…" if latest is None else latest,
    )
    return {**date, "understood": understood}
