"""The Dagster instance `chitieu run` opens: Dagster's own files, written with kept engines."""

from pathlib import Path

from dagster import AssetKey, DagsterEventType, DagsterInstance, RunsFilter
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from orchestration.event_log import ENGINES_KEPT, PooledSqliteEventLogStorage
from orchestration.instance import REFRESH_JOB_NAME, open_instance
from warehouse.home import Home
from warehouse.review import REVIEW_TABLES


def test_the_refresh_logs_what_stock_dagster_reads_back(demo_copy: Path):
    """The demo's refresh ran on the kept-engine log; the UI's stock storage sees it whole."""
    with DagsterInstance.from_config(str(demo_copy / "dagster")) as stock:
        assert type(stock.event_log_storage) is SqliteEventLogStorage
        [run] = stock.get_runs(RunsFilter(job_name=REFRESH_JOB_NAME))
        events = stock.all_logs(run.run_id)
        done = {e.step_key for e in events if e.dagster_event_type == DagsterEventType.STEP_SUCCESS}
        assert {"inbox_files", "validated_submissions", "review_tables"} <= done
        for table in REVIEW_TABLES:  # asset events are mirrored into the index shard
            latest = stock.get_latest_materialization_event(AssetKey(table))
            assert latest is not None and latest.run_id == run.run_id, table


def test_chitieu_keeps_engines_only_on_the_default_local_storage(home: Path, tmp_path: Path):
    with open_instance(Home(home)) as instance:
        assert type(instance.event_log_storage) is PooledSqliteEventLogStorage
    configured = Home(tmp_path / "configured")
    configured.dagster_home.mkdir(parents=True)
    (configured.dagster_home / "dagster.yaml").write_text(
        f"storage:\n  sqlite:\n    base_dir: {tmp_path / 'elsewhere'}\n"
    )
    with open_instance(configured) as instance:
        assert type(instance.event_log_storage) is not PooledSqliteEventLogStorage


def test_a_process_touching_many_runs_keeps_a_bounded_number_of_engines(home: Path):
    """The newest shards keep their engines; every run's events are still all there."""
    with open_instance(Home(home)) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        run_ids = []
        for index in range(ENGINES_KEPT + 3):
            run = instance.create_run_for_job(_one_op_job(), run_id=None)
            instance.report_engine_event(f"event {index}", run)
            run_ids.append(run.run_id)
        assert len(storage._engines) <= ENGINES_KEPT
        assert run_ids[-1] in storage._engines and run_ids[0] not in storage._engines
    with DagsterInstance.from_config(str(Home(home).dagster_home)) as stock:
        for index, run_id in enumerate(run_ids):
            messages = [e.message for e in stock.all_logs(run_id)]
            assert f"event {index}" in messages


def _one_op_job():
    from dagster import job, op

    @op
    def nothing() -> None:
        pass

    @job
    def one_op():
        nothing()

    return one_op
