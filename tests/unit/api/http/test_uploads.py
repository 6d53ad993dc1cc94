"""`safe_relpath`: a client's file name becomes a relative path inside the job, or is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import HTTPException

from api.http.uploads import _Receiver, safe_relpath
from api.operations.jobs import Upload


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


def _body(parts: list[tuple[str, str | None, bytes]]) -> bytes:
    chunks = []
    for field, filename, content in parts:
        disposition = f'form-data; name="{field}"' + (
            f'; filename="{filename}"' if filename is not None else ""
        )
        chunks.append(f"--b\r\nContent-Disposition: {disposition}\r\n\r\n".encode())
        chunks.append(content + b"\r\n")
    return b"".join(chunks) + b"--b--\r\n"


def test_an_empty_file_input_is_skipped_and_the_token_field_accepted(tmp_path: Path) -> None:
    """A browser sends a file input left empty as a part with `filename=""` and no bytes."""
    seen: list[tuple[str, str | None]] = []
    receiver = _Receiver(Upload(tmp_path), b"b", lambda name, value: seen.append((name, value)))
    parts: list[tuple[str, str | None, bytes]] = [("csrf_token", None, b"t0ken")]
    parts += [("collection", None, b"songs")]
    parts += [("files", "", b""), ("files", "a.jpg", b"jpeg bytes")]
    receiver.feed(_body(parts))
    receiver.close()
    assert receiver.ended
    # text fields with their value; each file part announced (None) before it is written
    assert seen == [("csrf_token", "t0ken"), ("collection", "songs")] + [("files", None)] * 2
    assert receiver.upload.names == ["a.jpg"]
    assert (tmp_path / "files" / "a.jpg").read_bytes() == b"jpeg bytes"


def test_a_nameless_file_with_content_is_refused(tmp_path: Path) -> None:
    receiver = _Receiver(Upload(tmp_path), b"b", lambda name, value: None)
    with pytest.raises(HTTPException) as refused:
        receiver.feed(_body([("files", "", b"bytes without a name")]))
    receiver.close()
    assert refused.value.status_code == 422 and "without a name" in refused.value.detail
