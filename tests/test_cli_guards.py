"""Issue 11, item 12: `chitieu ui` fails fast, `status` sees killed runs, no huge sheets."""

import fcntl
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from reference import load_catalog
from tests.factories import make_submission
from tests.helpers import invoke, patch_zip, require_libreoffice
from tests.robustness import PROJECT, env_for, new_home, sample_inbox, start_run
from tests.servers import free_port
from tests.test_crash import events_of, run_dbs
from workbooks.reading.reader import read_workbook

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


# --- .ods and .xls: sheet extents are bounded before calamine builds them ------------------


def read(path: Path):
    return read_workbook(path, load_catalog(), date(2026, 11, 27))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


MAX_GROWTH_MB = 300  # calamine's grid of 65536 x 256 cells alone takes about 1 GB


def ods_submission(tmp_path: Path) -> Path:
    """A real submission saved as .ods by LibreOffice."""
    source = make_submission(tmp_path / "bc.xlsx")
    subprocess.run(
        ["soffice", "--headless", "--calc", "--convert-to", "ods", "--outdir", str(tmp_path),
         str(source)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return tmp_path / "bc.ods"


def test_an_ods_row_repeated_a_million_times_is_refused_before_parsing(tmp_path):
    require_libreoffice()
    path = ods_submission(tmp_path)
    assert read(path).values and not read(path).has_errors  # the real file reads

    def repeat_first_data_row(xml: str) -> str:
        start = xml.rindex("<table:table-row", 0, xml.index("TT_HOI_NGHI"))
        tag_end = xml.index(">", start)
        return xml[:tag_end] + ' table:number-rows-repeated="1000000"' + xml[tag_end:]

    patch_zip(path, "content.xml", repeat_first_data_row)
    before = peak_rss_mb()
    result = read(path)
    assert [p.rule for p in result.problems] == ["unreadable_file"]
    assert "quá nhiều dòng" in result.problems[0].message
    assert peak_rss_mb() - before < MAX_GROWTH_MB


def test_an_xls_with_a_cell_in_its_last_row_is_refused_before_parsing(tmp_path):
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Biểu 01")
    sheet.write(0, 0, "Mã chỉ tiêu")
    sheet.write(65535, 255, 1)
    book.save(str(tmp_path / "far.xls"))
    before = peak_rss_mb()
    result = read(tmp_path / "far.xls")
    assert peak_rss_mb() - before < MAX_GROWTH_MB
    assert [p.rule for p in result.problems] == ["unreadable_file"]
    assert "“Biểu 01” có quá nhiều dòng hoặc cột (65536 dòng, 256 cột" in result.problems[0].message


def test_a_normal_xls_is_still_read(tmp_path):
    from tests.test_fuzz import legacy_xls

    result = read(legacy_xls(tmp_path / "legacy.xls"))
    assert result.values and "unreadable_file" not in [p.rule for p in result.problems]
