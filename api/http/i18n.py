"""The catalogue's UI language: which one a visitor gets, its message catalogue, and the templates.

Choice, first that applies: `?lang=` (then remembered in a cookie), that cookie, the browser's
Accept-Language, Chinese. Every UI string lives in `api/messages/{zh,en}.json`; both hold the
same keys (a test checks), so a missing translation is a test failure, not a blank on the page.
Vocabulary labels (categories, media types, roles) stay in `api.labels`.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from api.http.templating import TEMPLATE_DIR, snippet
from api.labels import LANGUAGES, label_for, pick_language, text_in

MESSAGES_DIR = Path(__file__).parent / "messages"
LANG_COOKIE = "heritage_lang"
LANG_COOKIE_SECONDS = 365 * 24 * 3600
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
HTML_LANG = {"zh": "zh-Hans", "en": "en"}


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The message catalogue of one language, read once."""
    path = MESSAGES_DIR / f"{lang}.json"
    try:
        messages = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"{path}: cannot read the message catalogue: {exc}") from exc
    if not isinstance(messages, dict) or not all(isinstance(v, str) for v in messages.values()):
        raise RuntimeError(f"{path}: expected one JSON object of string messages")
    return messages


def message(lang: str, key: str, **values: object) -> str:
    """One UI string; `{name}` placeholders filled from `values`. An unknown key is a bug."""
    try:
        text = catalogue(lang)[key]
    except KeyError:
        raise KeyError(f"api/messages/{lang}.json has no message {key!r}") from None
    return text.format(**values) if values else text


def _explicit(value: str | None) -> str | None:
    return value.lower() if value and value.lower() in LANGUAGES else None


def choose_language(request: Request) -> str:
    chosen = _explicit(request.query_params.get("lang")) or _explicit(
        request.cookies.get(LANG_COOKIE)
    )
    return pick_language(chosen, request.headers.get("accept-language"))


def remember_language(request: Request, response: Response) -> None:
    """A `?lang=` choice sticks (a preference cookie, nothing else in it)."""
    wanted = _explicit(request.query_params.get("lang"))
    if wanted and wanted != request.cookies.get(LANG_COOKIE):
        response.set_cookie(
            LANG_COOKIE,
            wanted,
            max_age=LANG_COOKIE_SECONDS,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )


def _page_context(request: Request) -> dict[str, Any]:
    lang = choose_language(request)

    def t(key: str, **values: object) -> str:
        return message(lang, key, **values)

    def switch_lang(code: str) -> str:
        url = request.url.include_query_params(lang=code)
        return f"{url.path}?{url.query}"

    return {
        "lang": lang,
        "html_lang": HTML_LANG[lang],
        "t": t,
        "switch_lang": switch_lang,
        "language_names": LANGUAGE_NAMES,
    }


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["text_in"] = text_in
    env.filters["snippet"] = snippet
    env.globals["label_for"] = label_for
    return env


templates = Jinja2Templates(env=_environment(), context_processors=[_page_context])


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    """A catalogue page in the visitor's language, remembering an explicit `?lang=` choice."""
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    remember_language(request, response)
    return response
