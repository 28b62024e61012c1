"""The refresh job: every asset, in one process, so one lock and one copy serve the run."""

from dagster import AssetKey, AssetSelection, define_asset_job, in_process_executor

from assets.periods import period_partitions, period_review_workbook
from orchestration.instance import REFRESH_JOB_NAME

refresh_job = define_asset_job(
    REFRESH_JOB_NAME,
    selection=AssetSelection.all() - AssetSelection.assets(period_review_workbook),
    executor_def=in_process_executor,
    description="Pick up the inbox, validate, load, and rebuild the review tables.",
)

# When there is nothing to do (the daily schedule's usual case: an empty inbox, and the
# reference data and schema as last published; warehouse/freshness.py) the refresh job
# runs only this step: alerts still due are retried. Nothing is copied, validated or
# rebuilt; the run is still a run of `refresh` in the instance (`chitieu status`).
NOTHING_ARRIVED_ASSETS = [AssetKey("delivered_alerts")]

period_reports_job = define_asset_job(
    "period_reports",
    selection=AssetSelection.assets(period_review_workbook),
    partitions_def=period_partitions,
    description="Write the review workbook of one period (or backfill several).",
)
