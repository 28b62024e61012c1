"""Write the indicator sheet in the long layout (submission-workbook.md 3b).

One row per unit (``Cấp tỉnh`` first, then the communes and wards), one column per
indicator code, a ``Tổng cộng`` row at the bottom. With ``two_row_header`` the
indicator names and units sit in two rows under the codes.
"""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from workbooks.writing.style import box_row
from workbooks.writing.writer import (
    NOTE,
    PROVINCE,
    STT,
    IndicatorRow,
    SubmissionLayout,
    Value,
    _header_cell,
    _shown,
    _write_footer,
    _write_metadata,
    _write_title,
)

UNIT_CODE = "Mã đơn vị"
UNIT_NAME = "Xã, phường"
FIRST_INDICATOR_COL = 4


def long_columns(rows: Sequence[IndicatorRow]) -> dict[str, int]:
    """Indicator code -> column number."""
    return {row.code: FIRST_INDICATOR_COL + i for i, row in enumerate(rows)}


def write_long_sheet(ws: Worksheet, rows: Sequence[IndicatorRow], layout: SubmissionLayout) -> int:
    """Fill ``ws``; returns the sheet row of ``Tổng cộng``."""
    columns = long_columns(rows)
    note_col = FIRST_INDICATOR_COL + len(rows)
    r = 1
    if layout.title_rows:
        _write_title(ws, 1, "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", note_col)
        _write_title(ws, 2, "Độc lập - Tự do - Hạnh phúc", note_col, bold=False)
        _write_title(ws, 4, layout.title_text, note_col)
        r = 6
    r = _write_metadata(ws, r, layout) + 1
    r = _write_header(ws, r, rows, columns, note_col, layout)
    first = r
    if layout.include_province:
        values = {row.code: row.province_value for row in rows}
        _write_unit(ws, r, (None, None, PROVINCE), values, columns, note_col, layout)
        r += 1
    for number, district in enumerate(layout.districts, start=1):
        code = district.code if layout.unit_codes else None
        name = layout.district_header(district)
        values = {row.code: row.district_values.get(district.code) for row in rows}
        _write_unit(ws, r, (number, code, name), values, columns, note_col, layout)
        r += 1
    total_row = r
    _write_totals(ws, total_row, first, rows, columns, note_col, layout)
    if layout.footer_place:
        _write_footer(ws, total_row + 1, _FooterColumns(note_col), layout)
    ws.column_dimensions["C"].width = 28
    for col in range(FIRST_INDICATOR_COL, note_col + 1):
        ws.column_dimensions[get_column_letter(col)].width = 14
    return total_row


class _FooterColumns:
    """What ``_write_footer`` needs of the wide layout's columns."""

    def __init__(self, width: int):
        self.width, self.name = width, 3


def _write_header(ws, r: int, rows, columns, note_col: int, layout: SubmissionLayout) -> int:
    fixed = {1: STT, 3: layout.unit_name_header, note_col: NOTE}
    if layout.unit_codes:
        fixed[2] = UNIT_CODE
    for col, text in fixed.items():
        _header_cell(ws, r, col, text)
    for row in rows:
        _header_cell(ws, r, columns[row.code], row.code)
    if not layout.two_row_header:
        return r + 1
    for row in rows:
        _header_cell(ws, r + 1, columns[row.code], row.name)
        _header_cell(ws, r + 2, columns[row.code], row.unit)
    for col in fixed:
        _header_cell(ws, r + 1, col, None)
        _header_cell(ws, r + 2, col, None)
        ws.merge_cells(start_row=r, start_column=col, end_row=r + 2, end_column=col)
    return r + 3


def _write_unit(ws, r: int, head: tuple, values: dict, columns, note_col, layout) -> None:
    """One unit's row: (STT, GSO code, name), then its value under each indicator."""
    for col, text in enumerate(head, start=1):
        ws.cell(r, col, text)
    for code, value in values.items():
        ws.cell(r, columns[code], _shown(value, layout))
    box_row(ws, r, note_col)


def _write_totals(ws, r: int, first: int, rows, columns, note_col, layout) -> None:
    ws.cell(r, 3, layout.total_header)
    notes = [row.note for row in rows if row.note]
    for row in rows:
        col = columns[row.code]
        parts: list[Value] = [row.province_value] if layout.include_province else []
        parts += [row.district_values.get(d.code) for d in layout.districts]
        shown = [_shown(v, layout) for v in parts]
        numeric = all(v is None or v == "-" or isinstance(v, int | float) for v in shown)
        numbers = [v for v in parts if isinstance(v, int | float)]
        if row.total is not None:
            ws.cell(r, col, row.total)
        elif numbers and layout.total_formula and numeric:
            letter = get_column_letter(col)
            ws.cell(r, col, f"=SUM({letter}{first}:{letter}{r - 1})")
        elif numbers:
            total = round(sum(numbers), 6)
            ws.cell(r, col, int(total) if float(total).is_integer() else total)
    if notes:
        ws.cell(r, note_col, "; ".join(notes))
    box_row(ws, r, note_col)
