"""The Dagster definitions: assets, checks, the daily schedule and the inbox sensor."""

import os

from dagster import AssetKey, build_schedule_context, build_sensor_context
from dagster._core.definitions.asset_checks.asset_check_spec import AssetCheckKey

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
    assert not inbox_sensor.evaluate_tick(build_sensor_context()).run_requests
    make_submission(home / "inbox" / "a.xlsx")
    first = inbox_sensor.evaluate_tick(build_sensor_context())
    assert len(first.run_requests) == 1 and first.run_requests[0].run_key
    again = inbox_sensor.evaluate_tick(build_sensor_context(cursor=first.cursor))
    assert not again.run_requests
    os.utime(home / "inbox" / "a.xlsx", (1_600_000_000, 1_600_000_000))
    changed = inbox_sensor.evaluate_tick(build_sensor_context(cursor=first.cursor))
    assert changed.run_requests[0].run_key != first.run_requests[0].run_key
