"""api.operations.ingesting: the settings reach the ingest options, document page limits too."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from api.operations.ingesting import ingest_options
from api.settings import Settings
from ingest.task import DocumentLimits


def test_document_page_limits_come_from_the_settings(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, document_max_pages=7, document_pages_seconds=12.5, _env_file=None
    )

    options = ingest_options(settings, "c", agent="test")

    assert options.documents.max_pages == 7 and options.documents.pages_seconds == 12.5


def test_the_defaults_are_500_pages_in_300_seconds(tmp_path: Path) -> None:
    options = ingest_options(Settings(data_dir=tmp_path, _env_file=None), "c", agent="test")

    assert (options.documents.max_pages, options.documents.pages_seconds) == (500, 300.0)
    assert options.documents.max_text_pages == DocumentLimits().max_text_pages


@pytest.mark.parametrize(
    ("name", "value"), [("document_max_pages", 0), ("document_pages_seconds", 0)]
)
def test_page_limits_must_be_positive(tmp_path: Path, name: str, value: int) -> None:
    with pytest.raises(ValidationError, match=name):
        Settings(data_dir=tmp_path, _env_file=None, **{name: value})
