"""The refresh job: every asset, in one process, so one lock and one copy serve the run."""

from dagster import AssetSelection, define_asset_job, in_process_executor

REFRESH_JOB_NAME = "refresh"

refresh_job = define_asset_job(
    REFRESH_JOB_NAME,
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Pick up the inbox, validate, load, and rebuild the review tables.",
)
