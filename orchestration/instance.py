"""The Dagster instance folder under CHITIEU_HOME, shared by `chitieu run`, `ui` and `status`."""

import fcntl
from pathlib import Path

from warehouse.home import Home

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

    folder = ensure_dagster_home(home)
    with open(folder / "instance.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return DagsterInstance.from_config(str(folder))
