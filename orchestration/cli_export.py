"""``chitieu export``: the warehouse as Parquet, partitioned by period."""

from pathlib import Path

import click
import duckdb

from warehouse.export import export_parquet
from warehouse.home import Home
from warehouse.store import WarehouseMissing


@click.command()
@click.option(
    "--parquet",
    "folder",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write (created; must be empty unless --overwrite).",
)
@click.option("--overwrite", is_flag=True, help="Replace what the folder holds.")
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    envvar="CHITIEU_HOME",
    help="Project home (default: $CHITIEU_HOME or ./data).",
)
def export(folder: Path, overwrite: bool, home: str | None) -> None:
    """Export the star schema, the pipeline record and the review tables as Parquet.

    Tables with a period (facts, history, review tables, etl_submission) are written
    Hive-style, one folder per period: TABLE/period_code=2019S1/*.parquet; facts carry
    the period_code of their period_key. Other tables are TABLE.parquet. The export
    reads one consistent state of the warehouse and does not block a refresh; the
    folder appears complete or not at all.

    Example:

        chitieu export --parquet export/

        duckdb -c "select period_code, count(*) from read_parquet(
            'export/fact_indicator_value/**/*.parquet', hive_partitioning = true,
            hive_types = {'period_code': VARCHAR}) group by all"
    """
    try:
        written = export_parquet(Home.from_env(home), folder, overwrite)
    except (WarehouseMissing, FileExistsError) as error:
        raise click.ClickException(str(error)) from error
    except duckdb.Error as error:
        raise click.ClickException(f"export failed: {str(error).splitlines()[0]}") from error
    width = max(len(t.name) for t in written)
    for table in written:
        layout = f"{table.partitions} periods" if table.partitions else "one file"
        click.echo(f"{table.name:<{width}}  {table.rows:>9,} rows  {layout}")
    click.echo(f"{len(written)} tables written to {folder.resolve()}")
