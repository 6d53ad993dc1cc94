"""`schemas.record.Record` and `record.schema.json` cannot drift: every object in the schema has a
TypedDict with the same properties, the same required ones and the same enum values."""

from __future__ import annotations

import typing
from typing import Any, Literal, TypedDict, get_args, get_origin, get_type_hints

import pytest

from schemas import load_schema
from schemas import record as types

SCHEMA = load_schema("record")


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return dict(SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[1]])
    return node


def unwrap(hint: Any) -> Any:
    """The type inside Required[...] / NotRequired[...] / list[...]."""
    while get_origin(hint) in (typing.Required, typing.NotRequired, list):
        hint = get_args(hint)[0]
    return hint


PAIRS = [
    ("record", SCHEMA, types.Record),
    ("region", SCHEMA["properties"]["region"], types.Region),
    ("date", SCHEMA["properties"]["date"], types.Date),
    ("person", SCHEMA["properties"]["people"]["items"], types.Person),
    ("tag", SCHEMA["properties"]["tags"]["items"], types.Tag),
    ("authority", SCHEMA["properties"]["authorities"]["items"], types.AuthorityLink),
    ("rights", SCHEMA["properties"]["rights"], types.Rights),
    ("technical", SCHEMA["properties"]["technical"], types.Technical),
    ("gps", SCHEMA["properties"]["technical"]["properties"]["gps"], types.Gps),
    ("file", SCHEMA["$defs"]["file"], types.StoredFile),
    ("event", SCHEMA["$defs"]["event"], types.Event),
    ("cue", SCHEMA["properties"]["cues"]["items"], types.CaptionCue),
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
    """A TypedDict missing a property, or with an enum value the schema lacks, fails the check."""
    region = dict(get_type_hints(types.Region, include_extras=True))
    del region["code"]
    short = TypedDict("short", region, total=False)  # type: ignore[misc]
    with pytest.raises(AssertionError, match="properties differ"):
        test_typed_dict_matches_schema("region", SCHEMA["properties"]["region"], short)
    tag = dict(get_type_hints(types.Tag, include_extras=True))
    tag["source"] = typing.Required[Literal["given", "derived", "guessed"]]
    wider = TypedDict("wider", tag, total=False)  # type: ignore[misc]
    with pytest.raises(AssertionError, match="enum differs"):
        test_typed_dict_matches_schema("tag", SCHEMA["properties"]["tags"]["items"], wider)
