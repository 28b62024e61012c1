"""Schema and reference data change by migration: an existing warehouse keeps its history."""

import shutil

import duckdb

from reference.catalog import DEFAULT_DIR
from tests.factories import indicator_row, make_submission
from tests.helpers import TODAY, invoke, sql_rows
from warehouse.store import migrations

FACTS = "select count(*) as n from fact_indicator_value_history"


def downgrade_to_version_1(home) -> None:
    """Make the demo warehouse what version 1 of the schema left: no district crosswalk."""
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("DROP TABLE ref_district_crosswalk")
        con.execute("DELETE FROM meta_schema WHERE version > 1")


def test_every_migration_is_numbered_once():
    numbers = [number for number, _ in migrations()]
    assert numbers == list(range(1, len(numbers) + 1))


def test_a_version_1_warehouse_is_upgraded_and_keeps_its_history(demo_copy):
    facts, submissions = (
        sql_rows(demo_copy, FACTS),
        sql_rows(demo_copy, "select count(*) as n from etl_submission"),
    )
    downgrade_to_version_1(demo_copy)
    assert [r["version"] for r in sql_rows(demo_copy, "select version from meta_schema")] == [1]
    make_submission(demo_copy / "inbox" / "2019S2_CA.xlsx", agency="CA", period="2019S2")
    assert invoke(demo_copy, "run", "--today", TODAY).exit_code == 0
    versions = [
        r["version"] for r in sql_rows(demo_copy, "select version from meta_schema order by 1")
    ]
    assert versions == [number for number, _ in migrations()]
    assert sql_rows(demo_copy, "select count(*) as n from ref_district_crosswalk")[0]["n"] == 2
    assert sql_rows(demo_copy, FACTS)[0]["n"] > facts[0]["n"]  # old history kept, new added
    assert sql_rows(demo_copy, "select count(*) as n from etl_submission")[0]["n"] == (
        submissions[0]["n"] + 1
    )


def test_a_new_indicator_and_a_renamed_agency_keep_all_history(demo_copy, tmp_path, monkeypatch):
    keys_before = sql_rows(demo_copy, "select agency_code, agency_key from dim_agency order by 1")
    history = sql_rows(demo_copy, FACTS)
    folder = tmp_path / "reference"
    shutil.copytree(DEFAULT_DIR, folder)
    agencies = (folder / "agencies.csv").read_text(encoding="utf-8")
    (folder / "agencies.csv").write_text(
        agencies.replace(
            "HCCB,Hội Cựu chiến binh tỉnh,", "HCCB,Hội Cựu chiến binh tỉnh Ninh Bình,"
        ),
        encoding="utf-8",
    )
    with open(folder / "indicators.csv", "a", encoding="utf-8") as handle:
        handle.write(
            "CDS_UNG_DUNG,Ứng dụng chuyển đổi số được hướng dẫn,ứng dụng,count,"
            "Chuyển đổi số,15,3.5\n"
        )
    monkeypatch.setenv("CHITIEU_REFERENCE_DIR", str(folder))
    assert invoke(demo_copy, "run", "--today", TODAY).exit_code == 0
    assert sql_rows(demo_copy, "select agency_code, agency_key from dim_agency order by 1") == (
        keys_before
    )
    assert (
        sql_rows(demo_copy, "select agency_name from dim_agency where agency_code = 'HCCB'")[0][
            "agency_name"
        ]
        == "Hội Cựu chiến binh tỉnh Ninh Bình"
    )
    assert (
        sql_rows(
            demo_copy,
            "select count(*) as n from dim_indicator where indicator_code = 'CDS_UNG_DUNG'",
        )[0]["n"]
        == 1
    )
    assert sql_rows(demo_copy, FACTS) == history
    totals = sql_rows(
        demo_copy,
        "select total_value from review_indicator_totals where "
        "period_code = '2019S1' and indicator_code = 'TT_HOI_NGHI'",
    )
    assert totals[0]["total_value"] == 163


def test_version_3_repairs_intervals_inverted_by_an_old_file_date(home):
    """What the old code left when a correction's file kept an older mtime: repaired."""
    import os

    first = make_submission(home / "inbox" / "ca.xlsx", agency="CA")
    os.utime(first, (1_562_300_000, 1_562_300_000))
    assert invoke(home, "run", "--today", TODAY).exit_code == 0
    rows = [
        indicator_row("TT_HOI_NGHI", {"373": 5}),
        indicator_row("TT_LUOT_NGUOI", {"373": 50}),
    ]
    copy = make_submission(home / "inbox" / "ca_sua.xlsx", agency="CA", rows=rows)
    os.utime(copy, (1_562_000_000, 1_562_000_000))  # older than the first
    assert invoke(home, "run", "--today", TODAY).exit_code == 0
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:  # as version 2 left it
        con.execute(
            "UPDATE etl_submission SET received_at = file_mtime, in_force_from = file_mtime "
            "WHERE file_name = 'ca_sua.xlsx'"
        )
        con.execute(
            "UPDATE etl_submission SET in_force_to = TIMESTAMP '2019-07-01 23:53:20' "
            "WHERE file_name = 'ca.xlsx'"
        )
        for table in ("fact_indicator_value_history", "fact_task_history"):
            con.execute(
                f"UPDATE {table} SET valid_from = TIMESTAMP '2019-07-01 23:53:20' "
                "WHERE submission_id = 2"
            )
            con.execute(
                f"UPDATE {table} SET valid_to = TIMESTAMP '2019-07-01 23:53:20' "
                "WHERE submission_id = 1"
            )
        con.execute("DELETE FROM meta_schema WHERE version >= 3")
    inverted = (
        "select count(*) as n from fact_indicator_value_history "
        "where valid_to is not null and valid_to <= valid_from"
    )
    assert sql_rows(home, inverted)[0]["n"] > 0
    assert invoke(home, "run", "--today", TODAY).exit_code == 0
    assert sql_rows(home, inverted)[0]["n"] == 0
    record = sql_rows(
        home,
        "select received_at, in_force_from, in_force_to from etl_submission order by 1",
    )
    assert record[0]["in_force_from"] < record[0]["in_force_to"] == record[1]["in_force_from"]
    versions = sql_rows(
        home,
        "select count(*) as n from indicator_values_as_of(TIMESTAMP '2019-07-06') group by "
        "district_code, indicator_code order by n desc limit 1",
    )
    assert versions[0]["n"] == 1
