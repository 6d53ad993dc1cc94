"""Human labels (zh/en) for facet values and multilingual fields, and the choice of language."""

from __future__ import annotations

from functools import cache
from typing import Any

from schemas import categories
from schemas.places import gazetteer, parse_key

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

_FIXED_LABELS: dict[str, dict[str, dict[str, str]]] = {
    "media_type": {
        "image": {"zh": "图像", "en": "Image"},
        "video": {"zh": "视频", "en": "Video"},
        "audio": {"zh": "音频", "en": "Audio"},
        "document": {"zh": "文献", "en": "Document"},
        "text": {"zh": "文本", "en": "Text"},
        "mixed": {"zh": "综合", "en": "Mixed"},
    },
    "role": {
        "bearer": {"zh": "传承人", "en": "Bearer"},
        "creator": {"zh": "创作者", "en": "Creator"},
        "performer": {"zh": "表演者", "en": "Performer"},
        "recorder": {"zh": "录制者", "en": "Recorder"},
        "photographer": {"zh": "摄影", "en": "Photographer"},
        "informant": {"zh": "讲述人", "en": "Informant"},
        "contributor": {"zh": "贡献者", "en": "Contributor"},
    },
    "access": {
        "public": {"zh": "公开", "en": "Public"},
        "institution": {"zh": "机构内部", "en": "Institution only"},
        "restricted": {"zh": "受限", "en": "Restricted"},
    },
    "tag": {  # words the catalogue itself writes into `tags`; a tag not listed is shown as written
        "contribution": {"zh": "公众投稿", "en": "Public contribution"},  # contributions.TAG
    },
    "language": {  # of captions; a tag not listed is shown as written
        "zh": {"zh": "中文", "en": "Chinese"},
        "zh-Hans": {"zh": "简体中文", "en": "Chinese (simplified)"},
        "zh-Hant": {"zh": "繁体中文", "en": "Chinese (traditional)"},
        "en": {"zh": "英文", "en": "English"},
        "mn": {"zh": "蒙古文", "en": "Mongolian"},
        "bo": {"zh": "藏文", "en": "Tibetan"},
        "ug": {"zh": "维吾尔文", "en": "Uyghur"},
        "yue": {"zh": "粤语", "en": "Cantonese"},
    },
}


def pick_language(lang: str | None, accept_language: str | None) -> str:
    """`lang` if it is one we speak, else the best of Accept-Language, else Chinese."""
    if lang and lang.lower() in LANGUAGES:
        return lang.lower()
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().split("-")[0].lower()
        if primary in LANGUAGES and quality > 0:
            weighted.append((-quality, position, primary))
    return min(weighted)[2] if weighted else DEFAULT_LANGUAGE


def text_in(value: dict[str, str] | str | None, lang: str) -> str:
    """One string from a language map: the wanted language, else the other, else anything."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    for key in (lang, *LANGUAGES):
        if value.get(key):
            return value[key]
    return next(iter(value.values()), "")


@cache
def _category_labels() -> dict[str, dict[str, str]]:
    return {c.code: {"zh": c.zh, "en": c.en} for c in categories()}


def labels_for(field: str, value: str) -> dict[str, str]:
    """{"zh": …, "en": …} for a facet value; the value itself when it has no vocabulary label."""
    if field == "category":
        known = _category_labels().get(value)
    elif field == "decade" and value.lstrip("-").isdigit():
        known = {"zh": f"{value}年代", "en": f"{value}s"}
    elif field == "place":
        known = place_labels(value)
    else:
        known = _FIXED_LABELS.get(field, {}).get(value)
    return known or {"zh": value, "en": value}


def place_labels(key: str) -> dict[str, str] | None:
    """A map place's name: the gazetteer's full name of a code (河北省张家口市蔚县; it has no
    English names), the coordinates of a point of the record's own; None for a bad key."""
    place = parse_key(key)
    if place is None:
        return None
    if place.code is not None:
        name = gazetteer().full_name(place.code)
        return {"zh": name, "en": name}
    return {
        "zh": f"北纬{place.lat:.2f}°，东经{place.lon:.2f}°",
        "en": f"{place.lat:.2f}°N, {place.lon:.2f}°E",
    }


def label_for(field: str, value: Any, lang: str) -> str:
    return labels_for(field, str(value))[lang]
