"""Whole `chitieu` processes against their floors, measured in the same run (issue 12).

Each row runs a command and its floor as separate processes, alternately, and reports
the medians and their ratio: on a shared machine the ratio holds when the seconds do
not. Peak memory is the child's own VmHWM.
"""

from __future__ import annotations

import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bench import phases
from orchestration.cli import GC_THRESHOLDS
from warehouse.home import Home

TODAY = date(2026, 11, 27)  # every generated period has ended by then
PYTHON = sys.executable
CHITIEU = str(Path(sys.executable).parent / "chitieu")
STREAM_ROWS = 2_000_000
QUICK_REPEAT = 11  # alternations for commands of a fraction of a second (measure_commands)
STREAM_QUERY = (
    "select f.*, r.range as copy_no from fact_indicator_value f,"
    " range(({rows} + (select count(*) from fact_indicator_value) - 1)"
    " // (select count(*) from fact_indicator_value)) r limit {rows}"
)


@dataclass
class Row:
    what: str
    seconds: float
    floor_name: str
    floor_seconds: float
    target: float | None  # the ratio to meet; None when the row has its own limit
    peak_mb: float = 0.0
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor_seconds if self.floor_seconds else float("nan")

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.ratio <= self.target


def process(command: list[str], env: dict[str, str], stdin: bytes | None = None):
    """(wall seconds, peak MiB, exit code) of one process, its output discarded."""
    start = time.perf_counter()
    child = subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if stdin is not None:
        assert child.stdin is not None  # a pipe, opened above
        child.stdin.write(stdin)
        child.stdin.close()
    peak = 0
    while child.poll() is None:
        peak = max(peak, phases._high_water_kb(child.pid))
        time.sleep(0.01)
    return time.perf_counter() - start, peak / 1024, child.returncode


def home_env(home: Home) -> dict[str, str]:
    return {
        **os.environ,
        "CHITIEU_HOME": str(home.root),
        "DAGSTER_HOME": str(home.root / "dagster"),
        "GX_ANALYTICS_ENABLED": "false",
    }


def compare(repeat: int, command, floor, prepare=None) -> tuple[float, float, float]:
    """Medians of ``command`` and ``floor`` run alternately; (seconds, floor, peak MiB).

    ``command`` and ``floor`` are (argv, env); ``prepare`` runs before each command.
    """
    found, floors, peaks = [], [], []
    for _ in range(repeat):
        floors.append(process(*floor)[0])
        if prepare:
            prepare()
        seconds, peak, code = process(*command)
        if code != 0:
            raise RuntimeError(f"{' '.join(command[0])} exited with {code}")
        found.append(seconds)
        peaks.append(peak)
    return statistics.median(found), statistics.median(floors), max(peaks)


def python_floor(code: str, env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    return [PYTHON, "-c", code], env


def first_row_seconds(home: Home, rows: int) -> tuple[float, float, float]:
    """Seconds to the first data line of a ``rows``-row `chitieu sql`, to the end, peak MiB."""
    query = STREAM_QUERY.format(rows=rows)
    start = time.perf_counter()
    child = subprocess.Popen(
        [CHITIEU, "sql", query, "--format", "csv"],
        env=home_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    out = child.stdout
    assert out is not None  # a pipe, opened above
    out.readline()  # the header
    out.readline()
    first = time.perf_counter() - start
    peak = 0
    lines = 2
    while chunk := out.read(1 << 20):
        lines += chunk.count(b"\n")
        peak = max(peak, phases._high_water_kb(child.pid))
    child.wait()
    if lines != rows + 1:
        raise RuntimeError(f"`chitieu sql` printed {lines - 1} rows, not {rows}")
    return first, time.perf_counter() - start, peak / 1024


def sample_home(work: Path) -> Home:
    """The bundled sample loaded by `chitieu demo` (built once per benchmark)."""
    home = Home(work / "home-sample")
    shutil.rmtree(home.root, ignore_errors=True)
    done = subprocess.run(
        [CHITIEU, "demo", "--no-progress", "--today", TODAY.isoformat()],
        env=home_env(home),
        capture_output=True,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode())
    return home


def measure_commands(work: Path, extra: list[Path], repeat: int) -> list[Row]:
    """Every interactive row of issue 12's table, each with its floor."""
    home = sample_home(work)
    env = home_env(home)
    duck = python_floor(
        f"import duckdb; duckdb.connect({str(home.warehouse)!r}, read_only=True)"
        ".execute('select 1').fetchall()",
        env,
    )
    rows = []
    # Commands of a fraction of a second: a stall of the machine of a tenth of one moves a
    # median of three by half the target, so these are taken more often.
    quick = max(repeat, QUICK_REPEAT)
    startup = compare(quick, ([CHITIEU, "--help"], env), python_floor("pass", env))
    rows.append(
        Row(
            "chitieu --help (vs Python start-up)",
            startup[0],
            "python -c pass",
            startup[1],
            None,
            startup[2],
        )
    )
    for what, argv in (
        ("chitieu --help", [CHITIEU, "--help"]),
        ("chitieu sql 'select 1'", [CHITIEU, "sql", "select 1"]),
        ("chitieu status", [CHITIEU, "status"]),
    ):
        seconds, floor, peak = compare(quick, (argv, env), duck)
        rows.append(Row(what, seconds, "duckdb read-only select 1", floor, 1.5, peak))
    check = [CHITIEU, "check", "--today", TODAY.isoformat(), str(extra[0])]
    ge = python_floor("import great_expectations", env)
    seconds, floor, peak = compare(repeat, (check, env), ge)
    rows.append(
        Row("chitieu check one file", seconds, "import great_expectations", floor, 1.2, peak)
    )
    run = [CHITIEU, "run", "--no-progress", "--today", TODAY.isoformat()]
    seconds, floor, peak = compare(repeat, (run, env), python_floor("import dagster", env))
    rows.append(Row("chitieu run, empty inbox", seconds, "import dagster", floor, 2.0, peak))
    one = Home(work / "home-one-more")

    def one_more() -> None:
        shutil.rmtree(one.root, ignore_errors=True)
        shutil.copytree(home.root, one.root)
        shutil.copy2(extra[0], one.inbox / extra[0].name)

    both = python_floor("import dagster, great_expectations", env)
    seconds, floor, peak = compare(repeat, (run, home_env(one)), both, prepare=one_more)
    rows.append(
        Row("chitieu run, one new file (sample)", seconds, "import dagster, GE", floor, 1.25, peak)
    )
    # chitieu tunes its garbage collector (orchestration/cli.py); the same imports with
    # the same settings show how much of the ratio that alone explains.
    tuned = python_floor(
        f"import gc, atexit; gc.set_threshold(*{GC_THRESHOLDS}); atexit.register(gc.freeze);"
        " import dagster, great_expectations",
        env,
    )
    seconds, floor, peak = compare(repeat, tuned, both)
    rows.append(
        Row(
            "  the same imports, chitieu's GC settings",
            seconds,
            "import dagster, GE",
            floor,
            None,
            peak,
        )
    )
    first, total, peak = first_row_seconds(home, STREAM_ROWS)
    rows.append(
        Row(
            f"chitieu sql, {STREAM_ROWS:,} rows: first row",
            first,
            "limit 1 s",
            1.0,
            1.0,
            peak,
            f"all rows {total:.1f} s",
        )
    )
    return rows


@dataclass
class WholeRuns:
    """Medians of `run` of every file and of the first one alone, each in a fresh home,
    and of the parse floor of all files but the first, measured in the same rounds."""

    all_seconds: float
    one_seconds: float
    floor_seconds: float
    peak_mb: float
    ratios: list[float]  # each round's marginal against its own floor
    runs: int
    floors: list[float]  # each round's floor: how steady the machine was


def whole_runs(work: Path, files: list[Path], repeat: int) -> WholeRuns:
    """`run` of every file and of the first alone, alternately ``repeat`` times, each
    round with its parse floor: a single run of either varies by a tenth or more on a
    shared machine, the row is their difference, and the machine's speed drifts within
    minutes, so the floor is taken beside the runs it divides, not once apart."""
    every, first, floors, peaks = [], [], [], []
    for _ in range(repeat):
        seconds, peak = phases.chitieu_run(phases.fresh_home(work / "home-all-files", files), TODAY)
        every.append(seconds)
        peaks.append(peak)
        one = phases.fresh_home(work / "home-first-file", files[:1])
        first.append(phases.chitieu_run(one, TODAY)[0])
        floors.append(parse_floor_seconds(files[1:]))
    ratios = [(a - b) / f for a, b, f in zip(every, first, floors, strict=True)]
    return WholeRuns(
        statistics.median(every),
        statistics.median(first),
        statistics.median(floors),
        max(peaks),
        ratios,
        repeat,
        floors,
    )


# Issue 12's row is the cost of 999 more files; other sizes are other batches (most of
# 10,000 generated files revise earlier ones), so their ratio is printed, not judged.
MARGINAL_TARGET_FILES = 1000


def marginal_row(runs: WholeRuns, files: list[Path]) -> Row:
    """`run` of every file minus `run` of the first one alone, against their parse floor."""
    return Row(
        f"marginal cost of {len(files) - 1:,} more files",
        runs.all_seconds - runs.one_seconds,
        "python-calamine parse of them",
        runs.floor_seconds,
        8.0 if len(files) == MARGINAL_TARGET_FILES else None,
        runs.peak_mb,
        f"medians of {runs.runs}: run of {len(files):,} {runs.all_seconds:.1f} s, "
        f"of one {runs.one_seconds:.1f} s; each round's ratio "
        + ", ".join(f"{ratio:.1f}" for ratio in runs.ratios)
        + f"; floors {min(runs.floors):.2f}-{max(runs.floors):.2f} s",
    )


def parse_floor_seconds(paths: list[Path]) -> float:
    """The median seconds of parsing ``paths`` with python-calamine, in a fresh process."""
    found = subprocess.run(
        [PYTHON, "-m", "bench.floor"],
        input="\n".join(map(str, paths)),
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    return float(found.stdout)


def print_rows(rows: list[Row], echo) -> None:
    echo("\nissue 12: whole processes against their floors (medians, same run)\n")
    echo(f"{'what':<42}{'s':>8}{'floor':>32}{'s':>8}{'ratio':>7}{'target':>8}{'MiB':>7}")
    for row in rows:
        if math.isnan(row.seconds):
            echo(f"{row.what:<42}{'not measured: ' + row.floor_name:>40}")
            continue
        target = f"{row.target:g}x" if row.target else "-"
        verdict = {True: " met", False: " NOT met", None: ""}[row.met]
        echo(
            f"{row.what:<42}{row.seconds:>8.2f}{row.floor_name:>32}{row.floor_seconds:>8.2f}"
            f"{row.ratio:>7.2f}{target:>8}{row.peak_mb:>7.0f}{verdict}"
            + (f"  ({row.note})" if row.note else "")
        )
