"""Highlighting from the original text, escaped, marking whatever the analyser matched."""

from __future__ import annotations

import pytest

import search.highlight as highlight_module
from search.analysis import analyze_query
from search.highlight import FRAGMENT_CHARS, highlight, highlights_for


def test_markup_in_text_is_escaped_and_never_survives() -> None:
    title = "<script>alert('x')</script> 剪纸"
    marked = highlight(title, analyze_query("剪纸"), names=True)
    assert marked == "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; <mark>剪纸</mark>"
    inside = highlight(title, analyze_query("script"))
    assert inside is not None and "<script>" not in inside
    assert inside.startswith("&lt;<mark>script</mark>&gt;")


def test_a_simplified_query_marks_the_traditional_original() -> None:
    assert highlight("崑曲曲譜手抄本", analyze_query("昆曲")) == "<mark>崑曲</mark>曲譜手抄本"


def test_pinyin_marks_han_text_only_where_pinyin_is_indexed() -> None:
    plan = analyze_query("pi ying xi")
    assert highlight("华县皮影戲", plan, names=True) == "华县<mark>皮影戲</mark>"
    assert highlight("华县皮影戲", plan) is None


def test_stemmed_and_accented_words_are_marked_as_written() -> None:
    marked = highlight("Kūnqǔ dancing, and dancers", analyze_query("kunqu dance"))
    assert marked == "<mark>Kūnqǔ</mark> <mark>dancing</mark>, and dancers"


def test_a_quoted_phrase_marks_only_the_phrase() -> None:
    text = "A dragon dance, then the dragon boat race."
    marked = highlight(text, analyze_query('"dragon boat"'))
    assert marked == "A dragon dance, then the <mark>dragon boat</mark> race."


def test_long_text_gives_a_fragment_around_the_first_match() -> None:
    text = "前" * 500 + "剪紙藝術" + "后" * 500
    marked = highlight(text, analyze_query("剪纸"), fragment=FRAGMENT_CHARS)
    assert marked is not None
    assert marked.startswith("…") and marked.endswith("…")
    assert "<mark>剪紙</mark>藝術" in marked
    assert len(marked) < FRAGMENT_CHARS + 30


def test_no_match_no_snippet() -> None:
    assert highlight("马头琴", analyze_query("剪纸")) is None
    assert highlight("马头琴", analyze_query("***")) is None


def test_highlights_for_picks_the_language_with_matches_and_skips_the_rest() -> None:
    display = {
        "title": {"zh": "鄂尔多斯长调", "en": "Ordos long song"},
        "description": {"zh": "马头琴伴奏。"},
    }
    assert highlights_for(display, analyze_query("long song")) == {
        "title": "Ordos <mark>long</mark> <mark>song</mark>"
    }
    assert highlights_for(display, analyze_query("长调 马头琴")) == {
        "title": "鄂尔多斯<mark>长调</mark>",
        "description": "<mark>马头琴</mark>伴奏。",
    }
    assert highlights_for(display, analyze_query("")) == {}


def test_a_paged_text_says_on_which_page_it_matched() -> None:
    text = "[a.txt]\nunicorn first\n\n[b.pdf]\none\n\ntwo unicorn\n\nthree"
    starts = [text.index("one"), text.index("two"), text.index("three")]
    display = {"title": {"en": "Book"}, "text": text, "text_pages": starts}

    found = highlights_for(display, analyze_query("unicorn"))  # a.txt's match is on no page

    assert found == {"text": "two <mark>unicorn</mark>", "page": "2"}
    assert "page" not in highlights_for(display, analyze_query("first"))
    assert highlights_for({**display, "text_pages": []}, analyze_query("unicorn")) == {}


_TEXTS = (
    "大同剪纸《草原牧歌》制作过程，剪纸剪纸",
    "剪紙藝術與傳承人訪談",  # traditional: folded to simplified
    "ＡＢ剪纸ｃ　传承人访谈录",  # full-width forms fold to ASCII
    "㍿と剪纸",  # NFKC turns one character into four
    "剪 纸 and 剪-纸",  # separated: no bigram 剪纸
    "Kūnqǔ 昆曲, 崑曲 and kunqu",
    "传承人 访谈",
    "",
)


def test_cjk_phrases_are_found_in_the_folded_text_where_their_tokens_match() -> None:
    """The quick way (find the phrase's text in the folded text) marks exactly what cutting
    the text into token streams marks, names or not."""
    for query in ("剪纸", "传承人访谈", "剪纸 喜鹊", "昆曲", "株式", "剪纸 传承人"):
        phrases = highlight_module._plan_phrases(analyze_query(query))
        surfaces = highlight_module._surfaces(phrases)
        assert surfaces is not None, query
        for text in _TEXTS:
            quick = highlight_module._found_ranges(text, surfaces)
            for names in (False, True):
                assert quick == highlight_module._token_ranges(text, phrases, names=names), (
                    query,
                    text,
                    names,
                )
    assert highlight("剪紙藝術與傳承人訪談", analyze_query("传承人访谈")) == (
        "剪紙藝術與<mark>傳承人訪談</mark>"
    )
    assert highlight("㍿と剪纸", analyze_query("株式")) == "<mark>㍿</mark>と剪纸"


def test_the_screen_for_texts_without_the_cjk_tokens_changes_no_mark(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Phrases that are not all bigram chains go through the token streams, screened by their
    CJK tokens; the screen only ever says no to texts where nothing would be marked."""
    queries = ("剪", "剪纸 paper", "皮影 xi", "剪纸 art 喜鹊", "kunqu", "纸")
    plans = [analyze_query(query) for query in queries]
    screened = [
        [highlight(text, plan, names=names) for text in _TEXTS for names in (False, True)]
        for plan in plans
    ]
    monkeypatch.setattr(highlight_module, "_screen", lambda phrases: None)
    assert screened == [
        [highlight(text, plan, names=names) for text in _TEXTS for names in (False, True)]
        for plan in plans
    ]
    assert any(mark for marks in screened for mark in marks)
