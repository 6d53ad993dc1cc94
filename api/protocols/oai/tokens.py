"""Resumption tokens: the list's arguments plus the (datestamp, id) cursor, HMAC-signed with a
timestamp (itsdangerous), so a forged, altered or expired token is refused as badResumptionToken.
Any replica holding the same `HERITAGE_SECRET` accepts a token another issued."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from api.protocols.oai.errors import BadResumptionToken

TOKEN_LIFETIME = timedelta(hours=24)


class TokenSigner:
    """Signs and checks resumption tokens (see the module docstring)."""

    SALT = "heritage.oai.resumption"

    def __init__(self, secret: str, lifetime: timedelta = TOKEN_LIFETIME):
        self.serializer = URLSafeTimedSerializer(secret, salt=self.SALT)
        self.lifetime = lifetime

    def dumps(self, payload: dict[str, Any]) -> str:
        return str(self.serializer.dumps(payload))

    def loads(self, token: str) -> dict[str, Any]:
        try:
            payload = self.serializer.loads(token, max_age=int(self.lifetime.total_seconds()))
        except SignatureExpired:
            raise BadResumptionToken(
                "the resumptionToken has expired; start the list again without a token"
            ) from None
        except BadSignature:
            raise BadResumptionToken(
                "the resumptionToken is not one this repository issued (or it was altered)"
            ) from None
        if not isinstance(payload, dict):
            raise BadResumptionToken("the resumptionToken is malformed")
        return payload
