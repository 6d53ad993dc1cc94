"""The sensitive-terms screen: search's normalisation, flags, holding back, only what is new."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.settings import Settings
from search.screening import (
    Screen,
    ScreenConfigError,
    load_screen,
    scan_record,
    screen_for,
    screen_record,
)
from tests.unit.support.records import minimal_record

SCREEN = Screen.parse(
    {
        "concepts": [
            {"code": "human-remains", "terms": ["遗骸", "尸", "human remains"]},
            {"code": "personal-data", "terms": ["身份证号", "phone number"]},
        ]
    },
    "test-terms.json",
)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("出土遺骸一具", {"遗骸"}),  # traditional folded to simplified
        ("HUMAN REMAINS of a shaman", {"human remains"}),  # case
        ("ｈｕｍａｎ ｒｅｍａｉｎｓ", {"human remains"}),  # full width
        ("photos of human remain", {"human remains"}),  # stemmed like search
        ("尸体", {"尸"}),  # a one-character term, inside a word
        ("请填写身份證號碼和phone numbers", {"身份证号", "phone number"}),
        ("human, remains", {"human remains"}),  # punctuation is not a word
        ("遗址 骸骨", set()),  # not the phrase
        ("remains of a human", set()),  # not in order
        ("剪纸窗花", set()),
    ],
)
def test_terms_match_as_search_would(text: str, found: set[str]) -> None:
    assert {t.text for t in SCREEN.scan(text)} == found


def test_a_flagged_published_item_is_held_back_in_review() -> None:
    record = minimal_record(description={"zh": "含遺骸照片"}, subjects=["phone number list"])
    finding = screen_record(record, SCREEN)
    assert [(m.term, m.field) for m in finding.matches] == [
        ("遗骸", "description.zh"),
        ("phone number", "subjects[0]"),
    ]
    assert record["status"] == "review" and finding.held_back
    assert record["tags"] == [
        {"value": "needs-review:human-remains", "source": "derived", "by": "screening"},
        {"value": "needs-review:personal-data", "source": "derived", "by": "screening"},
    ]
    event = finding.event
    assert event is not None and (event["type"], event["outcome"]) == ("review", "warning")
    assert "遗骸 [human-remains] in description.zh" in event["detail"]
    assert "published → review" in event["detail"]


def test_a_draft_stays_a_draft_and_a_clean_item_is_untouched() -> None:
    draft = minimal_record(status="draft", title={"en": "Human remains"})
    assert screen_record(draft, SCREEN).matches and draft["status"] == "draft"
    clean = minimal_record()
    before = json.dumps(clean, sort_keys=True)
    finding = screen_record(clean, SCREEN)
    assert finding.matches == [] and finding.event is None
    assert json.dumps(clean, sort_keys=True) == before


def test_only_new_text_is_screened_and_flags_are_kept() -> None:
    previous = minimal_record(
        status="review",
        description={"zh": "遗骸"},
        tags=[{"value": "needs-review:human-remains", "source": "derived", "by": "screening"}],
    )
    edited = minimal_record(
        status="review", description={"zh": "遗骸"}, title={"zh": "新标题"}, tags=[]
    )
    finding = screen_record(edited, SCREEN, previous=previous)
    assert finding.matches == [] and finding.event is None
    assert edited["tags"] == previous["tags"]  # a patch cannot drop a flag
    published = minimal_record(description={"zh": "遗骸"})
    changed = minimal_record(description={"zh": "遗骸 and a phone number"})
    assert [m.term for m in scan_record(SCREEN, changed, published)] == ["phone number"]


def test_the_shipped_list_and_its_override(tmp_path: Path, monkeypatch) -> None:
    shipped = screen_for(None)
    assert {"human-remains", "personal-data"} <= {t.code for t in shipped.terms}
    assert any(not t.text.isascii() for t in shipped.terms)
    assert any(t.text.isascii() for t in shipped.terms)
    mine = tmp_path / "terms.json"
    mine.write_text(json.dumps({"concepts": [{"code": "local", "terms": ["秘方"]}]}), "utf-8")
    monkeypatch.setenv("HERITAGE_SENSITIVE_TERMS_FILE", str(mine))
    settings = Settings(_env_file=None)
    assert settings.sensitive_terms_file == mine
    assert [t.text for t in screen_for(settings.sensitive_terms_file).terms] == ["秘方"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected an object with a 'concepts' list"),
        ({"concepts": [{"code": "Bad Code", "terms": ["x"]}]}, r"concepts\[0\]: 'code'"),
        ({"concepts": [{"code": "ok", "terms": []}]}, r"concepts\[0\]: 'terms'"),
        ({"concepts": [{"code": "ok", "terms": ["x", 3]}]}, r"concepts\[0\]\.terms\[1\]"),
        ({"concepts": [{"code": "ok", "terms": ["the"]}]}, "nothing to match"),
    ],
)
def test_a_bad_list_names_the_file_and_entry(tmp_path: Path, data: object, message: str) -> None:
    path = tmp_path / "bad-terms.json"
    path.write_text(json.dumps(data), "utf-8")
    with pytest.raises(ScreenConfigError, match=message) as raised:
        load_screen(str(path))
    assert str(path) in str(raised.value)


def test_an_unreadable_list_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ScreenConfigError, match="missing.json"):
        load_screen(str(tmp_path / "missing.json"))


def test_an_unresolved_flag_keeps_a_republished_item_in_review() -> None:
    flag = {"value": "needs-review:human-remains", "source": "derived", "by": "screening"}
    previous = minimal_record(status="review", description={"zh": "遗骸"}, tags=[flag])
    rerun = minimal_record(status="published", description={"zh": "遗骸"})  # the manifest again
    finding = screen_record(rerun, SCREEN, previous=previous)
    assert finding.matches == [] and finding.held_back
    assert rerun["status"] == "review" and rerun["tags"] == [flag]
    assert finding.event is not None
    assert finding.event["detail"] == (
        "unresolved screening flags: needs-review:human-remains; "
        "held back from publication: status published → review"
    )
