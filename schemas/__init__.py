"""JSON Schemas and controlled vocabularies, with the small loader that validates against them,
and `schemas.dates`, the one reader of written dates that every layer shares.

The vocabularies are data; the code only loads and reads them. Other packages import from here,
never the other way round.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from schemas.loader import (
        Category,
        Dynasty,
        Era,
        Reign,
        SchemaError,
        categories,
        category_by_code,
        dynasties,
        eras,
        ich_projects,
        load_schema,
        reigns,
        resolve_category,
        validate_authority,
        validate_collection,
        validate_comment,
        validate_exhibition,
        validate_manifest_row,
        validate_record,
    )

__all__ = [
    "Category",
    "Dynasty",
    "Era",
    "Reign",
    "SchemaError",
    "categories",
    "category_by_code",
    "dynasties",
    "eras",
    "ich_projects",
    "load_schema",
    "reigns",
    "resolve_category",
    "validate_authority",
    "validate_collection",
    "validate_comment",
    "validate_exhibition",
    "validate_manifest_row",
    "validate_record",
]


def __getattr__(name: str) -> Any:
    """Load the validator (jsonschema) on first use, so importing `schemas.errors` stays cheap."""
    if name in __all__:
        return getattr(importlib.import_module("schemas.loader"), name)
    raise AttributeError(f"module 'schemas' has no attribute {name!r}")
