"""The project's Dagster definitions (``[tool.dagster]`` points here)."""

from dagster import Definitions, colored_console_logger, mem_io_manager

from assets.ingest import inbox_files, parsed_submissions, validated_submissions
from assets.load import published_warehouse, warehouse_facts
from assets.periods import period_review_workbook
from assets.quality import delivered_alerts, feedback_workbooks, queued_alerts
from assets.resources import ProjectResource, RefreshResource
from assets.review import review_tables
from orchestration.jobs import period_reports_job, refresh_job
from orchestration.progress import progress_logger
from orchestration.schedules import daily_refresh
from orchestration.sensors import inbox_sensor

defs = Definitions(
    assets=[
        inbox_files,
        parsed_submissions,
        validated_submissions,
        warehouse_facts,
        review_tables,
        published_warehouse,
        feedback_workbooks,
        queued_alerts,
        delivered_alerts,
        period_review_workbook,
    ],
    jobs=[refresh_job, period_reports_job],
    schedules=[daily_refresh],
    sensors=[inbox_sensor],
    # The refresh's steps pass their outputs in memory: they run in one process, under one
    # lock, on a private copy that is discarded with the run, so a pickled output could
    # never be reused (and pickling them cost 10 s of a 10,000-file refresh).
    resources={
        "refresh": RefreshResource(),
        "project": ProjectResource(),
        "io_manager": mem_io_manager,
    },
    loggers={"console": colored_console_logger, "progress": progress_logger},
)
