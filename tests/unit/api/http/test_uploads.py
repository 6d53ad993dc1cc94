"""`safe_relpath`: a client's file name becomes a relative path inside the job, or is refused."""

from __future__ import annotations

import pytest

from api.http.uploads import safe_relpath


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("鹤舞.jpg", "鹤舞.jpg"),
        ("歌曲/01.wav", "歌曲/01.wav"),
        ("歌曲\\01.wav", "歌曲/01.wav"),
        ("./a//b.jpg", "a/b.jpg"),
        ("e\u0301.jpg", "\u00e9.jpg"),  # NFC, as manifest paths are
        ("a..b.jpg", "a..b.jpg"),
    ],
)
def test_relative_names_are_kept(sent: str, kept: str) -> None:
    assert safe_relpath(sent) == kept


@pytest.mark.parametrize(
    ("sent", "why"),
    [
        ("../../etc/passwd", "'..'"),
        ("照片/../../x.jpg", "'..'"),
        ("..\\x.jpg", "'..'"),
        ("/etc/passwd", "absolute"),
        ("\\\\server\\share\\x.jpg", "absolute"),
        ("C:\\Windows\\x.jpg", "absolute"),
        ("c:x.jpg", "absolute"),
        ("a\x00.jpg", "control"),
        ("a\n.jpg", "control"),
        ("", "empty"),
        ("./.", "empty"),
        ("x" * 256 + ".jpg", "255 bytes"),
        ("歌" * 86, "255 bytes"),  # 258 bytes of UTF-8
    ],
)
def test_names_that_could_escape_or_break_are_refused(sent: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        safe_relpath(sent)
