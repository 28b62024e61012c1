"""End to end: the sample through Dagster into the warehouse, read back through `chitieu sql`."""

import os
from pathlib import Path

import duckdb
import pytest

from orchestration.sample.generate import SAMPLE_HALVES
from reference import load_catalog
from tests.factories import indicator_row, make_submission
from tests.helpers import TODAY, invoke, sql_rows

PUBLISHED_2019S1_EXACT = {
    "TT_HOI_NGHI": 163,
    "QP_NHAP_NGU": 1600,
    "NTM_HUYEN": 1,
    "NTM_XA": 12,
    "ASXH_NHA": 210,
    "KHKT_BUOI": 795,
    "KHKT_LUOT_NGUOI": 62000,
    "ASXH_QUA": 20115,
}


def totals(home: Path, period: str) -> dict[str, float]:
    rows = sql_rows(
        home,
        "select indicator_code, total_value from review_indicator_totals "
        f"where period_code = '{period}'",
    )
    return {r["indicator_code"]: r["total_value"] for r in rows}


def table_contents(path: Path) -> dict[str, list]:
    """Every row of every table, except the pipeline's own timestamps of ingestion."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables order by 1"
            ).fetchall()
        ]
        return {t: sorted(map(repr, con.execute(f"select * from {t}").fetchall())) for t in tables}


def test_2019s1_totals_match_what_the_province_published(demo_home):
    found = totals(demo_home, "2019S1")
    for code, published in PUBLISHED_2019S1_EXACT.items():
        assert found[code] == published, code
    assert 44_000 <= found["TT_LUOT_NGUOI"] < 45_000  # "gần 45.000"
    assert 7_000 < found["ASXH_NHA_KINH_PHI"] < 7_500  # "trên 7 tỷ đồng"
    assert 5_100 < found["ASXH_QUA_GIA_TRI"] < 5_200  # "trên 5.100 triệu đồng"


def test_2019s1_task_counts(demo_home):
    rows = sql_rows(
        demo_home,
        "select task_kind, tasks_total, tasks_completed "
        "from review_task_summary where period_code = '2019S1'",
    )
    assert {r["task_kind"]: (r["tasks_completed"], r["tasks_total"]) for r in rows} == {
        "chung": (6, 9),
        "dang_ky": (24, 37),
    }


def test_gia_vien_is_the_one_district_helped_to_new_rural_standard(demo_home):
    rows = sql_rows(
        demo_home,
        "select district_code, value from review_district_indicator "
        "where period_code = '2019S1' and indicator_code = 'NTM_HUYEN' "
        "and value > 0",
    )
    assert [(r["district_code"], r["value"]) for r in rows] == [("373", 1)]


def test_every_status_of_a_real_inbox_is_recorded(demo_home):
    rows = sql_rows(demo_home, "select status, count(*) as n from etl_submission group by all")
    counts = {r["status"]: r["n"] for r in rows}
    assert counts["rejected"] >= 1 and counts["duplicate"] >= 1 and counts["superseded"] >= 1
    in_force = len(load_catalog().agencies) * len(SAMPLE_HALVES)  # one per agency and half
    assert counts["accepted"] == in_force


def test_rejected_file_keeps_its_problems_and_its_resubmission_is_in_force(demo_home):
    rejected = sql_rows(
        demo_home,
        "select s.agency_code, s.period_code, i.rule, i.cell "
        "from etl_submission s join dq_issue i using (submission_id) "
        "where s.status = 'rejected'",
    )
    assert rejected and all(r["cell"] for r in rejected)
    first = rejected[0]
    in_force = sql_rows(
        demo_home,
        "select count(*) as n from etl_submission where status = "
        f"'accepted' and agency_code = '{first['agency_code']}' "
        f"and period_code = '{first['period_code']}'",
    )
    assert in_force[0]["n"] == 1


def test_every_value_traces_back_to_an_archived_file(demo_home):
    rows = sql_rows(
        demo_home,
        "select distinct s.archive_path, s.status from fact_indicator_value"
        " f join etl_submission s using (submission_id)",
    )
    assert rows and all(r["status"] == "accepted" for r in rows)
    assert all(Path(r["archive_path"]).is_file() for r in rows)
    every = sql_rows(demo_home, "select archive_path from etl_submission")
    assert all(Path(r["archive_path"]).is_file() for r in every)
    assert not any((demo_home / "inbox").iterdir())  # all picked up


def test_history_keeps_the_superseded_version(demo_home):
    rows = sql_rows(
        demo_home,
        """
        select s.status, count(*) as n, min(h.valid_to) is not null as closed
        from fact_indicator_value_history h join etl_submission s using (submission_id)
        where s.status = 'superseded' group by all""",
    )
    assert rows and rows[0]["n"] > 0 and rows[0]["closed"]


def test_year_is_rolled_up_from_its_halves(demo_home):
    year, s1, s2 = (totals(demo_home, p) for p in ("2018", "2018S1", "2018S2"))
    assert year and year["ASXH_QUA"] == s1["ASXH_QUA"] + s2["ASXH_QUA"]
    change = sql_rows(
        demo_home,
        "select same_period_last_year_value, change_pct from "
        "review_indicator_totals where period_code = '2019S1' and "
        "indicator_code = 'ASXH_QUA'",
    )[0]
    assert change["same_period_last_year_value"] == totals(demo_home, "2018S1")["ASXH_QUA"]


def test_program_review_accumulates_from_the_phase_start(demo_home):
    rows = sql_rows(
        demo_home,
        "select as_of_period_code, cumulative_value from review_program "
        "where indicator_code = 'QP_NHAP_NGU' order by 1",
    )
    values = [r["cumulative_value"] for r in rows]
    assert [r["as_of_period_code"] for r in rows] == [
        "2017S1",
        "2017S2",
        "2018S1",
        "2018S2",
        "2019S1",
    ]
    assert values == sorted(values) and values[0] > 0


def test_completeness_covers_every_agency_and_half(demo_home):
    rows = sql_rows(
        demo_home,
        "select count(*) as n, count(*) filter (where accepted) as ok, "
        "count(*) filter (where not on_time) as late "
        f"from review_completeness where period_code in {tuple(SAMPLE_HALVES)}",
    )
    expected = len(load_catalog().agencies) * len(SAMPLE_HALVES)
    assert rows[0]["n"] == expected and rows[0]["ok"] == expected and rows[0]["late"] >= 1


def test_keys_are_unique_and_not_null(demo_home):
    for table, key in [
        ("dim_agency", "agency_key"),
        ("dim_district", "district_key"),
        ("dim_period", "period_key"),
        ("dim_indicator", "indicator_key"),
        ("etl_submission", "submission_id"),
    ]:
        row = sql_rows(
            demo_home,
            f"select count(*) as n, count(distinct {key}) as d, count({key}) as nn from {table}",
        )[0]
        assert row["n"] == row["d"] == row["nn"] > 0, table
    grain = sql_rows(
        demo_home,
        "select count(*) as n from (select agency_key, district_key, "
        "period_key, indicator_key from fact_indicator_value group by all"
        " having count(*) > 1)",
    )
    assert grain[0]["n"] == 0


def test_a_second_run_changes_no_table(demo_copy):
    before = table_contents(demo_copy / "warehouse.duckdb")
    result = invoke(demo_copy, "run", "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert "0 accepted, 0 rejected, 0 superseded, 0 duplicate" in result.output
    assert table_contents(demo_copy / "warehouse.duckdb") == before


def test_demo_again_does_not_reload_the_sample(demo_copy):
    result = invoke(demo_copy, "demo", "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert "wrote 0 sample workbooks" in result.output


def test_a_correction_supersedes_and_a_rejected_file_replaces_nothing(demo_copy, tmp_path):
    inbox = demo_copy / "inbox"
    before = totals(demo_copy, "2019S1")["TT_HOI_NGHI"]
    bad = make_submission(
        inbox / "2019S1_CA_sai.xlsx",
        agency="CA",
        rows=[
            indicator_row("TT_HOI_NGHI", {"373": "abc"}),
            indicator_row("TT_LUOT_NGUOI", {"373": 9}),
        ],
    )
    result = invoke(demo_copy, "run", "--today", TODAY)
    assert "1 rejected" in result.output
    assert totals(demo_copy, "2019S1")["TT_HOI_NGHI"] == before
    ca_before = sql_rows(
        demo_copy,
        "select sum(f.value) as v from fact_indicator_value f join "
        "dim_agency a using (agency_key) join dim_indicator i using "
        "(indicator_key) join dim_period p using (period_key) where "
        "a.agency_code = 'CA' and i.indicator_code = 'TT_HOI_NGHI' "
        "and p.period_code = '2019S1'",
    )[0]["v"]
    assert not bad.exists()  # picked up and archived
    make_submission(
        inbox / "2019S1_CA_dinh_chinh.xlsx",
        agency="CA",
        rows=[
            indicator_row("TT_HOI_NGHI", {"373": 100}),
            indicator_row("TT_LUOT_NGUOI", {"373": 900}),
        ],
    )
    result = invoke(demo_copy, "run", "--today", TODAY)
    assert "1 accepted" in result.output
    assert totals(demo_copy, "2019S1")["TT_HOI_NGHI"] == before - ca_before + 100
    statuses = sql_rows(
        demo_copy,
        "select status, count(*) as n from etl_submission where "
        "agency_code = 'CA' and period_code = '2019S1' group by all",
    )
    assert {r["status"]: r["n"] for r in statuses} == {
        "accepted": 1,
        "superseded": 1,
        "rejected": 1,
    }


def test_a_failed_refresh_leaves_the_warehouse_and_inbox_as_they_were(
    demo_copy, tmp_path, monkeypatch
):
    before = table_contents(demo_copy / "warehouse.duckdb")
    dropped = make_submission(demo_copy / "inbox" / "2019S1_HND_moi.xlsx", agency="HND")
    broken = tmp_path / "reference"
    broken.mkdir()
    monkeypatch.setenv("CHITIEU_REFERENCE_DIR", str(broken))  # no reference files at all
    result = invoke(demo_copy, "run", "--today", TODAY)
    assert result.exit_code != 0
    assert "warehouse is unchanged" in result.output
    assert table_contents(demo_copy / "warehouse.duckdb") == before
    assert dropped.exists()
    assert not list((demo_copy / "staging").glob("*.duckdb"))


def test_files_in_the_inbox_keep_their_arrival_time(home):
    path = make_submission(home / "inbox" / "late.xlsx", agency="HND", period="2018S1")
    os.utime(path, (1_533_000_000, 1_533_000_000))  # 2018-07-31, after the deadline
    assert invoke(home, "run", "--today", TODAY).exit_code == 0
    row = sql_rows(home, "select received_at, status from etl_submission")[0]
    assert row["received_at"].startswith("2018-07-31") and row["status"] == "accepted"


@pytest.mark.parametrize("command", ["run", "demo", "check", "sql"])
def test_every_command_has_help_with_an_example(command):
    from click.testing import CliRunner

    from orchestration.cli import main

    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "Example:" in result.output


def test_editor_lock_files_are_left_alone_and_hidden_names_are_picked_up(home):
    make_submission(home / "inbox" / ".an_hidden_name.xlsx", agency="CA")
    (home / "inbox" / "~$open.xlsx").write_bytes(b"owner")
    (home / "inbox" / ".~lock.open.xlsx#").write_bytes(b"lock")
    assert invoke(home, "run", "--today", TODAY).exit_code == 0
    names = [r["file_name"] for r in sql_rows(home, "select file_name from etl_submission")]
    assert names == [".an_hidden_name.xlsx"]
    assert sorted(p.name for p in (home / "inbox").iterdir()) == [
        ".~lock.open.xlsx#",
        "~$open.xlsx",
    ]


def test_demo_sets_the_seven_former_districts_side_by_side_across_the_reform(demo_home):
    """2019S1, 2025S1 (by district) and 2026S1 (by commune) on the map of 2025-06-30."""
    from reference.periods import parse_period

    catalog = load_catalog()
    former = {d.code for d in catalog.districts_for(parse_period("2025S1"))}
    province = catalog.province_member().code
    spanning = {
        d.rollup_former_district_code
        for d in catalog.districts
        if d.is_commune and d.spans_former_districts and d.former_province_code == province
    }
    rows = sql_rows(
        demo_home,
        "select period_code, former_district_code as code, bool_and(comparable) as ok "
        "from review_former_district_indicator "
        "where period_code in ('2019S1', '2025S1', '2026S1') group by all",
    )
    found = {(r["period_code"], r["code"]): r["ok"] for r in rows}
    assert len(former) == 7 and set(found) == {
        (p, c) for p in ("2019S1", "2025S1", "2026S1") for c in former
    }
    for (period, code), ok in found.items():
        assert ok == (period != "2026S1" or code not in spanning), (period, code)
    assert 0 < len(spanning & former) < 7
