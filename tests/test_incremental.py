"""Incremental refresh equals a full rebuild: a property test over random inbox histories.

Random sequences of new submissions, resubmissions, exact duplicates, rejected and late
files are applied in random batches; the warehouse must then equal a single refresh from
scratch over the same files in the same received order. Bounded by default; set
CHITIEU_PROPERTY_EXAMPLES for a longer run.
"""

import os
import shutil
import tempfile
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.runner import run_refresh
from tests.factories import indicator_row, make_submission
from warehouse.home import Home

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("CHITIEU_PROPERTY_EXAMPLES", "3"))
TODAY = date(2026, 11, 27)
# 2019S1 is due 2019-07-10: files arrive from 2019-07-02 on, so some are on time, some
# late; 2018S2 and 2019Q1 are late whenever they arrive; 2019Q1 + 2019S1 mix period types.
FIRST_ARRIVAL = datetime(2019, 7, 2, 8, 0).timestamp()
AGENCIES = ("CA", "HND", "TD")
PERIODS = ("2018S2", "2019Q1", "2019S1")
NOT_COMPARED = {"ingested_at", "run_id"}

event = st.fixed_dictionaries(
    {
        "agency": st.sampled_from(AGENCIES),
        "period": st.sampled_from(PERIODS),
        "kind": st.sampled_from(["ok", "ok", "bad", "duplicate"]),
        "value": st.integers(min_value=1, max_value=40),
        "new_batch": st.booleans(),
    }
)


def write_event(inbox: Path, index: int, spec: dict, written: list[Path]) -> Path:
    """Write one arriving file; its modification time is its arrival (hours apart)."""
    name = f"{index:02d}_{spec['period']}_{spec['agency']}_{spec['kind']}.xlsx"
    path = inbox / name
    if spec["kind"] == "duplicate" and written:
        shutil.copyfile(written[spec["value"] % len(written)], path)
    else:
        value = "abc" if spec["kind"] == "bad" else spec["value"]
        make_submission(
            path,
            agency=spec["agency"],
            period=spec["period"],
            rows=[
                indicator_row("TT_HOI_NGHI", {"373": value, "376": spec["value"] % 7}),
                indicator_row("TT_LUOT_NGUOI", {"373": 50 * spec["value"], "376": 90}),
            ],
        )
    arrival = FIRST_ARRIVAL + 3600 * index
    os.utime(path, (arrival, arrival))
    return path


def snapshot(home: Path) -> dict[str, list]:
    """Every table's rows, without the columns that record when and by which run."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_type = 'BASE TABLE' "
                "and table_name <> 'meta_schema' order by 1"
            ).fetchall()
        ]
        result = {}
        for table in tables:
            columns = [
                r[0]
                for r in con.execute(f"describe {table}").fetchall()
                if r[0] not in NOT_COMPARED
            ]
            select = ", ".join(
                "regexp_replace(archive_path, '.*/', '')" if c == "archive_path" else c
                for c in columns
            )
            result[table] = sorted(
                map(repr, con.execute(f"select {select} from {table}").fetchall())
            )
        return result


def refresh(root: Path) -> None:
    summary = run_refresh(Home(root), TODAY)
    assert summary.success, summary.failed_steps


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 3,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(events=st.lists(event, min_size=2, max_size=6))
def test_incremental_refreshes_equal_a_full_rebuild(events):
    with tempfile.TemporaryDirectory() as folder:
        files = Path(folder) / "files"
        files.mkdir()
        written: list[Path] = []
        for index, spec in enumerate(events):
            written.append(write_event(files, index, spec, written))

        incremental = Home(Path(folder) / "incremental").ensure()
        batches: list[list[Path]] = []
        for spec, path in zip(events, written, strict=True):
            if spec["new_batch"] or not batches:
                batches.append([])
            batches[-1].append(path)
        for batch in batches:
            for path in batch:
                shutil.copy2(path, incremental.inbox / path.name)
            refresh(incremental.root)

        full = Home(Path(folder) / "full").ensure()
        for path in written:
            shutil.copy2(path, full.inbox / path.name)
        refresh(full.root)

        assert snapshot(incremental.root) == snapshot(full.root)
