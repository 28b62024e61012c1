"""The warehouse as it stood at a past moment, review tables included."""

import shutil
from datetime import datetime
from pathlib import Path

import duckdb

from warehouse.review import REVIEW_TABLES, build_review_table, build_rollup
from warehouse.store import read_sql


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
