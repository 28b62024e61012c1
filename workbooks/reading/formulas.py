"""Formulas without a cached value, found in the worksheet XML.

python-calamine reads such a cell as empty, so the worksheet XML is scanned for them:
only cells holding an ``<f>`` element are looked at, found with ``bytes.find``.
"""

import html
import re
from functools import lru_cache

from workbooks.reading.limits import column_number

_CELL_START = (b"<c ", b":c ")
_PREFIXED_ROOT = re.compile(rb"(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?<(\w+):worksheet\b")
_R_ATTR = re.compile(rb"\br=\"([A-Z]{1,3})(\d{1,9})\"")
_T_ATTR = re.compile(rb"\bt=\"(\w+)\"")
_F_ELEM = re.compile(rb"<(?:\w+:)?f\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?f>)", re.S)
_SI_ATTR = re.compile(rb"\bsi=\"(\d+)\"")
_V_ELEM = re.compile(rb"<(?:\w+:)?v\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?v>)", re.S)
_SUM = re.compile(
    r"=?\s*SUM\s*\(\s*(\$?)([A-Z]{1,3})(\$?)(\d+)\s*:\s*(\$?)([A-Z]{1,3})(\$?)(\d+)\s*\)\s*",
    re.I,
)


def uncached_formulas(xml: bytes) -> dict[tuple[int, int], str]:
    """Formula text (without ``=``) of every formula cell with no cached value.

    Keys are 0-based (row, column). A shared formula's dependent cells get the master's
    formula when it is a plain SUM of a range, shifted to their position.
    """
    found: dict[tuple[int, int], str] = {}
    root = _PREFIXED_ROOT.match(xml)
    needle = b"<" + root[1] + b":f" if root else b"<f"
    if needle not in xml:
        return found
    masters: dict[bytes, tuple[str, int, int]] = {}
    pos = xml.find(needle)
    while pos != -1:
        if xml[pos + len(needle) : pos + len(needle) + 1] not in (b">", b" ", b"/"):
            pos = xml.find(needle, pos + 1)  # <formula> of a rule, not a cell formula
            continue
        window = max(0, pos - 2048)  # a cell's start tag is just before its formula
        start = max(xml.rfind(prefix, window, pos) for prefix in _CELL_START)
        end = xml.find(b"c>", pos)
        if start == -1 or end == -1:
            pos = xml.find(needle, pos + 1)
            continue
        _one_cell(xml[start : end + 2], masters, found)
        pos = xml.find(needle, end)
    return found


def _one_cell(
    cell: bytes, masters: dict[bytes, tuple[str, int, int]], found: dict[tuple[int, int], str]
) -> None:
    head_end = cell.find(b">")
    head = cell[:head_end]
    ref = _R_ATTR.search(head)
    f = _F_ELEM.search(cell)
    if not ref or not f:
        return
    row, col = int(ref[2]) - 1, column_number(ref[1].decode("ascii")) - 1
    text = html.unescape((f[2] or b"").decode("utf-8", "replace")).strip()
    f_attrs = f[1]
    si = _SI_ATTR.search(f_attrs)
    if si and b'"shared"' in f_attrs:
        if text:
            masters[si[1]] = (text, row, col)
        elif si[1] in masters:
            text = shift_sum(*masters[si[1]], row, col)
    v = _V_ELEM.search(cell, f.end())
    cell_type = _T_ATTR.search(head)
    if v and v[1]:
        return  # a cached value, which calamine reads
    if v and cell_type and cell_type[1] in (b"str", b"inlineStr"):
        return  # a cached empty text result
    found[(row, col)] = text


def shift_sum(text: str, row: int, col: int, to_row: int, to_col: int) -> str:
    """A master's plain SUM shifted to a dependent cell, or ``""`` if it is no plain SUM."""
    m = _SUM.fullmatch(text)
    if not m:
        return ""
    dr, dc = to_row - row, to_col - col
    parts = []
    for i in (0, 4):
        cabs, letters, rabs, number = m.group(i + 1, i + 2, i + 3, i + 4)
        c = column_number(letters.upper()) + (0 if cabs else dc)
        r = int(number) + (0 if rabs else dr)
        if c < 1 or r < 1:
            return ""
        parts.append(f"{cabs}{column_letters(c)}{rabs}{r}")
    return f"SUM({parts[0]}:{parts[1]})"


def sum_range(text: str) -> tuple[int, int, int, int] | None:
    """0-based (first row, first col, last row, last col) of a plain ``SUM(E9:L9)``."""
    m = _SUM.fullmatch(text)
    if not m:
        return None
    r1, r2 = int(m[4]) - 1, int(m[8]) - 1
    c1, c2 = column_number(m[2].upper()) - 1, column_number(m[6].upper()) - 1
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


@lru_cache(maxsize=1024)
def column_letters(number: int) -> str:
    """1-based column number to letters: 1 -> A, 28 -> AB."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def address(row: int, col: int) -> str:
    """0-based (row, col) to an A1 address."""
    return f"{column_letters(col + 1)}{row + 1}"
