"""`Authority`: a project, bearer or institution record as Python sees it, matching
`authority.schema.json` field for field (`tests/unit/schemas/test_authority.py` fails when they
drift apart), and the small rules every writer of one shares: ids and list numbers.

Item records name people, projects and subjects as text; an authority is the one record each of
them stands for, so that 剪纸, 剪紙 and jiǎnzhǐ in three manifests are one project.
(No `from __future__ import annotations` here: TypedDict must see `Required[...]` as a type.)
"""

import re
import unicodedata
from typing import Literal, Required, TypedDict

from schemas.errors import InvalidInput
from schemas.record import AuthorityKind, CategoryCode, Date, LangString

Kind = AuthorityKind
Level = Literal["national", "provincial", "city", "county"]
KINDS: tuple[Kind, ...] = ("project", "bearer", "institution")
LEVELS: tuple[Level, ...] = ("national", "provincial", "city", "county")

ROMAN = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ"
"""The category numerals of the national list, in category order (Ⅰ = folk literature)."""
_ASCII_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
_LIST_NUMBER = re.compile(r"^\s*([IVXivx]+|[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ])\s*[-—–－‐]\s*0*([0-9]{1,4})\s*$")
_ID = re.compile(r"^(project|bearer|institution)-[a-z0-9][a-z0-9-]{0,80}$")


class Names(TypedDict, total=False):
    zh: Required[str]
    en: str


class Region(TypedDict, total=False):
    name: Required[str]
    name_en: str
    code: str  # GB/T 2260


class Source(TypedDict, total=False):
    title: Required[str]
    url: str
    license: str


class Authority(TypedDict, total=False):
    schema_version: Required[Literal["1.0"]]
    id: Required[str]
    kind: Required[Kind]
    names: Required[Names]
    alternative_names: list[str]
    pinyin: str
    level: Level
    list_number: str
    batch_year: int
    category: CategoryCode
    region: Region
    protecting_units: list[str]
    birth: Date
    death: Date
    biography: LangString
    description: LangString
    projects: list[str]
    same_as: list[str]
    source: Source
    created: Required[str]
    modified: Required[str]


def list_number(text: str) -> str:
    """'VII-16', 'Ⅶ—016', 'vii-16' -> 'Ⅶ-16'; InvalidInput says what to write."""
    match = _LIST_NUMBER.match(unicodedata.normalize("NFC", text))
    numeral = match.group(1).upper() if match else ""
    if match and numeral in _ASCII_ROMAN:
        numeral = ROMAN[_ASCII_ROMAN.index(numeral)]
    if not match or numeral not in ROMAN:
        raise InvalidInput(
            f"list number {text!r} is not a national list number such as Ⅶ-16 or VII-16"
        )
    return f"{numeral}-{int(match.group(2))}"


def category_numeral(number: str) -> int:
    """The category of a list number, 1-10 (Ⅶ-16 -> 7)."""
    return ROMAN.index(number[0]) + 1


def project_id(number: str) -> str:
    """The id of the national list's project Ⅶ-16: 'project-vii-16'."""
    normal = list_number(number)
    return f"project-{_ASCII_ROMAN[category_numeral(normal) - 1].lower()}-{normal[2:]}"


def slug(text: str) -> str:
    """ASCII letters and digits of `text` joined by '-' (tone marks dropped), for ids."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "-".join(re.findall(r"[a-z0-9]+", plain))


def check_id(authority_id: str, kind: str | None = None) -> str:
    """An authority id is its storage key: the kind, '-', then a-z 0-9 '-' (ASCII only)."""
    if not _ID.match(authority_id):
        raise InvalidInput(
            f"authority id {authority_id!r} must be project-…, bearer-… or institution-… "
            "followed by a-z, 0-9 and '-'"
        )
    if kind is not None and not authority_id.startswith(f"{kind}-"):
        raise InvalidInput(f"authority id {authority_id!r} of a {kind} must start with '{kind}-'")
    return authority_id
