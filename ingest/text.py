"""Which language a title or description is written in, when the manifest does not say."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_MONGOLIAN = re.compile(r"[\u1800-\u18af]")
_TIBETAN = re.compile(r"[\u0f00-\u0fff]")


def guess_language(text: str) -> str:
    """The BCP 47 tag for text given without a language column: by its script."""
    if _MONGOLIAN.search(text):
        return "mn"
    if _TIBETAN.search(text):
        return "bo"
    return "zh" if _CJK.search(text) else "en"
