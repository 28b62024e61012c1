"""The durable outbox: alerts are queued first, then delivered per channel with retries.

``alerts/outbox.sqlite`` holds one row per alert and one per (alert, channel) with
``attempts``, ``next_attempt_at``, ``delivered_at`` and ``last_error``. A pair once
delivered is never sent again, so reruns are idempotent; a pair that fails waits
``backoff_seconds * 2**(attempts-1)`` (capped) and is retried by the next ``deliver``
that finds it due, until ``max_attempts``. Nothing here raises on a delivery failure.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerts.channels import BatchChannel, Channel, active_channels
from alerts.model import Alert
from alerts.settings import AlertSettings, SettingsError, load_settings

log = logging.getLogger(__name__)

ALERTS_DIR = "alerts"
OUTBOX_FILE = "outbox.sqlite"
CLAIM_SECONDS = 600  # a pair being sent is hidden this long, in case the process dies
MAX_ERROR_CHARS = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alert (
    alert_id    TEXT PRIMARY KEY,
    payload     TEXT NOT NULL,
    enqueued_at TEXT NOT NULL,
    routed_at   TEXT
);
CREATE TABLE IF NOT EXISTS delivery (
    alert_id        TEXT NOT NULL REFERENCES alert (alert_id),
    channel         TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    delivered_at    TEXT,
    last_error      TEXT,
    note            TEXT,
    PRIMARY KEY (alert_id, channel)
);
CREATE TABLE IF NOT EXISTS outbox_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


@dataclass
class ChannelReport:
    """Per channel: ``delivered``/``failed`` happened in this call; the rest are totals."""

    delivered: int = 0
    failed: int = 0
    queued: int = 0
    abandoned: int = 0


@dataclass
class DeliveryReport:
    channels: dict[str, ChannelReport] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    settings_error: str | None = None
    outbox_error: str | None = None

    @property
    def ok(self) -> bool:
        """True when nothing is left undelivered and nothing went wrong."""
        clean = not (self.errors or self.settings_error or self.outbox_error)
        return clean and all(c.queued == 0 and c.abandoned == 0 for c in self.channels.values())

    def channel(self, name: str) -> ChannelReport:
        return self.channels.setdefault(name, ChannelReport())

    def to_dict(self) -> dict:
        """Plain Python types, fit for Dagster metadata."""
        return asdict(self)

    def summary(self, settings_error: bool = True) -> str:
        """One line: each channel's counts, then the settings (unless ``settings_error``
        is False: said elsewhere) and outbox errors."""
        parts = [
            f"{name}: {c.delivered} delivered, {c.failed} failed, "
            f"{c.queued} queued, {c.abandoned} abandoned"
            for name, c in sorted(self.channels.items())
        ]
        if self.settings_error and settings_error:
            parts.append(f"settings error: {self.settings_error}")
        if self.outbox_error:
            parts.append(f"outbox error: {self.outbox_error}")
        return "; ".join(parts)


@dataclass(frozen=True)
class PendingDelivery:
    """An (alert, channel) not yet delivered; ``next_attempt_at`` None means given up."""

    alert_id: str
    channel: str
    kind: str
    file_name: str
    agency_code: str | None
    period_code: str | None
    attempts: int
    next_attempt_at: str | None
    last_error: str | None

    @property
    def abandoned(self) -> bool:
        return self.next_attempt_at is None


def outbox_path(home: Path) -> Path:
    return Path(home) / ALERTS_DIR / OUTBOX_FILE


def stamp(moment: datetime) -> str:
    """Fixed-width UTC text, so SQL string comparison is time comparison."""
    if moment.tzinfo is None:
        moment = moment.astimezone()  # naive = local time
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@contextmanager
def _open(path: Path, synchronous: str = "FULL") -> Iterator[sqlite3.Connection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as con:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute(f"PRAGMA synchronous={synchronous}")
        con.executescript(_SCHEMA)
        yield con


def deliver(
    home: Path, settings: AlertSettings | None = None, now: datetime | None = None
) -> DeliveryReport:
    """Try every due undelivered pair of the outbox (``enqueue`` fills it). Never raises."""
    report = DeliveryReport()
    moment = now or datetime.now(UTC)
    if settings is None:
        try:
            settings = load_settings(home)
        except SettingsError as exc:
            report.settings_error = str(exc)
            log.error("alert settings unusable, only the log channel runs: %s", exc)
    try:
        # Delivery commits twice per alert (claim, result). Without an fsync each, a power
        # cut can only undo a claim or a "delivered" mark, so an alert is at worst sent
        # again, never lost (a process killed loses nothing either way); queuing keeps FULL.
        with _open(outbox_path(home), synchronous="NORMAL") as con:
            channels = active_channels(settings, Path(home) / ALERTS_DIR)
            _route(con, channels, moment, routed=settings is not None)
            if settings is not None:
                _revive_when_settings_change(con, settings, moment)
            _attempt_due(con, channels, settings or AlertSettings(), moment, report)
            _count(con, report)
    except Exception as exc:  # noqa: BLE001 - an unusable outbox is reported, never raised
        report.outbox_error = f"{type(exc).__name__}: {exc}"
        log.exception("alert outbox unusable under %s", home)
    return report


def enqueue(alerts: list[Alert], home: Path, now: datetime | None = None) -> int:
    """Queue ``alerts`` durably (once per alert_id) without sending; returns how many are new.

    The refresh queues before it publishes, so a crash after publishing loses no alert;
    ``deliver`` sends them afterwards.
    """
    with _open(outbox_path(home)) as con:
        return _enqueue(con, alerts, now or datetime.now(UTC))


def _enqueue(con: sqlite3.Connection, alerts: list[Alert], moment: datetime) -> int:
    rows = [
        (a.alert_id, json.dumps(a.to_dict(), ensure_ascii=False), stamp(moment)) for a in alerts
    ]
    with _transaction(con):
        before = con.total_changes
        con.executemany(
            "INSERT OR IGNORE INTO alert (alert_id, payload, enqueued_at) VALUES (?, ?, ?)", rows
        )
        return con.total_changes - before


def _route(
    con: sqlite3.Connection, channels: dict[str, Channel], moment: datetime, routed: bool
) -> None:
    """Give each unrouted alert a row per channel that applies to it.

    With broken settings only the log is routed and the alert stays unrouted, so e-mail and
    webhook rows are added by the first run that can read the settings.
    """
    due = stamp(moment)
    unrouted = con.execute("SELECT alert_id, payload FROM alert WHERE routed_at IS NULL").fetchall()
    with _transaction(con):
        for alert_id, payload in unrouted:
            alert = Alert.from_dict(json.loads(payload))
            for name, channel in channels.items():
                if channel.applies(alert):
                    con.execute(
                        "INSERT OR IGNORE INTO delivery (alert_id, channel, next_attempt_at)"
                        " VALUES (?, ?, ?)",
                        (alert_id, name, due),
                    )
            if routed:
                con.execute("UPDATE alert SET routed_at = ? WHERE alert_id = ?", (due, alert_id))


def _attempt_due(
    con: sqlite3.Connection,
    channels: dict[str, Channel],
    settings: AlertSettings,
    moment: datetime,
    report: DeliveryReport,
) -> None:
    rows = con.execute(
        "SELECT d.alert_id, d.channel, d.attempts, d.next_attempt_at, a.payload"
        " FROM delivery d JOIN alert a USING (alert_id)"
        " WHERE d.delivered_at IS NULL AND d.next_attempt_at IS NOT NULL"
        " AND d.next_attempt_at <= ? ORDER BY a.enqueued_at, d.alert_id, d.channel",
        (stamp(moment),),
    ).fetchall()
    batches: dict[str, tuple[BatchChannel, list[tuple]]] = {
        name: (channel, [])
        for name, channel in channels.items()
        if isinstance(channel, BatchChannel)
    }
    for row in rows:
        alert_id, name, attempts, next_at, payload = row
        channel = channels.get(name)
        if channel is None:
            continue  # channel switched off since queuing: keep the row for when it returns
        if name in batches:
            batches[name][1].append(row)
            continue
        if not _claim(con, alert_id, name, next_at, moment):
            continue  # another process is sending it
        alert = Alert.from_dict(json.loads(payload))
        _attempt(con, channel, alert, attempts + 1, settings, moment, report)
    for batch_channel, batch in batches.values():
        if batch:
            _attempt_batch(con, batch_channel, batch, settings, moment, report)


def _attempt_batch(
    con: sqlite3.Connection,
    channel: BatchChannel,
    rows: list[tuple],
    settings: AlertSettings,
    moment: datetime,
    report: DeliveryReport,
) -> None:
    """A batch channel's due alerts claimed, sent and recorded together: for the log, one
    fsync and two transactions. A crash in between leaves them claimed until the lease
    ends; then they are sent again, and the log skips those it already holds."""
    alerts = []
    with _transaction(con):
        for alert_id, name, attempts, next_at, payload in rows:
            if _claim(con, alert_id, name, next_at, moment):
                alerts.append((Alert.from_dict(json.loads(payload)), attempts + 1))
    try:
        notes = channel.send_many([alert for alert, _ in alerts])
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, never raised
        with _transaction(con):
            for alert, attempt in alerts:
                _failed(con, channel, alert, attempt, exc, settings, moment, report)
        return
    with _transaction(con):
        for (alert, attempt), note in zip(alerts, notes, strict=True):
            _delivered(con, channel, alert, attempt, note, moment, report)


def _claim(
    con: sqlite3.Connection, alert_id: str, name: str, next_at: str, moment: datetime
) -> bool:
    lease = stamp(moment + timedelta(seconds=CLAIM_SECONDS))
    cursor = con.execute(
        "UPDATE delivery SET next_attempt_at = ? WHERE alert_id = ? AND channel = ?"
        " AND next_attempt_at = ? AND delivered_at IS NULL",
        (lease, alert_id, name, next_at),
    )
    return cursor.rowcount == 1


def _attempt(
    con: sqlite3.Connection,
    channel: Channel,
    alert: Alert,
    attempt: int,
    settings: AlertSettings,
    moment: datetime,
    report: DeliveryReport,
) -> None:
    try:
        note = channel.send(alert)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, never raised
        _failed(con, channel, alert, attempt, exc, settings, moment, report)
        return
    _delivered(con, channel, alert, attempt, note, moment, report)


def _failed(
    con: sqlite3.Connection,
    channel: Channel,
    alert: Alert,
    attempt: int,
    exc: Exception,
    settings: AlertSettings,
    moment: datetime,
    report: DeliveryReport,
) -> None:
    error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
    retry_at = None
    if attempt < settings.max_attempts:
        retry_at = stamp(moment + timedelta(seconds=settings.backoff(attempt)))
    con.execute(
        "UPDATE delivery SET attempts = ?, next_attempt_at = ?, last_error = ?"
        " WHERE alert_id = ? AND channel = ?",
        (attempt, retry_at, error, alert.alert_id, channel.name),
    )
    report.channel(channel.name).failed += 1
    report.errors.append(f"{channel.name} {alert.alert_id} (attempt {attempt}): {error}")
    log.warning(
        "alert %s via %s failed (attempt %d): %s", alert.alert_id, channel.name, attempt, error
    )


def _delivered(
    con: sqlite3.Connection,
    channel: Channel,
    alert: Alert,
    attempt: int,
    note: str | None,
    moment: datetime,
    report: DeliveryReport,
) -> None:
    con.execute(
        "UPDATE delivery SET attempts = ?, delivered_at = ?, next_attempt_at = NULL, note = ?"
        " WHERE alert_id = ? AND channel = ?",
        (attempt, stamp(moment), note, alert.alert_id, channel.name),
    )
    report.channel(channel.name).delivered += 1
    log.info("alert %s delivered via %s", alert.alert_id, channel.name)


def _count(con: sqlite3.Connection, report: DeliveryReport) -> None:
    rows = con.execute(
        "SELECT channel, count(*) FILTER (WHERE next_attempt_at IS NOT NULL),"
        " count(*) FILTER (WHERE next_attempt_at IS NULL)"
        " FROM delivery WHERE delivered_at IS NULL GROUP BY channel"
    ).fetchall()
    for name, queued, abandoned in rows:
        counts = report.channel(name)
        counts.queued, counts.abandoned = queued, abandoned


@contextmanager
def _transaction(con: sqlite3.Connection) -> Iterator[None]:
    con.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def pending(home: Path) -> list[PendingDelivery]:
    """Undelivered (alert, channel) pairs, oldest first; empty when there is no outbox."""
    path = outbox_path(home)
    if not path.is_file():
        return []
    uri = f"{path.resolve().as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=30)) as con:
        rows = con.execute(
            "SELECT d.alert_id, d.channel, a.payload, d.attempts, d.next_attempt_at, d.last_error"
            " FROM delivery d JOIN alert a USING (alert_id) WHERE d.delivered_at IS NULL"
            " ORDER BY a.enqueued_at, d.alert_id, d.channel"
        ).fetchall()
    return [_pending(*row) for row in rows]


def _pending(alert_id, channel, payload, attempts, next_at, last_error) -> PendingDelivery:
    data = json.loads(payload)
    return PendingDelivery(
        alert_id=alert_id,
        channel=channel,
        kind=data.get("kind", ""),
        file_name=data.get("file_name", ""),
        agency_code=data.get("agency_code"),
        period_code=data.get("period_code"),
        attempts=attempts,
        next_attempt_at=next_at,
        last_error=last_error,
    )


def _revive_when_settings_change(
    con: sqlite3.Connection, settings: AlertSettings, moment: datetime
) -> int:
    """Deliveries given up (max_attempts reached) become due again once the settings
    change: a fixed server name or password deserves another try. Returns how many."""
    fingerprint = hashlib.sha256(repr(settings).encode()).hexdigest()
    row = con.execute("SELECT value FROM outbox_meta WHERE key = 'settings'").fetchone()
    with _transaction(con):
        con.execute(
            "INSERT OR REPLACE INTO outbox_meta (key, value) VALUES ('settings', ?)",
            (fingerprint,),
        )
        if row is None or row[0] == fingerprint:
            return 0
        cursor = con.execute(
            "UPDATE delivery SET attempts = 0, next_attempt_at = ?"
            " WHERE delivered_at IS NULL AND next_attempt_at IS NULL",
            (stamp(moment),),
        )
    if cursor.rowcount:
        log.info("alert settings changed: %d abandoned deliveries due again", cursor.rowcount)
    return cursor.rowcount
