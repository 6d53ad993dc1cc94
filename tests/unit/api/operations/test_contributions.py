"""The contribution rules without HTTP: the challenge (signed, fresh, solved, once), the form's
checks naming each field, and the manifest row that credits the contributor."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from api.operations.contributions import (
    ChallengeFailed,
    Challenges,
    check_files,
    describe,
    leading_zero_bits,
    manifest_row,
    new_challenge,
    new_contribution,
    solve,
)
from tests.unit.support import images

SECRET = "s" * 32
FORM = {
    "name": "  老  王 ",
    "contact": "wang@example.org",
    "title": "花灯",
    "date": "民国",
    "category": "folk-customs",
    "story": "<b>扎花灯</b>",
    "licence": "on",
    "consent": "1",
}


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_leading_zero_bits() -> None:
    assert leading_zero_bits(b"\x00\x00\x10") == 19
    assert leading_zero_bits(b"\x80") == 0
    assert leading_zero_bits(bytes(4)) == 32


def test_a_solved_challenge_is_taken_once() -> None:
    challenge, signature, _ = new_challenge(SECRET, 8)
    work = solve(challenge)
    digest = hashlib.sha256(f"{challenge}:{work}".encode()).digest()
    assert leading_zero_bits(digest) >= 8
    challenges = Challenges(3600)
    challenges.check(SECRET, challenge, signature, work, "", 8)
    with pytest.raises(ChallengeFailed, match="used already"):
        challenges.check(SECRET, challenge, signature, work, "", 8)


def test_the_question_answers_a_challenge_without_scripts() -> None:
    challenge, signature, (a, b) = new_challenge(SECRET, 20)
    with pytest.raises(ChallengeFailed, match="not answered"):
        Challenges(3600).check(SECRET, challenge, signature, "", str(a + b + 1), 20)
    Challenges(3600).check(SECRET, challenge, signature, "", f" {a + b} ", 20)


def test_a_form_sent_without_work_must_answer_the_question_even_when_its_digest_would_pass() -> (
    None
):
    """An empty `work` field (a browser without scripts) is no proof of work: at 6 bits its
    digest met the difficulty once in 64 forms, and an unanswered form went through."""
    while True:
        challenge, signature, (a, b) = new_challenge(SECRET, 1)
        if leading_zero_bits(hashlib.sha256(f"{challenge}:".encode()).digest()) >= 1:
            break  # half of all challenges: the empty work's digest meets 1 bit
    with pytest.raises(ChallengeFailed, match="not answered"):
        Challenges(3600).check(SECRET, challenge, signature, "", "99", 1)
    Challenges(3600).check(SECRET, challenge, signature, "", str(a + b), 1)


def test_a_forged_weakened_or_expired_challenge_is_refused() -> None:
    challenge, signature, _ = new_challenge(SECRET, 4)
    with pytest.raises(ChallengeFailed, match="not ours"):
        Challenges(3600).check("other" * 8, challenge, signature, solve(challenge), "", 4)
    weaker = challenge.replace(".4.", ".0.", 1)
    with pytest.raises(ChallengeFailed, match="not ours"):
        Challenges(3600).check(SECRET, weaker, signature, "0", "", 4)
    issued = int(challenge.split(".")[0])
    late = Challenges(3600, Clock(issued + 3601))
    with pytest.raises(ChallengeFailed, match="expired"):
        late.check(SECRET, challenge, signature, solve(challenge), "", 4)


def test_the_settings_difficulty_wins_over_an_older_easier_challenge() -> None:
    challenge, signature, _ = new_challenge(SECRET, 0)
    work = "0"
    while leading_zero_bits(hashlib.sha256(f"{challenge}:{work}".encode()).digest()) >= 12:
        work += "0"  # a counter that does not happen to meet the stricter difficulty
    with pytest.raises(ChallengeFailed):
        Challenges(3600).check(SECRET, challenge, signature, work, "", 12)


def test_the_form_is_checked_field_by_field() -> None:
    described = describe(FORM, {"folk-customs"})
    assert described.problems == []
    assert described.name == "老 王" and described.story == "<b>扎花灯</b>"
    bad = describe(
        {**FORM, "name": "", "date": "soonish", "category": "x", "consent": "", "title": "a\x01"},
        {"folk-customs"},
    )
    assert bad.problems == ["name", "characters", "category", "date", "consent"]
    long = describe({**FORM, "story": "字" * 4001}, {"folk-customs"})
    assert long.problems == ["story_long"]


def test_the_manifest_row_credits_the_contributor_and_keeps_the_contact_out() -> None:
    described = describe({**FORM, "name": "Li (Beijing)"}, {"folk-customs"})
    token, contribution = new_contribution(described, "job-1", ["a.jpg", "b.mp4"])
    row = manifest_row(contribution, described)
    assert row["people"] == ["Li (Beijing) (contributor)"]  # the last brackets name the role
    assert row["path"] == ["a.jpg", "b.mp4"] and row["status"] == "draft"
    assert "wang@example.org" not in str(row)
    assert contribution.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(contribution.__dict__)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")  # Pillow's, on the way
def test_a_tiff_with_a_damaged_page_directory_is_checked_as_the_photo_it_holds(
    tmp_path: Path,
) -> None:
    """A contributor's file Pillow cannot count the pages of: checked as a photo, not an
    unexpected error (a TypeError from Pillow escaped the check before)."""
    images.broken_booklet(tmp_path / "scan.tif")
    check_files(tmp_path, ["scan.tif"])  # raises InvalidInput when a file is refused
