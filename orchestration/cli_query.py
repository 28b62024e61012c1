"""``chitieu sql``: read-only queries on the warehouse."""

from datetime import datetime

import click
import duckdb

from orchestration.options import as_of_option, home_option
from orchestration.output import output_options, render
from warehouse.asof import open_warehouse
from warehouse.home import Home
from warehouse.store import WarehouseMissing


@click.command()
@click.argument("query")
@output_options
@home_option
@as_of_option("Query the warehouse as it stood at this date (start of day) or moment.")
def sql(query: str, fmt: str, home: str | None, as_of: datetime | None) -> None:
    """Run a read-only SQL query on the warehouse.

    The connection is read-only and cannot reach other files, so a query never changes
    the warehouse. A refresh running at the same time is not blocked: you see the
    warehouse as it was when the query started.

    With --as-of, every table (facts, pipeline record, review tables) is first rebuilt
    as it stood at that moment, in a temporary copy.

    Example:

        chitieu sql "select * from review_indicator_totals where period_code = '2019S1'"

        chitieu sql --as-of 2019-01-05 "select * from indicator_values where period_code = '2018S2'"
    """
    try:
        with open_warehouse(Home.from_env(home), as_of) as con:
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
    lowered = text.lower()
    if any(word in lowered for word in ("read-only", "external access", "disabled", "locked")):
        return f"refused: `chitieu sql` only reads the warehouse ({text})"
    return text
