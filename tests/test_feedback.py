"""The feedback workbook: the clerk's own file, marked, behind a list of every problem."""

import os
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from openpyxl.xml.constants import XLSM, XLSX

from reference import load_catalog
from reference.model import ERROR, WARNING, Problem
from tests.factories import GIA_VIEN, KIM_SON, indicator_row, make_submission
from workbooks.reading.reader import read_workbook
from workbooks.writing.feedback import (
    AUTHOR,
    ERROR_RGB,
    RESULT_SHEET,
    WARNING_RGB,
    write_feedback,
)
from workbooks.writing.safe_cells import write_text, write_value
from workbooks.writing.style import line_height

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
TODAY = date(2026, 11, 27)
HEADER_ROW = 11  # the problem table's header row on the result sheet
AGENCY, PERIOD = "Bộ Chỉ huy Quân sự tỉnh", "6 tháng đầu năm 2019"


def _bad_submission(path: Path) -> Path:
    """Gia Viễn's conference count is "abc"; everything else is clean."""
    rows = [
        indicator_row("TT_HOI_NGHI", {GIA_VIEN: "abc", KIM_SON: 2}),
        indicator_row("TT_LUOT_NGUOI", {GIA_VIEN: 250, KIM_SON: 180}),
        indicator_row("ASXH_QUA", {GIA_VIEN: 40, KIM_SON: 25}),
        indicator_row("ASXH_QUA_GIA_TRI", {GIA_VIEN: 20, KIM_SON: 12.5}),
    ]
    return make_submission(path, rows=rows)


def _real_problems(path: Path) -> list[Problem]:
    from expectations.validate import validate_batch

    catalog = load_catalog()
    parsed = read_workbook(path, catalog, TODAY)
    return validate_batch([parsed], catalog)[0]


def _cell_of(path: Path, sheet: str, value: object) -> str:
    """The address of the first cell in ``sheet`` holding ``value``."""
    ws = openpyxl.load_workbook(path)[sheet]
    return next(c.coordinate for row in ws.iter_rows() for c in row if c.value == value)


def _problem_rows(ws) -> list[tuple]:
    rows = ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)
    return [r for r in rows if r[0] is not None]


def _label(ws, label: str) -> object:
    for r in range(1, HEADER_ROW):
        if ws.cell(r, 1).value == f"{label}:":
            return ws.cell(r, 4).value
    raise AssertionError(f"no {label} on the result sheet")


@pytest.fixture(scope="module")
def marked(tmp_path_factory):
    """A rejected submission with a real error and a warning on a real cell."""
    folder = tmp_path_factory.mktemp("feedback")
    source = _bad_submission(folder / "bqs.xlsx")
    problems = _real_problems(source)
    gift_cell = _cell_of(source, "Chỉ tiêu", 12.5)
    warning = Problem(
        WARNING, "outlier", "Giá trị khác thường so với các kỳ trước; hãy kiểm tra lại.",
        "Chỉ tiêu", gift_cell, "ASXH_QUA_GIA_TRI", KIM_SON,
    )  # fmt: skip
    problems.append(warning)
    out = write_feedback(
        source, folder / "out.xlsx", "bqs.xlsx", "rejected", problems, AGENCY, PERIOD
    )
    return source, problems, out, gift_cell


def test_result_sheet_comes_first_with_verdict_and_counts(marked):
    _, problems, out, _ = marked
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == RESULT_SHEET
    ws = book[RESULT_SHEET]
    assert _label(ws, "Tệp") == "bqs.xlsx"
    assert _label(ws, "Đơn vị báo cáo") == AGENCY
    assert _label(ws, "Kỳ báo cáo") == PERIOD
    assert _label(ws, "Kết quả") == "Bị từ chối — cần sửa và gửi lại"
    assert _label(ws, "Số lỗi") == sum(p.severity == ERROR for p in problems) == 1
    assert _label(ws, "Số cảnh báo") == sum(p.severity == WARNING for p in problems)
    header = [c.value for c in ws[HEADER_ROW]]
    assert header == ["STT", "Mức độ", "Quy tắc", "Sheet", "Ô", "Chỉ tiêu", "Huyện", "Nội dung"]
    assert ws.cell(HEADER_ROW, 1).font.b and ws.cell(HEADER_ROW, 1).font.name == "Times New Roman"
    assert ws.column_dimensions["H"].width >= 40  # the message column is the widest
    assert ws.column_dimensions["H"].width == max(d.width for d in ws.column_dimensions.values())


DISTRICT_NAMES = {d.code: d.name for d in load_catalog().districts}


def test_every_problem_is_listed_with_rule_and_message(marked):
    _, problems, out, _ = marked
    rows = _problem_rows(openpyxl.load_workbook(out)[RESULT_SHEET])
    assert len(rows) == len(problems)
    assert [r[0] for r in rows] == list(range(1, len(problems) + 1))
    listed = {(r[1], r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows}
    for p in problems:
        severity = "Lỗi" if p.severity == ERROR else "Cảnh báo"
        district = DISTRICT_NAMES.get(p.district_code, p.district_code)  # "Gia Viễn", not "373"
        row = (severity, p.rule, p.sheet, p.cell, p.indicator_code, district, p.message)
        assert row in listed
    assert rows[0][2] == "not_a_number"  # errors first


def test_error_cell_is_red_with_comment_and_link(marked):
    _, problems, out, _ = marked
    error = next(p for p in problems if p.rule == "not_a_number")
    book = openpyxl.load_workbook(out)
    cell = book[error.sheet][error.cell]
    assert cell.value == "abc"
    assert cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb == ERROR_RGB
    assert cell.comment.author == AUTHOR
    assert error.message in cell.comment.text
    ws = book[RESULT_SHEET]
    link = next(r[4] for r in ws.iter_rows(min_row=HEADER_ROW + 1) if r[2].value == error.rule)
    assert link.value == error.cell
    assert link.hyperlink.location == f"'Chỉ tiêu'!{error.cell}"


def test_warning_cell_is_yellow(marked):
    _, _, out, gift_cell = marked
    cell = openpyxl.load_workbook(out)["Chỉ tiêu"][gift_cell]
    assert cell.fill.fgColor.rgb == WARNING_RGB
    assert "Cảnh báo" in cell.comment.text and "khác thường" in cell.comment.text


def test_problems_without_cell_are_listed_without_link(marked):
    _, problems, out, _ = marked
    assert any(p.cell is None for p in problems)  # missing_indicator warnings
    ws = openpyxl.load_workbook(out)[RESULT_SHEET]
    for row in ws.iter_rows(min_row=HEADER_ROW + 1):
        if row[0].value is not None and row[4].value is None:
            assert row[4].hyperlink is None


def test_agency_sheet_keeps_its_values(marked):
    source, _, out, _ = marked
    before = openpyxl.load_workbook(source)["Chỉ tiêu"]
    after = openpyxl.load_workbook(out)["Chỉ tiêu"]
    assert list(before.iter_rows(values_only=True)) == list(after.iter_rows(values_only=True))
    assert before.merged_cells.ranges == after.merged_cells.ranges
    assert before.column_dimensions["C"].width == after.column_dimensions["C"].width


def test_fixed_feedback_workbook_can_be_sent_again(marked, tmp_path):
    """The clerk fixes the red cell in the feedback file and sends that file back."""
    source, problems, out, _ = marked
    error = next(p for p in problems if p.rule == "not_a_number")
    book = openpyxl.load_workbook(out)
    book[error.sheet][error.cell] = 3
    fixed = tmp_path / "bqs_sua.xlsx"
    book.save(fixed)
    assert not read_workbook(fixed, load_catalog(), TODAY).has_errors
    again = write_feedback(
        fixed, tmp_path / "again.xlsx", "bqs_sua.xlsx", "accepted", [], AGENCY, PERIOD
    )
    book = openpyxl.load_workbook(again)
    assert book.sheetnames.count(RESULT_SHEET) == 1
    assert _label(book[RESULT_SHEET], "Kết quả") == "Được chấp nhận"
    cell = book[error.sheet][error.cell]
    assert cell.comment is None and cell.fill.fgColor.rgb != ERROR_RGB  # old marks removed


def test_unreadable_source_still_gets_the_list(tmp_path):
    garbage = tmp_path / "hong.xlsx"
    garbage.write_bytes(b"PK\x03\x04 this is not a workbook \x00\xff" * 50)
    problem = Problem(ERROR, "unreadable_file", "Tệp không phải là bảng tính Excel (.xlsx).")
    for source in (garbage, None, tmp_path / "absent.xlsx"):
        out = write_feedback(
            source, tmp_path / "fb.xlsx", "hong.xlsx", "rejected", [problem], None, None
        )
        book = openpyxl.load_workbook(out)
        assert book.sheetnames == [RESULT_SHEET]
        ws = book[RESULT_SHEET]
        assert _label(ws, "Đơn vị báo cáo") == "(không xác định được)"
        assert "Không thể đánh dấu" in _label(ws, "Ghi chú")
        rows = _problem_rows(ws)
        assert rows == [(1, "Lỗi", "unreadable_file", None, None, None, None, problem.message)]


def test_xls_source_gets_the_list_alone(tmp_path):
    xls = tmp_path / "cu.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    problem = Problem(ERROR, "not_a_number", "Ô E9 không phải là số.", "Sheet1", "E9")
    out = write_feedback(xls, tmp_path / "cu.xls", "cu.xls", "rejected", [problem], AGENCY, PERIOD)
    assert out.name == "cu.xlsx"
    ws = openpyxl.load_workbook(out)[RESULT_SHEET]
    assert ".xlsx" in _label(ws, "Ghi chú")
    assert ws.cell(HEADER_ROW + 1, 5).value == "E9" and ws.cell(HEADER_ROW + 1, 5).hyperlink is None


def test_missing_sheet_or_cell_is_listed_without_link(tmp_path):
    source = make_submission(tmp_path / "s.xlsx")
    problems = [
        Problem(ERROR, "missing_column", "Thiếu cột.", "Không có", "E5"),
        Problem(ERROR, "not_a_number", "Ô ngoài bảng.", "Chỉ tiêu", "ZZ9999"),
        Problem(ERROR, "not_a_number", "Địa chỉ hỏng.", "Chỉ tiêu", "5E"),
        Problem(WARNING, "late_submission", "Gửi muộn."),
    ]
    out = write_feedback(source, tmp_path / "fb.xlsx", "s.xlsx", "rejected", problems, None, None)
    ws = openpyxl.load_workbook(out)[RESULT_SHEET]
    rows = list(ws.iter_rows(min_row=HEADER_ROW + 1, max_row=HEADER_ROW + len(problems)))
    assert [r[7].value for r in rows] == [p.message for p in problems]
    assert all(r[4].hyperlink is None for r in rows)


def test_several_problems_on_one_cell_share_one_comment(tmp_path):
    source = make_submission(tmp_path / "s.xlsx")
    cell = _cell_of(source, "Chỉ tiêu", 250)
    problems = [
        Problem(WARNING, "outlier", "Cao bất thường.", "Chỉ tiêu", cell),
        Problem(ERROR, "validation_rule", "Nhỏ hơn số hội nghị.", "Chỉ tiêu", cell),
    ]
    out = write_feedback(source, tmp_path / "fb.xlsx", "s.xlsx", "rejected", problems, None, None)
    marked = openpyxl.load_workbook(out)["Chỉ tiêu"][cell]
    assert marked.fill.fgColor.rgb == ERROR_RGB  # an error outranks a warning
    assert "Cao bất thường." in marked.comment.text
    assert "Nhỏ hơn số hội nghị." in marked.comment.text


def test_formula_like_text_is_written_as_text(tmp_path):
    source = make_submission(tmp_path / "s.xlsx")
    evil = '=HYPERLINK("http://example.com","Bấm vào đây")'
    problems = [
        Problem(ERROR, "not_a_number", evil, "Chỉ tiêu", "Z1", "=1+1", "+373"),
        Problem(ERROR, "unknown_indicator", "@SUM(A1)", None, "-A1", "#N/A"),
    ]
    out = write_feedback(
        source, tmp_path / "fb.xlsx", "=evil.xlsx", "rejected", problems, "-x", "@y"
    )
    ws = openpyxl.load_workbook(out)[RESULT_SHEET]
    texts = [evil, "=1+1", "+373", "@SUM(A1)", "-A1", "#N/A", "=evil.xlsx", "-x", "@y"]
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.value in texts}
    assert set(cells) == set(texts)
    assert all(c.data_type == "s" for c in cells.values())
    with zipfile.ZipFile(out) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")


def test_safe_cells_round_trip(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    texts = ["=1+1", "+1", "-1", "@A1", "#DIV/0!", "\tx", "bình thường", "a\x01b"]
    for r, text in enumerate(texts, start=1):
        write_text(ws, r, 1, text)
    write_value(ws, 1, 2, 42)
    write_value(ws, 2, 2, float("nan"))
    write_value(ws, 3, 2, "=2+2")
    assert ws["A1"].quotePrefix
    book.save(tmp_path / "t.xlsx")
    back = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    assert [back.cell(r, 1).value for r in range(1, 9)] == [*texts[:-1], "ab"]
    assert all(back.cell(r, 1).data_type == "s" for r in range(1, 9))
    assert back["B1"].value == 42 and back["B2"].value is None
    assert back["B3"].value == "=2+2" and back["B3"].data_type == "s"


def test_macro_workbook_comes_back_as_plain_xlsx(tmp_path):
    plain = make_submission(tmp_path / "s.xlsx")
    xlsm = tmp_path / "macro.xlsm"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(xlsm, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(XLSX.encode(), XLSM.encode())
            dst.writestr(info, data)
        dst.writestr("xl/vbaProject.bin", b'Attribute VB_Name = "Module1"' * 20)
    cell = _cell_of(plain, "Chỉ tiêu", 250)
    problem = Problem(ERROR, "validation_rule", "Sai.", "Chỉ tiêu", cell)
    out = write_feedback(
        xlsm, tmp_path / "macro.xlsm", "macro.xlsm", "rejected", [problem], None, None
    )
    assert out == tmp_path / "macro.xlsx" and out.exists()
    with zipfile.ZipFile(out) as archive:
        assert not any("vba" in name.lower() for name in archive.namelist())
        assert b"macroEnabled" not in archive.read("[Content_Types].xml")
    assert openpyxl.load_workbook(out)["Chỉ tiêu"][cell].comment.text.endswith("Sai.")


def test_the_result_and_the_clerks_sheets_print_on_a4_one_page_wide(marked):
    _, problems, out, _ = marked
    book = openpyxl.load_workbook(out)
    for ws in book.worksheets:
        assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4, ws.title  # not Letter
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
        assert ws.sheet_properties.pageSetUpPr.fitToPage
    ws = book[RESULT_SHEET]
    note = next(r for r in range(1, HEADER_ROW) if ws.cell(r, 1).value == "Ghi chú:")
    assert ws.cell(note, 1).alignment.vertical == ws.cell(note, 4).alignment.vertical == "top"
    short = next(
        r for r in range(HEADER_ROW + 1, ws.max_row + 1) if ws.cell(r, 3).value == "outlier"
    )
    assert ws.row_dimensions[short].height <= line_height(12, 2)  # a 58-character message


def test_an_accepted_file_with_warnings_only_is_not_asked_to_be_sent_again(tmp_path):
    source = make_submission(tmp_path / "ok.xlsx")
    late = Problem(WARNING, "late_submission", "Báo cáo gửi sau hạn.", None, None, None, None)
    kept = write_feedback(
        source, tmp_path / "fb.xlsx", "ok.xlsx", "accepted", [late], AGENCY, PERIOD
    )
    note = str(_label(openpyxl.load_workbook(kept)[RESULT_SHEET], "Ghi chú"))
    assert "không cần gửi lại" in note and "gửi lại tệp" not in note
    rejected = write_feedback(
        source, tmp_path / "fb2.xlsx", "ok.xlsx", "rejected", [late], AGENCY, PERIOD
    )
    assert "gửi lại tệp" in str(_label(openpyxl.load_workbook(rejected)[RESULT_SHEET], "Ghi chú"))
