"""``chitieu status``: the last refresh, files by status and open alerts, without blocking."""

import fcntl
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import click

from alerts import PendingDelivery, pending
from orchestration.instance import (
    REFRESH_JOB_NAME,
    newest_run_sqlite,
    run_pids_sqlite,
    sqlite_run_storage,
)
from orchestration.options import home_option
from orchestration.output import output_options, render
from reference.model import STATUSES
from warehouse.freshness import last_check
from warehouse.home import Home
from warehouse.inbox import LOCAL_TZ
from warehouse.record import last_load, status_counts
from warehouse.store import connect_readonly

RUNNING_STATES = ("STARTED", "STARTING")
ABANDONED = "ABANDONED"  # shown for a run killed while running (still STARTED in Dagster)
ALERT_COLUMNS: tuple[str, ...] = ("alert_id", "channel", "kind", "file_name", "agency_code")
ALERT_COLUMNS += ("period_code", "attempts", "next_attempt_at", "last_error")


@dataclass
class Status:
    warehouse: bool = False
    last_load: dict | None = None  # run_id, ingested_at, files (status -> count)
    last_dagster_run: dict | None = None  # run_id, status, started_at, ended_at
    last_check: dict | None = None  # checked_at, alerts: a `run` that found nothing to do
    files: dict[str, int] = field(default_factory=dict)  # status -> count, all refreshes
    open_alerts: list[PendingDelivery] = field(default_factory=list)
    alert_settings: dict = field(default_factory=dict)  # ok, channels or error


def collect(home: Home) -> Status:
    """Everything `status` shows; only reads (the refresh works on its own copy)."""
    status = Status(warehouse=home.warehouse.exists(), open_alerts=pending(home.root))
    if status.warehouse:
        _from_warehouse(home, status)
    status.last_dagster_run = _last_dagster_run(home)
    status.last_check = last_check(home)
    status.alert_settings = _alert_settings(home)
    return status


def _alert_settings(home: Home) -> dict:
    """Whether the alert settings can be used, and which channels they turn on."""
    from alerts import SettingsError, load_settings

    try:
        settings = load_settings(home.root)
    except SettingsError as error:
        return {"ok": False, "error": str(error)}
    channels = ["log"] + ["email"] * settings.email_enabled + ["webhook"] * settings.webhook_enabled
    return {"ok": True, "channels": channels}


def _from_warehouse(home: Home, status: Status) -> None:
    with connect_readonly(home) as con:
        status.files = status_counts(con)
        last = last_load(con)
        if last is None:
            return
        run_id, ingested_at = last
        files = status_counts(con, run_id)
    # Stored as the loading machine's naive local time: shown in Vietnam time, with its
    # offset, like received_at, so a reader in any time zone reads the same moment.
    shown = ingested_at.astimezone(LOCAL_TZ)
    status.last_load = {"run_id": run_id, "ingested_at": shown, "files": dict(files)}


def _last_dagster_run(home: Home) -> dict | None:
    """The newest run of the refresh job in the home's Dagster instance, if there is one."""
    folder = home.dagster_home
    if not ((folder / "dagster.yaml").exists() or (folder / "history").exists()):
        return None  # never create an instance just to look at it
    runs_db = sqlite_run_storage(folder)
    if runs_db is not None:
        try:
            run = newest_run_sqlite(runs_db, REFRESH_JOB_NAME)
        except Exception as error:  # noqa: BLE001 - a corrupt file: say so, go on
            return {"status": "unknown", "error": f"{type(error).__name__}: {error}"}
        if run is None:
            return None
        state = run["status"]
        pids = run_pids_sqlite(folder, run["run_id"]) if state in RUNNING_STATES else []
        return {
            "run_id": run["run_id"],
            "status": ABANDONED if _abandoned(pids, home) else state,
            "recorded_status": state,
            "started_at": _moment(run["start_time"]),
            "ended_at": _moment(run["end_time"]),
        }
    from dagster import DagsterInstance, RunsFilter

    try:
        with DagsterInstance.from_config(str(home.dagster_home)) as instance:
            records = instance.get_run_records(RunsFilter(job_name=REFRESH_JOB_NAME), limit=1)
            state = records[0].dagster_run.status.value if records else None
            if state in RUNNING_STATES and _abandoned(_run_pids(instance, records[0]), home):
                state = ABANDONED
    except Exception as error:  # noqa: BLE001 - e.g. its PostgreSQL is down: say so, go on
        return {"status": "unknown", "error": f"{type(error).__name__}: {error}"}
    if not records:
        return None
    record = records[0]
    return {
        "run_id": record.dagster_run.run_id,
        "status": state,
        "recorded_status": record.dagster_run.status.value,
        "started_at": _moment(record.start_time),
        "ended_at": _moment(record.end_time),
    }


def _run_pids(instance, record) -> list[int]:
    """The process ids in a run's newest events, newest first (any storage)."""
    events = instance.get_records_for_run(record.dagster_run.run_id, limit=20, ascending=False)
    return [e.event_log_entry.dagster_event.pid for e in events.records
            if e.event_log_entry.dagster_event and e.event_log_entry.dagster_event.pid]  # fmt: skip


def _abandoned(pids: list[int], home: Home) -> bool:
    """A run recorded as running whose process is gone and whose refresh lock is free:
    it was killed (SIGKILL, power loss) before it could record its end."""
    if not pids or _process_alive(pids[0]):
        return False
    return not _refresh_lock_held(home)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _process_state(pid) != "Z"  # a zombie is dead, only not yet waited for


def _process_state(pid: int) -> str:
    try:
        stat = open(f"/proc/{pid}/stat").read()  # noqa: SIM115 - tiny, read at once
    except OSError:
        return ""
    return stat.rpartition(")")[2].split()[0]


def _refresh_lock_held(home: Home) -> bool:
    if not home.lock_file.exists():
        return False
    with open(home.lock_file) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def _moment(timestamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, UTC).astimezone() if timestamp else None


def _counts(files: dict[str, int]) -> dict[str, int]:
    return {s: files.get(s, 0) for s in (*STATUSES, *sorted(set(files) - set(STATUSES)))}


def as_rows(status: Status) -> list[tuple[str, str, object]]:
    """(section, name, value) rows: the CSV layout, and the source of the table."""
    rows: list[tuple[str, str, object]] = [("warehouse", "exists", status.warehouse)]
    if status.last_load:
        rows += [("last_load", k, status.last_load[k]) for k in ("run_id", "ingested_at")]
        rows += [("last_load", s, n) for s, n in _counts(status.last_load["files"]).items()]
    for key, value in (status.last_dagster_run or {}).items():
        rows.append(("last_dagster_run", key, value))
    for key, value in (status.last_check or {}).items():
        rows.append(("last_check", key, value))
    rows += [("files", s, n) for s, n in _counts(status.files).items()]
    rows += [("alert_settings", k, v) for k, v in status.alert_settings.items()]
    rows.append(("open_alerts", "count", len(status.open_alerts)))
    for alert in status.open_alerts:
        section = f"alert {alert.alert_id} {alert.channel}"
        rows += [(section, c, getattr(alert, c)) for c in ALERT_COLUMNS[2:]]
    return rows


def as_json(status: Status) -> str:
    data = {
        "warehouse": status.warehouse,
        "last_load": status.last_load
        and {**status.last_load, "files": _counts(status.last_load["files"])},
        "last_dagster_run": status.last_dagster_run,
        "last_check": status.last_check,
        "files": _counts(status.files),
        "open_alerts": [asdict(a) for a in status.open_alerts],
        "alert_settings": status.alert_settings,
    }
    return json.dumps(data, ensure_ascii=False, default=_iso)


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def as_table(status: Status) -> str:
    parts = []
    if status.last_load:
        load = status.last_load
        at = f"{load['ingested_at']:%Y-%m-%d %H:%M:%S %z}"  # Vietnam time, with its offset
        parts.append(f"Last load: run {load['run_id']} at {at}")
        parts.append(_line(load["files"]))
    else:
        parts.append("Last load: none" + ("" if status.warehouse else " (no warehouse yet)"))
    parts.append(_run_line(status.last_dagster_run))
    if status.last_check:
        at = status.last_check["checked_at"].astimezone(LOCAL_TZ)
        parts.append(f"Last check, nothing to do: {at:%Y-%m-%d %H:%M:%S %z} (no run needed)")
    parts.append("Files in total: " + _line(status.files).strip())
    parts.append(_settings_line(status.alert_settings))
    parts.append(f"\nOpen alerts: {len(status.open_alerts)}")
    if status.open_alerts:
        rows = [[getattr(a, c) for c in ALERT_COLUMNS] for a in status.open_alerts]
        parts.append(render(ALERT_COLUMNS, rows, "table"))
    return "\n".join(parts)


def _settings_line(settings: dict) -> str:
    if not settings.get("ok", True):
        return f"Alert settings: UNUSABLE, only the log channel runs: {settings['error']}"
    return "Alert settings: ok, channels " + ", ".join(settings.get("channels", []))


def _run_line(run: dict | None) -> str:
    prefix = f"Last run of job {REFRESH_JOB_NAME}:"
    if run is None:
        return f"{prefix} none recorded"
    if "error" in run:
        return f"{prefix} instance unreadable ({run['error']})"
    started = f"{run['started_at']:%Y-%m-%d %H:%M:%S %z}" if run["started_at"] else "not started"
    line = f"{prefix} {run['status']} ({started}), {run['run_id']}"
    if run["status"] == ABANDONED:
        line += (f" - recorded as {run['recorded_status']}, but its process is gone: it was "
                 "killed; the next refresh redoes its work")  # fmt: skip
    return line


def _line(files: dict[str, int]) -> str:
    return "  " + ", ".join(f"{n} {s}" for s, n in _counts(files).items())


@click.command()
@home_option
@output_options
def status(home: str | None, fmt: str) -> None:
    """Show the last refresh, the files by status, and the alerts not yet delivered.

    "Last load" is the newest refresh that recorded files in the warehouse
    (etl_submission); "last run" is the newest run of the Dagster job `refresh` in the
    instance under the home (a run that found nothing new records no files). Reads
    only: a refresh running meanwhile is neither blocked nor blocking. CSV prints one
    (section, name, value) row per figure; JSON prints one object.

    Example:

        chitieu status

        chitieu status --format json
    """
    current = collect(Home.from_env(home))
    if fmt == "json":
        click.echo(as_json(current))
    elif fmt == "csv":
        click.echo(render(("section", "name", "value"), as_rows(current), "csv"))
    else:
        click.echo(as_table(current))


if __name__ == "__main__":
    status()
