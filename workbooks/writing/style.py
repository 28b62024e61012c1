"""The look every workbook we write shares: Times New Roman, thin boxes, number formats,
row heights that LibreOffice keeps, and A4 landscape printing.

One module, so that the template, submissions, feedback and the review workbook agree.
"""

from __future__ import annotations

import math
import textwrap
from functools import lru_cache
from typing import Any, cast

from openpyxl import Workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

FONT_NAME = "Times New Roman"  # Decree 30/2020/NĐ-CP on administrative documents
COUNT_FORMAT, MONEY_FORMAT, DATE_FORMAT = "#,##0", "#,##0.0", "dd/mm/yyyy"
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)  # headers
WRAP_TOP = Alignment(vertical="top", wrap_text=True)  # long text
BOLD = Font(bold=True)

BODY_SIZE = 12  # points; cells openpyxl leaves at its default (Calibri 11) get this size
_OPENPYXL_DEFAULT_SIZE = 11
# Measured on LibreOffice 7.4's PDFs with Times New Roman 12 as the default font: a line
# holds 14.4 average Vietnamese characters per unit of column width at 1 pt (1.2 per
# unit at 12 pt); estimates use a little less, so that a row is never too short.
_CHARS_PER_WIDTH_POINT = 13.5
_LINE_PITCH, _GLYPH_EXTRA = 1.1, 0.2  # in units of the font size (measured: 1.08, 0.17)
_ROW_PADDING = 2.0  # points above and below the text
DEFAULT_WIDTH = 8.43  # Excel's column width when none is set
UNIT_POINTS, CALIBRI_UNIT_POINTS = 6.0, 7.0  # a unit of column width, printed
# A4 landscape with these margins: 784 × 509 pt of printable page at 100 %, i.e. about
# 130 units of column width once the workbook's default font is Times New Roman 12.
MARGINS = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6, header=0.3, footer=0.3)
FOOTER = "&A - Trang &P/&N"  # sheet name and page number on every printed page


def box_row(ws: Worksheet, row: int, last_col: int) -> None:
    """``cell.border = BOX`` for columns 1..``last_col`` of ``row``, BOX looked up once:
    openpyxl hashes the whole Border (four Sides, their colours) at every assignment,
    most of writing a sheet of boxed cells."""
    border_id = cast(Any, ws.parent)._borders.add(BOX)
    for col in range(1, last_col + 1):
        cell = cast(Any, ws.cell(row, col))
        if not cell.has_style:
            cell._style = StyleArray()
        cell._style.borderId = border_id


def use_times_new_roman_default(wb: Workbook) -> None:
    """Make Times New Roman 12 the workbook's default font.

    Column widths count characters of the default font, so with openpyxl's Calibri 11
    a unit printed 7 pt wide in LibreOffice and 6 pt with Times New Roman 12: the same
    table then fits the page at a larger scale, and empty cells match the text.
    """
    # openpyxl keeps the default font first; no public setter, and the stubs leave the
    # private attribute out
    fonts = list(wb._fonts)  # type: ignore[attr-defined]
    fonts[0] = Font(name=FONT_NAME, size=BODY_SIZE, family=1)
    wb._fonts = IndexedList(fonts)  # type: ignore[attr-defined]


def use_times_new_roman(ws: Worksheet) -> None:
    """Times New Roman on every written cell, keeping bold and size (default: 12 pt)."""
    for row in ws.iter_rows():
        for cell in row:
            font = cell.font
            size = font.size if font.size and font.size != _OPENPYXL_DEFAULT_SIZE else BODY_SIZE
            cell.font = Font(
                name=FONT_NAME,
                size=size,
                bold=font.bold,
                italic=font.italic,
                color=font.color,
                underline=font.underline,
            )


def column_width(ws: Worksheet, first: int, last: int | None = None) -> float:
    """The width of columns ``first``..``last`` together, in Excel's width units."""
    total = 0.0
    for col in range(first, (last or first) + 1):
        width = ws.column_dimensions[get_column_letter(col)].width
        total += width if width else DEFAULT_WIDTH
    return total


@lru_cache(maxsize=4096)  # a batch's feedback repeats the same messages and headers
def text_lines(
    text: str, width: float, size: float, indent: int = 0, unit_points: float = UNIT_POINTS
) -> int:
    """How many lines ``text`` wraps to in a cell ``width`` units wide at ``size`` pt.

    ``unit_points``: how wide a unit of column width prints (see UNIT_POINTS).
    """
    chars = (width - 1 - 2 * indent) * unit_points / UNIT_POINTS * _CHARS_PER_WIDTH_POINT
    per_line = max(1, int(chars / size))
    return sum(
        max(1, len(textwrap.wrap(part, per_line, break_long_words=True)))
        for part in str(text).split("\n")
    )


def line_height(size: float, lines: int = 1) -> float:
    """Row height for ``lines`` lines at ``size`` pt: LibreOffice sets lines 1.08 × size
    apart and a line's glyphs (Vietnamese marks included) are 1.25 × size tall."""
    return round(lines * _LINE_PITCH * size + _GLYPH_EXTRA * size + _ROW_PADDING, 1)


def unit_points(wb: Workbook) -> float:
    """How wide a unit of column width prints in ``wb``: 6 pt with our default font,
    7 pt with Excel's and openpyxl's Calibri 11 (as LibreOffice prints them)."""
    default = wb._fonts[0]  # type: ignore[attr-defined]  # private, left out of the stubs
    ours = default.name == FONT_NAME and default.sz == BODY_SIZE
    return UNIT_POINTS if ours else CALIBRI_UNIT_POINTS


def fit_row_heights(ws: Worksheet) -> None:
    """Give every row the height its text needs, wrapped text included.

    Excel grows a wrapped row when it opens the file; LibreOffice keeps the height the
    file says, so two-line headers were clipped and long names overprinted the next
    row. A cell merged over several rows is left alone; a row only ever grows.
    """
    wb = ws.parent
    assert wb is not None  # a worksheet of a workbook
    merged = {r.start_cell.coordinate: r for r in ws.merged_cells.ranges}
    units = unit_points(wb)
    looks: dict[tuple[int, int], tuple[float, bool, int]] = {}
    widths: dict[tuple[int, int], float] = {}
    needed: dict[int, float] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            span = merged.get(cell.coordinate)
            if span is not None and span.max_row > span.min_row:
                continue
            last = span.max_col if span is not None else cell.column
            size, wraps, indent = _look(cell, looks)
            lines = 1
            if wraps:
                columns = (cell.column, last)
                if columns not in widths:
                    widths[columns] = column_width(ws, *columns)
                lines = text_lines(_shown_text(cell.value), widths[columns], size, indent, units)
            needed[cell.row] = max(needed.get(cell.row, 0), line_height(size, lines))
    for r, height in needed.items():
        current = ws.row_dimensions[r].height
        ws.row_dimensions[r].height = max(height, current or 0)


def _look(cell: Cell | MergedCell, looks: dict) -> tuple[float, bool, int]:
    """(font size, wraps, indent) of a cell, found once per font and alignment: reading
    them through openpyxl's style proxies cost more than the rest of the fitting."""
    ids = cast(Any, cell)._style  # private, left out of the stubs
    key = (ids.fontId, ids.alignmentId)
    if key not in looks:
        looks[key] = (cell.font.size or BODY_SIZE, cell.alignment.wrap_text, cell.alignment.indent)
    return looks[key]


def _shown_text(value: object) -> str:
    return value.strftime("%d/%m/%Y") if hasattr(value, "strftime") else str(value)


_CODE_WIDTH_PER_POINT = 0.105  # capitals and "_" of a code: about 0.63 em, 6 pt per unit


def code_column_width(codes: list[str], size: float = BODY_SIZE) -> int:
    """The width at which the longest code shows whole on one line."""
    longest = max((len(str(t)) for t in codes), default=0)
    return math.ceil(longest * size * _CODE_WIDTH_PER_POINT) + 2


def fit_code_column(ws: Worksheet, col: int, codes: list[str], size: float = BODY_SIZE) -> None:
    """Widen column ``col`` so that the longest code shows whole on one line."""
    needed = code_column_width(codes, size)
    letter = get_column_letter(col)
    ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, needed)


def print_a4_landscape(ws: Worksheet) -> None:
    """A4 landscape, one page wide (title rows are set per sheet)."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    setup = ws.sheet_properties.pageSetUpPr
    assert setup is not None  # openpyxl makes one with the sheet's properties
    setup.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins = MARGINS
    odd = ws.oddFooter
    assert odd is not None  # openpyxl makes the footers with the sheet
    footer = odd.center
    assert footer is not None  # and all three parts of each
    footer.text = FOOTER
    footer.font = f"{FONT_NAME},Regular"
    footer.size = 10
