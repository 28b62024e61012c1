"""The measured phases: each times one stage of the pipeline on the same files."""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Generic, TypeVar

import duckdb

from reference import Catalog
from reference.model import Arrival, ParsedWorkbook, Submission
from warehouse.home import Home
from warehouse.inbox import scan_inbox
from warehouse.load import load_batch, values_in_force
from warehouse.review import REVIEW_TABLES, build_review_table, build_rollup
from warehouse.store import connect_readonly, migrate
from workbooks.reading.reader import read_workbook

QUERY_DIR = Path(__file__).parent / "sql"
POLL_SECONDS = 0.02
QUERIES = ("province_totals", "district_trend", "agency_completion")


T = TypeVar("T")


@dataclass
class Timed(Generic[T]):
    seconds: float
    result: T


def timed(fn: Callable[..., T], *args, **kwargs) -> Timed[T]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return Timed(time.perf_counter() - start, result)


def median_of(repeat: int, fn: Callable, *args) -> float:
    return statistics.median(timed(fn, *args).seconds for _ in range(repeat))


def peak_rss_mb() -> float:
    """This process's peak resident memory (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read_all(arrivals: list[Arrival], catalog: Catalog, today: date) -> list[ParsedWorkbook]:
    parsed = []
    for arrival in arrivals:
        workbook = read_workbook(Path(arrival.inbox_path), catalog, today)
        workbook.file_name = arrival.file_name
        parsed.append(workbook)
    return parsed


def submissions_of(
    arrivals: list[Arrival], parsed: list[ParsedWorkbook], problems: list
) -> list[Submission]:
    """As the validated_submissions asset builds them: in received order."""
    found = [Submission(a, p, f) for a, p, f in zip(arrivals, parsed, problems, strict=True)]
    return sorted(found, key=lambda s: (s.arrival.received_at, s.arrival.file_name))


def fresh_warehouse(path: Path) -> None:
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        migrate(con)


def validate(
    path: Path, parsed: list[ParsedWorkbook], arrivals: list[Arrival], catalog: Catalog, docs: Path
) -> list:
    """As the validated_submissions asset does: history in force, one batch, Data Docs."""
    from expectations.validate import validate_isolated

    with duckdb.connect(str(path)) as con:
        history = values_in_force(con, {p.agency_code for p in parsed if p.agency_code})
    received = [a.received_at for a in arrivals]
    problems, _ = validate_isolated(parsed, catalog, received, history, docs)
    return problems


def load(path: Path, catalog: Catalog, submissions: list[Submission]) -> None:
    """Load the batch in one transaction, as the warehouse_facts asset does."""
    with duckdb.connect(str(path)) as con:
        con.execute("BEGIN TRANSACTION")
        load_batch(con, catalog, submissions, [s.arrival.inbox_path for s in submissions], "bench")
        con.execute("COMMIT")


def build_review(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        build_rollup(con)
        for table in REVIEW_TABLES:
            build_review_table(con, table)


def spread_homes(work: Path) -> bool:
    """Mark ``work`` the top of a directory hierarchy (``chattr +T``), so that ext4 puts
    each folder made in it in a block group of its own; whether that took.

    Without a journal (this machine's disk), ext4 will not reuse an inode freed in the
    last 5 s (5 minutes while its inode table block is unwritten), and checks every such
    inode of the folder's group before each file it creates (``recently_deleted``). The
    bench removes the last round's home (2,000 files) just before each round, so in a
    shared group the run timed next paid for those removals: its inbox scan took 0.15 s
    of 1,000 files in the first round, 0.7 s in the sixth.
    A home in use sees no such burst of removals before a refresh.
    """
    work.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(["chattr", "+T", str(work)], capture_output=True, check=False)
    except OSError:  # no chattr (e2fsprogs)
        return False
    return done.returncode == 0


def fresh_home(root: Path, files: list[Path]) -> Home:
    """An empty home whose inbox holds copies of ``files`` (mtimes kept: arrival times).

    Each is a new folder (``root`` numbered), made after those it replaces are removed:
    with ``spread_homes``, in another block group than those removals (see there).

    Written to disk before it is returned: files reach an inbox long before the refresh
    that reads them, while copies made just now would still be written back (and the
    deleted home's blocks discarded) during the run timed next, slowing it by seconds.
    """
    earlier = [root, *root.parent.glob(f"{root.name}-*")]
    number = 1 + max(_number_of(path) for path in earlier)
    for path in earlier:
        shutil.rmtree(path, ignore_errors=True)
    home = Home(root.with_name(f"{root.name}-{number}")).ensure()
    for path in files:
        shutil.copy2(path, home.inbox / path.name)
    os.sync()
    return home


def _number_of(folder: Path) -> int:
    suffix = folder.name.rsplit("-", 1)[-1]
    return int(suffix) if suffix.isdigit() else 0


def refresh(home: Home, today: date) -> dict:
    """The real Dagster job in this process; fails loudly so no figure hides a failure.

    Returns the files of this run by status and the seconds of each step of the run.
    """
    from orchestration.runner import run_refresh

    summary = run_refresh(home, today)
    if not summary.success:
        raise RuntimeError(f"refresh {summary.run_id} failed in {home.root}")
    if summary.run_id is None:
        raise RuntimeError(f"refresh found nothing to do in {home.root}: no run to measure")
    return {"statuses": summary.this_run, "steps": step_seconds(home, summary.run_id)}


def step_seconds(home: Home, run_id: str) -> dict[str, float]:
    """Seconds of each asset step of a run, from the Dagster instance's event log."""
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(home.root / "dagster")) as instance:
        stats = instance.get_run_step_stats(run_id)
    return {
        s.step_key: round(s.end_time - s.start_time, 3)
        for s in stats
        if s.end_time and s.start_time is not None
    }


def chitieu_run(home: Home, today: date) -> tuple[float, float]:
    """Wall seconds and peak memory (MiB) of a whole `chitieu run` process.

    The peak is the child's own VmHWM, polled: ru_maxrss of a child forked from this
    (large) process starts at this process's size, so it would overstate the child.
    """
    command = [str(Path(sys.executable).parent / "chitieu"), "run", "--no-progress"]
    command += ["--today", today.isoformat()]
    env = {**os.environ, "CHITIEU_HOME": str(home.root), "DAGSTER_HOME": str(home.root / "dagster")}
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    peak_kb = 0
    while process.poll() is None:
        peak_kb = max(peak_kb, _high_water_kb(process.pid))
        time.sleep(POLL_SECONDS)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise RuntimeError(f"`chitieu run` exited with {process.returncode} in {home.root}")
    return seconds, peak_kb / 1024


def _high_water_kb(pid: int) -> int:
    """VmHWM of a live process (0 once it has exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def incremental(home: Home, extra: list[Path], today: date) -> list[dict]:
    """Seconds (and step seconds) of each refresh that finds exactly one new workbook."""
    found = []
    for path in extra:
        shutil.copy2(path, home.inbox / path.name)
        run = timed(refresh, home, today)
        if run.result["statuses"].get("accepted") != 1:
            raise RuntimeError(f"{path.name} was not accepted: {run.result['statuses']}")
        found.append({"seconds": run.seconds, "steps": run.result["steps"]})
    return found


def query_times(home: Home, repeat: int) -> dict[str, dict]:
    """Median seconds and row count of each analyst query on a read-only connection."""
    found = {}
    with connect_readonly(home) as con:
        for name in QUERIES:
            sql = (QUERY_DIR / f"{name}.sql").read_text(encoding="utf-8")
            rows = len(con.execute(sql).fetchall())  # warm: the file's pages are cached
            found[name] = {
                "seconds": median_of(repeat, lambda s=sql: con.execute(s).fetchall()),
                "rows": rows,
            }
    return found


def warehouse_counts(home: Home) -> dict[str, float]:
    """Rows of each status and table (counts), and the warehouse file's size in MB."""
    with connect_readonly(home) as con:
        statuses = con.execute("SELECT status, count(*) FROM etl_submission GROUP BY ALL")
        counts: dict[str, float] = {f"submissions_{s}": int(n) for s, n in statuses.fetchall()}
        for table in ("fact_indicator_value", "fact_indicator_value_history", "fact_task"):
            counts[table] = int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
    counts["warehouse_mb"] = round(home.warehouse.stat().st_size / 2**20, 1)
    return counts


def scan(root: Path) -> list[Arrival]:
    return scan_inbox(Home(root))
