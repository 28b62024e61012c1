"""Issue 11, item 12: `chitieu ui` fails fast, `status` sees killed runs, no huge sheets."""

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import invoke
from tests.robustness import PROJECT, env_for, new_home, sample_inbox, start_run
from tests.servers import free_port
from tests.test_crash import events_of, run_dbs

UI_TIMEOUT = 60  # seconds; a `ui` that fails fast exits within its imports


def start_ui(home: Path, port: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "ui", "--port", str(port)],
        cwd=PROJECT,
        env=env_for(home),
        capture_output=True,
        text=True,
        timeout=UI_TIMEOUT,
    )


def test_ui_on_a_busy_port_exits_at_once_with_a_clear_message(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = start_ui(tmp_path / "home", port)
    assert done.returncode != 0
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr


def test_a_second_ui_on_the_same_instance_exits_at_once(tmp_path):
    home = tmp_path / "home"
    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True)
    # What a running `chitieu ui` holds for its whole life (taken here by this process).
    with open(dagster_home / "ui.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.write("4242")
        lock.flush()
        done = start_ui(home, free_port())
    assert done.returncode != 0
    assert "another `chitieu ui` (pid 4242) already runs" in done.stderr


@pytest.mark.slow
def test_status_shows_a_run_killed_with_sigkill_as_abandoned(tmp_path):
    home = new_home(tmp_path / "home", sample_inbox())
    process = start_run(home)
    deadline = time.monotonic() + 120
    while ("STEP_START", "parsed_submissions") not in events_of(run_dbs(home)):
        assert process.poll() is None and time.monotonic() < deadline, "the run never started"
        time.sleep(0.05)
    running = json.loads(invoke(home, "status", "--format", "json").output)
    assert running["last_dagster_run"]["status"] == "STARTED"  # alive: not abandoned
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    result = invoke(home, "status", "--format", "json")
    run = json.loads(result.output)["last_dagster_run"]
    assert (run["status"], run["recorded_status"]) == ("ABANDONED", "STARTED")
    table = invoke(home, "status").output
    assert "ABANDONED" in table and "its process is gone" in table
