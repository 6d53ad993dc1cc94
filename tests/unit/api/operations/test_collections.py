"""Creating and changing a collection description: the form's checks, who may, the version
carried by the form, languages the form does not show, the audit entry."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from api.operations.callers import Caller
from api.operations.collections import (
    CollectionInputError,
    check_values,
    description_etag,
    form_values,
    readable_collection,
    save_description,
)
from api.operations.items import ItemLocks, WriteContext
from repository import LocalStore, RecordStore
from repository.audit import AuditLog
from schemas.errors import Forbidden, NotFound, PreconditionFailed

OPERATOR = "operator"
CURATOR = Caller(None, "museum-a", "curator", "wang.li")
GOOD = {
    "slug": "yuxian-papercuts",
    "title_zh": "蔚县剪纸",
    "title_en": "",
    "description_zh": "第一行\n第二行\t缩进",
    "description_en": "",
    "institution": "museum-a",
}


def services(tmp_path: Path) -> Any:
    store = LocalStore(tmp_path)
    settings = SimpleNamespace(institution=OPERATOR)
    return SimpleNamespace(settings=settings, store=store, records=RecordStore(store))


def save(
    svc: Any,
    caller: Caller,
    slug: str,
    values: dict[str, str],
    etag: str | None = None,
    *,
    creating: bool = False,
) -> dict[str, Any]:
    context = WriteContext(caller, "POST /workspace/collections/{slug}")
    return save_description(svc, ItemLocks(), context, slug, values, etag, creating=creating)


def audit_entries(svc: Any) -> list[dict[str, Any]]:
    return list(AuditLog(svc.store).day(datetime.now(UTC).date()))


def test_good_values_have_no_problem() -> None:
    assert check_values(GOOD, slug_given=True) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"slug": ""}, ("slug", "slug_missing")),
        ({"slug": "剪纸"}, ("slug", "slug_invalid")),
        ({"slug": "Papercuts"}, ("slug", "slug_invalid")),
        ({"slug": "new"}, ("slug", "slug_reserved")),
        ({"title_zh": ""}, ("title_zh", "title_missing")),
        ({"title_zh": "长" * 201}, ("title_zh", "too_long")),
        ({"title_en": "a\tb"}, ("title_en", "control")),
        ({"description_en": "\u0085"}, ("description_en", "control")),
        ({"description_zh": "\ufffe"}, ("description_zh", "control")),
        ({"description_zh": "x" * 4001}, ("description_zh", "too_long")),
        ({"institution": ""}, ("institution", "institution_invalid")),
    ],
)
def test_each_problem_names_its_field(change: dict[str, str], problem: tuple[str, str]) -> None:
    assert check_values({**GOOD, **change}, slug_given=True) == [problem]


def test_an_edit_does_not_check_the_slug() -> None:
    assert check_values({**GOOD, "slug": "Bad Slug"}, slug_given=False) == []


def test_create_then_edit_with_the_version_the_form_showed(tmp_path: Path) -> None:
    svc = services(tmp_path)
    created = save(svc, CURATOR, "yuxian-papercuts", GOOD, creating=True)
    assert created["institution"] == "museum-a" and created["title"] == {"zh": "蔚县剪纸"}
    assert svc.records.load_collection("yuxian-papercuts") == created
    with pytest.raises(CollectionInputError) as taken:
        save(svc, CURATOR, "yuxian-papercuts", GOOD, creating=True)
    assert taken.value.problems == [("slug", "slug_taken")]

    stored = svc.records.load_collection("yuxian-papercuts")
    stored["title"]["fr"] = "Papiers découpés"  # a language the form does not show
    svc.records.save_collection(stored)
    etag = description_etag(stored)
    changed = save(svc, CURATOR, "yuxian-papercuts", {**GOOD, "title_en": "Papercuts"}, etag)
    assert changed["title"] == {"zh": "蔚县剪纸", "en": "Papercuts", "fr": "Papiers découpés"}
    with pytest.raises(PreconditionFailed):
        save(svc, CURATOR, "yuxian-papercuts", {**GOOD, "title_en": "Other"}, etag)
    summaries = [e["summary"] for e in audit_entries(svc)]
    assert summaries == [
        "collection yuxian-papercuts created: title, description, institution",
        "collection yuxian-papercuts changed: title",
    ]
    again = save(
        svc,
        CURATOR,
        "yuxian-papercuts",
        {**GOOD, "title_en": "Papercuts"},
        description_etag(changed),
    )
    assert again == changed and len(audit_entries(svc)) == 2  # unchanged: nothing written


def test_who_may(tmp_path: Path) -> None:
    svc = services(tmp_path)
    save(svc, CURATOR, "yuxian-papercuts", GOOD, creating=True)
    archivist = Caller(None, "museum-a", "archivist", "li.na")
    assert readable_collection(svc.records, "yuxian-papercuts", archivist, OPERATOR)
    with pytest.raises(Forbidden):
        save(svc, archivist, "yuxian-papercuts", GOOD, description_etag(GOOD))
    other = Caller(None, "library-b", "curator", "zhao.bo")
    for slug in ("yuxian-papercuts", "no-such-one", "../escape"):
        with pytest.raises(NotFound):
            readable_collection(svc.records, slug, other, OPERATOR)
    with pytest.raises(NotFound):
        save(svc, other, "yuxian-papercuts", GOOD, "x")
    admin = Caller(None, "library-b", "admin", "root")
    moved = save(
        svc,
        admin,
        "yuxian-papercuts",
        {**GOOD, "institution": "library-b"},
        description_etag(svc.records.load_collection("yuxian-papercuts")),
    )
    assert moved["institution"] == "library-b"
    # a curator's `institution` is not theirs to choose
    mine = save(svc, CURATOR, "museum-a-maps", {**GOOD, "institution": "library-b"}, creating=True)
    assert mine["institution"] == "museum-a"


def test_a_description_without_an_owner_is_the_operators(tmp_path: Path) -> None:
    svc = services(tmp_path)
    svc.records.save_collection({"slug": "demo", "title": {"en": "Demo"}})
    operator_curator = Caller(None, OPERATOR, "curator", "op")
    described = readable_collection(svc.records, "demo", operator_curator, OPERATOR)
    assert form_values(described, OPERATOR)["institution"] == OPERATOR
    changed = save(
        svc,
        operator_curator,
        "demo",
        {**form_values(described, OPERATOR), "title_zh": "示例"},
        description_etag(described),
    )
    assert "institution" not in changed  # still the operator's, as before
