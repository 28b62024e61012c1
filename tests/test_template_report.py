"""The agency template (round trip through the real reader) and the review workbook."""

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from expectations.validate import validate_batch
from orchestration.cli_workbooks import report, template
from reference.model import ERROR, ReviewData
from reference.text import vn_number
from tests.helpers import sql_rows
from workbooks.reading.reader import read_workbook
from workbooks.reports import narrative
from workbooks.reports.narrative import Figure
from workbooks.reports.review_report import SHEETS, build_review_report
from workbooks.writing.style import FONT_NAME
from workbooks.writing.template import write_template

TODAY = date(2026, 11, 27)
COUNT_FORMAT, MONEY_FORMAT = "#,##0", "#,##0.0"


# --- template -------------------------------------------------------------------------


def _header_row(ws: Worksheet) -> int:
    return next(r for r in range(1, 40) if ws.cell(r, 2).value == "Mã chỉ tiêu")


def _fill(ws: Worksheet) -> dict[str, float]:
    """Put valid numbers in every input cell of the indicator table; return them by cell."""
    filled, header = {}, _header_row(ws)
    for r in range(header + 1, ws.max_row + 1):
        for c in range(5, ws.max_column + 1):
            cell = ws.cell(r, c)
            if cell.protection.locked or cell.number_format not in (COUNT_FORMAT, MONEY_FORMAT):
                continue
            # later rows get larger counts, so that participants >= conferences holds
            value = 2.5 if cell.number_format == MONEY_FORMAT else 10 * r + c
            cell.value = value
            filled[cell.coordinate] = value
    return filled


def test_filled_template_is_accepted_with_the_values_filled(catalog, tmp_path: Path):
    path = write_template(tmp_path / "blank.xlsx", "BCHQS", "2019S1", catalog)
    wb = load_workbook(path)
    filled = _fill(wb["Chỉ tiêu"])
    tasks = wb["Nhiệm vụ"]
    lead_choices = next(dv for dv in tasks.data_validations.dataValidation if "E2" in dv.sqref)
    choice = lead_choices.formula1.strip('"').split(",")[6]  # what the clerk picks: HND
    for col, value in enumerate(("Phối hợp tập huấn", "Đăng ký", "Hoàn thành", choice), 2):
        tasks.cell(2, col, value)
    wb.save(tmp_path / "filled.xlsx")  # openpyxl keeps the SUM formulas without cached values

    parsed = read_workbook(tmp_path / "filled.xlsx", catalog, TODAY)
    problems = parsed.problems + validate_batch([parsed], catalog)[0]
    assert [p for p in problems if p.severity == ERROR] == []
    assert (parsed.agency_code, parsed.period_code) == ("BCHQS", "2019S1")
    assert [t[7] for t in parsed.tasks] == ["HND"]  # the drop-down's name is a member agency
    parts = {v.cell: v.value for v in parsed.values if v.role != "total"}
    assert parts == filled
    codes = {v.indicator_code for v in parsed.values}
    assert codes == set(catalog.expected_indicators["BCHQS"])
    for row in {v.row for v in parsed.values}:
        total = next(v.value for v in parsed.values if v.row == row and v.role == "total")
        assert total == pytest.approx(
            sum(v.value for v in parsed.values if v.row == row and v.role != "total")
        )


def test_template_guards_its_cells_and_prints_well(catalog, tmp_path: Path):
    wb = load_workbook(write_template(tmp_path / "t.xlsx", "BCHQS", "2019S1", catalog))
    assert wb.sheetnames == ["Hướng dẫn", "Chỉ tiêu", "Nhiệm vụ"]
    ws = wb["Chỉ tiêu"]
    header = _header_row(ws)
    first = header + 2  # a section heading precedes the first indicator
    assert ws.cell(first, 2).value == "TT_HOI_NGHI"
    value_cell, total_cell = ws.cell(first, 5), ws.cell(first, ws.max_column - 1)
    assert str(total_cell.value).startswith("=SUM(E")
    assert not value_cell.protection.locked
    assert ws.cell(header, 5).protection.locked and total_cell.protection.locked
    assert ws.protection.sheet

    kinds = {dv.type: dv for dv in ws.data_validations.dataValidation}
    assert {"whole", "decimal", "date"} <= set(kinds)
    assert value_cell.coordinate in kinds["whole"].sqref
    assert kinds["whole"].operator == "greaterThanOrEqual" and kinds["whole"].formula1 == "0"
    assert kinds["whole"].showInputMessage and "số nguyên" in kinds["whole"].prompt
    assert kinds["whole"].showErrorMessage and kinds["whole"].error
    money_row = next(
        r for r in range(first, ws.max_row) if ws.cell(r, 2).value == "ASXH_QUA_GIA_TRI"
    )
    assert f"E{money_row}" in kinds["decimal"].sqref

    assert (
        ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
    )
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == f"${header}:${header}"
    assert ws["C6"].value == "Bộ Chỉ huy Quân sự tỉnh" and ws["C7"].value == "6 tháng đầu năm 2019"
    fonts = {c.font.name for row in ws.iter_rows() for c in row if c.value is not None}
    assert fonts == {FONT_NAME}

    tasks = wb["Nhiệm vụ"]
    lists = [dv for dv in tasks.data_validations.dataValidation if dv.type == "list"]
    formulas = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in lists}
    leads = formulas.pop("E2").strip('"').split(",")  # Đơn vị chủ trì: member agencies only
    assert formulas == {"C2": '"Chung,Đăng ký"', "D2": '"Hoàn thành,Đang thực hiện,Chưa thực hiện"'}
    assert len(leads) == len(catalog.agencies) and "Hội Nông dân" in leads
    assert all(catalog.match_agency(name, date(2019, 6, 30)) for name in leads)
    guide = " ".join(str(c.value) for c in wb["Hướng dẫn"]["A"] if c.value)
    assert "phải là một cơ quan thành viên" in guide and "Sở Nông nghiệp" in guide
    assert tasks.cell(2, 2).value is None and not tasks.cell(10, 2).protection.locked


def test_template_after_the_2025_merger_has_seven_districts(catalog, tmp_path: Path):
    ws = load_workbook(write_template(tmp_path / "t.xlsx", "BDV", "2025S1", catalog))["Chỉ tiêu"]
    header = [c.value for c in ws[_header_row(ws)]]
    districts = header[header.index("Đơn vị tính") + 1 : header.index("Cấp tỉnh")]
    assert len(districts) == 7
    assert "Hoa Lư" in districts and "Ninh Bình" not in districts


def test_template_command_and_unknown_codes(tmp_path: Path):
    out = tmp_path / "t.xlsx"
    ok = CliRunner().invoke(template, ["--agency", "bchqs", "--period", "2019S1", "-o", str(out)])
    assert ok.exit_code == 0, ok.output
    assert out.exists()
    for agency, period, words in (
        ("XYZ", "2019S1", "unknown agency"),
        ("BCHQS", "2019S3", "unknown period"),
    ):
        result = CliRunner().invoke(
            template, ["--agency", agency, "--period", period, "-o", str(tmp_path / "x.xlsx")]
        )
        assert result.exit_code == 2 and words in result.output  # a usage error
    assert "Example:" in CliRunner().invoke(template, ["--help"]).output


# --- review report --------------------------------------------------------------------


def test_review_report_of_the_sample(demo_home: Path, tmp_path: Path):
    out = tmp_path / "report.xlsx"
    result = CliRunner().invoke(
        report, ["--period", "2019S1", "-o", str(out)], env={"CHITIEU_HOME": str(demo_home)}
    )
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    assert wb.sheetnames == list(SHEETS)
    for name in ("Tổng hợp", "Theo huyện", "Nhiệm vụ"):
        assert wb[name]._charts, name
    assert wb["Theo huyện"].conditional_formatting
    text = "\n".join(str(c.value) for c in wb["Dự thảo báo cáo"]["A"] if c.value)
    for words in (
        "163 hội nghị",
        "gần 45.000 lượt người",
        "20.115 suất quà",
        "trên 5.100 triệu đồng",
        "6/9",
        "24/37",
    ):
        assert words in text
    summary = wb["Tổng hợp"]
    row = next(r for r in summary.iter_rows(min_row=4) if r[1].value == "TT_LUOT_NGUOI")
    assert (row[4].value, row[5].value, row[4].number_format) == (44870, 44200, COUNT_FORMAT)
    assert summary["A1"].font.name == FONT_NAME


def test_report_command_errors(demo_home: Path, tmp_path: Path):
    env = {"CHITIEU_HOME": str(demo_home)}
    out = str(tmp_path / "r.xlsx")
    for period, words, code in (("2030S1", "no figures", 1), ("next year", "not a period", 2)):
        result = CliRunner().invoke(report, ["--period", period, "-o", out], env=env)
        assert result.exit_code == code and words in result.output
    missing = CliRunner().invoke(
        report, ["--period", "2019S1", "-o", out], env={"CHITIEU_HOME": str(tmp_path / "none")}
    )
    assert missing.exit_code == 1 and "no warehouse" in missing.output
    assert "Example:" in CliRunner().invoke(report, ["--help"]).output


def test_review_report_without_any_figures_still_builds():
    empty = {
        "totals": [
            "indicator_code",
            "indicator_name",
            "unit",
            "value_kind",
            "indicator_group",
            "sort_order",
            "total_value",
            "same_period_last_year_value",
            "change_pct",
        ],
        "districts": [
            "district_code",
            "district_name",
            "indicator_code",
            "indicator_name",
            "unit",
            "value_kind",
            "sort_order",
            "value",
            "rank_in_province",
        ],
        "agency_tasks": [
            "agency_code",
            "agency_name",
            "short_name",
            "task_kind",
            "tasks_total",
            "tasks_completed",
            "completion_rate",
        ],
        "task_summary": ["task_kind", "tasks_total", "tasks_completed", "completion_rate"],
        "completeness": [
            "agency_code",
            "agency_name",
            "short_name",
            "received",
            "accepted",
            "on_time",
            "received_at",
            "deadline",
        ],
        "program": [
            "phase_code",
            "program_name",
            "start_date",
            "end_date",
            "as_of_period_code",
            "as_of_label",
            "indicator_code",
            "indicator_name",
            "unit",
            "value_kind",
            "indicator_group",
            "sort_order",
            "cumulative_value",
        ],
    }
    frames = {name: pd.DataFrame(columns=cols) for name, cols in empty.items()}
    wb = build_review_report(ReviewData("2019S1", "6 tháng đầu năm 2019", **frames))
    assert wb.sheetnames == list(SHEETS)


# --- narrative words --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (44_870, "gần 45.000"),
        (5_148.6, "trên 5.100"),
        (7_236.5, "trên 7.200"),
        (62_000, "62.000"),
        (45_000, "45.000"),
        (9_960, "gần 10.000"),
        (163, "trên 160"),
        (12, "12"),
        (5.25, "5,3"),
        (1_234_567, "trên 1.200.000"),
    ],
)
def test_round_words(value, words):
    assert narrative.round_words(value) == words


def test_money_and_exact_counts():
    assert narrative.money_words(5_148.6) == "trên 5.100 triệu đồng"
    assert narrative.money_words(7_236.5) == "trên 7.200 triệu đồng"
    assert narrative.money_words(12_345) == "trên 12 tỷ đồng"
    assert narrative.money_words(7_236.5, approximate=False) == "7.236,5 triệu đồng"
    assert narrative.amount_words(163, "hội nghị", "count") == "163"
    assert narrative.amount_words(20_115, "suất", "count") == "20.115"
    assert narrative.amount_words(44_870, "lượt người", "count") == "gần 45.000"
    assert vn_number(1_234_567.25, 1) == "1.234.567,3"  # half up, not half to even
    assert vn_number(7_150.5) == "7.150,5" and vn_number(45_000) == "45.000"
    assert vn_number(0.125, 2) == "0,13" and vn_number(None, 2) == "(trống)"
    assert vn_number(1e20) == "100.000.000.000.000.000.000"  # beyond 28 digits with decimals


def test_change_and_task_words():
    assert narrative.change_words(1.5) == "tăng 1,5%"
    assert narrative.change_words(-0.4) == "giảm 0,4%"
    assert narrative.change_words(0.0) == "bằng cùng kỳ"
    assert narrative.change_words(None) == ""
    summary = pd.DataFrame(
        {"task_kind": ["chung", "dang_ky"], "tasks_total": [9, 37], "tasks_completed": [6, 24]}
    )
    line = narrative.task_line(summary)
    assert "hoàn thành 6/9 nhiệm vụ chung, 24/37 nhiệm vụ đăng ký" in line
    assert "16 nhiệm vụ còn lại" in line


def test_phrases_pair_a_count_with_its_participants_and_value():
    figures = [
        Figure("Hội nghị tuyên truyền", "hội nghị", "count", "Tuyên truyền", 163),
        Figure("Lượt người dự hội nghị", "lượt người", "count", "Tuyên truyền", 44_870),
        Figure("Suất quà tặng hộ nghèo", "suất", "count", "An sinh", 20_115),
        Figure("Giá trị quà tặng", "triệu đồng", "money", "An sinh", 5_148.6),
        Figure("Thanh niên nhập ngũ", "người", "count", "Quốc phòng", 0),
    ]
    assert narrative.indicator_phrases(figures) == [
        "tổ chức 163 hội nghị tuyên truyền cho gần 45.000 lượt người",
        "trao tặng 20.115 suất quà tặng hộ nghèo, trị giá trên 5.100 triệu đồng",
    ]
    lines = narrative.group_lines(figures)
    assert lines[0].startswith("- Tuyên truyền: tổ chức 163") and len(lines) == 2


# --- how the review workbook prints (issue 13; tests/test_rendering.py prints it) ------


def test_charts_sit_below_their_tables_each_after_a_page_break(demo_home: Path, tmp_path: Path):
    out = tmp_path / "r.xlsx"
    result = CliRunner().invoke(
        report, ["--period", "2019S1", "-o", str(out)], env={"CHITIEU_HOME": str(demo_home)}
    )
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    for name in ("Tổng hợp", "Theo huyện", "Nhiệm vụ"):
        ws = wb[name]
        table_end = max(c.row for row in ws.iter_rows() for c in row if c.value is not None)
        breaks = {b.id for b in ws.row_breaks.brk}
        for chart in ws._charts:
            anchor = chart.anchor._from
            assert anchor.col == 0 and anchor.row > table_end - 1, name  # zero-based row
            assert any(anchor.row - 2 <= b < anchor.row for b in breaks), name
    summary = wb["Tổng hợp"]
    log_chart, change = summary._charts
    values = [c.value for c in summary["E"][3:] + summary["F"][3:] if isinstance(c.value, int)]
    assert log_chart.y_axis.scaling.logBase == 10
    assert log_chart.y_axis.scaling.min < min(values)  # a value of 1 gets a visible bar
    title_run = log_chart.y_axis.title.tx.rich.p[0].r[0]
    assert title_run.t == "thang logarit" and title_run.rPr.latin.typeface == FONT_NAME
    assert change.x_axis.tickLblPos == "low"  # names at the left, not under negative bars


def test_a_draft_heading_never_ends_a_page(tmp_path: Path):
    from openpyxl import Workbook

    from workbooks.reports.review_report import _draft_sheet

    one_line = "Kết quả thực hiện trong kỳ."
    for filler, broken in ((24, True), (10, False)):  # 24: the heading fits, its text not
        paragraphs = [narrative.Paragraph(narrative.BODY, one_line)] * filler + [
            narrative.Paragraph(narrative.HEADING, "II. KẾT QUẢ THỰC HIỆN NHIỆM VỤ"),
            narrative.Paragraph(narrative.BODY, one_line),
        ]
        ws = Workbook().active
        _draft_sheet(ws, paragraphs)
        heading_row = filler + 1
        breaks = {b.id for b in ws.row_breaks.brk}
        assert (heading_row - 1 in breaks) is broken  # zero-based: the page starts there
        assert ws.row_dimensions[1].height < 25  # one line of 13 pt, no gap


@pytest.mark.parametrize(
    ("period", "label"),
    [("2019S1", "6 tháng đầu năm 2018"), ("2019", "Năm 2018"), ("2016-2021", None)],
)
def test_the_narrative_compares_with_the_periods_the_review_tables_use(demo_home, period, label):
    """One rule for "cùng kỳ": the narrative's label names dim_period's comparison period."""
    assert narrative.last_year_label(period) == label
    [row] = sql_rows(
        demo_home,
        f"select same_period_last_year_code as code from dim_period where period_code = '{period}'",
    )
    assert (narrative.last_year_label(period) is None) == (row["code"] is None)
