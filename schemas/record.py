"""`Record`: the item record as Python sees it, matching `record.schema.json` field for field.

The JSON Schema stays the contract (it validates every write and read); these TypedDicts let the
type checker follow a record through the seams. `tests/unit/schemas/test_record.py` fails
when the two drift apart: a property, a required field or an enum value added to one only.
(No `from __future__ import annotations` here: TypedDict must see `Required[...]` as a type.)
"""

from typing import Literal, NotRequired, Required, TypedDict

LangString = dict[str, str]
"""Text by BCP 47 language tag: {"zh": "剪纸", "en": "Paper cutting"}."""

MediaType = Literal["image", "video", "audio", "document", "text", "mixed"]
Access = Literal["public", "institution", "restricted"]
Status = Literal["draft", "review", "published", "withdrawn"]
CategoryCode = Literal[
    "folk-literature",
    "traditional-music",
    "traditional-dance",
    "traditional-drama",
    "quyi",
    "sports-acrobatics",
    "traditional-art",
    "craftsmanship",
    "traditional-medicine",
    "folk-customs",
]
PersonRole = Literal[
    "bearer", "creator", "performer", "recorder", "photographer", "informant", "contributor"
]
FileRole = Literal[
    "original",
    "access",
    "thumbnail",
    "poster",
    "preview",
    "waveform",
    "page",
    "text",
    "captions",
    "ocr",
]
CaptionKind = Literal["captions", "subtitles", "transcript"]
EventType = Literal[
    "ingestion",
    "identification",
    "normalization",
    "validation",
    "metadata-modification",
    "review",
    "publication",
    "withdrawal",
    "fixity-check",
    "replication",
    "deletion",
]
Outcome = Literal["success", "failure", "warning"]


class Region(TypedDict, total=False):
    name: Required[str]
    name_en: str
    code: str  # GB/T 2260
    lat: float
    lon: float
    sensitive: bool  # maps show only the county (schemas/places.py)


class Date(TypedDict, total=False):
    edtf: Required[str]
    display: str  # as the source wrote it
    earliest: int  # negative = BCE
    latest: int
    era: str


class Person(TypedDict, total=False):
    name: Required[str]
    name_en: str
    role: Required[PersonRole]
    level: str


AuthorityKind = Literal["project", "bearer", "institution"]


class AuthorityLink(TypedDict):
    kind: AuthorityKind
    id: str  # authorities/<id>.json: project-vii-16, bearer-…


class Tag(TypedDict, total=False):
    value: Required[str]
    source: Required[Literal["given", "derived"]]
    by: str
    scheme: str


class Rights(TypedDict, total=False):
    license: str
    statement: LangString
    holder: str


class Gps(TypedDict, total=False):
    lat: float
    lon: float
    alt: float


class Technical(TypedDict, total=False):
    captured: str
    camera: str
    gps: Gps
    format: str
    width: int
    height: int
    duration: float
    pages: int


class StoredFile(TypedDict, total=False):
    role: Required[FileRole]
    key: Required[str]
    name: str
    media_type: Required[str]
    bytes: Required[int]
    sha256: Required[str]
    width: int
    height: int
    duration: float
    pages: int
    page: int
    format: str
    phash: str  # 64-bit perceptual hash of a photo, 16 hex digits (ingest.media.phash)
    language: str  # a captions file's language (BCP 47)
    kind: CaptionKind  # a captions file's kind
    cues: int  # how many cues a captions file holds


class CaptionCue(TypedDict):
    """One cue of a captions file, as the record keeps it for search (`Record.cues`)."""

    file: str  # sha256 of its captions file
    start: float
    end: float
    text: str


class Event(TypedDict):
    type: EventType
    time: str
    agent: str
    outcome: Outcome
    detail: NotRequired[str]


class OcrPage(TypedDict, total=False):
    page: Required[int]
    engine: Required[str]
    confidence: Required[float]  # 0..1
    layout: Literal["horizontal", "vertical"]
    edited_by: str  # a person corrected it: no machine re-run overwrites it


class Ocr(TypedDict):
    engine: str
    confidence: float
    pages: list[OcrPage]


class Record(TypedDict, total=False):
    schema_version: Required[Literal["1.0"]]
    id: Required[str]
    collection: Required[str]
    identifier: str
    institution: str
    title: Required[LangString]
    description: LangString
    category: CategoryCode
    media_type: Required[MediaType]
    region: Region
    date: Date
    people: list[Person]
    authorities: list[AuthorityLink]
    subjects: list[str]
    tags: list[Tag]
    language: list[str]
    rights: Rights
    access: Required[Access]
    status: Required[Status]
    embargo_until: str
    location_public: bool
    technical: Technical
    text: str
    text_pages: list[int]
    cues: list[CaptionCue]
    ocr: Ocr
    files: Required[list[StoredFile]]
    events: Required[list[Event]]
    created: Required[str]
    modified: Required[str]
