"""`ingest.task`: an item's work as data, and as the queue's JSON messages."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from ingest.captions import CaptionResult, CaptionSource
from ingest.discover import SourceFile
from ingest.ocr import OcrLimits
from ingest.task import (
    TaskResult,
    result_message,
    result_of,
    task_message,
    task_of,
)
from tests.unit.support.tasks import one_file_task


def test_ocr_limits_and_languages_travel_through_the_queue_messages(tmp_path: Path) -> None:
    source = tmp_path / "scan.pdf"  # a message names the file; nothing here reads it
    sent = replace(
        one_file_task(tmp_path, source), ocr=OcrLimits(3, 9.5), languages=("zh-Hant", "en")
    )
    message = json.loads(json.dumps(task_message(sent)))
    got = task_of(message, [source], sent.store_config, tmp_path)
    assert (got.ocr, got.languages) == (OcrLimits(3, 9.5), ("zh-Hant", "en"))
    done = TaskResult("c-1", [], ocr_ran=True, ocr={"text": "字"}, ocr_notes=["OCR: x"])
    back = result_of(json.loads(json.dumps(result_message(done))))
    assert (back.ocr_ran, back.ocr, back.ocr_notes) == (True, {"text": "字"}, ["OCR: x"])


def test_caption_files_travel_with_their_item_through_the_queue_messages(tmp_path: Path) -> None:
    clip, vtt = tmp_path / "dance.mp4", tmp_path / "dance.zh.vtt"
    sent = replace(
        one_file_task(tmp_path, clip),
        captions=(CaptionSource(SourceFile(vtt, "舞/dance.zh.vtt"), "zh"),),
        caption_language="mn",
    )
    message = json.loads(json.dumps(task_message(sent)))
    copies = [tmp_path / "0" / "dance.mp4", tmp_path / "1" / "dance.zh.vtt"]
    got = task_of(message, copies, sent.store_config, tmp_path)
    assert got.files == (SourceFile(copies[0], "dance.mp4"),)
    assert got.captions == (CaptionSource(SourceFile(copies[1], "舞/dance.zh.vtt"), "zh"),)
    assert got.caption_language == "mn"
    made = CaptionResult({"role": "captions", "key": "k"}, [{"start": 0.0, "text": "舞"}])
    done = TaskResult("c-1", [], captions=[made], caption_notes=["x.srt: dropped"])
    back = result_of(json.loads(json.dumps(result_message(done))))
    assert (back.captions, back.caption_notes) == ([made], ["x.srt: dropped"])
