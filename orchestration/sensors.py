"""Start a refresh when the inbox changes."""

import hashlib

import duckdb
from dagster import RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from assets.periods import period_partitions
from orchestration.jobs import refresh_job
from warehouse.home import Home
from warehouse.inbox import entry_signature, inbox_paths
from warehouse.store import WarehouseMissing, connect_readonly


def inbox_fingerprint(home: Home) -> str | None:
    """A digest of the inbox's names, sizes and times; None when the inbox is empty."""
    entries = sorted(entry_signature(p) for p in inbox_paths(home))
    return hashlib.sha256("\n".join(entries).encode()).hexdigest() if entries else None


def warehouse_periods(home: Home) -> list[str]:
    """Every period the review tables hold (reported or rolled up); none before a refresh."""
    try:
        with connect_readonly(home) as con:
            rows = con.execute(
                "SELECT DISTINCT period_code FROM review_indicator_totals ORDER BY 1"
            ).fetchall()
    except (WarehouseMissing, duckdb.Error):
        return []
    return [row[0] for row in rows]


@sensor(job=refresh_job, minimum_interval_seconds=60)
def inbox_sensor(context: SensorEvaluationContext) -> SensorResult | SkipReason:
    """One run per new state of the inbox, and a ``period`` partition per period loaded.

    The cursor remembers the last inbox state seen; the run key is that state, so one
    state never starts two runs.
    """
    home = Home.from_env()
    known = set(context.instance.get_dynamic_partitions(period_partitions.name))
    new_periods = [code for code in warehouse_periods(home) if code not in known]
    partitions = [period_partitions.build_add_request(new_periods)] if new_periods else []
    fingerprint = inbox_fingerprint(home)
    if fingerprint is None or fingerprint == context.cursor:
        if partitions:
            return SensorResult(dynamic_partitions_requests=partitions)
        return SkipReason("nothing new in the inbox")
    return SensorResult(
        run_requests=[RunRequest(run_key=fingerprint)],
        dynamic_partitions_requests=partitions,
        cursor=fingerprint,
    )
