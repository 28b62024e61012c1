"""Loading the accepted submissions and publishing the refreshed warehouse."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from assets.periods import PUBLISH_GROUP, add_period_partitions
from assets.resources import RefreshResource
from assets.review import REVIEW_ASSET_KEYS
from warehouse.inbox import clear_from_inbox
from warehouse.load import Submission, Triage, load_batch
from warehouse.report_data import review_periods


@asset(group_name="warehouse", deps=["inbox_files"])
def warehouse_facts(
    context: AssetExecutionContext,
    refresh: RefreshResource,
    validated_submissions: list[Submission],
) -> MaterializeResult:
    """The record, problems, history and facts in force, written to this run's copy."""
    home = refresh.paths
    paths = [str(home.archive / s.arrival.archive_name) for s in validated_submissions]
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
    """Swap the refreshed copy in for the live warehouse, atomically; then empty the inbox
    and add a ``period`` partition for each period the warehouse now holds."""
    with refresh.connect() as con:
        periods = review_periods(con)
    refresh.publish()
    added = add_period_partitions(context.instance, periods)
    clear_from_inbox(
        [*inbox_files.new, *(a for a, _ in inbox_files.duplicates), *inbox_files.already_recorded]
    )
    return MaterializeResult(
        metadata={
            "warehouse": str(refresh.paths.warehouse),
            "periods_added": ", ".join(added) or "-",
        }
    )
