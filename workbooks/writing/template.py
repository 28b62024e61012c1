"""The blank submission workbook an agency fills in (``chitieu template``).

Built on ``workbooks.writing.writer`` so the template has exactly the layout the reader
expects, then made hard to fill wrongly: Excel data validation on every input cell,
a protected sheet where only input cells are editable, live ``SUM`` totals that the
reader can compute without cached values, print settings and Times New Roman
(Decree 30/2020).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.protection import SheetProtection
from openpyxl.worksheet.worksheet import Worksheet

from reference.catalog import Catalog, Indicator
from reference.periods import Period, parse_period
from reference.text import fold
from workbooks.writing.long_writer import FIRST_INDICATOR_COL, UNIT_NAME
from workbooks.writing.safe_cells import safe_text, write_text
from workbooks.writing.style import (
    BODY_SIZE,
    BOX,
    COUNT_FORMAT,
    DATE_FORMAT,
    MONEY_FORMAT,
    column_width,
    fit_code_column,
    fit_row_heights,
    line_height,
    print_a4_landscape,
    text_lines,
    use_times_new_roman,
    use_times_new_roman_default,
)
from workbooks.writing.writer import (
    CODE,
    PROVINCE,
    TASK_HEADERS,
    TOTAL,
    IndicatorRow,
    SubmissionLayout,
    build_workbook,
    district_name,
    prefixed_district_name,
)

DATE_LABEL, EMAIL_LABEL = "Ngày báo cáo", "Email"
TASK_KINDS = ("Chung", "Đăng ký")
TASK_RESULTS = ("Hoàn thành", "Đang thực hiện", "Chưa thực hiện")
TASK_ROWS = 30  # empty task rows ready to fill
_MAX_LIST_CHARS = 255  # Excel's limit for a drop-down list written in the rule itself
INPUT_FILL = PatternFill("solid", fgColor="FFF9E5")  # pale yellow: "write here"
_UNLOCKED = Protection(locked=False)


@dataclass
class _Grid:
    """Where the writer put the indicator table."""

    header_row: int
    code_col: int
    part_cols: list[int]  # district columns, then Cấp tỉnh
    total_col: int
    note_col: int | None
    rows: dict[str, int]  # indicator code -> sheet row


def write_template(path: Path, agency_code: str, period_code: str, catalog: Catalog) -> Path:
    """Write the blank workbook ``agency_code`` fills in for ``period_code``."""
    wb = build_template(agency_code, period_code, catalog)
    path = Path(path)
    wb.save(path)
    return path


def build_template(agency_code: str, period_code: str, catalog: Catalog) -> Workbook:
    """The template as an openpyxl workbook; ValueError for an unknown agency or period."""
    agency = catalog.agencies.get(agency_code)
    if agency is None:
        known = ", ".join(sorted(catalog.agencies))
        raise ValueError(f"unknown agency code {agency_code!r}; known codes: {known}")
    try:
        period = parse_period(period_code)
    except ValueError as error:
        raise ValueError(
            f"unknown period code {period_code!r}: use 201905, 2019Q2, 2019S1, 2019 or 2016-2021"
        ) from error
    districts = catalog.districts_for(period)
    if not districts:
        raise ValueError(f"no district existed for the whole period {period_code}")
    indicators = _expected(catalog, agency_code)
    long = any(d.is_commune for d in districts)
    layout = SubmissionLayout(
        agency_text=agency.name,
        period_text=period.label_vi,
        districts=districts,
        blank_labels=(DATE_LABEL, EMAIL_LABEL),
        include_province=True,
        section_rows=True,
        title_rows=True,
        total_formula=True,
        long_layout=long,
        two_row_header=long,
        district_header=prefixed_district_name if long else district_name,  # "Xã Gia Viễn"
    )
    rows = [IndicatorRow(i.code, i.name, i.unit, group=i.group) for i in indicators]
    wb = build_workbook(rows, [], layout)
    use_times_new_roman_default(wb)
    sheet, tasks = wb[layout.indicator_sheet], wb[layout.task_sheet]
    _keep_text_as_text(wb)
    if long:
        _finish_long_sheet(sheet, indicators, len(districts))
    else:
        _finish_indicator_sheet(sheet, _find_grid(sheet), {i.code: i for i in indicators})
    _finish_task_sheet(tasks, member_names(catalog, period))
    guide = wb.create_sheet("Hướng dẫn", 0)
    days = catalog.deadline_days_for(agency_code, period.period_type)
    _write_guide(guide, agency.name, period, days, long)
    for ws in wb.worksheets:
        use_times_new_roman(ws)
        print_a4_landscape(ws)
        fit_row_heights(ws)
    if long:
        _print_long_over_pages(sheet, [i.code for i in indicators])
    wb.active = wb.worksheets.index(sheet)
    return wb


def member_names(catalog: Catalog, period: Period) -> list[str]:
    """Short names of the member agencies during ``period``: what "Đơn vị chủ trì" takes."""
    return [
        a.short_name
        for a in catalog.agencies.values()
        if a.valid_from <= period.end_date
        and (a.valid_to is None or a.valid_to >= period.start_date)
    ]


def _expected(catalog: Catalog, agency_code: str) -> list[Indicator]:
    codes = catalog.expected_indicators.get(agency_code, [])
    if not codes:
        raise ValueError(f"agency {agency_code!r} is not expected to report any indicator")
    return sorted((catalog.indicators[c] for c in codes), key=lambda i: i.sort_order)


def _keep_text_as_text(wb: Workbook) -> None:
    """Reference text (names, units) starting with = + - @ must stay text, never a formula.

    Runs before the SUM formulas are added, so every string cell is text from data.
    """
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    safe_text(cell, cell.value)


def _find_grid(ws: Worksheet) -> _Grid:
    """Find the header the writer wrote and the column of each role."""
    for row in ws.iter_rows():
        by_text = {fold(c.value): c.column for c in row if isinstance(c.value, str)}
        if fold(CODE) in by_text:
            header, code_col = row[0].row, by_text[fold(CODE)]
            break
    else:  # pragma: no cover - the writer always writes the header
        raise RuntimeError("template header not found")
    assert header is not None  # a cell that iter_rows yields sits in a row
    total_col, province_col = by_text[fold(TOTAL)], by_text[fold(PROVINCE)]
    parts = list(range(code_col + 3, province_col + 1))  # after name and unit
    rows = {
        str(ws.cell(r, code_col).value): r
        for r in range(header + 1, ws.max_row + 1)
        if ws.cell(r, code_col).value
    }
    return _Grid(header, code_col, parts, total_col, by_text.get(fold("Ghi chú")), rows)


def _finish_indicator_sheet(ws: Worksheet, grid: _Grid, indicators: dict[str, Indicator]) -> None:
    first, last = get_column_letter(grid.part_cols[0]), get_column_letter(grid.part_cols[-1])
    counts, money = _value_validation("count"), _value_validation("money")
    for code, r in grid.rows.items():
        kind = indicators[code].value_kind
        for col in grid.part_cols:
            _input_cell(ws, r, col, MONEY_FORMAT if kind == "money" else COUNT_FORMAT)
        (money if kind == "money" else counts).add(f"{first}{r}:{last}{r}")
        total = ws.cell(r, grid.total_col, f"=SUM({first}{r}:{last}{r})")
        total.number_format = MONEY_FORMAT if kind == "money" else COUNT_FORMAT
        total.font = Font(bold=True)
        if grid.note_col:
            _input_cell(ws, r, grid.note_col, None)
    for dv in (counts, money):
        if dv.sqref:
            ws.add_data_validation(dv)
    _metadata_inputs(ws, grid.header_row)
    _signatures(ws, grid, max(grid.rows.values()) + 2)
    _wrap_names(ws, grid)
    ws.freeze_panes = ws.cell(grid.header_row + 1, grid.code_col + 3).coordinate
    ws.print_title_rows = f"{grid.header_row}:{grid.header_row}"
    _protect(ws)


def _finish_long_sheet(ws: Worksheet, indicators: list[Indicator], units: int) -> None:
    """The long layout: an input cell per unit (and Cấp tỉnh) and indicator, SUMs below."""
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 3).value == UNIT_NAME)
    first = header + 3  # codes, names, units
    last = first + units  # Cấp tỉnh, then the units
    total_row = last + 1
    for offset, indicator in enumerate(indicators):
        col = FIRST_INDICATOR_COL + offset
        letter = get_column_letter(col)
        money = indicator.value_kind == "money"
        for r in range(first, last + 1):
            _input_cell(ws, r, col, MONEY_FORMAT if money else COUNT_FORMAT)
        check = _value_validation(indicator.value_kind)
        check.add(f"{letter}{first}:{letter}{last}")
        ws.add_data_validation(check)
        total = ws.cell(total_row, col, f"=SUM({letter}{first}:{letter}{last})")
        total.number_format = MONEY_FORMAT if money else COUNT_FORMAT
        total.font = Font(bold=True)
    note_col = FIRST_INDICATOR_COL + len(indicators)
    for r in range(first, last + 1):
        _input_cell(ws, r, note_col, None)
    ws.cell(total_row, 3).font = Font(bold=True)
    _metadata_inputs(ws, header)
    ws.cell(total_row + 2, note_col - 1, "……………, ngày …… tháng …… năm ………")
    ws.cell(total_row + 3, 3, "Người lập biểu").font = Font(bold=True)
    ws.cell(total_row + 3, note_col - 1, "Thủ trưởng đơn vị").font = Font(bold=True)
    ws.freeze_panes = ws.cell(first, FIRST_INDICATOR_COL).coordinate
    ws.print_title_rows = f"{header}:{first - 1}"
    _protect(ws)


LONG_SCALE = 90  # percent: the long sheet prints at this scale, its columns over pages
_LONG_PAGE_UNITS = 117 * 100 / LONG_SCALE  # column width units on one A4 landscape page


def _print_long_over_pages(ws: Worksheet, codes: list[str]) -> None:
    """Indicator columns wide enough for their whole code, split over pages in their
    order with the unit names (A:C) and the header rows repeated on every page: a
    shrink-to-one-page-wide would print a clerk's form at about 70 %."""
    for letter, chars in (("A", 5), ("B", 10), ("C", 27)):  # A:B hold "Đơn vị báo cáo:"
        ws.column_dimensions[letter].width = chars
    for offset, code in enumerate(codes):
        col = FIRST_INDICATOR_COL + offset
        ws.column_dimensions[get_column_letter(col)].width = 12
        fit_code_column(ws, col, [code])
    note_col = FIRST_INDICATOR_COL + len(codes)
    ws.column_dimensions[get_column_letter(note_col)].width = 12
    fixed = column_width(ws, 1, FIRST_INDICATOR_COL - 1)
    used, split = fixed, False
    for col in range(FIRST_INDICATOR_COL, note_col + 1):
        width = column_width(ws, col)
        if used + width > _LONG_PAGE_UNITS:
            ws.col_breaks.append(Break(id=col - 1))  # column ``col`` starts a page
            used, split = fixed, True
        used += width
    setup = ws.sheet_properties.pageSetUpPr
    assert setup is not None  # openpyxl makes one with the sheet's properties
    setup.fitToPage = False
    ws.page_setup.scale = LONG_SCALE
    ws.print_title_cols = f"A:{get_column_letter(FIRST_INDICATOR_COL - 1)}"
    fit_row_heights(ws)  # the header rows, now in their final widths
    if split:  # the titles repeat whole with the unit names, never cut by a page edge
        _titles_over(ws, FIRST_INDICATOR_COL - 1)


_MOTTO_LENGTH = 40  # "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM": one line, a little smaller


def _titles_over(ws: Worksheet, last_col: int) -> None:
    """The titles above the table merged over its first ``last_col`` columns, wrapped."""
    for span in list(ws.merged_cells.ranges):
        if span.min_row == span.max_row and span.min_col == 1 and span.max_col > last_col:
            if ws.cell(span.min_row, 1).value is None:
                continue
            row = span.min_row
            ws.unmerge_cells(str(span))
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_col)
            cell = ws.cell(row, 1)
            width = 0.7 * column_width(ws, 1, last_col)  # bold capitals run wide
            lines = text_lines(str(cell.value), width, BODY_SIZE)
            if lines == 2 and len(str(cell.value)) <= _MOTTO_LENGTH:  # the national motto
                cell.alignment, lines = Alignment(horizontal="center", shrink_to_fit=True), 1
            else:
                cell.alignment = Alignment(horizontal="center", wrap_text=True)
            ws.row_dimensions[row].height = line_height(BODY_SIZE, lines)


def _signatures(ws: Worksheet, grid: _Grid, row: int) -> None:
    """Date line and signatures, the head's centred over the last columns (inside the
    table's width, so they never widen the printed page)."""
    last = grid.note_col or grid.total_col
    first = max(grid.part_cols[0], last - 5)
    for r, text, font in (
        (row, "……, ngày …… tháng …… năm ……", Font(italic=True)),
        (row + 1, "Thủ trưởng đơn vị", Font(bold=True)),
    ):
        cell = ws.cell(r, first, text)
        cell.font, cell.alignment = font, Alignment(horizontal="center", wrap_text=True)
        ws.merge_cells(start_row=r, start_column=first, end_row=r, end_column=last)
    ws.cell(row + 1, grid.code_col + 1, "Người lập biểu").font = Font(bold=True)


def _wrap_names(ws: Worksheet, grid: _Grid) -> None:
    """Codes whole on one line; long names and units wrap inside their column."""
    fit_code_column(ws, grid.code_col, list(grid.rows))
    widths: dict[int, float] = {grid.code_col - 1: 5, grid.code_col + 1: 31, grid.code_col + 2: 10}
    widths |= {col: 7 for col in grid.part_cols} | {grid.total_col: 8.5}
    if grid.note_col:
        widths[grid.note_col] = 8
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    wrap, middle = Alignment(wrap_text=True, vertical="center"), Alignment(vertical="center")
    last = grid.note_col or grid.total_col
    for r in grid.rows.values():
        for col in range(1, last + 1):
            wraps = col in (grid.code_col + 1, grid.code_col + 2)
            ws.cell(r, col).alignment = wrap if wraps else middle


def _input_cell(ws: Worksheet, r: int, col: int, number_format: str | None) -> None:
    cell = ws.cell(r, col)
    cell.protection, cell.fill, cell.border = _UNLOCKED, INPUT_FILL, BOX
    if number_format:
        cell.number_format = number_format


def _value_validation(kind: str) -> DataValidation:
    """Whole numbers ≥ 0 for counts, decimals ≥ 0 (million VND) for money."""
    if kind == "money":
        prompt = (
            "Ghi số tiền theo đơn vị ở cột Đơn vị tính (triệu đồng), số không âm, được có phần "
            "thập phân. Để trống nếu chưa có số liệu; không thực hiện thì ghi 0."
        )
        error = "Số tiền phải là số lớn hơn hoặc bằng 0 (đơn vị triệu đồng)."
        return _validation("decimal", "Số tiền (triệu đồng)", prompt, error)
    prompt = (
        "Ghi số nguyên không âm, ví dụ 45000. Để trống nếu chưa có số liệu; không thực hiện "
        "thì ghi 0."
    )
    error = "Chỉ tiêu này phải là số nguyên lớn hơn hoặc bằng 0."
    return _validation("whole", "Số lượng", prompt, error)


def _validation(
    kind: Literal["whole", "decimal"], title: str, prompt: str, error: str
) -> DataValidation:
    return DataValidation(
        type=kind,
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showInputMessage=True,
        promptTitle=title,
        prompt=prompt,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle="Số liệu không hợp lệ",
        error=error,
    )


def _metadata_inputs(ws: Worksheet, header_row: int) -> None:
    """Unlock the value cells of the labels the agency fills in (date, email)."""
    labels = {fold(DATE_LABEL): "date", fold(EMAIL_LABEL): "email"}
    date_check = DataValidation(
        type="date",
        operator="greaterThan",
        formula1="36526",  # 01/01/2000
        allow_blank=True,
        showInputMessage=True,
        promptTitle="Ngày báo cáo",
        prompt="Ghi ngày báo cáo dạng dd/mm/yyyy, ví dụ 05/07/2019.",
        showErrorMessage=True,
        errorTitle="Ngày không hợp lệ",
        error="Hãy ghi một ngày dạng dd/mm/yyyy.",
    )
    for r in range(1, header_row):
        role = labels.get(fold(ws.cell(r, 1).value))
        if role is None:
            continue
        _input_cell(ws, r, 3, DATE_FORMAT if role == "date" else None)
        if role == "date":
            date_check.add(ws.cell(r, 3).coordinate)
    if date_check.sqref:
        ws.add_data_validation(date_check)


def _protect(ws: Worksheet) -> None:
    """Lock headers, codes and formulas; columns and rows may still be resized."""
    ws.protection = SheetProtection(
        sheet=True, formatColumns=False, formatRows=False, selectLockedCells=False
    )


# --- the task sheet ----------------------------------------------------------------


def _finish_task_sheet(ws: Worksheet, members: list[str]) -> None:
    last = 1 + TASK_ROWS
    for r in range(2, last + 1):
        for col in range(1, len(TASK_HEADERS) + 1):
            _input_cell(ws, r, col, DATE_FORMAT if col == 6 else None)
        ws.cell(r, 2).alignment = Alignment(wrap_text=True, vertical="top")
    kinds = _list_validation(TASK_KINDS, "Loại nhiệm vụ", "Chọn “Chung” hoặc “Đăng ký”.")
    results = _list_validation(
        TASK_RESULTS, "Kết quả", "Chọn kết quả đến cuối kỳ báo cáo trong danh sách."
    )
    kinds.add(f"C2:C{last}")
    results.add(f"D2:D{last}")
    ws.add_data_validation(kinds)
    ws.add_data_validation(results)
    if len(",".join(members)) <= _MAX_LIST_CHARS:
        leads = _list_validation(
            tuple(members),
            "Đơn vị chủ trì",
            "Chọn một cơ quan thành viên trong danh sách; để trống nếu đơn vị báo cáo chủ trì.",
        )
        leads.add(f"E2:E{last}")
        ws.add_data_validation(leads)
    for letter, width in zip("ABCDEFG", (5, 48, 11, 17, 22, 12, 18), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    _protect(ws)


def _list_validation(items: tuple[str, ...], title: str, prompt: str) -> DataValidation:
    return DataValidation(
        type="list",
        formula1='"' + ",".join(items) + '"',
        allow_blank=True,
        showInputMessage=True,
        promptTitle=title,
        prompt=prompt,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle="Giá trị không hợp lệ",
        error="Chỉ chọn một trong: " + ", ".join(items) + ".",
    )


# --- the instructions sheet --------------------------------------------------------


def _guide_lines(agency_name: str, period: Period, deadline_days: int, long: bool) -> list[str]:
    deadline = period.end_date + timedelta(days=deadline_days)
    where = (
        "2. Mỗi xã, phường một dòng, mỗi chỉ tiêu một cột (mã chỉ tiêu ở đầu cột). Ghi số liệu "
        "thực hiện trong kỳ vào dòng của từng xã, phường; phần do cấp tỉnh trực tiếp thực hiện "
        "ghi vào dòng “Cấp tỉnh”. Không đổi mã đơn vị."
        if long
        else "2. Ghi số liệu thực hiện trong kỳ vào cột của từng huyện, thành phố; phần do cấp "
        "tỉnh trực tiếp thực hiện ghi vào cột “Cấp tỉnh”."
    )
    total = (
        "3. Dòng “Tổng cộng” tự cộng bằng công thức, không ghi đè."
        if long
        else "3. Cột “Tổng cộng” tự cộng bằng công thức, không ghi đè."
    )
    return [
        "HƯỚNG DẪN ĐIỀN BIỂU",
        f"Biểu dành cho: {agency_name} - kỳ báo cáo: {period.label_vi}.",
        "1. Không sửa phần đầu biểu, tên cột, mã chỉ tiêu và cột “Tổng cộng” (các ô này đã "
        "được khóa). Chỉ ghi vào các ô nền vàng nhạt.",
        where,
        total,
        "4. Chỉ tiêu đếm (hội nghị, lượt người, suất quà...) ghi số nguyên không âm; chỉ tiêu "
        "tiền ghi theo đơn vị ở cột “Đơn vị tính”, được có phần thập phân. Excel báo lỗi khi "
        "ghi sai.",
        "5. Ô để trống là chưa có số liệu. Mỗi chỉ tiêu cần ít nhất một ô có số liệu; chỉ tiêu "
        "không thực hiện thì ghi 0.",
        "6. Ghi “Ngày báo cáo” dạng dd/mm/yyyy và “Email” để nhận phản hồi về báo cáo.",
        "7. Trang “Nhiệm vụ”: mỗi nhiệm vụ một dòng; chọn “Loại” (Chung, Đăng ký) và “Kết quả” "
        "(Hoàn thành, Đang thực hiện, Chưa thực hiện) trong danh sách. “Đơn vị chủ trì” phải "
        "là một cơ quan thành viên, chọn trong danh sách (ví dụ “Hội Nông dân”); để trống nếu "
        "đơn vị báo cáo chủ trì. Tên cơ quan khác (như “Sở Nông nghiệp”) làm cả biểu bị trả "
        "lại; hãy ghi cơ quan đó vào cột “Ghi chú”.",
        f"8. Gửi biểu về cơ quan thường trực chậm nhất ngày {deadline:%d/%m/%Y}.",
    ]


def _write_guide(
    ws: Worksheet, agency_name: str, period: Period, deadline_days: int, long: bool
) -> None:
    for r, line in enumerate(_guide_lines(agency_name, period, deadline_days, long), start=1):
        cell = write_text(ws, r, 1, line)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.cell(1, 1).font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 125  # a full A4 landscape line
    ws.protection = SheetProtection(sheet=True)
