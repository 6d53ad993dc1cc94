"""THE visibility rule (`search.base.is_visible`), each role's audience, the cluster query
that mirrors the rule, and the item a curator's decision is about (`item_to_decide`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from api.operations.access import audience_of, is_owner, item_to_decide
from api.operations.callers import Caller
from repository import LocalStore, RecordStore
from search.base import Audience, is_visible
from search.cluster import visibility_filter
from tests.unit.support.records import minimal_record

TODAY = date(2024, 6, 1)
ARCHIVIST_A = Audience.member("museum-a", restricted=False)
CURATOR_A = Audience.member("museum-a", restricted=True)
CURATOR_B = Audience.member("museum-b", restricted=True)


def record(**fields: str) -> dict[str, str]:
    return {"status": "published", "access": "public", "institution": "museum-a", **fields}


@pytest.mark.parametrize(
    ("fields", "public"),
    [
        ({}, True),
        ({"status": "draft"}, False),
        ({"status": "review"}, False),
        ({"status": "withdrawn"}, False),
        ({"access": "institution"}, False),
        ({"access": "restricted"}, False),
        ({"embargo_until": "2024-06-02"}, False),
        ({"embargo_until": "2024-06-01"}, True),  # the embargo ends on that day
        ({"embargo_until": "2020-01-01"}, True),
    ],
)
def test_public_sees_only_published_public_unembargoed(fields: dict, public: bool) -> None:
    assert is_visible(record(**fields), Audience.public(), TODAY) is public
    assert is_visible(record(**fields), Audience.public(), TODAY.isoformat()) is public
    assert is_visible(record(**fields), CURATOR_B, TODAY) is public  # another institution


@pytest.mark.parametrize(
    ("fields", "archivist", "curator"),
    [
        ({"status": "draft"}, True, True),
        ({"status": "withdrawn", "access": "institution"}, True, True),
        ({"embargo_until": "2999-01-01"}, True, True),
        ({"access": "restricted"}, False, True),
        ({"access": "restricted", "status": "draft"}, False, True),
    ],
)
def test_an_institution_sees_its_own_hidden_items(
    fields: dict, archivist: bool, curator: bool
) -> None:
    assert is_visible(record(**fields), ARCHIVIST_A, TODAY) is archivist
    assert is_visible(record(**fields), CURATOR_A, TODAY) is curator
    assert not is_visible(record(**fields), CURATOR_B, TODAY)
    assert is_visible(record(**fields), Audience.all(), TODAY)


def test_each_role_has_its_audience() -> None:
    assert audience_of(None) == Audience.public()
    assert audience_of(Caller("k1", "museum-a", "archivist")) == ARCHIVIST_A
    assert audience_of(Caller("k2", "museum-a", "curator")) == CURATOR_A
    assert audience_of(Caller("k3", "museum-a", "admin")) == Audience.all()


def test_owners_are_the_institution_and_admins() -> None:
    item = record()
    assert is_owner(Caller("k", "museum-a", "archivist"), item)
    assert not is_owner(Caller("k", "museum-b", "curator"), item)
    assert is_owner(Caller("k", "museum-b", "admin"), item)
    assert not is_owner(None, item)
    assert not is_owner(Caller("k", "museum-a", "curator"), {"id": "x-123"})  # no owner


def test_the_cluster_query_hides_restricted_items_from_archivists_only() -> None:
    def own(audience: Audience) -> dict:
        return visibility_filter(audience, TODAY)["bool"]["should"][1]

    assert own(CURATOR_A) == {"term": {"institution": "museum-a"}}
    assert own(ARCHIVIST_A) == {
        "bool": {
            "filter": [{"term": {"institution": "museum-a"}}],
            "must_not": [{"term": {"access": "restricted"}}],
        }
    }


def test_a_decision_finds_only_an_item_of_the_curators_institution(tmp_path: Path) -> None:
    records = RecordStore(LocalStore(tmp_path))
    records.save(minimal_record(id="item-of-a", institution="museum-a"))
    curator_a = Caller("k1", "museum-a", "curator")
    found = item_to_decide(records, curator_a, "item-of-a")
    assert found is not None and found["id"] == "item-of-a"
    assert item_to_decide(records, Caller("k2", "museum-b", "curator"), "item-of-a") is None
    assert item_to_decide(records, Caller("k3", "museum-b", "admin"), "item-of-a") is not None
    assert item_to_decide(records, curator_a, "no-such-item") is None  # the same answer
