"""Public contributions ("share your heritage"): what a visitor sends through `/contribute`,
kept apart from the record, and the curator's answer.

Why a store of its own: the contributor's contact (and the status token) must never reach a
record, so nothing that serves records (pages, JSON, RDF, OAI, IIIF, search) can leak it. The
record carries only what the public may read once published: the name or pseudonym as a person
with the role `contributor`. `contributions/<sha256 of the token>.json` holds the rest; the token
itself is known only to the contributor (their status link), so a listing of the store reveals
no link.

The files go through the same ingest as the workspace's uploads (a job with a generated JSON
manifest) into the collection `contributions` as `draft`, screened for sensitive terms there.
Accepting moves the item draft → review → published (two review events naming the curator) and
sets `location_public` to what the contributor chose; declining keeps it a draft (never public)
with the curator's message for the contributor.

The challenge: a visitor proves some work instead of a third-party CAPTCHA: the form carries a
signed challenge `issued.nonce.bits.a.b` and its HMAC; the page's script finds a counter whose
SHA-256 over `challenge:counter` starts with `bits` zero bits; without scripts the visitor
answers a + b. Each challenge is taken once (per process) and expires.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from api.operations.callers import Caller
from api.operations.review import decide
from api.services import Services
from ingest.errors import IngestError
from ingest.identify import identify, name_mismatch
from ingest.task import item_id as derived_item_id
from repository import now_iso
from schemas.dates import DateError, record_date
from schemas.errors import Conflict, Forbidden, InvalidInput, NotFound
from schemas.text import XML_UNSAFE

COLLECTION = "contributions"
TAG = "contribution"
PREFIX = "contributions/"
LICENCE = "CC BY-NC 4.0"
KINDS = ("image", "video", "audio")
MAX_NAME = 80
MAX_CONTACT = 200
MAX_TITLE = 200
MAX_PLACE = 200
MAX_DATE = 64
MAX_STORY = 4000
MAX_MESSAGE = 2000
State = Literal["received", "review", "published", "declined", "failed"]


class ChallengeFailed(Forbidden):
    """The form's challenge is missing, forged, expired, used or not solved."""


@dataclass
class Contribution:
    """What is kept of one contribution beside its record (never served to the public)."""

    id: str
    name: str
    contact: str
    received: str
    job: str
    files: list[str]
    keep_location: bool = False
    decision: Literal["accepted", "declined"] | None = None
    message: str = ""
    decided: str | None = None
    decided_by: str | None = None
    token_sha256: str = ""

    @property
    def item_id(self) -> str:
        return derived_item_id(COLLECTION, self.id)


@dataclass
class Described:
    """The form's description of the item, checked (`describe`)."""

    name: str
    contact: str
    title: str
    place: str = ""
    date: str = ""
    category: str = ""
    story: str = ""
    keep_location: bool = False
    problems: list[str] = field(default_factory=list)


def visitor_folder(root: Path, session_id: str) -> Path:
    """A visitor's scratch folder of resumable uploads, by their session (beside the staff's)."""
    return root / hashlib.sha256(f"visitor:{session_id}".encode()).hexdigest()[:32]


def held_uploads(folder: Path) -> tuple[int, int]:
    """How many uploads a scratch folder holds, and their declared bytes together."""
    if not folder.is_dir():
        return 0, 0
    count = total = 0
    for info in folder.glob("*.info"):
        count += 1
        try:
            total += int(json.loads(info.read_text(encoding="utf-8")).get("size") or 0)
        except (OSError, ValueError, TypeError):
            continue
    return count, total


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _key(token_sha256: str) -> str:
    return f"{PREFIX}{token_sha256}.json"


class ContributionStore:
    """`contributions/<sha256 of token>.json` in the object store."""

    def __init__(self, services: Services):
        self.store = services.store

    def add(self, contribution: Contribution) -> None:
        data = json.dumps(asdict(contribution), ensure_ascii=False, sort_keys=True).encode()
        self.store.put_bytes(_key(contribution.token_sha256), data, if_none_match=True)

    def save(self, contribution: Contribution) -> None:
        data = json.dumps(asdict(contribution), ensure_ascii=False, sort_keys=True).encode()
        self.store.put_bytes(_key(contribution.token_sha256), data)

    def by_token(self, token: str) -> Contribution | None:
        if not token or len(token) > 100:
            return None
        return self._load(_key(token_hash(token)))

    def _load(self, key: str) -> Contribution | None:
        try:
            return Contribution(**json.loads(self.store.get_bytes(key)))
        except KeyError:  # NotFound is a KeyError
            return None

    def all(self) -> Iterator[Contribution]:
        for key in self.store.list(PREFIX):
            found = self._load(key)
            if found is not None:
                yield found

    def by_item(self, item_id: str) -> Contribution | None:
        return next((c for c in self.all() if c.item_id == item_id), None)


# --- the form ------------------------------------------------------------------------------------


def describe(fields: Mapping[str, str], categories: set[str]) -> Described:
    """The form's text fields, each checked; `problems` names the fields (message key ends)."""

    def text(name: str) -> str:
        return (
            " ".join(fields.get(name, "").split())
            if name != "story"
            else fields.get(name, "").strip()
        )

    found = Described(
        name=text("name"),
        contact=text("contact"),
        title=text("title"),
        place=text("place"),
        date=text("date"),
        category=text("category"),
        story=text("story"),
        keep_location=fields.get("keep_location") in ("1", "on"),
    )
    limits = {
        "name": MAX_NAME,
        "contact": MAX_CONTACT,
        "title": MAX_TITLE,
        "place": MAX_PLACE,
        "date": MAX_DATE,
        "story": MAX_STORY,
    }
    for name in ("name", "contact", "title"):
        if not getattr(found, name):
            found.problems.append(name)
    for name, limit in limits.items():
        value = getattr(found, name)
        if len(value) > limit:
            found.problems.append(f"{name}_long")
        if XML_UNSAFE.search(value):
            found.problems.append("characters")
    if found.category and found.category not in categories:
        found.problems.append("category")
    if found.date and "date_long" not in found.problems:
        try:
            record_date(found.date)
        except DateError:
            found.problems.append("date")
    for consent in ("licence", "consent"):
        if fields.get(consent) not in ("1", "on"):
            found.problems.append(consent)
    found.problems = list(dict.fromkeys(found.problems))
    return found


def check_files(files_dir: Path, names: list[str]) -> None:
    """Each file must be a photo, video or audio by its bytes, and what its name says;
    `InvalidInput` naming the first that is not."""
    for name in names:
        try:
            fmt = identify(files_dir / name, name)
        except IngestError as exc:
            raise InvalidInput(f"{name}: {exc}") from None
        if fmt.kind not in KINDS:
            raise InvalidInput(f"{name}: this is a {fmt.name} file, not a photo, video or audio")
        if name_mismatch(fmt, name):
            raise InvalidInput(f"{name}: its bytes are {fmt.name}, not what its name says")


def manifest_row(contribution: Contribution, described: Described) -> dict[str, Any]:
    """The one manifest row (one item, every file) the ingest is given."""
    row: dict[str, Any] = {
        "path": contribution.files,
        "identifier": contribution.id,
        "title": described.title,
        "people": [f"{described.name} (contributor)"],
        "tags": [TAG],
        "license": LICENCE,
        "rights_holder": described.name,
        "status": "draft",
        "access": "public",
    }
    for key, value in (
        ("description", described.story),
        ("region", described.place),
        ("date", described.date),
        ("category", described.category),
    ):
        if value:
            row[key] = value
    return row


def new_contribution(described: Described, job: str, files: list[str]) -> tuple[str, Contribution]:
    """A contribution and its status token (shown once, to the contributor)."""
    token = secrets.token_urlsafe(24)
    contribution = Contribution(
        id=f"c-{time.strftime('%Y%m%d', time.gmtime())}-{secrets.token_hex(6)}",
        name=described.name,
        contact=described.contact,
        received=now_iso(),
        job=job,
        files=files,
        keep_location=described.keep_location,
        token_sha256=token_hash(token),
    )
    return token, contribution


# --- status and decisions ------------------------------------------------------------------------


def state_of(services: Services, contribution: Contribution, job_state: str | None) -> State:
    """What the contributor's status page says: nothing more than this (and the link, the
    curator's message)."""
    if contribution.decision == "declined":
        return "declined"
    record = services.records.get(contribution.item_id)
    if record is None:
        return "failed" if job_state in ("done", "failed") else "received"
    if record["status"] == "published":
        return "published"
    return "review"


def accept(record: dict[str, Any], contribution: Contribution, reason: str, caller: Caller) -> str:
    """Publish a contribution's record in place (draft → review → published)."""
    if TAG not in [t["value"] for t in record.get("tags", [])]:
        raise NotFound(f"item {record['id']!r} is no contribution")
    if record["status"] == "draft":
        decide(record, "review", reason, caller)
    record["location_public"] = contribution.keep_location
    return decide(record, "published", reason, caller)


def decline(store: ContributionStore, contribution: Contribution, message: str, by: str) -> None:
    if contribution.decision is not None:
        raise Conflict(f"contribution {contribution.id} was {contribution.decision} already")
    contribution.decision, contribution.message = "declined", message.strip()
    contribution.decided, contribution.decided_by = now_iso(), by
    store.save(contribution)


def accepted(store: ContributionStore, contribution: Contribution, by: str, message: str) -> None:
    """Record the acceptance; the curator's message (optional here) is for the contributor's
    status page, as a decline's is."""
    contribution.decision, contribution.message = "accepted", message.strip()
    contribution.decided, contribution.decided_by = now_iso(), by
    store.save(contribution)


# --- the challenge -------------------------------------------------------------------------------


def _sign(secret: str, challenge: str) -> str:
    return hmac.new(secret.encode(), f"contribute:{challenge}".encode(), "sha256").hexdigest()


def new_challenge(secret: str, bits: int) -> tuple[str, str, tuple[int, int]]:
    """(challenge, signature, (a, b) of the no-script question)."""
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    challenge = f"{int(time.time())}.{secrets.token_hex(8)}.{bits}.{a}.{b}"
    return challenge, _sign(secret, challenge), (a, b)


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def solve(challenge: str) -> str:
    """The counter the page's script finds (for tests and scripted clients)."""
    bits = int(challenge.split(".")[2])
    counter = 0
    while leading_zero_bits(hashlib.sha256(f"{challenge}:{counter}".encode()).digest()) < bits:
        counter += 1
    return str(counter)


class Challenges:
    """Checks answers; remembers the challenges taken until they expire (this process only)."""

    def __init__(self, seconds: int, clock: Callable[[], float] = time.time):
        self.seconds = seconds
        self.clock = clock
        self._taken: dict[str, float] = {}
        self._lock = threading.Lock()

    def check(
        self, secret: str, challenge: str, signature: str, work: str, answer: str, bits: int
    ) -> None:
        """`ChallengeFailed` unless the challenge is ours, fresh, unused and answered (the
        proof of work `work`, or the question's `answer`)."""
        if not hmac.compare_digest(_sign(secret, challenge).encode(), signature.encode()):
            raise ChallengeFailed("the form's challenge is missing or not ours")
        issued, _, given_bits, a, b = challenge.split(".")
        now = self.clock()
        if not now - self.seconds <= int(issued) <= now + 60:
            raise ChallengeFailed("the form's challenge has expired: reload the page")
        digest = hashlib.sha256(f"{challenge}:{work}".encode()).digest()
        # No work is no proof, whatever its digest: once in 2**bits an empty one would pass.
        solved = 0 < len(work) <= 20 and leading_zero_bits(digest) >= max(int(given_bits), bits)
        if not solved and answer.strip() != str(int(a) + int(b)):
            raise ChallengeFailed("the form's challenge was not answered")
        with self._lock:
            for old in [c for c, t in self._taken.items() if t < now - self.seconds]:
                del self._taken[old]
            if challenge in self._taken:
                raise ChallengeFailed("the form's challenge was used already: reload the page")
            self._taken[challenge] = now
