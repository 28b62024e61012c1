"""``chitieu sql``: read-only queries on the warehouse."""

import click
import duckdb

from orchestration.output import output_options, render
from warehouse.home import Home
from warehouse.store import WarehouseMissing, connect_readonly


@click.command()
@click.argument("query")
@output_options
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    envvar="CHITIEU_HOME",
    help="Project home (default: $CHITIEU_HOME or ./data).",
)
def sql(query: str, fmt: str, home: str | None) -> None:
    """Run a read-only SQL query on the warehouse.

    The connection is read-only and cannot reach other files, so a query never changes
    the warehouse. A refresh running at the same time is not blocked: you see the
    warehouse as it was when the query started.

    Example:

        chitieu sql "select * from review_indicator_totals where period_code = '2019S1'"
    """
    try:
        with connect_readonly(Home.from_env(home)) as con:
            cursor = con.execute(query)
            if cursor.description is None:
                return
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
    except WarehouseMissing as error:
        raise click.ClickException(str(error)) from error
    except duckdb.Error as error:
        raise click.ClickException(_explain(error)) from error
    click.echo(render(columns, rows, fmt))


def _explain(error: duckdb.Error) -> str:
    text = str(error).splitlines()[0]
    if "read-only" in text or "external access" in text.lower() or "disabled" in text:
        return f"refused: `chitieu sql` only reads the warehouse ({text})"
    return text
