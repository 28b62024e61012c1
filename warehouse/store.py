"""Safe access to the warehouse file.

Analysts and refreshes never block each other: a refresh works on a private copy
(``staging/<run>.duckdb``) and publishes it with one atomic ``os.replace``. A reader
holding the old file keeps a consistent old state; the next connection sees the new
one. Refreshes serialize on an ``flock``; a crash leaves the live file untouched and
the next refresh discards the stale copy.
"""

import fcntl
import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb

from warehouse.home import Home

SQL_DIR = Path(__file__).parent / "sql"
log = logging.getLogger(__name__)


class WarehouseMissing(RuntimeError):
    """No refresh has built the warehouse yet."""


def read_sql(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8")


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame) -> None:
    """Insert a DataFrame's rows into ``table`` by column name, in one statement."""
    if frame.empty:
        return
    con.register("incoming_frame", frame)
    columns = ", ".join(frame.columns)
    con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming_frame")
    con.unregister("incoming_frame")


def is_current(path: Path) -> bool:
    """True when the warehouse file exists at the newest schema version (read-only check)."""
    if not path.exists():
        return False
    with connect_readonly_file(path) as con:
        try:
            version = con.execute("SELECT max(version) FROM meta_schema").fetchall()[0][0]
        except duckdb.CatalogException:
            return False
    return version == migrations()[-1][0]


def migrations() -> list[tuple[int, Path]]:
    """The numbered migration files, in order: ``NNN_what.sql``."""
    return sorted((int(p.name[:3]), p) for p in (SQL_DIR / "migrations").glob("[0-9]*.sql"))


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    con.execute(
        "CREATE TABLE IF NOT EXISTS meta_schema (version INTEGER NOT NULL, "
        "applied_at TIMESTAMP NOT NULL)"
    )
    return con.execute("SELECT coalesce(max(version), 0) FROM meta_schema").fetchall()[0][0]


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Bring the schema up to date, one numbered migration at a time; returns the version.

    Each migration runs in its own transaction with the record of its version, so a
    warehouse is always at exactly one version. Views and macros are recreated after.
    """
    current = schema_version(con)
    for version, path in migrations():
        if version > current:
            con.execute("BEGIN TRANSACTION")
            con.execute(path.read_text(encoding="utf-8"))
            con.execute(
                "INSERT INTO meta_schema (version, applied_at) VALUES (?, ?)",
                [version, datetime.now()],
            )
            con.execute("COMMIT")
            current = version
    con.execute(read_sql("macros.sql"))
    return current


def connect_readonly(home: Home) -> duckdb.DuckDBPyConnection:
    """A read-only connection that cannot touch other files (for analysts)."""
    if not home.warehouse.exists():
        raise WarehouseMissing(f"no warehouse at {home.warehouse}: run `chitieu run` first")
    return connect_readonly_file(home.warehouse)


def connect_readonly_file(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(
        str(path),
        read_only=True,
        config={"enable_external_access": False, "lock_configuration": True},
    )


@contextmanager
def refresh_lock(home: Home, poll_seconds: float = 0.5) -> Iterator[None]:
    """Hold the single-writer lock; waits (logging once) while another refresh runs."""
    home.root.mkdir(parents=True, exist_ok=True)
    with open(home.lock_file, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("another refresh is running; waiting for it to finish")
            while True:
                time.sleep(poll_seconds)
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    continue
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class StagedWarehouse:
    """A private copy of the warehouse that one refresh writes and then publishes."""

    def __init__(self, home: Home, name: str):
        self.home = home
        self.path = home.staging / f"{name}.duckdb"
        self.published = False
        self.prepared = False
        self._database: duckdb.DuckDBPyConnection | None = None

    def discard_stale(self) -> None:
        """Remove the copies a crashed refresh left (we hold the writer's lock)."""
        self.home.ensure()
        for stale in self.home.staging.glob("*.duckdb*"):
            stale.unlink()

    def prepare(self) -> None:
        self._close()
        self.discard_stale()
        self.prepared = True
        if self.home.warehouse.exists():
            shutil.copyfile(self.home.warehouse, self.path)
        with self.connect() as con:
            migrate(con)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own (a cursor) to the copy, which stays open for the run:
        opening the file again for every step cost 15-20 ms each time."""
        if self._database is None:
            self._database = duckdb.connect(str(self.path))
        return self._database.cursor()

    def _close(self) -> None:
        if self._database is not None:
            self._database.close()
            self._database = None

    def publish(self) -> None:
        """Atomically replace the live warehouse with this copy."""
        with self.connect() as con:
            con.execute("CHECKPOINT")
        self._close()
        with open(self.path, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(self.path, self.home.warehouse)
        self.published = True

    def discard(self) -> None:
        self._close()
        if not self.published:
            for leftover in self.home.staging.glob(f"{self.path.name}*"):
                leftover.unlink(missing_ok=True)
