"""Start a refresh when the inbox changes."""

import hashlib

from dagster import RunRequest, SensorEvaluationContext, SkipReason, sensor

from orchestration.jobs import refresh_job
from warehouse.home import Home


def inbox_fingerprint(home: Home) -> str | None:
    """A digest of the inbox's names, sizes and times; None when the inbox is empty."""
    if not home.inbox.exists():
        return None
    entries = sorted(
        f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
        for p in home.inbox.iterdir()
        if p.is_file() and not p.name.startswith(".")
    )
    return hashlib.sha256("\n".join(entries).encode()).hexdigest() if entries else None


@sensor(job=refresh_job, minimum_interval_seconds=60)
def inbox_sensor(context: SensorEvaluationContext):
    """One run per new state of the inbox; the cursor remembers the last state seen."""
    fingerprint = inbox_fingerprint(Home.from_env())
    if fingerprint is None:
        return SkipReason("the inbox is empty")
    if fingerprint == context.cursor:
        return SkipReason("nothing new in the inbox")
    context.update_cursor(fingerprint)
    return RunRequest(run_key=fingerprint)
