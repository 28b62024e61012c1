"""`chitieu sql`: output formats, and a warehouse that analysts cannot change."""

import csv
import io
import json
import os
import subprocess
import sys

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
    first = {"agency_code": "BCHQS", "agency_name": "Bộ Chỉ huy Quân sự tỉnh"}
    array = json.loads(invoke(demo_home, "sql", QUERY, "--format", "json").output)
    assert len(array) == 10 and array[0] == first
    one = invoke(demo_home, "sql", QUERY + " limit 1", "--format", "json").output
    assert json.loads(one) == [first]
    assert json.loads(invoke(demo_home, "sql", QUERY + " limit 0", "--format", "json").output) == []
    lines = invoke(demo_home, "sql", QUERY, "--format", "jsonl").output.splitlines()
    assert len(lines) == 10 and json.loads(lines[0]) == first


def test_csv_prints_whole_numbers_as_integers(demo_home):
    query = (
        "select total_value, 1.5::double as half from review_indicator_totals"
        " where period_code = '2019S1' and indicator_code = 'TT_HOI_NGHI'"
    )
    assert (
        invoke(demo_home, "sql", query, "--format", "csv").output == "total_value,half\n163,1.5\n"
    )


@pytest.mark.parametrize(
    "moment", ["2019-07-01 10:00:00", "2019-07-01T10:00:00", "2019-07-01 10:00"]
)
def test_as_of_takes_a_space_or_a_t(demo_home, moment):
    result = invoke(demo_home, "sql", "--as-of", moment, "select 1 as x", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.output == "x\n1\n"


def test_several_statements_show_each_result(demo_home):
    output = invoke(demo_home, "sql", "select 1 as first; select 2 as second").output
    assert output.split("\n\n") == [
        "first\n-----\n    1\n(1 row)",
        "second\n------\n     2\n(1 row)\n",
    ]
    for fmt in ("csv", "json", "jsonl"):
        result = invoke(demo_home, "sql", "select 1; select 2", "--format", fmt)
        assert result.exit_code == 1 and "one statement" in result.output


def test_a_table_longer_than_a_page_prints_every_row(demo_home):
    output = invoke(demo_home, "sql", "select range as n from range(2500)").output.splitlines()
    assert output[0].strip() == "n" and output[-1] == "(2500 rows)"
    assert [int(line) for line in output[2:-1]] == list(range(2500))


def test_rows_stream_and_the_reader_may_stop_early(demo_home):
    """A result far too large to hold: its first rows arrive, and `| head` ends it cleanly."""
    huge = "select range as n, repeat('x', 100) as pad from range(10000000000)"
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "sql", huge, "--format", "csv"],
        env={**os.environ, "CHITIEU_HOME": str(demo_home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = [process.stdout.readline() for _ in range(3)]
    process.stdout.close()  # as `head -3` does
    assert first[0] == b"n,pad\n" and first[2].startswith(b"1,xxx")
    assert process.wait(timeout=120) == 0
    assert process.stderr.read() == b""


def test_nothing_is_written_into_the_spill_folder(demo_copy):
    """DuckDB lets a read-only connection write into warehouse.duckdb.tmp/; we refuse."""
    spill = demo_copy / "warehouse.duckdb.tmp"
    spill.mkdir()
    for statement in (
        f"copy (select 1 as x) to '{spill}/leak.csv'",
        f"select 1; copy dim_agency to '{spill}/leak.parquet'",
        f"export database '{spill}/dump'",
    ):
        result = invoke(demo_copy, "sql", statement)
        assert result.exit_code == 1 and result.output.startswith("Error: refused"), result.output
    assert list(spill.iterdir()) == []


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
