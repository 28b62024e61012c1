"""The review workbook for the half-year meeting (``chitieu report``).

Takes the figures as DataFrames (``ReviewData``, read by ``warehouse.report_data``)
and writes a draft text, one sheet per review table and native Excel charts. This
module never touches the warehouse, so it can be tested with hand-made frames.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.text import (
    CharacterProperties,
    ParagraphProperties,
    RegularTextRun,
)
from openpyxl.drawing.text import (
    Font as DrawingFont,
)
from openpyxl.drawing.text import (
    Paragraph as DrawingParagraph,
)
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule, DataBarRule, Rule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from reference.model import ReviewData
from workbooks.reports import narrative
from workbooks.writing.safe_cells import write_text, write_value
from workbooks.writing.style import (
    BOX,
    CENTER,
    COUNT_FORMAT,
    DATE_FORMAT,
    FONT_NAME,
    MARGINS,
    MONEY_FORMAT,
    WRAP_TOP,
    column_width,
    fit_code_column,
    fit_row_heights,
    line_height,
    print_a4_landscape,
    text_lines,
    use_times_new_roman,
    use_times_new_roman_default,
)

PERCENT_FORMAT, DATETIME_FORMAT = "0.0%", "dd/mm/yyyy hh:mm"
SHEETS = (
    "Dự thảo báo cáo",
    "Tổng hợp",
    "Theo huyện",
    "Nhiệm vụ",
    "Tình hình gửi báo cáo",
    "Chương trình phối hợp",
)
_CELL_TEXT = Alignment(vertical="center", wrap_text=True)
_CELL_NUMBER = Alignment(vertical="center")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_BAD_FILL = PatternFill("solid", fgColor="F8CBAD")
_YES, _NO = "Có", "Không"
_DRAFT_WIDTH = 125  # the draft's one column: a full A4 landscape line at 100 %
_CM = 72 / 2.54  # points per centimetre
_CHART_ROW = 15.0  # points: the rows a chart covers get this height, so pages are known
# Printable height of a page at 100 % (A4 landscape, MARGINS), less the footer's room.
PAGE_HEIGHT = 595.3 - 72 * (MARGINS.top + MARGINS.bottom) - 12


def write_review_report(path: Path, period_code: str, data: ReviewData) -> Path:
    """Write the review workbook of ``period_code`` to ``path``."""
    if data.period_code != period_code:
        raise ValueError(f"figures are for {data.period_code}, not {period_code}")
    path = Path(path)
    build_review_report(data).save(path)
    return path


def build_review_report(data: ReviewData) -> Workbook:
    wb = Workbook()
    use_times_new_roman_default(wb)
    first = wb.active
    assert isinstance(first, Worksheet)  # a new workbook's only sheet
    first.title = SHEETS[0]
    _draft_sheet(first, narrative.draft_review(data))
    _summary_sheet(wb.create_sheet(SHEETS[1]), data)
    _district_sheet(wb.create_sheet(SHEETS[2]), data)
    _task_sheet(wb.create_sheet(SHEETS[3]), data)
    _completeness_sheet(wb.create_sheet(SHEETS[4]), data)
    _program_sheet(wb.create_sheet(SHEETS[5]), data)
    for ws in wb.worksheets:
        use_times_new_roman(ws)
        print_a4_landscape(ws)
        fit_row_heights(ws)
    return wb


# --- cells -------------------------------------------------------------------------------


def _title(ws: Worksheet, row: int, text: str, width: int, size: int = 14) -> None:
    """A title merged over the table's ``width`` columns; a long one wraps inside them."""
    cell = write_text(ws, row, 1, text)
    cell.font = Font(bold=True, size=size)
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)


def _header(ws: Worksheet, row: int, texts: Sequence[str], first_col: int = 1) -> None:
    for col, text in enumerate(texts, start=first_col):
        cell = write_text(ws, row, col, text)
        cell.font, cell.alignment, cell.border, cell.fill = (
            Font(bold=True),
            CENTER,
            BOX,
            _HEADER_FILL,
        )


def _put(ws: Worksheet, row: int, col: int, value: object, number_format: str | None = None):
    """A boxed cell; numbers keep their format, text is always stored as text."""
    if isinstance(value, float) and math.isnan(value):
        value = None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    cell = write_value(ws, row, col, value)
    cell.border = BOX
    if number_format:
        cell.number_format = number_format
    cell.alignment = _CELL_TEXT if isinstance(value, str) else _CELL_NUMBER
    return cell


def _value_format(kind: str) -> str:
    return MONEY_FORMAT if kind == "money" else COUNT_FORMAT


def _widths(ws: Worksheet, widths: dict[str, float]) -> None:
    for col, width in widths.items():
        ws.column_dimensions[col].width = width


def _yes_no(flag: object) -> str:
    return _YES if bool(flag) and not pd.isna(flag) else _NO


# --- charts ------------------------------------------------------------------------------


def _text_props(size: int = 1000, bold: bool = False) -> RichText:
    props = CharacterProperties(latin=DrawingFont(typeface=FONT_NAME), sz=size, b=bold)
    return RichText(p=[DrawingParagraph(pPr=ParagraphProperties(defRPr=props), endParaRPr=props)])


def _chart_title(text: str, size: int = 1200) -> Title:
    props = CharacterProperties(latin=DrawingFont(typeface=FONT_NAME), sz=size, b=True)
    run = RegularTextRun(rPr=props, t=text)
    para = DrawingParagraph(pPr=ParagraphProperties(defRPr=props), r=[run])
    return Title(tx=Text(rich=RichText(p=[para])), overlay=False)


def _bar_chart(title: str, horizontal: bool, width: float, height: float) -> BarChart:
    """A bar chart in Times New Roman with both axes shown (openpyxl hides them by default)."""
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    chart.title = _chart_title(title)
    # the stubs take the type of the default width, 15; openpyxl takes any size in cm (its
    # default height is 7.5)
    chart.width = width  # type: ignore[assignment]
    chart.height = height
    for axis in (chart.x_axis, chart.y_axis):
        axis.delete = False
        axis.txPr = _text_props()
    chart.legend.position = "b"
    chart.legend.txPr = _text_props()
    return chart


def _charts_below(ws: Worksheet, charts: Sequence[BarChart], last_row: int) -> None:
    """Each chart on a page of its own below the table, so none crosses a page break and
    none widens the printed area (fit-to-width would shrink the table to make room)."""
    row = last_row + 1
    for chart in charts:
        ws.row_breaks.append(Break(id=row))  # zero-based: the page starts at row + 1
        ws.row_dimensions[row + 1].height = _CHART_ROW  # a spacer: the chart's border
        row += 2  # would otherwise touch the foot of the previous page
        ws.add_chart(chart, f"A{row}")
        rows = math.ceil(chart.height * _CM / _CHART_ROW) + 1
        for r in range(row, row + rows):
            ws.row_dimensions[r].height = _CHART_ROW
        row += rows


def _chart_width(ws: Worksheet, columns: int) -> float:
    """The width in cm of the table's first ``columns`` columns (6 pt per unit)."""
    return round(column_width(ws, 1, columns) * 6 / _CM, 1)


def _axis_title(text: str) -> Title:
    props = CharacterProperties(latin=DrawingFont(typeface=FONT_NAME), sz=1000, b=False)
    para = DrawingParagraph(
        pPr=ParagraphProperties(defRPr=props), r=[RegularTextRun(rPr=props, t=text)]
    )
    return Title(tx=Text(rich=RichText(p=[para])), overlay=False)


# --- Dự thảo báo cáo -------------------------------------------------------------------------


def _draft_sheet(ws: Worksheet, paragraphs: Sequence[narrative.Paragraph]) -> None:
    """One paragraph a row, each row as tall as its wrapped text; a heading that would end
    a page (its first paragraph on the next) starts the next page instead."""
    ws.column_dimensions["A"].width = _DRAFT_WIDTH
    heights = []
    for row, para in enumerate(paragraphs, start=1):
        cell = write_text(ws, row, 1, para.text)
        match para.style:
            case narrative.TITLE:
                cell.font, cell.alignment = Font(bold=True, size=14), CENTER
            case narrative.HEADING:  # room above, at the foot of the row
                cell.font = Font(bold=True, size=13)
                cell.alignment = Alignment(wrap_text=True, vertical="bottom")
            case narrative.NOTE:
                cell.font, cell.alignment = Font(italic=True, size=12), CENTER
            case _:
                cell.font = Font(size=13)
                cell.alignment = Alignment(wrap_text=True, vertical="top", indent=1)
        size = cell.font.size
        lines = text_lines(para.text, _DRAFT_WIDTH, size, cell.alignment.indent)
        heights.append(line_height(size, lines) + (8 if para.style == narrative.HEADING else 0))
        ws.row_dimensions[row].height = heights[-1]
    _keep_headings_with_text(ws, paragraphs, heights)


def _keep_headings_with_text(ws, paragraphs, heights) -> None:
    used = 0.0
    for i, (para, height) in enumerate(zip(paragraphs, heights, strict=True)):
        following = heights[i + 1] if i + 1 < len(heights) else 0
        keep = height + following if para.style == narrative.HEADING else height
        if used and used + keep > PAGE_HEIGHT:
            ws.row_breaks.append(Break(id=i))  # break after row i: row i + 1 starts a page
            used = 0.0
        used += height


# --- Tổng hợp -------------------------------------------------------------------------------


def _summary_sheet(ws: Worksheet, data: ReviewData) -> None:
    last_year = narrative.last_year_label(data.period_code) or "năm trước"
    heads = (
        "STT",
        "Mã chỉ tiêu",
        "Tên chỉ tiêu",
        "Đơn vị tính",
        data.period_label,
        f"Cùng kỳ ({last_year})",
        "Tăng, giảm so với cùng kỳ",
    )
    width = 10 if narrative.territory_changed(data.totals) else 7  # H-J: old territory
    _title(ws, 1, f"KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU TOÀN TỈNH - {data.period_label.upper()}", width)
    _header(ws, 3, heads)
    totals = data.totals.sort_values("sort_order")
    for i, r in enumerate(totals.itertuples(), start=1):
        row, fmt = 3 + i, _value_format(r.value_kind)
        _put(ws, row, 1, i)
        _put(ws, row, 2, r.indicator_code)
        _put(ws, row, 3, r.indicator_name)
        _put(ws, row, 4, r.unit).alignment = CENTER
        _put(ws, row, 5, r.total_value, fmt)
        _put(ws, row, 6, r.same_period_last_year_value, fmt)
        change = None if pd.isna(r.change_pct) else r.change_pct / 100
        _put(ws, row, 7, change, PERCENT_FORMAT)
    last = 3 + len(totals)
    _widths(ws, {"A": 5, "C": 44, "D": 11, "E": 13, "F": 15, "G": 12})
    fit_code_column(ws, 2, ["Mã chỉ tiêu", *totals["indicator_code"]])
    ws.freeze_panes = "E4"
    ws.print_title_rows = "3:3"
    if last > 3:
        red_green = ColorScaleRule(
            start_type="num",
            start_value=-0.2,
            start_color="F8696B",
            mid_type="num",
            mid_value=0,
            mid_color="FFFFFF",
            end_type="num",
            end_value=0.2,
            end_color="63BE7B",
        )
        ws.conditional_formatting.add(f"G4:G{last}", red_green)
        wide = _old_territory_columns(ws, totals, last_year)
        _summary_charts(ws, totals, last, 10 if wide else 7)


def _old_territory_columns(ws: Worksheet, totals: pd.DataFrame, last_year: str) -> bool:
    """Beside the totals of a merged province, the same on the old province's territory."""
    if not narrative.territory_changed(totals):
        return False
    heads = (
        "Địa bàn tỉnh trước hợp nhất: kỳ này",
        f"Địa bàn tỉnh trước hợp nhất: cùng kỳ ({last_year})",
        "Tăng, giảm trên cùng địa bàn",
    )
    _header(ws, 3, heads, first_col=8)
    for i, r in enumerate(totals.itertuples(), start=1):
        fmt = _value_format(r.value_kind)
        _put(ws, 3 + i, 8, r.old_territory_total_value, fmt)
        _put(ws, 3 + i, 9, r.old_territory_last_year_value, fmt)
        change = r.old_territory_change_pct
        _put(ws, 3 + i, 10, None if pd.isna(change) else change / 100, PERCENT_FORMAT)
    note = "Số liệu toàn tỉnh kỳ này gồm địa bàn rộng hơn cùng kỳ; cột H-J "
    ws.cell(2, 1, f"{note}{narrative.OLD_TERRITORY_VI}.").font = Font(italic=True)
    # Ten columns on one A4 width at full size: narrower, with the headers wrapped.
    _widths(ws, {"C": 34, "D": 10, "E": 11, "F": 12, "G": 10, "H": 11, "I": 12, "J": 10})
    return True


def _summary_charts(ws: Worksheet, totals: pd.DataFrame, last: int, columns: int = 7) -> None:
    width = _chart_width(ws, columns)
    # Ten columns wrap the repeated header to more lines: less room left for the chart.
    tall = 14 if columns == 7 else 12
    chart = _bar_chart("Kết quả các chỉ tiêu so với cùng kỳ", True, width, tall)
    chart.add_data(
        Reference(ws, min_col=5, max_col=6, min_row=3, max_row=last), titles_from_data=True
    )
    chart.set_categories(Reference(ws, min_col=3, min_row=4, max_row=last))
    chart.x_axis.scaling.orientation = "maxMin"  # first indicator on top
    values = pd.concat([totals["total_value"], totals["same_period_last_year_value"]]).dropna()
    positive = values[values > 0]
    if not positive.empty and (values >= 0).all():
        chart.y_axis.scaling.logBase = 10  # conferences and participants differ 1,000-fold
        # One decade below the smallest value: a value of 1 still has a visible bar.
        chart.y_axis.scaling.min = 10 ** (math.floor(math.log10(positive.min())) - 1)
        zeros = "giá trị 0 không có thanh; " if (values == 0).any() else ""
        chart.y_axis.title = _axis_title(f"{zeros}thang logarit")
    change = _bar_chart("Tăng, giảm so với cùng kỳ (%)", True, width, tall - 2)
    change.add_data(Reference(ws, min_col=7, min_row=3, max_row=last), titles_from_data=True)
    change.set_categories(Reference(ws, min_col=3, min_row=4, max_row=last))
    change.x_axis.scaling.orientation = "maxMin"
    change.x_axis.tickLblPos = "low"  # names at the left edge, not at zero under the bars
    _charts_below(ws, [chart, change], last + 1)


# --- Theo huyện ------------------------------------------------------------------------------


def _district_sheet(ws: Worksheet, data: ReviewData) -> None:
    frame = data.districts
    if "unit_level" in frame and (frame["unit_level"] == "commune").any():
        _commune_sheet(ws, data)
        return
    districts = (
        frame[["district_code", "district_name"]]
        .drop_duplicates("district_code")
        .sort_values("district_code")
    )
    indicators = (
        frame[["indicator_code", "indicator_name", "unit", "value_kind", "sort_order"]]
        .drop_duplicates("indicator_code")
        .sort_values("sort_order")
    )
    width = 3 + len(districts)
    _title(ws, 1, f"KẾT QUẢ THEO HUYỆN, THÀNH PHỐ - {data.period_label.upper()}", max(width, 3))
    if frame.empty:
        write_text(ws, 3, 1, "Chưa có số liệu theo huyện, thành phố trong kỳ.")
        return
    values = frame.pivot_table(
        index="indicator_code", columns="district_code", values="value", aggfunc="sum"
    )
    ranks = frame.pivot_table(
        index="indicator_code", columns="district_code", values="rank_in_province", aggfunc="min"
    )
    first = _district_block(ws, 3, "Số liệu", indicators, districts, values, True)
    second = _district_block(
        ws, first + 2, "Thứ hạng trong tỉnh (1 = cao nhất)", indicators, districts, ranks, False
    )
    _widths(ws, {"A": 5, "B": 36, "C": 10})
    for col in range(4, width + 1):
        ws.column_dimensions[get_column_letter(col)].width = 10
    ws.freeze_panes = "D5"
    ws.print_title_rows = "4:4"
    _district_chart(ws, len(indicators), len(districts), second)


def _district_block(ws, top, caption, indicators, districts, table, are_values) -> int:
    """A table of indicators × districts with conditional colours; returns its last row."""
    write_text(ws, top, 1, caption).font = Font(bold=True, italic=True)
    _header(ws, top + 1, ["STT", "Tên chỉ tiêu", "Đơn vị tính", *districts["district_name"]])
    row = top + 1
    last_col = get_column_letter(3 + len(districts))
    for i, ind in enumerate(indicators.itertuples(), start=1):
        row += 1
        _put(ws, row, 1, i)
        _put(ws, row, 2, ind.indicator_name)
        _put(ws, row, 3, ind.unit if are_values else "hạng")
        fmt = _value_format(ind.value_kind) if are_values else "0"
        for j, code in enumerate(districts["district_code"], start=4):
            value = table.at[ind.indicator_code, code] if code in table.columns else None
            _put(ws, row, j, value, fmt)
        ws.conditional_formatting.add(f"D{row}:{last_col}{row}", _district_colors(are_values))
    return row


def _district_colors(are_values: bool) -> Rule:
    """Green for the best district of a row: the highest value, or rank 1."""
    low, high = ("F8696B", "63BE7B") if are_values else ("63BE7B", "F8696B")
    return ColorScaleRule(
        start_type="min",
        start_color=low,
        mid_type="percentile",
        mid_value=50,
        mid_color="FFEB84",
        end_type="max",
        end_color=high,
    )


def _district_chart(ws: Worksheet, n_indicators: int, n_districts: int, last_row: int) -> None:
    """Each district's share of every indicator: comparable though units differ."""
    width = min(_chart_width(ws, 3 + n_districts), 27)
    chart = _bar_chart("Tỷ trọng của các huyện, thành phố trong từng chỉ tiêu", True, width, 14)
    chart.grouping, chart.overlap = "percentStacked", 100
    data = Reference(ws, min_col=4, max_col=3 + n_districts, min_row=4, max_row=4 + n_indicators)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=2, min_row=5, max_row=4 + n_indicators))
    chart.x_axis.scaling.orientation = "maxMin"
    _charts_below(ws, [chart], last_row)


# --- Theo xã, phường (periods from 2025S2: the merged province by commune) ---------------

_COMMUNE_HEADER_ROW = 4  # indicator names; the units under them; both repeat on every page
_GROUP_FILL = PatternFill("solid", fgColor="F2F2F2")
_COMMUNE_PAGE_UNITS = 147  # column width units that print on one A4 width at about 88 %
_DISTRICTS_GROUP = "Huyện, thành phố (đến 30/06/2025)"
COMMUNE_CHART_TITLE = "Tỷ trọng của các huyện cũ trong từng chỉ tiêu"
_COMMUNE_NOTE = (
    "Các xã, phường xếp theo huyện cũ (bản đồ hành chính ngày 30/06/2025); (*): xã, phường "
    "hình thành từ nhiều huyện cũ, xếp vào huyện cũ có nhiều xã cũ nhất. 129 xã, phường là "
    "quá nhiều cho một biểu đồ: biểu đồ cuối trang so sánh các huyện cũ trên địa bàn tỉnh "
    "Ninh Bình trước hợp nhất."
)


def _indicators(frame: pd.DataFrame) -> pd.DataFrame:
    columns = ["indicator_code", "indicator_name", "unit", "value_kind", "sort_order"]
    return frame[columns].drop_duplicates("indicator_code").sort_values("sort_order")


def _commune_sheet(ws: Worksheet, data: ReviewData) -> None:
    """Communes as rows, grouped by former district, indicators as columns: 129 units
    print down the pages at full size where 129 columns could not; then the ranks, then
    the old territory by former district with its chart."""
    frame = data.districts[data.districts["unit_level"].isin(["district", "commune"])]
    indicators = _indicators(frame)
    communes = _unit_groups(frame)
    width = 2 + len(indicators)
    both = (frame["unit_level"] == "district").any()  # a period across 2025-07-01
    by = "HUYỆN, THÀNH PHỐ VÀ XÃ, PHƯỜNG" if both else "XÃ, PHƯỜNG"
    _title(ws, 1, f"KẾT QUẢ THEO {by} - {data.period_label.upper()}", width)
    note = write_text(ws, 2, 1, _COMMUNE_NOTE)
    note.font, note.alignment = Font(italic=True), WRAP_TOP
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    ws.row_dimensions[2].height = line_height(12, 2)
    _commune_header(ws, indicators)
    values = frame.pivot_table(
        index="district_code", columns="indicator_code", values="value", aggfunc="sum"
    )
    ranks = frame.pivot_table(
        index="district_code", columns="indicator_code", values="rank_in_province", aggfunc="min"
    )
    last = _commune_rows(ws, _COMMUNE_HEADER_ROW + 2, indicators, communes, values, True)
    ws.row_breaks.append(Break(id=last))  # the ranks start a page, under the repeated header
    caption = "Thứ hạng trong tỉnh (1 = cao nhất)"
    write_text(ws, last + 1, 2, caption).font = Font(bold=True, italic=True)
    last = _commune_rows(ws, last + 2, indicators, communes, ranks, False)
    ws.row_breaks.append(Break(id=last))
    first, last = _former_district_rows(ws, last + 1, indicators, data.former_districts)
    _widths(ws, {"A": 5, "B": 24})
    # One A4 width at about 88 %: narrower value columns when there are many indicators.
    value_width = min(9.0, max(7.0, (_COMMUNE_PAGE_UNITS - 29) / max(len(indicators), 1)))
    for col in range(3, width + 1):
        ws.column_dimensions[get_column_letter(col)].width = round(value_width, 1)
    ws.freeze_panes = f"C{_COMMUNE_HEADER_ROW + 2}"
    ws.print_title_rows = f"{_COMMUNE_HEADER_ROW}:{_COMMUNE_HEADER_ROW + 1}"
    if last >= first:
        _former_district_chart(ws, len(indicators), first, last)


def _unit_groups(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per unit with the group it prints under: its former district; the
    districts of a period that began before 2025-07-01 come first, as a group of theirs."""
    units = frame.drop_duplicates("district_code").copy()
    commune = units["unit_level"] == "commune"
    former = units["former_district_name"].where(units["former_district_name"].notna(), None)
    units["group"] = [
        (f"Huyện cũ: {name}" if name else "Khác") if is_commune else _DISTRICTS_GROUP
        for name, is_commune in zip(former, commune, strict=True)
    ]
    units["group_order"] = units["former_district_code"].fillna("").where(commune, "")
    units["spans"] = units["spans_former_districts"].fillna(False).astype(bool) & commune
    units["unit_name"] = units["unit_name"].fillna(units["district_name"])
    return units.sort_values(["group_order", "unit_name"])


def _commune_header(ws: Worksheet, indicators: pd.DataFrame) -> None:
    write_text(ws, 3, 1, "Số liệu").font = Font(bold=True, italic=True)
    row = _COMMUNE_HEADER_ROW
    _header(ws, row, ["STT", "Xã, phường", *indicators["indicator_name"]])
    _header(ws, row + 1, ["", "Đơn vị tính", *indicators["unit"]])
    ws.merge_cells(start_row=row, start_column=1, end_row=row + 1, end_column=1)
    for col in range(3, 3 + len(indicators)):  # 10 pt: the repeated header stays short
        ws.cell(row, col).font = Font(bold=True, size=10)


def _commune_rows(ws, row, indicators, communes, table, are_values) -> int:
    """One row per commune under a row naming its former district; returns the last row."""
    start, number = row, 0
    for (_, label), group in communes.groupby(["group_order", "group"], sort=True):
        head = _put(ws, row, 2, label)
        head.font, head.fill = Font(bold=True, italic=True), _GROUP_FILL
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=2 + len(indicators))
        _put(ws, row, 1, None)
        for commune in group.itertuples():
            row, number = row + 1, number + 1
            _put(ws, row, 1, number)
            name = str(commune.unit_name)
            _put(ws, row, 2, f"{name} (*)" if commune.spans else name)
            for col, ind in enumerate(indicators.itertuples(), start=3):
                code = ind.indicator_code
                value = table.at[commune.district_code, code] if code in table.columns else None
                fmt = _value_format(ind.value_kind) if are_values else "0"
                _put(ws, row, col, value, fmt)
        row += 1
    for col in range(3, 3 + len(indicators)):
        letter = get_column_letter(col)
        ws.conditional_formatting.add(
            f"{letter}{start}:{letter}{row - 1}", _district_colors(are_values)
        )
    return row - 1


def _former_district_rows(ws, top, indicators, former) -> tuple[int, int]:
    """The old province's territory, one row per former district, under the same
    indicator columns (so the repeated header fits it); returns its first and last row."""
    caption = write_text(
        ws, top, 2, "Địa bàn tỉnh Ninh Bình trước hợp nhất, theo huyện cũ (bản đồ ngày 30/06/2025)"
    )
    caption.font = Font(bold=True, italic=True)
    if former.empty:
        return top + 1, top
    values = former.pivot_table(
        index="former_district_code", columns="indicator_code", values="value", aggfunc="sum"
    )
    names = former.drop_duplicates("former_district_code").set_index("former_district_code")
    row = top
    for number, code in enumerate(sorted(values.index), start=1):
        row += 1
        _put(ws, row, 1, number)
        _put(ws, row, 2, names.at[code, "former_district_name"])
        for col, ind in enumerate(indicators.itertuples(), start=3):
            code_ = ind.indicator_code
            value = values.at[code, code_] if code_ in values.columns else None
            _put(ws, row, col, value, _value_format(ind.value_kind))
    return top + 1, row


def _former_district_chart(ws: Worksheet, n_indicators: int, first: int, last: int) -> None:
    """Each former district's share of every indicator, on the old territory."""
    width = min(_chart_width(ws, 2 + n_indicators), 27)
    chart = _bar_chart(COMMUNE_CHART_TITLE, True, width, 11)
    chart.grouping, chart.overlap = "percentStacked", 100
    data = Reference(ws, min_col=2, max_col=2 + n_indicators, min_row=first, max_row=last)
    chart.add_data(data, from_rows=True, titles_from_data=True)
    row = _COMMUNE_HEADER_ROW
    chart.set_categories(Reference(ws, min_col=3, max_col=2 + n_indicators, min_row=row))
    chart.x_axis.scaling.orientation = "maxMin"
    _charts_below(ws, [chart], last)


# --- Nhiệm vụ ------------------------------------------------------------------------------


def _agency_task_table(data: ReviewData) -> pd.DataFrame:
    """One row per agency: common and registered tasks, totals and completion rate."""
    tasks = data.agency_tasks
    agencies = pd.concat(
        [data.completeness[["agency_code", "short_name"]], tasks[["agency_code", "short_name"]]]
    ).drop_duplicates("agency_code")
    wide = tasks.pivot_table(
        index="agency_code",
        columns="task_kind",
        values=["tasks_total", "tasks_completed"],
        aggfunc="sum",
    )
    table = agencies.set_index("agency_code")
    for kind in narrative.TASK_KINDS_VI:
        for column in ("tasks_total", "tasks_completed"):
            key = (column, kind)
            table[f"{column}_{kind}"] = wide[key] if key in wide.columns else 0
    table = table.fillna(0)
    table["tasks_total"] = table[[f"tasks_total_{k}" for k in narrative.TASK_KINDS_VI]].sum(axis=1)
    table["tasks_completed"] = table[[f"tasks_completed_{k}" for k in narrative.TASK_KINDS_VI]].sum(
        axis=1
    )
    table["completion_rate"] = table["tasks_completed"] / table["tasks_total"].where(
        table["tasks_total"] > 0
    )
    return table.reset_index()


def _task_sheet(ws: Worksheet, data: ReviewData) -> None:
    _title(ws, 1, f"KẾT QUẢ THỰC HIỆN NHIỆM VỤ - {data.period_label.upper()}", 9)
    _header(
        ws,
        3,
        [
            "STT",
            "Cơ quan",
            "Nhiệm vụ chung",
            "",
            "Nhiệm vụ đăng ký",
            "",
            "Cộng",
            "",
            "Tỷ lệ hoàn thành",
        ],
    )
    _header(ws, 4, ["", "", *["Tổng số", "Hoàn thành"] * 3, ""])
    for first, last in ((1, 1), (2, 2), (9, 9)):
        ws.merge_cells(start_row=3, start_column=first, end_row=4, end_column=last)
    for col in (3, 5, 7):
        ws.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + 1)
    table = _agency_task_table(data)
    columns = (
        "tasks_total_chung",
        "tasks_completed_chung",
        "tasks_total_dang_ky",
        "tasks_completed_dang_ky",
        "tasks_total",
        "tasks_completed",
    )
    row = 4
    for i, r in enumerate(table.itertuples(), start=1):
        row += 1
        _put(ws, row, 1, i)
        _put(ws, row, 2, r.short_name)
        for j, column in enumerate(columns, start=3):
            _put(ws, row, j, int(getattr(r, column)), COUNT_FORMAT)
        _put(ws, row, 9, r.completion_rate, PERCENT_FORMAT)
    last = row
    _task_total_row(ws, last + 1, data.task_summary)
    _widths(ws, {"A": 5, "B": 26, "I": 13, **{c: 11 for c in "CDEFGH"}})
    ws.freeze_panes = "C5"
    ws.print_title_rows = "3:4"
    if last > 4:
        ws.conditional_formatting.add(
            f"I5:I{last}",
            DataBarRule(
                start_type="num", start_value=0, end_type="num", end_value=1, color="63BE7B"
            ),
        )
        _task_chart(ws, last)


def _task_total_row(ws: Worksheet, row: int, summary: pd.DataFrame) -> None:
    """Toàn tỉnh: the province's figures from review_task_summary."""
    by_kind = summary.set_index("task_kind") if not summary.empty else pd.DataFrame()
    _put(ws, row, 2, "Toàn tỉnh").font = Font(bold=True)
    col, total, done = 3, 0, 0
    for kind in narrative.TASK_KINDS_VI:
        kind_total = int(by_kind.at[kind, "tasks_total"]) if kind in by_kind.index else 0
        kind_done = int(by_kind.at[kind, "tasks_completed"]) if kind in by_kind.index else 0
        _put(ws, row, col, kind_total, COUNT_FORMAT).font = Font(bold=True)
        _put(ws, row, col + 1, kind_done, COUNT_FORMAT).font = Font(bold=True)
        col, total, done = col + 2, total + kind_total, done + kind_done
    _put(ws, row, 7, total, COUNT_FORMAT).font = Font(bold=True)
    _put(ws, row, 8, done, COUNT_FORMAT).font = Font(bold=True)
    _put(ws, row, 9, done / total if total else None, PERCENT_FORMAT).font = Font(bold=True)
    _put(ws, row, 1, None)


def _task_chart(ws: Worksheet, last: int) -> None:
    chart = _bar_chart(
        "Nhiệm vụ được giao và đã hoàn thành theo cơ quan", False, _chart_width(ws, 9), 12
    )
    chart.add_data(
        Reference(ws, min_col=7, max_col=8, min_row=4, max_row=last), titles_from_data=True
    )
    chart.set_categories(Reference(ws, min_col=2, min_row=5, max_row=last))
    _charts_below(ws, [chart], last + 1)


# --- Tình hình gửi báo cáo --------------------------------------------------------------------


def _completeness_sheet(ws: Worksheet, data: ReviewData) -> None:
    _title(ws, 1, f"TÌNH HÌNH GỬI BÁO CÁO - {data.period_label.upper()}", 8)
    _header(
        ws,
        3,
        [
            "STT",
            "Mã",
            "Cơ quan",
            "Đã gửi",
            "Được chấp nhận",
            "Đúng hạn",
            "Thời điểm nhận",
            "Hạn gửi",
        ],
    )
    frame = data.completeness
    row = 3
    for i, r in enumerate(frame.itertuples(), start=1):
        row += 1
        _put(ws, row, 1, i)
        _put(ws, row, 2, r.agency_code)
        _put(ws, row, 3, r.agency_name)
        for col, flag in ((4, r.received), (5, r.accepted), (6, r.on_time)):
            _put(ws, row, col, _yes_no(flag)).alignment = CENTER
        received_at = None if pd.isna(r.received_at) else r.received_at
        _put(ws, row, 7, received_at, DATETIME_FORMAT)
        _put(ws, row, 8, None if pd.isna(r.deadline) else r.deadline, DATE_FORMAT)
    if row > 3:
        ws.conditional_formatting.add(
            f"D4:F{row}", CellIsRule(operator="equal", formula=[f'"{_NO}"'], fill=_BAD_FILL)
        )
    for offset, line in enumerate(narrative.completeness_lines(frame), start=2):
        write_text(ws, row + offset, 2, line).font = Font(italic=True)
    _widths(ws, {"A": 5, "B": 9, "C": 42, "D": 9, "E": 13, "F": 9, "G": 17, "H": 12})
    ws.freeze_panes = "D4"
    ws.print_title_rows = "3:3"


# --- Chương trình phối hợp --------------------------------------------------------------------


def _program_sheet(ws: Worksheet, data: ReviewData) -> None:
    _title(ws, 1, "KẾT QUẢ THỰC HIỆN CHƯƠNG TRÌNH PHỐI HỢP (LŨY KẾ TỪ ĐẦU GIAI ĐOẠN)", 4)
    _widths(ws, {"A": 5, "B": 60, "C": 12, "D": 16})
    if data.program.empty:
        write_text(ws, 3, 1, "Không có chương trình phối hợp nào có số liệu đến hết kỳ này.")
        return
    row = 3
    for phase, rows in data.program.groupby("phase_code", sort=True):
        first = rows.iloc[0]
        write_text(ws, row, 1, first.program_name).font = Font(bold=True)
        start = pd.Timestamp(first.start_date).strftime("%d/%m/%Y")
        end = pd.Timestamp(first.end_date).strftime("%d/%m/%Y")
        write_text(
            ws,
            row + 1,
            1,
            f"Giai đoạn {phase} (từ {start} đến {end}); lũy kế đến hết {first.as_of_label}",
        ).font = Font(italic=True)
        _header(ws, row + 2, ["STT", "Tên chỉ tiêu", "Đơn vị tính", "Lũy kế"])
        row += 2
        for i, r in enumerate(rows.sort_values("sort_order").itertuples(), start=1):
            row += 1
            _put(ws, row, 1, i)
            _put(ws, row, 2, r.indicator_name)
            _put(ws, row, 3, r.unit)
            _put(ws, row, 4, r.cumulative_value, _value_format(r.value_kind))
        row += 2
