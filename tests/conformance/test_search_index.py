"""SearchIndex conformance: the observable behaviour every backend must share.

Runs once per backend registered in `conftest.SEARCH_BACKENDS`, on the fixture corpus there
(21 records; 18 visible to the public: kq-003 is a draft, pc-004 restricted, ct-003 embargoed).
"""

from __future__ import annotations

import copy
import threading
from datetime import date
from typing import Any

import pytest

from schemas.dates import parse_date
from search.base import (
    FACET_FIELDS,
    Audience,
    SearchIndex,
    SearchQuery,
    SearchResult,
    YearSpan,
)
from search.cluster import ClusterIndex, index_body
from tests.conformance.conftest import CORPUS, make_record

PUBLIC_IDS = {r["id"] for r in CORPUS} - {"kq-003", "pc-004", "ct-003"}


def ids(result: SearchResult) -> list[str]:
    return [hit.id for hit in result.hits]


def found(index: SearchIndex, q: str, **options: Any) -> set[str]:
    result = index.search(SearchQuery(q=q, size=100, **options))
    assert result.total == len(result.hits)
    return set(ids(result))


def facet(result: SearchResult, name: str) -> dict[str, int]:
    return {value.value: value.count for value in result.facets[name]}


# ---------------------------------------------------------------------------------- text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("剪纸", {"pc-001", "pc-002", "pc-003", "ft-001"}),
        ("剪紙", {"pc-001", "pc-002", "pc-003", "ft-001"}),
        ("昆曲", {"kq-001", "kq-002"}),
        ("崑曲", {"kq-001", "kq-002"}),
        ("长调", {"ct-001", "ct-002"}),
        ("長調", {"ct-001", "ct-002"}),
        ("皮影戏", {"py-001"}),
        ("皮影", {"py-001", "py-002"}),
        ("乌兰牧骑", {"wl-001", "wl-002"}),
        ("牧骑", {"wl-001", "wl-002"}),
        ("端午", {"db-001", "db-002"}),
        ("呼麦", {"hm-001"}),
        ("马头琴", {"mt-001", "hm-001", "ct-001"}),
        ("剪纸 窗花", {"pc-001", "pc-002"}),
        ("京剧", set()),
    ],
)
def test_chinese_queries(corpus_index: SearchIndex, query: str, expected: set[str]) -> None:
    assert found(corpus_index, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kunqu", {"kq-001", "kq-002"}),
        ("kun qu", {"kq-001", "kq-002"}),
        ("Kūnqǔ", {"kq-001", "kq-002"}),
        ("KUNQU", {"kq-001", "kq-002"}),
        ("piyingxi", {"py-001"}),
        ("pi ying xi", {"py-001"}),
        ("wulanmuqi", {"wl-001", "wl-002"}),
        ("duanwu", {"db-001", "db-002"}),
        # pinyin is indexed for titles, people and places, not for descriptions or full text
        ("jianzhi", {"pc-001", "pc-002", "pc-003"}),
        ("kushulan", {"pc-001"}),
        ("suzhou", {"kq-001", "kq-002"}),
    ],
)
def test_pinyin_queries(corpus_index: SearchIndex, query: str, expected: set[str]) -> None:
    assert found(corpus_index, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("paper cut", {"pc-001", "pc-002", "pc-003", "xs-001"}),
        ("long song", {"ct-001", "ct-002"}),
        ("dragon boats", {"db-001", "db-003"}),
        ('"dragon boat"', {"db-001"}),
        ("carving", {"py-002"}),
        ("peony pavilion", {"kq-001"}),
        ("miluo river", {"db-001", "db-003"}),
        ("bayandelger", {"ct-001"}),
    ],
)
def test_english_queries(corpus_index: SearchIndex, query: str, expected: set[str]) -> None:
    assert found(corpus_index, query) == expected


def test_a_single_character_matches_titles_names_places_and_subjects(
    corpus_index: SearchIndex,
) -> None:
    # 戏 is in py-001's title and in 传统戏剧, the category label of the drama records
    assert found(corpus_index, "戏") == {"py-001", "kq-001", "kq-002"}


def test_phrase_ranks_above_scattered_words(corpus_index: SearchIndex) -> None:
    result = corpus_index.search(SearchQuery(q="dragon boat"))
    assert ids(result) == ["db-001", "db-003"]


def test_title_ranks_above_description_and_full_text(corpus_index: SearchIndex) -> None:
    assert ids(corpus_index.search(SearchQuery(q="马头琴")))[0] == "mt-001"
    paper_cut = ids(corpus_index.search(SearchQuery(q="剪纸")))
    assert set(paper_cut[:3]) == {"pc-001", "pc-002", "pc-003"}
    assert paper_cut[3] == "ft-001"


def test_scores_fall_down_the_list(corpus_index: SearchIndex) -> None:
    scores = [hit.score for hit in corpus_index.search(SearchQuery(q="剪纸")).hits]
    assert scores == sorted(scores, reverse=True)


HOSTILE = [
    "NEAR(",
    'NEAR("a" "b", 3)',
    "*",
    '"',
    '"""',
    "AND",
    "a OR b NOT c",
    "title:(a OR b)",
    "t_title:剪纸",
    "{t_title}: 剪纸",
    '{"query": {"match_all": {}}}',
    "剪纸^10 +昆曲 -长调",
    "(((",
    "\\",
    "'; DROP TABLE meta; --",
    "\x00\ufffe\u202e",
    "x" * 2000,
    "剪纸" * 1000,
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_are_text_and_never_raise(corpus_index: SearchIndex, query: str) -> None:
    result = corpus_index.search(SearchQuery(q=query))
    assert 0 <= result.total <= len(PUBLIC_IDS)


def test_syntax_is_searched_as_words(corpus_index: SearchIndex) -> None:
    assert found(corpus_index, "t_title:剪纸") == set()  # t_title is a word nobody wrote
    assert found(corpus_index, "+剪纸* (剪紙)") == {"pc-001", "pc-002", "pc-003", "ft-001"}
    assert found(corpus_index, "剪纸^10") == set()  # 10 is a word too
    assert found(corpus_index, '"') == PUBLIC_IDS  # no searchable text: everything


# ---------------------------------------------------------------------------------- display


def test_hits_carry_summaries(corpus_index: SearchIndex) -> None:
    (hit,) = corpus_index.search(SearchQuery(q="呼麦")).hits
    assert hit.summary["id"] == "hm-001"
    assert hit.summary["title"] == {"zh": "呼麦", "en": "Khoomei throat singing"}
    assert hit.summary["collection"] == "ordos-folk-songs"
    assert hit.summary["category"] == "traditional-music"
    assert hit.summary["category_label"] == {"zh": "传统音乐", "en": "Traditional music"}
    assert hit.summary["media_type"] == "audio"
    assert hit.summary["region"] == "鄂尔多斯市"
    assert hit.summary["date"]["earliest"] == 2011
    assert hit.summary["has_thumbnail"] is True


def test_highlights(corpus_index: SearchIndex) -> None:
    hits = {hit.id: hit for hit in corpus_index.search(SearchQuery(q="剪纸")).hits}
    assert hits["pc-003"].highlights["title"] == "<mark>剪紙</mark>藝術展覽"
    kunqu = {hit.id: hit for hit in corpus_index.search(SearchQuery(q="kunqu")).hits}
    assert kunqu["kq-002"].highlights["title"] == "<mark>崑曲</mark>曲譜手抄本"
    horse = {hit.id: hit for hit in corpus_index.search(SearchQuery(q="马头琴")).hits}
    assert (
        horse["hm-001"].highlights["description"]
        == "呼麦与<mark>马头琴</mark>合奏，草原歌手的即兴。"
    )


def test_a_hit_in_a_paged_documents_text_names_its_page(empty_index: SearchIndex) -> None:
    pages = [
        "Opening words of the libretto",
        "Middle verses\n\nwith a blank line",  # a page's own blank line is no page break
        "唱到<最后> zygodactyl",
    ]
    text = "\n\n".join(pages)
    starts = [0, len(pages[0]) + 2, len(pages[0]) + len(pages[1]) + 4]
    booklet = make_record(
        "doc-001", "c", {"en": "Booklet"}, media_type="document", text=text, text_pages=starts
    )
    assert empty_index.index([booklet]) == 1

    (hit,) = empty_index.search(SearchQuery(q="zygodactyl")).hits
    assert hit.highlights["page"] == "3"
    assert hit.highlights["text"] == "唱到&lt;最后&gt; <mark>zygodactyl</mark>"
    (hit,) = empty_index.search(SearchQuery(q="verses")).hits
    assert hit.highlights["page"] == "2"
    (hit,) = empty_index.search(SearchQuery(q="booklet")).hits
    assert "page" not in hit.highlights  # the title matched, the text did not


def test_markup_in_titles_is_escaped(corpus_index: SearchIndex) -> None:
    (hit,) = corpus_index.search(SearchQuery(q="notes")).hits
    title = hit.highlights["title"]
    assert "<script>" not in title
    assert title == "Paper-cut &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; <mark>notes</mark>"


# ---------------------------------------------------------------------------------- facets


def test_facet_counts_of_everything_public(corpus_index: SearchIndex) -> None:
    result = corpus_index.search(SearchQuery())
    assert result.total == 18
    assert facet(result, "category") == {
        "traditional-art": 4,
        "traditional-drama": 3,
        "traditional-music": 3,
        "craftsmanship": 3,
        "traditional-dance": 2,
        "folk-customs": 2,
        "folk-literature": 1,
    }
    assert facet(result, "collection") == {
        "ordos-folk-songs": 4,
        "shaanxi-paper-cut": 3,
        "dragon-boat": 3,
        "kunqu-archive": 2,
        "huaxian-shadow-play": 2,
        "ulan-muqir": 2,
        "folk-tales": 2,
    }
    assert facet(result, "decade") == {
        "1930": 1,
        "1950": 4,
        "1960": 2,
        "1970": 1,
        "1980": 1,
        "1990": 1,
        "2000": 2,
        "2010": 4,
    }
    assert facet(result, "access") == {"public": 18}
    assert facet(result, "media_type") == {
        "image": 7,
        "video": 5,
        "audio": 2,
        "document": 2,
        "text": 2,
    }
    assert set(result.facets) == set(FACET_FIELDS)


def test_facet_values_are_ordered_by_count_then_value_and_cut_at_facet_size(
    corpus_index: SearchIndex,
) -> None:
    values = corpus_index.search(SearchQuery(facet_size=3)).facets["category"]
    assert [(v.value, v.count) for v in values] == [
        ("traditional-art", 4),
        ("craftsmanship", 3),
        ("traditional-drama", 3),
    ]


def test_facet_counts_follow_the_query(corpus_index: SearchIndex) -> None:
    result = corpus_index.search(SearchQuery(q="剪纸"))
    assert facet(result, "collection") == {"shaanxi-paper-cut": 3, "folk-tales": 1}
    assert facet(result, "region") == {"延安市": 3, "西安市": 1}
    assert facet(result, "decade") == {"1930": 1, "1950": 1, "1960": 1, "1980": 1}


def test_only_requested_facets_are_counted(corpus_index: SearchIndex) -> None:
    result = corpus_index.search(SearchQuery(q="剪纸", facets=("category",)))
    assert set(result.facets) == {"category"}


def test_filters_and_drill_sideways_facets(corpus_index: SearchIndex) -> None:
    """A facet's counts apply every filter except the facet's own, so other values stay visible."""
    result = corpus_index.search(SearchQuery(filters={"category": ("traditional-art",)}, size=100))
    assert set(ids(result)) == {"pc-001", "pc-002", "pc-003", "xs-001"}
    assert facet(result, "category")["traditional-drama"] == 3  # still offered
    assert facet(result, "collection") == {"shaanxi-paper-cut": 3, "folk-tales": 1}


def test_filter_values_are_any_of_and_fields_all_of(corpus_index: SearchIndex) -> None:
    assert found(corpus_index, "", filters={"media_type": ("audio", "document")}) == {
        "ct-001",
        "hm-001",
        "pc-003",
        "kq-002",
    }
    both = {"media_type": ("audio", "document"), "collection": ("ordos-folk-songs",)}
    assert found(corpus_index, "", filters=both) == {"ct-001", "hm-001"}
    assert found(corpus_index, "长调", filters={"decade": ("1950", "2000")}) == {
        "ct-001",
        "ct-002",
    }
    assert found(corpus_index, "", filters={"region": ("no such place",)}) == set()


def test_year_ranges_overlap(corpus_index: SearchIndex) -> None:
    fifties = {"pc-001", "kq-001", "ct-001", "wl-001"}
    assert found(corpus_index, "", year_from=1950, year_to=1959) == fifties
    assert found(corpus_index, "", year_from=1900, year_to=1920) == {"kq-002"}  # Qing
    assert found(corpus_index, "", year_from=2010) == {"db-001", "db-002", "db-003", "hm-001"}
    assert found(corpus_index, "", year_to=1700) == {"kq-002"}
    assert found(corpus_index, "剪纸", year_to=1960) == {"pc-001", "ft-001"}
    result = corpus_index.search(SearchQuery(year_from=1950, year_to=1959))
    assert facet(result, "decade") == {"1950": 4}


# ---------------------------------------------------------------------------------- dates in q


def _dated(item_id: str, title: str, date_text: str | None) -> dict[str, Any]:
    """A record dated as an archivist wrote it, read by the one date parser."""
    dated = {"date": parse_date(date_text)} if date_text else {}
    return make_record(item_id, "dated", {"zh": title}, **dated)


ERA_CORPUS = [
    _dated("qing-pc", "剪纸 龙凤", "清代"),
    _dated("qianlong-pc", "剪纸 喜鹊", "乾隆五十年"),
    _dated("guangxu-pc", "剪纸 窗花", "光绪年间"),
    _dated("y1912-pc", "剪纸 门笺", "1912年"),
    _dated("republic-pc", "剪纸 戏文", "民国"),
    _dated("c20-pc", "剪纸 花样", "20世纪"),
    _dated("prc-pc", "剪纸 新样", "新中国"),
    _dated("undated-pc", "清代剪纸 无年代", None),  # says 清代, but is not dated
    _dated("republic-ct", "长调 民歌", "民国三十年"),
    _dated("fifties-ct", "长调 录音", "20世纪50年代"),
    _dated("qing-ct", "长调 抄本", "清末"),
]


@pytest.fixture
def era_index(empty_index: SearchIndex) -> SearchIndex:
    assert empty_index.index(copy.deepcopy(ERA_CORPUS)) == len(ERA_CORPUS)
    return empty_index


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # within the era, or overlapping it by more than the year it shares with a neighbour
        ("清代 剪纸", {"qing-pc", "qianlong-pc", "guangxu-pc", "y1912-pc", "c20-pc"}),
        ("民国 剪纸", {"republic-pc", "y1912-pc", "c20-pc"}),
        ("民国 长调", {"republic-ct"}),
        ("清代 长调", {"qing-ct"}),
        ("乾隆", {"qing-pc", "qianlong-pc"}),
        ("光绪年间 剪纸", {"qing-pc", "guangxu-pc", "c20-pc"}),
        ("1950年代", {"c20-pc", "prc-pc", "fifties-ct"}),
        ("新中国 剪纸", {"prc-pc", "c20-pc"}),
        ("清代剪纸", {"qing-pc", "qianlong-pc", "guangxu-pc", "y1912-pc", "c20-pc"}),
        # quoted, a date is words again: only the undated item has them
        ('"清代" 剪纸', {"undated-pc"}),
    ],
)
def test_dates_in_the_query_become_a_year_filter(
    era_index: SearchIndex, query: str, expected: set[str]
) -> None:
    assert found(era_index, query) == expected


def test_the_understood_date_is_reported_with_the_words_left(era_index: SearchIndex) -> None:
    result = era_index.search(SearchQuery(q="清代 剪纸", size=100))
    understood = result.understood
    assert understood is not None and understood.text == "剪纸"
    (qing,) = understood.dates
    assert (qing.label, qing.year_from, qing.year_to, qing.era) == ("清代", 1644, 1912, "qing")
    # removing the filter is searching what is left
    assert found(era_index, understood.without(qing)) == {
        r["id"] for r in ERA_CORPUS if "剪纸" in r["title"]["zh"]
    }
    assert era_index.search(SearchQuery(q="剪纸")).understood is None


def test_an_era_period_and_typed_years_apply_together(era_index: SearchIndex) -> None:
    qing = YearSpan(1644, 1912, era=True)
    assert found(era_index, "", periods=(qing,), year_from=1900) == {
        "qing-pc",
        "guangxu-pc",
        "y1912-pc",
        "c20-pc",
        "qing-ct",
    }
    # typed years keep their plain overlap: 1912 takes in the Republic
    assert "republic-pc" in found(era_index, "", year_from=1912, year_to=1912)
    assert "republic-pc" not in found(era_index, "", periods=(YearSpan(None, 1912, era=True),))


# ---------------------------------------------------------------------------------- authorities

KUNQU = "project-iv-1"
PAPER_CUT = "project-vii-16"
LINKS: dict[str, list[tuple[str, str]]] = {
    "kq-001": [("project", KUNQU), ("bearer", "bearer-yu-zhenfei-1902")],
    "kq-002": [("project", KUNQU), ("institution", "institution-suzhou-kunqu-museum")],
    "kq-003": [("project", KUNQU), ("bearer", "bearer-yu-zhenfei-1902")],  # a draft
    "pc-001": [("project", PAPER_CUT), ("bearer", "bearer-ku-shulan-1920")],
    "pc-002": [("project", PAPER_CUT), ("project", PAPER_CUT)],  # linked twice: counted once
    "pc-004": [("project", PAPER_CUT), ("bearer", "bearer-ku-shulan-1920")],  # restricted
    "ft-001": [("project", PAPER_CUT), ("project", KUNQU)],
}


@pytest.fixture
def linked_index(empty_index: SearchIndex, corpus: list[dict[str, Any]]) -> SearchIndex:
    """The corpus with some items linked to ICH projects and bearers (`authorities`)."""
    for record in corpus:
        links = LINKS.get(record["id"], [])
        if links:
            record["authorities"] = [{"kind": kind, "id": id_} for kind, id_ in links]
    assert empty_index.index(corpus) == len(corpus)
    return empty_index


def test_linked_projects_and_bearers_are_facets(linked_index: SearchIndex) -> None:
    result = linked_index.search(SearchQuery(facets=("project", "bearer")))
    # the draft kq-003 and the restricted pc-004 are never counted for the public
    assert facet(result, "project") == {PAPER_CUT: 3, KUNQU: 3}
    assert facet(result, "bearer") == {"bearer-ku-shulan-1920": 1, "bearer-yu-zhenfei-1902": 1}
    assert [v.value for v in result.facets["project"]] == [KUNQU, PAPER_CUT]  # ties by value


def test_filter_by_project_and_bearer(linked_index: SearchIndex) -> None:
    assert found(linked_index, "", filters={"project": (PAPER_CUT,)}) == {
        "pc-001",
        "pc-002",
        "ft-001",
    }
    assert found(linked_index, "", filters={"project": (KUNQU, PAPER_CUT)}) == {
        "kq-001",
        "kq-002",
        "pc-001",
        "pc-002",
        "ft-001",
    }
    assert found(linked_index, "", filters={"bearer": ("bearer-ku-shulan-1920",)}) == {"pc-001"}
    assert found(
        linked_index, "昆曲", filters={"project": (KUNQU,), "bearer": ("bearer-yu-zhenfei-1902",)}
    ) == {"kq-001"}
    assert found(linked_index, "", filters={"project": ("project-i-1",)}) == set()


def test_project_facet_drills_sideways_and_follows_the_audience(
    linked_index: SearchIndex,
) -> None:
    query = SearchQuery(filters={"project": (KUNQU,)}, facets=("project", "bearer"))
    result = linked_index.search(query)
    assert result.total == 3
    assert facet(result, "project") == {PAPER_CUT: 3, KUNQU: 3}  # its own filter left out
    assert facet(result, "bearer") == {"bearer-yu-zhenfei-1902": 1}
    suzhou = Audience(institution="suzhou-kunqu-museum")
    mine = linked_index.search(SearchQuery(facets=("project", "bearer"), audience=suzhou))
    assert facet(mine, "project") == {KUNQU: 4, PAPER_CUT: 3}  # and its draft kq-003
    assert facet(mine, "bearer") == {"bearer-yu-zhenfei-1902": 2, "bearer-ku-shulan-1920": 1}
    shaanxi = Audience(institution="shaanxi-library")
    theirs = linked_index.search(SearchQuery(filters={"project": (PAPER_CUT,)}, audience=shaanxi))
    assert theirs.total == 4  # with its restricted pc-004
    assert facet(theirs, "bearer") == {"bearer-ku-shulan-1920": 2}


def test_a_cluster_index_made_before_the_authority_fields_takes_linked_items(
    empty_index: SearchIndex, corpus: list[dict[str, Any]]
) -> None:
    if isinstance(empty_index, ClusterIndex):  # as an earlier version made it: no project/bearer
        body = index_body() | {"aliases": {empty_index.alias: {}}}
        for name in ("project", "bearer"):
            del body["mappings"]["properties"][name]
        empty_index.client.indices.create(index=f"{empty_index.alias}-v1", body=body)
    record = next(r for r in corpus if r["id"] == "pc-001")
    record["authorities"] = [{"kind": "project", "id": PAPER_CUT}]
    assert empty_index.index(corpus) == len(corpus)  # not refused by a strict mapping
    result = empty_index.search(SearchQuery(filters={"project": (PAPER_CUT,)}, facets=("project",)))
    assert ids(result) == ["pc-001"]
    assert facet(result, "project") == {PAPER_CUT: 1}


# ---------------------------------------------------------------------------------- visibility


def test_unpublished_restricted_and_embargoed_items_are_invisible_to_the_public(
    corpus_index: SearchIndex,
) -> None:
    assert found(corpus_index, "昆曲唱腔") == set()  # draft
    assert found(corpus_index, "访谈") == set()  # restricted
    assert found(corpus_index, "蒙古族") == set()  # embargoed until 2099
    assert found(corpus_index, "") == PUBLIC_IDS
    result = corpus_index.search(SearchQuery(q="昆曲"))
    assert facet(result, "media_type") == {"video": 1, "document": 1}  # not the draft's audio
    everything = corpus_index.search(SearchQuery())
    assert facet(everything, "access") == {"public": 18}
    assert corpus_index.count(Audience.public()) == 18


def test_an_institution_also_sees_its_own_items(corpus_index: SearchIndex) -> None:
    shaanxi = Audience(institution="shaanxi-library")
    assert found(corpus_index, "访谈", audience=shaanxi) == {"pc-004"}
    assert found(corpus_index, "昆曲唱腔", audience=shaanxi) == set()
    result = corpus_index.search(SearchQuery(audience=shaanxi))
    assert result.total == 19
    assert facet(result, "access") == {"public": 18, "restricted": 1}
    assert facet(result, "collection")["shaanxi-paper-cut"] == 4
    assert corpus_index.count(shaanxi) == 19


def test_an_institution_sees_its_drafts_and_embargoed_items(corpus_index: SearchIndex) -> None:
    suzhou = Audience(institution="suzhou-kunqu-museum")
    assert found(corpus_index, "昆曲", audience=suzhou) == {"kq-001", "kq-002", "kq-003"}
    assert found(corpus_index, "蒙古族", audience=Audience(institution="ordos-museum")) == {
        "ct-003"
    }
    assert found(corpus_index, "蒙古族", audience=suzhou) == set()


def test_a_member_without_restricted_access_misses_restricted_items(
    corpus_index: SearchIndex,
) -> None:
    archivist = Audience.member("shaanxi-library", restricted=False)
    assert found(corpus_index, "访谈", audience=archivist) == set()
    assert corpus_index.count(archivist) == 18
    curator = Audience.member("shaanxi-library", restricted=True)
    assert found(corpus_index, "访谈", audience=curator) == {"pc-004"}


def test_everyone_sees_all(corpus_index: SearchIndex) -> None:
    assert found(corpus_index, "昆曲", audience=Audience.all()) == {"kq-001", "kq-002", "kq-003"}
    assert corpus_index.count(Audience.all()) == 21
    assert corpus_index.count() == 21


def test_an_embargo_lifts_on_its_date(corpus_index: SearchIndex) -> None:
    assert found(corpus_index, "蒙古族", today=date(2098, 12, 31)) == set()
    assert found(corpus_index, "蒙古族", today=date(2099, 1, 1)) == {"ct-003"}


# ---------------------------------------------------------------------------------- sorting, paging


def test_sorts(corpus_index: SearchIndex) -> None:
    def order(sort: str) -> list[dict[str, Any]]:
        return [h.summary for h in corpus_index.search(SearchQuery(sort=sort, size=100)).hits]

    dated = [s["date"]["earliest"] for s in order("date") if s["date"]]
    assert dated == sorted(dated)
    assert order("date")[-1]["id"] == "xs-001"  # undated last
    newest = [s["date"]["earliest"] for s in order("-date") if s["date"]]
    assert newest == sorted(newest, reverse=True)
    assert order("-date")[-1]["id"] == "xs-001"
    # no query: relevance falls back to date
    assert ids(corpus_index.search(SearchQuery(size=100))) == [s["id"] for s in order("date")]
    titles = [s["id"] for s in order("title")]
    # by pinyin: Boat builders, kun qu…, min jian…, Paper-cut…, wu lan…
    assert [titles.index(i) for i in ("db-003", "kq-002", "ft-001", "xs-001", "wl-001")] == sorted(
        titles.index(i) for i in ("db-003", "kq-002", "ft-001", "xs-001", "wl-001")
    )


def test_paging(corpus_index: SearchIndex) -> None:
    everything = ids(corpus_index.search(SearchQuery(sort="title", size=100)))
    pages = [
        corpus_index.search(SearchQuery(sort="title", size=5, page=page)) for page in range(1, 5)
    ]
    assert [hit for page in pages for hit in ids(page)] == everything
    assert all(page.total == 18 and page.size == 5 for page in pages)
    assert [page.page for page in pages] == [1, 2, 3, 4]
    past = corpus_index.search(SearchQuery(sort="title", size=5, page=5))
    assert (past.total, past.hits) == (18, [])


def lanterns(per_group: int = 100, groups: int = 6) -> list[dict[str, Any]]:
    """Records whose descriptions hold "lantern" 6, 5, … 1 times among 12 words, the most
    relevant indexed first (oldest): the order by relevance is the order of their ids."""
    records = []
    for group in range(groups):
        times = groups - group
        for i in range(per_group):
            number = group * per_group + i
            words = ["lantern"] * times + ["silk", "paper", "red", "gold", "night", "fair"]
            words += ["festival"] * (12 - len(words))
            records.append(
                make_record(
                    f"lantern-{number:04d}",
                    "lanterns",
                    {"en": f"Item {number}"},
                    description={"en": " ".join(words)},
                )
            )
    return records


def test_ranking_by_relevance_continues_past_500_hits(empty_index: SearchIndex) -> None:
    records = lanterns()
    assert empty_index.index(records) == len(records)
    pages = [empty_index.search(SearchQuery(q="lantern", size=100, page=p)) for p in range(1, 7)]
    assert [hit for page in pages for hit in ids(page)] == [r["id"] for r in records]
    assert all(page.ranked_window is None for page in pages)


def test_bad_queries_are_refused(corpus_index: SearchIndex) -> None:
    for bad in (
        SearchQuery(size=101),
        SearchQuery(size=0),
        SearchQuery(page=0),
        SearchQuery(facets=("colour",)),
        SearchQuery(filters={"colour": ("red",)}),
    ):
        with pytest.raises(ValueError):
            corpus_index.search(bad)


def test_an_unindexable_record_is_refused_naming_its_id(empty_index: SearchIndex) -> None:
    broken = copy.deepcopy(CORPUS[0])
    del broken["title"]
    with pytest.raises(ValueError, match=broken["id"]):
        empty_index.index([broken])


@pytest.mark.slow
def test_paging_past_ten_thousand_hits(empty_index: SearchIndex) -> None:
    records = [
        make_record(
            f"gen-{i:05d}",
            f"generated-{i % 7}",
            {"zh": f"剪纸作品 {i}", "en": f"Paper-cut {i}"},
            description={"zh": "剪纸" * (1 + i % 3)},
            category="traditional-art",
            date={
                "edtf": str(1900 + i % 120),
                "earliest": 1900 + i % 120,
                "latest": 1900 + i % 120,
            },
        )
        for i in range(10_250)
    ]
    assert empty_index.index(records) == len(records)
    for sort in ("relevance", "date"):
        seen: list[str] = []
        for page in range(1, 104):
            result = empty_index.search(SearchQuery(q="剪纸", sort=sort, size=100, page=page))
            assert result.total == len(records)
            seen.extend(ids(result))
        assert len(seen) == len(set(seen)) == len(records)
    deep = empty_index.search(SearchQuery(q="剪纸", size=100, page=102))
    assert len(deep.hits) == 100 and deep.facets["collection"][0].count > 1400


# ---------------------------------------------------------------------------------- writing


def test_upsert_replaces_by_id(corpus_index: SearchIndex) -> None:
    changed = copy.deepcopy(next(r for r in CORPUS if r["id"] == "hm-001"))
    changed["title"] = {"zh": "马头琴独奏", "en": "Morin khuur solo"}
    changed["category"] = "craftsmanship"
    assert corpus_index.index([changed]) == 1
    assert found(corpus_index, "呼麦") == {"hm-001"}  # still in its description
    assert found(corpus_index, "throat") == set()
    assert "hm-001" in found(corpus_index, "独奏")
    assert corpus_index.count() == 21
    result = corpus_index.search(SearchQuery())
    assert facet(result, "category")["craftsmanship"] == 4
    assert facet(result, "category")["traditional-music"] == 2


def test_upsert_can_hide_an_item(corpus_index: SearchIndex) -> None:
    withdrawn = copy.deepcopy(next(r for r in CORPUS if r["id"] == "py-001"))
    withdrawn["status"] = "withdrawn"
    corpus_index.index([withdrawn])
    assert found(corpus_index, "皮影") == {"py-002"}
    assert corpus_index.count(Audience.public()) == 17


def test_delete(corpus_index: SearchIndex) -> None:
    corpus_index.delete(["kq-001", "no-such-item"])
    assert found(corpus_index, "昆曲") == {"kq-002"}
    assert corpus_index.count() == 20
    assert facet(corpus_index.search(SearchQuery()), "collection")["kunqu-archive"] == 1
    corpus_index.delete([])


def test_rebuild_gives_identical_results(corpus_index: SearchIndex) -> None:
    queries = [
        SearchQuery(q=q, filters=f, sort=s)
        for q in ("", "剪纸", "kunqu", "dragon boat", "马头琴")
        for f in ({}, {"category": ("traditional-art", "traditional-music")})
        for s in ("relevance", "title")
    ]

    def snapshot() -> list[Any]:
        results = [corpus_index.search(q) for q in queries]
        return [(r.total, ids(r), r.facets, [h.highlights for h in r.hits]) for r in results]

    before = snapshot()
    assert corpus_index.rebuild(copy.deepcopy(CORPUS)) == len(CORPUS)
    assert snapshot() == before
    assert corpus_index.count() == len(CORPUS)


def test_rebuild_replaces_everything(corpus_index: SearchIndex) -> None:
    keep = [r for r in CORPUS if r["id"].startswith("kq-")]
    assert corpus_index.rebuild(keep) == 3
    assert corpus_index.count() == 3
    assert found(corpus_index, "剪纸") == set()


def test_searches_during_a_rebuild_never_see_an_empty_index(corpus_index: SearchIndex) -> None:
    totals: list[int] = []
    done = threading.Event()

    def search_until_done() -> None:
        while not done.is_set():
            totals.append(corpus_index.search(SearchQuery(q="剪纸")).total)

    reader = threading.Thread(target=search_until_done)
    reader.start()
    try:
        corpus_index.rebuild(copy.deepcopy(CORPUS) * 30)  # the same records, many times over
    finally:
        done.set()
        reader.join()
    assert totals and set(totals) == {4}


def test_health(corpus_index: SearchIndex) -> None:
    health = corpus_index.health()
    assert health["ok"] is True and isinstance(health["backend"], str)
