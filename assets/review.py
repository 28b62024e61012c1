"""One asset per review table, all built from the rollup of the facts in force."""

from dagster import AssetKey, AssetsDefinition, MaterializeResult, MetadataValue, asset

from assets.resources import RefreshResource
from warehouse.review import (
    REVIEW_TABLES,
    build_review_table,
    build_rollup,
    describe_review_table,
)

PREVIEW_ROWS = 10
# Review tables built from other review tables rather than from the rollup alone.
BUILT_FROM = {"review_task_summary": ["review_agency_tasks"]}


def markdown_table(frame) -> str:
    """A small DataFrame as a Markdown table (no extra dependency)."""
    if frame.empty:
        return "(empty)"
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = [
        "| " + " | ".join("" if v is None else str(v) for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *body])


@asset(group_name="review", deps=["warehouse_facts"])
def agg_indicator_value(refresh: RefreshResource) -> MaterializeResult:
    """Values for every period an agency covers, directly or from finer periods."""
    with refresh.connect() as con:
        build_rollup(con)
        rows = con.execute("SELECT count(*) FROM agg_indicator_value").fetchall()[0][0]
    return MaterializeResult(metadata={"rows": int(rows)})


def _review_asset(table: str) -> AssetsDefinition:
    @asset(
        name=table,
        group_name="review",
        deps=["agg_indicator_value", "warehouse_facts", *BUILT_FROM.get(table, [])],
        description=f"{describe_review_table(table)} (`{table}`, warehouse.md)",
    )
    def _build(refresh: RefreshResource) -> MaterializeResult:
        with refresh.connect() as con:
            rows = build_review_table(con, table)
            preview = con.execute(f"SELECT * FROM {table} LIMIT {PREVIEW_ROWS}").df()
        return MaterializeResult(
            metadata={
                "rows": rows,
                "preview": MetadataValue.md(markdown_table(preview)),
            }
        )

    return _build


REVIEW_ASSETS = [_review_asset(table) for table in REVIEW_TABLES]
REVIEW_ASSET_KEYS = [AssetKey(table) for table in REVIEW_TABLES]
