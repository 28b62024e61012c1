"""The Dagster definitions: assets, checks, the daily schedule and the inbox sensor."""

import os
import subprocess
import sys
from graphlib import TopologicalSorter

import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
    materialize,
)
from dagster._core.definitions.asset_checks.asset_check_spec import AssetCheckKey

from assets.periods import period_review_workbook
from assets.resources import ProjectResource
from orchestration.cli_ui import dev_command
from orchestration.definitions import defs
from orchestration.instance import open_instance
from orchestration.schedules import daily_refresh
from orchestration.sensors import inbox_sensor
from tests.factories import make_submission
from warehouse.home import Home
from warehouse.review import REVIEW_TABLES


def test_every_stage_is_an_asset_and_validation_is_a_blocking_check():
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {
        "inbox_files",
        "parsed_submissions",
        "validated_submissions",
        "warehouse_facts",
        "published_warehouse",
        *REVIEW_TABLES,
    } <= keys
    check = graph.get_check_spec(
        AssetCheckKey(AssetKey("validated_submissions"), "accepted_values_pass_suites")
    )
    assert check.blocking


def test_the_schedule_runs_the_refresh_daily_at_six_vietnam_time():
    assert daily_refresh.cron_schedule == "0 6 * * *"
    assert daily_refresh.execution_timezone == "Asia/Ho_Chi_Minh"
    request = daily_refresh.evaluate_tick(build_schedule_context())
    assert request.run_requests and daily_refresh.job_name == "refresh"


def test_the_sensor_requests_one_run_per_new_state_of_the_inbox(home, monkeypatch):
    monkeypatch.setenv("CHITIEU_HOME", str(home))
    with DagsterInstance.ephemeral() as instance:
        tick = inbox_sensor(build_sensor_context(instance=instance))
        assert isinstance(tick, SkipReason)
        make_submission(home / "inbox" / "a.xlsx")
        first = inbox_sensor(build_sensor_context(instance=instance))
        assert len(first.run_requests) == 1 and first.run_requests[0].run_key
        again = inbox_sensor(build_sensor_context(instance=instance, cursor=first.cursor))
        assert isinstance(again, SkipReason)
        os.utime(home / "inbox" / "a.xlsx", (1_600_000_000, 1_600_000_000))
        changed = inbox_sensor(build_sensor_context(instance=instance, cursor=first.cursor))
        assert changed.run_requests[0].run_key != first.run_requests[0].run_key


def test_the_refresh_adds_a_partition_per_period_and_one_period_can_be_rebuilt(demo_copy):
    with open_instance(Home(demo_copy)) as instance:  # where `chitieu demo` ran
        partitions = set(instance.get_dynamic_partitions("period"))
        assert {"2017S1", "2019S1", "2018"} <= partitions  # 2018: rolled up
        outcome = materialize(
            [period_review_workbook],
            partition_key="2019S1",
            instance=instance,
            resources={"project": ProjectResource(home=str(demo_copy))},
        )
    assert outcome.success
    [event] = outcome.asset_materializations_for_node("period_review_workbook")
    assert "TT_HOI_NGHI" in event.metadata["province_totals"].value
    assert (demo_copy / "reports" / "2019S1.xlsx").exists()


def test_a_sensor_tick_either_starts_a_run_or_is_skipped_for_a_reason(demo_copy, monkeypatch):
    """The sensor adds no partitions, so no tick that did work is logged as skipped."""
    monkeypatch.setenv("CHITIEU_HOME", str(demo_copy))
    with DagsterInstance.ephemeral() as instance:
        data = inbox_sensor.evaluate_tick(build_sensor_context(instance=instance))
        assert data.skip_message == "the inbox is empty" and not data.dynamic_partitions_requests
        make_submission(demo_copy / "inbox" / "a.xlsx")
        data = inbox_sensor.evaluate_tick(build_sensor_context(instance=instance))
        assert data.run_requests and data.skip_message is None


def test_assets_sensor_and_schedule_say_what_they_do():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        assert graph.get(key).description, key
    for table in REVIEW_TABLES:
        text = graph.get(AssetKey(table)).description
        assert table in text and len(text) > len(table) + 40, text
    assert "inbox" in inbox_sensor.description and "06:00" in daily_refresh.description


def test_the_collapsed_groups_have_no_arrow_running_back():
    """Group edges (any asset dependency across groups) form an acyclic graph."""
    graph = defs.resolve_asset_graph()
    edges = {
        (graph.get(parent).group_name, graph.get(key).group_name)
        for key in graph.get_all_asset_keys()
        for parent in graph.get(key).parent_keys
    }
    edges = {(a, b) for a, b in edges if a != b}
    order = list(
        TopologicalSorter({b: {a for a, c in edges if c == b} for _, b in edges}).static_order()
    )
    assert order.index("ingest") < order.index("warehouse") < order.index("review")
    assert order.index("review") < order.index("publish")


@pytest.mark.parametrize(("sensor", "status"), [(True, "RUNNING"), (False, "STOPPED")])
def test_the_sensor_runs_from_the_start_under_chitieu_ui(home, sensor, status):
    _, env = dev_command(Home(home), 3000, sensor)
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "from orchestration.definitions import defs;"
            "print(defs.get_sensor_def('inbox_sensor').default_status.value)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == status
