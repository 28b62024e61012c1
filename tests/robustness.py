"""Helpers for the robustness tests: real `chitieu run` processes and warehouse comparisons.

A refresh is started as its own process (as the schedule, the sensor or a clerk would),
so that it can be killed, raced and read from outside. A warehouse is compared by its
natural keys: submission ids, run ids and load times differ between equal warehouses.
"""

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

import duckdb

from tests.helpers import TODAY, invoke

CHITIEU = [sys.executable, "-m", "orchestration.cli"]
PROJECT = Path(__file__).resolve().parent.parent
# Columns that legitimately differ between two equal warehouses.
VOLATILE = {"ingested_at", "run_id", "applied_at"}
SUBMISSION_REFS = {"submission_id", "superseded_by", "duplicate_of"}


def env_for(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CHITIEU_HOME=str(home),
        DAGSTER_HOME=str(home / "dagster"),
        GX_ANALYTICS_ENABLED="false",
        PYTHONPATH=str(PROJECT),
    )
    return env


def start_run(home: Path, log: Path | None = None) -> subprocess.Popen:
    """`chitieu run` as a separate process; its output goes to ``log`` (or home/../run.log)."""
    log = log or home.parent / f"{home.name}-run.log"
    handle = open(log, "ab")  # noqa: SIM115 - closed by the child's exit; kept for reading
    return subprocess.Popen(
        [*CHITIEU, "run", "--today", TODAY],
        cwd=PROJECT,
        env=env_for(home),
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so a kill takes all of it
    )


def run_to_completion(home: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CHITIEU, "run", "--today", TODAY],
        cwd=PROJECT,
        env=env_for(home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _scratch(prefix: str) -> Path:
    """A temporary folder removed when the test session ends."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@functools.cache
def sample_inbox() -> Path:
    """The bundled sample, written once per session; copies keep its arrival times."""
    from orchestration.sample.generate import generate_sample

    folder = _scratch("chitieu-sample-") / "inbox"
    generate_sample(folder)
    return folder


def new_home(root: Path, inbox: Path) -> Path:
    """A fresh home whose inbox holds copies of ``inbox`` (times preserved)."""
    shutil.copytree(inbox, root / "inbox")
    for folder in ("archive", "feedback", "alerts", "staging"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    return root


@functools.cache
def clean_rebuild_home() -> Path:
    """A home where one uninterrupted refresh loaded the sample (built once; read only).

    Run in this process, whose imports are paid already: the robustness tests start
    their own processes, and compare them with this.
    """
    home = new_home(_scratch("chitieu-clean-") / "home", sample_inbox())
    done = invoke(home, "run", "--today", TODAY)
    assert done.exit_code == 0, done.output
    return home


@functools.cache
def clean_rebuild() -> dict[str, Counter]:
    """The warehouse one uninterrupted refresh builds from the sample."""
    return canonical_state(clean_rebuild_home() / "warehouse.duckdb")


def canonical_state(path: Path) -> dict[str, Counter]:
    """Every table as a multiset of rows, submissions named by (file name, sha256)."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = {
            sid: f"{name}@{sha}"
            for sid, name, sha in con.execute(
                "SELECT submission_id, file_name, file_sha256 FROM etl_submission"
            ).fetchall()
        }
        tables = [
            t
            for (t,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
                " AND table_type = 'BASE TABLE'"
            ).fetchall()
        ]
        return {table: _table_rows(con, table, names) for table in tables}


def _table_rows(con: duckdb.DuckDBPyConnection, table: str, names: dict) -> Counter:
    columns = [d[0] for d in con.execute(f'SELECT * FROM "{table}" LIMIT 0').description]
    kept = [c for c in columns if c not in VOLATILE]
    rows = Counter()
    select = ", ".join(f'"{c}"' for c in kept)
    for values in con.execute(f'SELECT {select} FROM "{table}"').fetchall():
        rows[tuple(_natural(c, v, names) for c, v in zip(kept, values, strict=True))] += 1
    return rows


def _natural(column: str, value: object, names: dict) -> object:
    if column in SUBMISSION_REFS and value is not None:
        return names.get(value, f"?{value}")
    if isinstance(value, list):
        return tuple(value)
    if column == "archive_path" and value is not None:
        return Path(value).name  # the home differs; the archived name must not
    return value


def state_differences(got: dict[str, Counter], want: dict[str, Counter]) -> list[str]:
    """Human-readable differences, table by table (empty when equal)."""
    found = []
    for table in sorted(set(got) | set(want)):
        extra = got.get(table, Counter()) - want.get(table, Counter())
        missing = want.get(table, Counter()) - got.get(table, Counter())
        if extra or missing:
            found.append(
                f"{table}: {sum(extra.values())} extra e.g. {list(extra)[:2]}, "
                f"{sum(missing.values())} missing e.g. {list(missing)[:2]}"
            )
    return found


def duplicate_loads(path: Path) -> list[tuple]:
    """Grains that hold more than one row: a value or a file loaded twice."""
    checks = {
        "fact_indicator_value": "agency_key, district_key, period_key, indicator_key",
        "fact_indicator_value_history": (
            "submission_id, agency_key, district_key, period_key, indicator_key"
        ),
        "fact_task": "agency_key, period_key, task_no",
        "etl_submission": "file_name, file_sha256, received_at",
    }
    found = []
    with duckdb.connect(str(path), read_only=True) as con:
        for table, grain in checks.items():
            found += [
                (table, *row)
                for row in con.execute(
                    f"SELECT {grain}, count(*) FROM {table} GROUP BY ALL HAVING count(*) > 1"
                ).fetchall()
            ]
    return found


def accounting_problems(home: Path, inbox: Path) -> list[str]:
    """Files that arrived but are not recorded, archived byte for byte, or left behind."""
    from reference.model import safe_name
    from warehouse.inbox import sha256_of

    problems = []
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        query = "SELECT file_name, file_sha256 FROM etl_submission"
        recorded = Counter(con.execute(query).fetchall())
    for source in sorted(inbox.iterdir()):
        sha = sha256_of(source)
        if recorded[(source.name, sha)] != 1:
            problems.append(f"{source.name}: recorded {recorded[(source.name, sha)]} times")
        kept = home / "archive" / f"{sha[:16]}_{safe_name(source.name)}"
        if not kept.exists() or kept.read_bytes() != source.read_bytes():
            problems.append(f"{source.name}: not archived as {kept.name}")
    leftovers = [p.name for p in (home / "inbox").iterdir()]
    leftovers += [f"staging/{p.name}" for p in (home / "staging").iterdir()]
    leftovers += [f"archive/{p.name}" for p in (home / "archive").glob("*.partial")]
    return problems + [f"left behind: {name}" for name in leftovers]


_ZYGOTE = r"""
import os, signal, sys, traceback
import great_expectations, expectations.validate, orchestration.definitions
from orchestration.cli import main
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
for line in sys.stdin:
    home, log, today = line.rstrip("\n").split("\t")
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.environ.update(CHITIEU_HOME=home, DAGSTER_HOME=os.path.join(home, "dagster"))
        code = 1
        try:
            main(["run", "--today", today], standalone_mode=False)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    print(pid, flush=True)
"""


class Zygote:
    """A process that imported the pipeline once and forks one `chitieu run` per request.

    Each refresh is still its own OS process (own session, own files, killable with
    SIGKILL); only the 5 s of imports are shared, so many kill points fit in a test.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [sys.executable, "-c", _ZYGOTE],
            cwd=PROJECT,
            env=env_for(PROJECT / "unused-home"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def start(self, home: Path) -> int:
        """Fork a refresh of ``home``; returns its pid (also its process group)."""
        log = home.parent / f"{home.name}-run.log"
        with self._lock:
            self._process.stdin.write(f"{home}\t{log}\t{TODAY}\n")
            self._process.stdin.flush()
            return int(self._process.stdout.readline())

    @staticmethod
    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    def close(self) -> None:
        self._process.stdin.close()
        self._process.wait(timeout=30)
