"""One bad file never stops a refresh (issue 11, item 4).

The same district in two columns is ``duplicate_district``; and a failure injected into
each stage for one file of a batch rejects that file alone, with its rule and an alert,
while the rest of the batch loads.
"""

import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest

import assets.ingest
import expectations.validate
import warehouse.inbox
import warehouse.load
import workbooks.writing.feedback
from reference import load_catalog
from tests.factories import indicator_row, make_submission
from tests.helpers import TODAY, invoke, sql_rows

FAULTY = "b_hnd.xlsx"


def rename_district_column(path: Path, old: str, new: str) -> Path:
    """What a clerk does: retype a district header, so that it names another one."""
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value == old:
                    cell.value = new
    book.save(path)
    return path


@pytest.mark.parametrize(
    ("period", "rows", "first", "second"),
    [
        ("2019S1", {"373": 2, "376": 3}, "Gia Viễn", "Huyện Gia Viễn"),
        ("2025S1", {"374": 2, "376": 3}, "TP Hoa Lư", "Huyện Hoa Lư"),
    ],
)
def test_the_same_district_in_two_columns_is_rejected_and_the_batch_loads(
    home, period, rows, first, second
):
    names = {d.code: d.name for d in load_catalog().districts}
    path = make_submission(
        home / "inbox" / "hai_cot.xlsx",
        agency="CA",
        period=period,
        rows=[
            indicator_row("TT_HOI_NGHI", rows),
            indicator_row("TT_LUOT_NGUOI", {code: 100 * v for code, v in rows.items()}),
        ],
        district_header_style="plain",
    )
    rename_district_column(path, names["376"], second)
    book = openpyxl.load_workbook(path)
    headers = {c.value for r in book.worksheets[0].iter_rows() for c in r}
    assert second in headers and any(first.endswith(h) for h in headers if isinstance(h, str))
    make_submission(home / "inbox" / "khac.xlsx", agency="HND", period=period)
    check = invoke(home, "check", str(path), "--json", "--today", TODAY)
    assert check.exit_code == 1
    report = json.loads(check.output.splitlines()[0])
    [issue] = [i for i in report["issues"] if i["rule"] == "duplicate_district"]
    assert issue["severity"] == "error" and second in issue["message"]
    result = invoke(home, "run", "--today", TODAY)
    assert result.exit_code == 0, result.output
    statuses = sql_rows(home, "select file_name, status from etl_submission order by 1")
    assert statuses == [
        {"file_name": "hai_cot.xlsx", "status": "rejected"},
        {"file_name": "khac.xlsx", "status": "accepted"},
    ]
    assert not list((home / "inbox").iterdir())  # the next refresh is not blocked by it


# --- a failure in each stage, for one file of the batch --------------------------------


class Injected(RuntimeError):
    """The fault this test injects."""


def _names(items) -> set[str]:
    names = set()
    for item in items:
        if isinstance(item, str | Path):
            names.add(Path(item).name)
        for owner in (item, getattr(item, "arrival", None), getattr(item, "parsed", None)):
            name = getattr(owner, "file_name", None)
            if isinstance(name, str):
                names.add(Path(name).name)
    return names


def raise_for_the_faulty_file(module, name: str, items_of):
    """Wrap ``module.name`` so that it raises whenever the faulty file is among its items."""
    real = getattr(module, name)

    def wrapper(*args, **kwargs):
        if any(n.endswith(FAULTY) for n in _names(items_of(*args, **kwargs))):
            raise Injected(f"injected into {name}")
        return real(*args, **kwargs)

    return wrapper


STAGES = {
    # stage: (module, function, its items, the rule the faulty file gets)
    "receive": (warehouse.inbox, "receive", lambda home, path, name: [path], "unreadable_file"),
    "read": (assets.ingest, "read_workbook", lambda path, *a: [path], "processing_error"),
    "validate": (
        expectations.validate,
        "validate_batch",
        lambda parsed, *a, **k: parsed,
        "processing_error",
    ),
    "verify": (
        expectations.validate,
        "verify_accepted",
        lambda parsed, *a, **k: parsed,
        "processing_error",
    ),
    "load rows": (
        warehouse.load,
        "_value_frame",
        lambda accepted: [s for _, s in accepted],
        "processing_error",
    ),
    "feedback": (
        workbooks.writing.feedback,  # assets.quality imports it when it writes
        "_write_job",
        lambda job: [job],
        "processing_error",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("stage", [*STAGES, "feedback, in worker processes"])
def test_a_failure_in_any_stage_rejects_only_that_file(home, monkeypatch, stage):
    if stage == "feedback, in worker processes":  # written beside the load, which waits
        monkeypatch.setattr(workbooks.writing.feedback, "PARALLEL_FROM", 1)
        stage = "feedback"
    module, name, items_of, rule = STAGES[stage]
    inbox = home / "inbox"
    make_submission(inbox / "a_ca.xlsx", agency="CA")
    make_submission(inbox / FAULTY, agency="Hội Nông dân tỉnh")
    make_submission(inbox / "c_mttq.xlsx", agency="Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh")
    monkeypatch.setattr(module, name, raise_for_the_faulty_file(module, name, items_of))
    result = invoke(home, "run", "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert f"{FAULTY}: " in result.output  # the log names the file
    monkeypatch.undo()
    rows = sql_rows(
        home,
        "select s.file_name, s.status, string_agg(i.rule, ',') filter "
        "(where i.severity = 'error') as errors from etl_submission s "
        "left join dq_issue i using (submission_id) group by all order by 1",
    )
    assert [(r["file_name"], r["status"], r["errors"]) for r in rows] == [
        ("a_ca.xlsx", "accepted", None),
        (FAULTY, "rejected", rule),
        ("c_mttq.xlsx", "accepted", None),
    ]
    loaded = sql_rows(home, "select distinct agency_code from indicator_values order by 1")
    assert [r["agency_code"] for r in loaded] == ["CA", "MTTQ"]
    messages = sql_rows(home, f"select message from dq_issue where rule = '{rule}'")
    assert all(m["message"] for m in messages)
    alerts = [json.loads(line) for line in (home / "alerts" / "alerts.jsonl").open()]
    [alert] = [a for a in alerts if a["file_name"] == FAULTY]
    assert alert["status"] == "rejected"
    assert rule in [p["rule"] for p in alert["first_problems"]]


def test_the_safety_net_runs_again_unless_its_rows_are_those_the_suite_just_passed(
    tmp_path, monkeypatch
):
    """Re-running the value suite on the very rows it has just passed, with no failure at
    all, is the same run; on any other rows (a file left out, a failure seen) it runs."""
    from workbooks.reading.reader import read_workbook

    catalog, today = load_catalog(), date.fromisoformat(TODAY)
    clean = [
        read_workbook(make_submission(tmp_path / f"{name}.xlsx", agency=name), catalog, today)
        for name in ("CA", "HND")
    ]
    assert all(workbook.values and not workbook.problems for workbook in clean)
    bad_rows = [
        indicator_row("TT_HOI_NGHI", {"373": -2}),
        indicator_row("TT_LUOT_NGUOI", {"373": 5}),
    ]
    bad = read_workbook(make_submission(tmp_path / "bad.xlsx", rows=bad_rows), catalog, today)
    runs: list[str] = []
    real = expectations.validate.run_suite

    def counted(asset, suite, frame, docs_dir=None):
        runs.append(asset)
        return real(asset, suite, frame, docs_dir)

    monkeypatch.setattr(expectations.validate, "run_suite", counted)
    validate, verify = expectations.validate.validate_batch, expectations.validate.verify_accepted

    validate(clean, catalog)
    runs.clear()
    assert verify(clean, catalog) == (True, []) and runs == []  # the same rows: not again
    validate(clean, catalog)
    runs.clear()
    assert verify(clean[:1], catalog) == (True, []) and runs == ["values"]  # fewer rows
    validate(clean, catalog)
    runs.clear()
    first = clean[0].values[0]
    clean[0].values[0] = first._replace(raw=-7.0, value=-7.0)  # changed after it passed
    assert verify(clean, catalog)[0] is False and runs == ["values"]
    clean[0].values[0] = first

    problems = validate([*clean, bad], catalog)
    assert "negative_value" in {p.rule for p in problems[2]}
    runs.clear()
    assert verify(clean, catalog) == (True, []) and runs == ["values"]  # the batch failed
    runs.clear()
    ok, failed = verify([*clean, bad], catalog)
    assert not ok and failed and runs == ["values"]
