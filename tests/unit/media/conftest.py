"""Session-wide sample media, generated on first use into a temporary directory."""

from __future__ import annotations

import pytest

from tests.unit.media.samples import Samples


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    return Samples(tmp_path_factory.mktemp("media-samples"))
