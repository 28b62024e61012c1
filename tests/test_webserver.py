"""End to end: `chitieu ui` serves the real webserver; a GraphQL client launches `refresh`."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from dagster import DagsterRunStatus
from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

from orchestration.sample.generate import generate_sample
from tests.helpers import TODAY
from tests.servers import free_port
from warehouse.home import Home
from warehouse.store import connect_readonly

pytestmark = pytest.mark.slow

START_TIMEOUT = 90
RUN_TIMEOUT = 120
MATERIALIZATIONS = """
query ($runId: ID!, $key: AssetKeyInput!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { status assetMaterializations { assetKey { path } } }
  }
  assetOrError(assetKey: $key) {
    __typename
    ... on Asset {
      assetMaterializations(limit: 1) {
        runId
        metadataEntries { label ... on IntMetadataEntry { intValue } }
      }
    }
  }
}
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, Path, subprocess.Popen]]:
    """`chitieu ui` on a free port, in its own process group (killed at the end)."""
    home = tmp_path / "home"
    generate_sample(home / "inbox")
    port = free_port()
    env = {**os.environ, "CHITIEU_HOME": str(home), "DAGSTER_HOME": str(tmp_path / "dagster")}
    log = (tmp_path / "ui.log").open("w")
    process = subprocess.Popen(
        # --no-sensor: the sensor would start a second refresh of the same inbox
        [sys.executable, "-m", "orchestration.cli", "ui", "--port", str(port), "--no-sensor"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_until_up(port, process, tmp_path / "ui.log")
        yield port, home, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        log.close()


def _wait_until_up(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if requests.get(f"http://127.0.0.1:{port}/server_info", timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"the webserver did not answer in {START_TIMEOUT} s:\n{log.read_text()}")


def _submit(client: DagsterGraphQLClient, home: Path) -> str:
    """Launch `refresh`; retried while the code location is still loading."""
    config = {"resources": {"refresh": {"config": {"home": str(home), "today": TODAY}}}}
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            return client.submit_job_execution("refresh", run_config=config)
        except DagsterGraphQLClientError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def _wait_for_run(client: DagsterGraphQLClient, run_id: str) -> DagsterRunStatus:
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        status = client.get_run_status(run_id)
        if status in (
            DagsterRunStatus.SUCCESS,
            DagsterRunStatus.FAILURE,
            DagsterRunStatus.CANCELED,
        ):
            return status
        time.sleep(1)
    raise AssertionError(f"run {run_id} did not finish in {RUN_TIMEOUT} s")


def test_refresh_launched_through_graphql(server) -> None:
    port, home, process = server
    client = DagsterGraphQLClient("127.0.0.1", port_number=port)

    run_id = _submit(client, home)
    assert _wait_for_run(client, run_id) == DagsterRunStatus.SUCCESS

    answer = requests.post(
        f"http://127.0.0.1:{port}/graphql",
        json={
            "query": MATERIALIZATIONS,
            "variables": {"runId": run_id, "key": {"path": ["review_indicator_totals"]}},
        },
        timeout=30,
    ).json()
    assert "errors" not in answer, answer
    run = answer["data"]["runOrError"]
    materialized = {tuple(m["assetKey"]["path"]) for m in run["assetMaterializations"]}
    assert {("review_indicator_totals",), ("published_warehouse",)} <= materialized
    latest = answer["data"]["assetOrError"]["assetMaterializations"][0]
    assert latest["runId"] == run_id
    rows = {e["label"]: e.get("intValue") for e in latest["metadataEntries"]}
    assert rows.get("rows", 0) > 0

    with connect_readonly(Home(home)) as con:
        total = con.execute(
            "SELECT total_value FROM review_indicator_totals"
            " WHERE period_code = '2019S1' AND indicator_code = 'TT_HOI_NGHI'"
        ).fetchall()
    assert total == [(163,)]

    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    assert process.wait(timeout=60) == 0
