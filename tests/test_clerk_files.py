"""Files the way clerks make them (issue 11): each oddity gets one clear rule at its cell."""

import subprocess
from datetime import date

import openpyxl
import pytest

from reference import fold, load_catalog
from tests.factories import GIA_VIEN, KIM_SON, clean_rows, indicator_row, make_submission
from tests.helpers import require_libreoffice
from tests.test_check import check, edit, issues, locate, rename_header
from workbooks.reading.extents import ods_extents, ods_hidden
from workbooks.reading.limits import MAX_SHEET_COLUMNS, MAX_SHEET_ROWS
from workbooks.reading.reader import read_workbook


def errors(report: dict) -> list[tuple[str, str | None]]:
    return [(i["rule"], i["cell"]) for i in report["issues"] if i["severity"] == "error"]


def retype(old: str, new: str):
    """Replace the text of the first cell holding ``old`` (metadata or header)."""

    def change(ws):
        for row in ws.iter_rows(max_row=30):
            for cell in row:
                if isinstance(cell.value, str) and fold(cell.value) == fold(old):
                    cell.value = new
                    return
        raise AssertionError(f"{old!r} not found")

    return change


# --- item 9: numbers typed as text under a live SUM ------------------------------------


def test_total_mismatch_points_at_text_cells_that_sum_skipped(tmp_path):
    require_libreoffice()
    source = tmp_path / "src"
    source.mkdir()
    rows = [indicator_row("TT_HOI_NGHI", {GIA_VIEN: "3", KIM_SON: 2}), *clean_rows()[1:]]
    path = make_submission(source / "bc.xlsx", rows=rows)
    text_cell = locate(path, "TT_HOI_NGHI", "Gia Viễn")
    total_cell = locate(path, "TT_HOI_NGHI", "Tổng cộng")
    first, last = locate(path, "TT_HOI_NGHI", "Ninh Bình"), locate(path, "TT_HOI_NGHI", "Yên Mô")
    edit(path, lambda ws: ws.__setitem__(total_cell, f"=SUM({first}:{last})"))
    # LibreOffice computes and caches the SUM the way the clerk's spreadsheet does.
    subprocess.run(
        ["soffice", "--headless", "--calc", "--convert-to", "xlsx", "--outdir", str(tmp_path),
         str(path)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    saved = openpyxl.load_workbook(tmp_path / "bc.xlsx").worksheets[0]
    assert saved[text_cell].data_type == "s"
    _, report = check(tmp_path / "bc.xlsx")
    (mismatch,) = issues(report, "total_mismatch")
    assert mismatch["cell"] == total_cell
    assert f"vì ô {text_cell} ghi số dạng chữ" in mismatch["message"]
    assert "Tổng cộng 2 " in mismatch["message"]


def test_a_plain_total_mismatch_does_not_blame_text_cells(tmp_path):
    rows = [indicator_row("TT_HOI_NGHI", {GIA_VIEN: "3", KIM_SON: 2}, total=9), *clean_rows()[1:]]
    _, report = check(make_submission(tmp_path / "bc.xlsx", rows=rows))
    (mismatch,) = issues(report, "total_mismatch")
    assert "dạng chữ" not in mismatch["message"]
    assert "tổng các huyện, thành phố và cấp tỉnh" in mismatch["message"]  # a 2019 report


# --- item 10: one cause, one error --------------------------------------------------------


def test_a_misspelled_district_header_is_the_only_error(tmp_path):
    path = make_submission(tmp_path / "bc.xlsx")
    cell = locate(path, "TT_HOI_NGHI", "Gia Viễn")
    edit(path, rename_header("Gia Viễn", "Gia Vienn"))
    _, report = check(path)
    assert errors(report) == [("unknown_district", f"{cell[0]}4")]


def test_a_duplicated_district_column_is_the_only_error(tmp_path):
    path = make_submission(tmp_path / "bc.xlsx")
    column = locate(path, "TT_HOI_NGHI", "Gia Viễn")[0]

    def duplicate(ws):  # the first row's value typed in a second "Gia Viễn" column
        copy = ws.max_column + 1
        ws.cell(4, copy, "Huyện Gia Viễn")
        ws.cell(5, copy, ws[f"{column}5"].value)
        ws[f"{column}5"] = None

    _, report = check(edit(path, duplicate))
    assert [rule for rule, _ in errors(report)] == ["duplicate_district"]


def test_a_period_not_yet_ended_is_the_only_error(tmp_path):
    path = edit(
        make_submission(tmp_path / "bc.xlsx"),
        retype("6 tháng đầu năm 2019", "6 tháng đầu năm 2029"),
    )
    _, report = check(path)
    assert errors(report) == [("bad_period", "C2")]


# --- item 11: nothing dropped or misread without a word -----------------------------------


def read_values(path) -> dict[tuple[str, str | None], float | None]:
    """(indicator, district) -> value of the parts the reader took from ``path``."""
    parsed = read_workbook(path, load_catalog(), date(2026, 11, 27))
    return {
        (v.indicator_code, v.district_code): v.value for v in parsed.values if v.role != "total"
    }


def only(report: dict, rule: str) -> dict:
    (issue,) = issues(report, rule)
    return issue


def test_a_value_in_a_column_without_header_is_a_warning(tmp_path):
    path = make_submission(tmp_path / "bc.xlsx")
    note = locate(path, "TT_HOI_NGHI", "Ghi chú")
    stray = f"{chr(ord(note[0]) + 1)}{note[1:]}"  # right of the last headed column
    edit(path, lambda ws: ws.__setitem__(stray, 7))
    code, report = check(path)
    issue = only(report, "value_without_header")
    assert (issue["severity"], issue["cell"], code) == ("warning", stray, 0)
    assert 7.0 not in read_values(path).values()


def test_a_value_merged_over_two_district_columns_is_an_error(tmp_path):
    path = make_submission(tmp_path / "bc.xlsx")
    first = locate(path, "TT_HOI_NGHI", "Hoa Lư")  # empty; the next column is Yên Khánh
    second = locate(path, "TT_HOI_NGHI", "Yên Khánh")

    def merge(ws):
        ws[first] = 6
        ws.merge_cells(f"{first}:{second}")

    _, report = check(edit(path, merge))
    issue = only(report, "merged_value_cells")
    assert (issue["severity"], issue["cell"]) == ("error", first)
    assert f"{first}:{second}" in issue["message"]


def test_values_in_a_hidden_row_are_read_with_a_warning(tmp_path):
    path = make_submission(tmp_path / "bc.xlsx")
    cell = locate(path, "TT_LUOT_NGUOI", "Mã chỉ tiêu")
    edit(path, lambda ws: setattr(ws.row_dimensions[int(cell[1:])], "hidden", True))
    code, report = check(path)
    issue = only(report, "hidden_values")
    assert (issue["severity"], issue["cell"], code) == ("warning", cell, 0)
    assert read_values(path)[("TT_LUOT_NGUOI", GIA_VIEN)] == 250


@pytest.mark.slow  # two LibreOffice conversions
def test_hidden_rows_and_columns_warn_alike_in_an_ods_and_an_xls(tmp_path):
    """The clerk hides a row and a column in Excel, then LibreOffice saves the workbook as
    .ods and as .xls: each warns at the same cells as the .xlsx (calamine exposes neither)."""
    require_libreoffice()
    path = make_submission(tmp_path / "bc.xlsx")
    row_cell = locate(path, "TT_LUOT_NGUOI", "Mã chỉ tiêu")
    column = locate(path, "TT_LUOT_NGUOI", "Gia Viễn").rstrip("0123456789")

    def hide(ws):
        ws.row_dimensions[int(row_cell[1:])].hidden = True
        ws.column_dimensions[column].hidden = True

    edit(path, hide)
    warned = {}
    for kind in ("xlsx", "ods", "xls"):
        if kind != "xlsx":
            subprocess.run(
                ["soffice", "--headless", "--calc", "--convert-to", kind, "--outdir",
                 str(tmp_path), str(path)],
                check=True, capture_output=True, timeout=120,
            )  # fmt: skip
        _, report = check(tmp_path / f"bc.{kind}")
        warned[kind] = sorted(i["cell"] for i in issues(report, "hidden_values"))
        assert read_values(tmp_path / f"bc.{kind}")[("TT_LUOT_NGUOI", GIA_VIEN)] == 250
    assert len(warned["xlsx"]) == 2 and row_cell in warned["xlsx"]
    assert any(cell.startswith(column) for cell in warned["xlsx"])
    assert warned["ods"] == warned["xlsx"] and warned["xls"] == warned["xlsx"]


def test_an_ods_hidden_to_the_end_of_the_sheet_costs_no_more_than_the_limits():
    """LibreOffice writes "the rest of the sheet" as one element repeated a million times."""
    content = (
        b'<table:table table:name="A &amp; B">'
        b'<table:table-column table:visibility="collapse" table:number-columns-repeated="16384"/>'
        b"<table:table-row><table:table-cell/></table:table-row>"
        b'<table:table-row table:visibility="collapse" table:number-rows-repeated="1048575">'
        b"<table:table-cell/></table:table-row></table:table>"
    )
    hidden = ods_hidden(content, MAX_SHEET_ROWS, MAX_SHEET_COLUMNS)
    assert hidden == {"A & B": (set(range(1, MAX_SHEET_ROWS)), set(range(MAX_SHEET_COLUMNS)))}


def test_rows_folded_in_a_group_count_as_rows_in_an_ods():
    """A clerk's outline (Data > Group) wraps rows in a row group: its rows still count."""
    cell = b'<table:table-cell office:value-type="float" office:value="1"/>'
    content = (
        b'<table:table table:name="Sheet1"><table:table-row-group>'
        b'<table:table-row table:number-rows-repeated="3">' + cell + b"</table:table-row>"
        b"<table:table-row>" + cell + cell + b"</table:table-row>"
        b"</table:table-row-group></table:table>"
    )
    assert ods_extents(content) == {"Sheet1": (4, 2)}


def test_a_second_table_below_the_first_is_one_error(tmp_path):
    path = make_submission(tmp_path / "bc.xlsx")
    header_row = int(locate(path, "TT_HOI_NGHI", "Mã chỉ tiêu")[1:]) - 1

    def append_table(ws):
        start = ws.max_row + 3
        for c in range(1, ws.max_column + 1):
            ws.cell(start, c, ws.cell(header_row, c).value)
            ws.cell(start + 1, c, ws.cell(header_row + 1, c).value)

    _, report = check(edit(path, append_table))
    workbook = openpyxl.load_workbook(path).worksheets[0]
    second = next(r for r in range(header_row + 1, workbook.max_row + 1)
                  if workbook.cell(r, 2).value == "Mã chỉ tiêu")  # fmt: skip
    assert errors(report) == [("extra_table", f"B{second}")]


def test_an_old_copy_on_an_earlier_sheet_is_ignored_with_a_warning(tmp_path):
    path = make_submission(tmp_path / "bc.xlsx")
    cell = locate(path, "TT_HOI_NGHI", "Gia Viễn")
    workbook = openpyxl.load_workbook(path)
    real = workbook.worksheets[0]
    old = workbook.copy_worksheet(real)
    old.title = "Kỳ trước"
    old[cell] = 99
    retype("6 tháng đầu năm 2019", "6 tháng cuối năm 2018")(old)
    workbook.move_sheet(old, offset=-workbook.index(old))
    workbook.save(path)
    assert openpyxl.load_workbook(path).sheetnames[0] == "Kỳ trước"
    code, report = check(path)
    issue = only(report, "extra_indicator_sheet")
    assert (issue["severity"], issue["sheet"], code) == ("warning", "Kỳ trước", 0)
    assert read_values(path)[("TT_HOI_NGHI", GIA_VIEN)] == 3


def test_comma_thousands_in_a_money_cell_is_ambiguous(tmp_path):
    rows = [indicator_row("ASXH_QUA", {GIA_VIEN: 4}),
            indicator_row("ASXH_QUA_GIA_TRI", {GIA_VIEN: "1,600"})]  # fmt: skip
    path = make_submission(tmp_path / "bc.xlsx", rows=rows)
    _, report = check(path)
    issue = only(report, "ambiguous_number")
    assert issue["cell"] == locate(path, "ASXH_QUA_GIA_TRI", "Gia Viễn")


def test_huyen_hoa_lu_in_2025_is_attributed_to_the_city_with_a_warning(tmp_path):
    rows = [indicator_row("TT_HOI_NGHI", {"374": 3}), indicator_row("TT_LUOT_NGUOI", {"374": 90})]
    path = make_submission(tmp_path / "bc.xlsx", period="2025S1", rows=rows)
    cell = locate(path, "TT_HOI_NGHI", "Hoa Lư")
    edit(path, rename_header("Hoa Lư", "Huyện Hoa Lư"))
    code, report = check(path)
    issue = only(report, "district_renamed")
    assert (issue["severity"], issue["cell"], code) == ("warning", f"{cell[0]}4", 0)
    assert "sáp nhập vào thành phố Hoa Lư" in issue["message"]
    assert read_values(path)[("TT_HOI_NGHI", "374")] == 3
