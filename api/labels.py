"""Human labels (zh/en) for facet values and multilingual fields, and the choice of language."""

from __future__ import annotations

from typing import Any

from schemas import categories

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


def _category_labels() -> dict[str, dict[str, str]]:
    return {c.code: {"zh": c.zh, "en": c.en} for c in categories()}


def labels_for(field: str, value: str) -> dict[str, str]:
    """{"zh": …, "en": …} for a facet value; the value itself when it has no vocabulary label."""
    if field == "category":
        known = _category_labels().get(value)
    elif field == "decade" and value.lstrip("-").isdigit():
        known = {"zh": f"{value}年代", "en": f"{value}s"}
    else:
        known = _FIXED_LABELS.get(field, {}).get(value)
    return known or {"zh": value, "en": value}


def label_for(field: str, value: Any, lang: str) -> str:
    return labels_for(field, str(value))[lang]


UI_TEXT: dict[str, dict[str, str]] = {
    "site": {"zh": "非物质文化遗产数字资源库", "en": "Intangible Cultural Heritage Repository"},
    "search": {"zh": "搜索", "en": "Search"},
    "placeholder": {"zh": "搜索：剪纸、昆曲、长调……", "en": "Search: paper cutting, kunqu, …"},
    "results": {"zh": "共 {n} 条结果", "en": "{n} results"},
    "no_results": {"zh": "没有找到相关条目。", "en": "Nothing found."},
    "category": {"zh": "类别", "en": "Category"},
    "region": {"zh": "地区", "en": "Region"},
    "media_type": {"zh": "媒体类型", "en": "Media type"},
    "decade": {"zh": "年代", "en": "Decade"},
    "collection": {"zh": "专题", "en": "Collection"},
    "access": {"zh": "访问", "en": "Access"},
    "date": {"zh": "日期", "en": "Date"},
    "people": {"zh": "相关人物", "en": "People"},
    "subjects": {"zh": "主题", "en": "Subjects"},
    "rights": {"zh": "权利", "en": "Rights"},
    "identifier": {"zh": "编号", "en": "Identifier"},
    "previous": {"zh": "上一页", "en": "Previous"},
    "next": {"zh": "下一页", "en": "Next"},
    "page": {"zh": "第 {n} 页", "en": "Page {n}"},
    "clear": {"zh": "清除筛选", "en": "Clear filters"},
    "download": {"zh": "下载原件", "en": "Download original"},
    "back": {"zh": "返回检索", "en": "Back to search"},
    "json": {"zh": "JSON 数据", "en": "JSON record"},
    "no_image": {"zh": "暂无图像", "en": "No image"},
}


def ui_text(key: str, lang: str, **values: object) -> str:
    return UI_TEXT[key][lang].format(**values)
