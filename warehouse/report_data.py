"""Read the review tables of one period for the review workbook (``chitieu report``).

Read-only queries (``warehouse/sql/report/*.sql``) on a connection the caller opens,
returned as pandas DataFrames in a ``ReviewData`` that ``workbooks.reports.review_report``
turns into a workbook, so that ``workbooks`` never touches DuckDB.
"""

from pathlib import Path

import duckdb
import pandas as pd

from reference.model import ReviewData
from reference.periods import parse_period

REPORT_SQL = Path(__file__).parent / "sql" / "report"
_FRAMES = (
    "totals",
    "districts",
    "agency_tasks",
    "task_summary",
    "completeness",
    "program",
    "former_districts",
)


class PeriodNotInWarehouse(LookupError):
    """The period code is valid but the warehouse has no review figures for it."""


def review_periods(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every period with review figures (reported or rolled up): one workbook each."""
    rows = con.execute(
        "SELECT DISTINCT period_code FROM review_indicator_totals ORDER BY 1"
    ).fetchall()
    return [row[0] for row in rows]


def query(con: duckdb.DuckDBPyConnection, name: str, period_code: str) -> pd.DataFrame:
    """Run ``sql/report/<name>.sql`` for one period; results are fetched whole."""
    sql = (REPORT_SQL / f"{name}.sql").read_text(encoding="utf-8")
    return con.execute(sql, {"period_code": period_code}).df()


def load_review_data(con: duckdb.DuckDBPyConnection, period_code: str) -> ReviewData:
    """Everything the review workbook shows for ``period_code``.

    ValueError for a malformed code; PeriodNotInWarehouse when nothing was reported.
    A programme phase (``2016-2021``) has no totals of its own: its workbook shows the
    phase's cumulative figures (review_program).
    """
    period = parse_period(period_code)
    known = query(con, "period", period.code)
    frames = {name: query(con, name, period.code) for name in _FRAMES}
    if period.period_type == "phase":
        program = frames["program"]
        frames["program"] = program[program["phase_code"] == period.code]
    if known.empty or (frames["totals"].empty and frames["program"].empty):
        raise PeriodNotInWarehouse(
            f"the warehouse has no figures for period {period.code} ({period.label_vi})"
        )
    return ReviewData(period_code=period.code, period_label=period.label_vi, **frames)
