"""Fixtures for the conformance suites: every backend of a protocol, behind one fixture.

Search backends come from `SEARCH_BACKENDS`, a registry of factories. A factory is a context
manager taking a scratch directory and yielding an empty, ready `SearchIndex`, and cleaning up
after itself. To add a cluster backend, register a factory that takes its URL from
`tests.conftest.require_service("HERITAGE_TEST_ELASTICSEARCH_URL", "Elasticsearch")` (which fails
in CI and skips locally when the server is not configured), opens a uniquely named index and
deletes it on exit.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from schemas import validate_record
from search.base import SearchIndex
from search.cluster import ClusterIndex
from search.elasticsearch import ElasticsearchIndex
from search.opensearch import OpenSearchIndex
from search.sqlite import SqliteIndex
from tests.conftest import require_service

SearchFactory = Callable[[Path], AbstractContextManager[SearchIndex]]


@contextmanager
def _sqlite(directory: Path) -> Iterator[SearchIndex]:
    index = SqliteIndex(directory / "search.sqlite")
    try:
        yield index
    finally:
        index.close()


def cluster_factory(cls: type[ClusterIndex], variable: str, what: str) -> SearchFactory:
    """A uniquely named index on the real server from scripts/services.sh, dropped on exit."""

    @contextmanager
    def factory(directory: Path) -> Iterator[SearchIndex]:
        index = cls(require_service(variable, what), f"conformance-{uuid.uuid4().hex[:12]}")
        try:
            yield index
        finally:
            index.drop()
            index.close()

    return factory


SEARCH_BACKENDS: dict[str, SearchFactory] = {
    "sqlite": _sqlite,
    "elasticsearch": cluster_factory(
        ElasticsearchIndex, "HERITAGE_TEST_ELASTICSEARCH_URL", "Elasticsearch"
    ),
    "opensearch": cluster_factory(OpenSearchIndex, "HERITAGE_TEST_OPENSEARCH_URL", "OpenSearch"),
}


@pytest.fixture(params=sorted(SEARCH_BACKENDS))
def search_backend(request: pytest.FixtureRequest) -> str:
    """The name of one registered search backend (the suite runs once per name)."""
    return request.param


@pytest.fixture
def empty_index(search_backend: str, tmp_path: Path) -> Iterator[SearchIndex]:
    """A fresh, empty index of the backend under test."""
    with SEARCH_BACKENDS[search_backend](tmp_path) as index:
        yield index


@pytest.fixture
def corpus() -> list[dict[str, Any]]:
    """The fixture corpus (fresh copies: tests may change them)."""
    return copy.deepcopy(CORPUS)


@pytest.fixture
def corpus_index(empty_index: SearchIndex, corpus: list[dict[str, Any]]) -> SearchIndex:
    """An index of the backend under test holding the whole fixture corpus."""
    assert empty_index.index(corpus) == len(corpus)
    return empty_index


# ---------------------------------------------------------------------------------- corpus

_SHA = "0" * 64
_WHEN = "2024-05-01T08:00:00Z"


def make_record(
    id: str,  # noqa: A002 - the record's own field name
    collection: str,
    title: dict[str, str],
    *,
    media_type: str = "image",
    access: str = "public",
    status: str = "published",
    thumbnail: bool = True,
    modified: str = _WHEN,
    **fields: Any,
) -> dict[str, Any]:
    """A valid record (checked against the schema) with the given descriptive fields."""
    files = [
        {
            "role": "original",
            "key": f"blobs/sha256/00/00/{_SHA}",
            "media_type": "application/octet-stream",
            "bytes": 1,
            "sha256": _SHA,
        }
    ]
    if thumbnail:
        files.append({**files[0], "role": "thumbnail", "media_type": "image/jpeg"})
    record = {
        "schema_version": "1.0",
        "id": id,
        "collection": collection,
        "title": title,
        "media_type": media_type,
        "access": access,
        "status": status,
        "files": files,
        "events": [],
        "created": _WHEN,
        "modified": modified,
        **fields,
    }
    validate_record(record)
    return record


def _date(edtf: str, earliest: int, latest: int, display: str | None = None) -> dict[str, Any]:
    return {"edtf": edtf, "earliest": earliest, "latest": latest, "display": display or edtf}


_YANAN = {"name": "延安市", "name_en": "Yan'an", "code": "610600"}
_SUZHOU = {"name": "苏州市", "name_en": "Suzhou", "code": "320500"}
_ORDOS = {"name": "鄂尔多斯市", "name_en": "Ordos", "code": "150600"}
_HUAXIAN = {"name": "华县", "name_en": "Hua County"}
_XILINGOL = {"name": "锡林郭勒盟", "name_en": "Xilingol"}
_MILUO = {"name": "汨罗市", "name_en": "Miluo"}

CORPUS: list[dict[str, Any]] = [
    make_record(
        "pc-001",
        "shaanxi-paper-cut",
        {"zh": "剪纸《喜鹊登梅》", "en": "Paper-cut: Magpies on Plum Blossoms"},
        description={"zh": "陕北窗花，红纸剪成，喜鹊立于梅枝。", "en": "A red window flower."},
        category="traditional-art",
        region=_YANAN,
        date=_date("195X", 1950, 1959, "1950年代"),
        people=[{"name": "库淑兰", "role": "bearer", "level": "national"}],
        subjects=["民间美术"],
        institution="shaanxi-library",
    ),
    make_record(
        "pc-002",
        "shaanxi-paper-cut",
        {"zh": "窗花剪纸", "en": "Window flower paper cutting"},
        description={"zh": "春节时贴在窗上的红色窗花。"},
        category="traditional-art",
        region=_YANAN,
        date=_date("1962", 1962, 1962),
        institution="shaanxi-library",
    ),
    make_record(
        "pc-003",
        "shaanxi-paper-cut",
        {"zh": "剪紙藝術展覽", "en": "Paper-cut art exhibition"},
        description={"zh": "展覽介紹陝北民間藝術。"},
        category="traditional-art",
        media_type="document",
        region={"name": "西安市", "name_en": "Xi'an"},
        date=_date("1985", 1985, 1985),
        institution="shaanxi-library",
    ),
    make_record(
        "pc-004",
        "shaanxi-paper-cut",
        {"zh": "陕北剪纸传承人访谈", "en": "Interview with a paper-cut bearer"},
        category="traditional-art",
        media_type="video",
        region=_YANAN,
        date=_date("2015", 2015, 2015),
        access="restricted",
        institution="shaanxi-library",
    ),
    make_record(
        "kq-001",
        "kunqu-archive",
        {"zh": "昆曲《牡丹亭·游园惊梦》", "en": "Kunqu opera: The Peony Pavilion"},
        description={"zh": "苏州昆剧院一九五七年演出录像。"},
        category="traditional-drama",
        media_type="video",
        region=_SUZHOU,
        date=_date("1957", 1957, 1957),
        people=[{"name": "俞振飞", "role": "performer"}],
        institution="suzhou-kunqu-museum",
    ),
    make_record(
        "kq-002",
        "kunqu-archive",
        {"zh": "崑曲曲譜手抄本", "en": "Handwritten kunqu score"},
        description={"zh": "清代工尺譜抄本。"},
        category="traditional-drama",
        media_type="document",
        region=_SUZHOU,
        date=_date("1644/1912", 1644, 1912, "清代"),
        institution="suzhou-kunqu-museum",
    ),
    make_record(
        "kq-003",
        "kunqu-archive",
        {"zh": "昆曲唱腔录音", "en": "Kunqu singing recording"},
        category="traditional-drama",
        media_type="audio",
        region=_SUZHOU,
        date=_date("1982", 1982, 1982),
        status="draft",
        institution="suzhou-kunqu-museum",
    ),
    make_record(
        "ct-001",
        "ordos-folk-songs",
        {"zh": "鄂尔多斯长调民歌", "en": "Ordos long song"},
        description={"zh": "宝音德力格尔演唱的长调，马头琴伴奏。"},
        category="traditional-music",
        media_type="audio",
        region=_ORDOS,
        date=_date("1958", 1958, 1958),
        people=[{"name": "宝音德力格尔", "role": "performer", "name_en": "Bayandelger"}],
        institution="ordos-museum",
    ),
    make_record(
        "ct-002",
        "ordos-folk-songs",
        {"zh": "长调演唱会", "en": "Long-song concert"},
        category="traditional-music",
        media_type="video",
        region={"name": "呼和浩特市", "name_en": "Hohhot"},
        date=_date("2008", 2008, 2008),
        institution="ordos-museum",
    ),
    make_record(
        "ct-003",
        "ordos-folk-songs",
        {"zh": "蒙古族长调的历史", "en": "A history of the Mongolian long song"},
        category="traditional-music",
        media_type="document",
        region=_ORDOS,
        date=_date("2019", 2019, 2019),
        embargo_until="2099-01-01",
        institution="ordos-museum",
    ),
    make_record(
        "py-001",
        "huaxian-shadow-play",
        {"zh": "华县皮影戏《白蛇传》", "en": "Huaxian shadow puppetry: The White Snake"},
        description={"en": "A full performance by a Huaxian troupe."},
        category="traditional-drama",
        media_type="video",
        region=_HUAXIAN,
        date=_date("1979", 1979, 1979),
        institution="weinan-culture-centre",
    ),
    make_record(
        "py-002",
        "huaxian-shadow-play",
        {"zh": "皮影雕刻技艺", "en": "Carving shadow puppets"},
        description={"zh": "牛皮选料、雕刻与上色。"},
        category="craftsmanship",
        region=_HUAXIAN,
        date=_date("199X", 1990, 1999, "1990年代"),
        institution="weinan-culture-centre",
    ),
    make_record(
        "wl-001",
        "ulan-muqir",
        {"zh": "乌兰牧骑演出", "en": "Ulan Muqir troupe performing"},
        description={"zh": "草原上的流动文艺演出。"},
        category="traditional-dance",
        media_type="video",
        region=_XILINGOL,
        date=_date("1957", 1957, 1957),
        institution="xilingol-archive",
    ),
    make_record(
        "wl-002",
        "ulan-muqir",
        {"zh": "乌兰牧骑队员合影"},
        category="traditional-dance",
        region=_XILINGOL,
        date=_date("1965", 1965, 1965),
        institution="xilingol-archive",
    ),
    make_record(
        "db-001",
        "dragon-boat",
        {"zh": "端午节龙舟竞渡", "en": "Dragon boat race at the Duanwu festival"},
        description={"en": "Teams race dragon boats on the Miluo River."},
        category="folk-customs",
        media_type="video",
        region=_MILUO,
        date=_date("2010", 2010, 2010),
        institution="miluo-culture-centre",
    ),
    make_record(
        "db-002",
        "dragon-boat",
        {"zh": "端午习俗：包粽子", "en": "Duanwu customs: wrapping zongzi"},
        category="folk-customs",
        region=_MILUO,
        date=_date("2012", 2012, 2012),
        institution="miluo-culture-centre",
    ),
    make_record(
        "db-003",
        "dragon-boat",
        {"en": "Boat builders of the Miluo River"},
        description={"en": "Before the launch, a dragon dance is performed beside the new boat."},
        category="craftsmanship",
        region=_MILUO,
        date=_date("2013", 2013, 2013),
        institution="miluo-culture-centre",
    ),
    make_record(
        "mt-001",
        "ordos-folk-songs",
        {"zh": "马头琴制作技艺", "en": "Making the morin khuur"},
        category="craftsmanship",
        region=_ORDOS,
        date=_date("2003", 2003, 2003),
        institution="ordos-museum",
    ),
    make_record(
        "hm-001",
        "ordos-folk-songs",
        {"zh": "呼麦", "en": "Khoomei throat singing"},
        description={"zh": "呼麦与马头琴合奏，草原歌手的即兴。"},
        category="traditional-music",
        media_type="audio",
        region=_ORDOS,
        date=_date("2011", 2011, 2011),
        institution="ordos-museum",
    ),
    make_record(
        "ft-001",
        "folk-tales",
        {"zh": "民间故事集", "en": "Collected folk tales"},
        category="folk-literature",
        media_type="text",
        region=_YANAN,
        date=_date("1930/1939", 1930, 1939),
        text="第一则：剪纸姑娘。从前有一个会剪纸的姑娘，她剪的鸟会飞。",
        thumbnail=False,
        institution="shaanxi-library",
    ),
    make_record(
        "xs-001",
        "folk-tales",
        {"en": "Paper-cut <script>alert('x')</script> notes"},
        category="traditional-art",
        media_type="text",
        region=_YANAN,
        thumbnail=False,
        institution="shaanxi-library",
    ),
]
