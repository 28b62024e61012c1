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
from tests.helpers import TODAY

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


def test_check_imports_no_dagster(demo_home, tmp_path):
    from reference import load_catalog
    from workbooks.template import write_template

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
