"""A counter of the tools (ffmpeg, ffprobe) a media test starts."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from ingest.media import ffmpeg as media_ffmpeg


@pytest.fixture
def tool_runs(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each tool (ffmpeg, ffprobe) is started while the test runs."""
    started: Counter[str] = Counter()
    real = media_ffmpeg._execute

    def counting(args: list[str], *rest: Any, **options: Any) -> Any:
        started[args[0]] += 1
        return real(args, *rest, **options)

    monkeypatch.setattr(media_ffmpeg, "_execute", counting)
    return started
