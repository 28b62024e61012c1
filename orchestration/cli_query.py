"""``chitieu sql``: read-only queries on the warehouse, streamed as they are fetched."""

import os
import sys
from collections.abc import Iterator
from datetime import datetime

import click
import duckdb

from orchestration.options import as_of_option, home_option
from orchestration.output import ROW_FORMATS, output_options, write_rows
from warehouse.asof import open_warehouse
from warehouse.home import Home
from warehouse.store import WarehouseMissing

BATCH_ROWS = 10_000  # rows fetched and printed at a time: memory stays bounded
# Statements that write files. The read-only connection refuses other paths, but DuckDB
# lets them write into its own spill folder (warehouse.duckdb.tmp/), so refuse them all.
FILE_WRITERS = {duckdb.StatementType.COPY, duckdb.StatementType.EXPORT}
# In a script of several statements, only these print their result (not BEGIN's "Success").
RESULT_TYPES = {
    duckdb.StatementType.SELECT,
    duckdb.StatementType.EXPLAIN,
    duckdb.StatementType.PRAGMA,
    duckdb.StatementType.CALL,
}


@click.command()
@click.argument("query")
@output_options(formats=ROW_FORMATS)
@home_option
@as_of_option("Query the warehouse as it stood at this date (start of day) or moment.")
def sql(query: str, fmt: str, home: str | None, as_of: datetime | None) -> None:
    """Run a read-only SQL query on the warehouse.

    The connection is read-only and cannot reach other files, so a query never changes
    the warehouse; COPY and EXPORT are refused. A refresh running at the same time is
    not blocked: you see the warehouse as it was when the query started. Rows are
    printed as they are fetched, so a large result starts at once (pipe it to `head`).

    Several statements separated by ";" print one result after another in the table
    format, once all of them ran; csv, json and jsonl take one statement.

    With --as-of, every table (facts, pipeline record, review tables) is first rebuilt
    as it stood at that moment, in a temporary copy.

    Example:

        chitieu sql "select * from review_indicator_totals where period_code = '2019S1'"

        chitieu sql --as-of 2019-01-05 "select * from indicator_values where period_code = '2018S2'"
    """
    statements = _statements(query, fmt)
    # One statement streams; a script is printed once all of it ran, so that a failing
    # statement prints only its error, not the results before it.
    script: list[str] = []
    write = script.append if len(statements) > 1 else _write
    try:
        with open_warehouse(Home.from_env(home), as_of) as con:
            for statement in statements:
                cursor = con.execute(statement)
                if cursor.description is None:
                    continue
                if len(statements) > 1 and statement.type not in RESULT_TYPES:
                    continue
                write("\n" if script else "")
                columns = [d[0] for d in cursor.description]
                write_rows(columns, _batches(cursor), fmt, write)
        _write("".join(script))
    except WarehouseMissing as error:
        raise click.ClickException(str(error)) from error
    except duckdb.Error as error:
        raise click.ClickException(_explain(error)) from error
    except BrokenPipeError:
        _stop_quietly()


def _statements(query: str, fmt: str) -> list:
    """The query's statements, refused before any runs if one writes files."""
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as error:
        raise click.ClickException(_explain(error)) from error
    writers = [s for s in statements if s.type in FILE_WRITERS]
    if writers:
        kind = writers[0].type.name
        raise click.ClickException(f"refused: `chitieu sql` only reads the warehouse ({kind})")
    if len(statements) > 1 and fmt != "table":
        raise click.ClickException(
            f"--format {fmt} prints one result: give one statement, not {len(statements)}"
            " (the table format prints each in turn)"
        )
    return statements


def _batches(cursor: duckdb.DuckDBPyConnection) -> Iterator[list]:
    while batch := cursor.fetchmany(BATCH_ROWS):
        yield batch


def _write(text: str) -> None:
    sys.stdout.write(text)


def _stop_quietly() -> None:
    """The reader went away (`| head`): end without a traceback from the final flush."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(0)


def _explain(error: duckdb.Error) -> str:
    text = str(error).splitlines()[0]
    lowered = text.lower()
    if any(word in lowered for word in ("read-only", "external access", "disabled", "locked")):
        return f"refused: `chitieu sql` only reads the warehouse ({text})"
    return text
