"""The daily refresh at 06:00, Vietnam time."""

from dagster import DefaultScheduleStatus, RunRequest, ScheduleDefinition, ScheduleEvaluationContext

from orchestration.jobs import NOTHING_ARRIVED_ASSETS, refresh_job
from warehouse.home import Home
from warehouse.inbox import inbox_paths


def _refresh_request(context: ScheduleEvaluationContext) -> RunRequest:
    """The whole refresh when files wait in the inbox; else only its alert retries."""
    arrived = bool(inbox_paths(Home.from_env()))
    return RunRequest(asset_selection=None if arrived else NOTHING_ARRIVED_ASSETS)


daily_refresh = ScheduleDefinition(
    name="daily_refresh",
    job=refresh_job,
    cron_schedule="0 6 * * *",
    execution_timezone="Asia/Ho_Chi_Minh",
    default_status=DefaultScheduleStatus.RUNNING,
    execution_fn=_refresh_request,
)
