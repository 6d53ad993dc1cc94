"""An item's text: which language a title or description is written in when the manifest does
not say, and the files' extracted texts joined into the record's `text` and `text_pages`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingest.task import FileResult

TEXT_MAX = 2_000_000  # record.schema.json's limit on `text`


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_MONGOLIAN = re.compile(r"[\u1800-\u18af]")
_TIBETAN = re.compile(r"[\u0f00-\u0fff]")


def guess_language(text: str) -> str:
    """The BCP 47 tag for text given without a language column: by its script."""
    if _MONGOLIAN.search(text):
        return "mn"
    if _TIBETAN.search(text):
        return "bo"
    return "zh" if _CJK.search(text) else "en"


def joined_text(files: list[FileResult]) -> str | None:
    """The files' extracted texts, each after a line naming its file when there are several."""
    texts = [(f.relpath, f.text) for f in files if f.text]
    if len(texts) == 1:
        return texts[0][1][:TEXT_MAX]
    joined = "\n\n".join(f"[{relpath}]\n{text}" for relpath, text in texts)
    return joined[:TEXT_MAX] or None


def joined_text_pages(files: list[FileResult], joined: str | None) -> list[int] | None:
    """Where each page's text begins in `joined_text(files)`: for an item whose text has one
    paged document (pages of two documents would need two numberings); None otherwise."""
    paged = [f for f in files if f.text_pages or any(e["role"] == "page" for e in f.entries)]
    if joined is None or len(paged) != 1 or not paged[0].text or not paged[0].text_pages:
        return None
    shift = 0
    texts = [f for f in files if f.text]
    if len(texts) > 1:
        for f in texts:
            shift += len(f"[{f.relpath}]\n")
            if f is paged[0]:
                break
            shift += len(f.text or "") + 2
    starts = [shift + start for start in paged[0].text_pages if shift + start < len(joined)]
    return starts or None
