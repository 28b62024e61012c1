"""Questions about the pipeline record (``etl_submission``) that the CLI and assets ask."""

from datetime import datetime

import duckdb


def status_counts(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> dict[str, int]:
    """Files by status: of one Dagster run, or of every refresh when ``run_id`` is None."""
    if run_id is None:
        rows = con.execute("SELECT status, count(*) FROM etl_submission GROUP BY ALL").fetchall()
    else:
        rows = con.execute(
            "SELECT status, count(*) FROM etl_submission WHERE run_id = ? GROUP BY ALL", [run_id]
        ).fetchall()
    return {status: int(count) for status, count in rows}


def last_load(con: duckdb.DuckDBPyConnection) -> tuple[str, datetime] | None:
    """(run_id, ingested_at) of the refresh that recorded files last; None before any."""
    rows = con.execute(
        "SELECT run_id, max(ingested_at) FROM etl_submission"
        " GROUP BY run_id ORDER BY 2 DESC LIMIT 1"
    ).fetchall()
    return (rows[0][0], rows[0][1]) if rows else None


def recorded_hashes(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The SHA-256 of every file ever recorded (unreadable files have none)."""
    rows = con.execute("SELECT file_sha256 FROM etl_submission WHERE file_sha256 IS NOT NULL")
    return {sha for (sha,) in rows.fetchall()}


def facts_in_force(con: duckdb.DuckDBPyConnection) -> int:
    """Rows of ``fact_indicator_value``: the values in force."""
    return int(con.execute("SELECT count(*) FROM fact_indicator_value").fetchall()[0][0])
