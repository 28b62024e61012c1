"""The long layout (one row per unit, one column per indicator) and the old district
template filled in by habit after the 2025 reform: every rule at its cell.

Workbooks are written cell by cell with openpyxl here, as an agency would lay them out,
so the reader is not only tested on what our own writer produces.
"""

import unicodedata
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from expectations.validate import validate_batch
from reference.model import ERROR, WARNING, ParsedWorkbook
from reference.periods import parse_period
from tests.helpers import require_libreoffice
from workbooks.reading.reader import read_workbook

TODAY = date(2026, 11, 27)
AGENCY = "Hội Nông dân tỉnh"
HEADER = ["STT", "Mã đơn vị", "Xã, phường", "TT_HOI_NGHI", "TT_LUOT_NGUOI", "Ghi chú"]
GIA_VIEN, TAM_DIEP = "14464", None  # GSO code of Xã Gia Viễn; Tam Điệp looked up below


def long_sheet(
    rows: list[list],
    period: str = "6 tháng đầu năm 2026",
    header: list = HEADER,
    extra_header: list[list] = (),
) -> list[list]:
    return [
        ["BÁO CÁO KẾT QUẢ THỰC HIỆN CHỈ TIÊU"],
        ["Đơn vị báo cáo:", None, AGENCY],
        ["Kỳ báo cáo:", None, period],
        [],
        header,
        *extra_header,
        *rows,
    ]


def save(tmp_path: Path, rows: list[list], name: str = "long.xlsx") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Số liệu"
    for row in rows:
        ws.append(row)
    path = tmp_path / name
    wb.save(path)
    return path


def checked(path: Path) -> tuple[ParsedWorkbook, list]:
    """What ``chitieu check`` finds: the reader's problems and the suites'."""
    from reference import load_catalog

    catalog = load_catalog()
    parsed = read_workbook(path, catalog, TODAY)
    return parsed, validate_batch([parsed], catalog)[0]


def found(problems: list, rule: str) -> list[tuple[str, str | None]]:
    return [(p.severity, p.cell) for p in problems if p.rule == rule]


def parts(parsed: ParsedWorkbook) -> dict[tuple[str, str], tuple[str, float]]:
    """(indicator, unit code) -> (cell, value) of every non-total value."""
    return {
        (v.indicator_code, v.district_code): (v.cell, v.value)
        for v in parsed.values
        if v.role != "total"
    }


def code_of(catalog, name: str, period: str = "2026S1") -> str:
    return catalog.match_district(name, parse_period(period)).district.code


# --- reading ------------------------------------------------------------------------


def test_long_layout_reads_every_unit_form_with_its_cell(catalog, tmp_path):
    nfd = unicodedata.normalize("NFD", "Yên Mô")
    rows = [
        [None, None, "Cấp tỉnh", 2, 300, None],
        [1, None, "Xã Gia Viễn", 3, 250, "ghi chú xã"],
        [2, None, "PHƯỜNG TAM ĐIỆP", 1, 90, None],
        [3, None, "Nho Quan", "-", "-", None],
        [4, None, nfd, None, None, None],  # a unit left blank: nothing reported
        [None, None, "Tổng cộng", "=SUM(D6:D9)", "=SUM(E6:E9)", None],
    ]
    parsed, problems = checked(save(tmp_path, long_sheet(rows)))
    assert [p for p in problems if p.severity == ERROR] == []
    assert (parsed.agency_code, parsed.period_code) == ("HND", "2026S1")
    tam_diep, nho_quan = code_of(catalog, "Tam Điệp"), code_of(catalog, "Nho Quan")
    assert parts(parsed) == {
        ("TT_HOI_NGHI", "37"): ("D6", 2.0),
        ("TT_LUOT_NGUOI", "37"): ("E6", 300.0),
        ("TT_HOI_NGHI", GIA_VIEN): ("D7", 3.0),
        ("TT_LUOT_NGUOI", GIA_VIEN): ("E7", 250.0),
        ("TT_HOI_NGHI", tam_diep): ("D8", 1.0),
        ("TT_LUOT_NGUOI", tam_diep): ("E8", 90.0),
        ("TT_HOI_NGHI", nho_quan): ("D9", 0.0),
        ("TT_LUOT_NGUOI", nho_quan): ("E9", 0.0),
    }
    totals = {v.indicator_code: (v.cell, v.value) for v in parsed.values if v.role == "total"}
    assert totals == {"TT_HOI_NGHI": ("D11", 6.0), "TT_LUOT_NGUOI": ("E11", 640.0)}
    notes = {v.district_code: v.note for v in parsed.values if v.role == "district"}
    assert notes[GIA_VIEN] == "ghi chú xã"


def test_gso_code_decides_the_unit_and_names_may_lack_diacritics(tmp_path):
    rows = [
        [1, 14464, "tên gõ nhầm", 3, 250, None],  # the code decides: Xã Gia Viễn
        [2, None, "xa gia hung", 1, 100, None],
        [None, None, "Tong cong", 4, 350, None],
    ]
    parsed, problems = checked(save(tmp_path, long_sheet(rows)))
    assert [p for p in problems if p.severity == ERROR] == []
    assert parts(parsed)[("TT_HOI_NGHI", GIA_VIEN)] == ("D6", 3.0)
    assert len({v.district_code for v in parsed.values if v.role == "district"}) == 2


def test_second_header_row_with_names_and_units_converts_money(tmp_path):
    header = ["STT", "Đơn vị hành chính", "ASXH_QUA", "ASXH_QUA_GIA_TRI"]
    names = [None, None, "Suất quà tặng", "Giá trị quà tặng"]
    units = [None, None, "suất", "tỷ đồng"]
    rows = [
        [1, "Xã Gia Viễn", 40, 0.02],
        [None, "Tổng cộng", 40, 0.02],
    ]
    sheet = long_sheet(rows, header=header, extra_header=[names, units])
    parsed, problems = checked(save(tmp_path, sheet))
    assert [p for p in problems if p.severity == ERROR] == []
    assert parts(parsed) == {
        ("ASXH_QUA", GIA_VIEN): ("C8", 40.0),
        ("ASXH_QUA_GIA_TRI", GIA_VIEN): ("D8", 20.0),
    }
    names_read = {v.indicator_code: (v.indicator_name, v.unit) for v in parsed.values}
    assert names_read["ASXH_QUA_GIA_TRI"] == ("Giá trị quà tặng", "tỷ đồng")


def test_long_layout_is_read_for_a_district_period_too(tmp_path):
    rows = [
        [1, None, "Gia Viễn", 3, 250, None],
        [2, None, "Kim Sơn", 2, 180, None],
        [None, None, "Tổng cộng", 5, 430, None],
    ]
    sheet = long_sheet(rows, period="6 tháng đầu năm 2019")
    parsed, problems = checked(save(tmp_path, sheet))
    assert [p for p in problems if p.severity == ERROR] == []
    assert {(code, unit) for code, unit in parts(parsed)} == {
        ("TT_HOI_NGHI", "373"),
        ("TT_LUOT_NGUOI", "373"),
        ("TT_HOI_NGHI", "376"),
        ("TT_LUOT_NGUOI", "376"),
    }


# --- rules at their cells -------------------------------------------------------------


def test_total_mismatch_at_the_totals_row_cell(tmp_path):
    rows = [
        [1, None, "Xã Gia Viễn", 3, 250, None],
        [2, None, "Xã Gia Hưng", 2, 180, None],
        [None, None, "Tổng cộng", 6, 430, None],
    ]
    _, problems = checked(save(tmp_path, long_sheet(rows)))
    assert found(problems, "total_mismatch") == [(ERROR, "D8")]
    (mismatch,) = [p for p in problems if p.rule == "total_mismatch"]
    assert "tổng các xã, phường và cấp tỉnh" in mismatch.message  # a report by commune


def test_missing_totals_row_is_missing_column(tmp_path):
    rows = [[1, None, "Xã Gia Viễn", 3, 250, None]]
    _, problems = checked(save(tmp_path, long_sheet(rows)))
    assert found(problems, "missing_column") == [(ERROR, "C5")]


def test_unit_that_did_not_exist_names_the_units_that_replaced_it(tmp_path):
    rows = [
        [1, None, "Huyện Gia Viễn", 3, 250, None],
        [2, 373, "Gia Viễn", 1, 100, None],  # the former district's GSO code
        [None, None, "Tổng cộng", 4, 350, None],
    ]
    _, problems = checked(save(tmp_path, long_sheet(rows)))
    assert found(problems, "unknown_district") == [(ERROR, "C6"), (ERROR, "B7")]
    for problem in (p for p in problems if p.rule == "unknown_district"):
        assert "Xã Gia Viễn" in problem.message and "Xã Gia Hưng" in problem.message


def test_unknown_unit_name_and_unnamed_row_with_values(tmp_path):
    rows = [
        [1, None, "Xã Không Có", 3, 250, None],
        [2, None, None, 1, 100, None],
        [None, None, "Tổng cộng", 4, 350, None],
    ]
    _, problems = checked(save(tmp_path, long_sheet(rows)))
    assert found(problems, "unknown_district") == [(ERROR, "C7"), (ERROR, "C6")]


def test_unit_given_twice_is_duplicate_district(tmp_path):
    rows = [
        [1, None, "Xã Gia Viễn", 3, 250, None],
        [2, None, "Xã Gia Hưng", 1, 100, None],
        [3, None, "gia vien", 2, 120, None],
        [None, None, "Tổng cộng", 6, 470, None],
    ]
    _, problems = checked(save(tmp_path, long_sheet(rows)))
    assert found(problems, "duplicate_district") == [(ERROR, "C8")]
    message = next(p.message for p in problems if p.rule == "duplicate_district")
    assert "(ô C6)" in message and "xã Gia Viễn" in message


def test_indicator_column_twice_and_unknown_code_at_their_header_cells(tmp_path):
    header = ["STT", "Xã, phường", "TT_HOI_NGHI", "TT_HOI_NGHI", "KHONG_CO_MA"]
    rows = [[1, "Xã Gia Viễn", 3, 3, 1], [None, "Tổng cộng", 3, 3, 1]]
    _, problems = checked(save(tmp_path, long_sheet(rows, header=header)))
    assert found(problems, "duplicate_indicator") == [(ERROR, "D5")]
    assert found(problems, "unknown_indicator") == [(ERROR, "E5")]


FORMER = ["Tam Điệp", "Nho Quan", "Gia Viễn", "Hoa Lư", "Yên Khánh", "Kim Sơn", "Yên Mô"]


def test_old_district_template_in_the_long_layout_is_not_loaded_as_communes(tmp_path):
    rows = [[i, None, name, 2, 200, None] for i, name in enumerate(FORMER, start=1)]
    rows.append([None, None, "Tổng cộng", 14, 1400, None])
    parsed, problems = checked(save(tmp_path, long_sheet(rows)))
    assert found(problems, OLD := "old_district_template") == [(WARNING, "C6")]
    assert found(problems, "unknown_district") == [(ERROR, f"C{r}") for r in range(6, 13)]
    assert "Xã Gia Hưng" in next(p.message for p in problems if p.cell == "C8")
    assert [v for v in parsed.values if v.role == "district"] == []
    assert OLD in {p.rule for p in problems}


def test_old_district_template_in_the_wide_layout(tmp_path, catalog):
    from tests.factories import indicator_row, make_submission

    former = catalog.districts_for(parse_period("2025S1"))
    values = {d.code: 2 for d in former}
    path = make_submission(
        tmp_path / "wide.xlsx",
        agency=AGENCY,
        period="2025S1",
        rows=[indicator_row("TT_HOI_NGHI", values), indicator_row("TT_LUOT_NGUOI", values)],
    )
    wb = openpyxl.load_workbook(path)  # the 2025S1 template, sent again for 2025S2
    for row in wb.active.iter_rows():
        for cell in row:
            if cell.value == parse_period("2025S1").label_vi:
                cell.value = parse_period("2025S2").label_vi
    wb.save(path)
    parsed, problems = checked(path)
    warnings = found(problems, "old_district_template")
    assert len(warnings) == 1 and warnings[0][0] == WARNING
    errors = found(problems, "unknown_district")
    assert len(errors) == len(former) and warnings[0][1] == errors[0][1]
    assert [v for v in parsed.values if v.role == "district"] == []
    assert found(problems, "total_mismatch") == []
    assert found(problems, "total_mismatch") == []  # the totals are not the problem


def test_a_few_communes_named_like_former_districts_are_not_the_habit(tmp_path):
    rows = [
        [1, None, "Gia Viễn", 3, 250, None],
        [2, None, "Kim Sơn", 2, 180, None],
        [None, None, "Tổng cộng", 5, 430, None],
    ]
    parsed, problems = checked(save(tmp_path, long_sheet(rows)))
    assert [p for p in problems if p.severity == ERROR or p.rule == "old_district_template"] == []
    assert ("TT_HOI_NGHI", GIA_VIEN) in parts(parsed)


@pytest.mark.parametrize("header", ["Xã, phường", "Đơn vị hành chính", "Tên đơn vị", "XA, PHUONG"])
def test_unit_name_headers(tmp_path, header):
    sheet = long_sheet(
        [[1, None, "Xã Gia Viễn", 3, 250, None], [None, None, "Tổng", 3, 250, None]],
        header=["STT", "Mã đơn vị", header, "TT_HOI_NGHI", "TT_LUOT_NGUOI", "Ghi chú"],
    )
    parsed, problems = checked(save(tmp_path, sheet))
    assert [p for p in problems if p.severity == ERROR] == []
    assert ("TT_HOI_NGHI", GIA_VIEN) in parts(parsed)


# --- the template of a period with communes ---------------------------------------------

COUNT_FORMAT, MONEY_FORMAT = "#,##0", "#,##0.0"


def template_2026(home: Path) -> Path:
    from tests.helpers import invoke

    path = home.parent / "HND_2026S1.xlsx"
    result = invoke(home, "template", "--agency", "HND", "--period", "2026S1", "-o", str(path))
    assert result.exit_code == 0, result.output
    return path


def unit_rows(ws) -> tuple[int, dict[str, int], int]:
    """(header row, GSO code -> sheet row, totals row) of the long template."""
    header = next(r for r in range(1, 40) if ws.cell(r, 3).value == "Xã, phường")
    rows, total = {}, None
    for r in range(header + 1, ws.max_row + 1):
        if ws.cell(r, 2).value:
            rows[str(ws.cell(r, 2).value)] = r
        if ws.cell(r, 3).value == "Tổng cộng":
            total = r
    return header, rows, total


def fill(ws) -> dict[str, float]:
    """Valid numbers in every input cell of the table (participants > conferences)."""
    filled = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.protection.locked or cell.number_format not in (COUNT_FORMAT, MONEY_FORMAT):
                continue
            value = 2.5 if cell.number_format == MONEY_FORMAT else 100 * cell.column + cell.row % 7
            cell.value = value
            filled[cell.coordinate] = value
    return filled


def test_template_2026s1_is_the_long_layout_of_the_129_units(catalog, home):
    ws = openpyxl.load_workbook(template_2026(home))["Chỉ tiêu"]
    header, rows, total = unit_rows(ws)
    units = catalog.districts_for(parse_period("2026S1"))
    assert len(units) == 129 and set(rows) == {d.code for d in units}
    assert ws.cell(header + 3, 3).value == "Cấp tỉnh"
    assert ws.cell(rows["14464"], 3).value == "Xã Gia Viễn"
    codes = [ws.cell(header, c).value for c in range(4, ws.max_column)]
    assert codes == sorted(catalog.expected_indicators["HND"],
                           key=lambda c: catalog.indicators[c].sort_order)  # fmt: skip
    last = header + 3 + 129
    assert total == last + 1
    assert ws.cell(total, 4).value == f"=SUM(D{header + 3}:D{last})"
    assert not ws.cell(rows["14464"], 4).protection.locked and ws.cell(total, 4).protection.locked
    assert ws.protection.sheet
    ranges = {str(r) for dv in ws.data_validations.dataValidation for r in dv.sqref.ranges}
    assert f"D{header + 3}:D{last}" in ranges


def _check_and_run(home: Path, filled_path: Path, filled: dict[str, float]) -> None:
    import json

    from tests.helpers import TODAY, invoke, sql_rows

    result = invoke(home, "check", str(filled_path), "--json", "--today", TODAY)
    report = json.loads(result.output.splitlines()[0])
    assert result.exit_code == 0, report
    assert [i for i in report["issues"] if i["severity"] == "error"] == []
    filled_path.rename(home / "inbox" / filled_path.name)
    result = invoke(home, "run", "--today", TODAY)
    assert result.exit_code == 0 and "1 accepted" in result.output, result.output
    rows = sql_rows(
        home,
        "select count(*) as n, sum(f.value) as v, count(distinct d.district_code) as units "
        "from fact_indicator_value f join dim_district d using (district_key)",
    )[0]
    assert rows["n"] == len(filled)
    assert rows["v"] == pytest.approx(sum(filled.values()))
    assert rows["units"] == 130  # the 129 communes and wards, and Cấp tỉnh


def test_template_filled_by_openpyxl_passes_check_and_loads(home):
    path = template_2026(home)
    wb = openpyxl.load_workbook(path)
    filled = fill(wb["Chỉ tiêu"])
    wb.save(home.parent / "filled.xlsx")  # SUMs saved without cached values
    _check_and_run(home, home.parent / "filled.xlsx", filled)


@pytest.mark.slow
def test_template_filled_and_saved_by_libreoffice_passes_check_and_loads(home, tmp_path):
    import subprocess

    require_libreoffice()
    path = template_2026(home)
    wb = openpyxl.load_workbook(path)
    filled = fill(wb["Chỉ tiêu"])
    wb.save(tmp_path / "filled.xlsx")
    out = tmp_path / "lo"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
         "--convert-to", "xlsx", "--outdir", str(out), str(tmp_path / "filled.xlsx")],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    saved = out / "filled.xlsx"
    ws = openpyxl.load_workbook(saved, data_only=True)["Chỉ tiêu"]
    _, _, total = unit_rows(ws)
    assert isinstance(ws.cell(total, 4).value, int | float)  # LibreOffice cached the SUM
    _check_and_run(home, saved, filled)


def test_unit_that_cannot_be_converted_is_unit_mismatch_at_its_header_cell(tmp_path):
    header = ["STT", "Đơn vị hành chính", "ASXH_QUA", "ASXH_QUA_GIA_TRI"]
    units = [None, None, "suất", "lượt người"]  # a unit, but not one of money
    rows = [[1, "Xã Gia Viễn", 40, 20], [None, "Tổng cộng", 40, 20]]
    _, problems = checked(save(tmp_path, long_sheet(rows, header=header, extra_header=[units])))
    assert found(problems, "unit_mismatch") == [(ERROR, "D6")]
