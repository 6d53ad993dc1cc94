"""The audit log: one new object per entry, never replaced, listed by day in time order."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from repository import LocalStore
from repository.audit import Actor, AuditLog
from repository.keys import audit_key


def test_entries_get_their_own_keys_and_list_by_day_in_order(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    log = AuditLog(store)
    actor = Actor("museum-a/curator (key k1)", "k1", "museum-a", "curator")
    written = [
        log.append("PATCH /api/items/{item_id}", actor, summary=f"change {n}", item="x-001")
        for n in range(30)
    ]
    keys = list(store.list("audit/"))
    assert len(keys) == 30 == len({e["id"] for e in written})
    days = sorted({date.fromisoformat(e["time"][:10]) for e in written})  # one, bar midnight
    assert keys == sorted(keys)
    assert all(any(k.startswith(f"audit/{d:%Y/%m/%d}/") for d in days) for k in keys)
    listed = [entry for day in days for entry in log.day(day)]
    assert [e["summary"] for e in listed] == [f"change {n}" for n in range(30)]
    assert listed[0]["actor"] == {
        "agent": "museum-a/curator (key k1)",
        "key_id": "k1",
        "institution": "museum-a",
        "role": "curator",
    }
    assert list(log.day(date(2000, 1, 1))) == []


def test_an_entry_key_never_repeats_even_in_the_same_microsecond() -> None:
    when = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
    first, second = audit_key(when, "a" * 32), audit_key(when, "b" * 32)
    assert first == "audit/2026/03/04/050607890123-" + "a" * 32 + ".json"
    assert first != second


def test_extra_details_are_kept(tmp_path: Path) -> None:
    log = AuditLog(LocalStore(tmp_path))
    entry = log.append("verify", Actor("heritage-cli (ops)"), summary="ok", orphans=3)
    assert entry["orphans"] == 3 and entry["actor"] == {"agent": "heritage-cli (ops)"}
    assert next(log.day(date.fromisoformat(entry["time"][:10])))["orphans"] == 3
