"""Start a refresh when the inbox changes."""

import hashlib
import os

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from orchestration.jobs import refresh_job
from warehouse.home import Home
from warehouse.inbox import entry_signature, inbox_paths

# `chitieu ui` sets this to "on" (its --no-sensor: "off"): under the UI the sensor runs
# from the start. Elsewhere (tests, `dagster dev` run by hand) it starts stopped.
SENSOR_ENV = "CHITIEU_INBOX_SENSOR"


def inbox_fingerprint(home: Home) -> str | None:
    """A digest of the inbox's names, sizes and times; None when the inbox is empty."""
    entries = sorted(entry_signature(p) for p in inbox_paths(home))
    return hashlib.sha256("\n".join(entries).encode()).hexdigest() if entries else None


def default_sensor_status() -> DefaultSensorStatus:
    on = os.environ.get(SENSOR_ENV, "").strip().lower() == "on"
    return DefaultSensorStatus.RUNNING if on else DefaultSensorStatus.STOPPED


@sensor(
    job=refresh_job,
    minimum_interval_seconds=60,
    default_status=default_sensor_status(),
    description=(
        "Every minute: start one `refresh` run when the files in the inbox (names, sizes, "
        "times) differ from the last state seen; skip otherwise. The refresh itself adds "
        "the `period` partitions of what it loaded."
    ),
)
def inbox_sensor(context: SensorEvaluationContext) -> SensorResult | SkipReason:
    """One run per new state of the inbox.

    The cursor remembers the last inbox state seen; the run key is that state, so one
    state never starts two runs. Partitions are the refresh's business, so a tick either
    starts a run or is truly skipped (it never reports "skipped" for work it did).
    """
    fingerprint = inbox_fingerprint(Home.from_env())
    if fingerprint is None:
        return SkipReason("the inbox is empty")
    if fingerprint == context.cursor:
        return SkipReason("nothing new in the inbox")
    return SensorResult(run_requests=[RunRequest(run_key=fingerprint)], cursor=fingerprint)
