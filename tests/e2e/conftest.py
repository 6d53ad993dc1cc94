"""Fixtures the end-to-end modules share: the one sharing corpus (built once per session, see
`tests.e2e.sharing_support.shared_corpus`) and a live server over it, one per module.

A module that needs its own corpus or server configuration defines a fixture of the same name.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.sharing_support import Corpus, LiveServer, live_server, shared_corpus


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return shared_corpus()


@pytest.fixture(scope="module")
def server(corpus: Corpus) -> Iterator[LiveServer]:
    with live_server(corpus.data_dir) as live:
        yield live
