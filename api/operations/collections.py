"""Collections as one caller sees them: a collection exists for an audience only while the
audience may see at least one of its items.

A collection's description (`collections/<slug>.json`) is stored for every collection, even one
that holds nothing but a restricted draft; its slug and title are then as secret as the draft.
Every route that names collections (`/api/collections`, the catalogue's labels, OAI-PMH ListSets,
IIIF collections, RDF exports) shows only those this module (or the same rule) lets through.

Staff: a collection belongs to the institution its description names (none: the operator's).
Its members read it, its curators and admins change it (`save_description`: one read-check-write
under the slug's lock with the version the form showed, validated, audited); for anyone else it
does not exist (`NotFound`, as for a slug nobody uses).
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from api.operations.access import audience_of
from api.operations.callers import Caller
from api.operations.items import ItemLocks, WriteContext, audit, check_if_match
from api.services import Services
from repository import RecordStore, now_iso
from repository.apikeys import check_institution
from repository.keys import is_valid_slug
from repository.records import dump_record
from repository.store import WriteConflict
from schemas.errors import Forbidden, InvalidInput, NotFound, PreconditionFailed
from schemas.text import XML_UNSAFE
from search.base import Audience, SearchIndex, SearchQuery

MAX_COLLECTIONS = 10_000


@dataclass(frozen=True)
class VisibleCollection:
    slug: str
    count: int  # items of it the audience may see (at least one)
    description: dict[str, Any]  # the stored description, or {"slug": slug} when none


def visible_collections(
    index: SearchIndex, records: RecordStore, audience: Audience
) -> list[VisibleCollection]:
    """The collections `audience` sees something in, most items first, then by slug.

    Counted by the index with the one visibility rule, so a hidden item is never counted."""
    query = SearchQuery(
        size=1, facets=("collection",), facet_size=MAX_COLLECTIONS, audience=audience
    )
    counts = {fv.value: fv.count for fv in index.search(query).facets.get("collection", [])}
    return [
        VisibleCollection(slug, counts[slug], records.load_collection(slug) or {"slug": slug})
        for slug in sorted(counts, key=lambda s: (-counts[s], s))
        if counts[slug] > 0
    ]


# --- ownership and the staff's view --------------------------------------------------------------


def collection_owner(records: RecordStore, slug: str, operator: str) -> str | None:
    """The institution a collection belongs to; None for a new one. A description without an
    institution (made by the operator's CLI) belongs to the operator's institution."""
    described = records.load_collection(slug)
    if described is None:
        return None
    return described.get("institution") or operator


def institution_collections(
    records: RecordStore, institution: str | None, operator: str
) -> list[dict[str, Any]]:
    """The descriptions of an institution's collections (None: every institution's), by slug.
    One without an owner is the operator's."""
    return sorted(
        (
            c
            for c in records.collections()
            if isinstance(c.get("slug"), str)
            and (institution is None or (c.get("institution") or operator) == institution)
        ),
        key=lambda c: str(c["slug"]),
    )


@dataclass(frozen=True)
class StaffCollection:
    slug: str
    institution: str
    count: int  # items of it the caller may see (staff audience), 0 for an empty one
    description: dict[str, Any]


def staff_collections(
    index: SearchIndex, records: RecordStore, caller: Caller, operator: str
) -> list[StaffCollection]:
    """The collections of the caller's institution (an admin's: all), with the number of their
    items the caller sees, counted by the index under the caller's audience."""
    query = SearchQuery(
        size=1, facets=("collection",), facet_size=MAX_COLLECTIONS, audience=audience_of(caller)
    )
    counts = {fv.value: fv.count for fv in index.search(query).facets.get("collection", [])}
    owner = None if caller.role == "admin" else caller.institution
    return [
        StaffCollection(c["slug"], c.get("institution") or operator, counts.get(c["slug"], 0), c)
        for c in institution_collections(records, owner, operator)
    ]


def readable_collection(
    records: RecordStore, slug: str, caller: Caller, operator: str
) -> dict[str, Any]:
    """The description a member of the institution (any role) or an admin may read; `NotFound`
    for a missing one and, alike, for another institution's (its existence does not leak)."""
    described = records.load_collection(slug) if is_valid_slug(slug) else None
    if described is None or (
        caller.role != "admin" and (described.get("institution") or operator) != caller.institution
    ):
        raise NotFound(f"no collection {slug!r}")
    return described


def description_etag(description: Mapping[str, Any]) -> str:
    """A strong ETag of a description as stored (what the form carries as its version)."""
    return f'"{hashlib.sha256(dump_record(description)).hexdigest()[:32]}"'


# --- the form's values ---------------------------------------------------------------------------

MAX_TITLE = 200
MAX_DESCRIPTION = 4000
RESERVED_SLUGS = frozenset({"new"})
"""Slugs a new collection may not take: `/workspace/collections/new` is the creation form."""
FIELDS = ("slug", "title_zh", "title_en", "description_zh", "description_en", "institution")
LANGUAGES = ("zh", "en")
_LINE_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
PROBLEMS = {
    "slug_missing": "a slug is required",
    "slug_invalid": "use 1-63 lower-case ASCII letters, digits and hyphens, not starting with "
    "a hyphen (e.g. yuxian-papercuts)",
    "slug_reserved": "this word is reserved; choose another slug",
    "slug_taken": "a collection with this slug exists already",
    "title_missing": "give a title in Chinese or English (or both)",
    "too_long": "too long",
    "control": "holds a control character",
    "institution_invalid": "1-128 characters, without control characters or surrounding spaces",
}
"""Problem codes a page shows in its language (`collections.problem.<code>`), English here."""


class CollectionInputError(InvalidInput):
    """The form's values cannot be saved: each problem as (field, code of PROBLEMS)."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{name}: {PROBLEMS[code]}" for name, code in problems))
        self.problems = problems


def form_values(description: Mapping[str, Any], operator: str) -> dict[str, str]:
    """The form's fields as a description holds them."""
    title, text = description.get("title") or {}, description.get("description") or {}
    return {
        "slug": str(description.get("slug", "")),
        **{f"title_{lang}": str(title.get(lang, "")) for lang in LANGUAGES},
        **{f"description_{lang}": str(text.get(lang, "")) for lang in LANGUAGES},
        "institution": str(description.get("institution") or operator),
    }


def check_values(values: Mapping[str, str], *, slug_given: bool) -> list[tuple[str, str]]:
    """Every problem of the form's values, field by field, in the form's order."""
    problems: list[tuple[str, str]] = []
    slug = values["slug"]
    if slug_given:
        if not slug:
            problems.append(("slug", "slug_missing"))
        elif not is_valid_slug(slug):
            problems.append(("slug", "slug_invalid"))
        elif slug in RESERVED_SLUGS:
            problems.append(("slug", "slug_reserved"))
    for lang in LANGUAGES:
        title = values[f"title_{lang}"]
        if len(title) > MAX_TITLE:
            problems.append((f"title_{lang}", "too_long"))
        elif _LINE_CONTROLS.search(title) or XML_UNSAFE.search(title):
            problems.append((f"title_{lang}", "control"))
    if not any(values[f"title_{lang}"] for lang in LANGUAGES):
        problems.append(("title_zh", "title_missing"))
    for lang in LANGUAGES:
        text = values[f"description_{lang}"]
        if len(text) > MAX_DESCRIPTION:
            problems.append((f"description_{lang}", "too_long"))
        elif _TEXT_CONTROLS.search(text) or XML_UNSAFE.search(text):
            problems.append((f"description_{lang}", "control"))
    try:
        check_institution(values["institution"])
    except InvalidInput:
        problems.append(("institution", "institution_invalid"))
    return problems


def _texts(kept: Mapping[str, str] | None, values: Mapping[str, str], name: str) -> dict[str, str]:
    """A language map saying what the form says; languages the form does not show are kept."""
    merged = {**(kept or {}), **{lang: values[f"{name}_{lang}"] for lang in LANGUAGES}}
    return {lang: text for lang, text in merged.items() if text}


def save_description(
    services: Services,
    locks: ItemLocks,
    context: WriteContext,
    slug: str,
    values: Mapping[str, str],
    if_match: str | None,
    *,
    creating: bool,
) -> dict[str, Any]:
    """Create a collection, or change one with If-Match = the version the form showed, as one
    read-check-write under the slug's lock; validated, stored and audited. Curators act for
    their institution only; an admin chooses the owner. The stored description."""
    caller, operator = context.caller, services.settings.institution
    if not caller.has_role("curator"):
        raise Forbidden(f"changing a collection needs the curator role; you are {caller.role}")
    values = {**values, "institution": values["institution"] if caller.role == "admin" else ""}
    with locks.hold(f"collection:{slug}"):
        if creating:
            current: dict[str, Any] = {}
            values = {**values, "slug": slug}
            institution = values["institution"] or caller.institution
            problems = check_values({**values, "institution": institution}, slug_given=True)
            if not problems and services.records.collection_exists(slug):
                problems.append(("slug", "slug_taken"))
        else:
            current = readable_collection(services.records, slug, caller, operator)
            institution = values["institution"] or current.get("institution") or operator
            problems = check_values({**values, "institution": institution}, slug_given=False)
        if problems:
            raise CollectionInputError(problems)
        if not creating:
            check_if_match(if_match, description_etag(current), required=True)
        changed = copy.deepcopy(current)
        changed.update(slug=slug, title=_texts(current.get("title"), values, "title"))
        described = _texts(current.get("description"), values, "description")
        changed.pop("description", None)
        if described:
            changed["description"] = described
        if institution != operator or "institution" in current or creating:
            changed["institution"] = institution
        now = now_iso()
        changed.setdefault("created", now)
        changed["modified"] = now
        if changed == {**current, "modified": now}:
            return current  # nothing changed: nothing written, nothing audited
        try:  # conditional: another replica's save in between is never written over
            services.records.save_collection(
                changed, create=creating, over=None if creating else current
            )
        except WriteConflict:
            if creating:
                raise CollectionInputError([("slug", "slug_taken")]) from None
            raise PreconditionFailed(
                f"collection {slug} was changed by someone else at the same moment; "
                "read it again and repeat the change"
            ) from None
        what = "created" if creating else "changed"
        audit(services, context, None, f"collection {slug} {what}: {_summary(current, changed)}")
    return changed


def _summary(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    names = ("title", "description", "institution")
    changed = [n for n in names if before.get(n) != after.get(n)]
    return ", ".join(changed) or "nothing"
