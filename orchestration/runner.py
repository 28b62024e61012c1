"""Run the refresh job in-process against a real Dagster instance, and summarise it."""

from dataclasses import dataclass, field
from datetime import date

from expectations.ahead import validation_ahead
from orchestration.instance import open_instance
from warehouse.freshness import nothing_to_do, record_check
from warehouse.home import Home
from warehouse.inbox import inbox_paths
from warehouse.record import status_counts
from warehouse.review import ProvinceTotal, latest_half_year, province_totals
from warehouse.store import connect_readonly


@dataclass
class RefreshSummary:
    run_id: str | None  # None: nothing to do, so no Dagster run was made
    success: bool
    alerts: str = ""  # what the delivery of due alerts did, when no run was made
    published: bool = False  # the refreshed warehouse replaced the live one
    failed_steps: list[str] = field(default_factory=list)
    this_run: dict[str, int] = field(default_factory=dict)  # status -> files of this run
    overall: dict[str, int] = field(default_factory=dict)  # status -> all files ever
    latest_period: str | None = None
    latest_totals: list[ProvinceTotal] = field(default_factory=list)


def run_refresh(
    home: Home, today: date | None = None, log_level: str = "WARNING", progress: bool = False
) -> RefreshSummary:
    """Execute the same job the schedule runs; the warehouse changes only if it succeeds.

    With nothing to do (empty inbox, reference data and schema as last published) no
    Dagster run is made: alerts that are due are delivered, the check is recorded for
    `chitieu status`, and nothing is copied, validated or rebuilt. So the daily run that
    finds nothing costs little more than Python's start-up.
    """
    home.ensure()
    waiting = len(inbox_paths(home))
    if not waiting and nothing_to_do(home):
        summary = _deliver_due_alerts(home)
    else:
        with validation_ahead(waiting):
            summary = _run_job(home, today, log_level, progress)
    if home.warehouse.exists():
        _fill_summary(home, summary)
    return summary


def _deliver_due_alerts(home: Home) -> RefreshSummary:
    from alerts import deliver

    report = deliver(home.root)
    record_check(home, report.summary())
    # unusable settings are the command's own error (cli_refresh): not said twice
    outcome = report.summary(settings_error=False)
    return RefreshSummary(None, report.settings_error is None, alerts=outcome)


def _run_job(home: Home, today: date | None, log_level: str, progress: bool) -> RefreshSummary:
    from orchestration.definitions import defs

    config = {"home": str(home.root), "today": today.isoformat() if today else ""}
    job = defs.resolve_job_def("refresh")
    with open_instance(home) as instance:
        result = job.execute_in_process(
            run_config={
                "resources": {"refresh": {"config": config}},
                "loggers": {
                    "console": {"config": {"log_level": log_level}},
                    "progress": {
                        "config": {
                            "enabled": progress,
                            "total_steps": len(job.nodes_in_topological_order),
                        }
                    },
                },
            },
            instance=instance,
            raise_on_error=False,
        )
    return RefreshSummary(
        result.run_id,
        result.success,
        published=result.is_node_success("published_warehouse"),
        failed_steps=sorted(result.get_failed_step_keys()),
    )


def _fill_summary(home: Home, summary: RefreshSummary) -> None:
    with connect_readonly(home) as con:
        if summary.run_id is not None:
            summary.this_run = status_counts(con, summary.run_id)
        summary.overall = status_counts(con)
        summary.latest_period = latest_half_year(con)
        if summary.latest_period:
            summary.latest_totals = province_totals(con, summary.latest_period)
