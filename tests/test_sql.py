"""`chitieu sql`: output formats, and a warehouse that analysts cannot change."""

import csv
import io
import json

import pytest

from tests.helpers import invoke

QUERY = "select agency_code, agency_name from dim_agency order by agency_code"


def test_formats(demo_home):
    table = invoke(demo_home, "sql", QUERY).output
    assert table.splitlines()[0].split() == ["agency_code", "agency_name"]
    assert "(10 rows)" in table
    rows = list(
        csv.DictReader(io.StringIO(invoke(demo_home, "sql", QUERY, "--format", "csv").output))
    )
    assert len(rows) == 10 and rows[0]["agency_code"] == "BCHQS"
    lines = invoke(demo_home, "sql", QUERY, "--format", "json").output.splitlines()
    assert json.loads(lines[0]) == {
        "agency_code": "BCHQS",
        "agency_name": "Bộ Chỉ huy Quân sự tỉnh",
    }


@pytest.mark.parametrize(
    "statement",
    [
        "delete from fact_indicator_value",
        "drop table dim_agency",
        "create table x as select 1",
        "attach '/tmp/other.duckdb' as other",
        "copy dim_agency to '/tmp/leak.csv'",
        "install httpfs",
        "select * from read_csv('/etc/passwd')",
        "set enable_external_access = true",
    ],
)
def test_changing_the_warehouse_or_touching_files_is_refused(demo_home, statement):
    before = invoke(demo_home, "sql", "select count(*) as n from fact_indicator_value").output
    result = invoke(demo_home, "sql", statement)
    assert result.exit_code == 1
    assert result.output.startswith("Error:") and "Traceback" not in result.output
    after = invoke(demo_home, "sql", "select count(*) as n from fact_indicator_value").output
    assert after == before


def test_a_missing_warehouse_is_a_clear_error(home):
    result = invoke(home, "sql", "select 1")
    assert result.exit_code == 1 and "chitieu run" in result.output
