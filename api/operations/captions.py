"""Adding a caption or transcript file (.vtt, .srt) to an existing video or audio item.

Read as ingest reads one (`ingest.captions`: the same strict parser, limits and messages naming
the file, line and cue), stored as a content-addressed WebVTT blob before the record names it
(a failed save leaves at most an orphan blob, as ingest does), then listed in the record and its
cues indexed through `change_item`, so permissions, events, audit and re-indexing are an edit's.
"""

from __future__ import annotations

import io
import unicodedata
from pathlib import PurePosixPath
from typing import Any

from api.operations.items import ItemLocks, WriteContext, add_event, change_item, owned_record
from api.services import Services
from ingest.captions import (
    KINDS,
    caption_entry,
    is_caption_name,
    is_language,
    merge_captions,
    parse_captions,
)
from schemas.errors import InvalidInput
from schemas.record import Record

MAX_NAME = 200


def caption_file_name(given: str | None) -> str:
    """The uploaded file's own name (no folders), NFC; InvalidInput unless .vtt or .srt."""
    name = unicodedata.normalize("NFC", PurePosixPath((given or "").replace("\\", "/")).name)
    if not name or not is_caption_name(name):
        raise InvalidInput(
            f"file {name or '(none)'!r}: choose a WebVTT (.vtt) or SRT (.srt) caption file"
        )
    return name[-MAX_NAME:]


def has_av(record: Any) -> bool:
    """Whether the item has a video or audio file a caption can go with."""
    return any(f["media_type"].split("/")[0] in ("video", "audio") for f in record.get("files", []))


def add_captions(
    services: Services,
    locks: ItemLocks,
    item_id: str,
    context: WriteContext,
    *,
    data: bytes,
    name: str,
    language: str,
    kind: str,
) -> Record:
    """Add one caption file to an item the caller may change; InvalidInput names what is wrong
    (the file, its line and cue; the language; an item with no video or audio)."""
    if not is_language(language):
        raise InvalidInput(f"language {language!r} is not a language code such as zh, en, mn, bo")
    if kind not in KINDS:
        raise InvalidInput(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    captions = parse_captions(data, name)
    if not has_av(owned_record(services, item_id, context.caller)):
        raise InvalidInput(f"item {item_id} has no video or audio for captions to go with")
    blob = services.store.put_blob(io.BytesIO(captions.vtt))
    stored = {"key": blob.key, "sha256": blob.sha256, "bytes": blob.size}
    result = caption_entry(captions, name, language, kind, stored)

    def mutate(record: dict[str, Any]) -> str | None:
        if any(f["role"] == "captions" and f["sha256"] == blob.sha256 for f in record["files"]):
            return None  # the same captions are there already
        merge_captions(record, [result], record.get("cues", []))
        detail = f"captions added: {name} ({language}, {kind}, {len(captions.cues)} cues)"
        add_event(record, "metadata-modification", context.caller, detail)
        return f"added captions {name} ({language})"

    return change_item(services, locks, item_id, context, None, mutate, require_match=False)
