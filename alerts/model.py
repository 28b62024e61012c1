"""The alert record and the Vietnamese text people read (subject and body)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Literal

from alerts.settings import is_email
from reference.model import SEVERITY_VI

AlertKind = Literal["rejected", "warnings"]
KINDS: tuple[str, ...] = ("rejected", "warnings")
MAX_PROBLEMS = 10
VIETNAM = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")
PROBLEM_KEYS = ("severity", "rule", "sheet", "cell", "message")

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass
class Alert:
    """One alert per rejected submission or accepted submission with warnings.

    ``alert_id`` is derived from the file's bytes and the kind, so a rerun that sees the
    same submission again produces the same id and the outbox ignores it.
    """

    alert_id: str
    kind: AlertKind
    file_name: str
    agency_code: str | None
    agency_name: str | None
    period_code: str | None
    status: str
    error_count: int
    warning_count: int
    first_problems: list[dict] = field(default_factory=list)
    feedback_path: str | None = None
    report_path: str | None = None
    agency_email: str | None = None
    created_at: str = ""
    file_sha256: str | None = None

    def to_dict(self) -> dict:
        """Plain JSON-ready types (for the log, the webhook and Dagster metadata)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> Alert:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)

    @property
    def subject(self) -> str:
        return alert_subject(self)

    @property
    def body(self) -> str:
        return alert_body(self)


def alert_id_for(file_sha256: str, kind: str) -> str:
    return f"{file_sha256}:{kind}"


def alert_kind(status: str, error_count: int, warning_count: int) -> AlertKind | None:
    """Which alert a submission deserves: rejected, warnings, or none (clean, duplicate)."""
    if status == "rejected":
        return "rejected"
    if status in ("accepted", "superseded") and warning_count > 0:
        return "warnings"
    return None


def build_alert(
    *,
    file_sha256: str,
    file_name: str,
    status: str,
    problems: Iterable[Mapping],
    agency_code: str | None = None,
    agency_name: str | None = None,
    period_code: str | None = None,
    feedback_path: str | Path | None = None,
    report_path: str | Path | None = None,
    agency_email: str | None = None,
    created_at: datetime | None = None,
) -> Alert | None:
    """The alert for one submission, or None when it needs none.

    ``problems`` are all of the submission's issues (dicts with at least severity, rule,
    sheet, cell, message); counts come from them, the alert keeps the first ten, errors first.
    """
    issues = [_problem(p) for p in problems]
    errors = sum(1 for p in issues if p["severity"] == "error")
    warnings = sum(1 for p in issues if p["severity"] == "warning")
    kind = alert_kind(status, errors, warnings)
    if kind is None:
        return None
    issues.sort(key=lambda p: p["severity"] != "error")  # stable: errors first
    when = (created_at or datetime.now(VIETNAM)).astimezone(VIETNAM)
    return Alert(
        alert_id=alert_id_for(file_sha256, kind),
        kind=kind,
        file_name=file_name,
        agency_code=agency_code or None,
        agency_name=agency_name or None,
        period_code=period_code or None,
        status=status,
        error_count=errors,
        warning_count=warnings,
        first_problems=issues[:MAX_PROBLEMS],
        feedback_path=str(feedback_path) if feedback_path else None,
        report_path=str(report_path) if report_path else None,
        agency_email=clean_email(agency_email),
        created_at=when.isoformat(timespec="seconds"),
        file_sha256=file_sha256,
    )


def clean_email(text: str | None) -> str | None:
    """The workbook's Email cell if it is one plausible address, else None."""
    if not text:
        return None
    candidate = str(text).strip().removeprefix("mailto:")
    return candidate if is_email(candidate) else None


def _problem(raw: Mapping) -> dict:
    problem = {key: raw.get(key) for key in PROBLEM_KEYS}
    problem["severity"] = str(problem["severity"] or "error").lower()
    return {k: (None if v is None else str(v)) for k, v in problem.items()}


def one_line(text: object, limit: int = 200) -> str:
    """Header-safe text: control characters (newlines) become spaces, long text is cut."""
    flat = _CONTROL.sub(" ", str(text)).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _agency(alert: Alert) -> str:
    return alert.agency_name or alert.agency_code or "không rõ đơn vị"


def alert_subject(alert: Alert) -> str:
    what = "bị từ chối" if alert.kind == "rejected" else "có cảnh báo"
    period = alert.period_code or "không rõ kỳ"
    return one_line(
        f"[chitieu] Báo cáo {what}: {alert.file_name} ({_agency(alert)}, {period})", 250
    )


def cell_ref(sheet: str | None, cell: str | None) -> str:
    """Excel-style reference: 'Sheet name'!D12, or a phrase when the problem has no cell."""
    if not sheet and not cell:
        return "(toàn tệp)"
    if not sheet:
        return str(cell)
    quoted = f"'{sheet}'" if re.search(r"[^\w]", sheet) else sheet
    return f"{quoted}!{cell}" if cell else quoted


def alert_body(alert: Alert) -> str:
    lines = [*_header_lines(alert), "", *_problem_lines(alert), "", *_link_lines(alert)]
    lines += ["", "Thư này được gửi tự động bởi hệ thống chitieu; xin đừng trả lời thư."]
    return "\n".join(lines) + "\n"


def _header_lines(alert: Alert) -> list[str]:
    if alert.kind == "rejected":
        verdict = "BỊ TỪ CHỐI: số liệu của báo cáo này chưa được đưa vào kho dữ liệu."
        action = "Đề nghị đơn vị sửa các ô được đánh dấu trong tệp phản hồi rồi gửi lại báo cáo."
    else:
        verdict = "ĐƯỢC CHẤP NHẬN, nhưng có cảnh báo cần kiểm tra lại."
        action = "Đề nghị đơn vị kiểm tra các ô được đánh dấu; nếu số liệu sai, gửi lại báo cáo."
    agency = _agency(alert)
    if alert.agency_name and alert.agency_code:
        agency = f"{alert.agency_name} ({alert.agency_code})"
    return [
        f"Tệp báo cáo: {alert.file_name}",
        f"Đơn vị: {agency}",
        f"Kỳ báo cáo: {alert.period_code or 'không rõ'}",
        f"Kết quả: {verdict}",
        f"Số lỗi: {alert.error_count}; số cảnh báo: {alert.warning_count}",
        "",
        action,
    ]


def _problem_lines(alert: Alert) -> list[str]:
    total = alert.error_count + alert.warning_count
    shown = alert.first_problems
    lines = [f"Các vấn đề đầu tiên ({len(shown)}/{total}):"]
    for number, p in enumerate(shown, start=1):
        severity = SEVERITY_VI.get(p.get("severity") or "", p.get("severity") or "")
        rule = f" [{p['rule']}]" if p.get("rule") else ""
        where = cell_ref(p.get("sheet"), p.get("cell"))
        lines.append(f"{number}. {severity}{rule} {where}: {one_line(p.get('message') or '', 500)}")
    if total > len(shown):
        lines.append(f"... và {total - len(shown)} vấn đề khác (xem tệp phản hồi).")
    return lines


def _link_lines(alert: Alert) -> list[str]:
    lines = []
    if alert.feedback_path:
        lines.append(
            "Tệp phản hồi (ô lỗi tô đỏ, ô cảnh báo tô vàng, có ghi chú cách sửa): "
            f"{alert.feedback_path}"
        )
    if alert.report_path:
        lines.append(f"Báo cáo kiểm tra chi tiết: {_link(alert.report_path)}")
    return lines or ["(Không có tệp phản hồi.)"]


def _link(path: str) -> str:
    if "://" in path:
        return path
    candidate = Path(path)
    return candidate.as_uri() if candidate.is_absolute() else path
