"""Files the way clerks make them (issue 11): each oddity gets one clear rule at its cell."""

import shutil
import subprocess

import openpyxl
import pytest

from reference import fold
from tests.factories import GIA_VIEN, KIM_SON, clean_rows, indicator_row, make_submission
from tests.test_check import check, edit, issues, locate, rename_header

ERRORS_ONLY = ("error",)


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


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_total_mismatch_points_at_text_cells_that_sum_skipped(tmp_path):
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


# --- item 10: one cause, one error --------------------------------------------------------


def test_a_misspelled_district_header_is_the_only_error(tmp_path):
    path = make_submission(tmp_path / "bc.xlsx")
    cell = locate(path, "TT_HOI_NGHI", "Gia Viễn")
    edit(path, rename_header("Gia Viễn", "Gia Vienn"))
    _, report = check(path)
    assert errors(report) == [("unknown_district", f"{cell[0]}4")]


def test_a_period_not_yet_ended_is_the_only_error(tmp_path):
    path = edit(
        make_submission(tmp_path / "bc.xlsx"),
        retype("6 tháng đầu năm 2019", "6 tháng đầu năm 2029"),
    )
    _, report = check(path)
    assert errors(report) == [("bad_period", "C2")]
