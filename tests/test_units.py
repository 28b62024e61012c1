"""The communes and wards of the merged Ninh Bình: shipped data, catalogue look-ups."""

import csv
import subprocess
import sys
from datetime import date

import openpyxl
import pytest

from reference import load_catalog
from reference.catalog import DEFAULT_DIR
from reference.periods import parse_period
from tests.factories import indicator_row, make_submission
from tests.helpers import TODAY
from workbooks.reading.reader import read_workbook

CATALOG = load_catalog()
H2019, H2025, H2025S2, H2026 = (parse_period(p) for p in ("2019S1", "2025S1", "2025S2", "2026S1"))
TODAY_DATE = date.fromisoformat(TODAY)


def _csv(name: str) -> list[dict[str, str]]:
    with open(DEFAULT_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_new_province_has_129_communes_and_wards_from_july_2025():
    units = CATALOG.districts_for(H2025S2)
    assert len(units) == 129 == len(CATALOG.districts_for(H2026))
    assert {u.district_type for u in units} == {"xã", "phường"}
    assert {u.unit_level for u in units} == {"commune"}
    assert {u.valid_from.isoformat() for u in units} == {"2025-07-01"}
    assert len({u.code for u in units}) == 129
    assert [d.code for d in CATALOG.districts_for(H2025)] == [
        "370", "372", "373", "374", "375", "376", "377"
    ]  # fmt: skip


def test_each_commune_records_its_former_province_and_districts():
    units = CATALOG.districts_for(H2026)
    assert {u.former_province_code for u in units} == {"35", "36", "37"}
    spanning = [u for u in units if u.spans_former_districts]
    assert len(spanning) == 10
    assert all(u.former_district_code is None for u in spanning)
    assert all(len(u.former_district_codes) > 1 for u in spanning)
    assert all(
        u.former_district_code == u.rollup_former_district_code == u.former_district_codes[0]
        for u in units
        if not u.spans_former_districts
    )
    gia_vien = CATALOG.match_district("Xã Gia Viễn", H2026).district
    assert (gia_vien.code, gia_vien.former_district_code, gia_vien.former_province_code) == (
        "14464",
        "373",
        "37",
    )
    tay_hoa_lu = CATALOG.match_district("Phường Tây Hoa Lư", H2026).district
    assert tay_hoa_lu.former_district_codes == ("372", "373", "374")
    assert tay_hoa_lu.rollup_former_district_code == "374"  # gave most of its old communes


def test_the_crosswalk_maps_403_old_communes_onto_the_129_units():
    rows = _csv("unit_crosswalk.csv")
    communes = [r for r in rows if r["old_level"] == "commune"]
    assert len(communes) == 403
    assert len({r["new_code"] for r in communes}) == 129
    assert {r["new_code"] for r in communes} == {u.code for u in CATALOG.districts_for(H2026)}
    districts = {r["old_code"] for r in rows if r["old_level"] == "district"}
    assert len(districts) == 6 + 9 + 7  # Hà Nam, Nam Định, Ninh Bình on 2025-06-30
    khanh_duong = [r for r in communes if r["old_name"] == "Xã Khánh Dương"]
    assert [(r["old_parent_code"], r["new_name"]) for r in khanh_duong] == [("377", "Xã Yên Mô")]


@pytest.mark.parametrize(
    "header",
    ["Xã Gia Viễn", "xa gia vien", "Gia Viễn", "GIA VIEN", "X\u00e3 Gia Vi\u1ec5n", "Xã  Gia Viễn"],
)
def test_a_commune_matches_with_or_without_its_type_and_diacritics(header):
    assert CATALOG.match_district(header, H2026).district.code == "14464"


@pytest.mark.parametrize("header", ["Phường Hoa Lư", "P. Hoa Lư", "Hoà Lư", "phuong hoa lu"])
def test_a_ward_matches_in_old_and_new_tone_placement(header):
    assert CATALOG.match_district(header, H2025S2).district.label == "Phường Hoa Lư"


def test_tone_placement_folds_both_ways():
    nfd_old_style = "Ph\u01b0\u01a1\u0300ng Nguy\u00ea\u0303n U\u0301y"  # decomposed, "Úy"
    ward = CATALOG.match_district(nfd_old_style, H2026).district
    assert ward is not None and ward.name in ("Nguyễn Úy", "Nguyễn Uý")
    old_style, new_style = "Xã Giao Thuỷ", "Xã Giao Thủy"
    assert CATALOG.match_district(new_style, H2026).district.label == old_style  # as GSO lists it
    assert CATALOG.match_district(old_style, H2026).district.label == old_style


def test_a_district_prefix_does_not_match_the_commune_of_the_same_name():
    assert CATALOG.match_district("Huyện Gia Viễn", H2026).district is None
    assert CATALOG.match_district("Xã Gia Viễn", H2025).district is None
    assert CATALOG.match_district("Huyện Gia Viễn", H2025).district.code == "373"


def test_the_existing_district_matching_keeps_working():
    assert CATALOG.match_district("TP. Ninh Bình", H2019).district.code == "369"
    assert CATALOG.match_district("H.Gia Viễn", H2019).district.code == "373"
    assert CATALOG.match_district("Gia Viễn", None).district.code == "373"
    merged = CATALOG.match_district("TP Ninh Bình", H2025).reason_vi
    assert merged == "sáp nhập vào thành phố Hoa Lư từ ngày 01/01/2025"
    assert CATALOG.match_district("Quang Hưng", H2026).district.district_type == "xã"


def test_a_unit_found_by_its_gso_code():
    for code in ("14464", "014464", " 14464 ", "14464.0", 14464):
        assert CATALOG.match_district_code(code, H2026).district.name == "Gia Viễn"
    assert CATALOG.match_district_code("373", H2019).district.district_type == "huyện"
    assert CATALOG.match_district_code("374", H2025).district.district_type == "thành phố"
    assert CATALOG.match_district_code("37", H2026).district.is_province_level
    assert CATALOG.match_district_code("99999", H2026).district is None
    assert CATALOG.match_district_code("Gia Viễn", H2026).district is None


def test_a_former_district_names_the_communes_that_replaced_it():
    match = CATALOG.match_district("Huyện Gia Viễn", H2026)
    assert match.district is None
    assert match.reason_vi.startswith("cấp huyện kết thúc hoạt động từ ngày 01/07/2025")
    named = match.reason_vi.split("địa bàn nay thuộc ")[1].split(", ")
    expected = {u.label for u in CATALOG.districts_for(H2026) if "373" in u.former_district_codes}
    assert set(named) == expected and "Xã Gia Viễn" in named and "Phường Tây Hoa Lư" in named
    by_code = CATALOG.match_district_code("373", H2026).reason_vi
    assert by_code == match.reason_vi


def test_a_city_merged_in_2025_leads_to_the_communes_of_its_successor():
    reason = CATALOG.match_district("TP Ninh Bình", H2026).reason_vi
    assert "sáp nhập vào thành phố Hoa Lư" in reason
    assert "Phường Hoa Lư" in reason and "Phường Tây Hoa Lư" in reason


def test_a_commune_before_july_2025_names_its_former_districts():
    reason = CATALOG.match_district("Phường Yên Sơn", H2025).reason_vi
    assert reason == (
        "chỉ có từ ngày 01/07/2025, trước đó địa bàn thuộc thành phố Tam Điệp, huyện Nho Quan"
    )


def test_an_abolished_commune_names_the_new_unit_that_took_it():
    reason = CATALOG.match_district("Xã Gia Sinh", H2026).reason_vi
    assert "địa bàn nay thuộc Phường Tây Hoa Lư" in reason
    assert CATALOG.match_district("Xã Gia Sinh", H2019).reason_vi == ""  # not a unit then either


@pytest.mark.slow
def test_the_shipped_units_equal_their_regeneration_from_the_packages(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "reference.regenerate_units", "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for name in ("communes.csv", "unit_crosswalk.csv", "units_provenance.md"):
        shipped = (DEFAULT_DIR / name).read_text(encoding="utf-8")
        assert (tmp_path / name).read_text(encoding="utf-8") == shipped, name


# --- in a workbook ------------------------------------------------------------------------


def _header_cell(path, text: str) -> str:
    sheet = openpyxl.load_workbook(path)["Chỉ tiêu"]
    return next(c.coordinate for row in sheet.iter_rows() for c in row if c.value == text)


def _commune_workbook(tmp_path, period: str, units: list) -> object:
    values = {u.code: 3 for u in units}
    rows = [
        indicator_row("TT_HOI_NGHI", values),
        indicator_row("TT_LUOT_NGUOI", {code: 100 for code in values}),
    ]
    return make_submission(
        tmp_path / f"{period}.xlsx",
        agency="HND",
        period=period,
        rows=rows,
        districts=units,
        district_header_style="prefixed",
    )


def test_a_2026_workbook_with_a_former_district_column_names_its_communes(tmp_path):
    gia_vien = CATALOG.match_district("Xã Gia Viễn", H2026).district
    old = CATALOG.match_district_code("373", H2025).district
    path = _commune_workbook(tmp_path, "2026S1", [gia_vien, old])
    result = read_workbook(path, CATALOG, TODAY_DATE)
    problems = [(p.rule, p.cell) for p in result.problems if p.severity == "error"]
    assert problems == [("unknown_district", _header_cell(path, "Huyện Gia Viễn"))]
    message = result.problems[0].message
    assert "cấp huyện kết thúc hoạt động từ ngày 01/07/2025" in message
    assert "Xã Gia Viễn" in message and "Phường Tây Hoa Lư" in message
    records = [row._asdict() for row in result.values]
    loaded = {(r["indicator_code"], r["district_code"]) for r in records}
    assert ("TT_HOI_NGHI", gia_vien.code) in loaded


def test_a_2025s1_workbook_with_a_commune_column_names_its_former_districts(tmp_path):
    yen_son = CATALOG.match_district("Phường Yên Sơn", H2026).district
    kim_son = CATALOG.match_district_code("376", H2025).district
    path = _commune_workbook(tmp_path, "2025S1", [kim_son, yen_son])
    result = read_workbook(path, CATALOG, TODAY_DATE)
    problems = [(p.rule, p.cell) for p in result.problems if p.severity == "error"]
    assert problems == [("unknown_district", _header_cell(path, "Phường Yên Sơn"))]
    assert "trước đó địa bàn thuộc thành phố Tam Điệp, huyện Nho Quan" in (
        result.problems[0].message
    )
