"""A small PDF writer for the sample booklet: a cover picture (embedded JPEG), pages of English
text in Helvetica (a real text layer, so search finds its words), and an Info dictionary whose
title may be Chinese (UTF-16 text strings, as the PDF standard wants for non-Latin text).

Everything written is fixed by the inputs (no timestamps from the clock), so it is reproducible.
"""

from __future__ import annotations

import io

from pdfwrite import PdfObjects, escaped
from PIL import Image

PAGE = (420, 595)  # A5 in points
MARGIN = 48
LEADING = 15


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
    pdf = PdfObjects()
    font = pdf.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    jpeg = io.BytesIO()
    cover.convert("RGB").save(jpeg, "JPEG", quality=75)
    picture = pdf.add(
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
    resources = b"<< /Font << /F1 %d 0 R >> /XObject << /Im1 %d 0 R >> >>" % (font, picture)
    catalog = pdf.add_pages(contents, PAGE, resources)
    info_id = pdf.add_info(info)
    return pdf.to_bytes(b"1.4", b"/Root %d 0 R /Info %d 0 R" % (catalog, info_id))


def _text_block(lines: list[str], top: int) -> bytes:
    body = b"".join(b"(" + escaped(line) + b") Tj T*\n" for line in lines)
    return b"BT /F1 11 Tf %d TL %d %d Td\n%sET\n" % (LEADING, MARGIN, top, body)
