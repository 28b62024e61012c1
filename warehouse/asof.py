"""The warehouse as it stood at a past moment, review tables included."""

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb

from warehouse.home import Home
from warehouse.review import REVIEW_TABLES, build_review_table, build_rollup
from warehouse.store import connect_readonly, connect_readonly_file, read_sql

AS_OF_FORMATS = [
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
]


def build_as_of(source: Path, target: Path, as_of: datetime) -> Path:
    """Copy ``source`` to ``target`` and rewind the copy to ``as_of``.

    The facts, the pipeline record and every review table then show what an analyst
    would have seen had each file been loaded when it arrived.
    """
    shutil.copyfile(source, target)
    with duckdb.connect(str(target)) as con:
        con.execute("SET VARIABLE as_of = ?", [as_of])
        con.execute(read_sql("as_of.sql"))
        build_rollup(con)
        for table in REVIEW_TABLES:
            build_review_table(con, table)
        con.execute("CHECKPOINT")
    return target


@contextmanager
def open_warehouse(home: Home, as_of: datetime | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the warehouse, or to a rewound copy when ``as_of`` is set."""
    with connect_readonly(home) as con:  # fails clearly when there is no warehouse
        if as_of is None:
            yield con
            return
    with tempfile.TemporaryDirectory(prefix="chitieu-as-of-") as folder:
        snapshot = build_as_of(home.warehouse, Path(folder) / "as_of.duckdb", as_of)
        with connect_readonly_file(snapshot) as con:
            yield con
