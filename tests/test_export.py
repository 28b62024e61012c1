"""`chitieu export --parquet`: the export read back by DuckDB holds the warehouse's rows."""

from pathlib import Path

import duckdb
import pytest

from tests.helpers import invoke

# Tables with a period are partitioned by it; dimensions and period-less tables are not.
PARTITIONED = ("fact_indicator_value", "fact_task_history", "etl_submission", "review_completeness")
PLAIN = ("dim_agency", "dim_district", "dim_period", "dim_indicator", "dq_issue")


@pytest.fixture(scope="module")
def exported(demo_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export") / "parquet"
    result = invoke(demo_home, "export", "--parquet", str(folder))
    assert result.exit_code == 0, result.output
    assert "tables written" in result.output
    return folder


@pytest.fixture(scope="module")
def con(demo_home: Path):
    """An in-memory DuckDB with the demo warehouse attached read-only as `wh`."""
    with duckdb.connect() as connection:
        connection.execute(f"ATTACH '{demo_home / 'warehouse.duckdb'}' AS wh (READ_ONLY)")
        yield connection


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> str:
    names = con.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_catalog = 'wh' AND table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return ", ".join(f'"{n}"' for (n,) in names)


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What an export must carry: the star schema, the record and the review tables."""
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'wh'"
        " AND (regexp_matches(table_name, '^(dim|fact|review|agg)_')"
        " OR table_name IN ('etl_submission', 'dq_issue')) ORDER BY 1"
    ).fetchall()
    return [name for (name,) in rows]


def _read(folder: Path, table: str) -> str:
    if (folder / f"{table}.parquet").is_file():
        return f"read_parquet('{folder / table}.parquet')"
    return (
        f"read_parquet('{folder / table}/**/*.parquet', hive_partitioning = true,"
        " hive_types = {'period_code': VARCHAR})"
    )


def _difference(con, left: str, right: str, columns: str) -> list:
    query = f"SELECT {columns} FROM {left} EXCEPT ALL SELECT {columns} FROM {right}"
    return con.execute(query).fetchall()


def test_every_table_reads_back_with_the_same_rows(exported: Path, con):
    tables = _tables(con)
    assert set(PARTITIONED + PLAIN) <= set(tables)
    for table in tables:
        columns = _columns(con, table)
        exported_rows = _read(exported, table)
        total = con.execute(f"SELECT count(*) FROM wh.{table}").fetchall()[0][0]
        if total == 0:  # an empty partitioned table is an empty folder
            assert (exported / table).is_dir() or (exported / f"{table}.parquet").is_file()
            continue
        assert con.execute(f"SELECT count(*) FROM {exported_rows}").fetchall()[0][0] == total
        assert _difference(con, f"wh.{table}", exported_rows, columns) == [], table
        assert _difference(con, exported_rows, f"wh.{table}", columns) == [], table


def test_tables_with_a_period_are_partitioned_and_others_are_not(exported: Path):
    for table in PARTITIONED:
        assert (exported / table).is_dir(), table
        assert all(p.name.startswith("period_code=") for p in (exported / table).iterdir())
    for table in PLAIN:
        assert (exported / f"{table}.parquet").is_file(), table


def test_facts_are_partitioned_by_their_period(exported: Path, con):
    folders = sorted(p.name for p in (exported / "fact_indicator_value").iterdir())
    periods = con.execute(
        "SELECT DISTINCT 'period_code=' || p.period_code FROM wh.fact_indicator_value"
        " JOIN wh.dim_period AS p USING (period_key) ORDER BY 1"
    ).fetchall()
    assert folders == [p for (p,) in periods]
    mismatched = con.execute(
        f"SELECT count(*) FROM {_read(exported, 'fact_indicator_value')} AS f"
        " JOIN wh.dim_period AS p USING (period_key) WHERE f.period_code <> p.period_code"
    ).fetchall()[0][0]
    assert mismatched == 0
    in_2019s1 = con.execute(
        f"SELECT count(*) FROM {_read(exported, 'fact_indicator_value')}"
        " WHERE period_code = '2019S1'"
    ).fetchall()[0][0]
    assert in_2019s1 > 0


def test_a_non_empty_folder_is_kept_unless_overwrite(demo_home: Path, tmp_path: Path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "keep.txt").write_text("analyst notes")
    refused = invoke(demo_home, "export", "--parquet", str(folder))
    assert refused.exit_code == 1
    assert "not empty" in refused.output and "--overwrite" in refused.output
    assert (folder / "keep.txt").exists()
    replaced = invoke(demo_home, "export", "--parquet", str(folder), "--overwrite")
    assert replaced.exit_code == 0, replaced.output
    assert not (folder / "keep.txt").exists()
    assert (folder / "dim_agency.parquet").exists()


def test_without_a_warehouse_the_error_says_what_to_do(home: Path, tmp_path: Path):
    result = invoke(home, "export", "--parquet", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "chitieu run" in result.output
    assert not (tmp_path / "out").exists()
