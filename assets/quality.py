"""What agencies and analysts get back: feedback workbooks and data-quality alerts.

Feedback is written and alerts are queued *before* the warehouse is published, so a
crash right after publishing loses neither; both are keyed by the file's bytes, so a
rerun only rewrites the same. Alerts are sent after publishing, and retried by every
later refresh until delivered.
"""

from dataclasses import asdict

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, Output, asset

from assets.resources import RefreshResource
from reference.periods import parse_period
from warehouse.home import Home
from warehouse.load import DUPLICATE, Submission


def feedback_path(home: Home, submission: Submission):
    return home.feedback / f"{submission.arrival.archive_name.rsplit('.', 1)[0]}.xlsx"


@asset(group_name="quality")
def feedback_workbooks(
    refresh: RefreshResource, validated_submissions: list[Submission]
) -> Output[dict[str, str]]:
    """For every submission with problems, its workbook with the bad cells marked."""
    from workbooks.feedback import FeedbackJob, write_feedback_batch  # openpyxl: only here

    home, catalog = refresh.paths, refresh.catalog
    jobs = {}
    for submission in validated_submissions:
        if submission.status == DUPLICATE or not submission.problems:
            continue
        parsed = submission.parsed
        agency = catalog.agencies.get(parsed.agency_code or "")
        jobs[submission.arrival.sha256] = FeedbackJob(
            home.archive / submission.arrival.archive_name,
            feedback_path(home, submission),
            submission.arrival.file_name,
            submission.status,
            submission.problems,
            agency.name if agency else None,
            parse_period(parsed.period_code).label_vi if parsed.period_code else None,
        )
    paths = write_feedback_batch(list(jobs.values()))
    written = {sha: str(path) for sha, path in zip(jobs, paths, strict=True)}
    return Output(written, metadata={"feedback_workbooks": len(written)})


@asset(group_name="quality")
def queued_alerts(
    refresh: RefreshResource,
    validated_submissions: list[Submission],
    feedback_workbooks: dict[str, str],
) -> MaterializeResult:
    """One alert per rejected submission and per accepted one with warnings, queued."""
    from alerts import build_alert, enqueue

    home, catalog = refresh.paths, refresh.catalog
    report_path = home.data_docs / "index.html"
    alerts = []
    for submission in validated_submissions:
        if submission.status == DUPLICATE:
            continue
        parsed = submission.parsed
        agency = catalog.agencies.get(parsed.agency_code or "")
        alert = build_alert(
            file_sha256=submission.arrival.sha256,
            file_name=submission.arrival.file_name,
            status=submission.status,
            problems=[asdict(problem) for problem in submission.problems],
            agency_code=parsed.agency_code,
            agency_name=agency.name if agency else None,
            period_code=parsed.period_code,
            feedback_path=feedback_workbooks.get(submission.arrival.sha256),
            report_path=str(report_path) if report_path.exists() else None,
            agency_email=parsed.email,
        )
        if alert is not None:
            alerts.append(alert)
    new = enqueue(alerts, home.root)
    return MaterializeResult(metadata={"alerts_raised": len(alerts), "newly_queued": new})


@asset(group_name="quality", deps=["published_warehouse", "queued_alerts"])
def delivered_alerts(context: AssetExecutionContext, refresh: RefreshResource) -> MaterializeResult:
    """Send every due queued alert. Delivery failures never fail the refresh."""
    from alerts import deliver

    home = refresh.paths
    report = deliver([], home.root)
    context.log.info(f"alerts: {report.summary()}")
    return MaterializeResult(
        metadata={
            "delivery": MetadataValue.json(report.to_dict()),
            "validation_report": MetadataValue.path(str(home.data_docs / "index.html")),
        }
    )
