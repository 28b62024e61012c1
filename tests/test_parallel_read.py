"""Reading a large batch on both cores gives what reading it in one process gives."""

from datetime import date
from pathlib import Path

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
