"""Signed share links: time-limited read access to one item, whatever its access level.

A token is the item id and an expiry time, signed with HMAC (itsdangerous) under
`HERITAGE_SECRET`. Nothing is stored: revoking every link at once means changing the secret.
An altered or foreign token is refused (403); an expired one is gone (410).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from schemas.errors import InvalidInput

DEFAULT_LIFETIME = timedelta(days=7)
MAX_LIFETIME = timedelta(days=30)
MIN_LIFETIME = timedelta(minutes=1)
_SALT = "heritage.share-link"


class ShareError(Exception):
    """A token that grants nothing; `status` is the HTTP answer (403 or 410)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class SecretMissing(ShareError):
    def __init__(self) -> None:
        super().__init__(
            503,
            "share links are disabled on this server: set HERITAGE_SECRET (a long random "
            "string) to sign them",
        )


@dataclass(frozen=True)
class Grant:
    item_id: str
    expires: datetime

    @property
    def expires_iso(self) -> str:
        return self.expires.strftime("%Y-%m-%dT%H:%M:%SZ")


class ShareLinks:
    def __init__(self, secret: str):
        if not secret:
            raise SecretMissing()
        self._serializer = URLSafeSerializer(secret, salt=_SALT)

    def issue(
        self, item_id: str, lifetime: timedelta, now: datetime | None = None
    ) -> tuple[str, Grant]:
        """A token for `item_id`, valid for `lifetime` (checked against MIN/MAX_LIFETIME)."""
        if not MIN_LIFETIME <= lifetime <= MAX_LIFETIME:
            raise InvalidInput(
                f"expires_in must be between {int(MIN_LIFETIME.total_seconds())} and "
                f"{int(MAX_LIFETIME.total_seconds())} seconds"
            )
        moment = (now or datetime.now(UTC)).replace(microsecond=0)
        grant = Grant(item_id, moment + lifetime)
        token = self._serializer.dumps({"i": item_id, "e": int(grant.expires.timestamp())})
        return str(token), grant

    def check(self, token: str, now: datetime | None = None) -> Grant:
        try:
            payload = self._serializer.loads(token)
        except BadSignature:
            raise ShareError(
                403, "this share link is not valid (altered or not issued here)"
            ) from None
        if (
            not isinstance(payload, dict)
            or not isinstance(payload.get("i"), str)
            or not isinstance(payload.get("e"), int)
        ):
            raise ShareError(403, "this share link is not valid (malformed)")
        grant = Grant(payload["i"], datetime.fromtimestamp(payload["e"], UTC))
        if (now or datetime.now(UTC)) >= grant.expires:
            raise ShareError(410, f"this share link expired at {grant.expires_iso}")
        return grant
