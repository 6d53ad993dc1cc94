"""Share tokens: issued for a while, refused when expired (410), tampered with or foreign (403)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.protocols.share_links import SecretMissing, ShareError, ShareLinks


def test_share_tokens() -> None:
    links = ShareLinks("s3cret")
    now = datetime(2030, 1, 1, tzinfo=UTC)
    token, grant = links.issue("item-001", timedelta(hours=1), now)
    assert grant.expires_iso == "2030-01-01T01:00:00Z"
    assert links.check(token, now + timedelta(minutes=59)).item_id == "item-001"
    with pytest.raises(ShareError) as expired:
        links.check(token, now + timedelta(hours=1))
    assert expired.value.status == 410
    payload, signature = token.split(".")
    other_payload = ("A" if payload[0] != "A" else "B") + payload[1:]
    for bad in (token[:-2] + "xx", f"{other_payload}.{signature}", "nonsense"):
        with pytest.raises(ShareError) as tampered:
            links.check(bad, now)
        assert tampered.value.status == 403
    with pytest.raises(ShareError) as foreign:
        ShareLinks("another secret").check(token, now)
    assert foreign.value.status == 403
    with pytest.raises(ValueError, match="expires_in"):
        links.issue("item-001", timedelta(days=31), now)
    with pytest.raises(SecretMissing):
        ShareLinks("")
