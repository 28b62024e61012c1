"""Loading the accepted submissions and publishing the refreshed warehouse."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, Output, asset

from assets.periods import PUBLISH_GROUP, add_period_partitions
from assets.quality import Feedback
from assets.resources import RefreshResource
from assets.review import REVIEW_ASSET_KEYS
from reference.model import Submission
from warehouse.load import Triage, load_isolated
from warehouse.record import facts_in_force


@asset(group_name="warehouse", deps=["inbox_files"])
def warehouse_facts(
    context: AssetExecutionContext,
    refresh: RefreshResource,
    validated_submissions: list[Submission],
    feedback_workbooks: Feedback,
) -> Output[list[Submission]]:
    """The record, problems, history and facts in force, written to this run's copy.

    Loaded while the feedback workbooks are written; the load commits once they are. A
    file whose feedback could not be written, or whose rows cannot be loaded, is
    rejected alone (``processing_error``); the output is every submission as recorded.
    """
    home = refresh.paths
    submissions = validated_submissions
    paths = [
        str(home.archive / s.arrival.archive_name) if s.arrival.archive_name else None
        for s in submissions
    ]

    def feedback_failed() -> bool:
        return feedback_workbooks.reject_unwritten(submissions)

    with refresh.connect() as con:
        ids, refused = load_isolated(
            con, refresh.catalog, submissions, paths, context.run_id, feedback_failed
        )
        facts = facts_in_force(con)
    for key, reason in feedback_workbooks.failed.items():
        name = feedback_workbooks.file_names[key]
        context.log.error(f"{name}: rejected, its feedback workbook failed: {reason}")
    for index, error in refused:
        name = submissions[index].arrival.file_name
        context.log.error(f"{name}: rejected, loading failed on it: {error!r}")
    periods = {s.parsed.period_code for s in submissions if s.parsed and s.parsed.period_code}
    return Output(
        submissions,
        metadata={
            "submissions_recorded": len(ids),
            "fact_rows_in_force": int(facts),
            "refused_while_loading": len(refused),
            "feedback_workbooks": len(feedback_workbooks.written),
            "feedback_failed": len(feedback_workbooks.failed),
            "periods_touched": ", ".join(sorted(periods)) or "-",
        },
    )


@asset(
    group_name=PUBLISH_GROUP,
    deps=[
        *REVIEW_ASSET_KEYS,
        AssetKey("warehouse_facts"),
        AssetKey("feedback_workbooks"),
        AssetKey("queued_alerts"),
    ],
)
def published_warehouse(
    context: AssetExecutionContext, refresh: RefreshResource, inbox_files: Triage
) -> MaterializeResult:
    """Swap the refreshed copy in for the live warehouse, atomically; then remove from the
    inbox exactly the files recorded (a file re-saved meanwhile waits for the next run),
    while the run finishes, and add a ``period`` partition for each period the warehouse
    now holds."""
    with refresh.connect() as con:
        from warehouse.report_data import review_periods  # pandas, openpyxl: only here

        periods = review_periods(con)
    refresh.publish()
    added = add_period_partitions(context.instance, periods)
    kept = refresh.clear_inbox(
        [*inbox_files.new, *(a for a, _ in inbox_files.duplicates), *inbox_files.already_recorded]
    )
    for arrival in kept:
        reason = "unreadable" if arrival.unreadable else "changed since it was read"
        context.log.info(f"{arrival.file_name}: left in the inbox ({reason})")
    return MaterializeResult(
        metadata={
            "warehouse": str(refresh.paths.warehouse),
            "periods_added": ", ".join(added) or "-",
            "left_in_inbox": len(kept),
        }
    )
