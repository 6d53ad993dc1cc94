"""Text every record must be able to carry: into UTF-8 storage, into XML (OAI-PMH, RDF/XML).

`check_document` is applied where a document enters: `RecordStore.save` for every writer (ingest,
harvest, edits, restores) and the edit routes before anything is tried, so a name or value that
would have broken every OAI-PMH page holding the record is refused, naming its JSON path.
"""

from __future__ import annotations

import re
from typing import Any

from schemas.errors import InvalidInput

XML_UNSAFE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""A character XML 1.0 cannot carry (NUL and other controls, U+FFFE/U+FFFF, lone surrogates):
lxml refuses to write one, so neither a request argument nor a record's text may hold one."""
MAX_DEPTH = 32
"""Deepest nesting of objects and arrays: a record needs a handful of levels; a few hundred
stored (under `technical`, which takes any keys) made a record unanswerable, as JSON serialisers
stop at their own depth limits, and 100 000 overflowed the JSON parser's stack."""


def check_document(document: Any, *, what: str = "the document") -> None:
    """Refuse nesting deeper than MAX_DEPTH, or text (names too) holding a character a record
    cannot keep: a lone surrogate (JSON escapes allow one; UTF-8 has none) or one XML cannot
    carry. Walked without recursion; the error names the JSON path."""
    pending: list[tuple[str, Any, int]] = [("$", document, 1)]
    while pending:
        path, node, depth = pending.pop()
        if isinstance(node, dict | list) and depth > MAX_DEPTH:
            raise InvalidInput(f"{what} nests objects or arrays deeper than {MAX_DEPTH}")
        if isinstance(node, list):
            pending.extend((f"{path}[{i}]", child, depth + 1) for i, child in enumerate(node))
        elif isinstance(node, dict):
            for name, child in node.items():
                _check_text(name, f"the name {name!r} at {path}")
                pending.append((f"{path}.{name}", child, depth + 1))
        elif isinstance(node, str):
            _check_text(node, f"the text at {path}")


def _check_text(text: str, where: str) -> None:
    if bad := XML_UNSAFE.search(text):
        raise InvalidInput(
            f"{where} holds {bad.group()!r}: a record cannot keep it (UTF-8 or XML cannot carry it)"
        )
