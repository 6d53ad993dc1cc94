"""The audit log: who changed what, when and from where, one object per entry.

Entries live at `audit/YYYY/MM/DD/<time>-<uuid>.json`: a new key every time, so an entry is
written once and never replaced (on S3 with object lock the bucket can enforce that too), and a
day's entries list in time order.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from repository.keys import audit_day_prefix, audit_key
from repository.store import ObjectNotFound, ObjectStore


@dataclass(frozen=True)
class Actor:
    """Who did it: an API key (id, institution, role), a signed-in user (name, institution, role)
    or a local program such as the CLI."""

    agent: str
    key_id: str | None = None
    institution: str | None = None
    role: str | None = None
    user: str | None = None

    def to_dict(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v is not None}


class AuditLog:
    def __init__(self, store: ObjectStore):
        self.store = store

    def append(
        self,
        action: str,
        actor: Actor,
        *,
        summary: str,
        item: str | None = None,
        client: str | None = None,
        **details: Any,
    ) -> dict[str, Any]:
        """Write one entry under a key no other entry can have; return it."""
        when = datetime.now(UTC)
        entry_id = uuid.uuid4().hex
        entry = {
            "id": entry_id,
            "time": when.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "action": action,
            "actor": actor.to_dict(),
            "item": item,
            "summary": summary[:4000],
            "client": client,
            **details,
        }
        data = json.dumps(entry, ensure_ascii=False, sort_keys=True).encode("utf-8")
        self.store.put_bytes(audit_key(when, entry_id), data)
        return entry

    def day(self, day: date) -> Iterator[dict[str, Any]]:
        """That day's entries (UTC), oldest first."""
        for key in self.store.list(audit_day_prefix(day)):
            try:
                yield json.loads(self.store.get_bytes(key))
            except ObjectNotFound:  # listed, then gone: only an operator deletes entries
                continue
