"""Load one refresh's submissions: the record, the problems, the history, what is in force.

pandas is imported where frames are built, not with the module: the refresh's definitions
import this module, and a run that finds nothing new should not pay for pandas.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import duckdb

from reference import Catalog
from reference.model import (
    ACCEPTED,
    ISSUE_FIELDS,
    Arrival,
    ParsedWorkbook,
    Problem,
    Submission,
    TaskItem,
    ValueInForce,
    processing_problem,
)
from warehouse.store import insert_frame, read_sql

if TYPE_CHECKING:
    import pandas as pd

RECEIVED_STEP = timedelta(microseconds=1)  # the least step of the received order


@dataclass
class Triage:
    """Inbox files split by what the warehouse already knows of them."""

    new: list[Arrival]
    duplicates: list[tuple[Arrival, int | None]]  # with the submission id first ingested
    already_recorded: list[Arrival]  # same name, bytes and time: a rerun after a crash

    def submissions(
        self, parsed: Sequence[ParsedWorkbook], problems: Sequence[list[Problem]]
    ) -> list[Submission]:
        """The files to record, in received order: each new one with what reading and
        validation found (``parsed`` and ``problems`` follow ``new``), then duplicates."""
        found = zip(self.new, parsed, problems, strict=True)
        submissions = [Submission(arrival, workbook, issues) for arrival, workbook, issues in found]
        submissions += [Submission(arrival, None) for arrival, _ in self.duplicates]
        return sorted(submissions, key=lambda s: (s.arrival.received_at, s.arrival.file_name))


def triage_arrivals(con: duckdb.DuckDBPyConnection | None, arrivals: Sequence[Arrival]) -> Triage:
    """Split the inbox, and give each file to record its place in the received order.

    A file's ``received_at`` is its mtime, but never at or before the previous file's:
    a file found by a later refresh is newer than everything received before it (a
    Windows copy keeps an old mtime), so validity intervals never invert.
    """
    known: dict[str, int] = {}
    recorded: set[tuple[str, str | None, datetime]] = set()
    latest: datetime | None = None
    if con is not None:
        for sid, name, sha, mtime in con.execute(
            "SELECT submission_id, file_name, file_sha256, file_mtime FROM etl_submission"
            " ORDER BY submission_id"
        ).fetchall():
            if sha is not None:
                known.setdefault(sha, sid)
            recorded.add((name, sha, mtime))
        latest = con.execute("SELECT max(received_at) FROM etl_submission").fetchall()[0][0]
    triage = Triage([], [], [])
    seen_in_batch: set[str] = set()
    for arrival in sorted(arrivals, key=lambda a: (a.file_mtime, a.file_name)):
        if (arrival.file_name, arrival.sha256, arrival.file_mtime) in recorded:
            triage.already_recorded.append(arrival)
            continue
        received = arrival.file_mtime
        if latest is not None and received <= latest:
            received = latest + RECEIVED_STEP
        latest = received
        arrival = replace(arrival, received_at=received)
        if arrival.sha256 in known or arrival.sha256 in seen_in_batch:
            triage.duplicates.append((arrival, known.get(arrival.sha256)))
        else:
            if arrival.sha256 is not None:
                seen_in_batch.add(arrival.sha256)
            triage.new.append(arrival)
    return triage


def _next_id(con: duckdb.DuckDBPyConnection) -> int:
    return (
        int(
            con.execute("SELECT coalesce(max(submission_id), 0) FROM etl_submission").fetchall()[0][
                0
            ]
        )
        + 1
    )


def _record_frame(
    submissions: Sequence[Submission], ids: list[int], run_id: str, archive_paths: Sequence[str]
) -> pd.DataFrame:
    import pandas as pd

    now = datetime.now()
    return pd.DataFrame(
        {
            "submission_id": sid,
            "file_name": s.arrival.file_name,
            "archive_path": path,
            "file_sha256": s.arrival.sha256,
            "agency_code": s.parsed.agency_code if s.parsed else None,
            "period_code": s.parsed.period_code if s.parsed else None,
            "received_at": s.arrival.received_at,
            "file_mtime": s.arrival.file_mtime,
            "ingested_at": now,
            "run_id": run_id,
            "status": s.status,
            "error_count": s.error_count,
            "warning_count": s.warning_count,
            "report_date": s.parsed.report_date if s.parsed else None,
            "email": s.parsed.email if s.parsed else None,
        }
        for s, sid, path in zip(submissions, ids, archive_paths, strict=True)
    )


def _issue_frame(submissions: Sequence[Submission], ids: list[int]) -> pd.DataFrame:
    import pandas as pd

    rows = [
        (sid, *(getattr(p, name) for name in ISSUE_FIELDS))
        for s, sid in zip(submissions, ids, strict=True)
        for p in s.problems
    ]
    return pd.DataFrame(rows, columns=["submission_id", *ISSUE_FIELDS], dtype=object)


def _value_frame(accepted: list[tuple[int, Submission]]) -> pd.DataFrame:
    import pandas as pd

    rows = [
        (
            sid,
            s.parsed.agency_code,
            s.parsed.period_code,
            s.arrival.received_at,
            v.indicator_code,
            v.district_code,
            v.value,
            v.sheet,
            v.cell,
        )
        for sid, s in accepted
        if s.parsed  # always set once accepted; narrows the type
        for v in s.parsed.values
        if v.role != "total" and v.value is not None
    ]
    columns = [
        "submission_id",
        "agency_code",
        "period_code",
        "received_at",
        "indicator_code",
        "district_code",
        "value",
        "sheet",
        "cell",
    ]
    return pd.DataFrame(rows, columns=columns)


def _task_frame(accepted: list[tuple[int, Submission]]) -> pd.DataFrame:
    import pandas as pd

    rows = [
        (sid, s.parsed.agency_code, s.parsed.period_code, s.arrival.received_at, *task)
        for sid, s in accepted
        if s.parsed
        for task in s.parsed.tasks
    ]
    columns = ["submission_id", "agency_code", "period_code", "received_at", *TaskItem._fields]
    return pd.DataFrame(rows, columns=columns)


def load_batch(
    con: duckdb.DuckDBPyConnection,
    catalog: Catalog,
    submissions: Sequence[Submission],
    archive_paths: Sequence[str],
    run_id: str,
) -> list[int]:
    """Record every submission of the batch and put the accepted ones in force.

    The caller owns the transaction. Returns the new submission ids, in order.
    """
    import pandas as pd

    from warehouse.dimensions import ensure_periods, sync_reference

    sync_reference(con, catalog)
    first = _next_id(con)
    ids = list(range(first, first + len(submissions)))
    periods = {s.parsed.period_code for s in submissions if s.parsed and s.parsed.period_code}
    periods |= {p["phase_code"] for p in catalog.programs}
    ensure_periods(con, periods)
    insert_frame(con, "etl_submission", _record_frame(submissions, ids, run_id, archive_paths))
    insert_frame(con, "dq_issue", _issue_frame(submissions, ids))
    accepted = [(sid, s) for s, sid in zip(submissions, ids, strict=True) if s.status == ACCEPTED]
    if accepted:
        con.register("batch_values", _value_frame(accepted))
        con.execute(read_sql("history_values.sql"))
        con.register("batch_tasks", _task_frame(accepted))
        con.execute(read_sql("history_tasks.sql"))
        touched = pd.DataFrame(
            {(s.parsed.agency_code, s.parsed.period_code) for _, s in accepted if s.parsed},
            columns=["agency_code", "period_code"],
        )
        con.register("touched", touched)
        con.execute(read_sql("apply_supersession.sql"))
        for name in ("batch_values", "batch_tasks", "touched"):
            con.unregister(name)
    con.execute(read_sql("link_duplicates.sql"))
    return ids


def load_isolated(
    con: duckdb.DuckDBPyConnection,
    catalog: Catalog,
    submissions: Sequence[Submission],
    archive_paths: Sequence[str | None],
    run_id: str,
    rejects_more: Callable[[], bool] | None = None,
) -> tuple[list[int], list[tuple[int, BaseException]]]:
    """``load_batch`` in one transaction, such that no file can make the load fail.

    If it raises, trial loads (each rolled back) halve the batch until the submissions
    that fail alone are found; they get ``processing_error`` (so only their record and
    problems are written), and the batch is loaded again. ``rejects_more``, called once
    the batch is loaded and before it is committed, gives problems to submissions that
    must be rejected after all (work done meanwhile failed for them) and says whether
    it did; the batch is then loaded again. Returns (ids, refused).
    """
    ids, refused = _load_uncommitted(con, catalog, submissions, archive_paths, run_id)
    if rejects_more is not None and rejects_more():
        _rollback(con)
        ids, again = _load_uncommitted(con, catalog, submissions, archive_paths, run_id)
        refused += again
    con.execute("COMMIT")
    return ids, refused


def _load_uncommitted(
    con: duckdb.DuckDBPyConnection,
    catalog: Catalog,
    submissions: Sequence[Submission],
    archive_paths: Sequence[str | None],
    run_id: str,
) -> tuple[list[int], list[tuple[int, BaseException]]]:
    """``load_isolated`` up to its commit: the batch loaded in a transaction left open."""
    try:
        ids = _load_in_transaction(con, catalog, submissions, archive_paths, run_id, commit=False)
        return ids, []
    except Exception:  # noqa: BLE001 - isolated below
        _rollback(con)
    refused: list[tuple[int, BaseException]] = []

    def isolate(indices: list[int]) -> None:
        try:
            _load_in_transaction(
                con,
                catalog,
                [submissions[i] for i in indices],
                [archive_paths[i] for i in indices],
                run_id,
                commit=False,
            )
            return
        except Exception as error:  # noqa: BLE001 - narrowed down to one file
            if len(indices) == 1:
                refused.append((indices[0], error))
                return
        finally:
            _rollback(con)
        middle = len(indices) // 2
        isolate(indices[:middle])
        isolate(indices[middle:])

    isolate(list(range(len(submissions))))
    for index, error in refused:
        submissions[index].problems.append(processing_problem("nạp số liệu của", error))
    ids = _load_in_transaction(con, catalog, submissions, archive_paths, run_id, commit=False)
    return ids, refused


def _load_in_transaction(con, catalog, submissions, archive_paths, run_id, commit=True):
    con.execute("BEGIN TRANSACTION")
    ids = load_batch(con, catalog, submissions, archive_paths, run_id)
    if commit:
        con.execute("COMMIT")
    return ids


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # no transaction open
        con.execute("ROLLBACK")


def values_in_force(con: duckdb.DuckDBPyConnection, agencies: Iterable[str]) -> list[ValueInForce]:
    """The values in force of these agencies, with district, indicator and period codes.

    Only the batch's agencies are fetched, so the cost follows the new files, not the
    size of the warehouse.
    """
    return con.execute(read_sql("values_in_force.sql"), [sorted(set(agencies))]).fetchall()


def tasks_in_force(
    con: duckdb.DuckDBPyConnection, agencies: Iterable[str]
) -> dict[tuple[str, str], int]:
    """How many tasks are in force per (agency, period) of these agencies."""
    found = con.execute(read_sql("tasks_in_force.sql"), [sorted(set(agencies))]).fetchall()
    return {(agency, period): count for agency, period, count in found}
