"""Run the refresh job in-process against a real Dagster instance, and summarise it."""

from dataclasses import dataclass, field
from datetime import date

from orchestration.instance import open_instance
from warehouse.freshness import nothing_to_do
from warehouse.home import Home
from warehouse.store import connect_readonly


@dataclass
class RefreshSummary:
    run_id: str
    success: bool
    published: bool = False  # the refreshed warehouse replaced the live one
    failed_steps: list[str] = field(default_factory=list)
    this_run: dict[str, int] = field(default_factory=dict)  # status -> files of this run
    overall: dict[str, int] = field(default_factory=dict)  # status -> all files ever
    latest_period: str | None = None
    latest_totals: list[tuple[str, str, float, str]] = field(default_factory=list)


def run_refresh(
    home: Home, today: date | None = None, log_level: str = "WARNING", progress: bool = False
) -> RefreshSummary:
    """Execute the same job the schedule runs; the warehouse changes only if it succeeds.

    With nothing to do (empty inbox, reference data and schema as last published) only
    the steps of NOTHING_ARRIVED_ASSETS run (a run of the same job, recorded as such), so
    the daily run that finds nothing costs almost nothing.
    """
    from orchestration.definitions import defs
    from orchestration.jobs import NOTHING_ARRIVED_ASSETS

    home.ensure()
    config = {"home": str(home.root), "today": today.isoformat() if today else ""}
    job = defs.resolve_job_def("refresh")
    selection = NOTHING_ARRIVED_ASSETS if nothing_to_do(home) else None
    steps = len(selection) if selection else len(job.nodes_in_topological_order)
    with open_instance(home) as instance:
        result = job.execute_in_process(
            run_config={
                "resources": {"refresh": {"config": config}},
                "loggers": {
                    "console": {"config": {"log_level": log_level}},
                    "progress": {
                        "config": {
                            "enabled": progress,
                            "total_steps": steps,
                        }
                    },
                },
            },
            instance=instance,
            raise_on_error=False,
            asset_selection=selection,
        )
    summary = RefreshSummary(
        result.run_id,
        result.success,
        published=selection is None and result.is_node_success("published_warehouse"),
        failed_steps=sorted(result.get_failed_step_keys()),
    )
    if home.warehouse.exists():
        _fill_summary(home, summary)
    return summary


def _fill_summary(home: Home, summary: RefreshSummary) -> None:
    with connect_readonly(home) as con:
        summary.this_run = dict(
            con.execute(
                "SELECT status, count(*) FROM etl_submission WHERE run_id = ? GROUP BY ALL",
                [summary.run_id],
            ).fetchall()
        )
        summary.overall = dict(
            con.execute("SELECT status, count(*) FROM etl_submission GROUP BY ALL").fetchall()
        )
        latest = con.execute(
            "SELECT max(period_code) FROM review_indicator_totals WHERE period_type = 'half_year'"
        ).fetchall()[0][0]
        summary.latest_period = latest
        summary.latest_totals = con.execute(
            "SELECT indicator_code, indicator_name, total_value, unit FROM review_indicator_totals"
            " WHERE period_code = ? ORDER BY sort_order",
            [latest],
        ).fetchall()
