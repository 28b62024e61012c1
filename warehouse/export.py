"""Export the warehouse as Parquet, partitioned by period, for Spark, Trino or DuckDB.

Tables with a period are written Hive-style (``<table>/period_code=2019S1/*.parquet``):
facts get the ``period_code`` of their ``period_key`` from ``dim_period``, so a reader
can prune by period without the dimension. Other tables are one ``<table>.parquet``.
The export reads one snapshot of the live file: a refresh that publishes meanwhile
replaces the file by rename, and the open connection keeps reading the old one.
"""

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.home import Home
from warehouse.store import WarehouseMissing

PARTITION = "period_code"
EXPORTED_PREFIXES = ("dim_", "fact_", "review_", "agg_")
EXPORTED_TABLES = ("etl_submission", "dq_issue")


@dataclass
class ExportedTable:
    name: str
    rows: int
    partitions: int  # 0: one plain file
    path: Path


def connect_for_export(home: Home) -> duckdb.DuckDBPyConnection:
    """Read-only, but allowed to write files (``connect_readonly`` forbids ``COPY TO``)."""
    if not home.warehouse.exists():
        raise WarehouseMissing(f"no warehouse at {home.warehouse}: run `chitieu run` first")
    return duckdb.connect(str(home.warehouse), read_only=True)


def exported_tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Table name -> column names, for the tables an export carries."""
    found: dict[str, list[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
    ).fetchall():
        if table.startswith(EXPORTED_PREFIXES) or table in EXPORTED_TABLES:
            found.setdefault(table, []).append(column)
    return found


def _query(table: str, columns: list[str]) -> tuple[str, bool]:
    """The SELECT to export and whether it is partitioned by period (never a dimension)."""
    if table.startswith("dim_"):
        return f"SELECT * FROM {table}", False
    if PARTITION in columns:
        return f"SELECT * FROM {table}", True
    if "period_key" in columns:
        return (
            f"SELECT t.*, p.period_code FROM {table} AS t"
            " LEFT JOIN dim_period AS p USING (period_key)",
            True,
        )
    return f"SELECT * FROM {table}", False


def _copy(con: duckdb.DuckDBPyConnection, query: str, target: Path, partitioned: bool) -> None:
    options = f"FORMAT parquet, PARTITION_BY ({PARTITION})" if partitioned else "FORMAT parquet"
    literal = str(target).replace("'", "''")
    con.execute(f"COPY ({query}) TO '{literal}' ({options})")


def export_parquet(home: Home, folder: Path, overwrite: bool = False) -> list[ExportedTable]:
    """Write every exported table under ``folder``, which appears complete or not at all."""
    folder = Path(folder).resolve()
    if folder.exists() and any(folder.iterdir()) and not overwrite:
        raise FileExistsError(f"{folder} is not empty (use --overwrite to replace it)")
    partial = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        written = _export_into(home, partial)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return [ExportedTable(t.name, t.rows, t.partitions, folder / t.path.name) for t in written]


def _export_into(home: Home, folder: Path) -> list[ExportedTable]:
    written = []
    with connect_for_export(home) as con:
        con.execute("BEGIN TRANSACTION")  # one snapshot for every table
        for table, columns in exported_tables(con).items():
            query, partitioned = _query(table, columns)
            target = folder / (table if partitioned else f"{table}.parquet")
            _copy(con, query, target, partitioned)
            rows = int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
            parts = len([p for p in target.iterdir() if p.is_dir()]) if partitioned else 0
            written.append(ExportedTable(table, rows, parts, target))
        con.execute("COMMIT")
    return written
