"""Alert delivery against real servers on 127.0.0.1: aiosmtpd for e-mail, http.server for
the webhook. Time is passed in (``now``) so retries are tested without sleeping."""

from __future__ import annotations

import io
import json
import re
import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from alerts import (
    EXAMPLE_SETTINGS,
    AlertSettings,
    SettingsError,
    build_alert,
    deliver,
    enqueue,
    load_settings,
    pending,
)
from alerts.channels import XLSX_SUBTYPE
from alerts.settings import parse_settings
from tests.helpers import queue_and_deliver
from tests.servers import SmtpServer, WebServer

T0 = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
ANALYSTS = ("phantich1@tinh.gov.vn", "phantich2@tinh.gov.vn")
AGENCY_EMAIL = "vanthu@tinhdoan.gov.vn"


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def web():
    server = WebServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(smtp: SmtpServer, web: WebServer) -> AlertSettings:
    return AlertSettings(
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_timeout_seconds=3,
        from_address="chitieu@tinh.gov.vn",
        analysts=ANALYSTS,
        webhook_url=web.url,
        webhook_timeout_seconds=3,
    )


@pytest.fixture
def feedback_file(tmp_path: Path) -> Path:
    path = tmp_path / "home" / "feedback" / "phan_hoi_tinh_doan_2019S1.xlsx"
    path.parent.mkdir(parents=True)
    workbook = openpyxl.Workbook()
    workbook.active.title = "Kết quả kiểm tra"
    workbook.active["A1"] = "Mức độ"
    workbook.active["B2"] = "Số hội nghị không phải là số"
    workbook.save(path)
    return path


def problems(errors: int = 2, warnings: int = 1) -> list[dict]:
    found = [
        {
            "severity": "warning",
            "rule": "outlier",
            "sheet": "Chỉ tiêu",
            "cell": f"E{20 + i}",
            "message": "Giá trị cao bất thường so với các kỳ trước",
        }
        for i in range(warnings)
    ]
    found += [
        {
            "severity": "error",
            "rule": "not_a_number",
            "sheet": "Chỉ tiêu",
            "cell": f"D{12 + i}",
            "message": "Ô phải là số, đang là 'mười hai'",
        }
        for i in range(errors)
    ]
    return found


def make_alert(feedback: Path | None = None, sha: str = "ab" * 32, status: str = "rejected"):
    return build_alert(
        file_sha256=sha,
        file_name="Báo cáo Tỉnh đoàn 6 tháng.xlsx",
        status=status,
        problems=problems(),
        agency_code="TINH_DOAN",
        agency_name="Tỉnh đoàn",
        period_code="2019S1",
        feedback_path=feedback,
        report_path="/srv/chitieu/data_docs/index.html",
        agency_email=AGENCY_EMAIL,
        created_at=T0,
    )


def log_lines(home: Path) -> list[dict]:
    path = home / "alerts" / "alerts.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def by_channel(home: Path) -> dict:
    return {p.channel: p for p in pending(home)}


# --- building alerts ---------------------------------------------------------------


def test_build_alert_kinds_counts_and_text() -> None:
    alert = make_alert(Path("/x/feedback.xlsx"))
    assert alert.kind == "rejected"
    assert alert.alert_id == "ab" * 32 + ":rejected"
    assert (alert.error_count, alert.warning_count) == (2, 1)
    assert [p["severity"] for p in alert.first_problems] == ["error", "error", "warning"]
    assert alert.subject == (
        "[chitieu] Báo cáo bị từ chối: Báo cáo Tỉnh đoàn 6 tháng.xlsx (Tỉnh đoàn, 2019S1)"
    )
    body = alert.body
    assert "Số lỗi: 2; số cảnh báo: 1" in body
    assert "1. Lỗi [not_a_number] 'Chỉ tiêu'!D12: Ô phải là số, đang là 'mười hai'" in body
    assert "/x/feedback.xlsx" in body
    assert "file:///srv/chitieu/data_docs/index.html" in body
    assert alert.created_at == "2026-11-27T13:00:00+07:00"

    warned = make_alert(status="accepted")
    assert warned.kind == "warnings"
    assert warned.subject.startswith("[chitieu] Báo cáo có cảnh báo: ")
    clean = build_alert(file_sha256="c" * 64, file_name="a.xlsx", status="accepted", problems=[])
    assert clean is None
    assert build_alert(file_sha256="d", file_name="a", status="duplicate", problems=[]) is None


def test_build_alert_keeps_ten_problems_and_cleans_the_agency_address() -> None:
    alert = build_alert(
        file_sha256="e" * 64,
        file_name="bad\nname.xlsx",
        status="rejected",
        problems=problems(errors=15, warnings=5)
        + [{"severity": "error", "rule": "bad_period", "message": "Không đọc được kỳ"}],
        agency_email="not an address\nBcc: evil@x.com",
    )
    assert len(alert.first_problems) == 10
    assert alert.error_count == 16 and alert.warning_count == 5
    assert alert.agency_email is None
    assert "\n" not in alert.subject
    assert "không rõ đơn vị" in alert.subject and "không rõ kỳ" in alert.subject
    assert "... và 11 vấn đề khác" in alert.body


# --- settings ----------------------------------------------------------------------


def test_settings_defaults_example_and_errors(tmp_path: Path) -> None:
    defaults = load_settings(tmp_path)
    assert not defaults.email_enabled and not defaults.webhook_enabled
    assert defaults.max_attempts == 10 and defaults.send_to_agency

    (tmp_path / "settings.toml").write_text(EXAMPLE_SETTINGS, encoding="utf-8")
    example = load_settings(tmp_path)
    assert example.email_enabled and example.webhook_enabled and example.smtp_starttls
    assert example.analysts == ("phantich1@example.gov.vn", "phantich2@example.gov.vn")
    secret = replace(example, smtp_password="mat-khau")
    assert "mat-khau" not in repr(secret) and "***" in repr(secret)

    for table in (
        {"analyst": ["a@b.vn"]},
        {"analysts": ["not-an-address"]},
        {"smtp_port": "25"},
        {"smtp_starttls": "yes"},
        {"webhook_url": "file:///etc/passwd"},
        {"max_attempts": 0},
    ):
        with pytest.raises(SettingsError):
            parse_settings(table)


def test_backoff_doubles_and_is_capped() -> None:
    s = AlertSettings(backoff_seconds=60, backoff_max_seconds=3600)
    assert [s.backoff(n) for n in range(1, 9)] == [60, 120, 240, 480, 960, 1920, 3600, 3600]


# --- delivery ------------------------------------------------------------------------


def test_alert_reaches_email_webhook_and_log(
    tmp_path: Path, smtp: SmtpServer, web: WebServer, feedback_file: Path
) -> None:
    home = tmp_path / "home"
    (home / "settings.toml").write_text(
        "[alerts]\n"
        f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nsmtp_timeout_seconds = 3\n'
        'from_address = "chitieu@tinh.gov.vn"\n'
        f"analysts = {json.dumps(list(ANALYSTS))}\n"
        f'webhook_url = "{web.url}"\nwebhook_timeout_seconds = 3\n',
        encoding="utf-8",
    )
    alert = make_alert(feedback_file)

    assert enqueue([alert], home, now=T0) == 1
    report = deliver(home, now=T0)

    assert report.ok, report.summary()
    assert {n: c.delivered for n, c in report.channels.items()} == {
        "log": 1,
        "email": 1,
        "webhook": 1,
    }
    assert pending(home) == []

    [envelope] = smtp.envelopes
    assert sorted(envelope.rcpt_tos) == sorted([*ANALYSTS, AGENCY_EMAIL])
    [message] = smtp.messages()
    assert message["Subject"] == alert.subject
    assert message["To"] == AGENCY_EMAIL
    assert "Số lỗi: 2" in message.get_body(("plain",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == f"application/{XLSX_SUBTYPE}"
    assert attachment.get_filename() == feedback_file.name
    data = attachment.get_content()
    assert data == feedback_file.read_bytes()
    assert openpyxl.load_workbook(io.BytesIO(data)).sheetnames == ["Kết quả kiểm tra"]

    [(path, content_type, _)] = web.posts
    assert path == "/hook" and content_type.startswith("application/json")
    [posted] = web.json_posts()
    assert posted["alert_id"] == alert.alert_id and posted["kind"] == "rejected"
    assert posted["agency_code"] == "TINH_DOAN" and posted["period_code"] == "2019S1"
    assert (posted["error_count"], posted["warning_count"]) == (2, 1)
    assert posted["first_problems"][0]["cell"] == "D12"
    assert posted["feedback_path"] == str(feedback_file)
    assert posted["subject"] == alert.subject

    [logged] = log_lines(home)
    assert logged["alert_id"] == alert.alert_id and logged["file_name"] == alert.file_name


def test_rerun_with_the_same_alerts_sends_nothing_new(
    tmp_path: Path, smtp: SmtpServer, web: WebServer, settings: AlertSettings
) -> None:
    home = tmp_path / "home"
    alert = make_alert()
    queue_and_deliver([alert], home, settings, now=T0)
    assert enqueue([make_alert()], home, now=T0 + timedelta(days=1)) == 0
    again = deliver(home, settings, now=T0 + timedelta(days=1))

    assert all(c.delivered == 0 and c.failed == 0 for c in again.channels.values())
    assert len(smtp.envelopes) == 1 and len(web.posts) == 1 and len(log_lines(home)) == 1
    # Without the agency's address (or not allowed to use it) the analysts are the To.
    other = make_alert(sha="f" * 64)
    queue_and_deliver([other], home, replace(settings, send_to_agency=False), now=T0)
    assert sorted(smtp.envelopes[-1].rcpt_tos) == sorted(ANALYSTS)


def test_servers_down_then_up_delivers_exactly_once(
    tmp_path: Path, smtp: SmtpServer, web: WebServer, settings: AlertSettings, feedback_file: Path
) -> None:
    home = tmp_path / "home"
    smtp.stop()
    web.stop()
    alert = make_alert(feedback_file)

    down = queue_and_deliver([alert], home, settings, now=T0)

    assert down.channels["log"].delivered == 1
    for name in ("email", "webhook"):
        assert down.channels[name].failed == 1 and down.channels[name].queued == 1
    queued = by_channel(home)
    assert set(queued) == {"email", "webhook"}
    for item in queued.values():
        assert item.attempts == 1 and item.last_error
        assert item.next_attempt_at > T0.strftime("%Y-%m-%dT%H:%M:%S")

    not_yet = queue_and_deliver([alert], home, settings, now=T0 + timedelta(seconds=30))
    assert not_yet.channels["email"].failed == 0  # backoff: not due yet
    assert by_channel(home)["email"].attempts == 1

    smtp.start()
    web.start()
    up = deliver(home, settings, now=T0 + timedelta(minutes=2))
    assert up.channels["email"].delivered == 1 and up.channels["webhook"].delivered == 1
    assert pending(home) == []

    for later in (timedelta(minutes=3), timedelta(days=2)):
        queue_and_deliver([alert], home, settings, now=T0 + later)
    assert len(smtp.envelopes) == 1 and len(web.posts) == 1 and len(log_lines(home)) == 1
    assert len(list(smtp.messages()[0].iter_attachments())) == 1


def test_backoff_grows_and_max_attempts_is_respected(
    tmp_path: Path, web: WebServer, settings: AlertSettings
) -> None:
    home = tmp_path / "home"
    web.status = 500  # answers, but not 2xx: a failure
    settings = replace(settings, smtp_host=None, max_attempts=4, backoff_seconds=60)
    alert = make_alert()
    moment, delays = T0, []
    for _ in range(4):
        report = queue_and_deliver([alert], home, settings, now=moment)
        assert report.channels["webhook"].failed == 1
        item = by_channel(home)["webhook"]
        if item.next_attempt_at is None:
            break
        due = datetime.strptime(item.next_attempt_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        delays.append((due - moment).total_seconds())
        moment = due
    assert delays == [60, 120, 240]
    item = by_channel(home)["webhook"]
    assert item.attempts == 4 and item.abandoned and "500" in item.last_error

    final = queue_and_deliver([alert], home, settings, now=T0 + timedelta(days=30))
    assert final.channels["webhook"].failed == 0 and final.channels["webhook"].abandoned == 1
    assert len(web.posts) == 4 and not final.ok

    web.status = 204  # the receiver is fixed, but the same settings do not try again
    same = deliver(home, settings, now=T0 + timedelta(days=31))
    assert same.channels["webhook"].abandoned == 1 and len(web.posts) == 4
    fixed = replace(settings, max_attempts=5)  # changed settings: given-up deliveries retried
    revived = deliver(home, fixed, now=T0 + timedelta(days=31))
    assert revived.channels["webhook"].delivered == 1 and pending(home) == []


def test_broken_settings_never_raise_and_alerts_wait_for_a_fix(
    tmp_path: Path, smtp: SmtpServer, settings: AlertSettings
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.toml").write_text("[alerts]\nsmtp_port = 'abc'\n", encoding="utf-8")
    alert = make_alert()

    broken = queue_and_deliver([alert], home, now=T0)

    assert broken.settings_error and "smtp_port" in broken.settings_error
    assert broken.channels["log"].delivered == 1 and not broken.ok
    (home / "settings.toml").write_text(
        f'[alerts]\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\n'
        'from_address = "chitieu@tinh.gov.vn"\nanalysts = ["phantich1@tinh.gov.vn"]\n',
        encoding="utf-8",
    )
    fixed = queue_and_deliver([alert], home, now=T0)
    assert fixed.channels["email"].delivered == 1 and fixed.ok
    assert len(smtp.envelopes) == 1 and len(log_lines(home)) == 1


def test_a_server_that_never_answers_cannot_hang_delivery(tmp_path: Path) -> None:
    with socket.socket() as silent:  # listens, never accepts, never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        settings = AlertSettings(
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_timeout_seconds=0.3,
            from_address="chitieu@tinh.gov.vn",
            analysts=ANALYSTS,
            webhook_url=f"http://127.0.0.1:{port}/hook",
            webhook_timeout_seconds=0.3,
        )
        import smtplib  # noqa: F401 - imported before the clock starts: on a loaded machine
        import urllib.request  # noqa: F401 - these imports alone can take a second

        started = datetime.now(UTC)
        report = queue_and_deliver([make_alert()], tmp_path / "home", settings, now=T0)
        elapsed = (datetime.now(UTC) - started).total_seconds()
    # without the timeouts each read would wait forever; 10 s is room for a loaded machine
    assert elapsed < 10
    assert report.channels["email"].failed == 1 and report.channels["webhook"].failed == 1
    assert all("timed out" in p.last_error for p in pending(tmp_path / "home"))


def test_pending_without_outbox_is_empty(tmp_path: Path) -> None:
    assert pending(tmp_path) == []
    assert not (tmp_path / "alerts").exists()
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    report = deliver(not_a_folder, AlertSettings(), now=T0)
    assert report.outbox_error and not report.ok


# --- the documented settings (docs/data-quality.md; issue 11, item 6) ---------------

SETTINGS_DOC = Path(__file__).parent.parent / "docs" / "data-quality.md"  # where settings are told


def readme_settings() -> str:
    """The ``settings.toml`` example of docs/data-quality.md, exactly as written there."""
    text = SETTINGS_DOC.read_text(encoding="utf-8")
    return re.search(r"```toml\n(\[alerts\]\n.*?)```", text, re.S).group(1)


def readme_defaults() -> dict:
    """The SETTINGS_DOC's sentence "Defaults of keys not set: `key` value, ..." as a dict."""
    text = SETTINGS_DOC.read_text(encoding="utf-8")
    sentence = re.search(r"Defaults of keys not set: (.*?)\.\n", text, re.S).group(1)
    found = re.findall(r"`(\w+)` (true|false|[\d.]+)", sentence)
    return {k: {"true": True, "false": False}.get(v, v) for k, v in found}


def test_the_readme_settings_example_turns_every_channel_on(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text(readme_settings(), encoding="utf-8")
    example = load_settings(tmp_path)
    assert example.email_enabled and example.webhook_enabled
    # "Retries ...: 60 s, 120 s, 240 s ... at most 6 h apart"
    assert [example.backoff(n) for n in (1, 2, 3)] == [60, 120, 240]
    assert example.backoff(30) == 6 * 3600


def test_the_readme_defaults_are_the_code_defaults() -> None:
    documented = readme_defaults()
    assert len(documented) == 9
    defaults = AlertSettings()
    for key, value in documented.items():
        assert getattr(defaults, key) == (value if isinstance(value, bool) else float(value)), key


def local_servers(example: str, smtp: SmtpServer, web: WebServer) -> str:
    """The SETTINGS_DOC example pointed at the test's servers (plain SMTP without log-in);
    every other line as written."""
    example = re.sub(r'smtp_host = ".*"', 'smtp_host = "127.0.0.1"', example)
    example = re.sub(r"\nsmtp_user = .*", "", example)
    example = re.sub(r"smtp_port = \d+", f"smtp_port = {smtp.port}", example)
    example = re.sub(r"smtp_starttls = true", "smtp_starttls = false", example)
    return re.sub(r'webhook_url = ".*"', f'webhook_url = "{web.url}"', example)


def rejected_file(home: Path) -> None:
    from tests.factories import indicator_row, make_submission

    make_submission(
        home / "inbox" / "sai.xlsx", rows=[indicator_row("TT_HOI_NGHI", {"373": "abc"})]
    )


def test_chitieu_run_with_the_readme_settings_sends_email_and_webhook(
    home: Path, smtp: SmtpServer, web: WebServer
) -> None:
    from tests.helpers import TODAY, invoke

    (home / "settings.toml").write_text(local_servers(readme_settings(), smtp, web), "utf-8")
    rejected_file(home)
    result = invoke(home, "run", "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert len(smtp.envelopes) == 1 and len(web.json_posts()) == 1
    assert "Alert settings: ok, channels log, email, webhook" in invoke(home, "status").output


def test_unusable_settings_fail_chitieu_run_loudly_and_show_in_status(home: Path) -> None:
    from tests.helpers import TODAY, invoke, sql_rows

    broken = readme_settings() + "backoff_max_seconds = 30\n"
    (home / "settings.toml").write_text(broken, encoding="utf-8")
    rejected_file(home)
    result = invoke(home, "run", "--today", TODAY)
    assert result.exit_code == 1
    [line] = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert "alert settings unusable" in line and "backoff_max_seconds" in line
    assert "settings.toml" in line and "warehouse was refreshed" in line
    assert sql_rows(home, "select status from etl_submission") == [{"status": "rejected"}]
    status = invoke(home, "status")
    assert "Alert settings: UNUSABLE" in status.output and "backoff_max_seconds" in status.output
    data = json.loads(invoke(home, "status", "--format", "json").output)
    assert data["alert_settings"]["ok"] is False
    assert [a.channel for a in pending(home)] == []  # log delivered; nothing else routed
    again = invoke(home, "run", "--today", TODAY)  # nothing arrived: the problem said once
    told = [
        line
        for line in again.output.splitlines()
        if "backoff_max_seconds" in line and "alerts.outbox" not in line  # not the log's line
    ]
    assert again.exit_code == 1 and len(told) == 1, again.output
    assert told[0].startswith("Error:") and "Nothing arrived" in told[0]


def test_the_log_takes_a_batch_whole_or_not_at_all_and_loses_none(tmp_path: Path) -> None:
    """The log writes its due alerts together: when it cannot write, each of them is
    failed and kept for a retry; then each is written once, in the order queued."""
    home = tmp_path / "home"
    alerts = [make_alert(sha=f"{n:02d}" * 32) for n in range(5)]
    log_path = home / "alerts" / "alerts.jsonl"
    log_path.mkdir(parents=True)  # a folder where the log should be: it cannot be written
    report = queue_and_deliver(alerts, home, AlertSettings(), now=T0)
    assert report.channels["log"].failed == 5 and report.channels["log"].delivered == 0
    assert {p.alert_id for p in pending(home)} == {a.alert_id for a in alerts}
    assert all("IsADirectoryError" in (p.last_error or "") for p in pending(home))

    log_path.rmdir()
    later = deliver(home, AlertSettings(), now=T0 + timedelta(days=1))
    assert later.channels["log"].delivered == 5 and pending(home) == []
    assert [line["alert_id"] for line in log_lines(home)] == [a.alert_id for a in alerts]
    deliver(home, AlertSettings(), now=T0 + timedelta(days=2))
    assert len(log_lines(home)) == 5


def test_alerts_written_before_a_crash_are_not_written_twice(tmp_path: Path) -> None:
    """A crash after the log's write and before the outbox recorded it: the next round
    finds those alerts in the log, records them delivered and writes no line again."""
    import sqlite3

    from alerts.outbox import outbox_path, stamp

    home = tmp_path / "home"
    alerts = [make_alert(sha=f"{n:02d}" * 32) for n in range(3)]
    queue_and_deliver(alerts, home, AlertSettings(), now=T0)
    with sqlite3.connect(outbox_path(home)) as con:  # as if the process died before recording
        con.execute("UPDATE delivery SET delivered_at = NULL, next_attempt_at = ?", (stamp(T0),))
    again = deliver(home, AlertSettings(), now=T0 + timedelta(hours=1))
    assert again.channels["log"].delivered == 3 and pending(home) == []
    assert len(log_lines(home)) == 3
    with sqlite3.connect(outbox_path(home)) as con:
        notes = {note for (note,) in con.execute("SELECT note FROM delivery")}
    assert notes == {"already in the log"}
