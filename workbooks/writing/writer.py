"""Write submission workbooks in the layouts of submission-workbook.md.

The writer takes a plain description (rows of values, task rows, layout options)
and produces the .xlsx an agency would send. It is the base of the sample inbox
and of the agency template, so it knows nothing about where the values come from.
Output is byte-identical for the same input: duplicates are detected by SHA-256.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from openpyxl import Workbook
from openpyxl.packaging.core import DocumentProperties
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring

from reference.catalog import District
from workbooks.writing.style import BOLD, BOX, CENTER, DATE_FORMAT, box_row

Value = int | float | str | None

# Header texts (section 3 and 6 of the spec); layouts may swap in tolerant variants.
STT, CODE, NAME, UNIT = "STT", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính"
PROVINCE, TOTAL, NOTE = "Cấp tỉnh", "Tổng cộng", "Ghi chú"
BY_DISTRICT = "Chia theo huyện, thành phố"
TASK_HEADERS = ("STT", "Nhiệm vụ", "Loại", "Kết quả", "Đơn vị chủ trì", "Thời hạn", "Ghi chú")
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
_INSTRUCTIONS = (
    "HƯỚNG DẪN ĐIỀN BIỂU",
    "1. Điền số liệu thực hiện trong kỳ vào các cột huyện, thành phố; "
    "phần do cấp tỉnh thực hiện ghi vào cột cấp tỉnh.",
    "2. Ô để trống là chưa có số liệu; không thực hiện thì ghi 0 hoặc dấu gạch ngang.",
    "3. Số lớn dùng dấu chấm phân cách hàng nghìn, dấu phẩy cho phần thập phân.",
    "4. Gửi biểu về cơ quan thường trực đúng thời hạn quy định.",
)


@dataclass
class IndicatorRow:
    """One indicator row; values are in the unit written in ``unit``."""

    code: str
    name: str
    unit: str
    district_values: dict[str, Value] = field(default_factory=dict)  # district code -> value
    province_value: Value = None
    note: str | None = None
    group: str | None = None  # section heading this row belongs to
    total: Value = None  # explicit total; None: computed (or a SUM formula)


@dataclass
class TaskRow:
    text: str
    kind_label: str  # "Chung" or "Đăng ký"
    result_label: str  # "Hoàn thành", "Đang thực hiện", "Chưa thực hiện"
    lead: str | None = None
    deadline: date | None = None
    note: str | None = None


def district_name(district: District) -> str:
    """A district column headed by the name alone ("Gia Viễn")."""
    return district.name


def prefixed_district_name(district: District) -> str:
    """A unit headed with its kind ("Xã Gia Viễn"), as the long layout's rows are."""
    return f"{district.district_type.capitalize()} {district.name}"


def as_number(value: int | float) -> Value:
    """A value typed as a number: whole numbers as integers."""
    return int(value) if float(value).is_integer() else value


@dataclass
class SubmissionLayout:
    """How a workbook looks: everything real agencies vary."""

    agency_text: str
    period_text: str
    districts: Sequence[District]
    report_date: date | None = None
    report_date_as_text: bool = False  # "dd/mm/yyyy" text instead of an Excel date
    email: str | None = None
    blank_labels: tuple[str, ...] = ()  # labels with an empty value cell (template to fill in)
    two_row_header: bool = False
    metadata_in_one_cell: bool = False
    district_header: Callable[[District], str] = district_name  # a district column's header
    include_province: bool = False
    total_first: bool = False  # "Tổng cộng" right after the unit column
    section_rows: bool = False
    title_rows: bool = False
    title_text: str = "BÁO CÁO KẾT QUẢ THỰC HIỆN CHỈ TIÊU CÔNG TÁC DÂN VẬN"
    footer_place: str | None = None  # e.g. "Ninh Bình": adds date line and signatures
    instructions: str | None = None  # None, "before" or "after" the data sheets
    indicator_sheet: str = "Chỉ tiêu"
    task_sheet: str = "Nhiệm vụ"
    name_header: str = NAME
    unit_header: str = UNIT
    total_header: str = TOTAL
    total_formula: bool = True  # =SUM(...) over the parts when they are all numbers
    cell_value: Callable[[int | float], Value] = as_number  # what a value cell holds
    long_layout: bool = False  # one row per unit, one column per indicator (section 3b)
    unit_codes: bool = True  # long layout: a "Mã đơn vị" (GSO code) column
    unit_name_header: str = "Xã, phường"  # long layout: header of the unit-name column


# --- text helpers --------------------------------------------------------------


def vn_date_text(day: date) -> str:
    return f"ngày {day.day} tháng {day.month} năm {day.year}"


# --- the indicator sheet ---------------------------------------------------------


@dataclass
class _ColumnPlan:
    """Where the writer puts each column of the indicator table it writes."""

    stt: int
    code: int
    name: int
    unit: int
    districts: dict[str, int]
    province: int | None
    total: int
    note: int

    @property
    def width(self) -> int:
        return self.note

    @property
    def parts(self) -> tuple[int, int]:
        """First and last column of the contiguous district (+ province) block."""
        cols = [*self.districts.values()] + ([self.province] if self.province else [])
        return min(cols), max(cols)


def _plan_columns(layout: SubmissionLayout) -> _ColumnPlan:
    col = 5
    total = None
    if layout.total_first:
        total, col = col, col + 1
    districts = {}
    for district in layout.districts:
        districts[district.code] = col
        col += 1
    province = None
    if layout.include_province:
        province, col = col, col + 1
    if total is None:
        total, col = col, col + 1
    return _ColumnPlan(1, 2, 3, 4, districts, province, total, col)


def _write_title(ws: Worksheet, row: int, text: str, width: int, bold: bool = True) -> None:
    ws.cell(row, 1, text).font = Font(bold=bold)
    ws.cell(row, 1).alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)


def _metadata(layout: SubmissionLayout) -> list[tuple[str, str | date | None]]:
    report_date: str | date | None = layout.report_date
    if layout.report_date is not None and layout.report_date_as_text:
        report_date = layout.report_date.strftime("%d/%m/%Y")
    pairs: list[tuple[str, str | date | None]] = [
        ("Đơn vị báo cáo", layout.agency_text),
        ("Kỳ báo cáo", layout.period_text),
    ]
    if report_date is not None:
        pairs.append(("Ngày báo cáo", report_date))
    if layout.email:
        pairs.append(("Email", layout.email))
    pairs.extend((label, None) for label in layout.blank_labels)
    return pairs


def _write_metadata(ws: Worksheet, row: int, layout: SubmissionLayout) -> int:
    """Write the labelled values; return the next free row."""
    for label, value in _metadata(layout):
        if layout.metadata_in_one_cell:
            shown = value.strftime("%d/%m/%Y") if isinstance(value, date) else value
            ws.cell(row, 1, f"{label}: {'' if shown is None else shown}")
        else:
            ws.cell(row, 1, f"{label}:").font = BOLD
            cell = ws.cell(row, 3, value)
            if isinstance(value, date):
                cell.number_format = DATE_FORMAT
        row += 1
    return row


def _header_cell(ws: Worksheet, row: int, col: int, text: str | None) -> None:
    cell = ws.cell(row, col, text)
    cell.font, cell.alignment, cell.border = BOLD, CENTER, BOX


def _write_header(ws: Worksheet, row: int, cols: _ColumnPlan, layout: SubmissionLayout) -> int:
    """Write one or two header rows; return the first data row."""
    fixed = {
        cols.stt: STT,
        cols.code: CODE,
        cols.name: layout.name_header,
        cols.unit: layout.unit_header,
        cols.total: layout.total_header,
        cols.note: NOTE,
    }
    if cols.province:
        fixed[cols.province] = PROVINCE
    names = {cols.districts[d.code]: layout.district_header(d) for d in layout.districts}
    if not layout.two_row_header or not names:
        for col, text in sorted({**fixed, **names}.items()):
            _header_cell(ws, row, col, text)
        return row + 1
    for col, text in sorted(fixed.items()):
        _header_cell(ws, row, col, text)
        _header_cell(ws, row + 1, col, None)
        ws.merge_cells(start_row=row, start_column=col, end_row=row + 1, end_column=col)
    first, last = min(names), max(names)
    _header_cell(ws, row, first, BY_DISTRICT)
    ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    for col, text in sorted(names.items()):
        _header_cell(ws, row + 1, col, text)
    return row + 2


def _shown(value: Value, layout: SubmissionLayout) -> Value:
    """The cell content for a value: as the layout types numbers, text as given."""
    if value is None or isinstance(value, str):
        return value
    return layout.cell_value(value)


def _row_total(row: IndicatorRow, cells: list[Value]) -> Value:
    if row.total is not None:
        return row.total
    numbers = [v for v in cells if isinstance(v, int | float)]
    if not numbers:
        return None
    total = round(sum(numbers), 6)
    return int(total) if float(total).is_integer() else total


def _write_indicator(
    ws: Worksheet,
    r: int,
    number: int,
    row: IndicatorRow,
    cols: _ColumnPlan,
    layout: SubmissionLayout,
) -> None:
    ws.cell(r, cols.stt, number)
    ws.cell(r, cols.code, row.code)
    ws.cell(r, cols.name, row.name)
    ws.cell(r, cols.unit, row.unit)
    parts: list[Value] = []
    for code, col in cols.districts.items():
        value = row.district_values.get(code)
        parts.append(value)
        ws.cell(r, col, _shown(value, layout))
    if cols.province:
        parts.append(row.province_value)
        ws.cell(r, cols.province, _shown(row.province_value, layout))
    shown = [_shown(v, layout) for v in parts]
    all_numeric = all(v is None or v == "-" or isinstance(v, int | float) for v in shown)
    total = _row_total(row, parts)
    formula = layout.total_formula and all_numeric and bool(parts)
    if total is not None and row.total is None and formula:
        first, last = cols.parts
        ws.cell(r, cols.total, f"=SUM({get_column_letter(first)}{r}:{get_column_letter(last)}{r})")
    elif total is not None:
        ws.cell(r, cols.total, total)
    if row.note:
        ws.cell(r, cols.note, row.note)
    box_row(ws, r, cols.width)


def _write_rows(
    ws: Worksheet, r: int, rows: Sequence[IndicatorRow], cols: _ColumnPlan, layout: SubmissionLayout
) -> int:
    group, sections = None, 0
    for number, row in enumerate(rows, start=1):
        if layout.section_rows and row.group and row.group != group:
            group = row.group
            ws.cell(r, cols.stt, _ROMAN[sections]).font = BOLD
            ws.cell(r, cols.name, row.group).font = BOLD
            sections += 1
            r += 1
        _write_indicator(ws, r, number, row, cols, layout)
        r += 1
    return r


class _FooterPlan(Protocol):
    """What ``_write_footer`` needs of a layout's columns (wide or long)."""

    @property
    def width(self) -> int: ...

    @property
    def name(self) -> int: ...


def _write_footer(ws: Worksheet, r: int, cols: _FooterPlan, layout: SubmissionLayout) -> None:
    day = layout.report_date
    right = max(cols.width - 3, 4)
    if day is not None:
        ws.cell(r + 1, right, f"{layout.footer_place}, {vn_date_text(day)}")
    ws.cell(r + 2, cols.name, "Người lập biểu").font = BOLD
    ws.cell(r + 2, right, "Thủ trưởng đơn vị").font = BOLD


def write_indicator_sheet(
    ws: Worksheet, rows: Sequence[IndicatorRow], layout: SubmissionLayout
) -> None:
    """Fill ``ws`` with the metadata block, the header and the indicator rows."""
    cols = _plan_columns(layout)
    r = 1
    if layout.title_rows:
        _write_title(ws, 1, "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", cols.width)
        _write_title(ws, 2, "Độc lập - Tự do - Hạnh phúc", cols.width, bold=False)
        _write_title(ws, 4, layout.title_text, cols.width)
        r = 6
    r = _write_metadata(ws, r, layout) + 1
    r = _write_header(ws, r, cols, layout)
    r = _write_rows(ws, r, rows, cols, layout)
    if layout.footer_place:
        _write_footer(ws, r, cols, layout)
    ws.column_dimensions["C"].width = 45
    for col in range(5, cols.width + 1):
        ws.column_dimensions[get_column_letter(col)].width = 12


def write_task_sheet(ws: Worksheet, tasks: Sequence[TaskRow]) -> None:
    """Header of section 6, one row per task."""
    for col, text in enumerate(TASK_HEADERS, start=1):
        _header_cell(ws, 1, col, text)
    for number, task in enumerate(tasks, start=1):
        r = number + 1
        values = (number, task.text, task.kind_label, task.result_label, task.lead, task.deadline)
        for col, value in enumerate(values, start=1):
            ws.cell(r, col, value)
        if task.deadline is not None:
            ws.cell(r, 6).number_format = DATE_FORMAT
        if task.note:
            ws.cell(r, 7, task.note)
    ws.column_dimensions["B"].width = 60


def _write_instructions(ws: Worksheet) -> None:
    for r, line in enumerate(_INSTRUCTIONS, start=1):
        ws.cell(r, 1, line)
    ws.cell(1, 1).font = BOLD


def build_workbook(
    rows: Sequence[IndicatorRow], tasks: Sequence[TaskRow] | None, layout: SubmissionLayout
) -> Workbook:
    """The submission as an openpyxl workbook, for callers that add more (validation...)."""
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook's only sheet
    ws.title = layout.indicator_sheet
    if layout.long_layout:
        from workbooks.writing.long_writer import write_long_sheet  # it builds on this module

        write_long_sheet(ws, rows, layout)
    else:
        write_indicator_sheet(ws, rows, layout)
    if tasks is not None:
        write_task_sheet(wb.create_sheet(layout.task_sheet), tasks)
    if layout.instructions:
        guide = wb.create_sheet("Hướng dẫn", 0 if layout.instructions == "before" else None)
        _write_instructions(guide)
    return wb


def workbook_bytes(wb: Workbook, saved_at: datetime) -> bytes:
    """Serialize ``wb`` reproducibly: fixed document times and zip entry times."""
    buffer = io.BytesIO()
    wb.save(buffer)  # openpyxl stamps "modified" with the clock; replaced below
    core = core_properties_bytes(wb.properties, saved_at)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src:
        return package_bytes(
            {
                info.filename: core if info.filename == "docProps/core.xml" else src.read(info)
                for info in src.infolist()
            }
        )


def core_properties_bytes(props: DocumentProperties, saved_at: datetime) -> bytes:
    """``docProps/core.xml`` with the fixed document times (openpyxl stamps the clock)."""
    props.created = props.modified = saved_at
    core = tostring(props.to_tree())
    assert isinstance(core, bytes)  # openpyxl's tostring encodes
    return core


def package_bytes(members: Mapping[str, bytes]) -> bytes:
    """A zip package of ``members`` (in order) with fixed entry times: no clock in it."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            entry = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            entry.create_system = 3
            archive.writestr(entry, data)
    return out.getvalue()
