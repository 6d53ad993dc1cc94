"""Highlighting from the original text, escaped, marking whatever the analyser matched."""

from __future__ import annotations

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
