"""The daily refresh at 06:00, Vietnam time."""

from dagster import DefaultScheduleStatus, ScheduleDefinition

from orchestration.jobs import refresh_job

daily_refresh = ScheduleDefinition(
    name="daily_refresh",
    job=refresh_job,
    cron_schedule="0 6 * * *",
    execution_timezone="Asia/Ho_Chi_Minh",
    default_status=DefaultScheduleStatus.RUNNING,
    description=(
        "Every day at 06:00 Vietnam time: one `refresh` run (inbox, validation, load, "
        "review tables, feedback, alerts), whether or not the sensor saw new files."
    ),
)
