"""The daily refresh at 06:00, Vietnam time."""

from dagster import DefaultScheduleStatus, RunRequest, ScheduleDefinition, ScheduleEvaluationContext

from orchestration.jobs import NOTHING_ARRIVED_ASSETS, refresh_job
from warehouse.freshness import nothing_to_do
from warehouse.home import Home


def _refresh_request(context: ScheduleEvaluationContext) -> RunRequest:
    """The whole refresh when there is something to do; else only its alert retries."""
    quiet = nothing_to_do(Home.from_env())
    return RunRequest(asset_selection=NOTHING_ARRIVED_ASSETS if quiet else None)


daily_refresh = ScheduleDefinition(
    name="daily_refresh",
    job=refresh_job,
    cron_schedule="0 6 * * *",
    execution_timezone="Asia/Ho_Chi_Minh",
    default_status=DefaultScheduleStatus.RUNNING,
    description=(
        "Every day at 06:00 Vietnam time: one `refresh` run (inbox, validation, load, "
        "review tables, feedback, alerts), whether or not the sensor saw new files; "
        "with an empty inbox and the reference data as last published, only its "
        "alert retries (delivered_alerts)."
    ),
    execution_fn=_refresh_request,
)
