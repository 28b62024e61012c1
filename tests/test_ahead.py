"""Validation in a worker forked before Dagster is imported (issue 12).

The worker is a real forked process: after it is forked, the function in this process
is replaced by one that fails, so an answer can only have come from the worker.
"""

import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest

import assets.ingest
import expectations.validate
from expectations import ahead
from reference import load_catalog
from reference.model import ERROR, ParsedWorkbook
from tests.factories import indicator_row, make_submission
from warehouse.home import Home
from warehouse.inbox import scan_inbox
from workbooks.reading.reader import read_workbook

TODAY = date(2026, 11, 27)


def not_here(*args, **kwargs):
    raise AssertionError("validated in the run's process, not in the worker")


@pytest.fixture
def batch(tmp_path):
    catalog = load_catalog()
    bad = [indicator_row("TT_HOI_NGHI", {"373": -2}), indicator_row("TT_LUOT_NGUOI", {"373": 5})]
    files = [
        make_submission(tmp_path / "ca.xlsx", agency="CA"),
        make_submission(tmp_path / "bad.xlsx", agency="HND", rows=bad),
    ]
    parsed = [read_workbook(path, catalog, TODAY) for path in files]
    return parsed, catalog, [None, None]


def rules_of(problems) -> list[set[str]]:
    return [{p.rule for p in found} for found in problems]


def test_the_worker_validates_as_this_process_does(batch, monkeypatch):
    expected, _ = expectations.validate.validate_isolated(*batch)
    with ahead.validation_ahead(2):
        monkeypatch.setattr(expectations.validate, "validate_isolated", not_here)
        problems, failures = ahead.call("validate_isolated", *batch)
    assert failures == []
    assert problems == expected
    assert "negative_value" in rules_of(problems)[1]


def test_the_run_works_meanwhile_and_a_failure_there_is_not_the_workers(batch, caplog, monkeypatch):
    """``meanwhile`` runs in this process once the batch is sent, before the answer is
    read; if it raises, the worker's answer is still the one returned."""
    expected, _ = expectations.validate.validate_isolated(*batch)
    ran = []

    def meanwhile():
        ran.append(ahead.running())
        raise RuntimeError("an import failed")

    with ahead.validation_ahead(2), caplog.at_level(logging.WARNING, "expectations.ahead"):
        monkeypatch.setattr(expectations.validate, "validate_isolated", not_here)
        problems, _ = ahead.call("validate_isolated", *batch, meanwhile=meanwhile)
    assert ran == [True]
    assert problems == expected
    assert "an import failed" in caplog.text and "validating in-process" not in caplog.text


def test_the_worker_writes_the_data_docs_after_it_answered(batch, tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    with ahead.validation_ahead(2):
        monkeypatch.setattr(expectations.validate, "build_docs", not_here)
        ahead.call("validate_isolated", *batch, None, docs)
        ahead.wait()
        assert "submission_values" in (docs / "index.html").read_text(encoding="utf-8")


def test_a_dead_worker_means_validating_here(batch, caplog):
    expected, _ = expectations.validate.validate_isolated(*batch)
    with ahead.validation_ahead(2):
        assert ahead._worker is not None
        os.kill(ahead._worker.pid, signal.SIGKILL)
        with caplog.at_level(logging.WARNING, logger="expectations.ahead"):
            problems, _ = ahead.call("validate_isolated", *batch)
    assert problems == expected
    assert "validating in-process" in caplog.text


def test_what_validation_raises_in_the_worker_is_raised_here(batch, monkeypatch):
    parsed, catalog, _ = batch
    with ahead.validation_ahead(2):
        monkeypatch.setattr(expectations.validate, "verify_isolated", not_here)
        with pytest.raises(TypeError):
            ahead.call("verify_isolated", parsed, catalog, "a third argument")


def test_no_worker_is_forked_beside_another_thread(batch):
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with ahead.validation_ahead(2):
            assert ahead._worker is None
            problems, _ = ahead.call("validate_isolated", *batch)
    finally:
        stop.set()
        other.join()
    assert "negative_value" in rules_of(problems)[1]


@pytest.mark.parametrize("files", [0, ahead.AHEAD_BELOW_FILES])
def test_no_worker_for_no_file_or_a_batch_whose_reading_hides_the_import(files):
    with ahead.validation_ahead(files):
        assert not ahead.running()


def test_a_fork_that_fails_means_validating_here(batch, monkeypatch):
    def no_process_left():
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_process_left)
    with ahead.validation_ahead(2):
        assert not ahead.running()
        problems, _ = ahead.call("validate_isolated", *batch)
    assert "negative_value" in rules_of(problems)[1]


def test_data_docs_that_fail_to_build_are_logged_and_reject_no_file(
    batch, tmp_path, monkeypatch, caplog
):
    monkeypatch.setattr(expectations.validate, "build_docs", not_here)
    with caplog.at_level(logging.ERROR, logger="expectations.validate"):
        problems, failures = expectations.validate.validate_isolated(*batch, None, tmp_path)
    assert failures == []
    assert rules_of(problems)[0] == set() and "processing_error" not in rules_of(problems)[1]
    assert "Data Docs not written" in caplog.text


def test_the_worker_keeps_the_catalogue_so_the_safety_net_does_not_run_again(tmp_path, monkeypatch):
    """The suites are kept per catalogue object: sent anew, the catalogue would be a new
    object in the worker, and the safety net would run the value suite a second time."""
    catalog = load_catalog()
    files = [make_submission(tmp_path / f"{a}.xlsx", agency=a) for a in ("CA", "HND")]
    parsed = [read_workbook(path, catalog, TODAY) for path in files]
    real, ran = expectations.validate.run_suite, []

    def once_each(asset, suite, frame, docs_dir=None):
        assert asset not in ran, f"the {asset} suite ran twice"
        ran.append(asset)
        return real(asset, suite, frame, docs_dir)

    monkeypatch.setattr(expectations.validate, "run_suite", once_each)
    with ahead.validation_ahead(2):
        monkeypatch.setattr(expectations.validate, "validate_isolated", not_here)
        monkeypatch.setattr(expectations.validate, "verify_isolated", not_here)
        problems, _ = ahead.call("validate_isolated", parsed, catalog, [None, None])
        assert not any(p.severity == ERROR for found in problems for p in found)
        assert ahead.call("verify_isolated", parsed, catalog) == (True, [], [])


def wired_through(monkeypatch) -> list[tuple]:
    """The arguments of each call, as they crossed the pipe."""
    sent: list[tuple] = []
    real = ahead._ask

    def recording(connection, name, args, meanwhile=None):
        sent.append(args)
        return real(connection, name, args, meanwhile)

    monkeypatch.setattr(ahead, "_ask", recording)
    return sent


def comparable(verified: tuple) -> tuple:
    ok, failed, refused = verified
    return ok, failed, [(index, str(error)) for index, error in refused]


def test_the_safety_net_sends_the_kept_workbooks_by_reference(batch, monkeypatch):
    parsed, catalog, _ = batch
    sent = wired_through(monkeypatch)
    here = comparable(expectations.validate.verify_isolated(parsed, catalog))
    with ahead.validation_ahead(2):
        monkeypatch.setattr(expectations.validate, "verify_isolated", not_here)
        ahead.call("validate_isolated", *batch)
        there = ahead.call_on_values("verify_isolated", parsed, catalog)
    assert comparable(there) == here and here[2] == [(1, "expect_column_values_to_be_between")]
    assert all(isinstance(w, ParsedWorkbook) for w in sent[0][0])
    assert sent[1][0] == (ahead._Kept(0), ahead._Kept(1))


def test_a_workbook_changed_since_it_was_sent_is_sent_again(batch, monkeypatch):
    parsed, catalog, _ = batch
    sent = wired_through(monkeypatch)
    good = parsed[0]
    with ahead.validation_ahead(2):
        ahead.call("validate_isolated", *batch)
        first = good.values[0]
        good.values[0] = first._replace(raw=-5, value=-5.0)  # negative: fails the suite
        _, _, refused = ahead.call_on_values("verify_isolated", [good, parsed[1]], catalog)
    assert sent[1][0] == (good, ahead._Kept(1))
    assert [index for index, _ in refused] == [0, 1]


def staged_as_read(parsed: list[ParsedWorkbook]) -> None:
    """Stage the batch as the readers do: each workbook pickled with its error."""
    ahead.stage([pickle.dumps((w, None)) for w in parsed], parsed)


def test_a_batch_staged_while_read_is_named_not_sent(batch, monkeypatch):
    parsed, catalog, _ = batch
    sent = wired_through(monkeypatch)
    expected, _ = expectations.validate.validate_isolated(*batch)
    with ahead.validation_ahead(2):
        monkeypatch.setattr(expectations.validate, "validate_isolated", not_here)
        staged_as_read(parsed)
        problems, failures = ahead.call("validate_isolated", *batch)
        _, _, refused = ahead.call_on_values("verify_isolated", parsed, catalog)
    assert (problems, failures) == (expected, [])
    assert sent[0][0] == ahead._Staged(2)  # the batch did not cross the pipe again
    assert sent[1][0] == (ahead._Kept(0), ahead._Kept(1))  # and is kept for the safety net
    assert [index for index, _ in refused] == [1]


def test_a_worker_dead_while_the_batch_is_staged_means_validating_here(batch, caplog):
    parsed, _, _ = batch
    expected, _ = expectations.validate.validate_isolated(*batch)
    with ahead.validation_ahead(2), caplog.at_level(logging.WARNING, "expectations.ahead"):
        assert ahead._worker is not None
        os.kill(ahead._worker.pid, signal.SIGKILL)
        staged_as_read(parsed)
        problems, _ = ahead.call("validate_isolated", *batch)
    assert problems == expected
    assert "validating in-process" in caplog.text


def test_a_workbook_changed_since_it_was_staged_is_sent(batch, monkeypatch):
    parsed, _, _ = batch
    sent = wired_through(monkeypatch)
    with ahead.validation_ahead(2):
        monkeypatch.setattr(expectations.validate, "validate_isolated", not_here)
        staged_as_read(parsed)
        good = parsed[0]
        good.values[0] = good.values[0]._replace(raw=-5, value=-5.0)  # fails the suite
        problems, _ = ahead.call("validate_isolated", *batch)
    assert sent[0][0] is parsed
    assert "negative_value" in rules_of(problems)[0]


def test_a_batch_read_by_forked_readers_is_staged_in_the_worker(tmp_path, monkeypatch):
    home = Home(tmp_path / "home").ensure()
    for number, agency in enumerate(["CA", "HND", "QS", "CA", "HND", "QS"]):
        rows = [indicator_row("TT_HOI_NGHI", {"373": number - 2})]  # negative: an error
        make_submission(home.inbox / f"{number}_{agency}.xlsx", agency, "2019S1", rows)
    monkeypatch.setattr(assets.ingest, "READ_IN_PARALLEL_FROM", 2)
    monkeypatch.setattr(assets.ingest, "STAGE_EVERY", 4)  # two groups
    monkeypatch.setattr(assets.ingest.os, "cpu_count", lambda: 2)
    catalog, arrivals = load_catalog(), scan_inbox(home)
    sent = wired_through(monkeypatch)
    with ahead.validation_ahead(len(arrivals)):
        parsed = [w for w, _ in assets.ingest._read_all(home, arrivals, catalog, TODAY)]
        expected, _ = expectations.validate.validate_isolated(parsed, catalog, [None] * 6)
        monkeypatch.setattr(expectations.validate, "validate_isolated", not_here)
        problems, _ = ahead.call("validate_isolated", parsed, catalog, [None] * 6)
    assert sent[0][0] == ahead._Staged(6)
    assert problems == expected
    assert ["negative_value" in rules for rules in rules_of(problems)] == [True] * 2 + [False] * 4


ORPHANED = """
import os, signal, sys
from expectations import ahead
with ahead.validation_ahead(2):
    print(ahead._worker.pid, flush=True)
    sys.stdin.readline()
    os.kill(os.getpid(), signal.SIGKILL)
"""


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


def test_a_killed_run_takes_its_worker_with_it(tmp_path):
    """In a fresh process the worker spends seconds importing GE; killed with the run,
    it is gone at once instead of validating beside the next run."""
    run = subprocess.Popen(
        [sys.executable, "-c", ORPHANED],
        cwd=Path(__file__).resolve().parent.parent,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert run.stdout is not None and run.stdin is not None
    worker = int(run.stdout.readline())
    assert alive(worker)
    run.stdin.write("\n")
    run.stdin.flush()
    assert run.wait(timeout=60) == -signal.SIGKILL
    deadline = time.monotonic() + 1.0  # liveness, not speed: its import takes seconds
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not alive(worker)
