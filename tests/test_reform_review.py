"""Review across the 2025 reform: communes after it, the old territory on one footing.

One warehouse, loaded by a real `chitieu run` from real workbooks: HND's 2019S1 and
2025S1 on the districts of their time, 2026S1 per commune of the merged province.
"""

from pathlib import Path

import pytest
from openpyxl import load_workbook

from reference import load_catalog
from reference.periods import parse_period
from tests.factories import indicator_row, make_submission
from tests.helpers import TODAY, invoke, sql_rows
from tests.test_docs import README, blocks, reform_examples, run_query
from warehouse.home import Home

CATALOG = load_catalog()
H2026 = parse_period("2026S1")


def unit(name: str) -> str:
    return CATALOG.match_district(name, H2026).district.code


GIA_VIEN, GIA_HUNG, KIM_SON_COMMUNE = unit("Xã Gia Viễn"), unit("Xã Gia Hưng"), unit("Xã Kim Sơn")
TAY_HOA_LU, HOA_LU, PHU_LY = unit("Phường Tây Hoa Lư"), unit("Phường Hoa Lư"), unit("Phủ Lý")
# A commune of Yên Khánh, whose former district also carries Đông Hoa Lư (not reported).
YEN_KHANH = next(u.code for u in CATALOG.districts_for(H2026) if u.former_district_code == "375")
MEETINGS = {
    "2019S1": ({"369": 2, "374": 3, "373": 5, "376": 4}, 10),
    "2025S1": ({"374": 10, "373": 8, "376": 6}, 8),  # more than 2026S1 on the old territory
    "2025S2": ({GIA_VIEN: 1, TAY_HOA_LU: 2, PHU_LY: 3}, 4),
    "2026S1": (
        {
            GIA_VIEN: 2,
            GIA_HUNG: 3,
            TAY_HOA_LU: 4,
            HOA_LU: 5,
            KIM_SON_COMMUNE: 6,
            PHU_LY: 7,
            YEN_KHANH: 1,
        },
        9,
    ),
}


def rows_for(period: str):
    values, province = MEETINGS[period]
    return [
        indicator_row("TT_HOI_NGHI", values, province_value=province),
        indicator_row(
            "TT_LUOT_NGUOI",
            {code: 100 * v for code, v in values.items()},
            province_value=100 * province,
        ),
    ]


@pytest.fixture(scope="module")
def reform_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("reform") / "home"
    Home(home).ensure()
    styles = {"2019S1": "plain", "2025S1": "abbreviated", "2025S2": "plain", "2026S1": "prefixed"}
    for period, style in styles.items():
        make_submission(
            home / "inbox" / f"{period}_HND.xlsx",
            agency="HND",
            period=period,
            rows=rows_for(period),
            include_province=True,
            district_header_style=style,
        )
    result = invoke(home, "run", "--today", TODAY)
    assert result.exit_code == 0, result.output
    accepted = sql_rows(home, "select count(*) as n from etl_submission where status = 'accepted'")
    assert accepted[0]["n"] == len(styles), result.output
    return home


def former(home: Path, period: str) -> dict[str, dict]:
    rows = sql_rows(
        home,
        "select * from review_former_district_indicator "
        f"where period_code = '{period}' and indicator_code = 'TT_HOI_NGHI'",
    )
    return {r["former_district_code"]: r for r in rows}


def test_the_commune_values_load_per_commune(reform_home):
    rows = sql_rows(
        reform_home,
        "select district_code, unit_level, unit_name, value, rank_in_province "
        "from review_district_indicator "
        "where period_code = '2026S1' and indicator_code = 'TT_HOI_NGHI' order by value desc",
    )
    values, _ = MEETINGS["2026S1"]
    assert {r["district_code"]: r["value"] for r in rows} == values
    assert {r["unit_level"] for r in rows} == {"commune"}
    assert rows[0]["unit_name"] == "Phường Phủ Lý" and rows[0]["rank_in_province"] == 1


def test_earlier_districts_roll_up_onto_the_map_of_june_2025(reform_home):
    values, _ = MEETINGS["2019S1"]
    rows = former(reform_home, "2019S1")
    assert rows["374"]["value"] == values["369"] + values["374"]  # TP Ninh Bình + huyện Hoa Lư
    assert rows["374"]["former_district_name"] == "Hoa Lư"
    assert {code: r["value"] for code, r in rows.items() if code != "374"} == {
        "373": values["373"],
        "376": values["376"],
    }
    assert all(r["comparable"] for r in rows.values())
    assert "369" not in former(reform_home, "2025S1")


def test_communes_are_summed_to_their_former_district(reform_home):
    values, _ = MEETINGS["2026S1"]
    rows = former(reform_home, "2026S1")
    assert rows["373"]["value"] == values[GIA_VIEN] + values[GIA_HUNG]
    assert rows["373"]["comparable"] is True
    assert rows["376"]["value"] == values[KIM_SON_COMMUNE] and rows["376"]["comparable"]
    # Tây Hoa Lư took old communes of Nho Quan, Gia Viễn and Hoa Lư: carried by Hoa Lư.
    assert rows["374"]["value"] == values[HOA_LU] + values[TAY_HOA_LU]
    assert rows["374"]["comparable"] is False
    assert rows["373"]["old_communes_elsewhere"] > 0  # Gia Sinh went to Tây Hoa Lư
    # Đông Hoa Lư (Yên Khánh and Hoa Lư) reported nothing: Yên Khánh's territory still differs.
    assert rows["375"]["value"] == values[YEN_KHANH] and rows["375"]["comparable"] is False
    assert set(rows) == {"373", "374", "375", "376"}  # Phủ Lý (Hà Nam): not the old territory


def test_a_year_across_the_reform_adds_districts_and_communes(reform_home):
    first, second = MEETINGS["2025S1"][0], MEETINGS["2025S2"][0]
    rows = former(reform_home, "2025")
    assert rows["373"]["value"] == first["373"] + second[GIA_VIEN]
    assert rows["373"]["comparable"] is True
    assert rows["374"]["value"] == first["374"] + second[TAY_HOA_LU]
    assert rows["374"]["comparable"] is False
    levels = sql_rows(
        reform_home,
        "select unit_level, max(rank_in_province) as last from review_district_indicator "
        "where period_code = '2025' and indicator_code = 'TT_HOI_NGHI' group by 1 order by 1",
    )
    assert levels == [
        {"unit_level": "commune", "last": len(second)},
        {"unit_level": "district", "last": len(first)},
    ]
    totals = sql_rows(
        reform_home,
        "select territory, same_territory_as_last_year from review_indicator_totals "
        "where period_code = '2025' and indicator_code = 'TT_HOI_NGHI'",
    )
    assert totals == [{"territory": "mixed", "same_territory_as_last_year": False}]


def test_the_total_after_the_merger_says_it_covers_a_larger_territory(reform_home):
    rows = {
        r["period_code"]: r
        for r in sql_rows(
            reform_home,
            "select * from review_indicator_totals where indicator_code = 'TT_HOI_NGHI'",
        )
    }
    values, province = MEETINGS["2026S1"]
    last_values, last_province = MEETINGS["2025S1"]
    now, before = rows["2026S1"], rows["2025S1"]
    assert (now["territory"], before["territory"]) == ("merged_province", "old_province")
    assert now["same_territory_as_last_year"] is False
    assert now["total_value"] == sum(values.values()) + province
    assert now["old_territory_total_value"] == sum(values.values()) - values[PHU_LY]
    assert before["old_territory_total_value"] == sum(last_values.values())
    assert now["old_territory_last_year_value"] == sum(last_values.values())
    expected = 100 * (now["old_territory_total_value"] / sum(last_values.values()) - 1)
    assert now["old_territory_change_pct"] == round(expected, 1)
    assert now["same_period_last_year_value"] == sum(last_values.values()) + last_province


def test_the_review_workbook_and_narrative_compare_on_the_same_territory(reform_home, tmp_path):
    out = tmp_path / "report.xlsx"
    result = invoke(reform_home, "report", "--period", "2026S1", "-o", str(out))
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    text = "\n".join(str(c.value) for c in wb["Dự thảo báo cáo"]["A"] if c.value)
    line = next(t for t in text.splitlines() if t.startswith("So với cùng kỳ"))
    assert "tính trên cùng địa bàn của tỉnh trước khi hợp nhất" in line
    assert "2 chỉ tiêu giảm" in line  # 20 against 24 meetings: the merged total rose
    summary = wb["Tổng hợp"]
    assert "trước hợp nhất" in summary.cell(3, 8).value
    row = next(r for r in summary.iter_rows(min_row=4) if r[1].value == "TT_HOI_NGHI")
    values, province = MEETINGS["2026S1"]
    assert row[4].value == sum(values.values()) + province
    assert row[7].value == sum(values.values()) - values[PHU_LY]
    assert row[8].value == sum(MEETINGS["2025S1"][0].values())


def test_a_report_before_the_merger_keeps_its_comparison(reform_home, tmp_path):
    out = tmp_path / "report.xlsx"
    assert invoke(reform_home, "report", "--period", "2025S1", "-o", str(out)).exit_code == 0
    wb = load_workbook(out)
    assert wb["Tổng hợp"].cell(3, 8).value is None
    text = "\n".join(str(c.value) for c in wb["Dự thảo báo cáo"]["A"] if c.value)
    assert "trước khi hợp nhất" not in text


def test_dim_district_holds_every_unit_and_the_crosswalk(reform_home):
    levels = sql_rows(
        reform_home,
        "select unit_level, count(*) as n, count(former_district_code) as with_former, "
        "count(*) filter (where spans_former_districts) as spanning "
        "from dim_district group by 1 order by 1",
    )
    assert levels == [
        {"unit_level": "commune", "n": 129, "with_former": 119, "spanning": 10},
        {"unit_level": "district", "n": 9, "with_former": 0, "spanning": 0},
        {"unit_level": "province", "n": 1, "with_former": 0, "spanning": 0},
    ]
    crosswalk = sql_rows(
        reform_home,
        "select old_level, count(*) as n from ref_unit_crosswalk group by 1 order by 1",
    )
    assert crosswalk == [{"old_level": "commune", "n": 403}, {"old_level": "district", "n": 140}]


def test_the_documented_reform_queries_answer_on_commune_reports(reform_home):
    by_district, ranked = (run_query(reform_home, q, None) for q in reform_examples())
    gia_vien = next(r for r in by_district if r["former_district_code"] == "373")
    assert (gia_vien["value_2019s1"], gia_vien["value_2026s1"], gia_vien["comparable"]) == (
        MEETINGS["2019S1"][0]["373"],
        MEETINGS["2026S1"][0][GIA_VIEN] + MEETINGS["2026S1"][0][GIA_HUNG],
        True,
    )
    assert [r["rank_in_province"] for r in ranked] == list(range(1, len(MEETINGS["2026S1"][0]) + 1))
    tay = next(r for r in ranked if r["unit_name"] == "Phường Tây Hoa Lư")
    assert (tay["former_province_code"], tay["former_district"]) == ("37", "several")


def test_the_readme_reform_examples_answer_on_commune_reports(reform_home):
    queries = [
        q
        for body in blocks(README, "sh")
        for q in body.split('chitieu sql "')[1:]
        if "unit_level = 'commune'" in q or "review_former_district_indicator" in q
    ]
    assert len(queries) == 2
    for query in queries:
        assert run_query(reform_home, query.split('"')[0], None)


def _unit_table(ws, column_name: str) -> tuple[dict[str, str], dict[str, object]]:
    """Theo huyện of a commune period: unit -> its group row, and unit -> its value."""
    header = next(r for r in ws.iter_rows(min_row=1, max_row=6) if r[0].value == "STT")
    col = next(c.column for c in header if c.value == column_name)
    groups, values, group = {}, {}, None
    for r in range(header[0].row + 2, ws.max_row + 1):
        name = ws.cell(r, 2).value
        if ws.cell(r, 1).value is None:
            group = name
            if name and str(name).startswith("Thứ hạng"):
                break
        elif name:
            groups[name], values[name] = group, ws.cell(r, col).value
    return groups, values


def test_the_commune_sheet_groups_units_by_former_district(reform_home, tmp_path):
    out = tmp_path / "report.xlsx"
    assert invoke(reform_home, "report", "--period", "2026S1", "-o", str(out)).exit_code == 0
    ws = load_workbook(out)["Theo huyện"]
    assert ws["A1"].value == "KẾT QUẢ THEO XÃ, PHƯỜNG - 6 THÁNG ĐẦU NĂM 2026"
    groups, values = _unit_table(ws, CATALOG.indicators["TT_HOI_NGHI"].name)
    by_code = {u.code: u for u in CATALOG.districts_for(H2026)}
    gia_vien = by_code[GIA_VIEN].full_name or by_code[GIA_VIEN].name
    assert groups[gia_vien] == "Huyện cũ: Huyện Gia Viễn"
    assert values[gia_vien] == MEETINGS["2026S1"][0][GIA_VIEN]
    assert len(values) == len(MEETINGS["2026S1"][0])  # one row per reported unit
    # The old territory by former district: what the chart draws, as in the review table.
    caption = next(
        r for r in range(1, ws.max_row + 1) if "trước hợp nhất" in str(ws.cell(r, 2).value)
    )
    rows = {ws.cell(r, 2).value: ws.cell(r, 3).value for r in range(caption + 1, caption + 8)}
    expected = {
        r["former_district_name"]: r["value"] for r in former(reform_home, "2026S1").values()
    }
    assert {k: v for k, v in rows.items() if k in expected} == expected
    [chart] = ws._charts
    assert chart.grouping == "percentStacked"


def test_a_year_across_the_reform_lists_its_districts_then_its_communes(reform_home, tmp_path):
    out = tmp_path / "report.xlsx"
    assert invoke(reform_home, "report", "--period", "2025", "-o", str(out)).exit_code == 0
    ws = load_workbook(out)["Theo huyện"]
    assert ws["A1"].value == "KẾT QUẢ THEO HUYỆN, THÀNH PHỐ VÀ XÃ, PHƯỜNG - NĂM 2025"
    groups, values = _unit_table(ws, CATALOG.indicators["TT_HOI_NGHI"].name)
    first = [name for name, group in groups.items() if group.startswith("Huyện, thành phố")]
    names = {d.code: d.name for d in CATALOG.districts}
    assert {values[n] for n in first} >= set(MEETINGS["2025S1"][0].values())
    assert {names[c] for c in MEETINGS["2025S1"][0]} <= set(first)
    assert list(groups.values())[0].startswith("Huyện, thành phố")  # the districts first
