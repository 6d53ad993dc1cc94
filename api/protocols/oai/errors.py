"""OAI-PMH error conditions (section 3.6 of the protocol), one class per code.

Each is an `InvalidInput` (or `NotFound`) of the heritage error tree; the verbs raise them and
`api.protocols.oai.response` writes them as `<error code="...">` elements.
"""

from __future__ import annotations

from schemas.errors import InvalidInput, NotFound


class OaiError(InvalidInput):
    """An OAI-PMH error; `code` is the protocol's name for it."""

    code = "badArgument"

    @property
    def message(self) -> str:
        return str(self)


class BadArgument(OaiError):
    code = "badArgument"


class BadVerb(OaiError):
    code = "badVerb"


class BadResumptionToken(OaiError):
    code = "badResumptionToken"


class CannotDisseminateFormat(OaiError):
    code = "cannotDisseminateFormat"


class IdDoesNotExist(OaiError, NotFound):
    code = "idDoesNotExist"


class NoRecordsMatch(OaiError):
    code = "noRecordsMatch"
