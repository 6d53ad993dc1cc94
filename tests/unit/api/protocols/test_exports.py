"""CSV export cells never become spreadsheet formulas."""

from __future__ import annotations

import pytest

from api.protocols.exports import csv_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-0200", "-0200"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("剪纸", "剪纸"),
        (None, ""),
    ],
)
def test_csv_cells_never_become_formulas(value: str | None, expected: str) -> None:
    assert csv_cell(value) == expected
