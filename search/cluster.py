"""What Elasticsearch and OpenSearch share: the mapping, the query builder and `ClusterIndex`.

Text is analysed in Python (`search.analysis`, via `search.documents.to_document`); the engines
only index the ready-made token strings with the `whitespace` analyzer and never analyse again,
so neither needs a plugin, the `cjk` analyzer, painless or update_by_query. The query builder
turns the analyser's `QueryPlan` into bool / dis_max / match_phrase queries over those token
fields with the shared field boosts; user text only ever becomes a term or phrase value, never
query_string syntax. Matching, visibility, drill-sideways facet counts and sort orders follow
`SqliteIndex` exactly, so every backend returns the same hit sets. Relevance order is tiered too,
but more finely than the contract in `search.documents` (see `text_query`).

The index lives behind an alias: `rebuild` fills `<name>-v<timestamp>`, then swaps the alias
atomically and drops the old index, so searches never see an empty index.

Deep pages: the protocol pages by page/size. Up to `index.max_result_window` (10 000, left at
its default) a page is one from/size request. Beyond it, a field sort first asks for the total
and the facet counts alone (`size` 0: no hit is ranked, and the engine's request cache may keep
the answer), and the same request counts the hits per bucket of the sort value in sort order
(`rank_aggregations`, `RANKINGS`): per year for the date sorts, per day of `modified`
(`MODIFIED_KEY`), and for titles per range of `TITLE_CODE` (the first six pinyin syllables of
`title_sort` as one number) between the index's quantiles, so that each range holds about
`RANGE_DEPTH` documents (`ClusterIndex._quantiles`; both keys are numbers that never decrease
as the value sorts later, so ties share a bucket). The buckets give the page's
first and last hit's buckets and the hits before them; the page is a from/size into the hits of
those buckets (`rank_filter`; plus the hits without a value, first for titles and last for
dates, when the page reaches them): two requests, the second over a few hundred hits. When that
from/size is still past the window (one bucket, or the hits without a value, holding more than
10 000 hits; an index written before the keys, until `heritage reindex`; or more buckets than
the cluster's `search.max_buckets` allows), it jumps a window
at a time: one request reads only the window's last hit, the next filters to what sorts after
it (`after_filter`) and goes on with from/size. Relevance order cannot be filtered on, so it
walks with `search_after` in 10 000-hit steps that fetch only sort values. Raising
`max_result_window` was rejected: it is a per-index knob a managed cluster may cap, and a deep
from/size makes every shard hold from+size entries in one request's heap; with the counts a
field-sorted page needs it only inside a bucket of more than 10 000 hits.

OAI-PMH lists: documents are stored in list order, (datestamp, id) (`index.sort`, `OAI_SORT`),
so a list page stops reading once it holds its hits, and its cursor is also a range on the
datestamp in seconds (`DATESTAMP_SECONDS`), so the hits before the cursor are never visited: a
page costs the same at any size (bench/bench_oai.py). An index's sort is fixed when it is made:
an index made by an earlier version works on, but reads through all its documents for every OAI
page, until `heritage reindex` builds a sorted one. An index has one sort; the field-sorted
search pages above do not need it (they count buckets instead).
"""

from __future__ import annotations

import json
import re
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import pairwise
from typing import Any

from schemas.errors import InvalidInput, Unavailable
from search.analysis import AllOf, AnyOf, Node, Phrase, QueryPlan, analyze_query
from search.base import (
    Audience,
    FacetValue,
    Hit,
    OaiHeader,
    OaiSlice,
    RelatedItem,
    RelatedTerms,
    SearchQuery,
    SearchResult,
    YearSpan,
    check_query,
    check_related_limit,
    related_reason,
    related_terms,
)
from search.documents import FIELD_BOOSTS, TEXT_FIELDS, to_document
from search.highlight import highlights_for
from search.understand import resolve_dates

RESULT_WINDOW = 10_000
"""Elasticsearch's and OpenSearch's default `index.max_result_window`: deepest from+size."""
BULK_CHUNK = 500
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,200}$")

KEYWORD_FIELDS: tuple[str, ...] = (
    "id",
    "collection",
    "category",
    "media_type",
    "region",
    "access",
    "status",
    "institution",
    "embargo_until",
    "decade",
    "project",
    "bearer",
    "place",
    "modified",
    "datestamp",
    "title_sort",
)
"""Exact-value fields. No lowercase normalizer: SQLite filters and counts them verbatim, and a
normalizer would change the facet values shown (a region "Inner Mongolia" → "inner mongolia")."""
YEAR_FIELDS: tuple[str, ...] = ("year_min", "year_max", "date_sort")
DATESTAMP_SECONDS = "datestamp_seconds"
"""The datestamp as Unix seconds, for an OAI cursor's range (`ClusterIndex.oai_headers`): a
range of numbers costs the same however many distinct datestamps it spans; one over the
`datestamp` keyword enumerates them all."""
TITLE_CODE = "title_code"
"""`title_sort` read as its first words, one number in the keyword's order (`title_code`), so
that equal-depth ranges of the number can count a title sort's hits (`RANKINGS`)."""
_SYLLABLES = """
0 1 2 3 4 5 6 7 8 9 a ai an ang ao ba bai ban bang bao bei ben beng bi bian biang biao bie bin
bing bo bong bu ca cai can cang cao ce cei cen ceng cha chai chan chang chao che chen cheng chi
chong chou chu chua chuai chuan chuang chui chun chuo ci cong cou cu cuan cui cun cuo da dai dan
dang dao de dei den deng di dia dian diao die din ding diu dong dou du duan dui dun duo e ei en
eng er fa fan fang fei fen feng fiao fo fou fu ga gai gan gang gao ge gei gen geng gong gou gu
gua guai guan guang gui gun guo ha hai han hang hao he hei hen heng hong hou hu hua huai huan
huang hui hun huo ji jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan kang
kao ke kei ken keng kong kou ku kua kuai kuan kuang kui kun kuo la lai lan lang lao le lei len
leng li lia lian liang liao lie lin ling liu lo long lou lu luan lue lun luo ma mai man mang mao
me mei men meng mi mian miao mie min ming miu mo mou mu na nai nan nang nao ne nei nen neng ni
nia nian niang niao nie nin ning niu nong nou nu nuan nue nun nuo o ou pa pai pan pang pao pei
pen peng pi pian piao pie pin ping po pou pu qi qia qian qiang qiao qie qin qing qiong qiu qu
quan que qun ran rang rao re ren reng ri rong rou ru rua ruan rui run ruo sa sai san sang sao se
sen seng sha shai shan shang shao she shei shen sheng shi shou shu shua shuai shuan shuang shui
shun shuo si song sou su suan sui sun suo ta tai tan tang tao te tei teng ti tian tiao tie ting
tong tou tu tuan tui tun tuo wa wai wan wang wei wen weng wo wong wu xi xia xian xiang xiao xie
xin xing xiong xiu xu xuan xue xun ya yan yang yao ye yi yin ying yo yong you yu yuan yue yun za
zai zan zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe zhei zhen zheng zhi zhong zhou zhu
zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu zuan zui zun zuo
"""
TITLE_WORDS: tuple[str, ...] = tuple(sorted(_SYLLABLES.split()))
"""The words `title_code` spells titles with: the toneless pinyin syllables (`sort_key` writes
Chinese titles as these) and the digits. Frozen here, not read from pypinyin: a document's code
must not change with a library's version while the index holds it. A Latin-script sort title
(a record with no Chinese title) ends its code at its first word that is no syllable: every
title beginning with "the" shares one code, and a page inside more than 10 000 of them jumps."""
TITLE_CODE_WORDS = 6
"""Words a code holds: (len(TITLE_WORDS) + 1) ** 6 < 2**53, exact as a double (the engines'
range aggregation compares doubles)."""
MODIFIED_KEY = "modified_key"
"""`modified` as the decimal number YYYYMMDD S hhmmss (S: the date/time separator's rank), in
the text's order, for counting a modified sort's hits per day (`RANKINGS`)."""
_MODIFIED_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})([ Tt])"
    r"([0-9]{2}):([0-9]{2}):([0-9]{2})"
)
_SEPARATOR_RANK = {" ": "0", "T": "1", "t": "2"}
STORED_FIELDS: tuple[str, ...] = ("summary", "display")
"""Kept in _source for hits and the shared highlighter, not indexed: as JSON text, because an
engine may re-serialise an object's keys in another order (OpenSearch does when it filters
_source), and the highlighter picks between languages in key order."""

# Relevance tiers by field group, best first (see `text_query`).
TIER_GROUPS: tuple[tuple[str, ...], ...] = (
    ("t_title",),
    ("t_people", "t_places"),
    ("t_subjects",),
    ("t_description",),
    ("t_text",),
)
TIER_STEP = 16384.0
"""Score added per tier above the last: larger than any BM25 sum a query yields, small enough
that float32 scores still tell BM25 apart within a tier."""
MATCH_FIELD = "t_all"
"""Every t_* field copied into one (`copy_to`): which documents match is decided here with one
leaf query per phrase. Values stay 100 positions apart, so a phrase never spans two fields."""
MAX_LEAVES = 1000
"""Leaf queries (terms, phrases) per search, under OpenSearch's default limit of 1024. Scoring
repeats the plan per field (6 leaves a phrase) and per tier (6 more): for a very long query,
tiers and then field scoring are left out; the hits stay the same, only their order is plainer."""


OAI_SORT: tuple[tuple[str, str], ...] = (("datestamp", "asc"), ("id", "asc"))
"""The OAI-PMH list order, and the order documents are stored in (`index.sort`)."""


class ClusterError(Unavailable):
    """The engine could not be reached or refused a request; the message names its URL."""


# ---------------------------------------------------------------------------------- mapping


def index_body(*, loading: bool = False) -> dict[str, Any]:
    """Settings and mapping of one versioned index. `loading` turns refresh off for a rebuild.

    One shard: a catalogue of millions of records fits one shard, and terms aggregations are
    exact only on one shard. Replicas 0 on a single node, 1 as soon as there is a second.
    Documents are stored in OAI order (`OAI_SORT`), so an OAI page stops reading once it has its
    hits (`ClusterIndex.oai_headers`).
    """
    settings: dict[str, Any] = {"number_of_shards": 1, "auto_expand_replicas": "0-1"}
    settings["sort"] = {"field": [f for f, _ in OAI_SORT], "order": [o for _, o in OAI_SORT]}
    if loading:
        settings["refresh_interval"] = "-1"
    properties: dict[str, Any] = {name: {"type": "keyword"} for name in KEYWORD_FIELDS}
    numbers = (*YEAR_FIELDS, DATESTAMP_SECONDS, TITLE_CODE, MODIFIED_KEY)
    properties |= {name: {"type": "long"} for name in numbers}
    properties |= {
        name: {"type": "text", "analyzer": "whitespace", "copy_to": MATCH_FIELD}
        for name in TEXT_FIELDS
    }
    properties[MATCH_FIELD] = {"type": "text", "analyzer": "whitespace", "norms": False}
    properties |= {
        name: {"type": "keyword", "index": False, "doc_values": False} for name in STORED_FIELDS
    }
    return {
        "settings": {"index": settings},
        "mappings": {
            "dynamic": "strict",
            # Token strings are only for matching; the record store is the source of truth.
            "_source": {"excludes": list(TEXT_FIELDS)},
            "properties": properties,
        },
    }


def to_source(record: Mapping[str, Any]) -> dict[str, Any]:
    """The document sent to the engine for one record: `to_document`'s fields, decades as text."""
    doc = to_document(record)
    source = {name: doc[name] for name in (*KEYWORD_FIELDS, *YEAR_FIELDS, *TEXT_FIELDS)}
    source["decade"] = [str(d) for d in doc["decade"]]
    source[DATESTAMP_SECONDS] = unix_seconds(doc["datestamp"])
    source[TITLE_CODE] = title_code(doc["title_sort"])
    source[MODIFIED_KEY] = modified_key(doc["modified"])
    source |= {name: json.dumps(doc[name], ensure_ascii=False) for name in STORED_FIELDS}
    return source


def unix_seconds(datestamp: str) -> int:
    """A datestamp (`search.documents.oai_datestamp`: UTC seconds, ending in Z) as Unix seconds."""
    return int(datetime.strptime(datestamp, "%Y-%m-%dT%H:%M:%S%z").timestamp())


def title_code(title_sort: str, words: tuple[str, ...] = TITLE_WORDS) -> int:
    """`TITLE_CODE` of a sort title: the place, among all texts of up to `TITLE_CODE_WORDS`
    `words` joined by single spaces, of the last such text not sorting after `title_sort`.

    A floor in an ordered set never decreases as its argument sorts later, so a title sorting
    later never gets a smaller code, whatever it holds: a word not in `words` ends the exact
    part (the code takes the last word before it, then the largest or no continuation).
    The place is a number in base len(words) + 1, a word's digit its rank from 1, 0 for none:
    the digits compare as the texts do, because a space sorts before every letter and digit.
    """
    digits: list[int] = []
    rest = title_sort
    while rest and len(digits) < TITLE_CODE_WORDS:
        rank = bisect_right(words, rest)  # words[rank - 1] is the last word <= rest
        if not rank:
            break
        word = words[rank - 1]
        digits.append(rank)
        if rest == word:
            break
        if rest.startswith(word + " "):
            rest = rest[len(word) + 1 :]
            continue
        if not (rest.startswith(word) and rest[len(word)] < " "):
            # rest passes `word` with a letter: every text word + " " + … sorts before it
            digits += [len(words)] * (TITLE_CODE_WORDS - len(digits))
        break
    digits += [0] * (TITLE_CODE_WORDS - len(digits))
    code = 0
    for digit in digits:
        code = code * (len(words) + 1) + digit
    return code


def modified_key(modified: str) -> int | None:
    """`MODIFIED_KEY` of an RFC 3339 date-time: its first 19 characters as fixed-width digits,
    so the key orders as the text does (time zones are not converted: the sort is by text).
    None when the text does not start so; `ClusterIndex.search` then pages without counts."""
    found = _MODIFIED_RE.match(modified)
    if found is None:
        return None
    year, month, day, separator, *clock = found.groups()
    return int(year + month + day + _SEPARATOR_RANK[separator] + "".join(clock))


# ---------------------------------------------------------------------------------- text


def _leaf(phrase: Phrase, field: str) -> dict[str, Any]:
    """One term or match_phrase; the tokens are values, never parsed as query syntax."""
    spec: dict[str, Any] = {"boost": FIELD_BOOSTS[field]} if field in FIELD_BOOSTS else {}
    if len(phrase.tokens) == 1:
        return {"term": {field: {"value": phrase.tokens[0], **spec}}}
    return {"match_phrase": {field: {"query": " ".join(phrase.tokens), **spec}}}


def node_query(node: Node, fields: Iterable[str]) -> dict[str, Any]:
    """A plan node over `fields`: a phrase must match inside one field (best one scores)."""
    fields = tuple(fields)
    if isinstance(node, Phrase):
        leaves = [_leaf(node, f) for f in fields]
        return leaves[0] if len(leaves) == 1 else {"dis_max": {"queries": leaves}}
    if isinstance(node, AllOf):
        return {"bool": {"must": [node_query(p, fields) for p in node.parts]}}
    if isinstance(node, AnyOf):
        return {
            "bool": {
                "should": [node_query(o, fields) for o in node.options],
                "minimum_should_match": 1,
            }
        }
    raise TypeError(f"not a query plan node: {node!r}")


def leaf_count(node: Node, fields: tuple[str, ...]) -> int:
    """Leaf queries `node_query(node, fields)` holds (what the engines' clause limit counts)."""
    if isinstance(node, Phrase):
        return len(fields)
    parts = node.parts if isinstance(node, AllOf) else node.options
    return sum(leaf_count(part, fields) for part in parts)


def _must(plan: QueryPlan) -> Node:
    return plan.must[0] if len(plan.must) == 1 else AllOf(plan.must)


def _tiers(plan: QueryPlan) -> list[tuple[Node, tuple[str, ...]]]:
    """(node, fields) per relevance tier, best first; the last tier (anywhere) is implicit."""
    tiers: list[tuple[Node, tuple[str, ...]]] = []
    for group in TIER_GROUPS:
        if plan.boost:
            tiers.append((plan.boost, group))
        tiers.append((_must(plan), group))
    return tiers


def text_query(plan: QueryPlan, *, scored: bool) -> dict[str, Any]:
    """Every clause of the plan required, anywhere; scored = tiered BM25 with field boosts.

    Tiers, per field group of TIER_GROUPS in turn: the boost phrase (all words, in order) in
    the group, then the whole query in the group; a match in no single group comes last. A
    document gets the bonus of its best tier (dis_max of constant scores) on top of its BM25
    score over the boosted fields (FIELD_BOOSTS); `sort_spec` breaks ties by id. Matching itself
    is one pass over MATCH_FIELD.

    The first two tiers are the contract's (`search.documents`; SqliteIndex): whole query in the
    title, boost phrase first. After them the contract has only two more, the boost phrase
    anywhere, then the rest; here the people/places, subjects, description and text groups
    each get their own pair, so e.g. the whole query in people/places without the boost phrase
    ranks above the boost phrase in the description, the other way round from SqliteIndex.
    """
    must = _must(plan)
    match = node_query(must, (MATCH_FIELD,))
    if not scored:
        return match
    budget = MAX_LEAVES - leaf_count(must, (MATCH_FIELD,))
    should: list[dict[str, Any]] = []
    if leaf_count(must, TEXT_FIELDS) <= budget:
        should.append(node_query(must, TEXT_FIELDS))
        budget -= leaf_count(must, TEXT_FIELDS)
        tiers = _tiers(plan)
        if sum(leaf_count(node, fields) for node, fields in tiers) <= budget:
            bonus = [
                {
                    "constant_score": {
                        "filter": node_query(node, fields),
                        "boost": TIER_STEP * (len(tiers) - rank),
                    }
                }
                for rank, (node, fields) in enumerate(tiers)
            ]
            should.append({"dis_max": {"queries": bonus}})
    return {"bool": {"filter": [match], "should": should}}


# ---------------------------------------------------------------------------------- filters


def visibility_filter(audience: Audience, today: date) -> dict[str, Any] | None:
    """Who sees what: `search.base.is_visible` as a query; None when the audience sees all."""
    if audience.everyone:
        return None
    public = {
        "bool": {
            "filter": [
                {"term": {"status": "published"}},
                {"term": {"access": "public"}},
                {
                    "bool": {
                        "should": [
                            {"bool": {"must_not": {"exists": {"field": "embargo_until"}}}},
                            {"range": {"embargo_until": {"lte": today.isoformat()}}},
                        ],
                        "minimum_should_match": 1,
                    }
                },
            ]
        }
    }
    if audience.institution is None:
        return public
    own: dict[str, Any] = {"term": {"institution": audience.institution}}
    if not audience.restricted:
        own = {"bool": {"filter": [own], "must_not": [{"term": {"access": "restricted"}}]}}
    return {"bool": {"should": [public, own], "minimum_should_match": 1}}


def year_filters(
    year_from: int | None, year_to: int | None, periods: Iterable[YearSpan] = ()
) -> list[dict[str, Any]]:
    """The item's [year_min, year_max] must overlap [year_from, year_to] and meet each period
    (see YearSpan for the era rule); undated never does."""
    found: list[dict[str, Any]] = []
    for span in (YearSpan(year_from, year_to), *periods):
        start, end = span.start, span.end
        if not span.era:
            if start is not None:
                found.append({"range": {"year_max": {"gte": start}}})
            if end is not None:
                found.append({"range": {"year_min": {"lte": end}}})
            continue
        if start is not None and end is not None:  # within, or beyond one shared end year
            within = [_range("year_min", gte=start), _range("year_max", lte=end)]
            options = [within, [_range("year_min", lt=end), _range("year_max", gt=start)]]
        elif start is not None:
            options = [[_range("year_min", gte=start)], [_range("year_max", gt=start)]]
        elif end is not None:
            options = [[_range("year_max", lte=end)], [_range("year_min", lt=end)]]
        else:
            continue
        found.append(_any_of([_all_of(option) for option in options]))
    return found


def _range(name: str, **bound: int) -> dict[str, Any]:
    return {"range": {name: bound}}


def _any_of(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


# ---------------------------------------------------------------------------------- search


def oai_filter(where: OaiSlice) -> dict[str, Any]:
    """`search.base.oai_listed` and the slice's bounds and set as a query. Documents indexed
    before `datestamp` existed are left out until `heritage reindex`."""
    today = (where.today or date.today()).isoformat()
    clauses: list[dict[str, Any]] = [
        {"term": {"access": "public"}},
        {"terms": {"status": ["published", "withdrawn"]}},
        {"exists": {"field": "datestamp"}},
        _any_of(
            [
                {"bool": {"must_not": {"exists": {"field": "embargo_until"}}}},
                {"range": {"embargo_until": {"lte": today}}},
            ]
        ),
    ]
    bounds = {op: v for op, v in (("gte", where.start), ("lte", where.end)) if v is not None}
    if bounds:
        clauses.append({"range": {"datestamp": bounds}})
    if where.set_field is not None:
        clauses.append(
            {"exists": {"field": where.set_field}}
            if where.set_value is None
            else {"term": {where.set_field: where.set_value}}
        )
    return _all_of(clauses)


def sort_spec(sort: str, *, relevance: bool) -> list[Any]:
    """Engine sort for a protocol sort; `id` breaks ties so paging is stable (as in SQLite)."""
    if sort == "relevance" and relevance:
        first: Any = "_score"
    elif sort in ("relevance", "date"):
        first = {"date_sort": {"order": "asc", "missing": "_last"}}
    elif sort == "-date":
        first = {"date_sort": {"order": "desc", "missing": "_last"}}
    elif sort == "title":
        first = {"title_sort": {"order": "asc", "missing": "_first"}}
    else:
        first = {"modified": {"order": "desc", "missing": "_last"}}
    return [first, {"id": "asc"}]


def _all_of(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    return {"bool": {"filter": clauses}}


def search_body(query: SearchQuery, plan: QueryPlan, today: date) -> dict[str, Any]:
    """Query, drill-sideways facet aggregations and sort for one search (no paging yet).

    Text, visibility and years restrict everything; each facet filter restricts the hits
    (post_filter) and every facet's counts except its own, as SqliteIndex counts them.
    """
    filters = check_query(query)
    relevance = query.sort == "relevance" and not plan.empty
    restrict = [f for f in [visibility_filter(query.audience, today)] if f]
    restrict += year_filters(query.year_from, query.year_to, query.periods)
    bool_query: dict[str, Any] = {"filter": restrict}
    if relevance:
        bool_query["must"] = [text_query(plan, scored=True)]
    elif not plan.empty:
        restrict.insert(0, text_query(plan, scored=False))
    facet_clauses = {name: {"terms": {name: values}} for name, values in filters.items()}
    body: dict[str, Any] = {
        "query": {"bool": bool_query},
        "sort": sort_spec(query.sort, relevance=relevance),
        "track_total_hits": True,
        "_source": list(STORED_FIELDS),  # a hit is read for these only
    }
    if facet_clauses:
        body["post_filter"] = _all_of(list(facet_clauses.values()))
    aggs = {}
    for name in query.facets:
        others = [clause for other, clause in facet_clauses.items() if other != name]
        terms = {
            "terms": {
                "field": name,
                "size": query.facet_size,
                "order": [{"_count": "desc"}, {"_key": "asc"}],
            }
        }
        # A facet no other facet's filter narrows counts every hit of the query: a plain terms
        # aggregation. Under a filter of no clauses both engines lose their fast terms
        # collection: 0.9–1.6 ms more for nine facets over 22 000 hits (bench/README.md).
        aggs[name] = {"filter": _all_of(others), "aggs": {"values": terms}} if others else terms
    if aggs:
        body["aggs"] = aggs
    return body


RELATED_STEP = 1000.0
"""Score of each related reason's tier above the next; a more_like_this score stays below it."""


def related_body(
    terms: RelatedTerms, audience: Audience, today: date, limit: int
) -> dict[str, Any] | None:
    """One query for `SearchIndex.related`: the reasons as constant scores (the best counts,
    so ties fall to the id as in SqliteIndex), more_like_this over the title and subject
    words for items sharing none of them; None when the record offers nothing to relate by."""
    reasons: list[dict[str, Any]] = []
    if terms.bearers:
        reasons.append({"terms": {"bearer": list(terms.bearers)}})
    if terms.projects:
        reasons.append({"terms": {"project": list(terms.projects)}})
    if terms.place is not None:
        reasons.append({"term": {"region": terms.place}})
    should: list[dict[str, Any]] = []
    if reasons:
        tiers = [
            {"constant_score": {"filter": clause, "boost": RELATED_STEP * (4 - rank)}}
            for rank, clause in enumerate(reasons)
        ]
        should.append({"dis_max": {"queries": tiers}})
    if terms.words:
        like = {
            "more_like_this": {
                "fields": ["t_title", "t_subjects"],
                "like": " ".join(terms.words),
                "min_term_freq": 1,
                "min_doc_freq": 1,
                "max_query_terms": len(terms.words),
                "minimum_should_match": 1,
            }
        }
        should.append({"bool": {"must": [like], "must_not": reasons}})
    if not should:
        return None
    visible = visibility_filter(audience, today)
    query = {
        "filter": [visible] if visible else [],
        "must_not": [{"ids": {"values": [terms.id]}}],
        "should": should,
        "minimum_should_match": 1,
    }
    return {
        "query": {"bool": query},
        "sort": ["_score", {"id": "asc"}],
        "size": limit,
        "track_total_hits": False,
        "_source": ["id", "bearer", "project", "region", "summary"],
    }


def facet_values(aggregations: dict[str, Any], names: Iterable[str]) -> dict[str, list[FacetValue]]:
    """Each facet's buckets, from its terms aggregation or the one inside its filter."""
    return {
        name: [
            FacetValue(str(bucket["key"]), bucket["doc_count"])
            for bucket in aggregations[name].get("values", aggregations[name])["buckets"]
        ]
        for name in names
    }


@dataclass(frozen=True)
class SortKey:
    """The field a non-relevance sort orders by first (`id` breaks ties, ascending)."""

    field: str
    descending: bool
    missing_first: bool


def sort_key_field(sort: list[Any]) -> SortKey | None:
    """The first key of an engine sort from `sort_spec`; None for relevance (`_score`)."""
    first = sort[0]
    if first == "_score":
        return None
    ((field, spec),) = first.items()
    return SortKey(field, spec["order"] == "desc", spec["missing"] == "_first")


def after_filter(key: SortKey, value: Any, item_id: str) -> dict[str, Any]:
    """Documents that sort after the one with `value` (None: missing) and `item_id`.

    What `search_after` means, as a filter, so that it combines with `from`.
    """
    tie = {"range": {"id": {"gt": item_id}}}
    absent = {"bool": {"must_not": [{"exists": {"field": key.field}}]}}
    if value is None:
        options = [_all_of([absent, tie])]
        if key.missing_first:
            options.append({"exists": {"field": key.field}})
    else:
        beyond = {"range": {key.field: {"lt" if key.descending else "gt": value}}}
        options = [beyond, _all_of([{"term": {key.field: value}}, tie])]
        if not key.missing_first:
            options.append(absent)
    return {"bool": {"should": options, "minimum_should_match": 1}}


@dataclass(frozen=True)
class Ranking:
    """How `rank_aggregations` counts a sort field's hits: per `interval` of the numeric `key`,
    or, when `interval` is None, per range between the index's quantiles of `key`
    (`ClusterIndex._quantiles`). The key never decreases as the field's value sorts later
    (equal values: equal keys)."""

    key: str
    interval: int | None


RANKINGS: dict[str, Ranking] = {
    "date_sort": Ranking("date_sort", 1),
    "title_sort": Ranking(TITLE_CODE, None),
    "modified": Ranking(MODIFIED_KEY, 10**7),
}
"""Per sort field: a bucket per year; per equal-depth range of title codes (a prefix of fixed
length leaves either a few huge buckets, when many titles begin with one place name, or
thousands, when real titles spread: each costs the histogram ~5 µs); per day (a day's changes
are far fewer than 10 000 except on the day of a bulk import; that page then jumps)."""
RANK_AGG = "_rank"
"""The name of the hit counts among the facet aggregations (no facet field starts with _)."""
UNKEYED_AGG = "_rank_unkeyed"
"""The hits with a sort value but no key, when the counts are a top-level aggregation."""
QUANTILES = 256
"""Steps of the one percentiles request that finds a ranged key's bounds (`_quantiles`)."""
RANGE_DEPTH = 600
"""About how many documents of the index each range between the bounds holds: a page is a
from/size inside one or two ranges, so a deeper range costs the page request more, and a
shallower one the counts (one more bucket each)."""
QUANTILES_SECONDS = 600.0
"""How long a process keeps an index's bounds. Stale bounds (documents added since, a rebuilt
index) only make ranges unequal, never a page wrong: any bounds partition the keys in order."""


def rank_aggregations(
    body: dict[str, Any], key: SortKey, ranking: Ranking, bounds: Iterable[int] = ()
) -> dict[str, Any]:
    """Hits per bucket of `ranking` (per range between `bounds` when its interval is None), in
    sort order, as aggregations to add to `body`'s.

    The hits are the query's and the facet filters' (`post_filter`), so with facet filters the
    counts sit under a filter aggregation (facet counts are not); without, they are top-level
    (a filter of everything slows both engines' histogram). When the key is a field of its
    own, `unkeyed` counts hits with a value but no key (written before the key existed, or a
    value it cannot read): any makes the counts unusable (`ranked_buckets`)."""
    order = "desc" if key.descending else "asc"
    counts: dict[str, Any]
    if ranking.interval is None:
        edges = [0, *bounds]
        ranges = [{"from": low, "to": high} for low, high in pairwise(edges)]
        counts = {"range": {"field": ranking.key, "ranges": [*ranges, {"from": edges[-1]}]}}
    else:
        values = {
            "field": ranking.key,
            "interval": ranking.interval,
            "min_doc_count": 1,
            "order": {"_key": order},
        }
        counts = {"histogram": values}
    unkeyed: dict[str, Any] = {}
    if ranking.key != key.field:
        keyless = {"bool": {"must_not": [{"exists": {"field": ranking.key}}]}}
        unkeyed = {"filter": _all_of([{"exists": {"field": key.field}}, keyless])}
    hits = body.get("post_filter")
    if hits is None:
        return {RANK_AGG: counts} | ({UNKEYED_AGG: unkeyed} if unkeyed else {})
    inner = {"values": counts} | ({"unkeyed": unkeyed} if unkeyed else {})
    return {RANK_AGG: {"filter": hits, "aggs": inner}}


def ranked_buckets(aggregations: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The buckets `rank_aggregations` counted, or None when some hits have no key."""
    counted = aggregations[RANK_AGG]
    if "values" in counted:  # under the facet filters
        counted, unkeyed = counted["values"], counted.get("unkeyed")
    else:
        unkeyed = aggregations.get(UNKEYED_AGG)
    if unkeyed is not None and unkeyed["doc_count"]:
        return None
    return list(counted["buckets"])


def _spans(
    key: SortKey, ranking: Ranking, buckets: Iterable[Mapping[str, Any]]
) -> list[tuple[int, int | None, int]]:
    """(lowest key, key past the bucket or None, hits) of each bucket, in sort order."""
    if ranking.interval is not None:
        step = ranking.interval
        return [(int(b["key"]), int(b["key"]) + step, int(b["doc_count"])) for b in buckets]
    spans = [
        (int(b["from"]), int(b["to"]) if "to" in b else None, int(b["doc_count"])) for b in buckets
    ]
    return spans[::-1] if key.descending else spans  # a range aggregation answers in key order


def rank_filter(
    key: SortKey,
    ranking: Ranking,
    buckets: Iterable[Mapping[str, Any]],
    total: int,
    offset: int,
    size: int,
) -> tuple[dict[str, Any], int]:
    """(filter, hits it leaves out before the page) for the page of `size` hits at `offset`
    (< `total`), from `ranked_buckets`: the buckets holding the page's first to last
    hit, and the hits without a value (`total` less the counted ones, first or last in sort
    order as `key` says) when the page reaches them. Every hit sharing a value shares a bucket,
    so ties stay whole and (value, id) order within the filter is the order of all hits."""
    spans = _spans(key, ranking, buckets)
    segments: list[tuple[tuple[int, int | None] | None, int]] = [
        ((low, high), count) for low, high, count in spans
    ]
    absent_count = total - sum(count for *_, count in spans)
    segments.insert(0 if key.missing_first else len(segments), (None, absent_count))
    end = min(offset + size, total)
    chosen: list[tuple[int, int | None] | None] = []
    before = skipped = 0
    for span, count in segments:
        if count and before + count > offset and before < end:
            skipped = skipped if chosen else before
            chosen.append(span)
        before += count
    keyed = [span for span in chosen if span is not None]
    options: list[dict[str, Any]] = []
    if keyed:
        bounds: dict[str, int] = {"gte": min(low for low, _ in keyed)}
        if all(high is not None for _, high in keyed):
            bounds["lt"] = max(high for _, high in keyed if high is not None)
        options.append({"range": {ranking.key: bounds}})
    if None in chosen:
        options.append({"bool": {"must_not": [{"exists": {"field": key.field}}]}})
    return _any_of(options), skipped


def _with_filter(body: dict[str, Any], clause: dict[str, Any] | None) -> dict[str, Any]:
    """`body` with one more filter on its query (the same body when `clause` is None)."""
    if clause is None:
        return dict(body)
    query = body["query"]["bool"]
    return body | {"query": {"bool": query | {"filter": [*query["filter"], clause]}}}


def _walk(body: dict[str, Any]) -> dict[str, Any]:
    """`body` for reading hits only: no facet counts, no total."""
    return {k: v for k, v in body.items() if k != "aggs"} | {"track_total_hits": False}


def walk_steps(offset: int, size: int) -> list[int]:
    """Sizes of the search_after steps that skip `offset` hits (none when from/size reaches)."""
    if offset + size <= RESULT_WINDOW:
        return []
    full, rest = divmod(offset, RESULT_WINDOW)
    return [RESULT_WINDOW] * full + ([rest] if rest else [])


# ---------------------------------------------------------------------------------- the index


@dataclass(frozen=True)
class Engine:
    """What differs between the two client libraries, handed to `ClusterIndex`."""

    name: str  # "Elasticsearch" / "OpenSearch", for messages
    client: Any  # everyday calls, short timeout
    slow_client: Any  # bulk and refresh, longer timeout
    streaming_bulk: Callable[..., Iterable[tuple[bool, dict[str, Any]]]]
    unreachable: tuple[type[Exception], ...]  # connection refused / timed out
    failures: tuple[type[Exception], ...]  # any other error the client raises


class ClusterIndex:
    """The `SearchIndex` protocol over Elasticsearch or OpenSearch, behind the alias
    `index_name`; `drop()` deletes it all (tests, operators)."""

    backend = "cluster"

    def __init__(self, url: str, index_name: str, engine: Engine) -> None:
        if not _NAME_RE.match(index_name):
            raise InvalidInput(
                f"index_name {index_name!r}: use lowercase letters, digits, '-' and '_'"
            )
        self.url = url
        self.alias = index_name
        self.client = engine.client
        """The engine's own client, for operations the protocol does not cover."""
        self._engine = engine
        self._ready = False
        self._kept_quantiles: dict[str, tuple[float, list[int]]] = {}

    # ------------------------------------------------------------------ plumbing

    @contextmanager
    def _calling(self, action: str) -> Iterator[None]:
        """Client errors → ClusterError naming the engine, its URL and what was being done."""
        name = f"{self._engine.name} at {self.url}"
        try:
            yield
        except self._engine.unreachable as error:
            raise ClusterError(f"{name} is unreachable ({action}): {error}") from error
        except self._engine.failures as error:
            raise ClusterError(f"{name} failed ({action} {self.alias!r}): {error}") from error

    def _indices(self) -> list[str]:
        """The concrete indices behind the alias (none before the first write)."""
        if not self.client.indices.exists_alias(name=self.alias):
            return []
        return sorted(self.client.indices.get_alias(name=self.alias))

    def _new_index_name(self) -> str:
        return f"{self.alias}-v{datetime.now(UTC):%Y%m%d%H%M%S%f}"

    def _ensure(self) -> None:
        """Create the first versioned index with the alias, unless the alias exists.

        An index made by an earlier version gets the fields added since (`project`, `bearer`,
        `DATESTAMP_SECONDS`, `TITLE_CODE`, `MODIFIED_KEY`) put into its mapping, so that writes
        of the new documents are not refused by the strict mapping; its older documents lack them
        until `heritage reindex` (and deep title and modified pages jump, as before the keys).
        The `title_key` of earlier versions stays in such a mapping, unused."""
        if self._ready:
            return
        with self._calling("creating the index"):
            existing = self._indices()
            if not existing:
                body = index_body() | {"aliases": {self.alias: {}}}
                self.client.indices.create(index=self._new_index_name(), body=body)
            else:
                added = {name: {"type": "keyword"} for name in KEYWORD_FIELDS}
                numbers = (DATESTAMP_SECONDS, TITLE_CODE, MODIFIED_KEY)
                added |= {name: {"type": "long"} for name in numbers}
                self.client.indices.put_mapping(index=existing, body={"properties": added})
        self._ready = True

    def _bulk(self, target: str, actions: Iterable[dict[str, Any]]) -> int:
        """Stream actions into `target`; ValueError naming every record the engine refused."""
        done = 0
        failed: list[str] = []
        with self._calling("bulk indexing"):
            for ok, item in self._engine.streaming_bulk(
                self._engine.slow_client,
                actions,
                index=target,
                chunk_size=BULK_CHUNK,
                raise_on_error=False,
                max_retries=3,
                initial_backoff=1,
                max_backoff=8,
            ):
                op, result = next(iter(item.items()))
                if ok or (op == "delete" and result.get("status") == 404):
                    done += 1
                else:
                    reason = (result.get("error") or {}).get("reason", result.get("error"))
                    failed.append(f"record {result.get('_id')}: {reason}")
        if failed:
            raise InvalidInput(
                f"{self._engine.name} refused {len(failed)} record(s) in {target!r}: "
                + "; ".join(failed[:10])
            )
        return done

    def _refresh(self, target: str) -> None:
        with self._calling("refreshing"):
            self._engine.slow_client.indices.refresh(index=target)

    # ------------------------------------------------------------------ writing

    def index(self, records: Iterable[Mapping[str, Any]]) -> int:
        self._ensure()
        actions = (
            {"_op_type": "index", "_id": source["id"], "_source": source}
            for source in map(to_source, records)
        )
        count = self._bulk(self.alias, actions)
        self._refresh(self.alias)
        return count

    def delete(self, item_ids: Iterable[str]) -> None:
        self._ensure()
        self._bulk(self.alias, ({"_op_type": "delete", "_id": i} for i in item_ids))
        self._refresh(self.alias)

    def rebuild(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Fill a new versioned index, then swap the alias in one atomic update.

        Writes made through the alias while it loads land in the old index and are dropped
        with it, as with SqliteIndex: rebuild from the record store, the source of truth."""
        new = self._new_index_name()
        with self._calling("creating the index"):
            self.client.indices.create(index=new, body=index_body(loading=True))
        try:
            actions = ({"_id": s["id"], "_source": s} for s in map(to_source, records))
            count = self._bulk(new, actions)
            with self._calling("swapping the alias"):
                self.client.indices.put_settings(
                    index=new, body={"index": {"refresh_interval": None}}
                )
                self._refresh(new)
                old = self._indices()
                swap = [{"remove": {"index": o, "alias": self.alias}} for o in old]
                swap.append({"add": {"index": new, "alias": self.alias}})
                self.client.indices.update_aliases(body={"actions": swap})
        except BaseException:
            with suppress(Exception):  # best effort: the original error is the one to report
                self.client.indices.delete(index=new, ignore_unavailable=True)
            raise
        self._ready = True
        self._kept_quantiles.clear()
        with self._calling("deleting the old index"):
            for name in old:
                self.client.indices.delete(index=name, ignore_unavailable=True)
        return count

    def drop(self) -> None:
        """Delete every index behind the alias (and with it the alias)."""
        with self._calling("deleting the index"):
            for name in self._indices():
                self.client.indices.delete(index=name, ignore_unavailable=True)
        self._ready = False
        self._kept_quantiles.clear()

    # ------------------------------------------------------------------ reading

    def count(self, audience: Audience | None = None) -> int:
        self._ensure()
        visible = None if audience is None else visibility_filter(audience, date.today())
        body = {"query": visible or {"match_all": {}}}
        with self._calling("counting"):
            return int(self.client.count(index=self.alias, body=body)["count"])

    def search(self, query: SearchQuery) -> SearchResult:
        query, understood = resolve_dates(query)
        plan = analyze_query(query.q)
        body = search_body(query, plan, query.today or date.today())
        offset = (query.page - 1) * query.size
        self._ensure()
        with self._calling("searching"):
            if offset + query.size <= RESULT_WINDOW:
                response = self.client.search(
                    index=self.alias, body=body | {"from": offset, "size": query.size}
                )
                found = response["hits"]["hits"]
            elif (key := sort_key_field(body["sort"])) is not None:
                response, found = self._field_page(body, key, offset, query.size)
            else:
                response = self.client.search(index=self.alias, body=body | {"size": 0})
                found = []
                if offset < response["hits"]["total"]["value"]:
                    found = self._deep_page(body, walk_steps(offset, query.size), query.size)
        total = response["hits"]["total"]["value"]
        hits = [
            Hit(
                h["_id"],
                float(h.get("_score") or 0.0),
                json.loads(h["_source"]["summary"]),
                highlights_for(json.loads(h["_source"]["display"]), plan),
            )
            for h in found
        ]
        facets = facet_values(response.get("aggregations", {}), query.facets)
        return SearchResult(total, hits, facets, query.page, query.size, understood)

    def related(
        self, record: Mapping[str, Any], audience: Audience, limit: int = 8
    ) -> list[RelatedItem]:
        """See `SearchIndex.related`; one request (`related_body`)."""
        check_related_limit(limit)
        terms = related_terms(record)
        body = related_body(terms, audience, date.today(), limit)
        if body is None:
            return []
        self._ensure()
        with self._calling("finding related items"):
            found = self.client.search(index=self.alias, body=body)["hits"]["hits"]
        return [
            RelatedItem(
                h["_id"],
                related_reason(h["_source"], terms),
                json.loads(h["_source"]["summary"]),
            )
            for h in found
        ]

    # ------------------------------------------------------------------ OAI-PMH

    def oai_headers(
        self, where: OaiSlice, after: tuple[str, str] | None, limit: int
    ) -> list[OaiHeader]:
        """See `SearchIndex.oai_headers`. The index is stored in this order (`index_body`), so
        the engine stops after `limit` hits from the cursor on; the cursor is also a range on
        `DATESTAMP_SECONDS`, so the hits before it are never visited, only those sharing its
        second (without it a last page, with fewer than `limit` hits left, reads through the
        whole index). Documents indexed before that field existed pass the range."""
        self._ensure()
        query = oai_filter(where)
        body: dict[str, Any] = {
            "query": query,
            "sort": [{field: order} for field, order in OAI_SORT],
            "size": limit,
            "track_total_hits": False,
            "_source": ["id", "datestamp", "collection", "category", "status"],
        }
        if after is not None:
            body["search_after"] = list(after)
            since = {"range": {DATESTAMP_SECONDS: {"gte": unix_seconds(after[0])}}}
            older = {"bool": {"must_not": [{"exists": {"field": DATESTAMP_SECONDS}}]}}
            body["query"] = _all_of([*query["bool"]["filter"], _any_of([since, older])])
        with self._calling("listing OAI-PMH headers"):
            found = self.client.search(index=self.alias, body=body)["hits"]["hits"]
        return [
            OaiHeader(
                s["datestamp"],
                s["id"],
                s["collection"],
                s.get("category"),
                s["status"] == "withdrawn",
            )
            for s in (h["_source"] for h in found)
        ]

    def oai_count(self, where: OaiSlice) -> int:
        self._ensure()
        with self._calling("counting OAI-PMH headers"):
            answer = self.client.count(index=self.alias, body={"query": oai_filter(where)})
        return int(answer["count"])

    def oai_collections(self, today: date | None = None) -> list[str]:
        self._ensure()
        body = {
            "query": oai_filter(OaiSlice(today=today)),
            "size": 0,
            "aggs": {"c": {"terms": {"field": "collection", "size": 65536}}},
        }
        with self._calling("listing OAI-PMH sets"):
            answer = self.client.search(index=self.alias, body=body)
        return sorted(b["key"] for b in answer["aggregations"]["c"]["buckets"])

    def _field_page(
        self, body: dict[str, Any], key: SortKey, offset: int, size: int
    ) -> tuple[dict[str, Any], list[Any]]:
        """A page past the result window of a field sort: the total and facet counts in one
        request of no hits, then the page itself (module docstring). Returns (that response,
        page hits)."""
        counts = body | {"size": 0}
        ranking = RANKINGS.get(key.field)
        response = None
        if ranking is not None:
            bounds = self._quantiles(ranking.key) if ranking.interval is None else []
            ranked = rank_aggregations(body, key, ranking, bounds)
            try:
                response = self.client.search(
                    index=self.alias, body=counts | {"aggs": body.get("aggs", {}) | ranked}
                )
            except self._engine.failures as error:
                # more buckets than the cluster allows (`search.max_buckets`): jump instead
                if "too_many_buckets" not in str(getattr(error, "info", error)):
                    raise
                ranking = None
        if response is None:
            response = self.client.search(index=self.alias, body=counts)
        total = response["hits"]["total"]["value"]
        if offset >= total:
            return response, []
        rest, skipped = _walk(body), 0
        if ranking is not None:
            buckets = ranked_buckets(response["aggregations"])
            if buckets is not None:
                narrow, skipped = rank_filter(key, ranking, buckets, total, offset, size)
                rest = _with_filter(rest, narrow)
        return response, self._jump_to_page(rest, key, offset - skipped, size)

    def _quantiles(self, field: str) -> list[int]:
        """Bounds splitting the index's values of `field` into ranges of about `RANGE_DEPTH`
        documents each, from one percentiles request, kept `QUANTILES_SECONDS`.

        Over every document, whatever a query may see: the bounds only decide how the counts
        request groups hits, never which hits or counts a search answers."""
        kept = self._kept_quantiles.get(field)
        if kept is not None and time.monotonic() - kept[0] < QUANTILES_SECONDS:
            return kept[1]
        steps = [100 * i / QUANTILES for i in range(1, QUANTILES)]
        # compression 1000: at the default 100 Elasticsearch's digest left 92 of 128 ranges
        # empty and one of 2 326 documents (bench/README.md)
        percentiles = {
            "field": field,
            "percents": steps,
            "keyed": False,
            "tdigest": {"compression": 1000},
        }
        body = {"size": 0, "track_total_hits": True, "aggs": {"q": {"percentiles": percentiles}}}
        answer = self.client.search(index=self.alias, body=body)
        documents = answer["hits"]["total"]["value"]
        every = max(1, round(QUANTILES * RANGE_DEPTH / max(documents, 1)))
        values = answer["aggregations"]["q"]["values"][every - 1 :: every]
        bounds = sorted({int(v["value"]) for v in values if (v["value"] or 0) >= 1})
        self._kept_quantiles[field] = (time.monotonic(), bounds)
        return bounds

    def _jump_to_page(
        self, walk: dict[str, Any], key: SortKey, offset: int, size: int
    ) -> list[Any]:
        """Page hits of `walk` (a body without counts) in window-sized jumps while from/size
        cannot reach them.

        Each jump reads one hit, the last of the window (`from` = window - 1; the hit just
        before the page when that is nearer), and the next request filters to what sorts after
        it (`after_filter`): the engine ranks the window as before but sends back one hit
        instead of 10 000 sort values.
        """
        after: dict[str, Any] | None = None
        while offset + size > RESULT_WINDOW:
            skip = min(offset, RESULT_WINDOW)
            jump = _with_filter(walk, after)
            jump |= {"from": skip - 1, "size": 1, "_source": [key.field, "id"]}
            last = self.client.search(index=self.alias, body=jump)["hits"]["hits"]
            if not last:
                return []
            source = last[0]["_source"]
            after = after_filter(key, source.get(key.field), source["id"])
            offset -= skip
        final = _with_filter(walk, after) | {"from": offset, "size": size}
        return list(self.client.search(index=self.alias, body=final)["hits"]["hits"])

    def _deep_page(self, body: dict[str, Any], steps: list[int], size: int) -> list[Any]:
        """Walk with search_after past `sum(steps)` hits (sort values only), then read a page.

        Only for relevance order: a score cannot be filtered on, as `_jump_to_page` does.
        """
        walk = _walk(body) | {"_source": False}
        after = None
        for step in steps:
            page = walk | {"size": step} | ({"search_after": after} if after else {})
            found = self.client.search(index=self.alias, body=page, filter_path="hits.hits.sort")
            hits = found.get("hits", {}).get("hits", [])
            if len(hits) < step:
                return []
            after = hits[-1]["sort"]
        found = self.client.search(
            index=self.alias, body=_walk(body) | {"size": size, "search_after": after}
        )
        return list(found["hits"]["hits"])

    def health(self) -> dict[str, Any]:
        report: dict[str, Any] = {"ok": False, "backend": self.backend, "url": self.url}
        report["index"] = self.alias
        try:
            with self._calling("checking health"):
                status = self.client.cluster.health()["status"]
                report["status"] = status
                indices = self._indices()
                report["indices"] = indices
                if indices:
                    report["documents"] = int(self.client.count(index=self.alias)["count"])
            report["ok"] = status in ("green", "yellow")
        except Exception as error:  # noqa: BLE001 - health reports, never raises
            report["error"] = str(error)
        return report

    def close(self) -> None:
        self._engine.slow_client.close()
        self.client.close()
