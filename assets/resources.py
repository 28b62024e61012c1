"""The refresh resource: one lock and one private warehouse copy per run.

The job runs in-process, so the resource is set up once per run: it takes the
single-writer lock, copies the live warehouse to staging when a step first writes,
and discards the copy at the end unless the publish asset promoted it; the end also
waits for the inbox files being removed after publishing. A run that only reads
(nothing arrived) makes no copy.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import duckdb
from dagster import ConfigurableResource, InitResourceContext
from pydantic import PrivateAttr

from reference import Catalog, load_catalog
from reference.model import Arrival
from warehouse.freshness import record_reference, reference_digest
from warehouse.home import Home
from warehouse.inbox import InboxClearing
from warehouse.store import StagedWarehouse, connect_readonly_file, is_current, refresh_lock


class ProjectResource(ConfigurableResource):
    """The project's home, catalogue and date. ``home`` defaults to ``CHITIEU_HOME``."""

    home: str = ""
    today: str = ""  # ISO date that counts as "today" for period checks; empty = real today
    _home: Home | None = PrivateAttr(default=None)

    @property
    def paths(self) -> Home:
        """The project's home; its folders are made on the first read, not on every one."""
        if self._home is None:
            self._home = Home.from_env(self.home or None).ensure()
        return self._home

    @property
    def catalog(self) -> Catalog:
        return load_catalog()

    @property
    def reference_date(self) -> date:
        return date.fromisoformat(self.today) if self.today else date.today()


class RefreshResource(ProjectResource):
    """Where the refresh works: a private copy of the warehouse, under the writer's lock."""

    _staged: StagedWarehouse | None = PrivateAttr(default=None)
    _reference: str = PrivateAttr(default="")
    _clearing: InboxClearing | None = PrivateAttr(default=None)

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator["RefreshResource"]:
        home = self.paths
        with refresh_lock(home):
            staged = StagedWarehouse(home, context.run_id or "adhoc")
            staged.discard_stale()
            self._staged = staged
            self._reference = reference_digest()  # before any step reads the catalogue
            try:
                yield self
            finally:
                if self._clearing is not None:  # under the lock: no refresh scans meanwhile
                    self._clearing.wait()
                    self._clearing = None
                staged.discard()
                self._staged = None

    def _run_copy(self) -> StagedWarehouse:
        if self._staged is None:
            raise RuntimeError("the refresh resource is not set up for a run")
        return self._staged

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A connection to this run's private copy of the warehouse."""
        staged = self._run_copy()
        if not staged.prepared:
            staged.prepare()
        return staged.connect()

    def read(self) -> duckdb.DuckDBPyConnection:
        """A connection for reading only: the live warehouse while no copy is needed yet.

        Under the writer's lock the live file cannot change, so it reads the same as the
        copy would; an old schema (a migration pending) is read from the migrated copy.
        """
        staged = self._staged
        if staged is not None and not staged.prepared and is_current(self.paths.warehouse):
            return connect_readonly_file(self.paths.warehouse)
        return self.connect()

    def publish(self) -> None:
        self._run_copy().publish()
        record_reference(self.paths, self._reference)

    def clear_inbox(self, arrivals: list[Arrival]) -> list[Arrival]:
        """Start removing the files of ``arrivals`` the published warehouse accounts for;
        the end of the run waits for it. Returns the files that stay in the inbox."""
        if self._clearing is not None:
            self._clearing.wait()
        self._clearing = InboxClearing(arrivals).start()
        return self._clearing.kept
