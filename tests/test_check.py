"""`chitieu check`: every error rule at the right cell, every allowed variant accepted."""

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from reference import fold
from tests.factories import GIA_VIEN, KIM_SON, clean_rows, indicator_row, make_submission
from tests.helpers import TODAY, invoke
from workbooks.writing.writer import TaskRow


def check(path: Path, *extra: str) -> tuple[int, dict]:
    result = invoke(path.parent, "check", str(path), "--json", "--today", TODAY, *extra)
    return result.exit_code, json.loads(result.output.splitlines()[0])


def locate(path: Path, code: str, header: str) -> str:
    """The address of the cell in ``code``'s row under the column headed ``header``."""
    ws = openpyxl.load_workbook(path).worksheets[0]
    for row in ws.iter_rows():
        texts = {fold(c.value): c for c in row if c.value is not None}
        if "ma chi tieu" in texts:
            code_col = texts["ma chi tieu"].column
            header_row = row[0].row
            break
    columns = {}
    for r in (header_row, header_row + 1):
        for cell in ws[r]:
            if cell.value is not None:
                columns.setdefault(fold(cell.value), cell.column_letter)
    for (cell,) in ws.iter_rows(min_col=code_col, max_col=code_col, min_row=header_row + 1):
        if cell.value == code:
            return f"{columns[fold(header)]}{cell.row}"
    raise AssertionError(f"{code} not found")


def edit(path: Path, change) -> Path:
    workbook = openpyxl.load_workbook(path)
    change(workbook.worksheets[0])
    workbook.save(path)
    return path


def clear_label(label: str):
    def change(ws):
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and fold(cell.value).startswith(fold(label)):
                    for other in row:
                        other.value = None
                    return

    return change


def rename_header(old: str, new: str):
    def change(ws):
        for row in ws.iter_rows(max_row=30):
            for cell in row:
                if cell.value is not None and fold(cell.value) == fold(old):
                    cell.value = new
                    return

    return change


def rows_with(code: str, value) -> list:
    rows = clean_rows()
    return [
        indicator_row(r.code, {GIA_VIEN: value, KIM_SON: 1}) if r.code == code else r for r in rows
    ]


def issues(report: dict, rule: str) -> list[dict]:
    return [i for i in report["issues"] if i["rule"] == rule]


CELL_CASES = {
    "not_a_number": (
        lambda p: make_submission(p, rows=rows_with("TT_HOI_NGHI", "abc")),
        "TT_HOI_NGHI",
        "Gia Viễn",
    ),
    "ambiguous_number": (
        lambda p: make_submission(p, rows=rows_with("TT_HOI_NGHI", "1.5")),
        "TT_HOI_NGHI",
        "Gia Viễn",
    ),
    "negative_value": (
        lambda p: make_submission(p, rows=rows_with("TT_HOI_NGHI", -3)),
        "TT_HOI_NGHI",
        "Gia Viễn",
    ),
    "not_whole_number": (
        lambda p: make_submission(p, rows=rows_with("TT_HOI_NGHI", 2.5)),
        "TT_HOI_NGHI",
        "Gia Viễn",
    ),
    "formula_without_value": (
        lambda p: make_submission(p, rows=rows_with("TT_HOI_NGHI", "=B2*2")),
        "TT_HOI_NGHI",
        "Gia Viễn",
    ),
    "total_mismatch": (
        lambda p: make_submission(
            p, rows=[indicator_row("TT_HOI_NGHI", {GIA_VIEN: 3}, total=9), *clean_rows()[1:]]
        ),
        "TT_HOI_NGHI",
        "Tổng cộng",
    ),
    "unit_mismatch": (
        lambda p: make_submission(
            p, rows=[indicator_row("TT_HOI_NGHI", {GIA_VIEN: 3}, unit="kg"), *clean_rows()[1:]]
        ),
        "TT_HOI_NGHI",
        "Đơn vị tính",
    ),
    "unknown_indicator": (
        lambda p: make_submission(p, rows=[*clean_rows(), indicator_row("XX_LA", {GIA_VIEN: 1})]),
        "XX_LA",
        "Mã chỉ tiêu",
    ),
    "duplicate_indicator": (
        lambda p: make_submission(
            p, rows=[*clean_rows(), indicator_row("ASXH_QUA", {GIA_VIEN: 1})]
        ),
        None,
        None,
    ),
    "validation_rule": (
        lambda p: make_submission(
            p,
            rows=[
                indicator_row("TT_HOI_NGHI", {GIA_VIEN: 30}),
                indicator_row("TT_LUOT_NGUOI", {GIA_VIEN: 12}),
            ],
        ),
        "TT_LUOT_NGUOI",
        "Gia Viễn",
    ),
}


@pytest.mark.parametrize("rule", sorted(CELL_CASES))
def test_each_cell_rule_is_reported_at_its_cell(rule, tmp_path):
    build, code, header = CELL_CASES[rule]
    path = build(tmp_path / f"{rule}.xlsx")
    exit_code, report = check(path)
    found = issues(report, rule)
    assert exit_code == 1 and report["status"] == "rejected", report
    assert found and found[0]["severity"] == "error" and found[0]["message"]
    if code:
        assert found[0]["cell"] == locate(path, code, header)
        assert found[0]["indicator_code"] == code
    else:
        assert found[0]["cell"] and found[0]["indicator_code"] == "ASXH_QUA"


WORKBOOK_CASES = {
    "missing_agency": lambda p: edit(make_submission(p), clear_label("Đơn vị báo cáo")),
    "unknown_agency": lambda p: make_submission(p, agency="Sở Không Có"),
    "missing_period": lambda p: edit(make_submission(p), clear_label("Kỳ báo cáo")),
    "bad_period": lambda p: edit(
        make_submission(p), rename_header("6 tháng đầu năm 2019", "Mùa xuân 2019")
    ),
    "unknown_district": lambda p: edit(
        make_submission(p), rename_header("Kim Sơn", "Huyện Lạ Sơn")
    ),
    "missing_column": lambda p: edit(make_submission(p), rename_header("Tổng cộng", "")),
    "bad_task_row": lambda p: make_submission(
        p, tasks=[TaskRow("Tuyên truyền", "Khác", "Hoàn thành")]
    ),
}


@pytest.mark.parametrize("rule", sorted(WORKBOOK_CASES))
def test_each_workbook_rule_is_reported(rule, tmp_path):
    path = WORKBOOK_CASES[rule](tmp_path / f"{rule}.xlsx")
    exit_code, report = check(path)
    assert exit_code == 1 and report["status"] == "rejected"
    assert issues(report, rule), report["issues"]


def test_a_period_not_yet_ended_is_a_bad_period(tmp_path):
    path = make_submission(tmp_path / "future.xlsx", period="2026S2")
    exit_code, report = check(path)
    assert exit_code == 1 and issues(report, "bad_period")


def test_unreadable_and_sheetless_files(tmp_path):
    garbage = tmp_path / "rac.xlsx"
    garbage.write_bytes(b"this is not a workbook")
    exit_code, report = check(garbage)
    assert exit_code == 1 and issues(report, "unreadable_file")
    sheetless = tmp_path / "trong.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Báo cáo"
    workbook.save(sheetless)
    exit_code, report = check(sheetless)
    assert exit_code == 1 and issues(report, "missing_indicator_sheet")


VARIANTS = {
    "plain": {},
    "two_row_header": {"two_row_header": True},
    "metadata_in_one_cell": {"metadata_in_one_cell": True},
    "nfd_headers": {"district_header_style": "nfd"},
    "no_diacritics": {"district_header_style": "no_diacritics"},
    "prefixed": {"district_header_style": "prefixed"},
    "abbreviated": {"district_header_style": "abbreviated"},
    "upper": {"district_header_style": "upper"},
    "sum_formulas": {"total_formula": True},
    "number_text_and_dashes": {"values_as_text": True, "zero_as_dash": True},
    "decorated": {
        "title_rows": True,
        "section_rows": True,
        "footer_place": "Ninh Bình",
        "instructions": "before",
        "indicator_sheet": "Bieu 01",
    },
    "total_first": {"total_first": True, "include_province": True},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_allowed_variant_is_accepted(variant, tmp_path):
    path = make_submission(tmp_path / f"{variant}.xlsx", agency="BCHQS", **VARIANTS[variant])
    exit_code, report = check(path)
    assert (exit_code, report["status"]) == (0, "accepted"), report["issues"]
    assert (report["agency_code"], report["period_code"]) == ("BCHQS", "2019S1")


def test_money_in_billions_is_converted(tmp_path):
    rows = [
        indicator_row("ASXH_QUA", {GIA_VIEN: 40}),
        indicator_row("ASXH_QUA_GIA_TRI", {GIA_VIEN: "0,02"}, unit="tỷ đồng", total="0,02"),
    ]
    exit_code, report = check(make_submission(tmp_path / "ty.xlsx", rows=rows))
    assert exit_code == 0, report["issues"]


def test_exit_codes_and_several_files(tmp_path):
    good = make_submission(tmp_path / "good.xlsx")
    bad = make_submission(tmp_path / "bad.xlsx", rows=rows_with("TT_HOI_NGHI", "abc"))
    result = invoke(tmp_path, "check", str(good), str(bad), "--json", "--today", TODAY)
    reports = [json.loads(line) for line in result.output.splitlines()]
    assert result.exit_code == 1
    assert [r["status"] for r in reports] == ["accepted", "rejected"]
    assert set(reports[1]["issues"][0]) == {
        "severity",
        "rule",
        "sheet",
        "cell",
        "indicator_code",
        "district_code",
        "message",
    }
    usage = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "check", str(tmp_path / "missing.xlsx")],
        capture_output=True,
    )
    assert usage.returncode == 2


def test_a_blank_row_with_a_zero_total_is_not_reported_but_a_lone_total_is_an_error(tmp_path):
    blank = [*clean_rows(), indicator_row("ASXH_NHA", {}, total=0)]
    exit_code, report = check(make_submission(tmp_path / "blank.xlsx", rows=blank))
    assert exit_code == 0, report["issues"]
    lone = [*clean_rows(), indicator_row("ASXH_NHA", {}, total=4)]
    exit_code, report = check(make_submission(tmp_path / "lone.xlsx", rows=lone))
    assert exit_code == 1 and issues(report, "total_mismatch")
