"""Commands import only what they use: no Dagster, pandas or openpyxl where an analyst waits.

Each command runs in a fresh interpreter, which then reports the heavy packages in
sys.modules. Not timed: the imports themselves are what the commands must not pay.
"""

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.cli import COMMANDS, load_command
from tests.helpers import TODAY, invoke, sql_rows

PROJECT = Path(__file__).resolve().parent.parent
HEAVY = ("dagster", "pandas", "openpyxl", "great_expectations", "numpy")
REPORT = f"""
import json, sys
from orchestration.cli import main
try:
    main(sys.argv[1:], prog_name="chitieu")
except SystemExit:
    pass
found = {{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r})
print(json.dumps(sorted(found)), file=sys.stderr)
"""


def heavy_imports(home: Path, *args: str) -> set[str]:
    env = {**os.environ, "CHITIEU_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    done = subprocess.run(
        [sys.executable, "-c", REPORT, *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "args",
    [("--help",), ("sql", "select count(*) from etl_submission"), ("status",), ("sql", "--help")],
)
def test_analyst_commands_import_no_heavy_package(demo_home, args):
    assert heavy_imports(demo_home, *args) == set()


@pytest.mark.slow  # imports Great Expectations in a fresh process
def test_check_imports_no_dagster(demo_home, tmp_path):
    from reference import load_catalog
    from workbooks.writing.template import write_template

    path = write_template(tmp_path / "t.xlsx", "BCHQS", "2019S1", load_catalog())
    assert "dagster" not in heavy_imports(demo_home, "check", "--today", TODAY, str(path))


@pytest.mark.parametrize(
    "args",
    [
        ("template", "--agency", "BCHQS", "--period", "2019S1", "-o", "{tmp}/t.xlsx"),
        ("report", "--period", "2019S1", "-o", "{tmp}/r.xlsx"),
        ("export", "--parquet", "{tmp}/export"),
    ],
)
def test_workbook_and_export_commands_import_no_dagster(demo_home, tmp_path, args):
    found = heavy_imports(demo_home, *(a.format(tmp=tmp_path) for a in args))
    assert "dagster" not in found
    assert any(tmp_path.iterdir()), "the command wrote nothing"


def test_the_help_listing_matches_each_command(demo_home):
    for name, (_, first_line) in COMMANDS.items():
        assert inspect.cleandoc(load_command(name).help).split("\n\n")[0] == first_line


def test_a_run_with_an_empty_inbox_only_delivers_due_alerts_and_records_the_check(demo_copy):
    """The daily run that finds nothing: no Dagster run, no GE, no copy, no rebuild."""
    from alerts import build_alert, enqueue, pending
    from orchestration.cli_status import collect
    from warehouse.home import Home

    alert = build_alert(
        file_sha256="ab" * 32,
        file_name="late.xlsx",
        status="rejected",
        problems=[{"rule": "bad_period", "severity": "error", "message": "?", "cell": "B2"}],
        agency_code="HND",
        agency_name="Hội Nông dân tỉnh",
        period_code="2019S1",
    )
    log = demo_copy / "alerts" / "alerts.jsonl"
    assert enqueue([alert], demo_copy) == 1
    assert "late.xlsx" not in (log.read_text(encoding="utf-8") if log.exists() else "")
    warehouse = demo_copy / "warehouse.duckdb"
    before = (warehouse.read_bytes(), warehouse.stat().st_mtime_ns)
    last = collect(Home(demo_copy)).last_dagster_run["run_id"]
    assert collect(Home(demo_copy)).last_check is None

    found = heavy_imports(demo_copy, "run", "--today", TODAY)

    assert not found & {"dagster", "great_expectations", "pandas", "openpyxl"}, found
    assert (warehouse.read_bytes(), warehouse.stat().st_mtime_ns) == before
    assert list((demo_copy / "staging").iterdir()) == []
    status = collect(Home(demo_copy))
    assert status.last_dagster_run["run_id"] == last
    assert status.last_check["checked_at"] > status.last_dagster_run["ended_at"]
    assert pending(demo_copy) == []  # the queued alert was delivered (log channel)
    assert "late.xlsx" in log.read_text(encoding="utf-8")
    shown = invoke(demo_copy, "status")
    assert "Last check, nothing to do:" in shown.output


@pytest.mark.slow  # a whole refresh with Great Expectations in a fresh process
def test_a_run_with_a_few_files_validates_them_in_a_worker_that_imported_ge(demo_copy):
    """GE is imported by the worker forked before Dagster, not by the run's process;
    the worker's validation decides, and its Data Docs are written before the run ends."""
    from tests.factories import indicator_row, make_submission

    bad = [indicator_row("TT_HOI_NGHI", {"373": -2}), indicator_row("TT_LUOT_NGUOI", {"373": 5})]
    make_submission(demo_copy / "inbox" / "2019S1_HND_moi.xlsx", agency="HND", rows=bad)
    report = demo_copy / "data_docs" / "index.html"
    before = report.stat().st_mtime_ns

    found = heavy_imports(demo_copy, "run", "--today", TODAY)

    assert {"dagster", "pandas", "openpyxl"} <= found
    assert "great_expectations" not in found
    assert list((demo_copy / "inbox").iterdir()) == []
    [rejected] = sql_rows(
        demo_copy, "select status from etl_submission where file_name = '2019S1_HND_moi.xlsx'"
    )
    assert rejected["status"] == "rejected"
    assert report.stat().st_mtime_ns > before


def test_nothing_to_do_only_when_inbox_reference_and_schema_are_as_published(
    demo_copy, tmp_path, monkeypatch
):
    import shutil

    from reference.catalog import DEFAULT_DIR
    from warehouse.freshness import STAMP_NAME, nothing_to_do
    from warehouse.home import Home

    home = Home(demo_copy)
    assert nothing_to_do(home)
    waiting = demo_copy / "inbox" / "new.xlsx"
    waiting.write_bytes(b"not yet read")
    assert not nothing_to_do(home)
    waiting.unlink()
    edited = tmp_path / "reference"
    shutil.copytree(DEFAULT_DIR, edited)
    with open(edited / "agencies.csv", "a", encoding="utf-8") as handle:
        handle.write("\n")
    monkeypatch.setenv("CHITIEU_REFERENCE_DIR", str(edited))
    assert not nothing_to_do(home)
    monkeypatch.delenv("CHITIEU_REFERENCE_DIR")
    assert nothing_to_do(home)
    (demo_copy / STAMP_NAME).unlink()  # e.g. a crash between publishing and recording
    assert not nothing_to_do(home)
