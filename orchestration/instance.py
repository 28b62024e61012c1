"""The Dagster instance folder under CHITIEU_HOME, shared by `chitieu run`, `ui` and `status`."""

import fcntl
import json
import sqlite3
import weakref
from contextlib import closing
from pathlib import Path

from warehouse.home import Home

REFRESH_JOB_NAME = "refresh"

# Default local storage (SQLite under the folder); no telemetry from an offline office.
DEFAULT_SETTINGS = "telemetry:\n  enabled: false\n"


def ensure_dagster_home(home: Home) -> Path:
    """Create ``home.dagster_home`` with a dagster.yaml if missing; never overwrite one."""
    dagster_home = home.dagster_home
    dagster_home.mkdir(parents=True, exist_ok=True)
    settings = dagster_home / "dagster.yaml"
    if not settings.exists():
        settings.write_text(DEFAULT_SETTINGS)
    return dagster_home


def open_instance(home: Home):
    """A DagsterInstance on the home's instance folder (use it as a context manager).

    Creating the instance creates and migrates its SQLite storage; two processes doing that
    at once (the schedule and the sensor on a first start) collide, so it is serialized.
    """
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    _read_migration_scripts_once()
    folder = ensure_dagster_home(home)
    with open(folder / "instance.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ref = InstanceRef.from_dir(str(folder), overrides=_pooled_event_log(folder))
        return DagsterInstance.from_ref(ref)


def _read_migration_scripts_once() -> None:
    """Keep alembic's ScriptDirectory per Config for the life of the process.

    Dagster stamps each SQLite database of a new instance with alembic, and alembic reads
    (executes) its ~90 migration scripts again for every ScriptDirectory it makes: 0.35 s
    of opening a new instance, every test's. Dagster passes the same Config objects every
    time (``get_alembic_config`` is cached), and the scripts do not change under a
    running process, so one ScriptDirectory per Config holds the same revisions.
    """
    from alembic.script import ScriptDirectory

    if getattr(ScriptDirectory.from_config, "kept_per_config", False):
        return
    make = ScriptDirectory.from_config
    kept: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def from_config(cls, config):
        found = kept.get(config)
        if found is None:
            found = kept[config] = make(config)
        return found

    from_config.kept_per_config = True  # type: ignore[attr-defined]
    ScriptDirectory.from_config = classmethod(from_config)  # type: ignore[method-assign,assignment]


def _pooled_event_log(folder: Path) -> dict:
    """On Dagster's default local storage, the same event log files with kept engines."""
    if _configures(folder, "storage", "run_storage", "event_log_storage"):
        return {}
    return {
        "event_log_storage": {
            "module": "orchestration.event_log",
            "class": "PooledSqliteEventLogStorage",
            "config": {"base_dir": str(folder / "history" / "runs")},
        }
    }


def sqlite_run_storage(dagster_home: Path) -> Path | None:
    """The runs database of an instance on Dagster's default local storage, else None.

    ``chitieu status`` reads the newest run from it directly, so that it need not
    import Dagster (0.7 s) to print one line; any other storage (PostgreSQL...) is
    configured in dagster.yaml and read through Dagster.
    """
    if _configures(dagster_home, "storage", "run_storage"):
        return None
    return dagster_home / "history" / "runs.db"


def _configures(dagster_home: Path, *keys: str) -> bool:
    """Whether the instance's dagster.yaml sets any of these top-level keys."""
    settings = dagster_home / "dagster.yaml"
    text = settings.read_text(encoding="utf-8") if settings.exists() else ""
    return any(line.split(":")[0] in keys for line in text.splitlines())


def newest_run_sqlite(runs_db: Path, job_name: str) -> dict | None:
    """The newest run of ``job_name`` as Dagster's run storage records it (newest id first)."""
    if not runs_db.exists():
        return None
    uri = f"file:{runs_db}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=10)) as con:
        row = con.execute(
            "SELECT run_id, status, start_time, end_time FROM runs"
            " WHERE pipeline_name = ? ORDER BY id DESC LIMIT 1",
            [job_name],
        ).fetchone()
    if row is None:
        return None
    return dict(zip(("run_id", "status", "start_time", "end_time"), row, strict=True))


def run_pids_sqlite(dagster_home: Path, run_id: str) -> list[int]:
    """The process ids in a run's newest events (default local storage), newest first."""
    events_db = dagster_home / "history" / "runs" / f"{run_id}.db"
    if not events_db.exists():
        return []
    uri = f"file:{events_db}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=10)) as con:
        rows = con.execute("SELECT event FROM event_logs ORDER BY id DESC LIMIT 20").fetchall()
    events = [json.loads(event).get("dagster_event") or {} for (event,) in rows]
    return [event["pid"] for event in events if event.get("pid")]
