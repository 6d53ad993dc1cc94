"""Errors the ingest stages raise; each names its subject and says what is wrong in plain words.

`ItemError`s spoil one item and the batch goes on; `IngestError` stops a run before any work
(an unreadable manifest, a path that does not exist, a bad collection slug).
"""

from __future__ import annotations

from schemas.errors import InvalidInput


class IngestError(InvalidInput):
    """The whole run cannot start: bad usage or a manifest that cannot be read at all."""


class ItemError(InvalidInput):
    """One file or manifest row cannot be ingested. `subject` names it, `problem` says why."""

    def __init__(self, subject: str, problem: str):
        super().__init__(f"{subject}: {problem}")
        self.subject = subject
        self.problem = problem

    def __reduce__(self) -> tuple[type, tuple[str | None, ...]]:
        # Crosses the process boundary from workers; the default pickling would lose `problem`.
        return (type(self), (self.subject, self.problem))


class IdentifyError(ItemError):
    """The file's bytes are not a format we know (empty, text, unknown)."""


class UnsupportedFormat(ItemError):
    """A container we recognise but do not open: 7-Zip, RAR, an Office/EPUB package, a
    compressed file holding no TAR archive."""


class ImageError(ItemError):
    """The image cannot be decoded safely: truncated, corrupt, or too many pixels."""


class DocumentError(ItemError):
    """The document cannot be read: corrupt, truncated, encrypted, or not a document at all."""


class RowError(ItemError):
    """A manifest row is invalid: a bad value, an unknown category, a missing file."""
