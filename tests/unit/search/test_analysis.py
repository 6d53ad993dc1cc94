"""The shared analyser: folding, bigrams, pinyin, stemming, and query plans from any input."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from search.analysis import (
    _ONE_TO_ONE_RE,
    MAX_CLAUSES,
    AllOf,
    AnyOf,
    Node,
    Phrase,
    QueryPlan,
    _fold_basic,
    analyze,
    analyze_query,
    char_tokens,
    field_tokens,
    fold,
    pinyin_tokens,
    sort_key,
    stem,
    token_streams,
)

TOKEN = re.compile(r"[^\W_]+")


def matches(plan: QueryPlan, tokens: list[str]) -> bool:
    """What an engine does with a plan over one field's tokens (phrases = adjacent tokens)."""

    def node(n: Node) -> bool:
        if isinstance(n, Phrase):
            size = len(n.tokens)
            return any(tuple(tokens[i : i + size]) == n.tokens for i in range(len(tokens)))
        if isinstance(n, AllOf):
            return all(node(p) for p in n.parts)
        assert isinstance(n, AnyOf)
        return any(node(o) for o in n.options)

    return not plan.empty and all(node(n) for n in plan.must)


def title_tokens(text: str) -> list[str]:
    return analyze(text) + pinyin_tokens(text) + char_tokens(text)


def plan_tokens(plan: QueryPlan) -> list[str]:
    return [t for p in plan.phrases() for t in p.tokens]


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("崑曲", "昆曲"),
        ("乾隆", "乾隆"),  # phrase-aware: not 干隆
        ("皮影戲", "皮影戏"),
        ("Kūnqǔ", "kunqu"),
        ("ＫＵＮＱＵ", "kunqu"),
        ("Straße", "strasse"),
        ("Café", "cafe"),
        ("xi'an", "xian"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_cjk_runs_become_overlapping_bigrams_and_a_lone_character_a_unigram() -> None:
    assert analyze("剪纸艺术") == ["剪纸", "纸艺", "艺术"]
    assert analyze("1956年") == ["1956", "年"]
    assert analyze("MP3格式 年") == ["mp3", "格式", "年"]


def test_traditional_and_simplified_give_the_same_tokens() -> None:
    assert analyze("崑曲曲譜手抄本") == analyze("昆曲曲谱手抄本")
    assert analyze("剪紙藝術") == ["剪纸", "纸艺", "艺术"]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["dance", "dances", "dancing", "danced"], "danc"),
        (["story", "stories"], "story"),
        (["cut", "cutting"], "cut"),
        (["box", "boxes"], "box"),
        (["puppet", "puppets"], "puppet"),
        (["song", "songs"], "song"),
    ],
)
def test_light_stemming_conflates_inflections(words: list[str], expected: str) -> None:
    assert {stem(word) for word in words} == {expected}


def test_stop_words_are_dropped_and_words_folded() -> None:
    assert analyze("The Art of PAPER-Cutting") == ["art", "paper", "cut"]


def test_tokens_are_plain_letters_and_digits() -> None:
    text = "《牡丹亭》—— Kūnqǔ, “quoted” (1957); a_b c-d e.f 〇 カタカナ 한국어 ﬁne ½"
    tokens = analyze(text) + pinyin_tokens(text) + char_tokens(text)
    assert tokens
    assert all(TOKEN.fullmatch(token) for token in tokens)


def test_pinyin_of_han_runs() -> None:
    assert pinyin_tokens("昆曲") == ["kunqu"]
    assert pinyin_tokens("皮影戲") == ["piying", "yingxi"]
    assert pinyin_tokens("长调") == ["changdiao"]  # read in context, not zhang
    assert pinyin_tokens("年") == ["nian"]
    assert pinyin_tokens("Kunqu opera") == []


def test_char_tokens_cover_every_character_of_multi_character_runs() -> None:
    assert char_tokens("皮影戏 年") == ["皮", "影", "戏"]


@pytest.mark.parametrize("query", ["kunqu", "kun qu", "Kūnqǔ", "KUNQU", "昆曲", "崑曲"])
def test_every_spelling_of_kunqu_finds_the_chinese_title(query: str) -> None:
    plan = analyze_query(query)
    assert matches(plan, title_tokens("昆曲《牡丹亭》"))
    assert not matches(plan, title_tokens("昆明曲靖"))


@pytest.mark.parametrize("query", ["piyingxi", "pi ying xi", "piying xi", "皮影戏"])
def test_pinyin_words_split_into_syllables_and_joined(query: str) -> None:
    plan = analyze_query(query)
    assert matches(plan, title_tokens("华县皮影戏"))
    assert not matches(plan, title_tokens("皮影雕刻"))


def test_pinyin_runs_combine_with_other_words() -> None:
    plan = analyze_query("beijing kun qu")
    assert matches(plan, title_tokens("北京昆曲"))
    assert matches(plan, title_tokens("昆曲 在 北京"))
    assert not matches(plan, title_tokens("北京京剧"))


def test_all_words_are_required() -> None:
    plan = analyze_query("剪纸 窗花")
    assert matches(plan, analyze("窗花剪纸"))
    assert not matches(plan, analyze("剪纸作品"))


def test_a_cjk_word_is_a_phrase_of_its_bigrams() -> None:
    plan = analyze_query("剪纸艺术")
    assert plan.must == (Phrase(("剪纸", "纸艺", "艺术")),)
    assert matches(plan, analyze("陕北剪纸艺术展"))
    assert not matches(plan, analyze("剪纸与纸艺的艺术"))


def test_quoted_text_is_a_phrase() -> None:
    quoted = analyze_query('"dragon boat" race')
    assert Phrase(("dragon", "boat")) in quoted.must
    assert not matches(quoted, analyze("boat dragon race"))
    assert matches(analyze_query("dragon boat race"), analyze("boat dragon race"))


def test_several_words_boost_their_phrase() -> None:
    assert analyze_query("dragon boat").boost == Phrase(("dragon", "boat"))
    assert analyze_query("剪纸 艺术").boost == Phrase(("剪纸", "纸艺", "艺术"))
    assert analyze_query("dragon").boost is None


@pytest.mark.parametrize("query", ["", "   ", "*", '"', "()", "!!! ???", "the of and"])
def test_input_without_searchable_text_gives_an_empty_plan(query: str) -> None:
    assert analyze_query(query).empty


HOSTILE = [
    "NEAR(a b, 2)",
    "a* OR b*",
    '"unbalanced',
    "title:(a OR b) AND NOT c",
    '{"query": {"match_all": {}}}',
    "col : x ^ y + z - w",
    "'; DROP TABLE docs; --",
    "\x00\x01\u202e\ud7ff\uffff",
    "剪纸" * 1000,
    "x" * 2000,
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_input_is_only_ever_text(query: str) -> None:
    plan = analyze_query(query)
    assert len(plan.must) <= MAX_CLAUSES
    assert all(TOKEN.fullmatch(token) for token in plan_tokens(plan))


def test_random_junk_never_raises() -> None:
    rng = random.Random(1)
    alphabet = '"*(){}[]:^+-_,.;!?\\/ \t\nANDORNOTNEAR剪紙昆曲kunquÉé\u3000〇'
    for _ in range(300):
        query = "".join(rng.choice(alphabet) for _ in range(rng.randrange(60)))
        assert all(TOKEN.fullmatch(token) for token in plan_tokens(analyze_query(query)))


def test_streams_carry_the_index_tokens_and_their_source_ranges() -> None:
    text = "崑曲《牡丹亭》 Kūnqǔ dancers, ﬁne"
    base, pinyin, chars = token_streams(text, pinyin=True, chars=True)
    assert base.tokens == analyze(text)
    assert pinyin.tokens == pinyin_tokens(text)
    assert chars.tokens == char_tokens(text)
    spans = dict(zip(base.tokens, zip(base.starts, base.ends, strict=True), strict=True))
    start, end = spans["昆曲"]
    assert text[start:end] == "崑曲"
    start, end = spans["kunqu"]
    assert text[start:end] == "Kūnqǔ"
    start, end = spans["fine"]
    assert text[start:end] == "ﬁne"


def test_sort_key_orders_chinese_by_pinyin_among_latin_titles() -> None:
    titles = ["乌兰牧骑", "Kunqu opera", "昆曲", "Andai dance"]
    assert sorted(titles, key=sort_key) == ["Andai dance", "昆曲", "Kunqu opera", "乌兰牧骑"]


def test_field_tokens_is_analyze_pinyin_and_chars_in_one_pass() -> None:
    text = "崑曲 Kunqu 年"
    assert field_tokens(text, pinyin=True, chars=True) == title_tokens(text)
    assert field_tokens(text) == analyze(text)


def test_characters_assumed_to_fold_one_to_one_do() -> None:
    """Highlighting skips per-character bookkeeping for text made only of these characters."""
    one_to_one = [chr(c) for c in range(0x10000) if _ONE_TO_ONE_RE.fullmatch(chr(c))]
    assert len(one_to_one) > 20000
    assert [c for c in one_to_one if len(_fold_basic(c)) != 1] == []


REPO = Path(__file__).resolve().parents[3]


def test_pinyin_loads_at_first_use_or_when_warmed_not_on_import() -> None:
    """Importing the analyser (every command that searches or ingests) does not load pypinyin's
    dictionaries (~0.3 s); `warm()` (a server's start) or the first Han text does."""
    code = (
        "import sys; import search.analysis as a; before = 'pypinyin' in sys.modules; "
        "a.warm(); print(before, 'pypinyin' in sys.modules, a.analyze('剪纸')[:1])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.split()[:2] == ["False", "True"]
