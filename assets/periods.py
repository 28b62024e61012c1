"""Per-period review workbooks, partitioned by reporting period.

Analysts re-run or backfill one period from the UI; every refresh adds a partition
for each period the published warehouse holds, whoever started it (CLI, schedule,
sensor), so the partitions are there after ``chitieu demo``.
"""

from dagster import (
    AssetExecutionContext,
    DagsterInstance,
    DynamicPartitionsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from assets.resources import ProjectResource
from assets.review import markdown_table
from warehouse.review import ProvinceTotal, province_totals
from warehouse.store import connect_readonly

PERIOD_PARTITIONS = "period"
period_partitions = DynamicPartitionsDefinition(name=PERIOD_PARTITIONS)
PUBLISH_GROUP = "publish"  # what follows publishing: after the review group, never before


def add_period_partitions(instance: DagsterInstance, periods: list[str]) -> list[str]:
    """Add the partitions of ``periods`` that the instance lacks; return those added."""
    known = set(instance.get_dynamic_partitions(PERIOD_PARTITIONS))
    new = [code for code in periods if code not in known]
    if new:
        instance.add_dynamic_partitions(PERIOD_PARTITIONS, new)
    return new


@asset(partitions_def=period_partitions, group_name=PUBLISH_GROUP, deps=["published_warehouse"])
def period_review_workbook(
    context: AssetExecutionContext, project: ProjectResource
) -> MaterializeResult:
    """The review workbook of one period (``reports/<period>.xlsx``), from the live warehouse."""
    # imported here: pandas and openpyxl are for this asset only, not for every refresh
    from warehouse.report_data import PeriodNotInWarehouse, load_review_data
    from workbooks.reports.review_report import write_review_report

    period_code = context.partition_key
    home = project.paths
    try:
        with connect_readonly(home) as con:
            data = load_review_data(con, period_code)
            totals = province_totals(con, period_code)
    except PeriodNotInWarehouse as error:
        raise Failure(description=str(error)) from error
    home.reports.mkdir(parents=True, exist_ok=True)
    path = write_review_report(home.reports / f"{period_code}.xlsx", period_code, data)
    return MaterializeResult(
        metadata={
            "workbook": MetadataValue.path(str(path)),
            "indicators": len(totals),
            "province_totals": MetadataValue.md(markdown_table(_totals_frame(totals))),
        }
    )


def _totals_frame(totals: list[ProvinceTotal]):
    import pandas as pd

    columns = ["indicator_code", "total_value", "same_period_last_year_value", "change_pct"]
    return pd.DataFrame(totals, columns=list(ProvinceTotal._fields))[columns]
