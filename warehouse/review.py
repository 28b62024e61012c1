"""Materialize the review tables of warehouse.md from the facts in force."""

from pathlib import Path
from typing import NamedTuple

import duckdb

REVIEW_SQL = Path(__file__).parent / "sql" / "review"
ROLLUP = "agg_indicator_value"
# Build order: the rollup first, agency tasks before their summary.
REVIEW_TABLES = (
    "review_indicator_totals",
    "review_district_indicator",
    "review_district_comparable",
    "review_former_district_indicator",
    "review_agency_tasks",
    "review_task_summary",
    "review_completeness",
    "review_program",
)


ROLLUP_LEVELS = ("quarter", "half_year", "year")  # finest first


def build_rollup(con: duckdb.DuckDBPyConnection) -> int:
    """Values in force for every period covered directly or by all of its parts; its rows."""
    con.execute((REVIEW_SQL / f"00_{ROLLUP}.sql").read_text(encoding="utf-8"))
    one_pass = (REVIEW_SQL / "00_agg_rollup_pass.sql").read_text(encoding="utf-8")
    for level in ROLLUP_LEVELS:
        con.execute("SET VARIABLE level = ?", [level])
        con.execute(one_pass)
    return int(con.execute(f"SELECT count(*) FROM {ROLLUP}").fetchall()[0][0])


def describe_review_table(name: str) -> str:
    """What a review table holds: the leading comment of its SQL file, as one paragraph."""
    lines = (REVIEW_SQL / f"{name}.sql").read_text(encoding="utf-8").splitlines()
    comment = []
    for line in lines:
        if not line.startswith("--"):
            break
        comment.append(line.removeprefix("--").strip())
    return " ".join(comment)


def _require_review_table(name: str) -> None:
    """Refuse a name that is not a review table: it is put into the SQL text."""
    if name not in REVIEW_TABLES:
        raise ValueError(f"unknown review table {name!r}")


def build_review_table(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """(Re)build one review table; returns its row count."""
    _require_review_table(name)
    con.execute((REVIEW_SQL / f"{name}.sql").read_text(encoding="utf-8"))
    return int(con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0])


def preview(con: duckdb.DuckDBPyConnection, name: str, rows: int):
    """The first ``rows`` rows of a review table, as a DataFrame (for the UI)."""
    _require_review_table(name)
    return con.execute(f"SELECT * FROM {name} LIMIT {int(rows)}").df()


class ProvinceTotal(NamedTuple):
    """One row of ``review_indicator_totals`` as the run summary and the UI show it."""

    indicator_code: str
    indicator_name: str
    total_value: float | None
    unit: str
    same_period_last_year_value: float | None
    change_pct: float | None


def latest_half_year(con: duckdb.DuckDBPyConnection) -> str | None:
    """The newest half year with review totals, if any."""
    return con.execute(
        "SELECT max(period_code) FROM review_indicator_totals WHERE period_type = 'half_year'"
    ).fetchall()[0][0]


def province_totals(con: duckdb.DuckDBPyConnection, period_code: str) -> list[ProvinceTotal]:
    """The province's total of every indicator for one period, in the catalogue's order."""
    rows = con.execute(
        f"SELECT {', '.join(ProvinceTotal._fields)} FROM review_indicator_totals"
        " WHERE period_code = ? ORDER BY sort_order",
        [period_code],
    ).fetchall()
    return [ProvinceTotal(*row) for row in rows]
