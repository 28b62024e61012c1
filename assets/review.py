"""The review tables: one step builds the rollup of the facts in force, then every table.

They are one multi-asset, so the UI still shows each table as an asset with its own
description, row count and preview, while a refresh pays for one Dagster step, not nine.
"""

from collections.abc import Iterator

from dagster import AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from assets.resources import RefreshResource
from warehouse.review import (
    REVIEW_TABLES,
    ROLLUP,
    build_review_table,
    build_rollup,
    describe_review_table,
    preview,
)

PREVIEW_ROWS = 10
GROUP = "review"
# Review tables built from other review tables rather than from the rollup alone.
BUILT_FROM = {"review_task_summary": ["review_agency_tasks"]}

ROLLUP_SPEC = AssetSpec(
    ROLLUP,
    group_name=GROUP,
    deps=["warehouse_facts"],
    description="Values for every period an agency covers, directly or from finer periods.",
)
REVIEW_SPECS = [
    AssetSpec(
        table,
        group_name=GROUP,
        deps=[ROLLUP, "warehouse_facts", *BUILT_FROM.get(table, [])],
        description=f"{describe_review_table(table)} (`{table}`, warehouse.md)",
    )
    for table in REVIEW_TABLES
]
REVIEW_ASSET_KEYS = [spec.key for spec in REVIEW_SPECS]


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


@multi_asset(specs=[ROLLUP_SPEC, *REVIEW_SPECS], name="review_tables")
def review_tables(refresh: RefreshResource) -> Iterator[MaterializeResult]:
    """Rebuild the rollup, then each review table in REVIEW_TABLES order."""
    with refresh.connect() as con:
        rows = build_rollup(con)
        yield MaterializeResult(asset_key=AssetKey(ROLLUP), metadata={"rows": rows})
        for table in REVIEW_TABLES:
            rows = build_review_table(con, table)
            shown = markdown_table(preview(con, table, PREVIEW_ROWS))
            yield MaterializeResult(
                asset_key=AssetKey(table),
                metadata={"rows": rows, "preview": MetadataValue.md(shown)},
            )
