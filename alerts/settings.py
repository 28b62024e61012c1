"""Alert settings: the ``[alerts]`` table of ``CHITIEU_HOME/settings.toml``.

A missing file (or table) means defaults: only the JSON-lines log is on. Each other
channel turns itself on once it is configured, so a fresh install sends nothing.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit

SETTINGS_FILE = "settings.toml"
PASSWORD_ENV = "CHITIEU_SMTP_PASSWORD"

EXAMPLE_SETTINGS = """\
# CHITIEU_HOME/settings.toml
[alerts]
# E-mail (on when smtp_host and from_address are set)
smtp_host = "smtp.example.gov.vn"
smtp_port = 587
smtp_starttls = true               # STARTTLS on a plain connection (port 587)
# smtp_ssl = true                  # or implicit TLS (port 465)
smtp_user = "chitieu@example.gov.vn"
# smtp_password = "..."            # better: the CHITIEU_SMTP_PASSWORD environment variable
from_address = "chitieu@example.gov.vn"
analysts = ["phantich1@example.gov.vn", "phantich2@example.gov.vn"]
send_to_agency = true              # also to the workbook's Email, with the feedback attached
smtp_timeout_seconds = 10

# HTTP webhook for chat tools (on when webhook_url is set): POST of the alert as JSON
webhook_url = "https://chat.example.gov.vn/hooks/chitieu"
webhook_timeout_seconds = 10

# Retries of undelivered alerts, at each refresh: 60 s, 120 s, 240 s ... at most 6 h apart
max_attempts = 10
backoff_seconds = 60
backoff_max_seconds = 21600
"""

_EMAIL = re.compile(r"^[^@\s<>,;\"']+@[^@\s<>,;\"']+\.[^@\s<>,;\"']+$")


class SettingsError(ValueError):
    """The settings file exists but cannot be used; the message names the file and key."""


def is_email(text: str) -> bool:
    """A plausible single address (no display name, no header-injection characters)."""
    return bool(_EMAIL.match(text))


@dataclass(frozen=True)
class AlertSettings:
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout_seconds: float = 10.0
    from_address: str | None = None
    analysts: tuple[str, ...] = ()
    send_to_agency: bool = True
    webhook_url: str | None = None
    webhook_timeout_seconds: float = 10.0
    max_attempts: int = 10
    backoff_seconds: float = 60.0
    backoff_max_seconds: float = 6 * 3600.0

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host and self.from_address)

    @property
    def webhook_enabled(self) -> bool:
        return bool(self.webhook_url)

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failure: doubling, capped."""
        exponent = min(max(attempts - 1, 0), 30)
        return min(self.backoff_seconds * 2**exponent, self.backoff_max_seconds)

    def __repr__(self) -> str:  # never show the password in logs
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        if shown["smtp_password"]:
            shown["smtp_password"] = "***"
        return "AlertSettings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


_DEFAULTS = AlertSettings()  # the documented defaults (README, "Alerts")

_TYPES: dict[str, tuple[type, ...]] = {
    "smtp_host": (str,),
    "smtp_port": (int,),
    "smtp_user": (str,),
    "smtp_password": (str,),
    "smtp_starttls": (bool,),
    "smtp_ssl": (bool,),
    "smtp_timeout_seconds": (int, float),
    "from_address": (str,),
    "analysts": (list,),
    "send_to_agency": (bool,),
    "webhook_url": (str,),
    "webhook_timeout_seconds": (int, float),
    "max_attempts": (int,),
    "backoff_seconds": (int, float),
    "backoff_max_seconds": (int, float),
}


def settings_path(home: Path) -> Path:
    return Path(home) / SETTINGS_FILE


def load_settings(home: Path) -> AlertSettings:
    """Read ``[alerts]`` from ``home/settings.toml``; raise SettingsError on a bad file."""
    path = settings_path(home)
    if not path.is_file():
        return _with_env_password(AlertSettings())
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc})") from exc
    table = document.get("alerts", {})
    if not isinstance(table, dict):
        raise SettingsError(f"{path}: [alerts] must be a table")
    return _with_env_password(parse_settings(table, source=str(path)))


def parse_settings(table: dict, source: str = "settings") -> AlertSettings:
    """Validate an ``[alerts]`` table; unknown keys are refused so typos do not go unnoticed."""
    unknown = sorted(set(table) - set(_TYPES))
    if unknown:
        raise SettingsError(f"{source}: unknown key(s) in [alerts]: {', '.join(unknown)}")
    for key, value in table.items():
        _check_type(source, key, value)
    values = dict(table)
    if "analysts" in values:
        values["analysts"] = _addresses(source, values["analysts"])
    for key in ("smtp_host", "smtp_user", "smtp_password", "from_address", "webhook_url"):
        if key in values and not str(values[key]).strip():
            values[key] = None
    _check_values(source, values)
    return AlertSettings(**values)


def _check_type(source: str, key: str, value: object) -> None:
    expected = _TYPES[key]
    if isinstance(value, bool) and bool not in expected:
        raise SettingsError(f"{source}: [alerts] {key} must be a number, not {value!r}")
    if not isinstance(value, expected):
        names = " or ".join(t.__name__ for t in expected)
        raise SettingsError(f"{source}: [alerts] {key} must be {names}, not {value!r}")


def _addresses(source: str, value: list) -> tuple[str, ...]:
    bad = [a for a in value if not isinstance(a, str) or not is_email(a.strip())]
    if bad:
        raise SettingsError(f"{source}: [alerts] analysts has invalid address(es): {bad!r}")
    return tuple(dict.fromkeys(a.strip() for a in value))


def _check_values(source: str, given: dict) -> None:
    """Check the settings as they will be used: the given keys over the defaults."""
    values = {f.name: getattr(_DEFAULTS, f.name) for f in fields(AlertSettings)} | given
    sender = values["from_address"]
    if sender is not None and not is_email(sender.strip()):
        raise SettingsError(f"{source}: [alerts] from_address is not an address: {sender!r}")
    url = values["webhook_url"]
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SettingsError(
                f"{source}: [alerts] webhook_url must be http(s)://..., not {url!r}"
            )
    if values["smtp_starttls"] and values["smtp_ssl"]:
        raise SettingsError(f"{source}: [alerts] choose smtp_starttls or smtp_ssl, not both")
    if not 0 < values["smtp_port"] < 65536:
        raise SettingsError(f"{source}: [alerts] smtp_port out of range: {values['smtp_port']}")
    for key in ("smtp_timeout_seconds", "webhook_timeout_seconds", "backoff_seconds"):
        if values[key] <= 0:
            raise SettingsError(f"{source}: [alerts] {key} must be positive")
    if values["max_attempts"] < 1:
        raise SettingsError(f"{source}: [alerts] max_attempts must be at least 1")
    if values["backoff_max_seconds"] < values["backoff_seconds"]:
        raise SettingsError(
            f"{source}: [alerts] backoff_max_seconds ({values['backoff_max_seconds']}) is below "
            f"backoff_seconds ({values['backoff_seconds']})"
        )
    if values["smtp_host"] and not values["from_address"]:
        raise SettingsError(f"{source}: [alerts] smtp_host is set but from_address is not")
    if values["from_address"] and not values["smtp_host"]:
        raise SettingsError(f"{source}: [alerts] from_address is set but smtp_host is not")


def _with_env_password(settings: AlertSettings) -> AlertSettings:
    """The environment may hold the SMTP password so that the file need not."""
    password = os.environ.get(PASSWORD_ENV)
    if password and not settings.smtp_password:
        values = {f.name: getattr(settings, f.name) for f in fields(settings)}
        values["smtp_password"] = password
        return AlertSettings(**values)
    return settings
