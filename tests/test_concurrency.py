"""Readers and refreshes never block each other; refreshes fired together serialize.

Everything runs as separate processes, as an analyst's DuckDB CLI or DBeaver and the
schedule and sensor would: an analyst process holding a read-only connection with long
queries in flight, and `chitieu run` processes started at the same moment.
"""

import json
import math
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from tests.factories import make_submission
from tests.robustness import (
    accounting_problems,
    canonical_state,
    clean_rebuild,
    clean_rebuild_home,
    duplicate_loads,
    new_home,
    sample_inbox,
    start_run,
    state_differences,
)

pytestmark = pytest.mark.slow

ROWS_PER_FACT = 20_000  # the analyst's cross join: ~45 M rows, one to a few seconds
ANALYST = r"""
import json, sys, time
from pathlib import Path
import duckdb
import pytest

path, stop, k = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
con = duckdb.connect(path, read_only=True)
con.execute("SET threads = 1")
con.execute("SET enable_progress_bar = false")
SNAPSHOT = (
    "SELECT (SELECT count(*) FROM fact_indicator_value), (SELECT count(*) FROM etl_submission),"
    " (SELECT sum(value)::DOUBLE FROM fact_indicator_value)"
)
before = list(con.execute(SNAPSHOT).fetchone())
print(json.dumps({"ready": before}), flush=True)
queries = []
while not queries or not stop.exists():
    started = time.time()
    n, total, _ = con.execute(
        "SELECT count(*), sum(f.value)::DOUBLE, sum(hash(r.range, f.cell) % 7)"
        f" FROM fact_indicator_value f CROSS JOIN range({k}) r"
    ).fetchone()
    queries.append([started, time.time(), n, total, list(con.execute(SNAPSHOT).fetchone())])
print(json.dumps({"before": before, "queries": queries}), flush=True)
"""


def watch_publish(path: Path, done: threading.Event, seen: list[float]) -> None:
    """Record when the live file is replaced (its inode changes)."""
    first = path.stat().st_ino
    while not done.is_set():
        try:
            if path.stat().st_ino != first:
                seen.append(time.time())
                return
        except FileNotFoundError:  # never expected: os.replace leaves no gap
            seen.append(float("nan"))
            return
        time.sleep(0.005)


def test_analyst_connection_never_blocks_or_sees_half_a_refresh(tmp_path):
    home = tmp_path / "home"
    shutil.copytree(clean_rebuild_home(), home)
    make_submission(home / "inbox" / "BCHQS_2019S2.xlsx", agency="BCHQS", period="2019S2")
    make_submission(home / "inbox" / "CA_2019S2.xlsx", agency="Công an tỉnh", period="2019S2")
    warehouse, stop = home / "warehouse.duckdb", tmp_path / "stop"
    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST, str(warehouse), str(stop), str(ROWS_PER_FACT)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        before = json.loads(analyst.stdout.readline())["ready"]
        done, published = threading.Event(), []
        watcher = threading.Thread(target=watch_publish, args=(warehouse, done, published))
        watcher.start()
        refresh = start_run(home, tmp_path / "run.log")
        code = refresh.wait(timeout=300)
        done.set()
        watcher.join()
        assert code == 0, (tmp_path / "run.log").read_text()
        stop.touch()
        out, _ = analyst.communicate(timeout=120)
    finally:
        stop.touch()
        if analyst.poll() is None:
            analyst.kill()
            analyst.wait()
    assert analyst.returncode == 0
    queries = json.loads(out.splitlines()[-1])["queries"]

    for _, _, n, total, snapshot in queries:  # all of the old state, always
        assert snapshot == before
        assert n == before[0] * ROWS_PER_FACT
        assert math.isclose(total, before[2] * ROWS_PER_FACT, rel_tol=1e-9)
    assert published, "the refresh never replaced the live file"
    assert any(s < published[0] < e for s, e, *_ in queries), "no query spanned the publish"
    assert "lock" not in (tmp_path / "run.log").read_text().lower()

    with duckdb.connect(str(warehouse), read_only=True) as con:  # a new connection: new state
        files, facts = con.execute(
            "SELECT (SELECT count(*) FROM etl_submission),"
            " (SELECT count(*) FROM fact_indicator_value)"
        ).fetchone()
        new = con.execute(
            "SELECT count(*) FROM etl_submission WHERE file_name LIKE '%2019S2%'"
            " AND status = 'accepted'"
        ).fetchone()[0]
    assert (files, new) == (before[1] + 2, 2) and facts > before[0]
    print(f"analyst: {len(queries)} queries of {[round(e - s, 1) for s, e, *_ in queries]} s")


@pytest.mark.parametrize("instance", ["existing", "fresh"])
def test_refreshes_started_together_serialize_and_load_once(tmp_path, instance):
    home = new_home(tmp_path / "home", sample_inbox())
    if instance == "existing":  # the usual case: the schedule and sensor of a running home
        shutil.copytree(
            clean_rebuild_home() / "dagster",
            home / "dagster",
            ignore=shutil.ignore_patterns("storage"),
        )
    logs = [tmp_path / f"run{i}.log" for i in range(3)]
    started = time.monotonic()
    runs = [start_run(home, log) for log in logs]
    codes = [run.wait(timeout=300) for run in runs]
    outputs = [log.read_text() for log in logs]
    print(f"3 refreshes together: {time.monotonic() - started:.1f} s")
    assert codes == [0, 0, 0], outputs
    for output in outputs:
        assert "lock" not in output.lower() and "Traceback" not in output
    # One of them loaded the batch; the others found nothing new.
    assert sum("files this run: 0 accepted" not in output for output in outputs) == 1, outputs
    warehouse = home / "warehouse.duckdb"
    assert state_differences(canonical_state(warehouse), clean_rebuild()) == []
    assert duplicate_loads(warehouse) == []
    assert accounting_problems(home, sample_inbox()) == []
