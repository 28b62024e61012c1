"""Picking up the inbox, reading workbooks, validating the batch."""

import contextlib
import importlib
import os
import pickle
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MetadataValue,
    Output,
    asset,
)

from assets.check_reporting import (
    ACCEPTED_VALUES_PASS,
    NO_REJECTED_SUBMISSIONS,
    NO_WARNINGS,
    problems_markdown,
)
from assets.resources import RefreshResource
from expectations import ahead
from reference.model import (
    ACCEPTED,
    DUPLICATE,
    ERROR,
    REJECTED,
    WARNING,
    Arrival,
    ParsedWorkbook,
    Submission,
    processing_problem,
)
from warehouse.inbox import scan_inbox
from warehouse.load import Triage, tasks_in_force, triage_arrivals, values_in_force
from workbooks.reading.reader import read_workbook, unreadable_problem


@asset(group_name="ingest")
def inbox_files(context: AssetExecutionContext, refresh: RefreshResource) -> Output[Triage]:
    """Files in the inbox (subfolders too), archived, split into new, duplicate and
    already recorded; files that cannot be opened are new, to be recorded unreadable."""
    arrivals = scan_inbox(refresh.paths)  # archived while fingerprinted
    with refresh.read() as con:
        triage = triage_arrivals(con, arrivals)
    for arrival in triage.new:
        if arrival.unreadable:
            context.log.warning(f"{arrival.file_name}: cannot be read ({arrival.unreadable})")
    context.log.info(
        f"inbox: {len(triage.new)} new, {len(triage.duplicates)} duplicate, "
        f"{len(triage.already_recorded)} already recorded"
    )
    return Output(
        triage,
        metadata={
            "new": len(triage.new),
            "duplicate": len(triage.duplicates),
            "already_recorded": len(triage.already_recorded),
        },
    )


@asset(group_name="ingest")
def parsed_submissions(
    context: AssetExecutionContext, refresh: RefreshResource, inbox_files: Triage
) -> Output[list]:
    """Each new workbook read into long rows with the sheet and cell of every value."""
    home, catalog, today = refresh.paths, refresh.catalog, refresh.reference_date
    parsed = []
    step = max(1, len(inbox_files.new) // 10)
    found = _read_all(home, inbox_files.new, catalog, today)
    for count, (arrival, (workbook, error)) in enumerate(
        zip(inbox_files.new, found, strict=True), start=1
    ):
        if error is not None:
            context.log.error(f"{arrival.file_name}: reading failed: {error}")
        parsed.append(workbook)
        if count % step == 0 or count == len(inbox_files.new):
            context.log.info(f"progress: read {count}/{len(inbox_files.new)} workbooks")
    values = sum(len(p.values) for p in parsed)
    return Output(parsed, metadata={"workbooks": len(parsed), "value_cells": values})


@asset(
    group_name="ingest",
    check_specs=[
        AssetCheckSpec(
            ACCEPTED_VALUES_PASS,
            asset="validated_submissions",
            blocking=True,
            description="Values about to be loaded pass every error rule.",
        ),
        AssetCheckSpec(
            NO_REJECTED_SUBMISSIONS,
            asset="validated_submissions",
            description="No submission of this refresh was rejected.",
        ),
        AssetCheckSpec(
            NO_WARNINGS,
            asset="validated_submissions",
            description="No submission of this refresh has warnings.",
        ),
    ],
)
def validated_submissions(
    context: AssetExecutionContext,
    refresh: RefreshResource,
    inbox_files: Triage,
    parsed_submissions: list,
):
    """The batch validated in one run of the suites; each file accepted or rejected whole.

    A file that makes validation or the safety net fail is rejected alone
    (``processing_error``); the rest of the batch goes on.
    """
    catalog = refresh.catalog
    agencies = {p.agency_code for p in parsed_submissions if p.agency_code}
    with refresh.connect() as con:
        history, tasks = values_in_force(con, agencies), tasks_in_force(con, agencies)
    arrivals = [arrival.received_at for arrival in inbox_files.new]
    problems, failures = _validate(
        parsed_submissions, catalog, arrivals, history, refresh.paths.data_docs, tasks
    )
    _log_refused(context, "validation", [(parsed_submissions[i], e) for i, e in failures])
    submissions = inbox_files.submissions(parsed_submissions, problems)
    accepted = [s for s in submissions if s.status == ACCEPTED]
    suite_ok, suite_failures, refused = _verify([s.parsed for s in accepted], catalog)
    ahead.done()  # its Data Docs are written while the run goes on
    for index, error in refused:
        accepted[index].problems.append(processing_problem("kiểm tra", error))
    _log_refused(context, "the safety-net check", [(accepted[i].parsed, e) for i, e in refused])
    accepted = [s for s in submissions if s.status == ACCEPTED]
    rejected = [s for s in submissions if s.status == REJECTED]
    warned = [s for s in submissions if s.warning_count]
    counts = {
        status: sum(s.status == status for s in submissions)
        for status in (ACCEPTED, REJECTED, DUPLICATE)
    }
    yield Output(submissions, metadata={**counts, "files": len(submissions)})
    yield AssetCheckResult(
        check_name=ACCEPTED_VALUES_PASS,
        passed=suite_ok,
        severity=AssetCheckSeverity.ERROR,
        metadata={"accepted_files": len(accepted), "failed_expectations": suite_failures},
    )
    yield _problem_check(NO_REJECTED_SUBMISSIONS, rejected, ERROR, "rejected_files", "errors")
    yield _problem_check(NO_WARNINGS, warned, WARNING, "files_with_warnings", "warnings")


READ_IN_PARALLEL_FROM = 100  # below this, forking a second reader costs more than it saves
READER_NICENESS = 5
_BATCH: tuple = ()  # (home, arrivals, catalog, today) of the batch the workers read


def _read_all(home, arrivals: list[Arrival], catalog, today):
    """Yield (workbook, repr of the error it raised or None) per arrival, in order.

    A large batch is read on every core: a forked worker inherits the batch, and only
    the index of a file and its parsed rows cross between processes. Meanwhile this
    process imports what validation needs next (seconds of Great Expectations), once
    the workers are forked, so that no fork copies a half-done import.
    """
    global _BATCH
    workers = min(os.cpu_count() or 1, 2)
    if len(arrivals) < READ_IN_PARALLEL_FROM or workers == 1:
        for arrival in arrivals:
            yield _read_or_problem(home, arrival, catalog, today)
        return
    _BATCH = (home, arrivals, catalog, today)
    try:
        context = get_context("fork")
        with ProcessPoolExecutor(workers, context, initializer=_yield_to_main) as pool:
            found = pool.map(_read_in_worker, range(len(arrivals)), chunksize=25)
            # what validation needs next, unless a worker imports it (expectations.ahead)
            with _importing_meanwhile(*([] if ahead.running() else ["expectations.validate"])):
                yield from _staged_ahead(found)
    finally:
        _BATCH = ()


STAGE_EVERY = 50  # workbooks handed to the validation worker at a time


def _staged_ahead(pickled_results: Iterable[bytes]) -> Iterator[tuple[ParsedWorkbook, str | None]]:
    """The readers' results, unpickled; the same bytes are staged in the validation
    worker as they come (``ahead.stage``), each group before it is yielded, so that what
    the worker holds is what this process had then."""
    group: list[bytes] = []
    for pickled in pickled_results:
        group.append(pickled)
        if len(group) == STAGE_EVERY:
            yield from _stage_group(group)
            group = []
    if group:
        yield from _stage_group(group)


def _stage_group(group: list[bytes]) -> list[tuple[ParsedWorkbook, str | None]]:
    results = [pickle.loads(pickled) for pickled in group]
    ahead.stage(group, [workbook for workbook, _ in results])
    return results


def _yield_to_main() -> None:
    """A reader runs at a lower priority: the import beside it is on the run's path."""
    os.nice(READER_NICENESS)


@contextlib.contextmanager
def _importing_meanwhile(*modules: str) -> Iterator[None]:
    """Import ``modules`` in a thread during the block, joined at its end (so before any
    later step forks). A failed import is left to the step that needs the module, which
    imports it again and says why."""
    if not modules:
        yield
        return
    thread = threading.Thread(target=_import_quietly, args=modules, name="import-meanwhile")
    thread.start()
    try:
        yield
    finally:
        thread.join()


def _import_quietly(*modules: str) -> None:
    for module in modules:
        with contextlib.suppress(Exception):
            importlib.import_module(module)


def _read_in_worker(index: int) -> bytes:
    """``_read_or_problem``, pickled here: the run's process unpickles it and passes the
    same bytes on to the validation worker."""
    home, arrivals, catalog, today = _BATCH
    found = _read_or_problem(home, arrivals[index], catalog, today)
    return pickle.dumps(found, pickle.HIGHEST_PROTOCOL)


def _read_or_problem(home, arrival: Arrival, catalog, today) -> tuple[ParsedWorkbook, str | None]:
    """``_read``; a file it raises on is a workbook refused with ``processing_error``."""
    try:
        return _read(home, arrival, catalog, today), None
    except Exception as error:  # noqa: BLE001 - one file never fails the run
        workbook = ParsedWorkbook(arrival.file_name)
        workbook.problems.append(processing_problem("đọc", error))
        return workbook, repr(error)


def _read(home, arrival: Arrival, catalog, today) -> ParsedWorkbook:
    """The archived copy read; a file the inbox could not open, refused as unreadable."""
    if arrival.unreadable:
        return ParsedWorkbook(arrival.file_name, problems=[unreadable_problem()])
    workbook = read_workbook(home.archive / arrival.archive_name, catalog, today)
    workbook.file_name = arrival.file_name
    return workbook


def _problem_check(
    name: str, submissions: list[Submission], severity: str, files_label: str, count_label: str
) -> AssetCheckResult:
    """A WARN check that fails when any submission has problems of ``severity``."""
    count = sum(p.severity == severity for s in submissions for p in s.problems)
    return AssetCheckResult(
        check_name=name,
        passed=not submissions,
        severity=AssetCheckSeverity.WARN,
        metadata={
            files_label: len(submissions),
            count_label: count,
            "first_problems": MetadataValue.md(problems_markdown(submissions, severity)),
        },
    )


# What the steps after validation import (openpyxl among them: 0.4 s; pandas, for the
# load: 0.2 s); see _validate.
LATER_STEPS_IMPORT = ("workbooks.writing.feedback", "alerts", "pandas")


def _validate(parsed: list, *args) -> tuple[list, list]:
    """Validate the batch; Great Expectations is imported only when there is a batch.

    While a worker validates, this process would wait idle: once the batch is sent (an
    import beside the sending would slow it, holding the GIL), it imports what the next
    steps need.
    """
    if not parsed:
        return [], []
    return ahead.call(
        "validate_isolated", parsed, *args, meanwhile=lambda: _import_quietly(*LATER_STEPS_IMPORT)
    )


def _verify(parsed: list, catalog) -> tuple[bool, list[str], list]:
    if not parsed:
        return True, [], []
    return ahead.call_on_values("verify_isolated", parsed, catalog)


def _log_refused(context: AssetExecutionContext, stage: str, refused: list) -> None:
    for parsed, error in refused:
        context.log.error(f"{parsed.file_name}: rejected, {stage} failed on it: {error!r}")
