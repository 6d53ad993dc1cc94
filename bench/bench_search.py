"""Search benchmark: indexing rate and query latency per backend, against a naive baseline.

    .venv/bin/python bench/bench_search.py --n 100000
    .venv/bin/python bench/bench_search.py --n 1000000 --dir /tmp/heritage-bench --reuse

Loads N synthetic but realistic records (Chinese and English text, skewed category, region and
decade distributions, some restricted/draft/embargoed items) into each backend named by
`--backends`, then times a fixed query mix, every query with the standard facet counts:

- `word`: one common two-character Chinese word (several, in rotation)
- `common`: the words found in most records (传统 is in nearly every category label)
- `two`: two words
- `phrase`: a quoted English phrase
- `filtered`: a word with category + decade filters
- `deep`: page 120 of 100 hits in date order (past 10 000 hits), empty query and a word
- `ranked`: relevance pages past the first 500 hits (page 6 and 30 of 100)

and, each in a fresh process, the time from opening the index to the first result.

`sqlite` is SqliteIndex with its result cache off (every query computed in full);
`sqlite-cached` the same index with the cache on; `naive` is the baseline measured in the same
run on the same documents: a plain FTS5 table, a facet table with text columns, `ORDER BY
bm25()` and one `GROUP BY` per facet. A cluster backend is added by registering a factory in
BACKENDS that loads the records through `index()`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from search.analysis import AllOf, analyze_query  # noqa: E402
from search.base import FACET_FIELDS, Hit, SearchQuery  # noqa: E402
from search.documents import FIELD_BOOSTS, TEXT_FIELDS  # noqa: E402
from search.highlight import highlights_for  # noqa: E402
from search.sqlite import CODE_MASK, SqliteIndex, fts_match  # noqa: E402

# ---------------------------------------------------------------------------------- corpus

CATEGORIES: dict[str, tuple[float, list[str], list[str]]] = {
    # code: (share of collections, Chinese forms, English forms)
    "traditional-art": (
        0.18,
        ["剪纸", "年画", "刺绣", "泥塑", "木雕", "唐卡", "风筝"],
        [
            "paper cutting",
            "new year painting",
            "embroidery",
            "clay figure",
            "woodcarving",
            "thangka",
            "kite",
        ],
    ),
    "traditional-music": (
        0.16,
        ["长调", "民歌", "呼麦", "马头琴", "唢呐", "花儿", "古琴"],
        ["long song", "folk song", "khoomei", "morin khuur", "suona", "hua'er", "guqin"],
    ),
    "traditional-drama": (
        0.12,
        ["昆曲", "京剧", "皮影戏", "秦腔", "越剧", "木偶戏"],
        ["kunqu", "peking opera", "shadow puppetry", "qinqiang", "yue opera", "puppet theatre"],
    ),
    "craftsmanship": (
        0.14,
        ["银器制作", "蒙古包营造", "陶瓷烧制", "织锦", "造纸", "制茶"],
        [
            "silversmithing",
            "yurt building",
            "ceramics",
            "brocade weaving",
            "papermaking",
            "tea making",
        ],
    ),
    "folk-customs": (
        0.12,
        ["端午", "龙舟", "庙会", "那达慕", "春节社火", "祭敖包"],
        [
            "duanwu",
            "dragon boat",
            "temple fair",
            "naadam",
            "spring festival parade",
            "ovoo worship",
        ],
    ),
    "traditional-dance": (
        0.08,
        ["安代舞", "秧歌", "狮舞", "龙舞", "筷子舞"],
        ["andai dance", "yangge", "lion dance", "dragon dance", "chopsticks dance"],
    ),
    "quyi": (
        0.06,
        ["评书", "相声", "好来宝", "乌力格尔", "大鼓"],
        ["storytelling", "crosstalk", "haolaibao", "uliger", "drum ballad"],
    ),
    "folk-literature": (
        0.06,
        ["民间故事", "史诗", "传说", "谚语"],
        ["folk tale", "epic", "legend", "proverb"],
    ),
    "sports-acrobatics": (
        0.04,
        ["搏克", "赛马", "射箭", "杂技"],
        ["wrestling", "horse racing", "archery", "acrobatics"],
    ),
    "traditional-medicine": (
        0.04,
        ["蒙医", "针灸", "正骨"],
        ["mongolian medicine", "acupuncture", "bone setting"],
    ),
}
PROVINCES = ["内蒙古", "陕西", "江苏", "山西", "湖南", "甘肃", "青海", "云南", "贵州", "浙江"]
PLACES = [
    "鄂尔多斯",
    "呼和浩特",
    "锡林郭勒",
    "延安",
    "榆林",
    "苏州",
    "南京",
    "大同",
    "汨罗",
    "临夏",
    "西宁",
    "大理",
    "黔东南",
    "杭州",
    "华县",
    "包头",
    "赤峰",
    "通辽",
    "安塞",
    "蔚县",
]
THEMES = [
    "喜鹊登梅",
    "老鼠娶亲",
    "十二生肖",
    "草原牧歌",
    "白蛇传",
    "牡丹亭",
    "赛龙舟",
    "迎新春",
    "嫁娶",
    "祭祀",
    "丰收",
    "骏马",
    "山丹丹",
    "走西口",
    "敕勒歌",
    "鸿雁",
    "富贵有余",
]
SUFFIX = [
    "作品",
    "局部",
    "展览",
    "传承人访谈",
    "制作过程",
    "演出实况",
    "录音",
    "手稿",
    "老照片",
    "教学视频",
    "田野调查",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗宝乌巴其敖包"
GIVEN = "淑兰振飞德力格尔玉梅建国秀英志强海山桂芝明华丽娟布和其木格朝鲁"
SENTENCES = [
    "{place}地区流传已久的{form}，{theme}题材。",
    "由{person}讲述并示范{form}的基本技法。",
    "本条目记录了{year}年{place}的{form}活动。",
    "{form}是国家级非物质文化遗产代表性项目。",
    "画面中可见{theme}的传统图案与色彩。",
    "采集于{place}{county}的田野调查资料。",
]
EN_SENTENCES = [
    "Recorded in {place_en} during fieldwork in {year}.",
    "A master of {form_en} demonstrates traditional techniques.",
    "Part of a survey of {form_en} traditions in the region.",
]
MEDIA = ["image"] * 50 + ["video"] * 15 + ["audio"] * 15 + ["document"] * 15 + ["text"] * 5
DECADE_WEIGHTS = {
    1930: 1,
    1940: 2,
    1950: 6,
    1960: 6,
    1970: 5,
    1980: 10,
    1990: 12,
    2000: 18,
    2010: 25,
    2020: 15,
}
ERAS = [(1644, 1912, "清代"), (1368, 1644, "明代"), (1912, 1949, "民国"), (1900, 1999, "20世纪")]


def _collections(rng: random.Random, count: int = 150) -> list[dict[str, Any]]:
    codes = list(CATEGORIES)
    shares = [CATEGORIES[c][0] for c in codes]
    collections = []
    for i in range(count):
        category = rng.choices(codes, shares)[0]
        place = rng.choice(PLACES)
        collections.append(
            {
                "slug": f"c{i:03d}-{category}",
                "category": category,
                "place": place,
                "province": rng.choice(PROVINCES),
                "institution": f"inst-{i % 60:02d}",
                "weight": rng.paretovariate(1.2),
                "decades": _spread(rng, list(DECADE_WEIGHTS)),
                "media": rng.sample(sorted(set(MEDIA)), rng.choice((1, 2, 2, 3))),
            }
        )
    return collections


def _spread(rng: random.Random, decades: list[int]) -> list[int]:
    """A collection covers a few neighbouring decades, weighted by the overall distribution."""
    centre = rng.choices(decades, [DECADE_WEIGHTS[d] for d in decades])[0]
    width = rng.choice((1, 2, 3, 4))
    return [d for d in decades if abs(d - centre) <= 10 * (width // 2 + 1)][: width + 1]


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2, 3))))


def generate(n: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """N valid-shaped records with realistic skew; the same seed gives the same corpus."""
    rng = random.Random(seed)
    collections = _collections(rng)
    weights = [c["weight"] for c in collections]
    decades = list(DECADE_WEIGHTS)
    for i in range(n):
        col = rng.choices(collections, weights)[0]
        share, forms, forms_en = CATEGORIES[col["category"]]
        k = rng.randrange(len(forms))
        form, form_en = forms[k], forms_en[k]
        theme, suffix = rng.choice(THEMES), rng.choice(SUFFIX)
        if rng.random() < 0.08:
            low, high, display = rng.choice(ERAS)
            edtf = f"{low}/{high}"
        elif rng.random() < 0.05:
            low = high = None
        else:
            decade = rng.choice(col["decades"]) if rng.random() < 0.9 else rng.choice(decades)
            low = high = decade + rng.randrange(10)
            display = edtf = str(low)
        year = low or 2000
        person = _person(rng)
        fill = {
            "place": col["place"],
            "form": form,
            "theme": theme,
            "person": person,
            "year": year,
            "county": rng.choice(PLACES),
            "place_en": "the region",
            "form_en": form_en,
        }
        description = {"zh": "".join(s.format(**fill) for s in rng.sample(SENTENCES, 3))}
        title = {"zh": f"{col['place']}{form}《{theme}》{suffix}"}
        if rng.random() < 0.4:
            title["en"] = f"{form_en.capitalize()}: {theme} ({suffix})"
            description["en"] = " ".join(s.format(**fill) for s in rng.sample(EN_SENTENCES, 2))
        roll = rng.random()
        access, status = "public", "published"
        if roll < 0.05:
            access = "restricted"
        elif roll < 0.10:
            access = "institution"
        elif roll < 0.15:
            status = rng.choice(("draft", "review"))
        media = rng.choice(col["media"]) if rng.random() < 0.95 else rng.choice(MEDIA)
        record: dict[str, Any] = {
            "schema_version": "1.0",
            "id": f"item-{i:07d}",
            "collection": col["slug"],
            "institution": col["institution"],
            "title": title,
            "description": description,
            "category": col["category"],
            "media_type": media,
            "region": {"name": col["place"] + "市", "name_en": col["place"]},
            "people": [{"name": person, "role": rng.choice(("bearer", "performer", "informant"))}],
            "subjects": [form, col["province"]],
            "tags": [{"value": theme, "source": "given"}],
            "access": access,
            "status": status,
            "files": [],
            "events": [],
            "created": "2024-01-01T00:00:00Z",
            "modified": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T00:00:00Z",
        }
        if low is not None:
            record["date"] = {"edtf": edtf, "display": display, "earliest": low, "latest": high}
        if rng.random() < 0.01:
            record["embargo_until"] = "2099-01-01"
        if media in ("document", "text") and rng.random() < 0.5:
            record["text"] = "".join(s.format(**fill) for s in rng.choices(SENTENCES, k=30))
        yield record


# ---------------------------------------------------------------------------------- baseline


class NaiveIndex:
    """The obvious FTS5 design, built from the SqliteIndex's own documents for comparison."""

    def __init__(self, path: Path, source: SqliteIndex) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA cache_size=-131072")
        self.db.execute("PRAGMA mmap_size=4294967296")
        if self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            return
        columns = ", ".join(TEXT_FIELDS)
        self.db.execute(f"CREATE VIRTUAL TABLE fts USING fts5({columns}, tokenize='ascii')")
        self.db.execute(
            "CREATE TABLE docs (rowid INTEGER PRIMARY KEY, id TEXT, collection TEXT, category TEXT,"
            " media_type TEXT, region TEXT, access TEXT, status TEXT, embargo TEXT, ymin INT,"
            " ymax INT, summary TEXT)"
        )
        self.db.execute("CREATE TABLE decades (doc INTEGER, decade TEXT)")
        src = sqlite3.connect(source.path)
        gen = src.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0]
        combos = {
            row[0]: row[1:]
            for row in src.execute(
                "SELECT code, collection, category, media_type, region, access, published,"
                f" embargo, dlo, dhi FROM c_{gen}"
            )
        }
        rows = src.execute(
            f"SELECT k.rowid, k.id, k.ymin, k.ymax, d.shown, d.tokens FROM k_{gen} k"
            f" JOIN d_{gen} d ON d.rowid = k.rowid"
        )
        for number, (rowid, item, ymin, ymax, shown, tokens) in enumerate(rows, 1):
            col, cat, media, region, access, published, embargo, dlo, dhi = combos[
                rowid & CODE_MASK
            ]
            self.db.execute(
                f"INSERT INTO fts (rowid, {columns}) VALUES (?,?,?,?,?,?,?)",
                (number, *zlib.decompress(tokens).decode().split("\n")),
            )
            self.db.execute(
                "INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    number,
                    item,
                    col,
                    cat,
                    media,
                    region,
                    access,
                    "published" if published else "draft",
                    embargo,
                    ymin,
                    ymax,
                    zlib.decompress(shown).decode(),  # [summary, display] as plain JSON
                ),
            )
            if dlo is not None:
                self.db.executemany(
                    "INSERT INTO decades VALUES (?, ?)",
                    [(number, str(d)) for d in range(dlo, dhi + 10, 10)],
                )
        self.db.execute("CREATE INDEX decades_doc ON decades (doc)")
        self.db.commit()
        src.close()

    def search(self, query: SearchQuery) -> tuple[int, list[Hit]]:
        """Same query semantics and post-processing (summaries, highlights) as SqliteIndex."""
        plan = analyze_query(query.q)
        match = fts_match(AllOf(plan.must))
        today = date.today().isoformat()
        where = [
            "fts MATCH ?",
            "d.status = 'published'",
            "d.access = 'public'",
            "(d.embargo IS NULL OR d.embargo <= ?)",
        ]
        args: list[Any] = [match, today]
        for name, values in query.filters.items():
            marks = ",".join("?" * len(values))
            if name == "decade":
                where.append(f"d.rowid IN (SELECT doc FROM decades WHERE decade IN ({marks}))")
            else:
                where.append(f"d.{name} IN ({marks})")
            args.extend(values)
        sql_where = " AND ".join(where)
        base = f"FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE {sql_where}"
        weights = ", ".join(str(FIELD_BOOSTS[f]) for f in TEXT_FIELDS)
        hits = self.db.execute(
            f"SELECT d.id, d.summary {base} ORDER BY bm25(fts, {weights}) LIMIT ?",
            [*args, query.size],
        ).fetchall()
        total = self.db.execute(f"SELECT count(*) {base}", args).fetchone()[0]
        for name in query.facets:
            if name == "decade":
                by_decade = base.replace("WHERE", "JOIN decades x ON x.doc = d.rowid WHERE", 1)
                self.db.execute(
                    f"SELECT x.decade, count(*) {by_decade} GROUP BY 1", args
                ).fetchall()
            else:
                self.db.execute(f"SELECT d.{name}, count(*) {base} GROUP BY 1", args).fetchall()
        shown = [json.loads(row[1]) for row in hits]
        return total, [Hit(s["id"], 0.0, s, highlights_for(d, plan)) for s, d in shown]


# ---------------------------------------------------------------------------------- running

COMMON_WORDS = ("传统", "文化", "调查")

QUERIES: dict[str, list[SearchQuery]] = {
    "word": [SearchQuery(q=w) for w in ("剪纸", "长调", "民歌", "刺绣", "皮影", "端午")],
    # in the subjects or descriptions of most records (传统: every "传统…" category label)
    "common": [SearchQuery(q=w) for w in COMMON_WORDS],
    "two": [SearchQuery(q=q) for q in ("剪纸 喜鹊", "长调 鄂尔多斯", "皮影戏 白蛇传", "民歌 录音")],
    "phrase": [SearchQuery(q=q) for q in ('"paper cutting"', '"long song"', '"dragon boat"')],
    "filtered": [
        SearchQuery(q="民歌", filters={"category": ("traditional-music",), "decade": ("1980",)}),
        SearchQuery(q="剪纸", filters={"region": ("延安市",), "media_type": ("image",)}),
        SearchQuery(q="传承人访谈", filters={"decade": ("2010", "2020")}),
    ],
    # page 120 of 100 in date order: past 10 000 hits, where the cluster backends must jump
    "deep": [SearchQuery(q=q, sort="date", page=120, size=100) for q in ("", "剪纸")],
    # relevance order past the first 500 hits
    "ranked": [SearchQuery(q=q, page=p, size=100) for q, p in (("剪纸", 6), ("民歌", 30))],
}


Search = Callable[[SearchQuery], Any]

FIRST_QUERY = """
import sys, time
sys.path.insert(0, sys.argv[1])
from search.analysis import analyze_query, warm
from search.base import SearchQuery
from search.sqlite import SqliteIndex
from search.understand import resolve_dates
# the first-use costs of the analyser (OpenCC, pinyin: a server loads them at start) and of the
# date reader (its vocabulary of reigns and periods) are theirs, not the index's
warm()
analyze_query(sys.argv[3])
resolve_dates(SearchQuery(q=sys.argv[3]))
start = time.perf_counter()
SqliteIndex(sys.argv[2], cache_size=0).search(SearchQuery(q=sys.argv[3]))
print((time.perf_counter() - start) * 1000)
"""


def first_queries(path: Path, words: list[str]) -> list[float]:
    """Milliseconds from opening the index to the first result, each in a fresh process."""
    root = str(Path(__file__).resolve().parents[1])
    return [
        float(
            subprocess.run(
                [sys.executable, "-c", FIRST_QUERY, root, str(path), word],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        for word in words
    ]


def _measure(
    backends: dict[str, Search], queries: list[SearchQuery], rounds: int
) -> tuple[dict[str, list[float]], dict[str, list[float]], list[int]]:
    """Milliseconds per search, wall clock and CPU of this thread (what a search costs when
    the machine is busy with other work), backends interleaved query by query so that a busy
    moment of a shared machine hits them alike; and each query's total (first backend)."""
    timings: dict[str, list[float]] = {name: [] for name in backends}
    cpu: dict[str, list[float]] = {name: [] for name in backends}
    for search in backends.values():  # warm the page cache once
        for query in queries:
            search(query)
    totals = []
    for query in queries:
        result = next(iter(backends.values()))(query)
        totals.append(result.total if hasattr(result, "total") else result[0])
    for _ in range(rounds):
        for query in queries:
            for name, search in backends.items():
                start, start_cpu = time.perf_counter(), time.thread_time()
                search(query)
                timings[name].append((time.perf_counter() - start) * 1000)
                cpu[name].append((time.thread_time() - start_cpu) * 1000)
    return timings, cpu, totals


def _pct(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def _naive(args: argparse.Namespace, index: SqliteIndex) -> Search:
    return NaiveIndex(args.dir / f"naive-{args.n}.db", index).search


BACKENDS: dict[str, Callable[[argparse.Namespace, SqliteIndex], Search]] = {
    "sqlite": lambda args, index: index.search,
    "sqlite-cached": lambda args, index: SqliteIndex(index.path).search,
    "naive": _naive,
}
"""Backends the table can show. A cluster backend's factory opens its index (URL from an
option), loads `generate(args.n)` through `index()` and returns its `search`."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="records to load")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/heritage-bench"))
    parser.add_argument("--backends", default="sqlite,sqlite-cached,naive")
    parser.add_argument("--rounds", type=int, default=10, help="repetitions of the query mix")
    parser.add_argument("--reuse", action="store_true", help="reuse an index already loaded")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    path = args.dir / f"sqlite-{args.n}.db"
    fresh = not (args.reuse and path.exists())
    if fresh:
        for old in args.dir.glob(f"*-{args.n}.db*"):
            old.unlink()
    index = SqliteIndex(path, cache_size=0)
    if fresh:
        start = time.perf_counter()
        loaded = index.rebuild(generate(args.n))
        seconds = time.perf_counter() - start
        print(
            f"sqlite: indexed {loaded} records in {seconds:.0f} s ({loaded / seconds:.0f}/s), "
            f"file {path.stat().st_size / 2**20:.0f} MiB"
        )
    backends: dict[str, Search] = {}
    for name in args.backends.split(","):
        if name not in BACKENDS:
            raise SystemExit(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}")
        start = time.perf_counter()
        backends[name] = BACKENDS[name](args, index)
        print(f"{name}: ready in {time.perf_counter() - start:.0f} s")
    print(f"\nN = {args.n}, {args.rounds} rounds, facets {', '.join(FACET_FIELDS)}; ms")
    print(f"load average {os.getloadavg()[0]:.2f}; wall ms, then CPU ms of the searching thread")
    header = " ".join(
        f"{name + ' p50':>18} {'p95':>6} {'cpu p50':>8} {'p95':>6}" for name in backends
    )
    print(f"{'query':9} {'matches':>13} {header}")
    for label, queries in QUERIES.items():
        timings, cpu, totals = _measure(backends, queries, args.rounds)
        cells = " ".join(
            f"{_pct(t, 50):18.1f} {_pct(t, 95):6.1f} {_pct(c, 50):8.1f} {_pct(c, 95):6.1f}"
            for t, c in zip(timings.values(), cpu.values(), strict=True)
        )
        print(f"{label:9} {f'{min(totals)}-{max(totals)}':>13} {cells}")
    opened = first_queries(path, ["剪纸", "民歌", COMMON_WORDS[0]])
    print(f"first query after opening (fresh process): {', '.join(f'{t:.0f}' for t in opened)} ms")
    sample = index.search(QUERIES["word"][0])
    print(
        "\nsample:", json.dumps([h.summary["title"] for h in sample.hits[:3]], ensure_ascii=False)
    )


if __name__ == "__main__":
    main()
