"""Write untrusted text into openpyxl cells so that it can only ever be text.

Text from submissions (codes, names, notes) and messages quoting them may begin with
``=``, ``+``, ``-`` or ``@``: assigned plainly, openpyxl stores ``=...`` as a formula
and ``#N/A`` as an error value, and Excel would evaluate what a clerk typed (formula
injection). Every writer of a workbook we hand out (feedback, review) goes through
``safe_text`` / ``write_text`` / ``write_value`` for anything that is not our own constant.
"""

from __future__ import annotations

import math
from datetime import date, time
from numbers import Real

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet.worksheet import Worksheet

# Characters that make Excel (or LibreOffice, Google Sheets) read an entry as a formula;
# tab and carriage return are on OWASP's CSV-injection list for the same reason.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_CHARS = 32_767  # Excel's limit for the text of one cell
_ELLIPSIS = "…"


def clean_text(value: object) -> str:
    """``value`` as text an xlsx cell can hold: no control characters, within Excel's length."""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + _ELLIPSIS
    return text


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)


def safe_text(cell: Cell, value: object) -> Cell:
    """Put ``value`` into ``cell`` as a string (never a formula or error); None empties it."""
    if value is None:
        cell.value = None
        return cell
    text = clean_text(value)
    cell.value = text
    cell.data_type = "s"  # openpyxl made "=..." a formula and "#N/A" an error: undo that
    if looks_like_formula(text):
        # Excel's leading-apostrophe flag: the text stays text even after the cell is edited.
        cell.quotePrefix = True
    return cell


def writable_cell(ws: Worksheet, row: int, col: int) -> Cell:
    """``ws.cell(row, col)``, never a part covered by a merged range (openpyxl refuses a
    value there, so no writer of ours writes one)."""
    cell = ws.cell(row, col)
    assert isinstance(cell, Cell), f"{cell.coordinate} is covered by a merged range"
    return cell


def write_text(ws: Worksheet, row: int, col: int, value: object) -> Cell:
    """``ws.cell(row, col)`` holding ``value`` as text (see ``safe_text``)."""
    return safe_text(writable_cell(ws, row, col), value)


def write_value(ws: Worksheet, row: int, col: int, value: object) -> Cell:
    """Numbers, booleans and dates as themselves (NaN and infinities empty); others as text."""
    if isinstance(value, float) and not math.isfinite(value):
        value = None
    if value is None or isinstance(value, Real | date | time):
        cell = writable_cell(ws, row, col)
        # openpyxl also takes numpy's numbers (numbers.Real); its stubs list builtins only
        cell.value = value  # type: ignore[assignment]
        return cell
    return write_text(ws, row, col, value)
