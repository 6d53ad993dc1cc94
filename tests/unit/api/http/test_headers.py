"""Range, If-None-Match and Content-Disposition rules (RFC 9110 / 6266 / 5987)."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from api.http.headers import (
    RangeNotSatisfiable,
    content_disposition,
    etag_matches,
    parse_range,
    safe_filename,
)

SIZE = 1000


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", (0, 99)),
        ("bytes=100-", (100, 999)),
        ("bytes=-100", (900, 999)),
        ("bytes=-5000", (0, 999)),  # suffix longer than the file: the whole file
        ("bytes=990-5000", (990, 999)),  # end past the file is clipped
        ("bytes=999-999", (999, 999)),
        ("  bytes = 5 - 9 ", (5, 9)),
        ("BYTES=0-0", (0, 0)),
    ],
)
def test_satisfiable_ranges(header: str, expected: tuple[int, int]) -> None:
    assert parse_range(header, SIZE) == expected


@pytest.mark.parametrize(
    "header",
    [None, "", "bytes=", "bytes=-", "bytes=abc", "bytes=10-5", "items=0-5", "bytes=0-1,5-6", "0-9"],
)
def test_ignorable_ranges_mean_whole_file(header: str | None) -> None:
    assert parse_range(header, SIZE) is None


@pytest.mark.parametrize(
    ("header", "size"),
    [
        ("bytes=1000-", 1000),
        ("bytes=5000-6000", 1000),
        ("bytes=-0", 1000),
        ("bytes=0-", 0),
        ("bytes=-5", 0),
    ],
)
def test_unsatisfiable_ranges(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiable) as caught:
        parse_range(header, size)
    assert caught.value.size == size


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ("*", True),
        ('"abcd"', False),
        ("", False),
        (None, False),
    ],
)
def test_etag_matching(header: str | None, matches: bool) -> None:
    assert etag_matches(header, '"abc"') is matches


def test_safe_filename_drops_paths_quotes_and_controls() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\scans\\剪纸.jpg") == "剪纸.jpg"
    assert safe_filename('a"b\r\nc.tif') == "abc.tif"
    assert safe_filename("") == "download"
    assert safe_filename(None) == "download"


def test_ascii_name_is_plain() -> None:
    assert content_disposition("photo 1.jpg") == 'attachment; filename="photo 1.jpg"'


def test_chinese_name_gets_rfc5987_form_and_ascii_fallback() -> None:
    header = content_disposition("蔚县剪纸 戏曲人物.jpg")
    assert header.startswith("attachment; filename=\"download.jpg\"; filename*=UTF-8''")
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert " " not in encoded and '"' not in encoded
    assert unquote(encoded) == "蔚县剪纸 戏曲人物.jpg"


def test_accented_name_keeps_its_letters_in_the_fallback() -> None:
    header = content_disposition('Café;"x".png')
    assert 'filename="Cafex.png"' in header
    assert unquote(header.split("''", 1)[1]) == "Caféx.png"
