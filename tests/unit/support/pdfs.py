"""A tiny PDF writer for tests: real text layers (English in Helvetica, Chinese through the
predefined UniGB-UCS2-H CMap, so PDFium maps the codes straight to Unicode), an Info dictionary,
and optionally a forged /Encrypt entry whose password check fails, as an encrypted file's
would for a reader without the password."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

# The PDF skeleton lives with the sample booklet; samples/ is scripts, not a package.
_PDFWRITE = Path(__file__).resolve().parents[3] / "samples" / "pdfwrite.py"
_spec = importlib.util.spec_from_file_location("samples_pdfwrite", _PDFWRITE)
assert _spec is not None and _spec.loader is not None, f"cannot load {_PDFWRITE}"
_pdfwrite = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_pdfwrite)
PdfObjects = _pdfwrite.PdfObjects


@dataclass(frozen=True)
class Page:
    english: str
    chinese: str = ""
    dark_top_left: bool = False  # paint the top-left quarter black (to check the rendering)


def build_pdf(
    pages: list[Page],
    *,
    info: dict[str, str] | None = None,
    encrypted: bool = False,
    size: tuple[int, int] = (612, 792),
) -> bytes:
    pdf = PdfObjects()
    helvetica = pdf.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    descriptor = pdf.add(
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
        b"/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
        b"/CapHeight 880 /StemV 93 >>"
    )
    cid_font = pdf.add(
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> "
        b"/FontDescriptor %d 0 R >>" % descriptor
    )
    song = pdf.add(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light-UniGB-UCS2-H "
        b"/Encoding /UniGB-UCS2-H /DescendantFonts [%d 0 R] >>" % cid_font
    )
    width, height = size
    contents = []
    for page in pages:
        content = b""
        if page.dark_top_left:
            content += b"0 g 0 %d %d %d re f\n" % (height // 2, width // 2, height // 2)
        content += b"BT /F1 12 Tf 20 20 Td (" + page.english.encode("latin-1") + b") Tj ET\n"
        if page.chinese:
            content += b"BT /F2 12 Tf 20 40 Td <" + page.chinese.encode("utf-16-be").hex().encode()
            content += b"> Tj ET\n"
        contents.append(content)
    resources = b"<< /Font << /F1 %d 0 R /F2 %d 0 R >> >>" % (helvetica, song)
    trailer = b"/Root %d 0 R" % pdf.add_pages(contents, size, resources)
    if info:
        trailer += b" /Info %d 0 R" % pdf.add_info(info)
    if encrypted:
        security = pdf.add(
            b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>" % (b"ab" * 32, b"cd" * 32)
        )
        trailer += b" /Encrypt %d 0 R /ID [<%s> <%s>]" % (security, b"01" * 16, b"01" * 16)
    return pdf.to_bytes(b"1.7", trailer)
