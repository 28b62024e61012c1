"""Feedback workbooks written by forked processes while the caller goes on (issue 12)."""

import os
from pathlib import Path

import openpyxl
import pytest

from reference.model import ERROR, Problem
from tests.factories import make_submission
from workbooks.writing import feedback
from workbooks.writing.feedback import RESULT_SHEET, FeedbackBatch, FeedbackJob

FAULTY = "c_faulty.xlsx"


@pytest.fixture
def jobs(tmp_path) -> list[FeedbackJob]:
    problem = Problem(ERROR, "negative_value", "Số âm", "Biểu 1", "E12")
    (tmp_path / "in").mkdir()
    return [
        FeedbackJob(
            make_submission(tmp_path / "in" / name),
            tmp_path / "out" / name,
            name,
            "rejected",
            [problem],
            None,
            None,
        )
        for name in ("a.xlsx", "b.xlsx", FAULTY, "d.xlsx")
    ]


def writer_pids(tmp_path: Path, fail_for: str | None = None, die: bool = False):
    """``_write_job`` that leaves the id of the process that wrote each file beside it;
    raises for ``fail_for``; with ``die``, a forked writer exits at once."""
    real, parent = feedback._write_job, os.getpid()

    def writing(job: FeedbackJob) -> Path:
        if die and os.getpid() != parent:
            os._exit(1)
        if job.file_name == fail_for:
            raise RuntimeError("disk full")
        (tmp_path / f"{job.file_name}.pid").write_text(str(os.getpid()))
        return real(job)

    return writing


def test_a_large_batch_is_written_by_other_processes_and_a_failure_is_one_jobs(
    jobs, tmp_path, monkeypatch
):
    monkeypatch.setattr(feedback, "PARALLEL_FROM", 2)
    monkeypatch.setattr(feedback, "_write_job", writer_pids(tmp_path, fail_for=FAULTY))
    outcomes = FeedbackBatch(jobs, workers=2).outcomes()
    assert [path is None for path, _ in outcomes] == [False, False, True, False]
    assert outcomes[2][1] == "RuntimeError: disk full"
    for job, (path, _) in zip(jobs, outcomes, strict=True):
        if path is not None:
            assert path == job.target
            assert openpyxl.load_workbook(path).sheetnames[0] == RESULT_SHEET
            assert int((tmp_path / f"{job.file_name}.pid").read_text()) != os.getpid()


def test_writers_that_die_are_replaced_by_writing_here(jobs, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(feedback, "PARALLEL_FROM", 2)
    monkeypatch.setattr(feedback, "_write_job", writer_pids(tmp_path, die=True))
    outcomes = FeedbackBatch(jobs, workers=2).outcomes()
    assert [path for path, _ in outcomes] == [job.target for job in jobs]
    assert all(job.target.exists() for job in jobs)
    assert {(tmp_path / f"{j.file_name}.pid").read_text() for j in jobs} == {str(os.getpid())}
    assert "writing here" in caplog.text


def test_a_small_batch_is_written_before_the_constructor_returns(jobs, tmp_path, monkeypatch):
    monkeypatch.setattr(feedback, "_write_job", writer_pids(tmp_path))
    FeedbackBatch(jobs[:2], workers=2)
    assert all(job.target.exists() for job in jobs[:2])
    assert (tmp_path / "a.xlsx.pid").read_text() == str(os.getpid())
