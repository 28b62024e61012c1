"""Crashes lose nothing: `chitieu run` killed with SIGKILL at many points, then run again.

Kill points are chosen by the run's own progress (the Dagster event log of the killed
run), then a random delay inside the step, so every phase is hit whatever the machine's
speed. Homes are independent, so several kill chains run in parallel; inside a chain the
kill points go in phase order, each run starting from what the previous kill left.

``CHITIEU_KILL_POINTS`` (default 20) sets how many kills, ``CHITIEU_KILL_CHAINS``
(default 2) how many homes are killed in parallel, ``CHITIEU_KILL_SEED`` the seed.
"""

import json
import os
import random
import signal
import sqlite3
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.robustness import (
    Zygote,
    accounting_problems,
    canonical_state,
    clean_rebuild,
    clean_rebuild_home,
    duplicate_loads,
    new_home,
    run_to_completion,
    sample_inbox,
    start_run,
    state_differences,
)

pytestmark = pytest.mark.slow

KILL_POINTS = int(os.environ.get("CHITIEU_KILL_POINTS", "20"))
CHAINS = int(os.environ.get("CHITIEU_KILL_CHAINS", "2"))
SEED = int(os.environ.get("CHITIEU_KILL_SEED", str(random.SystemRandom().randrange(10**6))))
# (target, event that arms the kill, longest delay after it in seconds); weights = counts.
TARGETS = [
    ("startup", None, 3.0, 1),
    ("staging copy", ("RESOURCE_INIT_STARTED", None), 0.1, 1),
    ("inbox_files", ("STEP_START", "inbox_files"), 0.15, 2),
    ("parsed_submissions", ("STEP_START", "parsed_submissions"), 0.2, 2),
    ("validated_submissions", ("STEP_START", "validated_submissions"), 0.8, 4),
    ("warehouse_facts", ("STEP_START", "warehouse_facts"), 0.1, 2),
    ("review", ("STEP_START", "review_tables"), 0.5, 4),
    ("published_warehouse", ("STEP_START", "published_warehouse"), 0.04, 2),
    ("feedback_workbooks", ("STEP_START", "feedback_workbooks"), 0.15, 1),
    ("delivered_alerts", ("STEP_START", "delivered_alerts"), 0.15, 1),
]
PHASES = {
    "inbox_files": "inbox/archive",
    "parsed_submissions": "reading",
    "validated_submissions": "validation",
    "warehouse_facts": "load",
    "review_tables": "review",
    "published_warehouse": "publish",
    "feedback_workbooks": "feedback",
    "queued_alerts": "feedback",
    "delivered_alerts": "after publish",
}


@dataclass
class Kill:
    target: str
    arm: tuple | None
    delay: float
    phase: str = "?"
    killed: bool = False
    published: bool = False
    seconds: float = 0.0


def plan(rng: random.Random, count: int) -> list[Kill]:
    """``count`` kill points in phase order, weighted as TARGETS, random delays."""
    cycle = [t for t in TARGETS for _ in range(t[3])]
    kills = []
    for i in range(count):
        target, arm, longest, _ = cycle[i % len(cycle)]
        low = 0.2 if arm is None else 0.0
        kills.append(Kill(target, arm, rng.uniform(low, longest)))
    order = [t[0] for t in TARGETS]
    return sorted(kills, key=lambda k: order.index(k.target))


def run_dbs(home: Path) -> set[Path]:
    folder = home / "dagster" / "history" / "runs"
    return {p for p in folder.glob("*.db") if p.name != "index.db"} if folder.exists() else set()


def events_of(paths: set[Path]) -> list[tuple]:
    events = []
    for path in paths:
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as con:
                events += con.execute(
                    "SELECT dagster_event_type, step_key FROM event_logs"
                    " WHERE dagster_event_type IS NOT NULL ORDER BY id"
                ).fetchall()
        except sqlite3.Error:
            pass
    return events


def phase_of(events: list[tuple]) -> str:
    steps = [key for kind, key in events if kind == "STEP_START"]
    if steps:
        return PHASES.get(steps[-1], steps[-1])
    if any(kind == "RESOURCE_INIT_STARTED" for kind, _ in events):
        return "lock/staging copy"
    return "startup (imports)"


def kill_once(home: Path, kill: Kill, zygote: Zygote) -> None:
    """Start a refresh, wait for the armed event and the delay, SIGKILL its process group.

    Startup kills use a plain `chitieu run` process (to die during its imports); the
    others a refresh forked by ``zygote`` (the same code, imports done beforehand).
    """
    known = run_dbs(home)
    before = _digest(home / "warehouse.duckdb")
    if kill.arm is None:
        process = start_run(home)
        pid, alive = process.pid, lambda: process.poll() is None
    else:
        pid = zygote.start(home)
        alive = lambda: Zygote.alive(pid)  # noqa: E731
    started = time.monotonic()
    deadline = started + 120
    if kill.arm is None:
        time.sleep(kill.delay)
    else:
        while alive() and time.monotonic() < deadline:
            if kill.arm in events_of(run_dbs(home) - known):
                break
            time.sleep(0.01)
        _wait_inside_step(home, known, kill, alive)
    if alive():
        os.killpg(pid, signal.SIGKILL)
        kill.killed = True
    while alive():
        time.sleep(0.01)
    kill.seconds = time.monotonic() - started
    kill.phase = phase_of(events_of(run_dbs(home) - known))
    kill.published = _digest(home / "warehouse.duckdb") != before


# The event that ends what an armed event starts.
_ENDS = {"STEP_START": "STEP_SUCCESS", "RESOURCE_INIT_STARTED": "RESOURCE_INIT_SUCCESS"}


def _wait_inside_step(home: Path, known: set[Path], kill: Kill, alive) -> None:
    """Sleep the kill's delay, but no longer than the armed step lasts: on a fast machine a
    delay past the step's end would land in a later phase, even after the publication,
    and leave the rest of the chain nothing to refresh."""
    assert kill.arm is not None
    kind, step = kill.arm
    if kind not in _ENDS:  # armed on an event that ends something: nothing to stay inside
        time.sleep(kill.delay)
        return
    until = time.monotonic() + kill.delay
    while alive() and time.monotonic() < until:
        if (_ENDS[kind], step) in events_of(run_dbs(home) - known):
            return
        time.sleep(0.005)


def _digest(path: Path) -> tuple | None:
    return (path.stat().st_ino, path.stat().st_size) if path.exists() else None


def chain(root: Path, kills: list[Kill], zygote: Zygote) -> tuple[Path, list[str]]:
    """Kill one home at each point, checking the live warehouse stays whole, then finish."""
    home = new_home(root, sample_inbox())
    problems = []
    for kill in kills:
        kill_once(home, kill, zygote)
        live = home / "warehouse.duckdb"
        if live.exists():  # never half a refresh: absent, or all of the batch
            problems += state_differences(canonical_state(live), clean_rebuild())
    done = run_to_completion(home)
    assert done.returncode == 0, done.stdout + done.stderr
    return home, problems


REQUIRED_PHASES = {
    "reading": "parsed_submissions",
    "validation": "validated_submissions",
    "load": "warehouse_facts",
    "review": "review_tables",
}
TOP_UP_TRIES = 3


def top_up(root: Path, hit: set[str], zygote: Zygote) -> tuple[list[Kill], list]:
    """Kill at the start of each required phase the random points missed (steps of a few
    tens of milliseconds can be missed under load), until it is hit or tries run out."""
    extra, results = [], []
    for phase, step in REQUIRED_PHASES.items():
        for attempt in range(TOP_UP_TRIES):
            if phase in hit:
                break
            kill = Kill(step, ("STEP_START", step), 0.0)
            results.append(chain(root / f"{step}{attempt}", [kill], zygote))
            extra.append(kill)
            if kill.killed:
                hit.add(kill.phase)
    return extra, results


def test_sigkill_at_many_points_loses_nothing(tmp_path):
    rng = random.Random(SEED)
    kills = plan(rng, KILL_POINTS)
    chains = [kills[i::CHAINS] for i in range(CHAINS)]
    zygote = Zygote()
    try:
        with ThreadPoolExecutor(CHAINS + 1) as pool:
            reference = pool.submit(clean_rebuild)
            futures = [
                pool.submit(chain, tmp_path / f"home{i}", c, zygote) for i, c in enumerate(chains)
            ]
            results = [f.result() for f in futures]
            want = reference.result()
        hit = {k.phase for k in kills if k.killed}
        extra, more = top_up(tmp_path / "top_up", hit, zygote)
        kills += extra
        results += more
    finally:
        zygote.close()
    report = Counter((k.target, k.phase, k.killed) for k in kills)
    print(f"seed {SEED}; kill points (target, phase hit, killed):")
    for key, count in sorted(report.items()):
        print(f"  {count} x {key}")
    print("seconds to kill:", [round(k.seconds, 1) for k in kills])
    for home, during in results:
        assert during == [], f"a killed refresh left a half-built warehouse: {during}"
        assert state_differences(canonical_state(home / "warehouse.duckdb"), want) == []
        assert duplicate_loads(home / "warehouse.duckdb") == []
        assert accounting_problems(home, sample_inbox()) == []
    killed = [k for k in kills if k.killed]
    assert len(killed) >= min(KILL_POINTS, 20) * 0.9, report
    hit = {k.phase for k in killed}
    assert set(REQUIRED_PHASES) <= hit, report
    assert hit & {"publish", "after publish"}, report  # the publish step lasts milliseconds


def alert_ids(home) -> list[str]:
    log = home / "alerts" / "alerts.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return sorted(json.loads(line)["alert_id"] for line in lines)


def test_a_kill_right_after_publish_loses_no_feedback_or_alert(tmp_path):
    """Feedback is written and alerts queued before the publish, so this window is safe."""
    rebuilt = clean_rebuild_home()
    want = sorted(p.name for p in (rebuilt / "feedback").iterdir())
    assert want, "the sample has a rejected file and one with warnings: feedback expected"
    zygote = Zygote()
    try:
        for attempt in range(3):  # until the kill lands right after the publish
            home = new_home(tmp_path / f"home{attempt}", sample_inbox())
            kill = Kill("after publish", ("STEP_SUCCESS", "published_warehouse"), 0.0)
            kill_once(home, kill, zygote)
            if kill.killed and kill.published:
                break
        else:
            raise AssertionError("no kill landed right after the publish in 3 attempts")
    finally:
        zygote.close()
    assert sorted(p.name for p in (home / "feedback").iterdir()) == want
    done = run_to_completion(home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert alert_ids(home) == alert_ids(rebuilt) != []
