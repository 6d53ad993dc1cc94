"""The one text analyser every search backend shares.

Index time, `analyze` turns text into plain tokens: NFKC, case and accent folding, traditional →
simplified (OpenCC, phrase-aware), runs of CJK characters → overlapping bigrams (a lone character
stays a unigram), Latin/digit words → folded words with a small, predictable English stemmer and a
short stop list. `pinyin_tokens` adds toneless pinyin for titles, people and places (each CJK
bigram → its joined pinyin, e.g. 昆曲 → kunqu) and `char_tokens` adds single CJK characters for the
short fields, so a one-character query has something to match. Every token is made of letters and
digits only, so SQLite FTS5 and a `whitespace`-analysed Elasticsearch/OpenSearch field keep it
intact: backends index `" ".join(tokens)` and never analyse again.

Query time, `analyze_query` turns ANY user input into a `QueryPlan` (a small tree of phrases,
all-of and any-of nodes). Input is only ever text: operators, quotes, brackets and JSON of any
engine are folded away like other punctuation, so nothing reaches an engine as syntax.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache

import opencc

# Han ideographs (CJK unified + extensions, compatibility ideographs) and 〇.
_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U000323af"
# Characters that are cut into bigrams: Han, kana and Hangul (none of them space-separated).
_CJK = _HAN + "\u3040-\u30ff\u31f0-\u31ff\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"
_TOKEN_RE = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")
_HAN_RE = re.compile(f"[{_HAN}]")
_CJK_TOKEN_RE = re.compile(f"[{_CJK}]+")
_HAN_RUN_RE = re.compile(f"[{_HAN}]+")
_MARKS_RE = re.compile("[\u0300-\u036f]")
# An apostrophe between letters joins them: dragon's → dragons, xi'an → xian.
_APOSTROPHE_RE = re.compile(r"(?<=[^\W\d_])['\u2019](?=[^\W\d_])")
# Characters that fold to exactly one character each (checked by the unit tests): plain text in
# them needs no per-character bookkeeping to map folded positions back to the original.
_ONE_TO_ONE_RE = re.compile(
    "[\x00-\x7f\u00b7\u2013\u2014\u2018\u2019\u201c\u201d\u3000-\u303f"
    "\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff5e]*"
)
_CJK_SPACE_RE = re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])")
QUOTED_RE = re.compile(
    r'"([^"]*)"|\u201c([^\u201d]*)\u201d|\u300c([^\u300d]*)\u300d|\u300e([^\u300f]*)\u300f'
)

STOPWORDS = frozenset(
    ("a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "in")
    + ("into", "is", "it", "its", "of", "on", "or", "that", "the", "their", "this", "to", "was")
    + ("were", "will", "with")
)

MAX_QUERY_CHARS = 500
"""Longer queries are cut here: nobody types more, and it bounds the work one request can cause."""
MAX_CLAUSES = 16
MAX_PHRASE_TOKENS = 32
_MAX_SEGMENTATIONS = 4


# ---------------------------------------------------------------------------------- folding


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _t2s(text: str) -> str:
    return str(_converter().convert(text))


def _fold_basic(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    text = _MARKS_RE.sub("", unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """NFKC, case folding, accent folding, traditional → simplified, inner apostrophes removed."""
    text = _fold_basic(text)
    if not text.isascii() and _HAN_RE.search(text):
        text = _t2s(text)
    if "'" in text or "\u2019" in text:
        text = _APOSTROPHE_RE.sub("", text)
    return text


# ---------------------------------------------------------------------------------- words


@cache
def pinyin_syllables() -> frozenset[str]:
    """Toneless pinyin syllables (ü folded to u), read from pypinyin's own dictionary."""
    from pypinyin.pinyin_dict import pinyin_dict  # loaded when first needed (see _run_syllables)

    syllables: set[str] = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            plain = _fold_basic(reading)
            if plain.isascii() and plain.isalpha() and any(v in plain for v in "aeiou"):
                syllables.add(plain)
    return frozenset(syllables)


@lru_cache(maxsize=65536)
def pinyin_segmentations(word: str) -> tuple[tuple[str, ...], ...]:
    """Ways to read a folded Latin word as pinyin syllables, fewest syllables first (at most 4)."""
    if not (word.isascii() and word.isalpha()) or len(word) > 36:
        return ()
    syllables = pinyin_syllables()
    found: list[tuple[str, ...]] = []

    def walk(start: int, path: tuple[str, ...]) -> None:
        if len(found) >= 64:
            return
        if start == len(word):
            found.append(path)
            return
        for end in range(min(len(word), start + 6), start, -1):
            if word[start:end] in syllables:
                walk(end, (*path, word[start:end]))

    walk(0, ())
    found.sort(key=len)
    return tuple(found[:_MAX_SEGMENTATIONS])


def is_pinyin(word: str) -> bool:
    return bool(pinyin_segmentations(word))


def _undouble(stem: str) -> str:
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "aeioulsz":
        return stem[:-1]
    return stem


def stem(word: str) -> str:
    """Light English stemming: plurals, -ing, -ed, final -e. Pinyin and short words stay as is.

    Deliberately tiny so that anyone can predict it: dances/dancing/danced/dance → danc,
    stories → story, cutting → cut, boxes → box. Pinyin written in Latin text is stemmed the same
    way on both sides; the pinyin of Han text (`pinyin_tokens`) never is.
    """
    if len(word) <= 3 or not (word.isascii() and word.isalpha()):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith(("shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    elif word.endswith("ing") and len(word) >= 6 and _has_vowel(word[:-3]):
        word = _undouble(word[:-3])
    elif word.endswith("ed") and len(word) >= 5 and _has_vowel(word[:-2]):
        word = _undouble(word[:-2])
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def _has_vowel(text: str) -> bool:
    return any(v in text for v in "aeiouy")


def _word_token(word: str) -> str | None:
    """The token of one folded Latin/digit word, or None for a stop word."""
    if word in STOPWORDS:
        return None
    return stem(word)


def _cjk_tokens(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


# ---------------------------------------------------------------------------------- index time


Segments = list[tuple[str, str]]
"""(CJK run, '') or ('', word) pairs of folded text, in order."""


def _segments(text: str) -> Segments:
    return _TOKEN_RE.findall(fold(text))


def _base_tokens(segments: Segments) -> list[str]:
    tokens: list[str] = []
    for run, word in segments:
        if run:
            tokens.extend(_cjk_tokens(run))
        elif (token := _word_token(word)) is not None:
            tokens.append(token)
    return tokens


def _pinyin_of(segments: Segments) -> list[str]:
    tokens: list[str] = []
    for run, _ in segments:
        for han in _HAN_RUN_RE.findall(run):
            if syllables := _run_syllables(han):
                tokens.extend(_syllable_tokens(syllables))
    return tokens


def _chars_of(segments: Segments) -> list[str]:
    return [ch for run, _ in segments if len(run) > 1 for ch in run]


def analyze(text: str) -> list[str]:
    """Index-time tokens of any text, in order (positions matter for phrases)."""
    return _base_tokens(_segments(text))


def pinyin_tokens(text: str) -> list[str]:
    """Pinyin of each Han run: joined syllable pairs (昆曲 → kunqu), a lone character's syllable."""
    return _pinyin_of(_segments(text))


def char_tokens(text: str) -> list[str]:
    """Every CJK character on its own, so a one-character query can match a short field."""
    return _chars_of(_segments(text))


def field_tokens(text: str, *, pinyin: bool = False, chars: bool = False) -> list[str]:
    """`analyze`, then optionally `pinyin_tokens` and `char_tokens`, folding the text once."""
    segments = _segments(text)
    tokens = _base_tokens(segments)
    if pinyin:
        tokens += _pinyin_of(segments)
    if chars:
        tokens += _chars_of(segments)
    return tokens


@lru_cache(maxsize=131072)
def _run_syllables(run: str) -> tuple[str, ...] | None:
    """Toneless syllables of a Han run, one per character, or None when pypinyin cannot say.

    pypinyin is imported here, at the first Han text analysed, not with this module: its
    phrase dictionary takes ~0.3 s to load, which every command importing the analyser (an
    ingest before its workers start, `heritage search`) would otherwise pay up front."""
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(run, style=Style.NORMAL, v_to_u=True, errors="default")
    if len(syllables) != len(run):
        return None
    folded = tuple(_fold_basic(s) for s in syllables)
    if not all(s.isascii() and s.isalpha() for s in folded):
        return None
    return folded


def warm() -> None:
    """Load what the analyser loads on first use (OpenCC's tables, pypinyin's dictionaries,
    ~0.3 s): a server calls it at start, so its first request does not pay for it."""
    _converter()
    _run_syllables("中文")


def _syllable_tokens(syllables: tuple[str, ...]) -> list[str]:
    if len(syllables) == 1:
        return [syllables[0]]
    return [syllables[i] + syllables[i + 1] for i in range(len(syllables) - 1)]


def sort_key(text: str) -> str:
    """A title as sortable text: Chinese by pinyin, mixed with Latin words alphabetically."""
    words: list[str] = []
    for run, word in _segments(text):
        if word:
            words.append(word)
            continue
        position = 0
        for han in _HAN_RUN_RE.finditer(run):
            words.extend(run[position : han.start()])
            words.extend(_run_syllables(han.group()) or han.group())
            position = han.end()
        words.extend(run[position:])
    return " ".join(words)[:100]


# ---------------------------------------------------------------------------------- spans


@dataclass
class Stream:
    """One token stream of a text, each token with its [start, end) range in the ORIGINAL text."""

    tokens: list[str]
    starts: list[int]
    ends: list[int]


_fold_char = lru_cache(maxsize=65536)(_fold_basic)


def fold_with_offsets(text: str) -> tuple[str, list[int] | None]:
    """`fold(text)` and, for each of its characters, where it came from (None: same place)."""
    normal = _fold_basic(text)
    offsets: list[int] | None = None
    if len(normal) != len(text) or not _ONE_TO_ONE_RE.fullmatch(text):
        chars: list[str] = []
        offsets = []
        for index, ch in enumerate(text):
            folded = _fold_char(ch)
            chars.append(folded)
            offsets.extend([index] * len(folded))
        normal = "".join(chars)
    if not normal.isascii() and _HAN_RE.search(normal):
        converted = _t2s(normal)
        if len(converted) != len(normal):  # a phrase changed length: convert char by char
            converted = "".join(c if len(c := _t2s(ch)) == 1 else ch for ch in normal)
        normal = converted
    drop = [m.start() for m in _APOSTROPHE_RE.finditer(normal)]
    if drop:
        if offsets is None:
            offsets = list(range(len(normal)))
        for index in reversed(drop):
            normal = normal[:index] + normal[index + 1 :]
            del offsets[index]
    return normal, offsets


def is_cjk_token(token: str) -> bool:
    """A token cut from a CJK run: always a substring of the folded text it came from."""
    return _CJK_TOKEN_RE.fullmatch(token) is not None


def token_streams(
    text: str,
    *,
    pinyin: bool = False,
    chars: bool = False,
    screen: Callable[[str], bool] | None = None,
) -> list[Stream]:
    """The streams `analyze` (and `pinyin_tokens`, `char_tokens`) yield, with source ranges.

    Used by highlighting to mark exactly what the analyser matched in the original text.
    `screen` sees the folded text first: when it says no, no streams are made (a highlighter's
    quick answer for a text that cannot hold its tokens; most texts of a page cannot).
    """
    normal, offsets = fold_with_offsets(text)
    if screen is not None and not screen(normal):
        return []
    streams = [Stream([], [], []) for _ in range(3)]
    base, pinyin_stream, char_stream = streams
    for match in _TOKEN_RE.finditer(normal):
        run, word = match.groups()
        start = match.start()
        if word:
            token = _word_token(word)
            if token:
                base.tokens.append(token)
                base.starts.append(start)
                base.ends.append(match.end())
            continue
        size = len(run)
        if size == 1:
            base.tokens.append(run)
            base.starts.append(start)
            base.ends.append(start + 1)
        else:
            base.tokens.extend([run[i : i + 2] for i in range(size - 1)])
            base.starts.extend(range(start, start + size - 1))
            base.ends.extend(range(start + 2, start + size + 1))
            if chars:
                char_stream.tokens.extend(run)
                char_stream.starts.extend(range(start, start + size))
                char_stream.ends.extend(range(start + 1, start + size + 1))
        if pinyin:
            _add_pinyin(run, start, pinyin_stream)
    if offsets is not None:
        for stream in streams:
            stream.starts = [offsets[i] for i in stream.starts]
            stream.ends = [offsets[i - 1] + 1 for i in stream.ends]
    return [stream for stream in streams if stream.tokens]


def _add_pinyin(run: str, offset: int, stream: Stream) -> None:
    for han in _HAN_RUN_RE.finditer(run):
        syllables = _run_syllables(han.group())
        if not syllables:
            continue
        tokens = _syllable_tokens(syllables)
        start = offset + han.start()
        width = 1 if len(syllables) == 1 else 2
        stream.tokens.extend(tokens)
        stream.starts.extend(range(start, start + len(tokens)))
        stream.ends.extend(range(start + width, start + width + len(tokens)))


# ---------------------------------------------------------------------------------- query time


@dataclass(frozen=True)
class Phrase:
    """Tokens that must occur next to each other, in one field. One token = a plain term."""

    tokens: tuple[str, ...]


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    options: tuple[Node, ...]


Node = Phrase | AllOf | AnyOf


@dataclass(frozen=True)
class QueryPlan:
    """What a query means, independent of any engine.

    `must`: every clause must match (AND across the query's words), each anywhere in the document.
    `boost`: optional phrase of all the words; documents containing it rank before the others.
    An empty plan (no searchable text) means "everything", like an empty query.
    """

    must: tuple[Node, ...] = ()
    boost: Phrase | None = None

    @property
    def empty(self) -> bool:
        return not self.must

    def phrases(self) -> list[Phrase]:
        """Every phrase in the plan (what highlighting marks)."""
        found: list[Phrase] = []
        stack: list[Node] = list(self.must)
        while stack:
            node = stack.pop()
            if isinstance(node, Phrase):
                found.append(node)
            elif isinstance(node, AllOf):
                stack.extend(node.parts)
            else:
                stack.extend(node.options)
        return found


def _any(options: list[Node]) -> Node:
    flat = [o for node in options for o in (node.options if isinstance(node, AnyOf) else (node,))]
    unique = list(dict.fromkeys(flat))
    return unique[0] if len(unique) == 1 else AnyOf(tuple(unique))


def _all(parts: list[Node]) -> Node | None:
    flat = [p for node in parts for p in (node.parts if isinstance(node, AllOf) else (node,))]
    unique = list(dict.fromkeys(flat))
    if not unique:
        return None
    return unique[0] if len(unique) == 1 else AllOf(tuple(unique))


def _pinyin_phrases(word: str) -> list[Node]:
    return [
        Phrase(tuple(_syllable_tokens(s))[:MAX_PHRASE_TOKENS]) for s in pinyin_segmentations(word)
    ]


def _word_clause(word: str) -> Node | None:
    """A Latin word: its stemmed term, or (when it reads as pinyin) the pinyin of a Han run."""
    token = _word_token(word)
    if token is None:
        return None
    return _any([Phrase((token,)), *_pinyin_phrases(word)])


def _chunk_clause(words: list[str]) -> Node | None:
    """Several words read together: each word on its own, or all joined as one pinyin word."""
    separate = _all([c for w in words if (c := _word_clause(w))])
    joined = _pinyin_phrases("".join(words))
    options = ([separate] if separate else []) + joined
    return _any(options) if options else None


def _run_clause(words: list[str]) -> Node | None:
    """A run of adjacent pinyin-like words: `kun qu`, `beijing kun qu`, `piying xi`."""
    chunks: list[list[str]] = []
    for word in words:
        single = len(pinyin_segmentations(word)[0]) == 1
        if single and chunks and len(pinyin_segmentations(chunks[-1][-1])[0]) == 1:
            chunks[-1].append(word)
        else:
            chunks.append([word])
    parts = [
        c
        for chunk in chunks
        if (c := _chunk_clause(chunk) if len(chunk) > 1 else _word_clause(chunk[0]))
    ]
    chunked = _all(parts)
    options = ([chunked] if chunked else []) + _pinyin_phrases("".join(words))
    return _any(options) if options else None


def _words_clauses(words: list[str]) -> list[Node]:
    clauses: list[Node] = []
    index = 0
    while index < len(words):
        end = index
        while end < len(words) and is_pinyin(words[end]):
            end += 1
        if end - index >= 2:
            clause = _run_clause(words[index:end])
            index = end
        else:
            clause = _word_clause(words[index])
            index += 1
        if clause:
            clauses.append(clause)
    return clauses


def _unquoted_clauses(text: str) -> list[Node]:
    clauses: list[Node] = []
    words: list[str] = []
    for match in _TOKEN_RE.finditer(fold(text)):
        run, word = match.groups()
        if word:
            words.append(word)
            continue
        clauses.extend(_words_clauses(words))
        words = []
        clauses.append(Phrase(tuple(_cjk_tokens(run))[:MAX_PHRASE_TOKENS]))
    clauses.extend(_words_clauses(words))
    return clauses


def analyze_query(text: str) -> QueryPlan:
    """Turn any user input into a QueryPlan; never raises, never passes syntax through.

    Words are ANDed; a CJK word is the phrase of its bigrams; "double-quoted text" is a phrase;
    Latin words that read as pinyin also match the Han text they spell (kunqu, kun qu, Kūnqǔ).
    """
    if not isinstance(text, str):
        return QueryPlan()
    text = text[:MAX_QUERY_CHARS]
    clauses: list[Node] = []
    loose: list[str] = []
    position = 0
    for match in QUOTED_RE.finditer(text):
        loose.append(text[position : match.start()])
        clauses.extend(_unquoted_clauses(text[position : match.start()]))
        tokens = analyze(next(g for g in match.groups() if g is not None))
        if tokens:
            clauses.append(Phrase(tuple(tokens[:MAX_PHRASE_TOKENS])))
        position = match.end()
    loose.append(text[position:])
    clauses.extend(_unquoted_clauses(text[position:]))
    must = tuple(dict.fromkeys(clauses))[:MAX_CLAUSES]
    boost = None
    if len(must) >= 2:
        tokens = analyze(_CJK_SPACE_RE.sub("", " ".join(loose)))
        if len(tokens) >= 2:
            boost = Phrase(tuple(tokens[:MAX_PHRASE_TOKENS]))
    return QueryPlan(must, boost)
