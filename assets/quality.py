"""What agencies and analysts get back: feedback workbooks and data-quality alerts.

Feedback is written and alerts are queued *before* the warehouse is published, so a
crash right after publishing loses neither; both are keyed by the file's bytes, so a
rerun only rewrites the same. Alerts are sent after publishing, and retried by every
later refresh until delivered.
"""

from dataclasses import asdict
from typing import TYPE_CHECKING

from dagster import (
    AssetExecutionContext,
    Failure,
    MaterializeResult,
    MetadataValue,
    Output,
    asset,
)

from assets.periods import PUBLISH_GROUP
from assets.resources import RefreshResource
from reference.model import DUPLICATE, Submission, processing_problem, safe_name
from reference.periods import parse_period
from warehouse.home import Home

if TYPE_CHECKING:
    from workbooks.writing.feedback import FeedbackJob


def feedback_path(home: Home, submission: Submission):
    arrival = submission.arrival
    name = arrival.archive_name or f"unreadable_{arrival.mtime_ns}_{safe_name(arrival.file_name)}"
    return home.feedback / f"{name.rsplit('.', 1)[0]}.xlsx"


class Feedback:
    """The feedback workbooks of a refresh's submissions, written in the background from
    the feedback_workbooks step on: by file key, the path written or why it failed."""

    def __init__(self, jobs: "dict[str, FeedbackJob]") -> None:
        from workbooks.writing.feedback import FeedbackBatch  # openpyxl: only when needed

        self.file_names = {key: job.file_name for key, job in jobs.items()}
        self._batch = FeedbackBatch(list(jobs.values()))
        self._settled: tuple[dict[str, str], dict[str, str]] | None = None

    def _settle(self) -> tuple[dict[str, str], dict[str, str]]:
        if self._settled is None:
            written, failed = {}, {}
            for key, (path, error) in zip(self.file_names, self._batch.outcomes(), strict=True):
                if path is None:
                    failed[key] = str(error)
                else:
                    written[key] = str(path)
            self._settled = written, failed
        return self._settled

    @property
    def written(self) -> dict[str, str]:
        """File key -> the feedback workbook written (waits until all are written)."""
        return self._settle()[0]

    @property
    def failed(self) -> dict[str, str]:
        """File key -> why its feedback workbook could not be written (waits, too)."""
        return self._settle()[1]

    def reject_unwritten(self, submissions: list[Submission]) -> bool:
        """Reject (``processing_error``) the submissions whose feedback could not be
        written, so that none is loaded without its agency being told; whether any was."""
        rejected = False
        for submission in submissions:
            error = self.failed.get(submission.arrival.key)
            if error is not None:
                problem = processing_problem("ghi phiếu phản hồi cho", error)
                submission.problems.append(problem)
                rejected = True
        return rejected


@asset(group_name="quality")
def feedback_workbooks(
    refresh: RefreshResource, validated_submissions: list[Submission]
) -> Output[Feedback]:
    """For every submission with problems, its workbook with the bad cells marked.

    Written in the background while the warehouse is loaded; the load waits for them
    before it commits, and rejects a file whose feedback could not be written rather
    than load it without the agency being told (``warehouse_facts``).
    """
    from workbooks.writing.feedback import FeedbackJob  # openpyxl: only when feedback is written

    home, catalog = refresh.paths, refresh.catalog
    jobs = {}
    for submission in validated_submissions:
        if submission.status == DUPLICATE or not submission.problems:
            continue
        parsed = submission.parsed
        assert parsed is not None  # only a duplicate is never read
        agency = catalog.agencies.get(parsed.agency_code or "")
        jobs[submission.arrival.key] = FeedbackJob(
            home.archive / submission.arrival.archive_name
            if submission.arrival.archive_name
            else None,
            feedback_path(home, submission),
            submission.arrival.file_name,
            submission.status,
            submission.problems,
            agency.name if agency else None,
            parse_period(parsed.period_code).label_vi if parsed.period_code else None,
        )
    return Output(Feedback(jobs), metadata={"feedback_workbooks": len(jobs)})


# In the publish group: it follows the load (warehouse), so in "quality" beside the
# feedback that precedes the load the collapsed group view would draw an arrow back.
@asset(group_name=PUBLISH_GROUP)
def queued_alerts(
    context: AssetExecutionContext,
    refresh: RefreshResource,
    warehouse_facts: list[Submission],
    feedback_workbooks: Feedback,
) -> MaterializeResult:
    """One alert per rejected submission and per accepted one with warnings, queued.

    The submissions are those recorded, with the files refused while loading.
    """
    from alerts import build_alert, enqueue

    home, catalog = refresh.paths, refresh.catalog
    report_path = home.data_docs / "index.html"
    alerts, failed = [], 0
    for submission in warehouse_facts:
        if submission.status == DUPLICATE:
            continue
        try:
            alert = _alert(build_alert, submission, catalog, feedback_workbooks, report_path)
        except Exception as error:  # noqa: BLE001 - the others are still queued
            failed += 1
            context.log.error(f"{submission.arrival.file_name}: alert failed: {error!r}")
            continue
        if alert is not None:
            alerts.append(alert)
    new = enqueue(alerts, home.root)
    return MaterializeResult(
        metadata={"alerts_raised": len(alerts), "newly_queued": new, "failed": failed}
    )


def _alert(build_alert, submission: Submission, catalog, feedback: Feedback, report_path):
    parsed = submission.parsed
    assert parsed is not None  # duplicates raise no alert
    agency = catalog.agencies.get(parsed.agency_code or "")
    return build_alert(
        file_sha256=submission.arrival.key,
        file_name=submission.arrival.file_name,
        status=submission.status,
        problems=[asdict(problem) for problem in submission.problems],
        agency_code=parsed.agency_code,
        agency_name=agency.name if agency else None,
        period_code=parsed.period_code,
        feedback_path=feedback.written.get(submission.arrival.key),
        report_path=str(report_path) if report_path.exists() else None,
        agency_email=parsed.email,
    )


@asset(group_name=PUBLISH_GROUP, deps=["published_warehouse", "queued_alerts"])
def delivered_alerts(context: AssetExecutionContext, refresh: RefreshResource) -> MaterializeResult:
    """Send every due queued alert. A server that is down never fails the refresh;
    unusable settings do (after publishing), so that no channel is dropped unnoticed."""
    from alerts import deliver
    from expectations import ahead

    ahead.wait()  # the validation report the alerts link to is written first
    home = refresh.paths
    report = deliver(home.root)
    context.log.info(f"alerts: {report.summary()}")
    if report.settings_error:
        raise Failure(
            description=f"alert settings unusable: {report.settings_error}",
            metadata={"delivery": MetadataValue.json(report.to_dict())},
        )
    return MaterializeResult(
        metadata={
            "delivery": MetadataValue.json(report.to_dict()),
            "validation_report": MetadataValue.path(str(home.data_docs / "index.html")),
        }
    )
