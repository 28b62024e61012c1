"""Printing rows as a table, CSV, JSON or JSON Lines; shared by every command that prints rows.

Rows arrive in batches and are written as they come, so a query of millions of rows
starts printing at once and holds one batch in memory: the table takes its column
widths from the first page, CSV and JSON Lines need nothing ahead, and JSON writes
its array one element at a time.
"""

import csv
import datetime as dt
import decimal
import io
import json
from collections.abc import Callable, Iterable, Sequence

import click

FORMATS = ("table", "csv", "json")
ROW_FORMATS = (*FORMATS, "jsonl")  # for commands printing one result set (`chitieu sql`)
PAGE_ROWS = 1000  # the table's widths come from this many first rows

Rows = Sequence[Sequence]
Write = Callable[[str], object]


def output_options(command: Callable | None = None, *, formats: Sequence[str] = FORMATS):
    """Add ``--format`` to a command that prints rows (``@output_options`` or with formats)."""

    def decorate(command: Callable) -> Callable:
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(formats),
            default="table",
            show_default=True,
            help="How to print the rows"
            + (" (json: one array; jsonl: one object a line)." if "jsonl" in formats else "."),
        )(command)

    return decorate(command) if command is not None else decorate


def _number(value: decimal.Decimal | float) -> int | float:
    """163 stays 163 (not "163.0"); other numbers as floats."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return int(value) if value.is_integer() else value


def _plain(value: object) -> object:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | float):
        return _number(value)
    return value


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, decimal.Decimal):
        value = float(value)
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return str(_plain(value))


def write_rows(columns: Sequence[str], batches: Iterable[Rows], fmt: str, write: Write) -> int:
    """Write every batch of rows in ``fmt`` as it arrives; returns the number of rows."""
    writers = {"table": _table, "csv": _csv, "json": _json, "jsonl": _jsonl}
    return writers[fmt](columns, iter(batches), write)


def render(columns: Sequence[str], rows: Rows, fmt: str) -> str:
    """All rows as one string (for short results), without a final newline."""
    parts: list[str] = []
    write_rows(columns, [rows], fmt, parts.append)
    return "".join(parts).rstrip("\n")


def _csv(columns: Sequence[str], batches, write: Write) -> int:
    count = 0
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for batch in batches:
        writer.writerows([[_plain(v) for v in row] for row in batch])
        count += len(batch)
        write(buffer.getvalue())
        buffer.seek(0)
        buffer.truncate()
    write(buffer.getvalue())
    return count


def _objects(columns: Sequence[str], batch: Rows) -> list[str]:
    return [
        json.dumps(dict(zip(columns, map(_plain, row), strict=True)), ensure_ascii=False)
        for row in batch
    ]


def _jsonl(columns: Sequence[str], batches, write: Write) -> int:
    count = 0
    for batch in batches:
        write("".join(line + "\n" for line in _objects(columns, batch)))
        count += len(batch)
    return count


def _json(columns: Sequence[str], batches, write: Write) -> int:
    count = 0
    write("[")
    for batch in batches:
        for line in _objects(columns, batch):
            write(("\n" if count == 0 else ",\n") + line)
            count += 1
    write("\n]\n" if count else "]\n")
    return count


def _table(columns: Sequence[str], batches, write: Write) -> int:
    first: list[Sequence] = []
    for batch in batches:
        first.extend(batch)
        if len(first) >= PAGE_ROWS:
            break
    cells = [[_cell(v) for v in row] for row in first]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    numeric = [
        all(isinstance(row[i], int | float | decimal.Decimal) or row[i] is None for row in first)
        for i in range(len(columns))
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric, strict=True)
        ).rstrip()

    write(line(columns) + "\n" + "  ".join("-" * w for w in widths) + "\n")
    write("".join(line(r) + "\n" for r in cells))
    count = len(first)
    for batch in batches:
        write("".join(line([_cell(v) for v in row]) + "\n" for row in batch))
        count += len(batch)
    write(f"({count} row{'s' if count != 1 else ''})\n")
    return count
