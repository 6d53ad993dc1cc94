"""A tiny PDF writer for tests: real text layers (English in Helvetica, Chinese through the
predefined UniGB-UCS2-H CMap, so PDFium maps the codes straight to Unicode), an Info dictionary,
and optionally a forged /Encrypt entry whose password check fails, as an encrypted file's
would for a reader without the password."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    english: str
    chinese: str = ""
    dark_top_left: bool = False  # paint the top-left quarter black (to check the rendering)


def _text_string(value: str) -> bytes:
    return b"<FEFF" + value.encode("utf-16-be").hex().upper().encode() + b">"


def build_pdf(
    pages: list[Page],
    *,
    info: dict[str, str] | None = None,
    encrypted: bool = False,
    size: tuple[int, int] = (612, 792),
) -> bytes:
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    helvetica = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    descriptor = add(
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
        b"/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
        b"/CapHeight 880 /StemV 93 >>"
    )
    cid_font = add(
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> "
        b"/FontDescriptor %d 0 R >>" % descriptor
    )
    song = add(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light-UniGB-UCS2-H "
        b"/Encoding /UniGB-UCS2-H /DescendantFonts [%d 0 R] >>" % cid_font
    )
    width, height = size
    pages_id = len(objects) + 2 * len(pages) + 1
    kids = []
    for page in pages:
        content = b""
        if page.dark_top_left:
            content += b"0 g 0 %d %d %d re f\n" % (height // 2, width // 2, height // 2)
        content += b"BT /F1 12 Tf 20 20 Td (" + page.english.encode("latin-1") + b") Tj ET\n"
        if page.chinese:
            content += b"BT /F2 12 Tf 20 40 Td <" + page.chinese.encode("utf-16-be").hex().encode()
            content += b"> Tj ET\n"
        stream = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R "
                b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> >>"
                % (pages_id, width, height, stream, helvetica, song)
            )
        )
    kid_refs = b" ".join(b"%d 0 R" % kid for kid in kids)
    assert add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kid_refs, len(kids))) == pages_id
    trailer = b"/Root %d 0 R" % add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    if info:
        entries = b" ".join(b"/%s %s" % (k.encode(), _text_string(v)) for k, v in info.items())
        trailer += b" /Info %d 0 R" % add(b"<< " + entries + b" >>")
    if encrypted:
        security = add(
            b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>" % (b"ab" * 32, b"cd" * 32)
        )
        trailer += b" /Encrypt %d 0 R /ID [<%s> <%s>]" % (security, b"01" * 16, b"01" * 16)

    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d %s >>\n" % (len(objects) + 1, trailer)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
