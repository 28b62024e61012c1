"""History: as-of queries, mixed period types, districts and agencies that change."""

import json
import os
import shutil
from datetime import date

from reference import load_catalog
from reference.catalog import DEFAULT_DIR
from reference.periods import parse_period
from tests.factories import indicator_row, make_submission
from tests.helpers import TODAY, invoke, sql_rows
from workbooks.reading.reader import read_workbook

GIA_VIEN_2018S2_MTTQ = """
    select indicator_code, value from {source}
    where period_code = '2018S2' and district_code = '373' and agency_code = 'MTTQ'
      and indicator_code = 'ASXH_QUA'"""


def test_as_of_shows_the_value_before_and_after_a_correction(demo_home):
    received = sql_rows(
        demo_home,
        "select file_name, cast(received_at as varchar) as t from "
        "etl_submission where agency_code = 'MTTQ' and period_code = "
        "'2018S2' order by received_at",
    )
    assert len(received) == 2  # the report and its correction
    between = received[1]["t"][:10]  # the day the correction arrived, at 00:00
    before = sql_rows(
        demo_home,
        GIA_VIEN_2018S2_MTTQ.format(source=f"indicator_values_as_of(TIMESTAMP '{between}')"),
    )
    after = sql_rows(demo_home, GIA_VIEN_2018S2_MTTQ.format(source="indicator_values"))
    assert before and after and before[0]["value"] != after[0]["value"]
    rebuilt = invoke(
        demo_home,
        "sql",
        "--as-of",
        between,
        "--format",
        "jsonl",
        GIA_VIEN_2018S2_MTTQ.format(source="indicator_values"),
    )
    assert json.loads(rebuilt.output.splitlines()[0])["value"] == before[0]["value"]
    status = invoke(
        demo_home,
        "sql",
        "--as-of",
        between,
        "--format",
        "jsonl",
        "select status from etl_submission where agency_code = 'MTTQ' and period_code = '2018S2'",
    )
    assert [json.loads(line)["status"] for line in status.output.splitlines()] == ["accepted"]


def test_as_of_rebuilds_the_review_tables(demo_home):
    query = (
        "select total_value from review_indicator_totals where period_code = '2019S1' "
        "and indicator_code = 'TT_HOI_NGHI'"
    )
    today = json.loads(invoke(demo_home, "sql", query, "--format", "jsonl").output)
    early = invoke(demo_home, "sql", "--as-of", "2019-07-01", query, "--format", "jsonl").output
    assert today["total_value"] == 163
    assert early.strip() == "" or json.loads(early)["total_value"] < 163


def gifts(value: int) -> list:
    """Gift packages and their value in Gia Viễn."""
    return [
        indicator_row("ASXH_QUA", {"373": value}),
        indicator_row("ASXH_QUA_GIA_TRI", {"373": value}),
    ]


def gift_totals(home) -> dict[str, float]:
    """Province totals of gift packages, by period."""
    rows = sql_rows(
        home,
        "select period_code, total_value from review_indicator_totals "
        "where indicator_code = 'ASXH_QUA'",
    )
    return {r["period_code"]: r["total_value"] for r in rows}


def test_a_year_from_quarters_of_one_agency_and_halves_of_another(home):
    inbox = home / "inbox"
    for quarter, value in zip(["2020Q1", "2020Q2", "2020Q3", "2020Q4"], [1, 2, 3, 4], strict=True):
        make_submission(
            inbox / f"{quarter}_CA.xlsx",
            agency="CA",
            period=quarter,
            rows=gifts(value),
        )
    for half, value in (("2020S1", 10), ("2020S2", 20)):
        make_submission(
            inbox / f"{half}_HND.xlsx",
            agency="HND",
            period=half,
            rows=gifts(value),
        )
    assert invoke(home, "run", "--today", TODAY).exit_code == 0
    totals = gift_totals(home)
    assert totals["2020S1"] == 1 + 2 + 10 and totals["2020S2"] == 3 + 4 + 20
    assert totals["2020"] == 1 + 2 + 3 + 4 + 10 + 20
    # CA also reports the first half directly: that report wins for S1, nothing twice
    make_submission(
        inbox / "2020S1_CA.xlsx",
        agency="CA",
        period="2020S1",
        rows=gifts(100),
    )
    assert invoke(home, "run", "--today", TODAY).exit_code == 0
    totals = gift_totals(home)
    assert totals["2020S1"] == 100 + 10
    assert totals["2020"] == 100 + 3 + 4 + 10 + 20
    assert totals["2020Q1"] == 1  # the quarters themselves stay as reported


def test_a_2025_report_names_the_seven_units_of_its_time(home):
    catalog = load_catalog()
    h2025 = parse_period("2025S1")
    assert len(catalog.districts_for(h2025)) == 7
    make_submission(
        home / "inbox" / "2025S1_CA.xlsx",
        agency="CA",
        period="2025S1",
        rows=[
            indicator_row("TT_HOI_NGHI", {"374": 5, "373": 2}),
            indicator_row("TT_LUOT_NGUOI", {"374": 400, "373": 90}),
        ],
    )
    old_map = make_submission(
        home / "old_map.xlsx",
        agency="CA",
        period="2025S1",
        districts=catalog.districts_for(parse_period("2024S2")),
    )
    parsed = read_workbook(old_map, catalog, date(2026, 11, 27))
    merged = [p for p in parsed.problems if p.rule == "unknown_district"]
    assert merged and "sáp nhập vào thành phố Hoa Lư" in merged[0].message
    assert invoke(home, "run", "--today", TODAY).exit_code == 0
    row = sql_rows(
        home,
        "select d.district_type from fact_indicator_value f join dim_district d "
        "using (district_key) where d.district_code = '374'",
    )
    assert {r["district_type"] for r in row} == {"thành phố"}


def test_2024_compared_with_2025_on_the_2025_boundaries(home):
    inbox = home / "inbox"
    make_submission(
        inbox / "2024S1_CA.xlsx",
        agency="CA",
        period="2024S1",
        rows=[
            indicator_row("TT_HOI_NGHI", {"369": 5, "374": 7, "373": 1}),
            indicator_row("TT_LUOT_NGUOI", {"369": 500, "374": 700, "373": 100}),
        ],
    )
    make_submission(
        inbox / "2025S1_CA.xlsx",
        agency="CA",
        period="2025S1",
        rows=[
            indicator_row("TT_HOI_NGHI", {"374": 20, "373": 2}),
            indicator_row("TT_LUOT_NGUOI", {"374": 2000, "373": 200}),
        ],
    )
    assert invoke(home, "run", "--today", TODAY).exit_code == 0
    rows = sql_rows(
        home,
        "select period_code, district_code, district_name, value from "
        "review_district_comparable where indicator_code = 'TT_HOI_NGHI' "
        "order by 1, 2",
    )
    assert [(r["period_code"], r["district_code"], r["value"]) for r in rows] == [
        ("2024S1", "373", 1),
        ("2024S1", "374", 12),
        ("2025S1", "373", 2),
        ("2025S1", "374", 20),
    ]
    assert {r["district_name"] for r in rows if r["district_code"] == "374"} == {"Hoa Lư"}
    as_reported = sql_rows(
        home,
        "select district_code from review_district_indicator where "
        "period_code = '2024S1' and indicator_code = 'TT_HOI_NGHI'",
    )
    assert {r["district_code"] for r in as_reported} == {"369", "373", "374"}


def test_an_old_name_of_an_agency_resolves_only_for_its_time(tmp_path):
    folder = tmp_path / "reference"
    shutil.copytree(DEFAULT_DIR, folder)
    with open(folder / "agency_aliases.csv", "a", encoding="utf-8") as handle:
        handle.write("HCCB,Hội Cựu quân nhân tỉnh,2000-01-01,2018-12-31\n")
    catalog = load_catalog(str(folder))
    assert catalog.match_agency("Hội Cựu quân nhân tỉnh", date(2018, 6, 30)).code == "HCCB"
    assert catalog.match_agency("HỘI CỰU QUÂN NHÂN TỈNH", date(2018, 12, 31)).code == "HCCB"
    assert catalog.match_agency("Hội Cựu quân nhân tỉnh", date(2019, 6, 30)) is None


def test_the_review_workbook_as_of_a_date(demo_home, tmp_path):
    import openpyxl

    now, before = tmp_path / "now.xlsx", tmp_path / "before.xlsx"
    assert invoke(demo_home, "report", "--period", "2019S1", "-o", str(now)).exit_code == 0
    result = invoke(
        demo_home, "report", "--period", "2019S1", "--as-of", "2019-07-05", "-o", str(before)
    )
    assert result.exit_code == 0, result.output
    texts = [
        " ".join(str(c.value) for c in row if c.value is not None)
        for row in openpyxl.load_workbook(before).worksheets[0].iter_rows()
    ]
    assert not any("163 hội nghị" in text for text in texts)  # not all had reported yet


def conferences(value: int) -> list:
    return [
        indicator_row("TT_HOI_NGHI", {"373": value}),
        indicator_row("TT_LUOT_NGUOI", {"373": 10 * value}),
    ]


def test_a_correction_with_an_older_file_date_replaces_the_version_in_force(home):
    """A Windows copy keeps the old mtime: it is still newer than what it corrects."""
    first = make_submission(home / "inbox" / "ca.xlsx", agency="CA", rows=conferences(18))
    os.utime(first, (1_562_300_000, 1_562_300_000))  # 2019-07-05
    assert invoke(home, "run", "--today", TODAY).exit_code == 0
    copy = make_submission(home / "inbox" / "ca_sua.xlsx", agency="CA", rows=conferences(19))
    os.utime(copy, (1_562_000_000, 1_562_000_000))  # 2019-07-01: older than the first
    assert invoke(home, "run", "--today", TODAY).exit_code == 0
    record = sql_rows(
        home,
        "select file_name, status, cast(file_mtime as varchar) as mtime, received_at, "
        "in_force_from, in_force_to from etl_submission order by submission_id",
    )
    assert [(r["file_name"], r["status"]) for r in record] == [
        ("ca.xlsx", "superseded"),
        ("ca_sua.xlsx", "accepted"),
    ]
    assert record[1]["mtime"].startswith("2019-07-01 23:53:20")  # its own time, kept
    assert record[1]["received_at"] > record[0]["received_at"]
    assert record[0]["in_force_from"] < record[0]["in_force_to"] == record[1]["in_force_from"]
    inverted = "select count(*) as n from {} where valid_to is not null and valid_to <= valid_from"
    for table in ("fact_indicator_value_history", "fact_task_history"):
        assert sql_rows(home, inverted.format(table))[0]["n"] == 0
    moments = [r["received_at"][:26] for r in record] + ["2019-07-02", "2019-07-06", TODAY]
    for moment in moments:
        versions = sql_rows(
            home,
            f"select indicator_code, district_code, count(*) as n from "
            f"indicator_values_as_of(TIMESTAMP '{moment}') group by all",
        )
        assert all(v["n"] == 1 for v in versions), (moment, versions)
        result = invoke(
            home,
            "sql",
            "--as-of",
            moment[:10],
            "--format",
            "json",
            "select total_value from review_indicator_totals "
            "where period_code = '2019S1' and indicator_code = 'TT_HOI_NGHI'",
        )
        assert result.exit_code == 0, result.output
        lines = [line for line in result.output.splitlines() if line.startswith("{")]
        totals = [json.loads(line)["total_value"] for line in lines]
        assert totals in ([], [18], [19]), (moment, totals)
    assert gift_free_total(home) == 19


def gift_free_total(home) -> float:
    return sql_rows(
        home,
        "select total_value from review_indicator_totals "
        "where period_code = '2019S1' and indicator_code = 'TT_HOI_NGHI'",
    )[0]["total_value"]
