"""The pure half of search.cluster: mapping, query plan → engine query, filters, sorts, paging."""

from __future__ import annotations

import itertools
import json
import random
from bisect import bisect_right
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from search.analysis import AllOf, AnyOf, Phrase, QueryPlan, analyze_query
from search.base import FACET_FIELDS, Audience, SearchQuery, YearSpan
from search.cluster import (
    KEYWORD_FIELDS,
    MATCH_FIELD,
    MAX_LEAVES,
    RANK_AGG,
    RANKINGS,
    RESULT_WINDOW,
    STORED_FIELDS,
    TITLE_CODE_WORDS,
    TITLE_WORDS,
    UNKEYED_AGG,
    Ranking,
    SortKey,
    facet_values,
    index_body,
    leaf_count,
    modified_key,
    node_query,
    rank_aggregations,
    rank_filter,
    ranked_buckets,
    search_body,
    sort_key_field,
    sort_spec,
    text_query,
    title_code,
    to_source,
    visibility_filter,
    walk_steps,
    year_filters,
)
from search.documents import FIELD_BOOSTS, TEXT_FIELDS
from tests.unit.support.records import minimal_record

TODAY = date(2026, 3, 1)


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair anywhere inside a JSON-like structure."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key, inner
            yield from _walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _walk(inner)


def _leaves(query: dict[str, Any]) -> list[tuple[str, str, str, float]]:
    """(kind, field, text, boost) of every term / match_phrase leaf in a query."""
    found = []
    for key, value in _walk(query):
        if key == "term" and next(iter(value)) in (*TEXT_FIELDS, MATCH_FIELD):
            field, spec = next(iter(value.items()))
            found.append(("term", field, spec["value"], spec.get("boost", 1.0)))
        elif key == "match_phrase":
            field, spec = next(iter(value.items()))
            found.append(("phrase", field, spec["query"], spec.get("boost", 1.0)))
    return found


# ---------------------------------------------------------------------------------- mapping


def test_mapping_indexes_ready_tokens_with_the_whitespace_analyzer_only() -> None:
    body = index_body()
    properties = body["mappings"]["properties"]
    for name in TEXT_FIELDS:
        assert properties[name]["type"] == "text"
        assert properties[name]["copy_to"] == MATCH_FIELD
    assert properties[MATCH_FIELD]["type"] == "text"
    analyzers = {v for k, v in _walk(body) if k in ("analyzer", "search_analyzer", "tokenizer")}
    assert analyzers == {"whitespace"}
    assert "analysis" not in body["settings"]["index"]  # no custom analysis chain to need plugins
    for name in KEYWORD_FIELDS:
        assert properties[name]["type"] == "keyword"
    assert {properties[n]["type"] for n in ("year_min", "year_max", "date_sort")} == {"long"}
    for name in STORED_FIELDS:
        assert properties[name]["index"] is False and properties[name]["doc_values"] is False
    assert body["mappings"]["dynamic"] == "strict"


def test_loading_body_turns_refresh_off_and_normal_body_leaves_it_default() -> None:
    assert index_body(loading=True)["settings"]["index"]["refresh_interval"] == "-1"
    assert "refresh_interval" not in index_body()["settings"]["index"]


def test_documents_are_stored_in_oai_order() -> None:
    sort = index_body()["settings"]["index"]["sort"]
    assert sort == {"field": ["datestamp", "id"], "order": ["asc", "asc"]}
    assert all(
        index_body()["mappings"]["properties"][f]["type"] == "keyword" for f in sort["field"]
    )


def test_source_has_every_mapped_field_and_stored_json_round_trips() -> None:
    record = minimal_record(date={"edtf": "195X", "earliest": 1950, "latest": 1961})
    source = to_source(record)
    assert set(source) | {MATCH_FIELD} == set(index_body()["mappings"]["properties"])
    assert source["decade"] == ["1950", "1960"]
    assert json.loads(source["summary"])["title"] == record["title"]
    assert json.loads(source["display"])["title"] == record["title"]
    assert list(json.loads(source["display"])["title"]) == list(record["title"])  # key order


def test_unindexable_record_names_its_id() -> None:
    record = minimal_record(id="bad-item-1")
    del record["title"]
    with pytest.raises(ValueError, match="bad-item-1"):
        to_source(record)


# ---------------------------------------------------------------------------------- text


def test_single_token_is_a_boosted_term_per_field() -> None:
    query = node_query(Phrase(("kunqu",)), TEXT_FIELDS)
    assert sorted(_leaves(query)) == sorted(
        ("term", f, "kunqu", FIELD_BOOSTS[f]) for f in TEXT_FIELDS
    )
    assert "dis_max" in query  # best field counts, one field must hold it


def test_phrase_is_match_phrase_of_its_tokens_in_one_field() -> None:
    query = node_query(Phrase(("剪纸", "纸窗", "窗花")), ("t_title", "t_text"))
    assert _leaves(query) == [
        ("phrase", "t_title", "剪纸 纸窗 窗花", FIELD_BOOSTS["t_title"]),
        ("phrase", "t_text", "剪纸 纸窗 窗花", FIELD_BOOSTS["t_text"]),
    ]


def test_all_of_requires_every_part_and_any_of_one_option() -> None:
    a, b = Phrase(("a1",)), Phrase(("b1",))
    assert len(node_query(AllOf((a, b)), ("t_title",))["bool"]["must"]) == 2
    either = node_query(AnyOf((a, b)), ("t_title",))["bool"]
    assert len(either["should"]) == 2 and either["minimum_should_match"] == 1
    with pytest.raises(TypeError):
        node_query("a1", ("t_title",))  # type: ignore[arg-type]


def _tier_boosts(query: dict[str, Any]) -> list[tuple[float, set[str], set[str]]]:
    """(bonus, fields, texts) of each relevance tier, in query order."""
    tiers = query["bool"]["should"][1]["dis_max"]["queries"]
    found = []
    for tier in tiers:
        leaves = _leaves(tier["constant_score"]["filter"])
        fields, texts = {leaf[1] for leaf in leaves}, {leaf[2] for leaf in leaves}
        found.append((tier["constant_score"]["boost"], fields, texts))
    return found


def test_relevance_tiers_rank_title_then_names_then_subjects_description_text() -> None:
    plan = analyze_query("dragon boat")
    tiers = _tier_boosts(text_query(plan, scored=True))
    bonuses = [bonus for bonus, _, _ in tiers]
    assert bonuses == sorted(bonuses, reverse=True) and len(set(bonuses)) == len(bonuses)
    groups = [fields for _, fields, _ in tiers]
    assert groups == [
        {"t_title"},
        {"t_title"},
        {"t_people", "t_places"},
        {"t_people", "t_places"},
        {"t_subjects"},
        {"t_subjects"},
        {"t_description"},
        {"t_description"},
        {"t_text"},
        {"t_text"},
    ]
    # within a group the whole phrase outranks the words anywhere in it
    assert tiers[0][2] == {"dragon boat"} and tiers[1][2] == {"dragon", "boat"}


def test_every_query_word_is_required_anywhere_and_scored_per_field() -> None:
    plan = analyze_query("dragon boat")
    query = text_query(plan, scored=True)["bool"]
    (required,) = query["filter"]
    assert len(required["bool"]["must"]) == 2
    assert {f for _, f, _, _ in _leaves(required)} == {MATCH_FIELD}
    scoring = query["should"][0]
    assert {f for _, f, _, _ in _leaves(scoring)} == set(TEXT_FIELDS)


def test_unscored_query_only_matches() -> None:
    plan = analyze_query("dragon boat")
    assert text_query(plan, scored=False) == node_query(AllOf(plan.must), (MATCH_FIELD,))


@pytest.mark.parametrize(("words", "scoring_parts"), [(50, 2), (100, 1), (150, 0)])
def test_long_queries_shed_tiers_then_field_scoring_to_stay_under_the_clause_limit(
    words: int, scoring_parts: int
) -> None:
    plan = QueryPlan(must=tuple(Phrase((f"w{i}",)) for i in range(words)))
    query = text_query(plan, scored=True)
    assert len(_leaves(query)) <= MAX_LEAVES
    assert len(query["bool"]["should"]) == scoring_parts
    assert query["bool"]["filter"] == [text_query(plan, scored=False)]  # same hits regardless


def test_leaf_count_counts_what_node_query_builds() -> None:
    plan = analyze_query("beijing kun qu piying xi")
    must = AllOf(plan.must)
    for fields in ((MATCH_FIELD,), TEXT_FIELDS, ("t_people", "t_places")):
        assert leaf_count(must, fields) == len(_leaves(node_query(must, fields)))


@pytest.mark.parametrize(
    "q",
    [
        '{"query": {"match_all": {}}}',
        "title:foo AND (bar OR baz*) NOT qux~2 ^3 [1 TO 9] /re.*gex/",
        '" OR 1=1 --',
        '{"script": {"source": "ctx._source"}}',
    ],
)
def test_dsl_looking_text_only_ever_becomes_term_or_phrase_values(q: str) -> None:
    body = search_body(SearchQuery(q=q), analyze_query(q), TODAY)
    keys = {key for key, _ in _walk(body["query"])}
    assert not keys & {
        "query_string",
        "simple_query_string",
        "match_all",
        "wildcard",
        "regexp",
        "prefix",
        "fuzzy",
        "script",
    }
    for _, _, text, _ in _leaves(body["query"]):
        assert all(token.isalnum() for token in text.split(" "))


# ---------------------------------------------------------------------------------- filters


def test_everyone_sees_all_and_public_needs_published_public_and_no_future_embargo() -> None:
    assert visibility_filter(Audience.all(), TODAY) is None
    public = visibility_filter(Audience.public(), TODAY)
    clauses = public["bool"]["filter"]
    assert {"term": {"status": "published"}} in clauses
    assert {"term": {"access": "public"}} in clauses
    embargo = clauses[2]["bool"]["should"]
    assert {"range": {"embargo_until": {"lte": "2026-03-01"}}} in embargo


def test_an_institution_sees_the_public_set_plus_its_own_items() -> None:
    seen = visibility_filter(Audience("ordos-museum"), TODAY)["bool"]
    assert seen["should"] == [
        visibility_filter(Audience.public(), TODAY),
        {"term": {"institution": "ordos-museum"}},
    ]
    assert seen["minimum_should_match"] == 1


def test_year_range_is_an_overlap_test() -> None:
    assert year_filters(None, None) == []
    assert year_filters(1950, 1960) == [
        {"range": {"year_max": {"gte": 1950}}},
        {"range": {"year_min": {"lte": 1960}}},
    ]
    assert year_filters(None, 1960) == [{"range": {"year_min": {"lte": 1960}}}]


def test_an_era_matches_within_or_beyond_one_shared_end_year() -> None:
    def any_of(*options: list[dict]) -> dict:
        filters = [{"bool": {"filter": option}} for option in options]
        return {"bool": {"should": filters, "minimum_should_match": 1}}

    qing = YearSpan(1644, 1912, era=True)
    assert year_filters(None, None, [qing]) == [
        any_of(
            [{"range": {"year_min": {"gte": 1644}}}, {"range": {"year_max": {"lte": 1912}}}],
            [{"range": {"year_min": {"lt": 1912}}}, {"range": {"year_max": {"gt": 1644}}}],
        )
    ]
    assert year_filters(None, None, [YearSpan(1949, None, era=True)]) == [
        any_of([{"range": {"year_min": {"gte": 1949}}}], [{"range": {"year_max": {"gt": 1949}}}])
    ]
    assert year_filters(1950, None, [YearSpan(None, None, era=True)]) == [
        {"range": {"year_max": {"gte": 1950}}}
    ]


# ---------------------------------------------------------------------------------- search body


def test_facet_filters_restrict_hits_and_other_facets_but_not_their_own_counts() -> None:
    query = SearchQuery(
        filters={"category": ("craftsmanship",), "media_type": ("image", "video")},
        facets=("category", "media_type", "region"),
        facet_size=7,
    )
    body = search_body(query, analyze_query(""), TODAY)
    category = {"terms": {"category": ["craftsmanship"]}}
    media = {"terms": {"media_type": ["image", "video"]}}
    assert body["post_filter"] == {"bool": {"filter": [category, media]}}
    aggs = body["aggs"]
    assert aggs["category"]["filter"] == {"bool": {"filter": [media]}}
    assert aggs["media_type"]["filter"] == {"bool": {"filter": [category]}}
    assert aggs["region"]["filter"] == {"bool": {"filter": [category, media]}}
    terms = aggs["region"]["aggs"]["values"]["terms"]
    assert terms["size"] == 7 and terms["order"] == [{"_count": "desc"}, {"_key": "asc"}]
    # facet filters never reach the main query, which the aggregations count from
    assert "terms" not in json.dumps(body["query"])


def test_visibility_and_years_restrict_hits_and_every_count() -> None:
    query = SearchQuery(year_from=1950, year_to=1960)
    body = search_body(query, analyze_query(""), TODAY)
    restrict = body["query"]["bool"]["filter"]
    assert visibility_filter(Audience.public(), TODAY) in restrict
    assert all(clause in restrict for clause in year_filters(1950, 1960))
    assert body["track_total_hits"] is True
    everyone = search_body(SearchQuery(audience=Audience.all()), analyze_query(""), TODAY)
    assert everyone["query"] == {"bool": {"filter": []}}


def test_relevance_scores_the_text_and_other_sorts_only_filter_by_it() -> None:
    plan = analyze_query("kunqu")
    scored = search_body(SearchQuery(q="kunqu"), plan, TODAY)
    assert scored["query"]["bool"]["must"] == [text_query(plan, scored=True)]
    assert scored["sort"][0] == "_score"
    by_title = search_body(SearchQuery(q="kunqu", sort="title"), plan, TODAY)
    assert "must" not in by_title["query"]["bool"]
    assert by_title["query"]["bool"]["filter"][0] == text_query(plan, scored=False)


def test_a_facet_no_other_filter_narrows_is_a_plain_terms_aggregation() -> None:
    """No filter wrapper of no clauses: it costs the engines their fast terms collection."""
    plain = search_body(SearchQuery(facets=("region", "decade")), analyze_query(""), TODAY)
    assert set(plain["aggs"]["region"]) == {"terms"}
    assert plain["aggs"]["region"]["terms"]["field"] == "region"
    one = SearchQuery(filters={"category": ("craftsmanship",)}, facets=("category", "region"))
    aggs = search_body(one, analyze_query(""), TODAY)["aggs"]
    assert set(aggs["category"]) == {"terms"}  # its own filter never narrows its counts
    assert aggs["region"]["filter"] == {
        "bool": {"filter": [{"terms": {"category": ["craftsmanship"]}}]}
    }
    answer = {
        "category": {"buckets": [{"key": "craftsmanship", "doc_count": 4}]},
        "region": {"doc_count": 4, "values": {"buckets": [{"key": "华东", "doc_count": 4}]}},
    }
    values = facet_values(answer, ["category", "region"])
    assert [(v.value, v.count) for v in values["category"]] == [("craftsmanship", 4)]
    assert [(v.value, v.count) for v in values["region"]] == [("华东", 4)]


def test_hits_bring_back_only_the_stored_summary_and_display() -> None:
    body = search_body(SearchQuery(q="剪纸"), analyze_query("剪纸"), TODAY)
    assert body["_source"] == list(STORED_FIELDS)


def test_no_requested_facets_means_no_aggregations() -> None:
    assert "aggs" not in search_body(SearchQuery(facets=()), analyze_query(""), TODAY)


def test_facet_values_keep_engine_order_as_text() -> None:
    aggs = {"decade": {"values": {"buckets": [{"key": 1950, "doc_count": 3}]}}}
    values = facet_values(aggs, ["decade"])
    assert [(v.value, v.count) for v in values["decade"]] == [("1950", 3)]


@pytest.mark.parametrize(
    ("sort", "relevance", "first"),
    [
        ("relevance", True, "_score"),
        ("relevance", False, {"date_sort": {"order": "asc", "missing": "_last"}}),
        ("date", True, {"date_sort": {"order": "asc", "missing": "_last"}}),
        ("-date", False, {"date_sort": {"order": "desc", "missing": "_last"}}),
        ("title", False, {"title_sort": {"order": "asc", "missing": "_first"}}),
        ("modified", False, {"modified": {"order": "desc", "missing": "_last"}}),
    ],
)
def test_sorts_match_sqlite_orders_and_break_ties_by_id(
    sort: str, relevance: bool, first: Any
) -> None:
    assert sort_spec(sort, relevance=relevance) == [first, {"id": "asc"}]


def test_every_facet_field_can_be_counted() -> None:
    body = search_body(SearchQuery(), analyze_query(""), TODAY)
    assert set(body["aggs"]) == set(FACET_FIELDS)


# ---------------------------------------------------------------------------------- paging


@pytest.mark.parametrize(
    ("offset", "size", "steps"),
    [
        (0, 20, []),
        (RESULT_WINDOW - 100, 100, []),
        (RESULT_WINDOW - 99, 100, [RESULT_WINDOW - 99]),
        (RESULT_WINDOW, 100, [RESULT_WINDOW]),
        (25_050, 50, [RESULT_WINDOW, RESULT_WINDOW, 5_050]),
    ],
)
def test_deep_pages_walk_in_window_sized_steps(offset: int, size: int, steps: list[int]) -> None:
    found = walk_steps(offset, size)
    assert found == steps
    assert all(step <= RESULT_WINDOW for step in found)


def _date_key(sort: str) -> Any:
    return sort_key_field(sort_spec(sort, relevance=False))


def test_year_counts_are_over_the_hits_in_sort_order_while_facets_stay_drill_sideways() -> None:
    query = SearchQuery(sort="-date", filters={"region": ("延安市",)})
    body = search_body(query, analyze_query(""), TODAY)
    ranks = rank_aggregations(body, _date_key("-date"), RANKINGS["date_sort"])
    assert list(ranks) == [RANK_AGG]
    assert ranks[RANK_AGG]["filter"] == body["post_filter"]
    histogram = ranks[RANK_AGG]["aggs"]["values"]["histogram"]
    assert histogram == {
        "field": "date_sort",
        "interval": 1,
        "min_doc_count": 1,
        "order": {"_key": "desc"},
    }
    assert "unkeyed" not in ranks[RANK_AGG]["aggs"]  # the year is the sort field itself
    plain = search_body(SearchQuery(sort="date"), analyze_query(""), TODAY)
    ranks = rank_aggregations(plain, _date_key("date"), RANKINGS["date_sort"])
    assert ranks == {RANK_AGG: {"histogram": histogram | {"order": {"_key": "asc"}}}}


@pytest.mark.parametrize(("sort", "field"), [("title", "title_code"), ("modified", "modified_key")])
@pytest.mark.parametrize("filtered", [False, True])
def test_title_and_modified_counts_are_on_their_key_and_count_the_hits_without_one(
    sort: str, field: str, filtered: bool
) -> None:
    key = _date_key(sort)
    body = {"post_filter": {"terms": {"region": ["延安市"]}}} if filtered else {}
    ranks = rank_aggregations(body, key, RANKINGS[key.field], [10, 20])
    if filtered:
        counts = ranks[RANK_AGG]["aggs"]["values"]
        unkeyed = ranks[RANK_AGG]["aggs"]["unkeyed"]
    else:
        counts, unkeyed = ranks[RANK_AGG], ranks[UNKEYED_AGG]
    if sort == "title":  # ranges between the index's quantiles, from 0 (no code is negative)
        ranges = [{"from": 0, "to": 10}, {"from": 10, "to": 20}, {"from": 20}]
        assert counts == {"range": {"field": field, "ranges": ranges}}
    else:
        assert counts["histogram"]["field"] == field
        assert counts["histogram"]["order"] == {"_key": "desc"}
    clauses = unkeyed["filter"]["bool"]["filter"]
    assert clauses[0] == {"exists": {"field": key.field}}
    assert clauses[1] == {"bool": {"must_not": [{"exists": {"field": field}}]}}


def test_title_counts_without_bounds_are_one_range_of_everything() -> None:
    ranks = rank_aggregations({}, _date_key("title"), RANKINGS["title_sort"], [])
    assert ranks[RANK_AGG] == {"range": {"field": "title_code", "ranges": [{"from": 0}]}}


def test_ranked_buckets_are_read_from_either_shape_and_refused_when_some_hits_lack_a_key() -> None:
    buckets = [{"key": 1950.0, "doc_count": 40}]
    assert ranked_buckets({RANK_AGG: {"buckets": buckets}}) == buckets
    assert ranked_buckets({RANK_AGG: {"buckets": buckets}, UNKEYED_AGG: {"doc_count": 0}}) == (
        buckets
    )
    assert ranked_buckets({RANK_AGG: {"buckets": buckets}, UNKEYED_AGG: {"doc_count": 2}}) is None
    nested = {"doc_count": 40, "values": {"buckets": buckets}}
    assert ranked_buckets({RANK_AGG: nested}) == buckets
    assert ranked_buckets({RANK_AGG: nested | {"unkeyed": {"doc_count": 1}}}) is None


BUCKETS = [{"key": 1950.0, "doc_count": 40}, {"key": 1960.0, "doc_count": 30}]
"""Hits per year as `rank_aggregation` answers for the date sort (the -date sort: reversed);
10 more hits are undated."""
UNDATED = {"bool": {"must_not": [{"exists": {"field": "date_sort"}}]}}


def _years(start: int, end: int) -> dict[str, Any]:
    return {"range": {"date_sort": {"gte": start, "lt": end + 1}}}


@pytest.mark.parametrize(
    ("sort", "offset", "size", "clauses", "skipped"),
    [
        ("date", 0, 10, [_years(1950, 1950)], 0),
        ("date", 30, 10, [_years(1950, 1950)], 0),
        ("date", 39, 2, [_years(1950, 1960)], 0),
        ("date", 40, 10, [_years(1960, 1960)], 40),
        ("date", 65, 10, [_years(1960, 1960), UNDATED], 40),
        ("date", 0, 100, [_years(1950, 1960), UNDATED], 0),
        ("-date", 29, 1, [_years(1960, 1960)], 0),
        ("-date", 30, 5, [_years(1950, 1950)], 30),
    ],
)
def test_a_page_reads_the_buckets_holding_its_first_to_last_hit(
    sort: str, offset: int, size: int, clauses: list[dict[str, Any]], skipped: int
) -> None:
    buckets = BUCKETS if sort == "date" else BUCKETS[::-1]
    ranking = RANKINGS["date_sort"]
    narrow, before = rank_filter(_date_key(sort), ranking, buckets, 80, offset, size)
    assert before == skipped
    assert narrow == {"bool": {"should": clauses, "minimum_should_match": 1}}


def test_a_page_past_every_year_is_in_the_undated_tail() -> None:
    ranking = RANKINGS["date_sort"]
    only_undated = {"bool": {"should": [UNDATED], "minimum_should_match": 1}}
    assert rank_filter(_date_key("date"), ranking, BUCKETS, 80, 70, 10) == (only_undated, 70)
    assert rank_filter(_date_key("date"), ranking, [], 5, 2, 10) == (only_undated, 0)


def test_missing_titles_come_before_the_first_range() -> None:
    ranking = RANKINGS["title_sort"]
    buckets = [
        {"key": "0.0-50.0", "from": 0.0, "to": 50.0, "doc_count": 20},
        {"key": "50.0-*", "from": 50.0, "doc_count": 20},
    ]
    absent = {"bool": {"must_not": [{"exists": {"field": "title_sort"}}]}}
    first = {"range": {"title_code": {"gte": 0, "lt": 50}}}
    key = _date_key("title")
    assert rank_filter(key, ranking, buckets, 45, 0, 10)[0]["bool"]["should"] == [first, absent]
    assert rank_filter(key, ranking, buckets, 45, 5, 10) == (_any([first]), 5)
    assert rank_filter(key, ranking, buckets, 45, 30, 10) == (
        _any([{"range": {"title_code": {"gte": 50}}}]),  # the last range is open
        25,
    )
    both = {"range": {"title_code": {"gte": 0}}}
    assert rank_filter(key, ranking, buckets, 45, 20, 10) == (_any([both]), 5)


def test_ranges_count_in_sort_order_when_the_sort_descends() -> None:
    """A range aggregation answers in key order; a descending sort reads it backwards."""
    ranking = Ranking("some_key", None)
    key = SortKey("some_field", descending=True, missing_first=False)
    buckets = [
        {"from": 0.0, "to": 50.0, "doc_count": 20},
        {"from": 50.0, "doc_count": 30},
    ]
    high = {"range": {"some_key": {"gte": 50}}}
    low = {"range": {"some_key": {"gte": 0, "lt": 50}}}
    assert rank_filter(key, ranking, buckets, 50, 0, 10) == (_any([high]), 0)
    assert rank_filter(key, ranking, buckets, 50, 35, 10) == (_any([low]), 30)


def _any(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


def test_the_title_code_never_orders_titles_against_their_byte_order() -> None:
    real = [
        "",
        "\x00",
        "0 nian",
        "2019 nian miao xiu",
        "a",
        "a b",
        "a\x01",
        "a!",
        "ab",
        "hu he hao te jian zhi",
        "hu he hao te jian zhi xi you ji",
        "hu he hao te jian zhi zuo pin",
        "nan jing jian zhi",
        "nan jing  jian",
        "nan jingx",
        "zuo",
        "zzz",
        "é",
        "中文",
    ]
    codes = [title_code(title) for title in sorted(real, key=str.encode)]
    assert codes == sorted(codes)
    assert title_code("nan jing jian zhi") < title_code("nan jing jian zhi a")
    # six words, then ties
    assert title_code("hu he hao te jian zhi xi") == title_code("hu he hao te jian zhi zuo")
    assert max(codes) < 2**53  # exact as a double
    assert len(set(TITLE_WORDS)) == len(TITLE_WORDS) and list(TITLE_WORDS) == sorted(TITLE_WORDS)
    assert all(word.isascii() and word.isalnum() for word in TITLE_WORDS)


SMALL_WORDS = ("a", "ab", "b", "ba", "c")


def _texts(words: tuple[str, ...], most: int) -> list[str]:
    """Every text of up to `most` words joined by single spaces, in byte order."""
    texts = {""}
    for n in range(1, most + 1):
        texts |= {" ".join(chosen) for chosen in itertools.product(words, repeat=n)}
    return sorted(texts, key=str.encode)


def test_the_title_code_is_the_floor_among_the_texts_of_its_words() -> None:
    """Over a small vocabulary, every title's code is the code of the last text of up to six
    words not sorting after it (found by bisecting all of them), and codes order as texts."""
    texts = _texts(SMALL_WORDS, TITLE_CODE_WORDS)
    codes = [title_code(text, SMALL_WORDS) for text in texts]
    assert codes == sorted(codes) and len(set(codes)) == len(codes)
    rng = random.Random(15)
    letters = ["a", "b", "c", "d", " ", "  ", "\x01", "!", "é", "中"]
    titles = ["".join(rng.choices(letters, k=rng.randrange(12))) for _ in range(4000)]
    for title in titles + texts:
        floor = texts[bisect_right(texts, title) - 1]
        assert title_code(title, SMALL_WORDS) == title_code(floor, SMALL_WORDS), repr(title)


MODIFIED = [
    "2024-01-01 09:00:00Z",
    "2024-01-01T00:00:00+08:00",
    "2024-01-01T00:00:00.5Z",
    "2024-01-01T00:00:00Z",
    "2024-01-01T00:00:01Z",
    "2024-01-01t00:00:00Z",
    "2024-01-02T00:00:00Z",
    "2024-12-31T23:59:60Z",
]


def test_the_modified_key_orders_as_the_text_and_buckets_by_day() -> None:
    keys = [modified_key(text) for text in sorted(MODIFIED)]
    assert keys == sorted(keys)
    assert modified_key("2024-01-01T00:00:00+08:00") == modified_key("2024-01-01T00:00:00Z")
    assert modified_key("2024-01-02T12:34:56Z") == 20240102_1_123456
    interval = RANKINGS["modified"].interval
    assert modified_key("2024-01-02T23:59:59Z") // interval == 20240102
    assert modified_key("not a date") is None
