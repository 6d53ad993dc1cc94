"""Load the JSON Schemas and vocabularies shipped in this package and validate against them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from schemas.errors import InvalidInput

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError


class SchemaError(InvalidInput):
    """A document does not match its schema. `path` is the JSON path of the first bad field."""

    def __init__(self, message: str, path: str, errors: list[str]):
        super().__init__(message)
        self.path = path
        self.errors = errors


@dataclass(frozen=True)
class Category:
    code: str
    zh: str
    en: str
    unesco: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Era:
    code: str
    zh: str
    en: str
    start: int
    end: int | None
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Dynasty:
    """A dynasty of the reign-era table; `names` are the prefixes that pick it (唐, 大唐)."""

    code: str
    zh: str
    era: str | None  # its code in eras.json, if any
    start: int
    end: int
    names: tuple[str, ...]


@dataclass(frozen=True)
class Reign:
    """One reign era (年号): year N of it is start + N - 1 (historical years, no year 0)."""

    name: str
    dynasty: str
    emperor: str
    start: int
    end: int
    preferred: bool
    aliases: tuple[str, ...]


def _read_json(name: str) -> Any:
    return json.loads(resources.files("schemas").joinpath(name).read_text(encoding="utf-8"))


@cache
def load_schema(name: str) -> dict[str, Any]:
    """`name` is 'record', 'manifest-row', 'collection', 'exhibition', 'authority' or 'comment'."""
    schema: dict[str, Any] = _read_json(f"{name}.schema.json")
    return schema


@cache
def _validator(name: str) -> Draft202012Validator:
    """jsonschema (~60 ms to import) loads at the first check, not with the vocabularies: an
    ingest worker reads vocabularies and never checks a document."""
    from jsonschema import Draft202012Validator, FormatChecker

    return Draft202012Validator(load_schema(name), format_checker=FormatChecker())


def _json_path(error: ValidationError) -> str:
    path = "$"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _validate(name: str, document: Mapping[str, Any], what: str) -> None:
    errors = sorted(_validator(name).iter_errors(document), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    messages = [f"{_json_path(e)}: {e.message}" for e in errors[:10]]
    raise SchemaError(f"{what}: {messages[0]}", _json_path(errors[0]), messages)


def validate_record(record: Mapping[str, Any]) -> None:
    """Raise SchemaError naming the first bad field of an item record."""
    _validate("record", record, f"record {record.get('id', '?')}")


def validate_collection(description: Mapping[str, Any]) -> None:
    """Raise SchemaError naming the first bad field of a collection description."""
    _validate("collection", description, f"collection {description.get('slug', '?')}")


def validate_exhibition(exhibition: Mapping[str, Any]) -> None:
    """Raise SchemaError naming the first bad field of an online exhibition."""
    _validate("exhibition", exhibition, f"exhibition {exhibition.get('slug', '?')}")


def validate_authority(authority: Mapping[str, Any]) -> None:
    """Raise SchemaError naming the first bad field of a project, bearer or institution record;
    its id must start with its kind (a bearer's id is bearer-…)."""
    what = f"authority {authority.get('id', '?')}"
    _validate("authority", authority, what)
    if not str(authority["id"]).startswith(f"{authority['kind']}-"):
        message = f"$.id: {authority['id']!r} must start with '{authority['kind']}-'"
        raise SchemaError(f"{what}: {message}", "$.id", [message])


def validate_comment(comment: Mapping[str, Any]) -> None:
    """Raise SchemaError naming the first bad field of a visitor's comment."""
    _validate("comment", comment, f"comment {comment.get('id', '?')}")


def validate_manifest_row(row: dict[str, Any], where: str = "manifest row") -> None:
    _validate("manifest-row", row, where)


@cache
def categories() -> tuple[Category, ...]:
    data = _read_json("vocabularies/ich-categories.json")
    return tuple(
        Category(c["code"], c["zh"], c["en"], c["unesco"], tuple(c["keywords"]))
        for c in data["concepts"]
    )


@cache
def unesco_domains() -> dict[str, dict[str, str]]:
    domains: dict[str, dict[str, str]] = _read_json("vocabularies/ich-categories.json")[
        "unesco_domains"
    ]
    return domains


def category_by_code(code: str) -> Category:
    for category in categories():
        if category.code == code:
            return category
    raise KeyError(code)


def resolve_category(value: str) -> Category | None:
    """Accept a code, a Chinese label or an English label (case-insensitive)."""
    wanted = value.strip().casefold()
    for category in categories():
        if wanted in (category.code, category.zh.casefold(), category.en.casefold()):
            return category
    return None


@cache
def ich_projects() -> dict[str, Any]:
    """The seed list of national ICH projects (`vocabularies/ich-projects.json`): its `source`,
    `categories` (numeral → code) and `projects`, each the fields of a project authority."""
    data: dict[str, Any] = _read_json("vocabularies/ich-projects.json")
    return data


@cache
def eras() -> tuple[Era, ...]:
    data = _read_json("vocabularies/eras.json")
    return tuple(
        Era(e["code"], e["zh"], e["en"], e["start"], e["end"], tuple(e["aliases"]))
        for e in data["concepts"]
    )


@cache
def dynasties() -> tuple[Dynasty, ...]:
    data = _read_json("vocabularies/reign-eras.json")
    return tuple(
        Dynasty(d["code"], d["zh"], d["era"], d["start"], d["end"], tuple(d["names"]))
        for d in data["dynasties"]
    )


@cache
def reigns() -> tuple[Reign, ...]:
    data = _read_json("vocabularies/reign-eras.json")
    return tuple(
        Reign(
            r["name"],
            r["dynasty"],
            r.get("emperor", ""),
            r["start"],
            r["end"],
            r.get("preferred", False),
            tuple(r.get("aliases", ())),
        )
        for r in data["reigns"]
    )
