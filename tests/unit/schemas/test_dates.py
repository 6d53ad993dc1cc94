"""The one date parser (schemas/dates.py) and the reign-era table it reads."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from edtf import parse_edtf

from schemas import dynasties, eras, reigns
from schemas.dates import DateError, parse_date, read_date, record_date

# What archivists write -> (EDTF, earliest, latest, era code). Years are historical (-221 = 221
# BCE); EDTF years are astronomical. Each was refused at ingest before the reign-era table.
FORMS: list[tuple[str, str, int | None, int | None, str | None]] = [
    # EDTF and Gregorian
    ("2019-05-01", "2019-05-01", 2019, 2019, None),
    ("2019-05~", "2019-05~", 2019, 2019, None),
    ("195X", "195X", 1950, 1959, None),
    ("1950/1959", "1950/1959", 1950, 1959, None),
    ("1956年", "1956", 1956, 1956, None),
    ("１９５６年", "1956", 1956, 1956, None),
    ("1956年5月", "1956-05", 1956, 1956, None),
    ("1956年5月3日", "1956-05-03", 1956, 1956, None),
    ("2019/5/1", "2019-05-01", 2019, 2019, None),
    ("2019.05.01", "2019-05-01", 2019, 2019, None),
    ("1950-1959", "1950/1959", 1950, 1959, None),
    ("1950年至1959年", "1950/1959", 1950, 1959, None),
    # Chinese numerals, seasons, BCE
    ("二〇一九年", "2019", 2019, 2019, None),
    ("二○一九年", "2019", 2019, 2019, None),
    ("一九五六年五月三日", "1956-05-03", 1956, 1956, None),
    ("2019年春", "2019-21", 2019, 2019, None),
    ("1985年冬季", "1985-24", 1985, 1985, None),
    ("公元前221年", "-0220", -221, -221, None),
    ("公元8年", "0008", 8, 8, None),
    ("公元前3世纪", "-0299/-0200", -300, -201, None),
    # decades and centuries
    ("1950s", "195X", 1950, 1959, None),
    ("1950年代", "195X", 1950, 1959, None),
    ("20世纪50年代", "195X", 1950, 1959, None),
    ("二十世纪五十年代", "195X", 1950, 1959, None),
    ("上世纪80年代", "198X", 1980, 1989, None),
    ("20世纪", "19XX", 1900, 1999, None),
    ("20th century", "19XX", 1900, 1999, None),
    # approximations
    ("约1956年", "1956~", 1956, 1956, None),
    ("1956年左右", "1956~", 1956, 1956, None),
    ("circa 1956", "1956~", 1956, 1956, None),
    ("约乾隆年间", "1736~/1795~", 1736, 1795, "qing"),
    # eras and dynasties
    ("清代", "1644/1912", 1644, 1912, "qing"),
    ("Qing dynasty", "1644/1912", 1644, 1912, "qing"),
    ("汉代", "-0201/0220", -202, 220, "han"),
    ("新中国", "1949/..", 1949, None, "prc"),
    ("北宋", "0960/1127", 960, 1127, "song"),
    ("东晋时期", "0317/0420", 317, 420, "jin"),
    ("明清", "1368/1912", 1368, 1912, None),
    # reign eras: year N of an era starting in S is S + N - 1
    ("乾隆五十年", "1785", 1785, 1785, "qing"),
    ("乾隆", "1736/1795", 1736, 1795, "qing"),
    ("光绪年间", "1875/1908", 1875, 1908, "qing"),
    ("光绪二十六年", "1900", 1900, 1900, "qing"),
    ("光緒二十六年", "1900", 1900, 1900, "qing"),
    ("光绪二十六年五月初三", "1900", 1900, 1900, "qing"),
    ("乾隆五十年腊月", "1785/1786", 1785, 1786, "qing"),  # a lunar month: maybe next January
    ("康熙元年", "1662", 1662, 1662, "qing"),
    ("宣统三年", "1911", 1911, 1911, "qing"),
    ("清朝乾隆年间", "1736/1795", 1736, 1795, "qing"),
    ("大明万历三年", "1575", 1575, 1575, "ming"),
    ("唐贞观三年", "0629", 629, 629, "tang"),
    ("贞观十九年", "0645", 645, 645, "tang"),
    ("乾封二年", "0667", 667, 667, "tang"),  # 乾 stays 乾: OpenCC alone would make it 干
    ("永和九年", "0353", 353, 353, "jin"),  # the preferred 永和 (东晋), not 东汉's
    ("东汉永和元年", "0136", 136, 136, "han"),
    ("建元三年", "-0137", -138, -138, "han"),
    ("后至元三年", "1337", 1337, 1337, "yuan"),
    ("民国三十年", "1941", 1941, 1941, "republic"),
    ("民國三十年", "1941", 1941, 1941, "republic"),
    ("民国元年", "1912", 1912, 1912, "republic"),
    ("乾隆至嘉庆", "1736/1820", 1736, 1820, "qing"),
    # parts of periods: first quarter, last quarter, the half between (rounded up)
    ("20世纪初", "1900/1924~", 1900, 1924, None),
    ("20世纪中叶", "1925~/1974~", 1925, 1974, None),
    ("20世纪末", "1975~/1999", 1975, 1999, None),
    ("20世纪上半叶", "1900/1949~", 1900, 1949, None),
    ("20世纪50年代末", "1957~/1959", 1957, 1959, None),
    ("清末", "1845~/1912", 1845, 1912, "qing"),
    ("晚清", "1845~/1912", 1845, 1912, "qing"),
    ("初唐", "0618/0690~", 618, 690, "tang"),
    ("光绪末年", "1900~/1908", 1900, 1908, "qing"),
    ("明末清初", "1575~/1711~", 1575, 1711, None),
    ("清末民初", "1845~/1921~", 1845, 1921, None),
    # EDTF level 2 that the edtf library cannot compute years for
    ("15XX-01-3X", "15XX-01-3X", 1500, 1599, None),
    ("156X-12-25", "156X-12-25", 1560, 1569, None),
    ("-1XXX", "-1XXX", -2000, -1001, None),
    ("1950S2", "1950S2", 1900, 1999, None),
]


@pytest.mark.parametrize(("text", "edtf", "earliest", "latest", "era"), FORMS)
def test_forms(
    text: str, edtf: str, earliest: int | None, latest: int | None, era: str | None
) -> None:
    expected = {"edtf": edtf, "display": text, "earliest": earliest, "latest": latest, "era": era}
    assert parse_date(text) == {k: v for k, v in expected.items() if v is not None}
    parse_edtf(edtf)  # what is stored is EDTF the library reads back


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("yesterday", "'yesterday' is not a date this repository can read; write EDTF"),
        ("2019-02-30", "'2019-02-30': there is no day 30 in 2019-02"),
        ("1900-02-29", "there is no day 29 in 1900-02"),  # the edtf library lets it pass
        ("2019-13", "there is no month 13"),
        ("19五六", "is not a date this repository can read"),
        ("千年", "is not a date this repository can read"),  # not the year 1000
        ("百年", "is not a date this repository can read"),
        ("1956年13月", "'1956年13月': there is no month 13"),
        ("1956年2月30日", "there is no day 30 in 1956-02"),
        ("五十年代", "does not say which century; write 20世纪50年代 or 1950年代"),
        ("乾隆七十年", "the 乾隆 era of 清高宗 (清) lasted 60 years, 1736–1795; it had no year 70"),
        ("太和三年", "太和 was the era name of several reigns (魏明帝 (曹魏) 227–233;"),
        ("太和三年", "write 曹魏太和 or 东晋太和 or 北魏太和"),
        ("唐上元二年", "write the Gregorian year"),  # both were Tang's
        ("宋贞观三年", "宋 had no reign era 贞观"),
        ("XXXX", "says nothing about the year"),
        ("15XX-13", "there is no month 13"),
        ("1950-02-3X", "there is no day 3X in month 02"),
        ("1959/1950", "ends before it starts"),
        ("嘉庆至乾隆", "ends before it starts"),
        ("", "the date is empty"),
        ("年" * 101, "at most 100 characters"),
        ("公元前0年", "there is no year 0; 公元前1年 is followed by 公元1年"),  # was 1 CE
        ("公元0年", "there is no year 0"),  # was 1 BCE
        ("0000年", "there is no year 0"),
    ],
)
def test_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(DateError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_date(text)


def test_edtf_edge_cases_never_leak_python_errors() -> None:
    """Whatever the edtf library raises inside (int() of '3X', TypeError, …) comes out as a
    DateError that quotes the text."""
    years = ["15XX", "XXXX", "-0221", "1950S2"]
    months = ["", "-13", "-1X", "-21", "-3X"]
    days = ["", "-3X", "-X1"]
    qualifiers = ["", "%"]
    for year in years:
        for month in months:
            for day in days:
                for qualifier in qualifiers:
                    for text in (f"{year}{month}{day}{qualifier}", f"../{year}{month}{day}"):
                        try:
                            read_date(text)
                        except DateError as error:
                            assert repr(text) in str(error)


def test_reading_says_when_a_date_is_a_named_period() -> None:
    """Search applies its boundary rule to named periods only (see search.dates)."""
    assert read_date("清代").named and read_date("乾隆五十年").named
    assert not read_date("1950年代").named and not read_date("1912").named


def test_record_date_reads_what_a_form_or_patch_sends() -> None:
    assert record_date("乾隆五十年") == parse_date("乾隆五十年")
    # years are recomputed from the EDTF, whatever was sent with it; the display is kept
    sent = {"edtf": "15XX-01-3X", "display": "明代某年", "earliest": 0}
    assert record_date(sent) == {
        "edtf": "15XX-01-3X",
        "display": "明代某年",
        "earliest": 1500,
        "latest": 1599,
    }
    assert record_date({"display": "光绪年间"})["earliest"] == 1875
    assert record_date({"edtf": "1644/1912", "era": "qing"})["era"] == "qing"
    with pytest.raises(DateError, match="not int"):
        record_date(1956)


# ---------------------------------------------------------------------------------- the table


def test_reign_table_names_its_source_and_covers_han_to_qing() -> None:
    data = json.loads(
        resources.files("schemas").joinpath("vocabularies/reign-eras.json").read_text("utf-8")
    )
    assert "中国历史纪年表" in data["source"]
    names = {r.name for r in reigns()}
    assert {"建元", "建安", "贞观", "开元", "庆历", "洪武", "万历", "康熙", "乾隆", "宣统"} <= names


def test_every_reign_lies_in_its_dynasty_and_is_well_formed() -> None:
    known_eras = {era.code for era in eras()}
    by_code = {d.code: d for d in dynasties()}
    for reign in reigns():
        dynasty = by_code[reign.dynasty]
        assert reign.start <= reign.end, reign
        assert reign.start != 0 and reign.end != 0, reign  # there is no year 0
        assert dynasty.era is None or dynasty.era in known_eras
        # 中统 (1260) and 建元 (140 BCE) predate the dynasty's own founding year; none is later
        assert reign.end <= dynasty.end + 2, reign


def test_reigns_of_one_dynasty_follow_each_other() -> None:
    """A reign starts in the year the one before it ended or the year after (same ruler line)."""
    lines = [("western-han",), ("eastern-han",), ("tang", "wu-zhou"), ("northern-song",)]
    for codes in [*lines, ("southern-song",), ("ming",), ("qing",)]:
        line = [r for r in reigns() if r.dynasty in codes]
        for before, after in zip(line, line[1:], strict=False):
            gap = after.start - before.end - (before.end < 0 < after.start)  # no year 0
            assert gap in (0, 1), (before, after)
    qing = [r for r in reigns() if r.dynasty == "qing"]
    assert [(r.name, r.start) for r in qing] == [
        ("顺治", 1644),
        ("康熙", 1662),
        ("雍正", 1723),
        ("乾隆", 1736),
        ("嘉庆", 1796),
        ("道光", 1821),
        ("咸丰", 1851),
        ("同治", 1862),
        ("光绪", 1875),
        ("宣统", 1909),
    ]


def test_every_reign_can_be_written_with_its_dynasty() -> None:
    """'<dynasty><name>元年' reads as the reign's first year, unless the dynasty itself used the
    name twice (唐上元, 元至元): then the preferred one, or an error asking for the year."""
    for reign in reigns():
        prefix = next(d.names[0] for d in dynasties() if d.code == reign.dynasty)
        twice = [r for r in reigns() if r.name == reign.name and r.dynasty == reign.dynasty]
        text = f"{prefix}{reign.name}元年"
        if len(twice) > 1 and not reign.preferred:
            continue
        if len(twice) > 1 and not any(r.preferred for r in twice):
            with pytest.raises(DateError, match="Gregorian year"):
                parse_date(text)
            continue
        assert parse_date(text)["earliest"] == reign.start, text


def test_a_shared_name_without_a_preferred_reign_is_ambiguous() -> None:
    shared: dict[str, list] = {}
    for reign in reigns():
        shared.setdefault(reign.name, []).append(reign)
    for name, found in shared.items():
        preferred = [r for r in found if r.preferred]
        assert len(preferred) <= 1, name
        if len(found) > 1 and not preferred and len({(r.start, r.end) for r in found}) > 1:
            with pytest.raises(DateError, match="several reigns"):
                parse_date(f"{name}年间")
