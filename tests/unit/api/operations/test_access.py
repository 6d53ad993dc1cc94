"""THE visibility rule (`search.base.is_visible`), each role's audience, and the cluster query
that mirrors the rule."""

from __future__ import annotations

from datetime import date

import pytest

from api.operations.access import audience_of, is_owner
from api.operations.callers import Caller
from search.base import Audience, is_visible
from search.cluster import visibility_filter

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
