"""The feedback workbook's fast path (XML patched into the source) against openpyxl's.

Both paths write the same feedback for the same real workbooks; what a clerk sees after
opening either is compared: sheets, values, fills, comments, merges, links, print setup
and defined names. Sources the fast path does not handle fall back to openpyxl.
"""

import os
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.xml.constants import XLSM, XLSX

from reference.model import ERROR, WARNING, Problem
from tests.factories import make_submission
from tests.helpers import patch_zip, require_libreoffice
from workbooks.writing import feedback
from workbooks.writing.feedback import ERROR_RGB, RESULT_SHEET, WARNING_RGB, write_feedback
from workbooks.writing.writer import workbook_bytes

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
SHEET = "Chỉ tiêu"


def _value_cells(path: Path, sheet: str) -> list[str]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [c.coordinate for row in ws.iter_rows() for c in row if isinstance(c.value, int)]


def _problems(path: Path, sheet: str = SHEET) -> list[Problem]:
    """A few problems as validation makes them: on cells, on one cell twice, on none."""
    cells = _value_cells(path, sheet)
    ws = openpyxl.load_workbook(path)[sheet]
    return [
        Problem(WARNING, "outlier", "Khác thường so với kỳ trước.", sheet, cells[-1]),
        Problem(ERROR, "validation_rule", "Nhỏ hơn số hội nghị.", sheet, cells[0]),
        Problem(WARNING, "outlier", "Cao bất thường.", sheet, cells[0]),
        Problem(WARNING, "missing_indicator", "Thiếu chỉ tiêu ASXH_QUA."),
        Problem(WARNING, "outlier", "Ô trống trong bảng.", sheet, f"B{ws.max_row - 1}"),
        Problem(ERROR, "missing_column", "Ô ngoài bảng.", sheet, "ZZ9999"),
        Problem(ERROR, "not_a_number", "Tiêu đề gộp.", sheet, "B1"),
    ]


def _both(source: Path, tmp_path: Path, problems: list[Problem], monkeypatch) -> tuple:
    """The feedback written by the fast path and by openpyxl; asserts the fast path ran."""
    before = feedback.PATHS["fast"]
    fast = write_feedback(source, tmp_path / "fast.xlsx", "s.xlsx", "rejected", problems, "A", "B")
    assert feedback.PATHS["fast"] == before + 1, "the fast path fell back"
    monkeypatch.setattr(feedback, "_FAST", False)
    slow = write_feedback(source, tmp_path / "slow.xlsx", "s.xlsx", "rejected", problems, "A", "B")
    monkeypatch.setattr(feedback, "_FAST", True)
    return fast, slow


def _linked(ws) -> list:
    return [c for c in ws._cells.values() if c.hyperlink]


def _seen(path: Path) -> dict:
    """Everything a clerk sees of the feedback workbook, as comparable values."""
    book = openpyxl.load_workbook(path)
    sheets = {}
    for ws in book.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                fill = c.fill.fgColor.rgb if c.fill.fill_type == "solid" else None
                comment = (c.comment.author, c.comment.text) if c.comment else None
                cells[c.coordinate] = (c.value, fill, comment)
        setup = ws.page_setup
        sheets[ws.title] = {
            "cells": cells,
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "links": {
                c.coordinate: c.hyperlink.location for c in ws._cells.values() if c.hyperlink
            },
            "print": (setup.orientation, str(setup.paperSize), setup.fitToWidth, setup.fitToHeight),
            "fit": ws.sheet_properties.pageSetUpPr.fitToPage,
            "titles": (ws.print_title_rows, ws.print_area, ws.auto_filter.ref),
            "names": sorted((n, d.attr_text) for n, d in ws.defined_names.items()),
            "selected": bool(ws.sheet_view.tabSelected),
            "widths": {k: d.width for k, d in ws.column_dimensions.items() if d.width},
        }
    names = sorted((n, d.attr_text) for n, d in book.defined_names.items())
    return {"order": book.sheetnames, "active": book.active.title, "sheets": sheets, "names": names}


def _same(fast: Path, slow: Path) -> dict:
    seen = _seen(fast)
    assert seen == _seen(slow)
    assert seen["order"][0] == RESULT_SHEET
    return seen


def test_district_layout_same_as_openpyxl(tmp_path, monkeypatch):
    source = make_submission(tmp_path / "s.xlsx")
    problems = _problems(source)
    seen = _same(*_both(source, tmp_path, problems, monkeypatch))
    cells = seen["sheets"][SHEET]["cells"]
    assert cells[problems[1].cell][1] == ERROR_RGB  # the error outranks the warning
    assert "Cao bất thường." in cells[problems[1].cell][2][1]
    assert cells[problems[0].cell][1] == WARNING_RGB
    links = seen["sheets"][RESULT_SHEET]["links"]
    assert f"'{SHEET}'!{problems[0].cell}" in links.values()


def test_merged_title_rows_and_second_header_row(tmp_path, monkeypatch):
    source = make_submission(
        tmp_path / "s.xlsx", title_rows=True, two_row_header=True, footer_place="Ninh Bình"
    )
    assert openpyxl.load_workbook(source)[SHEET].merged_cells.ranges  # a merged header
    _same(*_both(source, tmp_path, _problems(source), monkeypatch))


def test_long_commune_layout(tmp_path, monkeypatch):
    source = make_submission(tmp_path / "s.xlsx", period="2026S1", long_layout=True)
    _same(*_both(source, tmp_path, _problems(source), monkeypatch))


def test_several_sheets_print_area_and_defined_names(tmp_path, monkeypatch):
    plain = make_submission(tmp_path / "plain.xlsx", instructions="before")
    book = openpyxl.load_workbook(plain)
    book[SHEET].print_area = "A1:H20"
    book[SHEET].print_title_rows = "4:4"
    book.defined_names["tong"] = DefinedName("tong", attr_text=f"'{SHEET}'!$H$5:$H$8")
    book.active = 1
    source = tmp_path / "s.xlsx"
    source.write_bytes(workbook_bytes(book, feedback.SAVED_AT))
    seen = _same(*_both(source, tmp_path, _problems(source), monkeypatch))
    assert seen["names"] == [("tong", f"'{SHEET}'!$H$5:$H$8")]
    assert seen["sheets"][SHEET]["titles"][1] == f"'{SHEET}'!$A$1:$H$20"
    assert seen["active"] == RESULT_SHEET


def test_no_problem_on_a_cell(tmp_path, monkeypatch):
    source = make_submission(tmp_path / "s.xlsx")
    late = [Problem(WARNING, "late_submission", "Gửi muộn.")]
    _same(*_both(source, tmp_path, late, monkeypatch))


def test_a_file_saved_by_libreoffice(tmp_path, monkeypatch):
    require_libreoffice()
    plain = make_submission(tmp_path / "plain.xlsx", title_rows=True)
    out = tmp_path / "lo"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
         "--convert-to", "xlsx", "--outdir", str(out), str(plain)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    source = out / "plain.xlsx"
    _same(*_both(source, tmp_path, _problems(source), monkeypatch))


@pytest.mark.slow
def test_libreoffice_opens_the_fast_path_output(tmp_path, monkeypatch):
    require_libreoffice()
    source = make_submission(tmp_path / "s.xlsx")
    problems = _problems(source)
    fast, _ = _both(source, tmp_path, problems, monkeypatch)
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(fast)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pdf = tmp_path / "pdf" / "fast.pdf"
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Nhỏ hơn số hội nghị." in text and "KẾT QUẢ KIỂM TRA" in text


# --- fallbacks -----------------------------------------------------------------------


def _falls_back(source: Path, tmp_path: Path, problems: list[Problem]) -> Path:
    before = dict(feedback.PATHS)
    out = write_feedback(source, tmp_path / "fb.xlsx", "s.xlsx", "rejected", problems, None, None)
    assert feedback.PATHS["openpyxl"] == before["openpyxl"] + 1
    assert feedback.PATHS["fast"] == before["fast"]
    return out


def test_a_clerks_own_comment_falls_back_and_is_kept(tmp_path):
    plain = make_submission(tmp_path / "plain.xlsx")
    cell = _value_cells(plain, SHEET)[0]
    book = openpyxl.load_workbook(plain)
    book[SHEET][cell].comment = Comment("Số liệu tạm tính.", "Cán bộ")
    source = tmp_path / "s.xlsx"
    book.save(source)
    problem = Problem(ERROR, "validation_rule", "Sai.", SHEET, cell)
    out = _falls_back(source, tmp_path, [problem])
    text = openpyxl.load_workbook(out)[SHEET][cell].comment.text
    assert "Sai." in text and "Số liệu tạm tính." in text


def test_a_feedback_file_sent_back_falls_back(tmp_path):
    source = make_submission(tmp_path / "s.xlsx")
    problems = _problems(source)
    first = write_feedback(
        source, tmp_path / "one.xlsx", "s.xlsx", "rejected", problems, None, None
    )
    again = tmp_path / "again.xlsx"
    shutil.copy(first, again)
    out = _falls_back(again, tmp_path, problems[:1])
    book = openpyxl.load_workbook(out)
    assert book.sheetnames.count(RESULT_SHEET) == 1
    assert book[SHEET][problems[1].cell].comment is None  # last round's marks are gone


def test_a_macro_workbook_falls_back(tmp_path):
    plain = make_submission(tmp_path / "s.xlsx")
    xlsm = tmp_path / "macro.xlsm"
    shutil.copy(plain, xlsm)
    patch_zip(xlsm, "[Content_Types].xml", lambda text: text.replace(XLSX, XLSM))
    with zipfile.ZipFile(xlsm, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"Attribute VB_Name" * 20)
    problems = _problems(plain)
    out = _falls_back(xlsm, tmp_path, problems)
    assert openpyxl.load_workbook(out)[SHEET][problems[0].cell].fill.fgColor.rgb == WARNING_RGB


def test_a_broken_package_falls_back_to_the_list_alone(tmp_path):
    plain = make_submission(tmp_path / "s.xlsx")
    broken = tmp_path / "broken.xlsx"
    shutil.copy(plain, broken)
    patch_zip(broken, "xl/styles.xml", lambda text: "<styleSheet")
    out = _falls_back(broken, tmp_path, _problems(plain))
    assert openpyxl.load_workbook(out).sheetnames[0] == RESULT_SHEET


EXCEL_ROOT = (
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'mc:Ignorable="x14ac xr" '
    'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" '
    'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" '
    'xr:uid="{00000000-0001-0000-0000-000000000000}">'
)


def _excel_sheet(data: str) -> str:
    data = data.replace(data[: data.index(">") + 1], EXCEL_ROOT, 1)
    data = data.replace("<row ", '<row x14ac:dyDescent="0.25" ')
    data = data.replace("<sheetView ", '<sheetView tabSelected="1" ')
    setup = '<pageSetup paperSize="1" orientation="portrait" r:id="rId1"/>'
    return data.replace("</worksheet>", f"{setup}</worksheet>")


def _as_excel_writes_it(plain: Path, source: Path) -> None:
    """``plain`` with what Excel adds: ignorable namespaces used by prefixed attributes,
    a tab selected, and a printer-settings part the page setup points at."""
    shutil.copy(plain, source)
    patch_zip(source, "xl/worksheets/sheet1.xml", _excel_sheet)
    printer = "application/vnd.openxmlformats-officedocument.spreadsheetml.printerSettings"
    default = f'<Default Extension="bin" ContentType="{printer}"/>'
    patch_zip(
        source,
        "[Content_Types].xml",
        lambda text: text.replace("<Default ", default + "<Default ", 1),
    )
    with zipfile.ZipFile(source, "a") as archive:
        archive.writestr(
            "xl/worksheets/_rels/sheet1.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="../printerSettings/printerSettings1.bin" Type="'
            'http://schemas.openxmlformats.org/officeDocument/2006/relationships/printerSettings"'
            "/></Relationships>",
        )
        archive.writestr("xl/printerSettings/printerSettings1.bin", b"\x00" * 64)


def test_a_file_as_excel_writes_it_keeps_its_namespaces(tmp_path, monkeypatch):
    plain = make_submission(tmp_path / "plain.xlsx")
    source = tmp_path / "excel.xlsx"
    _as_excel_writes_it(plain, source)
    fast, slow = _both(source, tmp_path, _problems(source), monkeypatch)
    seen = _same(fast, slow)
    assert seen["sheets"][SHEET]["print"][:2] == ("landscape", "9")
    with zipfile.ZipFile(fast) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
        rels = archive.read("xl/worksheets/_rels/sheet1.xml.rels").decode("utf-8")
    assert sheet.startswith(EXCEL_ROOT) and 'x14ac:dyDescent="0.25"' in sheet
    assert "printerSettings1.bin" in rels and "vmlDrawing" in rels
    assert sheet.index("<pageSetup") < sheet.index("<legacyDrawing")


def test_a_splice_gone_wrong_falls_back(tmp_path, monkeypatch):
    """A sheet the splicing would leave malformed is caught before the clerk gets it."""
    source = make_submission(tmp_path / "s.xlsx")
    patch = feedback.feedback_patch._patch_sheet
    monkeypatch.setattr(
        feedback.feedback_patch, "_patch_sheet", lambda *args: patch(*args) + "<oops>"
    )
    problems = _problems(source)
    out = _falls_back(source, tmp_path, problems)
    assert openpyxl.load_workbook(out)[SHEET][problems[0].cell].fill.fgColor.rgb == WARNING_RGB


def test_the_fast_path_writes_the_same_bytes_every_time(tmp_path):
    """No clock in the output: a feedback written again, later, is the same file."""
    source = make_submission(tmp_path / "s.xlsx")
    problems = _problems(source)
    before = feedback.PATHS["fast"]
    first = write_feedback(source, tmp_path / "a.xlsx", "s.xlsx", "rejected", problems, "A", "B")
    os.utime(source, (1_600_000_000, 1_600_000_000))
    time.sleep(2.1)  # zip entry times have a resolution of 2 s
    again = write_feedback(source, tmp_path / "b.xlsx", "s.xlsx", "rejected", problems, "A", "B")
    assert feedback.PATHS["fast"] == before + 2
    assert first.read_bytes() == again.read_bytes()
