"""A small PDF writer for the sample booklet: a cover picture (embedded JPEG), pages of English
text in Helvetica (a real text layer, so search finds its words), and an Info dictionary whose
title may be Chinese (UTF-16 text strings, as the PDF standard wants for non-Latin text).

Everything written is fixed by the inputs (no timestamps from the clock), so it is reproducible.
"""

from __future__ import annotations

import io

from PIL import Image

PAGE = (420, 595)  # A5 in points
MARGIN = 48
LEADING = 15


def _text_string(value: str) -> bytes:
    """A PDF text string: literal for ASCII, UTF-16BE with a byte-order mark otherwise."""
    if value.isascii():
        return b"(" + _escaped(value) + b")"
    return b"<FEFF" + value.encode("utf-16-be").hex().upper().encode() + b">"


def _escaped(value: str) -> bytes:
    return value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1")


def _lines(text: str, width: int = 62) -> list[str]:
    """Wrap a paragraph to about `width` Helvetica characters per line."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines.append(line)
    return lines


def build_booklet(
    cover: Image.Image, cover_caption: str, pages: list[str], info: dict[str, str]
) -> bytes:
    """The PDF bytes: a cover page with the picture and a caption, then one page per text."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    jpeg = io.BytesIO()
    cover.convert("RGB").save(jpeg, "JPEG", quality=75)
    picture = add(
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
        b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream"
        % (cover.width, cover.height, len(jpeg.getvalue()), jpeg.getvalue())
    )
    width, height = PAGE
    box = width - 2 * MARGIN
    shown = (box, round(box * cover.height / cover.width))
    contents = [
        b"q %d 0 0 %d %d %d cm /Im1 Do Q\n" % (*shown, MARGIN, height - MARGIN - shown[1])
        + _text_block([cover_caption], height - MARGIN - shown[1] - 2 * LEADING)
    ]
    contents += [_text_block(_lines(text), height - MARGIN) for text in pages]
    pages_id = len(objects) + 2 * len(contents) + 1
    kids = []
    for content in contents:
        stream = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R "
                b"/Resources << /Font << /F1 %d 0 R >> /XObject << /Im1 %d 0 R >> >> >>"
                % (pages_id, width, height, stream, font, picture)
            )
        )
    kid_refs = b" ".join(b"%d 0 R" % kid for kid in kids)
    assert add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kid_refs, len(kids))) == pages_id
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    entries = b" ".join(b"/%s %s" % (k.encode(), _text_string(v)) for k, v in info.items())
    info_id = add(b"<< " + entries + b" >>")

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\n" % (
        len(objects) + 1,
        catalog,
        info_id,
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _text_block(lines: list[str], top: int) -> bytes:
    body = b"".join(b"(" + _escaped(line) + b") Tj T*\n" for line in lines)
    return b"BT /F1 11 Tf %d TL %d %d Td\n%sET\n" % (LEADING, MARGIN, top, body)
