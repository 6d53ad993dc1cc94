"""Pure functions of the sharing layer: Accept negotiation, IIIF parameters, share tokens, CSV
cells, the render cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.http.negotiation import choose_format
from api.protocols.exports import csv_cell
from api.protocols.iiif.image import IiifError, RenderCache, parse_identifier, parse_request
from api.protocols.oai.catalogue import entry_of
from api.protocols.share_links import SecretMissing, ShareError, ShareLinks
from tests.unit.records import minimal_record

FULL = (1000, 800)


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


@pytest.mark.parametrize(
    ("region", "size", "rotation", "qf", "box", "out"),
    [
        ("full", "max", "0", "default.jpg", (0, 0, 1000, 800), (1000, 800)),
        ("square", "max", "0", "default.jpg", (100, 0, 800, 800), (800, 800)),
        ("10,20,300,200", "150,", "0", "gray.png", (10, 20, 300, 200), (150, 100)),
        ("900,700,500,500", "max", "0", "default.jpg", (900, 700, 100, 100), (100, 100)),
        ("pct:10,10,50,50", ",200", "0", "color.webp", (100, 80, 500, 400), (250, 200)),
        ("full", "pct:50", "!90", "bitonal.png", (0, 0, 1000, 800), (500, 400)),
        ("full", "!500,500", "0", "default.jpg", (0, 0, 1000, 800), (500, 400)),
        ("full", "300,300", "22.5", "default.jpg", (0, 0, 1000, 800), (300, 300)),
    ],
)
def test_parse_request(
    region: str, size: str, rotation: str, qf: str, box: tuple, out: tuple
) -> None:
    request = parse_request(FULL, region, size, rotation, qf)
    assert request.region == box
    assert request.size == out


@pytest.mark.parametrize(
    ("region", "size", "rotation", "qf"),
    [
        ("full", "max", "0", "default.bmp"),
        ("full", "max", "0", "default"),
        ("full", "max", "0", "fancy.jpg"),
        ("full", "max", "361", "default.jpg"),
        ("full", "max", "-90", "default.jpg"),
        ("full", "2000,", "0", "default.jpg"),
        ("full", "^max", "0", "default.jpg"),
        ("full", "!2000,3000", "0", "default.jpg"),
        ("full", ",", "0", "default.jpg"),
        ("full", "0,0", "0", "default.jpg"),
        ("1000,0,10,10", "max", "0", "default.jpg"),
        ("0,0,10", "max", "0", "default.jpg"),
        ("pct:0,0,0,50", "max", "0", "default.jpg"),
    ],
)
def test_bad_parameters_raise_400(region: str, size: str, rotation: str, qf: str) -> None:
    with pytest.raises(IiifError) as raised:
        parse_request(FULL, region, size, rotation, qf)
    assert raised.value.status == 400


def test_canonical_form() -> None:
    request = parse_request(FULL, "pct:0,0,100,100", "1000,", "!0", "color.jpg")
    assert request.canonical(FULL) == "full/max/!0/default.jpg"


def test_identifiers() -> None:
    assert parse_identifier("abc-123") == ("abc-123", 1)
    assert parse_identifier("abc-123~4") == ("abc-123", 4)
    for bad in ("a/b", "abc~0", "ABC", "[frob]"):
        with pytest.raises(IiifError):
            parse_identifier(bad)


def test_render_cache_is_bounded_and_least_recently_used_goes_first() -> None:
    cache = RenderCache(max_bytes=400)
    for name in ("a", "b", "c"):
        cache.put((name, "x"), b"0" * 100)
    assert cache.get(("a", "x")) is not None  # now b is the oldest
    cache.put(("d", "x"), b"0" * 100)
    cache.put(("e", "x"), b"0" * 100)
    assert cache.get(("b", "x")) is None
    assert cache.get(("a", "x")) is not None
    assert cache.size <= 400
    cache.put(("huge", "x"), b"0" * 300)  # more than a quarter: never cached
    assert cache.get(("huge", "x")) is None


def test_share_tokens() -> None:
    links = ShareLinks("s3cret")
    now = datetime(2030, 1, 1, tzinfo=UTC)
    token, grant = links.issue("item-001", timedelta(hours=1), now)
    assert grant.expires_iso == "2030-01-01T01:00:00Z"
    assert links.check(token, now + timedelta(minutes=59)).item_id == "item-001"
    with pytest.raises(ShareError) as expired:
        links.check(token, now + timedelta(hours=1))
    assert expired.value.status == 410
    payload, signature = token.split(".")
    other_payload = ("A" if payload[0] != "A" else "B") + payload[1:]
    for bad in (token[:-2] + "xx", f"{other_payload}.{signature}", "nonsense"):
        with pytest.raises(ShareError) as tampered:
            links.check(bad, now)
        assert tampered.value.status == 403
    with pytest.raises(ShareError) as foreign:
        ShareLinks("another secret").check(token, now)
    assert foreign.value.status == 403
    with pytest.raises(ValueError, match="expires_in"):
        links.issue("item-001", timedelta(days=31), now)
    with pytest.raises(SecretMissing):
        ShareLinks("")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-0200", "-0200"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("剪纸", "剪纸"),
        (None, ""),
    ],
)
def test_csv_cells_never_become_formulas(value: str | None, expected: str) -> None:
    assert csv_cell(value) == expected


def test_oai_headers_follow_the_one_visibility_rule() -> None:
    visible = entry_of(minimal_record(modified="2026-01-02T03:04:05Z", category="quyi"))
    assert visible is not None and not visible.deleted
    assert visible.datestamp == "2026-01-02T03:04:05Z"
    assert visible.sets == ("collection:test", "category:quyi")
    withdrawn = entry_of(minimal_record(status="withdrawn"))
    assert withdrawn is not None and withdrawn.deleted
    for hidden in (
        minimal_record(status="draft"),
        minimal_record(access="restricted"),
        minimal_record(status="withdrawn", access="restricted"),
        minimal_record(access="institution"),
        minimal_record(embargo_until="2999-01-01"),
    ):
        assert entry_of(hidden) is None
    # an ended embargo dates the header to the day the item appeared
    lifted = entry_of(minimal_record(modified="2020-01-01T00:00:00Z", embargo_until="2021-06-01"))
    assert lifted is not None and lifted.datestamp == "2021-06-01T00:00:00Z"


def test_oai_dc_tags_only_han_names_as_chinese() -> None:
    from api.protocols.oai.response import DC_NS, XML_LANG, oai_dc

    record = minimal_record(
        people=[
            {"name": "张三", "role": "bearer"},
            {"name": "Jan de Vries", "role": "creator"},
        ]
    )
    dc = oai_dc(record, "http://x")
    names = {
        e.text: e.get(XML_LANG)
        for e in dc
        if e.tag in (f"{{{DC_NS}}}creator", f"{{{DC_NS}}}contributor")
    }
    assert names == {"张三": "zh", "Jan de Vries": None}
