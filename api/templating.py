"""The Jinja2 environment of the public catalogue: autoescaping on, small helpers as filters."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from api.labels import label_for, pick_language, text_in, ui_text

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


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["text_in"] = text_in
    env.filters["snippet"] = snippet
    env.globals["label_for"] = label_for
    return env


def page_context(request: Request) -> dict[str, Any]:
    """What every page (errors included) needs: its language, UI strings, the language switch."""
    lang = pick_language(request.query_params.get("lang"), request.headers.get("accept-language"))

    def switch_lang(code: str) -> str:
        url = request.url.include_query_params(lang=code)
        return f"{url.path}?{url.query}"

    def t(key: str, **values: object) -> str:
        return ui_text(key, lang, **values)

    return {"lang": lang, "t": t, "switch_lang": switch_lang}


templates = Jinja2Templates(env=_environment(), context_processors=[page_context])
