"""Caption and transcript files (WebVTT, SRT): read strictly, stored as WebVTT, cues indexed.

A small parser of our own rather than a library: what matters here is refusing bad files with a
message that names the file, the line and the cue ("festival.srt line 40 (cue 12): end
00:01:02,000 before start 00:01:05,000"), and the few libraries on PyPI accept reversed or
unordered times silently. What is accepted:

- WebVTT: the `WEBVTT` header, NOTE/STYLE/REGION blocks (kept in the stored file, not indexed),
  cues with an optional identifier, `[hh:]mm:ss.ttt --> [hh:]mm:ss.ttt [settings]`, text lines.
- SRT: numbered blocks with `hh:mm:ss,ttt --> hh:mm:ss,ttt`; converted to WebVTT for storage,
  its tags other than <b>, <i>, <u> dropped (`<font color>` is no WebVTT).
- UTF-8 with or without BOM, UTF-16 with BOM, and (SRT made on Chinese Windows) GB18030; CRLF
  or CR line ends.

Cues must be in order of start time (the WebVTT rule) and each must end after it starts;
overlapping cues are fine (two speakers at once). Limits: `MAX_BYTES` and `MAX_CUES`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ingest.discover import SourceFile, normalise_relpath
from ingest.errors import ItemError

MAX_BYTES = 5_000_000
"""A caption file larger than this is refused: ten hours of dense subtitles are about 2 MB."""
MAX_CUES = 50_000
MAX_CUE_CHARS = 2_000
CAPTION_SUFFIXES = frozenset({".vtt", ".srt"})
KINDS = ("captions", "subtitles", "transcript")

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_VTT_TIME = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_VTT_TIMING = re.compile(rf"^{_VTT_TIME}[ \t]+-->[ \t]+{_VTT_TIME}(?:[ \t]+(.*))?$")
_SRT_TIME = r"(\d{1,3}):([0-5]?\d):([0-5]?\d)[,.](\d{1,3})"
_SRT_TIMING = re.compile(rf"^{_SRT_TIME}[ \t]*-->[ \t]*{_SRT_TIME}(?:[ \t]+.*)?$")
_TAG = re.compile(r"<[^>]*>")
_SRT_KEPT_TAG = re.compile(r"^</?[biu]>$", re.IGNORECASE)


class CaptionError(ItemError):
    """A caption file is unusable: the item it belongs to is still ingested without it."""


@dataclass(frozen=True)
class Cue:
    start: float  # seconds
    end: float
    text: str  # as written in the file (WebVTT markup kept)

    @property
    def plain(self) -> str:
        """The words only: tags removed, entities read, lines joined (what search indexes)."""
        return " ".join(html.unescape(_TAG.sub("", self.text)).split())


@dataclass(frozen=True)
class Captions:
    cues: list[Cue]
    vtt: bytes  # what is stored: the file itself for WebVTT in UTF-8, else a WebVTT rendering
    converted: str | None = None  # what was done to store it ("converted from SRT"), if anything


def is_caption_name(relpath: str) -> bool:
    return PurePosixPath(relpath).suffix.casefold() in CAPTION_SUFFIXES


def caption_name_parts(relpath: str) -> tuple[str, str | None]:
    """(the media stem it belongs to, the language it names): `a/festival.zh.vtt` →
    (`a/festival`, `zh`); `a/festival.srt` → (`a/festival`, None). A middle suffix that is no
    language tag stays part of the stem (`song.take2.vtt` belongs to `song.take2.*`)."""
    path = PurePosixPath(relpath)
    stem = path.stem
    language = None
    if "." in stem:
        head, tail = stem.rsplit(".", 1)
        if _LANGUAGE.match(tail.casefold()) and head:
            stem, language = head, _tag_case(tail)
    return str(path.with_name(stem)), language


def is_language(value: str) -> bool:
    return bool(_LANGUAGE.match(value))


def _tag_case(tag: str) -> str:
    first, *rest = tag.split("-")
    return "-".join([first.casefold(), *rest])


def parse_captions(data: bytes, name: str) -> Captions:
    """Read a .vtt or .srt file (by `name`'s suffix; a file starting WEBVTT is WebVTT whatever
    its name). Raises CaptionError naming `name`, and the line and cue where it can."""
    if len(data) > MAX_BYTES:
        raise CaptionError(
            name, f"is {len(data):,} bytes; caption files may be at most {MAX_BYTES:,} bytes"
        )
    text, encoding = _decode(data, name)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = lines[0].lstrip("\ufeff") if lines else ""
    if first.startswith("WEBVTT") and first[6:7] in ("", " ", "\t"):
        cues = _read_vtt(lines, name)
        if encoding == "utf-8":
            return Captions(cues, data)
        return Captions(cues, _write_vtt(cues), f"converted from {encoding} to UTF-8")
    if PurePosixPath(name).suffix.casefold() == ".vtt":
        raise CaptionError(name, "line 1: a WebVTT file must start with the line WEBVTT")
    cues = _read_srt(lines, name)
    return Captions(cues, _write_vtt(cues), "converted from SRT to WebVTT")


def _decode(data: bytes, name: str) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise CaptionError(name, "is not readable UTF-16 text") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        utf8_problem = f"line {line}: is not UTF-8 text"
    if b"\x00" not in data:
        try:
            return data.decode("gb18030"), "GB18030"
        except UnicodeDecodeError:
            pass
    raise CaptionError(name, f"{utf8_problem}; save it as UTF-8")


def _seconds(hours: str | None, minutes: str, seconds: str, millis: str) -> float:
    return (int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)) + int(
        millis.ljust(3, "0")
    ) / 1000


def _blocks(lines: list[str], start: int) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks from line index `start`: (1-based first line, lines)."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    first = 0
    for number, line in enumerate(lines[start:], start=start + 1):
        if line.strip():
            if not current:
                first = number
            current.append(line)
        elif current:
            blocks.append((first, current))
            current = []
    if current:
        blocks.append((first, current))
    return blocks


class _Cues:
    """Collects cues, checking order, times, counts and lengths as they come."""

    def __init__(self, name: str, shown_time: type[_Shown]) -> None:
        self.name = name
        self.cues: list[Cue] = []
        self.shown = shown_time

    def add(self, line: int, start: float, end: float, text: str) -> None:
        number = len(self.cues) + 1
        where = f"line {line} (cue {number})"
        if number > MAX_CUES:
            raise CaptionError(self.name, f"{where}: more than {MAX_CUES:,} cues")
        if end < start:
            raise CaptionError(
                self.name,
                f"{where}: end {self.shown.of(end)} before start {self.shown.of(start)}",
            )
        if end == start:
            raise CaptionError(self.name, f"{where}: ends when it starts ({self.shown.of(start)})")
        if self.cues and start < self.cues[-1].start:
            raise CaptionError(
                self.name,
                f"{where}: starts at {self.shown.of(start)}, before cue {number - 1} "
                f"({self.shown.of(self.cues[-1].start)}); cues must be in time order",
            )
        if len(text) > MAX_CUE_CHARS:
            raise CaptionError(
                self.name, f"{where}: its text is longer than {MAX_CUE_CHARS:,} characters"
            )
        self.cues.append(Cue(start, end, text))


class _Shown:
    @staticmethod
    def of(seconds: float) -> str:
        millis = round(seconds * 1000)
        hours, rest = divmod(millis, 3_600_000)
        minutes, rest = divmod(rest, 60_000)
        return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


class _ShownSrt(_Shown):
    @staticmethod
    def of(seconds: float) -> str:
        return _Shown.of(seconds).replace(".", ",")


def _read_vtt(lines: list[str], name: str) -> list[Cue]:
    found = _Cues(name, _Shown)
    header_end = next((n for n, line in enumerate(lines) if not line.strip()), len(lines))
    for first, block in _blocks(lines, header_end):
        head = block[0]
        if head.startswith("NOTE") and head[4:5] in ("", " ", "\t"):
            continue
        if not found.cues and (head == "STYLE" or head == "REGION"):
            continue
        timing_at = 0 if "-->" in head else 1
        if timing_at >= len(block) or "-->" not in block[timing_at]:
            raise CaptionError(
                name,
                f"line {first} (cue {len(found.cues) + 1}): expected a timing line "
                "like 00:00:01.000 --> 00:00:04.000",
            )
        line = first + timing_at
        timing = block[timing_at].strip()
        match = _VTT_TIMING.match(timing)
        if match is None:
            raise CaptionError(name, _bad_timing(line, len(found.cues) + 1, timing, vtt=True))
        groups = match.groups()
        text_lines = block[timing_at + 1 :]
        for offset, text_line in enumerate(text_lines, start=1):
            if "-->" in text_line:
                raise CaptionError(
                    name,
                    f"line {line + offset} (cue {len(found.cues) + 1}): a cue's text may not "
                    "contain '-->' (is a blank line missing before the next cue?)",
                )
        found.add(line, _seconds(*groups[0:4]), _seconds(*groups[4:8]), "\n".join(text_lines))
    return found.cues


def _read_srt(lines: list[str], name: str) -> list[Cue]:
    found = _Cues(name, _ShownSrt)
    if lines:
        lines[0] = lines[0].lstrip("\ufeff")
    blocks = _blocks(lines, 0)
    if not blocks:
        raise CaptionError(name, "has no cues")
    for first, block in blocks:
        number = len(found.cues) + 1
        timing_at = 1 if block[0].strip().isdigit() else 0
        if timing_at >= len(block) or "-->" not in block[timing_at]:
            what = "a WebVTT or SRT file" if not found.cues else "a cue"
            raise CaptionError(
                name,
                f"line {first} (cue {number}): not {what}: expected a cue number and a timing "
                "line like 00:00:01,000 --> 00:00:04,000",
            )
        line = first + timing_at
        timing = block[timing_at].strip()
        match = _SRT_TIMING.match(timing)
        if match is None:
            raise CaptionError(name, _bad_timing(line, number, timing, vtt=False))
        groups = match.groups()
        text = "\n".join(_srt_text(t) for t in block[timing_at + 1 :])
        found.add(line, _seconds(*groups[0:4]), _seconds(*groups[4:8]), text)
    return found.cues


def _bad_timing(line: int, cue: int, timing: str, *, vtt: bool) -> str:
    shown = timing if len(timing) <= 60 else timing[:60] + "…"
    example = "00:00:01.000 --> 00:00:04.000" if vtt else "00:00:01,000 --> 00:00:04,000"
    negative = " (times cannot be negative)" if "-" in timing.replace("-->", "") else ""
    return f"line {line} (cue {cue}): {shown!r} is not a timing line like {example}{negative}"


def _srt_text(line: str) -> str:
    """An SRT text line as WebVTT text: <b>, <i>, <u> kept, other tags dropped, & and < escaped."""
    out: list[str] = []
    position = 0
    for tag in _TAG.finditer(line):
        out.append(_escape(line[position : tag.start()]))
        if _SRT_KEPT_TAG.match(tag.group()):
            out.append(tag.group().lower())
        position = tag.end()
    out.append(_escape(line[position:]))
    return "".join(out).replace("-->", "->")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _write_vtt(cues: list[Cue]) -> bytes:
    parts = ["WEBVTT", ""]
    for cue in cues:
        parts += [f"{_Shown.of(cue.start)} --> {_Shown.of(cue.end)}", cue.text, ""]
    return "\n".join(parts).encode()


# --- which item a caption file belongs to, and what ingest keeps of it -----------------------


@dataclass(frozen=True)
class CaptionSource:
    """A caption file planned for an item; `language` None: the item's language, else zh."""

    source: SourceFile
    language: str | None


@dataclass
class CaptionPlan:
    by_unit: list[list[CaptionSource]]  # the captions of each unit, in the units' order
    notes: list[list[str]]  # per unit: captions its row names that are not there
    orphans: list[SourceFile]  # caption files no item claims


def plan_captions(
    units: Sequence[tuple[Sequence[SourceFile], Sequence[str]]], captions: Sequence[SourceFile]
) -> CaptionPlan:
    """Give each unit — (its files, the caption paths its manifest row names) — its captions:
    those the row names, and those named like one of its files (festival.mp4 + festival.zh.vtt,
    festival.srt). A caption file goes to one item only, the first that claims it."""
    by_path = {c.relpath: c for c in captions}
    by_stem: dict[str, list[SourceFile]] = {}
    for caption in captions:
        by_stem.setdefault(caption_name_parts(caption.relpath)[0], []).append(caption)
    claimed: set[str] = set()
    plan = CaptionPlan([], [], [])
    for files, named in units:
        mine: list[CaptionSource] = []
        notes: list[str] = []
        wanted = [normalise_relpath(p) for p in named]
        for relpath in wanted:
            if relpath not in by_path:
                notes.append(f"{relpath}: caption file not found in the ingested folder")
        for source in files:
            stem = str(PurePosixPath(source.relpath).with_suffix(""))
            wanted += [c.relpath for c in by_stem.get(stem, [])]
        for relpath in dict.fromkeys(wanted):
            if relpath in by_path and relpath not in claimed:
                claimed.add(relpath)
                mine.append(CaptionSource(by_path[relpath], caption_name_parts(relpath)[1]))
        plan.by_unit.append(mine)
        plan.notes.append(notes)
    plan.orphans = [c for c in captions if c.relpath not in claimed]
    return plan


ORPHAN = (
    "a caption file with no video or audio of the same name beside it (festival.mp4 + "
    "festival.zh.vtt) and named in no manifest row's captions column; it was not ingested"
)


@dataclass
class CaptionResult:
    """A caption file read and stored: its `files` entry and the cues the record keeps."""

    entry: dict[str, Any]
    cues: list[dict[str, Any]] = field(default_factory=list)


def read_caption_file(path: Path, name: str) -> Captions:
    """`parse_captions` of a file on disk; a file over `MAX_BYTES` is refused unread."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise CaptionError(
                name, f"is {size:,} bytes; caption files may be at most {MAX_BYTES:,} bytes"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise CaptionError(name, f"cannot be read ({exc.strerror or exc})") from None
    return parse_captions(data, name)


def caption_entry(
    captions: Captions, name: str, language: str, kind: str, stored: dict[str, Any]
) -> CaptionResult:
    """The record's view of a stored caption file; `stored` is its key, sha256 and bytes."""
    entry = {
        "role": "captions",
        "name": name,
        "media_type": "text/vtt",
        **stored,
        "language": language,
        "kind": kind,
        "cues": len(captions.cues),
    }
    cues = [
        {"file": stored["sha256"], "start": cue.start, "end": cue.end, "text": plain}
        for cue in captions.cues
        if (plain := cue.plain[:MAX_CUE_CHARS])
    ]
    return CaptionResult(entry, cues)


def merge_captions(
    record: dict[str, Any], captions: Sequence[CaptionResult], kept_cues: Sequence[Any] = ()
) -> None:
    """Add caption files (each once, by content) to `record`'s files and their cues to its
    `cues`, after `kept_cues` (those of captions it already had)."""
    files: list[dict[str, Any]] = list(record["files"])  # may be a stored record's own list
    record["files"] = files
    have = {f["sha256"] for f in files if f["role"] == "captions"}
    cues = [dict(cue) for cue in kept_cues if cue["file"] in have]
    for caption in captions:
        if caption.entry["sha256"] not in have:
            have.add(caption.entry["sha256"])
            files.append(caption.entry)
            cues += caption.cues
    if cues:
        record["cues"] = cues
    else:
        record.pop("cues", None)
