"""`chitieu status`: last refresh, files by status, open alerts; it reads during a refresh."""

import json
import time
from pathlib import Path

from click.testing import CliRunner, Result

from alerts import AlertSettings, build_alert
from orchestration.cli_status import status
from orchestration.cli_ui import ui
from tests.helpers import queue_and_deliver, sql_rows
from tests.servers import WebServer
from warehouse.home import Home
from warehouse.store import StagedWarehouse, refresh_lock


def run_status(home: Path, *args: str) -> Result:
    """The real command (registered in the CLI by the lead), with the test home's environment."""
    env = {"CHITIEU_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    return CliRunner().invoke(status, list(args), env=env, catch_exceptions=False)


def test_status_of_the_demo(demo_home: Path) -> None:
    result = run_status(demo_home, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    [last] = sql_rows(demo_home, "select run_id from etl_submission group by run_id")
    assert data["last_load"]["run_id"] == last["run_id"]
    counts = sql_rows(demo_home, "select status, count(*) as n from etl_submission group by 1")
    expected = {"accepted": 0, "rejected": 0, "superseded": 0, "duplicate": 0}
    expected |= {row["status"]: row["n"] for row in counts}
    assert data["last_load"]["files"] == expected and expected["accepted"] > 40
    assert data["files"] == expected  # the demo is one refresh
    assert data["last_dagster_run"]["run_id"] == last["run_id"]  # `chitieu demo` ran the job
    assert data["last_dagster_run"]["status"] == "SUCCESS"
    assert data["open_alerts"] == []

    table = run_status(demo_home)
    assert table.exit_code == 0
    assert ", ".join(f"{n} {s}" for s, n in expected.items()) in table.output
    assert "Open alerts: 0" in table.output
    rows = run_status(demo_home, "--format", "csv").output.splitlines()
    assert rows[0] == "section,name,value"
    assert "last_dagster_run,status,SUCCESS" in rows


def test_status_lists_undelivered_alerts(demo_copy: Path) -> None:
    hook = WebServer()
    hook.status = 503  # the chat server is down: the alert stays in the outbox
    hook.start()
    try:
        alert = build_alert(
            file_sha256="ab" * 32,
            file_name="2019S1_TD.xlsx",
            status="rejected",
            problems=[{"severity": "error", "rule": "R1", "message": "sai"}],
            agency_code="TD",
            period_code="2019S1",
        )
        settings = AlertSettings(webhook_url=hook.url, webhook_timeout_seconds=3)
        report = queue_and_deliver([alert], demo_copy, settings)
    finally:
        hook.stop()
    assert report.channels["webhook"].failed == 1

    data = json.loads(run_status(demo_copy, "--format", "json").output)
    [open_alert] = data["open_alerts"]
    assert open_alert["alert_id"] == alert.alert_id
    assert (open_alert["channel"], open_alert["file_name"]) == ("webhook", "2019S1_TD.xlsx")
    assert open_alert["attempts"] == 1 and "503" in open_alert["last_error"]
    table = run_status(demo_copy).output
    assert "Open alerts: 1" in table and "2019S1_TD.xlsx" in table


def test_status_is_not_blocked_by_a_running_refresh(demo_copy: Path) -> None:
    home = Home(demo_copy)
    with refresh_lock(home):  # a refresh in progress: lock held, its copy open for writing
        staged = StagedWarehouse(home, "running")
        staged.prepare()
        with staged.connect() as writer:
            writer.execute("DELETE FROM etl_submission")
            started = time.monotonic()
            result = run_status(demo_copy, "--format", "json")
            elapsed = time.monotonic() - started
        staged.discard()
    assert result.exit_code == 0, result.output
    live = sql_rows(demo_copy, "select count(*) as n from etl_submission")[0]["n"]
    assert sum(json.loads(result.output)["files"].values()) == live > 0  # the published state
    assert elapsed < 10


def test_status_of_an_empty_home(home: Path) -> None:
    result = run_status(home)
    assert result.exit_code == 0, result.output
    assert "no warehouse yet" in result.output
    assert not (home / "dagster").exists()  # looking never creates an instance


def test_help_has_examples() -> None:
    for command in (status, ui):
        result = CliRunner().invoke(command, ["--help"])
        assert result.exit_code == 0 and "Example:" in result.output


def test_the_run_read_without_dagster_is_dagsters_newest(demo_copy: Path) -> None:
    """`status` reads the default SQLite run storage itself; it must agree with Dagster."""
    from dagster import DagsterInstance, RunsFilter

    from orchestration.cli_status import _last_dagster_run, _moment
    from orchestration.instance import sqlite_run_storage

    home = Home(demo_copy)
    assert sqlite_run_storage(home.dagster_home) is not None
    with DagsterInstance.from_config(str(home.dagster_home)) as instance:
        before = instance.get_run_records(RunsFilter(job_name="refresh"), limit=1)[0]
        _one_op_job().execute_in_process(instance=instance)  # a newer run of `refresh`
        [record] = instance.get_run_records(RunsFilter(job_name="refresh"), limit=1)
    assert record.dagster_run.run_id != before.dagster_run.run_id
    assert _last_dagster_run(home) == {
        "run_id": record.dagster_run.run_id,
        "status": record.dagster_run.status.value,
        "recorded_status": record.dagster_run.status.value,
        "started_at": _moment(record.start_time),
        "ended_at": _moment(record.end_time),
    }


def _one_op_job():
    from dagster import job, op

    @op
    def nothing() -> None: ...

    @job(name="refresh")
    def refresh() -> None:
        nothing()

    return refresh
