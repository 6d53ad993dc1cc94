"""IIIF Image API request parsing (api.protocols.iiif.image.parse_request): every bad or hostile
parameter is an IiifError (400) naming it, never an arithmetic error (a 500)."""

from __future__ import annotations

import pytest

from api.protocols.iiif.image import IiifError, parse_request

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
