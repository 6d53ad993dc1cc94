"""Who may see a stored record: the record-side twin of the `Audience` filter every index applies.

The item, file and page routes load records straight from the store, so they need the same rule
the search backends apply inside their queries; a hidden item must look exactly like a missing one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from search.base import Audience


def is_visible(record: dict[str, Any], audience: Audience, today: date | None = None) -> bool:
    if audience.everyone:
        return True
    if audience.institution is not None and record.get("institution") == audience.institution:
        return True
    embargo = record.get("embargo_until")
    if embargo and embargo > (today or date.today()).isoformat():
        return False
    return record.get("status") == "published" and record.get("access") == "public"
