"""Turn a checked manifest row into record fields: titles, category, region, date, people …

Only what the archivist wrote goes in; a value that cannot be read is a RowError naming the row
and the column, never a guess. Fields the pipeline owns (id, files, events, timestamps) and the
defaults from the ingest options are added by the pipeline.

A BagIt bag's bag-info.txt speaks for the files in it where the manifest row is silent:
External-Description becomes the description and Source-Organization the rights holder (the
culture centre that delivered the bag). Bagging-Date, External-Identifier and the rest describe
the package, not the item — a bagging date is not when a song was sung — so they go into the
ingestion event (`bag_provenance`), never into `date` or `identifier`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from ingest.errors import RowError
from ingest.manifest import ManifestRow
from ingest.text import guess_language
from ingest.unpack import BagInfo
from schemas import Category, categories, resolve_category
from schemas.dates import parse_date
from search.analysis import fold

ROLES: dict[str, tuple[str, ...]] = {
    # English code, the usual Chinese word, then other words archivists write.
    "bearer": ("bearer", "传承人", "inheritor", "代表性传承人", "非遗传承人"),
    "creator": ("creator", "作者", "author", "maker", "创作者", "制作者", "制作人"),
    "performer": ("performer", "表演者", "singer", "musician", "演唱者", "演奏者", "演员", "艺人"),
    "recorder": ("recorder", "录制者", "录制", "录音", "采录者", "记录者", "采访者"),
    "photographer": ("photographer", "摄影", "摄影师", "摄影者", "拍摄者"),
    "informant": ("informant", "讲述人", "narrator", "讲述者", "口述人", "报道人"),
    "contributor": ("contributor", "贡献者", "整理者", "提供者"),
}
_ROLE_OF = {fold(word): role for role, words in ROLES.items() for word in words}

LEVELS: dict[str, tuple[str, ...]] = {
    "national": ("national", "国家级"),
    "provincial": ("provincial", "省级", "自治区级"),
    "municipal": ("municipal", "市级", "地市级", "州级", "盟级"),
    "county": ("county", "县级", "区级", "旗级"),
}
_LEVEL_OF = {fold(word): level for level, words in LEVELS.items() for word in words}

LANGUAGE_NAMES: dict[str, tuple[str, ...]] = {
    "zh": ("中文", "汉语", "普通话", "chinese", "mandarin"),
    "en": ("英语", "英文", "english"),
    "mn": ("蒙古语", "蒙语", "mongolian"),
    "bo": ("藏语", "tibetan"),
    "ug": ("维吾尔语", "uyghur"),
}
_LANGUAGE_OF = {fold(word): code for code, words in LANGUAGE_NAMES.items() for word in words}
_BCP47 = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_PERSON = re.compile(r"^(?P<name>.*?)\s*[(（]\s*(?P<role>[^()（）]*?)\s*[)）]$")


BAG_INFO_COLUMNS = {"external-description": "description", "source-organization": "rights_holder"}
"""bag-info.txt tag (case-folded) -> the manifest column it fills when the row leaves it empty."""
BAG_PROVENANCE_TAGS = (
    "Source-Organization",
    "Organization-Address",
    "Contact-Name",
    "Bagging-Date",
    "External-Identifier",
    "Bag-Group-Identifier",
    "Payload-Oxum",
)
_DESCRIPTION_MAX = 20_000  # record.schema.json's limit on one language's text


def bag_values(bag: BagInfo) -> dict[str, str]:
    """Manifest column values from a bag's bag-info.txt (a repeated tag's values joined)."""
    values: dict[str, str] = {}
    for tag, entries in bag.info.items():
        column = BAG_INFO_COLUMNS.get(tag.casefold())
        texts = [entry.strip() for entry in entries if entry.strip()]
        if column and texts:
            joined = "\n".join(texts) if column == "description" else "; ".join(texts)
            values[column] = joined[:_DESCRIPTION_MAX]
    return values


def bag_provenance(bag: BagInfo) -> str:
    """'BagIt bag 收藏 (validated; Source-Organization: …; Bagging-Date: 2024-05-01)'."""
    folded = {tag.casefold(): entries for tag, entries in bag.info.items()}
    facts = [
        f"{tag}: {', '.join(folded[tag.casefold()])}"
        for tag in BAG_PROVENANCE_TAGS
        if folded.get(tag.casefold())
    ]
    return f"BagIt bag {bag.relpath} ({'; '.join(['validated', *facts])})"


def row_fields(row: ManifestRow) -> dict[str, Any]:
    """Record fields for one row. Raises RowError naming the row and the bad column."""
    values = row.values
    fields: dict[str, Any] = {}
    for column, target in (("identifier", "identifier"), ("institution", "institution")):
        if column in values:
            fields[target] = values[column]
    for column in ("access", "status"):
        if column in values:
            fields[column] = values[column]
    for name in ("title", "description"):
        text = lang_map(values, name)
        if text:
            fields[name] = text
    if "category" in values:
        fields["category"] = _category(row, values["category"]).code
    region = _region(row, values)
    if region:
        fields["region"] = region
    if "date" in values:
        try:
            fields["date"] = parse_date(values["date"])
        except ValueError as exc:
            raise RowError(row.where, f"{row.column('date')}: {exc}") from None
    people = _people(row, values)
    if people:
        fields["people"] = people
    subjects = [*values.get("subjects", []), *values.get("project", [])]
    if subjects:
        fields["subjects"] = _unique(subjects)
    if "tags" in values:
        fields["tags"] = [
            {"value": tag, "source": "given", "by": "manifest"} for tag in _unique(values["tags"])
        ]
    if "language" in values:
        fields["language"] = _unique([_language(row, v) for v in values["language"]])
    rights = _rights(values)
    if rights:
        fields["rights"] = rights
    if "embargo_until" in values:
        fields["embargo_until"] = _embargo(row, values["embargo_until"])
    return fields


def lang_map(values: dict[str, Any], name: str) -> dict[str, str]:
    """{'zh': …, 'en': …} from `<name>_zh`, `<name>_en` and a plain `<name>` (language guessed)."""
    result = {lang: values[f"{name}_{lang}"] for lang in ("zh", "en") if f"{name}_{lang}" in values}
    plain = values.get(name)
    if plain:
        result.setdefault(guess_language(plain), plain)
    return result


def _category(row: ManifestRow, value: str) -> Category:
    category = resolve_category(value) or resolve_category(fold(value))
    if category is None:
        folded = fold(value)
        category = next((c for c in categories() if fold(c.zh) == folded), None)
    if category is None:
        valid = "; ".join(f"{c.code} ({c.zh} / {c.en})" for c in categories())
        raise RowError(
            row.where,
            f"{row.column('category')}: unknown category {value!r}; use one of: {valid}",
        )
    return category


def _region(row: ManifestRow, values: dict[str, Any]) -> dict[str, Any]:
    region: dict[str, Any] = {}
    name = values.get("region") or values.get("region_en")
    if name:
        region["name"] = name
    if "region_en" in values and values.get("region"):
        region["name_en"] = values["region_en"]
    code = str(values.get("region_code", "")).strip()
    if code:
        region["code"] = code
    coordinates = {axis: _coordinate(row, values, axis) for axis in ("lat", "lon")}
    if (coordinates["lat"] is None) != (coordinates["lon"] is None):
        both = f"{row.column('lat')} and {row.column('lon')}"
        raise RowError(row.where, f"{both}: give both or neither")
    if coordinates["lat"] is not None:
        region.update(coordinates)
    if region and "name" not in region:
        raise RowError(
            row.where,
            f"{row.column('region')}: a place name is needed with region_code, lat or lon",
        )
    return region


def _coordinate(row: ManifestRow, values: dict[str, Any], axis: str) -> float | None:
    raw = values.get(axis)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    limit = 90 if axis == "lat" else 180
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise RowError(row.where, f"{row.column(axis)}: {raw!r} is not a number") from None
    if not -limit <= number <= limit:
        raise RowError(row.where, f"{row.column(axis)}: {number} is outside -{limit}…{limit}")
    return number


def _people(row: ManifestRow, values: dict[str, Any]) -> list[dict[str, str]]:
    people = [person(row, "people", entry, "creator") for entry in values.get("people", [])]
    people += [person(row, "bearers", entry, "bearer") for entry in values.get("bearers", [])]
    seen: set[tuple[str, str]] = set()
    unique = []
    for one in people:
        key = (one["name"], one["role"])
        if key not in seen:
            seen.add(key)
            unique.append(one)
    return unique


def person(row: ManifestRow, column: str, entry: str, default_role: str) -> dict[str, str]:
    """'王五 (国家级传承人)' in `column` -> {name, role, level?}; RowError for an unknown role."""
    match = _PERSON.match(entry)
    if not match:
        return {"name": entry, "role": default_role}
    name, role, level = match["name"].strip(), default_role, None
    if not name:
        raise RowError(row.where, f"{row.column(column)}: {entry!r} has a role but no name")
    for part in filter(None, (p.strip() for p in re.split(r"[,，、/;]", match["role"]))):
        found_role, found_level = _role_and_level(part)
        if found_role is None and found_level is None:
            roles = ", ".join(f"{words[0]} ({words[1]})" for words in ROLES.values())
            raise RowError(
                row.where,
                f"{row.column(column)}: unknown role {part!r} for {name}; roles are: {roles}",
            )
        role = found_role or role
        level = found_level or level
    person = {"name": name, "role": role}
    if level:
        person["level"] = level
    return person


def _role_and_level(part: str) -> tuple[str | None, str | None]:
    """'传承人' -> (bearer, None); '国家级传承人' -> (bearer, national)."""
    folded = fold(part)
    if folded in _ROLE_OF:
        return _ROLE_OF[folded], None
    if folded in _LEVEL_OF:
        return None, _LEVEL_OF[folded]
    for word, level in _LEVEL_OF.items():
        rest = folded.removeprefix(word).strip()
        if rest != folded and rest in _ROLE_OF:
            return _ROLE_OF[rest], level
    return None, None


def _language(row: ManifestRow, value: str) -> str:
    code = _LANGUAGE_OF.get(fold(value))
    if code:
        return code
    primary, _, rest = value.strip().partition("-")
    tag = primary.lower() + (f"-{rest}" if rest else "")
    if not _BCP47.match(tag):
        raise RowError(
            row.where,
            f"{row.column('language')}: {value!r} is not a language code such as zh, en, mn, bo",
        )
    return tag


def _rights(values: dict[str, Any]) -> dict[str, Any]:
    rights: dict[str, Any] = {}
    if "license" in values:
        rights["license"] = values["license"]
    if "rights_statement" in values:
        statement = values["rights_statement"]
        rights["statement"] = {guess_language(statement): statement}
    if "rights_holder" in values:
        rights["holder"] = values["rights_holder"]
    return rights


def _embargo(row: ManifestRow, value: str) -> str:
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise RowError(
            row.where,
            f"{row.column('embargo_until')}: {value!r} is not a real date (YYYY-MM-DD)",
        ) from None


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))
