"""Loading the accepted submissions and publishing the refreshed warehouse."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from assets.resources import RefreshResource
from assets.review import REVIEW_ASSET_KEYS
from warehouse.inbox import clear_from_inbox
from warehouse.load import Submission, Triage, load_batch


@asset(group_name="warehouse", deps=["inbox_files"])
def warehouse_facts(
    context: AssetExecutionContext,
    refresh: RefreshResource,
    validated_submissions: list[Submission],
) -> MaterializeResult:
    """The record, problems, history and facts in force, written to this run's copy."""
    home = refresh.paths
    paths = [
        str(home.archive / s.arrival.archive_name) if s.arrival.archive_name else None
        for s in validated_submissions
    ]
    with refresh.connect() as con:
        con.execute("BEGIN TRANSACTION")
        ids = load_batch(con, refresh.catalog, validated_submissions, paths, context.run_id)
        con.execute("COMMIT")
        facts = con.execute("SELECT count(*) FROM fact_indicator_value").fetchall()[0][0]
    return MaterializeResult(
        metadata={
            "submissions_recorded": len(ids),
            "fact_rows_in_force": int(facts),
            "periods_touched": ", ".join(
                sorted(
                    {
                        s.parsed.period_code
                        for s in validated_submissions
                        if s.parsed and s.parsed.period_code
                    }
                )
            )
            or "-",
        }
    )


@asset(
    group_name="warehouse",
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
    inbox exactly the files recorded (a file re-saved meanwhile waits for the next run)."""
    refresh.publish()
    kept = clear_from_inbox(
        [*inbox_files.new, *(a for a, _ in inbox_files.duplicates), *inbox_files.already_recorded]
    )
    for arrival in kept:
        reason = "unreadable" if arrival.unreadable else "changed since it was read"
        context.log.info(f"{arrival.file_name}: left in the inbox ({reason})")
    return MaterializeResult(
        metadata={"warehouse": str(refresh.paths.warehouse), "left_in_inbox": len(kept)}
    )
