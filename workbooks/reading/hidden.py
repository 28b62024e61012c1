"""Hidden rows and columns of a worksheet, found in its XML (calamine does not expose them).

Values in hidden rows and columns still count (Excel's SUM adds them), but the clerk who
checks the printed or on-screen table does not see them, so the reader warns about them.
An .ods or .xls has them in its own structure (``extents``).
"""

import logging
import re
import struct

from workbooks.reading.extents import Hidden, ods_hidden, xls_hidden
from workbooks.reading.limits import MAX_SHEET_COLUMNS, MAX_SHEET_ROWS, Inspection

log = logging.getLogger(__name__)

_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b[^>]*>")
_COL_TAG = re.compile(rb"<(?:\w+:)?col\b[^>]*>")
_HIDDEN = re.compile(rb"\bhidden=\"(?:1|true)\"")
_ROW_NUMBER = re.compile(rb"\br=\"(\d{1,7})\"")
_COL_SPAN = re.compile(rb"\bmin=\"(\d{1,5})\"[^>]*?\bmax=\"(\d{1,5})\"")


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
            first, last = int(m[1]), min(int(m[2]), MAX_SHEET_COLUMNS)  # beyond: the rest
            found.update(range(first - 1, last))
    return found


def hidden_by_sheet(inspection: Inspection) -> dict[str, Hidden]:
    """{sheet name: (hidden rows, hidden columns)} of an .ods or .xls (an .xlsx's are read
    from each sheet's XML); empty for a structure the scanner cannot follow."""
    try:
        if inspection.kind == "ods":
            content = inspection.members.get("content.xml", b"")
            return ods_hidden(content, MAX_SHEET_ROWS, MAX_SHEET_COLUMNS)
        if inspection.kind == "xls":
            return xls_hidden(inspection.data, MAX_SHEET_COLUMNS)
    except (ValueError, struct.error, IndexError) as error:  # read as before, unwarned
        log.warning("hidden rows and columns not found: %r", error)
    return {}
