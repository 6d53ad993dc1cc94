"""Exhibition operations that need no store: regions as pixels, the edit form read into sections
and entries (positions, removal, blank rows) and written back, who may edit and move one."""

from __future__ import annotations

import pytest

from api.operations.callers import Caller
from api.operations.exhibitions import (
    composition_from_form,
    composition_of,
    form_fields,
    may_edit,
    moves_for,
    region_box,
)

ARCHIVIST = Caller(None, "museum-a", "archivist", "li.na")
CURATOR = Caller(None, "museum-a", "curator", "wang.li")
OTHER = Caller(None, "library-b", "curator", "zhao.yi")
ADMIN = Caller(None, "library-b", "admin", "root")


@pytest.mark.parametrize(
    ("region", "box"),
    [
        ("10,20,30,40", (10, 20, 30, 40)),
        ("90,50,30,40", (90, 50, 10, 14)),  # clipped to the 100×64 image
        ("pct:25,25,50,50", (25, 16, 50, 32)),
        ("pct:0,0,100,100", (0, 0, 100, 64)),
        ("100,0,5,5", None),  # starts outside
        ("0,0,0,5", None),  # empty
        ("pct:0,0,101,5", None),
        ("full", None),
        ("1,2,3", None),
        ("-1,0,5,5", None),
    ],
)
def test_region_box(region: str, box: tuple[int, int, int, int] | None) -> None:
    assert region_box(region, 100, 64) == box


def test_the_form_orders_by_position_drops_removed_and_blank_rows() -> None:
    fields = {
        "title_zh": "春节",
        "title_en": "",
        "s1_pos": "2",
        "s1_heading_en": "Second",
        "s1_e1_item": "papercut-001",
        "s1_e1_pos": "3",
        "s1_e2_item": "papercut-002",
        "s1_e2_pos": "1",
        "s1_e3_item": "papercut-003",
        "s1_e3_remove": "1",
        "s1_e4_item": "",  # the blank row for a new entry
        "s2_pos": "1",
        "s2_heading_en": "First",
        "s2_e1_item": "dance-001",
        "s2_e1_start": "1",
        "s2_e1_end": "2",
        "s3_pos": "zz",  # not a number: stays where it is
        "s3_heading_en": "Third",
        "s4_heading_en": "Removed",
        "s4_remove": "1",
        "s5_heading_en": "",  # the blank section
        "s5_e1_item": "",
    }
    composition = composition_from_form(fields)
    assert composition.title == {"zh": "春节", "en": ""}
    assert [s.heading["en"] for s in composition.sections] == ["First", "Second", "Third"]
    assert [e.item for e in composition.sections[1].entries] == ["papercut-002", "papercut-001"]
    assert composition.sections[0].entries[0].start == "1"
    again = composition_from_form(form_fields(composition))
    assert again == composition  # written back numbered as it now stands, read the same


def test_a_stored_exhibition_fills_the_form() -> None:
    stored = {
        "title": {"zh": "春节"},
        "sections": [{"entries": [{"item": "dance-001", "start": 1.0, "end": 2.5}]}],
    }
    fields = form_fields(composition_of(stored))
    assert fields["s1_e1_start"] == "1" and fields["s1_e1_end"] == "2.5"
    assert fields["title_zh"] == "春节" and fields["intro_en"] == ""


@pytest.mark.parametrize(
    ("status", "caller", "editable", "moves"),
    [
        ("draft", ARCHIVIST, True, ["review"]),
        ("draft", CURATOR, True, ["review"]),
        ("review", ARCHIVIST, False, []),
        ("review", CURATOR, True, ["published", "draft"]),
        ("published", ARCHIVIST, False, []),
        ("published", CURATOR, True, ["withdrawn"]),
        ("withdrawn", ARCHIVIST, False, ["draft", "review"]),
        ("draft", OTHER, False, []),
        ("review", ADMIN, True, ["published", "draft"]),
    ],
)
def test_who_edits_and_moves(status: str, caller: Caller, editable: bool, moves: list[str]) -> None:
    exhibition = {"slug": "spring", "institution": "museum-a", "status": status}
    assert may_edit(caller, exhibition) is editable
    assert moves_for(caller, exhibition) == moves
