"""The one error tree. Every exception heritage raises on purpose descends from `HeritageError`.

The branches say what kind of failure it is, not where it happened, so each interface maps them
in one place: `api.http.errors` to HTTP statuses, `api.cli.support` to exit codes, the OAI-PMH
server to its error codes. Messages are written for the person who sees them: they name the file,
row, field or parameter and say what is wrong in plain words.

`InvalidInput` is also a `ValueError` and `NotFound` also a `KeyError`, so generic callers that
catch those keep working.
"""

from __future__ import annotations


class HeritageError(Exception):
    """Root of everything heritage raises on purpose."""


class NotFound(HeritageError, KeyError):
    """The thing asked for does not exist (or the caller may not know it does)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class Gone(NotFound):
    """The thing asked for existed and was deleted for good (a tombstone is all that is left)."""


class InvalidInput(HeritageError, ValueError):
    """The caller gave something we cannot accept: a bad value, file, row or parameter."""


class TooLarge(InvalidInput):
    """The input is bigger than a configured limit."""


class UnsupportedType(InvalidInput):
    """The input is of a media type or format we do not take."""


class Forbidden(HeritageError):
    """The caller is known but may not do this."""


class Conflict(HeritageError):
    """The request clashes with the stored state (an edit made since, a duplicate)."""


class PreconditionFailed(Conflict):
    """A conditional write named a version that is no longer the stored one."""

    def __init__(self, message: str, current_etag: str | None = None):
        super().__init__(message)
        self.current_etag = current_etag


class PreconditionRequired(Conflict):
    """A write that must be conditional (If-Match) was sent without a condition."""


class Unavailable(HeritageError):
    """A backend we depend on (storage, search engine, ffmpeg) failed or cannot be reached."""
