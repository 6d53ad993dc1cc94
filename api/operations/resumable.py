"""Resumable (tus) uploads at rest: the scratch folder, finished uploads and their clean-up.

The tus protocol itself is spoken by `api.http.routes.resumable` (tuspyserver's router); this
module is what the rest of the app needs to know about the files it leaves, without FastAPI.

Layout, under `Settings.resumable_dir` (`<data dir>/resumable`), nothing named by the client:

  <owner>/<id>        the bytes received so far (`<owner>`: a hash of the user or key that
                      created the upload, so another caller's id names no file in its folder)
  <owner>/<id>.info   tuspyserver's sidecar: declared length, offset, metadata, `expires`
  <owner>/<id>.done   ours: written when the last byte arrived; the checked file name

An upload is kept for KEEP_DAYS days from its creation (tus `Upload-Expires`), finished or not;
after that HEAD/PATCH answer 410 and `sweep` (at start-up and at each creation) removes it. A
finished upload that a batch takes (`take`) is linked into the job's folder and removed from
the scratch folder only once the job is queued (`discard`), so a refused batch loses nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

from api.operations.callers import Caller
from schemas.errors import InvalidInput

KEEP_DAYS = 2
_ID = re.compile(r"[0-9a-f]{32}")
_SIDECARS = (".info", ".done", ".info.tmp")


def owner_folder(root: Path, caller: Caller) -> Path:
    """The caller's own scratch folder: a person's uploads are theirs on any key or session."""
    who = f"user:{caller.user}" if caller.user is not None else f"key:{caller.key_id}"
    return root / hashlib.sha256(who.encode()).hexdigest()[:32]


def is_upload_id(text: str) -> bool:
    """What tuspyserver names an upload: 32 lower-case hex digits (a uuid4)."""
    return _ID.fullmatch(text) is not None


def mark_finished(data: Path, name: str) -> None:
    """Called when the upload's last byte has arrived: `take` accepts only such uploads."""
    done = data.with_name(f"{data.name}.done")
    done.write_text(json.dumps({"name": name}, ensure_ascii=False), encoding="utf-8")


@dataclass(frozen=True)
class Finished:
    id: str
    path: Path
    name: str  # as the client named it (checked at creation, checked again by the taker)
    size: int


def finished(folder: Path, upload_id: str) -> Finished:
    """The caller's finished upload `upload_id`; InvalidInput saying why it cannot be taken."""
    if not is_upload_id(upload_id):
        raise InvalidInput(f"{upload_id!r} is not an upload id (32 hex digits, as in its URL)")
    data = folder / upload_id
    try:
        done = json.loads((folder / f"{upload_id}.done").read_text(encoding="utf-8"))
        size = data.stat().st_size
    except (OSError, ValueError):
        state = "not finished: send its remaining bytes" if data.exists() else "unknown or expired"
        raise InvalidInput(f"upload {upload_id!r} is {state}") from None
    return Finished(upload_id, data, str(done["name"]), size)


def take(upload: Finished, target: Path) -> None:
    """Put the upload's bytes at `target` (which must not exist): a hard link when the job's
    folder is on the same file system (no copy of a multi-GB file), a copy otherwise."""
    try:
        os.link(upload.path, target)
    except FileExistsError:
        raise
    except OSError:
        with upload.path.open("rb") as source, target.open("xb") as copy:
            shutil.copyfileobj(source, copy, 1024 * 1024)


def discard(folder: Path, upload_id: str) -> None:
    """Remove one upload and its sidecars (its bytes live on in a job's folder if taken)."""
    if not is_upload_id(upload_id):
        return
    for suffix in ("", *_SIDECARS):
        (folder / f"{upload_id}{suffix}").unlink(missing_ok=True)


def expiry(folder: Path, upload_id: str) -> datetime:
    """When the upload expires: the sidecar's `expires` (RFC 7231), else KEEP_DAYS after the
    newest of its files was written (a sidecar that cannot be read)."""
    try:
        info = json.loads((folder / f"{upload_id}.info").read_text(encoding="utf-8"))
        return parsedate_to_datetime(str(info["expires"])).astimezone(UTC)
    except (OSError, ValueError, TypeError, KeyError):
        pass
    times = [
        p.stat().st_mtime
        for p in (folder / f"{upload_id}{s}" for s in ("", *_SIDECARS))
        if p.exists()
    ]
    written = datetime.fromtimestamp(max(times, default=0), UTC)
    return written + timedelta(days=KEEP_DAYS)


def sweep(root: Path, now: datetime | None = None) -> int:
    """Remove every expired upload under `root`; how many. Cheap: one listing per owner."""
    now = now or datetime.now(UTC)
    removed = 0
    if not root.is_dir():
        return 0
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        ids = {p.name[:32] for p in folder.iterdir() if is_upload_id(p.name[:32])}
        for upload_id in sorted(ids):
            if expiry(folder, upload_id) <= now:
                discard(folder, upload_id)
                removed += 1
    return removed
