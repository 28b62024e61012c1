"""Reading submission workbooks: real .xlsx files written with openpyxl in tmp_path."""

import io
import os
import re
import struct
import time
import unicodedata
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference.catalog import load_catalog
from reference.model import ParsedWorkbook
from tests.helpers import patch_zip
from workbooks.reading.limits import UnreadableFile, inspect_file
from workbooks.reading.reader import read_workbook

TODAY = date(2026, 2, 1)
CATALOG = load_catalog()

DISTRICTS = ["Gia Viễn", "Hoa Lư", "TP Ninh Bình"]  # columns E, F, G
CODES = {"Gia Viễn": "373", "Hoa Lư": "374", "TP Ninh Bình": "369"}
PROVINCE = CATALOG.province_member().code
HEADER = ["STT", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", *DISTRICTS, "Cấp tỉnh",
          "Tổng cộng", "Ghi chú"]  # fmt: skip
META = [
    ["Đơn vị báo cáo:", None, "Ban Dân vận Tỉnh ủy"],
    ["Kỳ báo cáo:", None, "6 tháng đầu năm 2019"],
    ["Ngày báo cáo:", None, "20/06/2019"],
    ["Email:", None, "bdv@example.vn"],
]
ROW_A = [1, "TT_HOI_NGHI", "Hội nghị quán triệt", "hội nghị", 3, 4, 5, 1, 13, "đủ"]
ROW_B = [2, "TT_LUOT_NGUOI", "Lượt người dự", "lượt người", "45.000", None, "1.234", "-", None]


# --- building workbooks --------------------------------------------------------------


def save(path: Path, sheets: list[tuple[str, list[list], list[str]]]) -> Path:
    """Write sheets given as (title, rows from A1, merged ranges)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows, merges in sheets:
        ws = wb.create_sheet(title)
        for r, row in enumerate(rows, 1):
            for c, value in enumerate(row, 1):
                if value is not None:
                    ws.cell(r, c, value)
        for merged in merges:
            ws.merge_cells(merged)
    wb.save(path)
    return path


def indicator_rows(data=(ROW_A, ROW_B), meta=META, header=HEADER, title=True) -> list[list]:
    """Title, blank, metadata from row 3, blank, header (row 8 with 4 metadata rows), data."""
    rows = [["BÁO CÁO KẾT QUẢ THỰC HIỆN CHƯƠNG TRÌNH PHỐI HỢP"] if title else [], []]
    rows += [list(m) for m in meta] + [[]]
    rows += [list(header), ["I", None, "Công tác tuyên truyền"]]
    rows += [list(d) for d in data]
    return rows


def book(tmp_path: Path, rows=None, name="bc.xlsx", sheet="Biểu 01", extra=()) -> Path:
    sheets = [*extra, (sheet, indicator_rows() if rows is None else rows, [])]
    return save(tmp_path / name, sheets)


def read(path: Path, today: date = TODAY) -> ParsedWorkbook:
    return read_workbook(path, CATALOG, today)


def values(result: ParsedWorkbook) -> dict[tuple, dict]:
    """Value rows as dicts keyed by (indicator, role, district)."""
    out = {}
    for row in result.values:
        rec = row._asdict()
        out[(rec["indicator_code"], rec["role"], rec["district_code"])] = rec
    return out


def rules(result: ParsedWorkbook) -> list[tuple]:
    return [(p.rule, p.cell) for p in result.problems]


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# --- layout, metadata, values --------------------------------------------------------


def test_one_row_header_reads_metadata_and_values(tmp_path):
    result = read(book(tmp_path))
    assert result.problems == []
    assert result.file_name == "bc.xlsx"
    assert (result.agency_code, result.period_code) == ("BDV", "2019S1")
    assert result.report_date == date(2019, 6, 20)
    assert result.email == "bdv@example.vn"
    v = values(result)
    gia_vien = v[("TT_HOI_NGHI", "district", "373")]
    assert gia_vien == {
        "sheet": "Biểu 01", "cell": "E10", "row": 10, "indicator_code": "TT_HOI_NGHI",
        "indicator_name": "Hội nghị quán triệt", "role": "district", "district_code": "373",
        "raw": 3.0, "value": 3.0, "parse_rule": None, "unit": "hội nghị", "note": "đủ",
    }  # fmt: skip
    assert v[("TT_HOI_NGHI", "province", PROVINCE)]["cell"] == "H10"
    assert v[("TT_HOI_NGHI", "total", None)]["value"] == 13.0
    assert v[("TT_HOI_NGHI", "district", "369")]["value"] == 5.0
    assert type(gia_vien["value"]) is float and type(gia_vien["raw"]) is float
    # Row B: text numbers, "-" as zero, empty cells not stored, empty total still emitted.
    assert v[("TT_LUOT_NGUOI", "district", "373")]["value"] == 45000.0
    assert v[("TT_LUOT_NGUOI", "district", "373")]["raw"] == "45.000"
    assert ("TT_LUOT_NGUOI", "district", "374") not in v
    assert v[("TT_LUOT_NGUOI", "district", "369")]["value"] == 1234.0
    assert v[("TT_LUOT_NGUOI", "province", PROVINCE)]["value"] == 0.0
    total_b = v[("TT_LUOT_NGUOI", "total", None)]
    assert (total_b["cell"], total_b["raw"], total_b["value"]) == ("I11", None, None)
    assert len(result.values) == 5 + 4  # the section row "I" gave nothing


def two_row_sheet(merged: bool = True) -> tuple[list[list], list[str]]:
    top = ["STT", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Chia theo huyện, thành phố",
           None, None, "Cấp tỉnh", "Tổng cộng", "Ghi chú"]  # fmt: skip
    below = [None, None, None, None, *DISTRICTS]
    rows = [["BÁO CÁO"], [], *META, [], top, below, ["I", None, "Tuyên truyền"], ROW_A, ROW_B]
    merges = ["A8:A9", "B8:B9", "C8:C9", "D8:D9", "E8:G8", "H8:H9", "I8:I9", "J8:J9"]
    return rows, merges if merged else []


@pytest.mark.parametrize("merged", [True, False])
def test_two_row_header_with_and_without_merges(tmp_path, merged):
    rows, merges = two_row_sheet(merged)
    result = read(save(tmp_path / "b.xlsx", [("Sheet1", rows, merges)]))
    assert result.problems == []
    v = values(result)
    assert v[("TT_HOI_NGHI", "district", "373")]["cell"] == "E11"
    assert v[("TT_HOI_NGHI", "district", "374")]["value"] == 4.0
    assert v[("TT_HOI_NGHI", "district", "369")]["value"] == 5.0
    assert v[("TT_HOI_NGHI", "province", PROVINCE)]["value"] == 1.0
    assert v[("TT_HOI_NGHI", "total", None)]["cell"] == "I11"
    assert v[("TT_LUOT_NGUOI", "district", "373")]["row"] == 12
    assert {r[3] for r in result.values} == {"TT_HOI_NGHI", "TT_LUOT_NGUOI"}


def test_tolerant_headers_agency_and_district_names(tmp_path):
    header = [nfd("STT"), nfd("Mã chỉ tiêu"), "Noi dung", "ĐVT", "Huyện Gia Vien",
              nfd("H. Hoa Lư"), "THÀNH PHỐ  NINH\nBÌNH", "cap tinh", "TỔNG SỐ", "Ghi chu:",
              nfd("Kim Sơn"), "TP. Tam Điệp", "YÊN MÔ"]  # fmt: skip
    meta = [
        [nfd("ĐƠN VỊ BÁO CÁO"), "UỶ BAN MẶT TRẬN TỔ QUỐC VIỆT NAM TỈNH"],  # old tone placement
        ["Ky bao cao", nfd("Quý II/2019")],
    ]
    data = [[1, " tt_hoi_nghi ", "Hội nghị", "Hội Nghị", 1, 2, 3, 4, 10, None, 6, 7, 8]]
    result = read(book(tmp_path, indicator_rows(data, meta, header)))
    assert result.problems == []
    assert (result.agency_code, result.period_code) == ("MTTQ", "2019Q2")
    v = values(result)
    assert {k[2] for k in v if k[1] == "district"} == {"373", "374", "369", "376", "370", "377"}
    assert v[("TT_HOI_NGHI", "district", "376")]["value"] == 6.0
    assert v[("TT_HOI_NGHI", "total", None)]["value"] == 10.0
    assert v[("TT_HOI_NGHI", "district", "369")]["indicator_name"] == "Hội nghị"


def test_new_tone_placement_matches_old_in_agency(tmp_path):
    meta = [["Đơn vị báo cáo", "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh"], META[1]]
    assert read(book(tmp_path, indicator_rows(meta=meta))).agency_code == "MTTQ"


def test_metadata_in_one_cell_and_after_empty_cells(tmp_path):
    meta = [
        ["CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
        [None, "Đơn vị báo cáo: Bộ CHQS tỉnh"],
        ["Kỳ báo cáo", None, None, None, "Năm 2019"],
        ["Ngày báo cáo:  ngày 20 tháng 12 năm 2019"],
        ["E-mail", "a@b.vn"],
    ]
    result = read(book(tmp_path, indicator_rows(meta=meta)))
    assert result.problems == []
    assert (result.agency_code, result.period_code) == ("BCHQS", "2019")
    assert result.report_date == date(2019, 12, 20)
    assert result.email == "a@b.vn"


def test_report_date_as_excel_date(tmp_path):
    meta = [*META[:2], ["Ngày báo cáo", datetime(2019, 7, 2)]]
    assert read(book(tmp_path, indicator_rows(meta=meta))).report_date == date(2019, 7, 2)


@pytest.mark.parametrize(
    ("phrase", "code"),
    [
        ("Tháng 5/2019", "201905"),
        ("tháng 05 năm 2019", "201905"),
        ("Quý II/2019", "2019Q2"),
        ("Quý 2 năm 2019", "2019Q2"),
        ("quý II năm 2019", "2019Q2"),
        ("6 tháng đầu năm 2019", "2019S1"),
        ("6 tháng năm 2019", "2019S1"),
        ("6 tháng cuối năm 2019", "2019S2"),
        ("Năm 2019", "2019"),
        ("Giai đoạn 2016-2021", "2016-2021"),
        ("giai đoạn 2016 - 2021", "2016-2021"),
        ("THANG 5/2019", "201905"),
        (nfd("Quý IV / 2019"), "2019Q4"),
        ("06 tháng cuối năm 2019", "2019S2"),
        ("Sơ kết 6 tháng đầu năm 2019", "2019S1"),
        ("6 tháng đầu năm 2019.", "2019S1"),
        ("Quý 02/2019", "2019Q2"),
        ("Báo cáo tổng kết năm 2019.", "2019"),
    ],
)
def test_period_phrases(tmp_path, phrase, code):
    meta = [META[0], ["Kỳ báo cáo:", phrase]]
    result = read(book(tmp_path, indicator_rows(meta=meta)))
    assert result.period_code == code
    assert not result.problems


def test_bad_period_quotes_phrase_and_lists_forms(tmp_path):
    meta = [META[0], ["Kỳ báo cáo:", None, "nửa đầu 2019"]]
    result = read(book(tmp_path, indicator_rows(meta=meta)))
    assert rules(result) == [("bad_period", "C4")]
    message = result.problems[0].message
    assert "“nửa đầu 2019”" in message and "6 tháng đầu năm 2019" in message
    assert "Giai đoạn 2016-2021" in message and "Quý II/2019" in message
    assert result.period_code is None


def test_period_not_ended_is_bad_period(tmp_path):
    path = book(tmp_path)  # 6 tháng đầu năm 2019 ends 2019-06-30
    assert rules(read(path, date(2019, 6, 30))) == [("bad_period", "C4")]
    assert "chưa kết thúc" in read(path, date(2019, 6, 1)).problems[0].message
    assert read(path, date(2019, 7, 1)).problems == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Hội Nông dân tỉnh Ninh Bình", "HND"),
        ("Hội Nông dân Ninh Bình", "HND"),
        ("Hội Cựu chiến binh tỉnh Ninh Bình", "HCCB"),
        ("Liên đoàn Lao động tỉnh Ninh Bình.", "LDLD"),
        ("Bộ Chỉ huy Quân sự tỉnh Ninh Bình", "BCHQS"),
    ],
)
def test_official_agency_names_with_the_province_suffix(tmp_path, text, code):
    meta = [["Đơn vị báo cáo:", None, text], META[1]]
    result = read(book(tmp_path, indicator_rows(meta=meta)))
    assert (result.agency_code, result.problems) == (code, [])


def test_unknown_agency_suggests_the_closest_agency_or_lists_them(tmp_path):
    meta = [["Đơn vị báo cáo:", None, "Hội Nông dâm tỉnh"], META[1]]
    result = read(book(tmp_path, indicator_rows(meta=meta)))
    assert rules(result) == [("unknown_agency", "C3")]
    assert "Có phải là “Hội Nông dân tỉnh”?" in result.problems[0].message
    assert "Ban Dân vận Tỉnh ủy" not in result.problems[0].message
    meta = [["Đơn vị báo cáo:", None, "Sở Hư Cấu"], META[1]]
    message = read(book(tmp_path, indicator_rows(meta=meta), name="b.xlsx")).problems[0].message
    assert "Hội Nông dân tỉnh (HND)" in message and "Tỉnh đoàn (TD)" in message


def test_missing_and_unknown_agency_and_period(tmp_path):
    result = read(book(tmp_path, indicator_rows(meta=[["Ghi chú", "x"]])))
    assert sorted(rules(result)) == [("missing_agency", None), ("missing_period", None)]
    meta = [["Đơn vị báo cáo:", None, "Sở Hư Cấu"], ["Kỳ báo cáo:"]]
    result = read(book(tmp_path, indicator_rows(meta=meta), name="b.xlsx"))
    assert sorted(rules(result)) == [("missing_period", "A4"), ("unknown_agency", "C3")]
    unknown = next(p for p in result.problems if p.rule == "unknown_agency")
    assert "“Sở Hư Cấu”" in unknown.message and unknown.sheet == "Biểu 01"
    assert all(p.severity == "error" for p in result.problems)


# --- cell values -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "rule"),
    [
        ("45.000", 45000.0, None),
        ("1.234.567", 1234567.0, None),
        ("45 000", 45000.0, None),
        ("2,5", 2.5, None),
        ("7.150,5", 7150.5, None),
        ("-", 0.0, None),
        ("–", 0.0, None),
        ("1.5", None, "ambiguous_number"),
        ("1,600", None, "ambiguous_number"),
        ("0,125", 0.125, None),
        ("1234,567", 1234.567, None),
        ("12.34", None, "ambiguous_number"),
        ("abc", None, "not_a_number"),
        ("khoảng 50", None, "not_a_number"),
        (">100", None, "not_a_number"),
    ],
)
def test_vietnamese_number_text(tmp_path, text, value, rule):
    row = [1, "TT_HOI_NGHI", "Hội nghị", None, text, 2, None, None, 3]
    result = read(book(tmp_path, indicator_rows([row])))
    cell = values(result)[("TT_HOI_NGHI", "district", "373")]
    assert (cell["raw"], cell["value"], cell["parse_rule"]) == (text, value, rule)
    assert result.problems == []  # parse rules become problems in validation, not here


def test_whitespace_only_cell_is_not_reported(tmp_path):
    row = [1, "TT_HOI_NGHI", None, None, "  ", 2, None, None, 2]
    v = values(read(book(tmp_path, indicator_rows([row]))))
    assert ("TT_HOI_NGHI", "district", "373") not in v
    assert ("TT_HOI_NGHI", "district", "374") in v


def test_uncached_plain_sum_is_computed_from_its_range(tmp_path):
    rows = indicator_rows([[1, "TT_HOI_NGHI", None, None, "1.000", 2, "-", 3, "=SUM(E10:H10)"],
                           [2, "TT_LUOT_NGUOI", None, None, None, None, None, None,
                            "=sum($E$11:H11)"]])  # fmt: skip
    v = values(read(book(tmp_path, rows)))
    total = v[("TT_HOI_NGHI", "total", None)]
    assert (total["raw"], total["value"], total["parse_rule"]) == ("=SUM(E10:H10)", 1005.0, None)
    assert v[("TT_LUOT_NGUOI", "total", None)]["value"] == 0.0


def test_uncached_other_formula_is_formula_without_value(tmp_path):
    rows = indicator_rows([[1, "TT_HOI_NGHI", None, None, 1, "=E10*2", None, None,
                            "=E10+F10"]])  # fmt: skip
    result = read(book(tmp_path, rows))
    v = values(result)
    district = v[("TT_HOI_NGHI", "district", "374")]
    assert (district["raw"], district["value"]) == ("=E10*2", None)
    assert district["parse_rule"] == "formula_without_value"
    assert v[("TT_HOI_NGHI", "total", None)]["parse_rule"] == "formula_without_value"
    assert result.problems == []


def test_cached_formula_value_is_used(tmp_path):
    rows = indicator_rows([[1, "TT_HOI_NGHI", None, None, 1, 2, None, None, "=E10*100"],
                           [2, "TT_LUOT_NGUOI", None, None, 5, None, None, None,
                            "=SUM(E11:H11)"]])  # fmt: skip
    path = book(tmp_path, rows)

    def cache(xml: str) -> str:
        # What Excel writes after computing: the formula plus its cached value.
        xml = xml.replace("<f>E10*100</f><v />", "<f>E10*100</f><v>77</v>")
        return xml.replace("<f>SUM(E11:H11)</f><v />", "<f>SUM(E11:H11)</f><v>99</v>")

    patch_zip(path, "xl/worksheets/sheet1.xml", cache)
    v = values(read(path))
    total = v[("TT_HOI_NGHI", "total", None)]
    assert (total["value"], total["parse_rule"]) == (77.0, None)
    assert v[("TT_LUOT_NGUOI", "total", None)]["value"] == 99.0  # cached, not recomputed


def test_shared_sum_formula_without_cache_is_shifted_and_computed(tmp_path):
    rows = indicator_rows([[1, "TT_HOI_NGHI", None, None, 1, 2, None, None, "=SUM(E10:H10)"],
                           [2, "TT_LUOT_NGUOI", None, None, 5, 6, 7, None,
                            "=SUM(E11:H11)"]])  # fmt: skip
    path = book(tmp_path, rows)

    def share(xml: str) -> str:
        xml = xml.replace(
            "<f>SUM(E10:H10)</f>", '<f t="shared" ref="I10:I11" si="0">SUM(E10:H10)</f>'
        )
        return xml.replace("<f>SUM(E11:H11)</f>", '<f t="shared" si="0"/>')

    patch_zip(path, "xl/worksheets/sheet1.xml", share)
    v = values(read(path))
    assert v[("TT_HOI_NGHI", "total", None)]["value"] == 3.0
    assert v[("TT_LUOT_NGUOI", "total", None)]["value"] == 18.0


def test_money_units_are_converted(tmp_path):
    rows = indicator_rows([
        [1, "ASXH_NHA_KINH_PHI", None, "tỷ đồng", "2,5", 1, None, None, "3,5"],
        [2, "ASXH_QUA_GIA_TRI", None, "nghìn đồng", "45.000", None, None, None, 45000],
        [3, "ASXH_NHA", None, "căn", 4, None, None, None, 4],
    ])  # fmt: skip
    result = read(book(tmp_path, rows))
    assert result.problems == []
    v = values(result)
    assert v[("ASXH_NHA_KINH_PHI", "district", "373")]["value"] == 2500.0
    assert v[("ASXH_NHA_KINH_PHI", "district", "373")]["raw"] == "2,5"
    assert v[("ASXH_NHA_KINH_PHI", "district", "374")]["value"] == 1000.0
    assert v[("ASXH_NHA_KINH_PHI", "total", None)]["value"] == 3500.0
    assert v[("ASXH_QUA_GIA_TRI", "total", None)]["value"] == 45.0
    assert v[("ASXH_NHA", "total", None)]["value"] == 4.0


def test_unit_mismatch_at_unit_cell_and_values_unconverted(tmp_path):
    rows = indicator_rows([
        [1, "ASXH_NHA_KINH_PHI", None, "USD", 2, None, None, None, 2],
        [2, "KHONG_CO", None, "tỷ đồng", 2, None, None, None, 2],
    ])  # fmt: skip
    result = read(book(tmp_path, rows))
    assert rules(result) == [("unit_mismatch", "D10")]
    problem = result.problems[0]
    assert problem.indicator_code == "ASXH_NHA_KINH_PHI" and "“USD”" in problem.message
    assert "triệu đồng" in problem.message
    v = values(result)
    assert v[("ASXH_NHA_KINH_PHI", "district", "373")]["value"] == 2.0
    assert v[("KHONG_CO", "district", "373")]["value"] == 2.0  # not in catalogue: factor 1


# --- table boundaries and sheets ----------------------------------------------------------


@pytest.mark.parametrize(
    "footer",
    ["Người lập biểu", "THỦ TRƯỞNG ĐƠN VỊ", "Ghi chú: số liệu ước tính", "Nơi nhận:",
     "Ninh Bình, ngày 20 tháng 6 năm 2019"],
)  # fmt: skip
def test_blank_rows_inside_table_and_footer_end_it(tmp_path, footer):
    after_footer = [3, "QP_NHAP_NGU", None, None, 9, 9, 9, 9, 36]
    rows = indicator_rows(
        [ROW_A, [], [], ["II", None, "Quốc phòng"], ROW_B, [], [None, footer], after_footer]
    )
    codes = {r[3] for r in read(book(tmp_path, rows)).values}
    assert codes == {"TT_HOI_NGHI", "TT_LUOT_NGUOI"}


def test_instructions_sheet_ignored_and_sheet_names_meaningless(tmp_path):
    instructions = [["HƯỚNG DẪN"], ["Mã chỉ tiêu", "Ghi đúng mã theo danh mục"], ["Tổng"]]
    tasks = task_rows([["1", "Tuyên truyền", "Chung", "Hoàn thành"]])
    path = save(tmp_path / "x.xlsx", [("Hướng dẫn", instructions, []),
                                      ("Nhập liệu", tasks, []),
                                      ("Sheet3", indicator_rows(), [])])  # fmt: skip
    result = read(path)
    assert result.problems == []
    assert {r[0] for r in result.values} == {"Sheet3"}
    assert len(result.values) == 9
    assert [t.task_name for t in result.tasks] == ["Tuyên truyền"]


def test_title_rows_are_ignored_and_header_found_lower(tmp_path):
    rows = [["UBND TỈNH NINH BÌNH"], ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"], ["Độc lập"],
            *indicator_rows()]  # fmt: skip
    result = read(book(tmp_path, rows))
    assert result.problems == []
    assert values(result)[("TT_HOI_NGHI", "total", None)]["cell"] == "I13"


def test_missing_indicator_sheet(tmp_path):
    path = save(tmp_path / "x.xlsx", [("A", [["Báo cáo"], ["STT", "Chỉ tiêu", "Tổng"]], [])])
    result = read(path)
    assert rules(result) == [("missing_indicator_sheet", None)]
    assert "Mã chỉ tiêu" in result.problems[0].message


def test_missing_total_and_district_columns(tmp_path):
    header = ["STT", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Ghi chú"]
    result = read(book(tmp_path, indicator_rows([[1, "TT_HOI_NGHI"]], header=header)))
    assert rules(result) == [("missing_column", "A8"), ("missing_column", "A8")]
    messages = " ".join(p.message for p in result.problems)
    assert "Tổng cộng" in messages and "huyện, thành phố" in messages


def test_unknown_district_column_at_its_header_cell(tmp_path):
    header = [*HEADER[:4], "Gia Viễn", "Huyện Hoa Mai", "TP Ninh Bình", *HEADER[7:]]
    result = read(book(tmp_path, indicator_rows(header=header)))
    assert rules(result) == [("unknown_district", "F8")]
    assert "“Huyện Hoa Mai”" in result.problems[0].message
    assert all(r[1][0] != "F" for r in result.values)


def test_district_that_did_not_exist_in_the_period(tmp_path):
    rows, merges = two_row_sheet()
    rows[2:6] = [META[0], ["Kỳ báo cáo", None, "Quý I/2025"], [], []]
    path = save(tmp_path / "x.xlsx", [("S", rows, merges)])
    result = read(path)
    assert rules(result) == [("unknown_district", "G9")]
    assert "sáp nhập vào thành phố Hoa Lư" in result.problems[0].message
    v = values(result)
    assert ("TT_HOI_NGHI", "district", "374") in v and ("TT_HOI_NGHI", "district", "373") in v


# --- task sheet ---------------------------------------------------------------------------


def task_rows(data: list[list]) -> list[list]:
    header = ["STT", "Nhiệm vụ", "Loại", "Kết quả", "Đơn vị chủ trì", "Thời hạn", "Ghi chú"]
    return [["DANH MỤC NHIỆM VỤ"], [], header, *data]


def test_task_sheet(tmp_path):
    tasks = task_rows([
        ["I", "NHIỆM VỤ CHUNG"],
        ["1", "Tuyên truyền chương trình", "Chung", "Hoàn thành", None, datetime(2019, 6, 1)],
        [],
        ["2", "Diễn tập", nfd("đăng ký"), "dang thuc hien", "Bộ CHQS tỉnh", "30/06/2019",
         "phối hợp"],
        ["3", "Xây nhà", "CHUNG", "Chưa thực hiện", None, "Thường xuyên"],
        ["4"],
        [None, "Người lập biểu"],
        ["5", "Sau chân trang", "Chung", "Hoàn thành"],
    ])  # fmt: skip
    path = save(tmp_path / "t.xlsx", [("Chỉ tiêu", indicator_rows(), []), ("NV", tasks, [])])
    result = read(path)
    assert result.problems == []
    got = [t._asdict() for t in result.tasks]
    assert [t["task_no"] for t in got] == [1, 2, 3]
    assert got[0] == {
        "sheet": "NV", "cell": "B5", "row": 5, "task_no": 1,
        "task_name": "Tuyên truyền chương trình", "task_kind": "chung", "status": "hoan_thanh",
        "lead_agency_code": "BDV", "deadline": date(2019, 6, 1), "note": None,
    }  # fmt: skip
    assert (got[1]["task_kind"], got[1]["status"]) == ("dang_ky", "dang_thuc_hien")
    assert (got[1]["lead_agency_code"], got[1]["deadline"]) == ("BCHQS", date(2019, 6, 30))
    assert got[1]["note"] == "phối hợp" and got[1]["row"] == 7
    assert got[2]["status"] == "chua_thuc_hien" and got[2]["deadline"] is None
    assert "Thường xuyên" in got[2]["note"]


def test_bad_task_rows_at_their_cells(tmp_path):
    tasks = task_rows([
        ["1", "Nhiệm vụ tốt", "Chung", "Hoàn thành"],
        ["2", "Loại lạ", "Khác", "Hoàn thành"],
        ["3", "Kết quả lạ", "Chung", "Xong rồi"],
        ["4", None, "Chung", "Hoàn thành"],
        ["5", "Chủ trì lạ", "Chung", "Hoàn thành", "Sở Hư Cấu"],
        ["6", "Thiếu loại", None, "Hoàn thành"],
        ["7", "Nhiệm vụ tốt 2", "Đăng ký", "Hoàn thành"],
    ])  # fmt: skip
    path = save(tmp_path / "t.xlsx", [("A", indicator_rows(), []), ("B", tasks, [])])
    result = read(path)
    assert rules(result) == [("bad_task_row", "C5"), ("bad_task_row", "D6"),
                             ("bad_task_row", "B7"), ("bad_task_row", "E8"),
                             ("bad_task_row", "C9")]  # fmt: skip
    assert all(p.sheet == "B" for p in result.problems)
    assert "“Khác”" in result.problems[0].message and "Đăng ký" in result.problems[0].message
    assert [(t.task_no, t.task_name) for t in result.tasks] == [
        (1, "Nhiệm vụ tốt"),
        (2, "Nhiệm vụ tốt 2"),
    ]


# --- hostile files ------------------------------------------------------------------------


def refused(path: Path, *words: str) -> ParsedWorkbook:
    start = time.perf_counter()
    result = read(path)
    assert time.perf_counter() - start < 3
    assert [(p.rule, p.severity) for p in result.problems] == [("unreadable_file", "error")]
    assert result.values == [] and result.tasks == []
    for word in words:
        assert word in result.problems[0].message
    return result


def test_garbage_empty_and_truncated_files(tmp_path):
    (tmp_path / "g.xlsx").write_bytes(os.urandom(5000))
    refused(tmp_path / "g.xlsx", "không phải")
    (tmp_path / "e.xlsx").write_bytes(b"")
    refused(tmp_path / "e.xlsx", "rỗng")
    good = book(tmp_path).read_bytes()
    (tmp_path / "t.xlsx").write_bytes(good[: len(good) // 2])
    refused(tmp_path / "t.xlsx", "hỏng")
    (tmp_path / "pk.xlsx").write_bytes(b"PK\x03\x04" + b"\0" * 100)
    refused(tmp_path / "pk.xlsx")
    (tmp_path / "missing.xlsx").unlink(missing_ok=True)
    refused(tmp_path / "missing.xlsx")


def test_zip_that_is_not_a_workbook(tmp_path):
    with zipfile.ZipFile(tmp_path / "d.xlsx", "w") as z:
        z.writestr("word/document.xml", "<w/>")
    refused(tmp_path / "d.xlsx", "Excel")


def test_encrypted_workbook(tmp_path):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000
    ole += "EncryptedPackage".encode("utf-16-le") + b"\0" * 1000
    (tmp_path / "p.xlsx").write_bytes(ole)
    refused(tmp_path / "p.xlsx", "mật khẩu")


def test_file_over_size_limit_is_not_read(tmp_path):
    path = tmp_path / "big.xlsx"
    with open(path, "wb") as handle:  # sparse: no real disk use
        handle.truncate(25 * 1024 * 1024)
    refused(path, "quá lớn")


def add_member(path: Path, name: str, megabytes: int) -> None:
    """Append a member of zeros, streamed, so the test itself stays small in memory."""
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z, z.open(name, "w") as handle:
        chunk = b"\0" * (1024 * 1024)
        for _ in range(megabytes):
            handle.write(chunk)


def test_zip_bomb_is_refused_before_parsing(tmp_path):
    path = book(tmp_path)
    add_member(path, "xl/media/image1.png", 60)
    assert path.stat().st_size < 1024 * 1024
    refused(path, "giải nén")


def test_zip_bomb_with_lying_central_directory(tmp_path):
    path = book(tmp_path)
    add_member(path, "xl/media/image1.png", 30)
    data = bytearray(path.read_bytes())
    # Claim the big member is 1,000 bytes in the central directory.
    name = b"xl/media/image1.png"
    pos = data.rfind(b"PK\x01\x02" + bytes(0), 0, data.rfind(name))
    assert data[pos + 46 : pos + 46 + len(name)] == name
    data[pos + 24 : pos + 28] = struct.pack("<I", 1000)
    path.write_bytes(bytes(data))
    refused(path, "hỏng")  # the real content overruns the declared size: CRC/length check


def _central_entry(data: bytearray, name: str) -> int:
    """Where the central directory's entry of member ``name`` starts."""
    encoded = name.encode()
    pos = data.find(b"PK\x01\x02")
    while data[pos + 46 : pos + 46 + len(encoded)] != encoded:
        pos = data.find(b"PK\x01\x02", pos + 4)
        assert pos >= 0, name
    return pos


SHEET_PART = "xl/worksheets/sheet1.xml"


@pytest.mark.parametrize(
    ("field", "words"),
    [
        ("size", ("giải nén", SHEET_PART)),  # a declared size the content outgrows
        ("crc", ("hỏng",)),
        ("local name", ("hỏng",)),  # the local header names another member
    ],
)
def test_a_parsed_member_that_lies_about_itself_is_refused(tmp_path, field, words):
    path = book(tmp_path)
    data = bytearray(path.read_bytes())
    entry = _central_entry(data, SHEET_PART)
    compressed, size = struct.unpack_from("<II", data, entry + 20)
    if field == "size":  # still passes the central directory's own checks
        data[entry + 24 : entry + 28] = struct.pack("<I", max(compressed, size // 2))
    elif field == "crc":
        data[entry + 16 : entry + 20] = struct.pack(
            "<I", struct.unpack_from("<I", data, entry + 16)[0] ^ 1
        )
    else:
        local = struct.unpack_from("<I", data, entry + 42)[0]
        data[local + 30 + len(SHEET_PART) - 5] ^= 0x20  # "sheet1" -> "sheEt1"
    with pytest.raises(UnreadableFile) as refusal:  # by the guards, before any parser
        inspect_file(bytes(data))
    assert all(word in str(refusal.value) for word in words)
    path.write_bytes(bytes(data))
    refused(path, *words)


def test_a_workbook_stored_without_compression_is_read(tmp_path):
    path = book(tmp_path)
    stored = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as out:
        for info in source.infolist():
            out.writestr(info.filename, source.read(info))
    assert values(read(stored)) == values(read(path)) != {}


def test_sheet_with_a_million_rows_declared(tmp_path):
    path = book(tmp_path)
    patch_zip(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:J1000000"', xml),
    )
    refused(path, "quá nhiều dòng")


def test_sheet_with_a_cell_in_row_one_million(tmp_path):
    rows = indicator_rows()
    path = book(tmp_path, rows)
    wb = openpyxl.load_workbook(path)
    wb.active.cell(1_000_000, 1, "x")
    wb.save(path)
    patch_zip(  # hide it from <dimension>, as a hostile file would
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:J11"', xml),
    )
    refused(path, "quá nhiều dòng")


@pytest.mark.slow
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8))
def test_corrupted_bytes_never_raise(tmp_path, flips):
    data = bytearray(GOOD_BYTES)
    for pos, byte in flips:
        data[pos % len(data)] = byte
    path = tmp_path / "c.xlsx"
    path.write_bytes(bytes(data))
    result = read(path)
    assert isinstance(result, ParsedWorkbook)
    if any(p.rule == "unreadable_file" for p in result.problems):
        assert len(result.problems) == 1


def _good_bytes() -> bytes:
    buffer = io.BytesIO()
    wb = openpyxl.Workbook()
    for r, row in enumerate(indicator_rows(), 1):
        for c, value in enumerate(row, 1):
            if value is not None:
                wb.active.cell(r, c, value)
    wb.save(buffer)
    return buffer.getvalue()


GOOD_BYTES = _good_bytes()


def test_task_sheet_missing_result_column(tmp_path):
    tasks = [["STT", "Nhiệm vụ", "Kết quả thực hiện", "Ghi chú"], ["1", "Việc", "Hoàn thành"]]
    path = save(tmp_path / "t.xlsx", [("A", indicator_rows(), []), ("B", tasks, [])])
    result = read(path)
    assert rules(result) == [("missing_column", "A1")]
    assert "“Loại”" in result.problems[0].message and result.tasks == []


@pytest.mark.parametrize("total_header", ["Tổng cộng", "Tổng số", "Toàn tỉnh", "Tổng", "TONG"])
def test_total_header_synonyms(tmp_path, total_header):
    header = [*HEADER[:8], total_header, HEADER[9]]
    v = values(read(book(tmp_path, indicator_rows(header=header))))
    assert v[("TT_HOI_NGHI", "total", None)]["value"] == 13.0
