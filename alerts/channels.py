"""Delivery channels: the JSON-lines log, e-mail over SMTP, an HTTP webhook.

Every ``send`` either returns (delivered) or raises (the outbox records the error and
retries later). Each network call has a short timeout so a dead server cannot hang a
refresh.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from alerts.model import Alert
from alerts.settings import AlertSettings

if TYPE_CHECKING:  # smtplib, ssl, email and urllib load when a message is sent, not before
    import smtplib
    from email.message import EmailMessage

LOG_FILE = "alerts.jsonl"
XLSX_MAINTYPE = "application"
XLSX_SUBTYPE = "vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ATTACHMENT_BYTES = 15 * 1024 * 1024


class DeliveryError(RuntimeError):
    """A channel could not deliver; the message is stored as ``last_error``."""


class Channel(Protocol):
    name: str

    def applies(self, alert: Alert) -> bool:
        """Whether this alert has anyone to go to on this channel."""
        ...

    def send(self, alert: Alert) -> str | None:
        """Deliver, or raise. May return a note (e.g. refused recipients)."""
        ...


@runtime_checkable
class BatchChannel(Channel, Protocol):
    """A channel that delivers many alerts at once, all or none (a file: one write)."""

    def send_many(self, alerts: list[Alert]) -> list[str | None]:
        """Deliver them all, or raise for them all; a note per alert, in order."""
        ...


@dataclass
class LogChannel:
    """``alerts/alerts.jsonl``: one line per alert id, never rewritten."""

    path: Path
    name: str = "log"
    _logged: set[str] | None = field(default=None, repr=False)

    def applies(self, alert: Alert) -> bool:
        return True

    def send(self, alert: Alert) -> str | None:
        return self.send_many([alert])[0]

    def send_many(self, alerts: list[Alert]) -> list[str | None]:
        """``send`` for each alert, with one write and one fsync for them all (an fsync per
        alert cost most of delivering a large batch); a note per alert, in order."""
        if self._logged is None:  # read the log once per delivery round, not once per alert
            self._logged = logged_ids(self.path)
        notes: list[str | None] = []
        lines, new_ids = [], set()
        for alert in alerts:
            if alert.alert_id in self._logged or alert.alert_id in new_ids:
                notes.append("already in the log")
                continue
            record = {**alert.to_dict(), "subject": alert.subject}
            lines.append(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            new_ids.add(alert.alert_id)
            notes.append(None)
        if lines:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write("".join(lines))
                handle.flush()
                os.fsync(handle.fileno())
            self._logged.update(new_ids)
        return notes


def logged_ids(path: Path) -> set[str]:
    """Alert ids already in the log (so a crash between write and record never doubles)."""
    if not path.is_file():
        return set()
    ids = set()
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                ids.add(json.loads(line)["alert_id"])
            except (ValueError, KeyError, TypeError):
                continue  # a torn last line from a crash: ignore it
    return ids


@dataclass
class EmailChannel:
    """One message per alert: to the agency (if allowed and known), analysts in Cc."""

    settings: AlertSettings
    name: str = "email"

    def recipients(self, alert: Alert) -> tuple[list[str], list[str]]:
        """(To, Cc). Without an agency address the analysts are the To."""
        analysts = list(self.settings.analysts)
        agency = alert.agency_email if self.settings.send_to_agency else None
        if agency:
            return [agency], [a for a in analysts if a.lower() != agency.lower()]
        return analysts, []

    def applies(self, alert: Alert) -> bool:
        to, cc = self.recipients(alert)
        return bool(to or cc)

    def send(self, alert: Alert) -> str | None:
        to, cc = self.recipients(alert)
        message = build_email(alert, self.settings, to, cc)
        with _smtp_connect(self.settings) as smtp:
            refused = smtp.send_message(message, self.settings.from_address, to + cc)
        if refused:
            return f"refused recipients: {', '.join(sorted(refused))}"
        return None


def build_email(
    alert: Alert, settings: AlertSettings, to: list[str], cc: list[str]
) -> EmailMessage:
    """Plain-text Vietnamese message, the feedback workbook attached when it exists."""
    from email.message import EmailMessage
    from email.utils import formatdate

    message = EmailMessage()
    message["Subject"] = alert.subject
    message["From"] = settings.from_address
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Date"] = formatdate(localtime=True)
    # Stable Message-ID: if a crash makes us send twice, mail clients can tell.
    digest = hashlib.sha256(alert.alert_id.encode()).hexdigest()[:32]
    message["Message-ID"] = f"<{digest}@chitieu.alerts>"
    body = alert.body
    attachment = _feedback_file(alert)
    if alert.feedback_path and attachment is None:
        body += "\n(Không đính kèm được tệp phản hồi: tệp không tồn tại hoặc quá lớn.)\n"
    message.set_content(body, charset="utf-8")
    if attachment is not None:
        message.add_attachment(
            attachment.read_bytes(),
            maintype=XLSX_MAINTYPE,
            subtype=XLSX_SUBTYPE,
            filename=attachment.name,
        )
    return message


def _feedback_file(alert: Alert) -> Path | None:
    if not alert.feedback_path:
        return None
    path = Path(alert.feedback_path)
    if not path.is_file() or path.stat().st_size > MAX_ATTACHMENT_BYTES:
        return None
    return path


def _smtp_connect(settings: AlertSettings) -> smtplib.SMTP:
    import smtplib
    import ssl

    if settings.smtp_host is None:
        raise ValueError("e-mail is off: no smtp_host in the alert settings")
    timeout = settings.smtp_timeout_seconds
    if settings.smtp_ssl:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    try:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _opener_without_redirects():
    """A redirected POST would become a GET without the body: treat 3xx as a failure."""
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
            return None

    return urllib.request.build_opener(NoRedirect())


@dataclass
class WebhookChannel:
    """POST of the alert as JSON (plus ``subject`` and ``text`` for chat tools)."""

    settings: AlertSettings
    name: str = "webhook"

    def applies(self, alert: Alert) -> bool:
        return True

    def send(self, alert: Alert) -> str | None:
        import urllib.request

        payload = {**alert.to_dict(), "subject": alert.subject, "text": alert.body}
        request = urllib.request.Request(
            str(self.settings.webhook_url),
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "chitieu-alerts",
            },
            method="POST",
        )
        opener = _opener_without_redirects()
        with opener.open(request, timeout=self.settings.webhook_timeout_seconds) as response:
            status = response.status
            response.read(65536)
        if not 200 <= status < 300:
            raise DeliveryError(f"webhook answered HTTP {status}")
        return None


def active_channels(settings: AlertSettings | None, alerts_dir: Path) -> dict[str, Channel]:
    """The channels usable now; the log is always on, even when settings are broken."""
    channels: dict[str, Channel] = {"log": LogChannel(alerts_dir / LOG_FILE)}
    if settings is not None and settings.email_enabled:
        channels["email"] = EmailChannel(settings)
    if settings is not None and settings.webhook_enabled:
        channels["webhook"] = WebhookChannel(settings)
    return channels
