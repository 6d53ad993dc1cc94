"""IIIF Image API (api.protocols.iiif.image): request parsing, where every bad or hostile
parameter is an IiifError (400) naming it, never an arithmetic error (a 500); canonical form,
identifiers, the bounded render cache."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from api.protocols.iiif.image import (
    IiifError,
    RenderCache,
    image_identifier,
    parse_identifier,
    parse_request,
    render,
)

FULL = (1000, 800)
BIG = "9" * 400  # float() makes inf of it; dividing an int of it by a width overflows
HUGE = "9" * 5000  # more digits than int() reads


@pytest.mark.parametrize(
    ("region", "size", "rotation", "named"),
    [
        (f"pct:{BIG},0,10,10", "max", "0", "region"),
        (f"pct:0,0,{BIG},10", "max", "0", "region"),
        (f"{HUGE},0,10,10", "max", "0", "region"),
        (f"0,0,{BIG},10", "max", "0", "region"),
        ("full", f"pct:{BIG}", "0", "size"),
        ("full", f"{HUGE},", "0", "size"),
        ("full", f"{BIG},", "0", "size"),
        ("full", f",{BIG}", "0", "size"),
        ("full", f"!{BIG},{BIG}", "0", "size"),
        ("full", f"!1,{BIG}", "0", "size"),
        ("full", "max", BIG, "rotation"),
        ("full", "max", HUGE, "rotation"),
        ("full", "max", "１", "rotation"),  # fullwidth digits are not the spec's numbers
        ("full", "１０,", "0", "size"),
        ("full", "max\n", "0", "size"),
    ],
)
def test_hostile_numbers_are_a_400_naming_the_parameter(
    region: str, size: str, rotation: str, named: str
) -> None:
    with pytest.raises(IiifError, match=named) as caught:
        parse_request(FULL, region, size, rotation, "default.jpg")
    assert caught.value.status == 400


def test_numbers_with_leading_zeros_and_fractions_still_parse() -> None:
    wanted = parse_request(FULL, "pct:0,0,050.0,0050", "0000000000250,", "!090", "gray.png")
    assert wanted.region == (0, 0, 500, 400)
    assert wanted.size == (250, 200)
    assert (wanted.mirror, wanted.rotation) == (True, 90.0)


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
    assert parse_identifier("abc-123") == ("abc-123", 1, "access")
    assert parse_identifier("abc-123~4") == ("abc-123", 4, "access")
    assert parse_identifier("abc-123~p1") == ("abc-123", 1, "page")
    assert parse_identifier("abc-123~p120000") == ("abc-123", 120000, "page")
    assert image_identifier("abc-123", 3, "page") == "abc-123~p3"
    assert image_identifier("abc-123", 3) == "abc-123~3"
    for bad in ("a/b", "abc~0", "ABC", "[frob]", "abc~p0", "abc~12345", "abc~q2"):
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


def test_a_copy_smaller_than_its_record_says_is_not_blown_up() -> None:
    """A harvested record may declare 60000×60000 for an 8×8 picture: the size parameter is
    checked against the declared size, so rendering must check the picture is that size."""
    import io

    from PIL import Image

    from api.protocols.iiif.image import parse_request, render
    from schemas.errors import Unavailable

    small = io.BytesIO()
    Image.new("RGB", (8, 8)).save(small, "JPEG")
    declared = (8000, 8000)
    wanted = parse_request(declared, "full", "max", "0", "default.png")
    with pytest.raises(Unavailable, match="not the 8000×8000"):
        render(small.getvalue(), wanted, declared)
    with pytest.raises(Unavailable, match="cannot be rendered"):
        render(b"not an image", wanted, declared)
    assert render(
        small.getvalue(), parse_request((8, 8), "full", "max", "0", "default.png"), (8, 8)
    )


def test_a_small_rendering_of_an_access_copy_whose_sides_do_not_divide_by_8() -> None:
    full = (1583, 2048)  # a PDF page drawn at the access size
    source = io.BytesIO()
    Image.new("RGB", full, (30, 30, 200)).save(source, "JPEG")
    request = parse_request(full, "full", "!100,100", "0", "default.jpg")

    data = render(source.getvalue(), request, full)

    with Image.open(io.BytesIO(data)) as picture:
        assert picture.size == request.size
        assert picture.getpixel((10, 10)) == pytest.approx((30, 30, 200), abs=6)
