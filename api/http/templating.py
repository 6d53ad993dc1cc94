"""Where the catalogue's templates and static files live, and the search-snippet filter.

The Jinja2 environment itself (with the message catalogues) is built in `api.http.i18n`.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from markupsafe import Markup

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

_MARK = re.compile(r"(</?mark>)")


def snippet(value: str | None) -> Markup:
    """A search highlight with only its <mark> tags kept as HTML; everything else escaped.

    The index already escapes snippets, but the page does not rely on another package for that:
    each text run is unescaped and escaped again, so `<script>` can never pass through.
    """
    parts = _MARK.split(value or "")
    kept = (p if _MARK.fullmatch(p) else html.escape(html.unescape(p)) for p in parts)
    return Markup("".join(kept))
