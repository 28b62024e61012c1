"""Reading a large batch on both cores gives what reading it in one process gives."""

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

import assets.ingest
from reference import load_catalog
from tests.factories import indicator_row, make_submission
from tests.helpers import TODAY
from warehouse.home import Home
from warehouse.inbox import scan_inbox


def test_workers_read_the_same_workbooks_in_the_same_order(home: Path, monkeypatch):
    inbox = home / "inbox"
    for number, (agency, period) in enumerate(
        [("CA", "2019S1"), ("HND", "2019S2"), ("CA", "2020S1"), ("HND", "2020S2")] * 3
    ):
        rows = [indicator_row("TT_HOI_NGHI", {"373": number, "376": 2 * number})]
        make_submission(inbox / f"{number:02d}_{agency}.xlsx", agency, period, rows)
    (inbox / "99_hong.xlsx").write_bytes(b"PK\x03\x04 not a zip")
    real = assets.ingest.read_workbook
    monkeypatch.setattr(
        assets.ingest,
        "read_workbook",
        lambda path, *a: (
            (_ for _ in ()).throw(ValueError("boom"))
            if "07_" in Path(path).name
            else real(path, *a)
        ),
    )
    catalog, paths, today = load_catalog(), Home(home), date.fromisoformat(TODAY)
    arrivals = scan_inbox(paths)
    alone = list(assets.ingest._read_all(paths, arrivals, catalog, today))
    monkeypatch.setattr(assets.ingest, "READ_IN_PARALLEL_FROM", 2)
    monkeypatch.setattr(assets.ingest.os, "cpu_count", lambda: 2)
    both = list(assets.ingest._read_all(paths, arrivals, catalog, today))
    assert both == alone
    assert [w.file_name for w, _ in both] == [a.file_name for a in arrivals]
    assert sum(error is not None for _, error in both) == 1
    assert sum(len(w.values) > 0 for w, _ in both) == 11


_READ_IN_A_FRESH_PROCESS = """
import os, sys
from pathlib import Path
from datetime import date
import assets.ingest
from reference.model import ParsedWorkbook
from warehouse.home import Home
from warehouse.inbox import scan_inbox

assets.ingest.READ_IN_PARALLEL_FROM = 2
assets.ingest.os.cpu_count = lambda: 2
assets.ingest._read = lambda *args: ParsedWorkbook(f"nice {os.nice(0)}")
home = Home(Path(sys.argv[1]))
before = "great_expectations" in sys.modules
found = list(assets.ingest._read_all(home, scan_inbox(home), None, date.today()))
print(before, "expectations.validate" in sys.modules, os.nice(0), *{w.file_name for w, _ in found})
"""


@pytest.mark.slow  # a fresh process imports Great Expectations: 4-8 s
def test_validation_is_imported_while_lower_priority_workers_read(home: Path):
    """Great Expectations' import (seconds) overlaps the reading of a large batch, and
    the workers give way to it; with nothing imported before, as in ``chitieu run``."""
    for number in range(4):
        make_submission(home / "inbox" / f"{number}.xlsx", "CA", "2019S1", [])
    found = subprocess.run(
        [sys.executable, "-c", _READ_IN_A_FRESH_PROCESS, str(home)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    before, after, niceness, workers = found.stdout.strip().split(maxsplit=3)
    assert (before, after) == ("False", "True")
    assert workers == f"nice {int(niceness) + assets.ingest.READER_NICENESS}"
