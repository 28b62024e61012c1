"""Data quality end to end: a bad workbook through the real refresh to real SMTP and HTTP."""

import io
import json

import openpyxl
import pytest

from expectations import ahead
from orchestration.definitions import defs
from tests.factories import GIA_VIEN, clean_rows, indicator_row, make_submission
from tests.helpers import TODAY, invoke, sql_rows
from tests.servers import SmtpServer, WebServer
from warehouse.home import Home
from workbooks.writing.feedback import RESULT_SHEET

AGENCY_EMAIL = "vanphong@congan.gov.vn"
ANALYST = "phantich@tinh.gov.vn"
CA_2019S1 = (
    "select sum(value) as v from indicator_values where agency_code = 'CA' "
    "and period_code = '2019S1'"
)


@pytest.fixture
def servers():
    smtp, web = SmtpServer(), WebServer()
    smtp.start()
    web.start()
    yield smtp, web
    smtp.stop()
    web.stop()


def configure(home, smtp: SmtpServer, web: WebServer) -> None:
    (home / "settings.toml").write_text(
        f"""
[alerts]
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
from_address = "chitieu@tinh.gov.vn"
analysts = ["{ANALYST}"]
webhook_url = "{web.url}"
smtp_timeout_seconds = 2
webhook_timeout_seconds = 2
backoff_seconds = 0.001
""",
        encoding="utf-8",
    )


def bad_rows(text: str) -> list:
    return [indicator_row("TT_HOI_NGHI", {GIA_VIEN: text}), *clean_rows()[1:]]


def test_a_bad_workbook_is_rejected_reported_and_alerted(demo_copy, servers):
    smtp, web = servers
    configure(demo_copy, smtp, web)
    before = sql_rows(demo_copy, CA_2019S1)
    make_submission(
        demo_copy / "inbox" / "2019S1_CA_moi.xlsx",
        agency="CA",
        email=AGENCY_EMAIL,
        rows=bad_rows("khoảng 50"),
    )
    result = invoke(demo_copy, "run", "--today", TODAY)
    assert result.exit_code == 0 and "1 rejected" in result.output
    assert sql_rows(demo_copy, CA_2019S1) == before  # the values in force did not change

    [message] = smtp.messages()
    assert {ANALYST, AGENCY_EMAIL} <= set(smtp.envelopes[0].rcpt_tos)
    assert "2019S1_CA_moi.xlsx" in message["Subject"]
    [attachment] = [part for part in message.iter_attachments()]
    feedback = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))
    assert feedback.sheetnames[0] == RESULT_SHEET
    bad = [
        i
        for i in sql_rows(
            demo_copy,
            "select i.sheet, i.cell from dq_issue i join "
            "etl_submission s using (submission_id) where "
            "s.file_name = '2019S1_CA_moi.xlsx'",
        )
    ]
    cell = feedback[bad[0]["sheet"]][bad[0]["cell"]]
    assert cell.fill.fgColor.rgb.endswith("FF0000") or "FF" in cell.fill.fgColor.rgb
    assert cell.comment is not None and "khoảng 50" in cell.comment.text

    [posted] = web.json_posts()
    assert posted["kind"] == "rejected" and posted["agency_code"] == "CA"
    assert posted["first_problems"][0]["cell"] == bad[0]["cell"]
    assert (demo_copy / "data_docs" / "index.html").exists()


def test_undelivered_alerts_wait_and_are_delivered_once(demo_copy, servers):
    smtp, web = servers
    configure(demo_copy, smtp, web)
    smtp.stop()
    web.stop()
    make_submission(demo_copy / "inbox" / "2019S1_CA_a.xlsx", agency="CA", rows=bad_rows("abc"))
    result = invoke(demo_copy, "run", "--today", TODAY)
    assert result.exit_code == 0  # delivery failures never fail the refresh
    log = (demo_copy / "alerts" / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    assert any("2019S1_CA_a.xlsx" in line for line in log)
    smtp.start()
    web.start()
    for _ in range(2):  # the next refresh delivers the queued alert; the one after, nothing
        assert invoke(demo_copy, "run", "--today", TODAY).exit_code == 0
    assert [m["Subject"] for m in smtp.messages()].count(smtp.messages()[0]["Subject"]) == 1
    assert len(smtp.messages()) == 1 and len(web.posts) == 1


def test_a_corrected_resubmission_is_accepted_and_supersedes(demo_copy):
    make_submission(demo_copy / "inbox" / "2019S1_CA_b.xlsx", agency="CA", rows=bad_rows("abc"))
    invoke(demo_copy, "run", "--today", TODAY)
    make_submission(demo_copy / "inbox" / "2019S1_CA_c.xlsx", agency="CA", rows=clean_rows())
    assert "1 accepted" in invoke(demo_copy, "run", "--today", TODAY).output
    rows = sql_rows(
        demo_copy,
        "select file_name, status from etl_submission where "
        "agency_code = 'CA' and period_code = '2019S1' order by 1",
    )
    assert {r["file_name"]: r["status"] for r in rows}["2019S1_CA_c.xlsx"] == "accepted"
    assert sorted(r["status"] for r in rows).count("superseded") == 1
    assert sql_rows(demo_copy, CA_2019S1)[0]["v"] == sum(
        sum(r.district_values.values()) for r in clean_rows()
    )


def test_checks_show_problems_where_analysts_look(home, tmp_path):
    from dagster import DagsterInstance

    make_submission(home / "inbox" / "good.xlsx", agency="CA")
    make_submission(home / "inbox" / "bad.xlsx", agency="HND", rows=bad_rows("abc"))
    (tmp_path / "dagster").mkdir()
    with DagsterInstance.from_config(str(tmp_path / "dagster")) as instance:
        result = defs.resolve_job_def("refresh").execute_in_process(
            run_config={"resources": {"refresh": {"config": {"home": str(home), "today": TODAY}}}},
            instance=instance,
        )
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["accepted_values_pass_suites"].passed
    rejected = checks["no_rejected_submissions"]
    assert not rejected.passed and rejected.severity.value == "WARN"
    metadata = {k: v.value for k, v in rejected.metadata.items()}
    assert metadata["rejected_files"] == 1 and "not_a_number" in metadata["first_problems"]
    assert json.dumps(metadata)  # plain Python types only


def test_each_homes_data_docs_show_its_own_validations_only(tmp_path, monkeypatch):
    """Two refreshes of two homes validated in this process (no worker, as the daemon's
    runs): the second home's report shows its own batch, not the first home's (nor does
    each build render every earlier one again)."""
    monkeypatch.setattr(ahead, "AHEAD_BELOW_FILES", 0)
    homes = {}
    for name, agency in (("first", "CA"), ("second", "Hội Nông dân tỉnh")):
        home = homes[name] = tmp_path / name
        Home(home).ensure()
        make_submission(home / "inbox" / f"{name}.xlsx", agency=agency)
        assert invoke(home, "run", "--today", TODAY).exit_code == 0
    pages = {
        name: sorted(
            p.relative_to(home / "data_docs") for p in home.glob("data_docs/validations/**/*.html")
        )
        for name, home in homes.items()
    }
    assert len(pages["first"]) == len(pages["second"]) == 2  # the value and rule suites
    index = (homes["second"] / "data_docs" / "index.html").read_text(encoding="utf-8")
    assert all(str(page) in index for page in pages["second"])
    assert not any(str(page) in index for page in pages["first"])
