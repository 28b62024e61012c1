"""Hidden rows and columns of a worksheet, found in its XML (calamine does not expose them).

Values in hidden rows and columns still count (Excel's SUM adds them), but the clerk who
checks the printed or on-screen table does not see them, so the reader warns about them.
"""

import re

_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b[^>]*>")
_COL_TAG = re.compile(rb"<(?:\w+:)?col\b[^>]*>")
_HIDDEN = re.compile(rb"\bhidden=\"(?:1|true)\"")
_ROW_NUMBER = re.compile(rb"\br=\"(\d{1,7})\"")
_COL_SPAN = re.compile(rb"\bmin=\"(\d{1,5})\"[^>]*?\bmax=\"(\d{1,5})\"")
MAX_HIDDEN_COLUMNS = 1_000  # a <col> span beyond it is the rest of the sheet, not a column


def hidden_rows(xml: bytes) -> set[int]:
    """0-based numbers of the hidden rows (only rows that have an ``r`` attribute)."""
    if b"hidden=" not in xml:
        return set()
    found = set()
    for tag in _ROW_TAG.findall(xml):
        if _HIDDEN.search(tag) and (m := _ROW_NUMBER.search(tag)):
            found.add(int(m[1]) - 1)
    return found


def hidden_columns(xml: bytes) -> set[int]:
    """0-based numbers of the hidden columns."""
    if b"hidden=" not in xml:
        return set()
    found: set[int] = set()
    for tag in _COL_TAG.findall(xml):
        if _HIDDEN.search(tag) and (m := _COL_SPAN.search(tag)):
            first, last = int(m[1]), min(int(m[2]), MAX_HIDDEN_COLUMNS)
            found.update(range(first - 1, last))
    return found
