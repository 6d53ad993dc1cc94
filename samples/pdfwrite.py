"""The skeleton of a small PDF, shared by the sample booklet and the test PDFs: numbered objects,
a page tree, an Info dictionary and the cross-reference table. What goes on the pages (fonts,
pictures, text) is the caller's. No clock time is written, so the bytes follow from the inputs.

Kept in samples/ (which imports nothing from tests); tests load it by file path.
"""

from __future__ import annotations


def text_string(value: str) -> bytes:
    """A PDF text string: literal for ASCII, UTF-16BE with a byte-order mark otherwise."""
    if value.isascii():
        return b"(" + escaped(value) + b")"
    return b"<FEFF" + value.encode("utf-16-be").hex().upper().encode() + b">"


def escaped(value: str) -> bytes:
    """Latin-1 text for a literal string, its backslashes and parentheses escaped."""
    return value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1")


class PdfObjects:
    """The numbered objects of one PDF, added in order; `to_bytes` writes the file."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def add(self, body: bytes) -> int:
        """Add an object; its number (from 1) for references."""
        self.bodies.append(body)
        return len(self.bodies)

    def add_pages(self, contents: list[bytes], size: tuple[int, int], resources: bytes) -> int:
        """One page per content stream, all with `resources`; the catalog's number."""
        width, height = size
        pages_id = len(self.bodies) + 2 * len(contents) + 1
        kids = []
        for content in contents:
            stream = self.add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
            kids.append(
                self.add(
                    b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R "
                    b"/Resources %s >>" % (pages_id, width, height, stream, resources)
                )
            )
        kid_refs = b" ".join(b"%d 0 R" % kid for kid in kids)
        assert self.add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kid_refs, len(kids))) == (
            pages_id
        )
        return self.add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)

    def add_info(self, info: dict[str, str]) -> int:
        """The document Info dictionary (Title, Author, …)."""
        entries = b" ".join(b"/%s %s" % (k.encode(), text_string(v)) for k, v in info.items())
        return self.add(b"<< " + entries + b" >>")

    def to_bytes(self, version: bytes, trailer: bytes) -> bytes:
        """The file: header, objects, xref table; `trailer` holds /Root and the rest."""
        out = bytearray(b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.bodies, 1):
            offsets.append(len(out))
            out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.bodies) + 1)
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
        out += b"trailer\n<< /Size %d %s >>\n" % (len(self.bodies) + 1, trailer)
        out += b"startxref\n%d\n%%%%EOF\n" % xref
        return bytes(out)
