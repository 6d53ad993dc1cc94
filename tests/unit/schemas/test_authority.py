"""`schemas.authority` and `authority.schema.json`: the TypedDicts cannot drift from the schema,
the schema refuses what an authority must not hold, and ids and list numbers are read one way."""

from __future__ import annotations

import copy
import typing
from typing import Any, Literal, TypedDict, get_args, get_origin, get_type_hints

import pytest

from schemas import SchemaError, load_schema, validate_authority
from schemas import authority as types
from schemas.dates import parse_date
from schemas.errors import InvalidInput

SCHEMA = load_schema("authority")


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return dict(SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[1]])
    return node


def unwrap(hint: Any) -> Any:
    while get_origin(hint) in (typing.Required, typing.NotRequired, list):
        hint = get_args(hint)[0]
    return hint


PAIRS = [
    ("authority", SCHEMA, types.Authority),
    ("names", SCHEMA["properties"]["names"], types.Names),
    ("region", SCHEMA["properties"]["region"], types.Region),
    ("source", SCHEMA["properties"]["source"], types.Source),
    ("date", SCHEMA["$defs"]["date"], typing.get_type_hints(types.Authority)["birth"]),
]


@pytest.mark.parametrize(("name", "schema", "typed"), PAIRS, ids=[p[0] for p in PAIRS])
def test_typed_dict_matches_schema(name: str, schema: dict[str, Any], typed: type) -> None:
    hints = get_type_hints(typed, include_extras=True)
    assert set(hints) == set(schema["properties"]), f"{name}: properties differ"
    assert typed.__required_keys__ == set(schema.get("required", [])), f"{name}: required differ"
    for field, node in schema["properties"].items():
        node = resolve(node)
        hint = unwrap(hints[field])
        if "enum" in node:
            assert get_origin(hint) is Literal, f"{name}.{field} should be a Literal"
            assert set(get_args(hint)) == set(node["enum"]), f"{name}.{field}: enum differs"
        if "const" in node:
            assert get_args(hint) == (node["const"],), f"{name}.{field}: const differs"


def test_the_check_notices_drift() -> None:
    fields = dict(get_type_hints(types.Authority, include_extras=True))
    fields["level"] = Literal["national", "provincial", "city", "county", "village"]
    wider = TypedDict("wider", fields, total=False)  # type: ignore[misc]
    with pytest.raises(AssertionError, match="enum differs"):
        test_typed_dict_matches_schema("authority", SCHEMA, wider)


def test_the_category_enum_is_the_records() -> None:
    assert SCHEMA["$defs"]["category"] == load_schema("record")["$defs"]["category"]


def project() -> dict[str, Any]:
    return {
        "schema_version": "1.0",
        "id": "project-vii-16",
        "kind": "project",
        "names": {"zh": "剪纸", "en": "Paper cutting"},
        "alternative_names": ["剪紙"],
        "pinyin": "jiǎnzhǐ",
        "level": "national",
        "list_number": "Ⅶ-16",
        "batch_year": 2006,
        "category": "traditional-art",
        "region": {"name": "河北省蔚县", "code": "130726"},
        "same_as": ["Q1190930"],
        "source": {"title": "国务院 国发〔2006〕18号", "url": "https://www.ihchina.cn/"},
        "created": "2026-12-06T17:00:00Z",
        "modified": "2026-12-06T17:00:00Z",
    }


def bearer() -> dict[str, Any]:
    return {
        "schema_version": "1.0",
        "id": "bearer-wang-laoshi-1950",
        "kind": "bearer",
        "names": {"zh": "王老师"},
        "level": "provincial",
        "projects": ["project-vii-16"],
        "birth": parse_date("1950年"),
        "biography": {"zh": "剪纸艺人。"},
        "created": "2026-12-06T17:00:00Z",
        "modified": "2026-12-06T17:00:00Z",
    }


def test_a_project_and_a_bearer_are_valid() -> None:
    validate_authority(project())
    validate_authority(bearer())


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda a: a.update(id="Project-VII-16"), "$.id"),
        (lambda a: a.update(id="project-剪纸"), "$.id"),
        (lambda a: a.update(kind="person"), "$.kind"),
        (lambda a: a.update(level="village"), "$.level"),
        (lambda a: a.update(list_number="VII-16"), "$.list_number"),
        (lambda a: a.update(category="papercut"), "$.category"),
        (lambda a: a["region"].update(code="1307"), "$.region.code"),
        (lambda a: a.update(same_as=["1190930"]), "$.same_as[0]"),
        (lambda a: a.update(projects=["Ⅶ-16"]), "$.projects[0]"),
        (lambda a: a["names"].pop("zh"), "$.names"),
        (lambda a: a.update(batch_year=206), "$.batch_year"),
        (lambda a: a.update(pinyin="剪纸"), "$.pinyin"),
        (lambda a: a.update(id="bearer-vii-16"), "$.id"),  # a project's id starts with project-
    ],
)
def test_the_schema_refuses_and_names_the_field(change: Any, path: str) -> None:
    authority = copy.deepcopy(project())
    change(authority)
    with pytest.raises(SchemaError) as caught:
        validate_authority(authority)
    assert caught.value.path == path


@pytest.mark.parametrize(
    ("text", "number", "identifier"),
    [
        ("Ⅶ-16", "Ⅶ-16", "project-vii-16"),
        ("VII-16", "Ⅶ-16", "project-vii-16"),
        (" vii—016 ", "Ⅶ-16", "project-vii-16"),
        ("Ⅹ-1", "Ⅹ-1", "project-x-1"),
        ("IX-23", "Ⅸ-23", "project-ix-23"),
    ],
)
def test_list_numbers_are_read_one_way(text: str, number: str, identifier: str) -> None:
    assert types.list_number(text) == number
    assert types.project_id(text) == identifier


@pytest.mark.parametrize("text", ["XI-1", "7-16", "Ⅶ16", "", "Ⅶ-"])
def test_a_bad_list_number_says_what_to_write(text: str) -> None:
    with pytest.raises(InvalidInput, match="such as Ⅶ-16"):
        types.list_number(text)


def test_ids_are_ascii_and_start_with_the_kind() -> None:
    assert types.slug("Wáng Guìfāng 1950") == "wang-guifang-1950"
    assert types.check_id("bearer-wang-guifang-1950", "bearer") == "bearer-wang-guifang-1950"
    with pytest.raises(InvalidInput, match="must start with 'project-'"):
        types.check_id("bearer-wang", "project")
    with pytest.raises(InvalidInput, match="a-z, 0-9"):
        types.check_id("bearer-王")
