"""Data-quality alert delivery: JSON-lines log, e-mail, webhook, through a durable outbox.

Pure Python (no dagster, no duckdb): the refresh builds ``Alert`` records with
``build_alert`` and hands them to ``deliver``, which never raises.
"""

from alerts.model import Alert, alert_body, alert_subject, build_alert
from alerts.outbox import (
    ChannelReport,
    DeliveryReport,
    PendingDelivery,
    deliver,
    enqueue,
    pending,
)
from alerts.settings import EXAMPLE_SETTINGS, AlertSettings, SettingsError, load_settings

__all__ = [
    "EXAMPLE_SETTINGS",
    "Alert",
    "AlertSettings",
    "ChannelReport",
    "DeliveryReport",
    "PendingDelivery",
    "SettingsError",
    "alert_body",
    "alert_subject",
    "build_alert",
    "deliver",
    "enqueue",
    "load_settings",
    "pending",
]
