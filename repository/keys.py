"""The key layout of a store. One place decides where everything lives.

blobs/sha256/ab/cd/abcd…           file contents (originals and derivatives)
records/<id>.json                  item records: written last, the commit point of an item
collections/<slug>.json            collection descriptions
exhibitions/<slug>.json            online exhibitions: sections of items, details and clips
reports/<job-id>.json              ingest job reports
jobs/<job-id>.json                 HTTP ingest jobs (`POST /api/ingest`): state, counts, report id
keys/<key-id>.json                 API keys: the sha256 of the token and its metadata, not the token
users/<name>.json                  people who sign in: the argon2 hash of the password, no password
audit/YYYY/MM/DD/<time>-<uuid>.json  the audit log of writes: one object per entry, never replaced
versions/<id>/<n>.json             earlier versions of a record (1 = the first), written before it
tombstones/<id>.json               items deleted for good: id, collection, when, who, why
signouts/<sha256>                  browser sessions ended before their cookie expires
comments/<id>/<comment-id>.json    visitors' comments and corrections on an item, and replies
ratings/<id>.json                  visitors' star ratings of an item: count, sum, one per session
staging/<job-id>/<n>, …/index.json  an upload's files waiting for a queue worker (then removed)
staging/<job-id>/items/<unit>/<n>  one item's files waiting for a queue worker (then removed);
                                   …/beat: a fresh token while a worker makes it
authorities/<id>.json              projects, bearers, institutions (id: project-vii-16, bearer-…)
authorities/versions/<id>/<n>.json earlier versions of an authority (1 = the first)
"""

from __future__ import annotations

import re
from datetime import date, datetime

from schemas.errors import InvalidInput

_SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,80}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

RECORDS_PREFIX = "records/"
BLOBS_PREFIX = "blobs/sha256/"
COLLECTIONS_PREFIX = "collections/"
EXHIBITIONS_PREFIX = "exhibitions/"
REPORTS_PREFIX = "reports/"
JOBS_PREFIX = "jobs/"
KEYS_PREFIX = "keys/"
USERS_PREFIX = "users/"
AUDIT_PREFIX = "audit/"
VERSIONS_PREFIX = "versions/"
TOMBSTONES_PREFIX = "tombstones/"
SIGNOUTS_PREFIX = "signouts/"
COMMENTS_PREFIX = "comments/"
RATINGS_PREFIX = "ratings/"
_COMMENT_ID = re.compile(r"^[0-9]{14}-[0-9a-f]{12}$")
STAGING_PREFIX = "staging/"
AUTHORITIES_PREFIX = "authorities/"
AUTHORITY_VERSIONS_PREFIX = "authorities/versions/"
_AUTHORITY_ID = re.compile(r"^(project|bearer|institution)-[a-z0-9][a-z0-9-]{0,80}$")
_KEY_ID = re.compile(r"^[0-9a-f]{12}$")
_USER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


MAX_KEY_BYTES = 1024  # S3's limit
MAX_NAME_BYTES = 255  # a file name on every local file system


def check_key(key: str) -> str:
    """Refuse keys that could escape a directory or confuse S3 (.., //, leading /), and keys
    no store can hold (a name longer than a file name may be), alike on every backend."""
    if not _SAFE_KEY.match(key) or ".." in key.split("/") or "//" in key or key.endswith("/"):
        raise InvalidInput(f"invalid object key {key!r}")
    if len(key) > MAX_KEY_BYTES or any(len(name) > MAX_NAME_BYTES for name in key.split("/")):
        raise InvalidInput(f"object key {key[:60]!r}… is longer than any store can hold")
    return key


def staging_prefix(job_id: str) -> str:
    return check_key(f"{STAGING_PREFIX}{job_id}") + "/"


def staging_key(job_id: str, n: int) -> str:
    return check_key(f"{STAGING_PREFIX}{job_id}/{n}")


def staging_item_key(job_id: str, unit: str, n: int) -> str:
    """File `n` of one item sent to a queue worker (`api.operations.queue.ItemFanout`)."""
    return check_key(f"{STAGING_PREFIX}{job_id}/items/{unit}/{n}")


def staging_beat_key(job_id: str, unit: str) -> str:
    """Where the worker making an item beats while it works (`api.operations.queue`)."""
    return check_key(f"{STAGING_PREFIX}{job_id}/items/{unit}/beat")


def staging_index_key(job_id: str) -> str:
    return check_key(f"{STAGING_PREFIX}{job_id}/index.json")


def signout_key(sha256: str) -> str:
    if not _SHA256.match(sha256):
        raise InvalidInput(f"invalid sha256 {sha256!r}")
    return f"{SIGNOUTS_PREFIX}{sha256}"


def blob_key(sha256: str) -> str:
    if not _SHA256.match(sha256):
        raise InvalidInput(f"invalid sha256 {sha256!r}")
    return f"{BLOBS_PREFIX}{sha256[:2]}/{sha256[2:4]}/{sha256}"


def record_key(item_id: str) -> str:
    if not _ID.match(item_id):
        raise InvalidInput(f"invalid item id {item_id!r}")
    return f"{RECORDS_PREFIX}{item_id}.json"


def versions_prefix(item_id: str) -> str:
    """`versions/<id>/`: every earlier version of one item."""
    return f"{VERSIONS_PREFIX}{record_key(item_id)[len(RECORDS_PREFIX) : -len('.json')]}/"


def version_key(item_id: str, n: int) -> str:
    if n < 1:
        raise InvalidInput(f"invalid version number {n} (versions count from 1)")
    return f"{versions_prefix(item_id)}{n}.json"


def tombstone_key(item_id: str) -> str:
    return f"{TOMBSTONES_PREFIX}{record_key(item_id)[len(RECORDS_PREFIX) :]}"


def authority_key(authority_id: str) -> str:
    if not _AUTHORITY_ID.match(authority_id):
        raise InvalidInput(f"invalid authority id {authority_id!r}")
    return f"{AUTHORITIES_PREFIX}{authority_id}.json"


def authority_versions_prefix(authority_id: str) -> str:
    """`authorities/versions/<id>/`: every earlier version of one authority."""
    authority_key(authority_id)
    return f"{AUTHORITY_VERSIONS_PREFIX}{authority_id}/"


def authority_version_key(authority_id: str, n: int) -> str:
    if n < 1:
        raise InvalidInput(f"invalid version number {n} (versions count from 1)")
    return f"{authority_versions_prefix(authority_id)}{n}.json"


def comments_prefix(item_id: str) -> str:
    """`comments/<id>/`: every comment on one item, oldest first (ids start with the time)."""
    return f"{COMMENTS_PREFIX}{record_key(item_id)[len(RECORDS_PREFIX) : -len('.json')]}/"


def comment_key(item_id: str, comment_id: str) -> str:
    if not _COMMENT_ID.match(comment_id):
        raise InvalidInput(f"invalid comment id {comment_id!r}")
    return f"{comments_prefix(item_id)}{comment_id}.json"


def rating_key(item_id: str) -> str:
    return f"{RATINGS_PREFIX}{record_key(item_id)[len(RECORDS_PREFIX) :]}"


def collection_key(slug: str) -> str:
    if not _SLUG.match(slug):
        raise InvalidInput(f"invalid collection slug {slug!r}")
    return f"{COLLECTIONS_PREFIX}{slug}.json"


def exhibition_key(slug: str) -> str:
    if not _SLUG.match(slug):
        raise InvalidInput(f"invalid exhibition slug {slug!r}")
    return f"{EXHIBITIONS_PREFIX}{slug}.json"


def report_key(job_id: str) -> str:
    return check_key(f"{REPORTS_PREFIX}{job_id}.json")


def job_key(job_id: str) -> str:
    return check_key(f"{JOBS_PREFIX}{job_id}.json")


def api_key_key(key_id: str) -> str:
    if not _KEY_ID.match(key_id):
        raise InvalidInput(f"invalid API key id {key_id!r}")
    return f"{KEYS_PREFIX}{key_id}.json"


def check_user_name(name: str) -> str:
    """A user name is its own storage key: 1-64 of a-z 0-9 . _ -, starting alphanumeric."""
    if not _USER_NAME.match(name) or ".." in name:
        raise InvalidInput(
            f"user name {name!r} must be 1-64 characters of a-z, 0-9, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def user_key(name: str) -> str:
    return f"{USERS_PREFIX}{check_user_name(name)}.json"


def audit_day_prefix(day: date) -> str:
    """`audit/YYYY/MM/DD/`: every entry written that day (UTC), listed in time order."""
    return f"{AUDIT_PREFIX}{day:%Y/%m/%d}/"


def audit_key(when: datetime, entry_id: str) -> str:
    """A new, unique key per entry: the time (to the microsecond) sorts, the uuid never clashes."""
    return check_key(f"{audit_day_prefix(when.date())}{when:%H%M%S%f}-{entry_id}.json")


def is_valid_id(item_id: str) -> bool:
    return bool(_ID.match(item_id))


def is_valid_slug(slug: str) -> bool:
    return bool(_SLUG.match(slug))
