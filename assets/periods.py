"""Per-period review workbooks, partitioned by reporting period.

Analysts re-run or backfill one period from the UI; the inbox sensor adds a partition
for every period the warehouse holds.
"""

from dagster import (
    AssetExecutionContext,
    DynamicPartitionsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from assets.resources import ProjectResource
from assets.review import markdown_table
from warehouse.store import connect_readonly

period_partitions = DynamicPartitionsDefinition(name="period")


@asset(partitions_def=period_partitions, group_name="review", deps=["published_warehouse"])
def period_review_workbook(
    context: AssetExecutionContext, project: ProjectResource
) -> MaterializeResult:
    """The review workbook of one period (``reports/<period>.xlsx``), from the live warehouse."""
    # imported here: pandas and openpyxl are for this asset only, not for every refresh
    from warehouse.report_data import PeriodNotInWarehouse, load_review_data
    from workbooks.review_report import write_review_report

    period_code = context.partition_key
    home = project.paths
    try:
        with connect_readonly(home) as con:
            data = load_review_data(con, period_code)
            totals = con.execute(
                "SELECT indicator_code, total_value, same_period_last_year_value, change_pct "
                "FROM review_indicator_totals WHERE period_code = ? ORDER BY sort_order",
                [period_code],
            ).df()
    except PeriodNotInWarehouse as error:
        raise Failure(description=str(error)) from error
    home.reports.mkdir(parents=True, exist_ok=True)
    path = write_review_report(home.reports / f"{period_code}.xlsx", period_code, data)
    return MaterializeResult(
        metadata={
            "workbook": MetadataValue.path(str(path)),
            "indicators": len(totals),
            "province_totals": MetadataValue.md(markdown_table(totals)),
        }
    )
