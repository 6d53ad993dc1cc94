"""Accept negotiation of an item's format (api.http.negotiation)."""

from __future__ import annotations

import pytest

from api.http.negotiation import choose_format


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "json"),
        ("*/*", "json"),
        ("application/json", "json"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "json"),
        ("text/turtle", "turtle"),
        ("application/ld+json", "jsonld"),
        ("application/rdf+xml", "rdfxml"),
        ("text/turtle;q=0.5, application/ld+json", "jsonld"),
        ("application/json;q=0.1, text/turtle", "turtle"),
        ("application/x-turtle", "turtle"),
        ("text/*", "turtle"),
        ("image/png", None),
        ("text/turtle;q=0", None),
        ("application/json;q=0, */*;q=0", None),
    ],
)
def test_choose_format(accept: str | None, expected: str | None) -> None:
    assert choose_format(accept) == expected
