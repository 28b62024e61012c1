"""The refresh job: every asset, in one process, so one lock and one copy serve the run."""

from dagster import AssetSelection, define_asset_job, in_process_executor

from assets.periods import period_partitions, period_review_workbook
from orchestration.instance import REFRESH_JOB_NAME

refresh_job = define_asset_job(
    REFRESH_JOB_NAME,
    selection=AssetSelection.all() - AssetSelection.assets(period_review_workbook),
    executor_def=in_process_executor,
    description="Pick up the inbox, validate, load, and rebuild the review tables.",
)

period_reports_job = define_asset_job(
    "period_reports",
    selection=AssetSelection.assets(period_review_workbook),
    partitions_def=period_partitions,
    description="Write the review workbook of one period (or backfill several).",
)
