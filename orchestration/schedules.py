"""The daily refresh at 06:00, Vietnam time."""

from dagster import DefaultScheduleStatus, ScheduleDefinition

from orchestration.jobs import refresh_job

daily_refresh = ScheduleDefinition(
    name="daily_refresh",
    job=refresh_job,
    cron_schedule="0 6 * * *",
    execution_timezone="Asia/Ho_Chi_Minh",
    default_status=DefaultScheduleStatus.RUNNING,
)
