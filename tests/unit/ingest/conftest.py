"""Session-wide real media files (made with ffmpeg on first use) for the ingest unit tests."""

from __future__ import annotations

import pytest

from tests.unit.support.samples import Samples


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    return Samples(tmp_path_factory.mktemp("media-samples"))
