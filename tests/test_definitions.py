"""The Dagster definitions: assets, checks, the daily schedule and the inbox sensor."""

import os

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
from orchestration.definitions import defs
from orchestration.schedules import daily_refresh
from orchestration.sensors import inbox_sensor
from tests.factories import make_submission
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


def test_the_sensor_adds_a_partition_per_period_and_one_period_can_be_rebuilt(
    demo_copy, monkeypatch
):
    monkeypatch.setenv("CHITIEU_HOME", str(demo_copy))
    with DagsterInstance.ephemeral() as instance:
        result = inbox_sensor(build_sensor_context(instance=instance))
        [request] = result.dynamic_partitions_requests
        assert {"2017S1", "2019S1", "2018"} <= set(request.partition_keys)  # 2018: rolled up
        instance.add_dynamic_partitions("period", list(request.partition_keys))
        again = inbox_sensor(build_sensor_context(instance=instance))
        assert isinstance(again, SkipReason)  # nothing new: no second request
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
