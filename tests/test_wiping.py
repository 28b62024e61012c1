"""A correction never silently wipes the values or tasks in force (issue 11, item 1)."""

import json
import os
from pathlib import Path

from tests.factories import GIA_VIEN, KIM_SON, indicator_row, make_submission
from tests.helpers import TODAY, invoke, sql_rows
from workbooks.writing.writer import TaskRow

HND = "Hội Nông dân tỉnh"
HND_CODES = (
    "TT_HOI_NGHI",
    "TT_LUOT_NGUOI",
    "KT_MO_HINH",
    "KHKT_BUOI",
    "KHKT_LUOT_NGUOI",
    "ASXH_QUA",
    "ASXH_QUA_GIA_TRI",
)


def hnd_rows(blank: tuple[str, ...] = ()) -> list:
    """Every indicator HND is expected to report; the ``blank`` ones with no value at all."""
    return [
        indicator_row(code, {} if code in blank else {GIA_VIEN: 30, KIM_SON: 20})
        for code in HND_CODES
    ]


def arrive(path: Path, when: int) -> Path:
    os.utime(path, (when, when))
    return path


def hnd_rows_in_force(home: Path, relation: str) -> int:
    """HND's 2019S1 rows in ``relation``, a table or view with agency and period codes."""
    where = "where agency_code = 'HND' and period_code = '2019S1'"
    return sql_rows(home, f"select count(*) as n from {relation} {where}")[0]["n"]


def hnd_in_force(home: Path) -> int:
    return hnd_rows_in_force(home, "indicator_values")


def issues_of(home: Path, file_name: str) -> list[dict]:
    return sql_rows(
        home,
        "select s.status, i.severity, i.rule, i.cell, i.message from etl_submission s "
        f"left join dq_issue i using (submission_id) where s.file_name = '{file_name}'",
    )


def first_report(home: Path) -> None:
    path = make_submission(home / "inbox" / "hnd.xlsx", agency=HND, rows=hnd_rows())
    arrive(path, 1_562_000_000)
    assert invoke(home, "run", "--today", TODAY).exit_code == 0
    assert hnd_in_force(home) == 14


def test_a_blank_template_sent_as_a_correction_is_rejected_and_wipes_nothing(home):
    first_report(home)
    blank = home / "inbox" / "hnd_blank.xlsx"
    result = invoke(home, "template", "--agency", "HND", "--period", "2019S1", "-o", str(blank))
    assert result.exit_code == 0, result.output
    arrive(blank, 1_562_100_000)
    result = invoke(home, "run", "--today", TODAY)
    assert result.exit_code == 0, result.output
    issues = issues_of(home, "hnd_blank.xlsx")
    assert [(i["status"], i["severity"], i["rule"]) for i in issues] == [
        ("rejected", "error", "empty_submission")
    ]
    assert "để trống" in issues[0]["message"]
    assert hnd_in_force(home) == 14
    totals = sql_rows(
        home, "select count(*) as n from review_indicator_totals where period_code = '2019S1'"
    )
    assert totals[0]["n"] > 0


def test_a_blank_row_warns_like_a_deleted_row(home):
    path = make_submission(
        home / "inbox" / "hnd.xlsx", agency=HND, rows=hnd_rows(blank=("KT_MO_HINH",))
    )
    arrive(path, 1_562_000_000)
    assert invoke(home, "run", "--today", TODAY).exit_code == 0
    issues = issues_of(home, "hnd.xlsx")
    assert [(i["status"], i["rule"]) for i in issues] == [("accepted", "missing_indicator")]
    assert "KT_MO_HINH" in issues[0]["message"] and issues[0]["cell"]


def test_a_correction_removing_most_values_is_accepted_with_a_warning_naming_them(home):
    first_report(home)
    kept = ("TT_HOI_NGHI", "TT_LUOT_NGUOI")
    rows = [indicator_row(code, {GIA_VIEN: 30, KIM_SON: 20}) for code in kept]
    path = make_submission(home / "inbox" / "hnd_sua.xlsx", agency=HND, rows=rows)
    arrive(path, 1_562_100_000)
    assert invoke(home, "run", "--today", TODAY).exit_code == 0
    issues = [i for i in issues_of(home, "hnd_sua.xlsx") if i["rule"] == "values_removed"]
    assert len(issues) == 1 and issues[0]["status"] == "accepted"
    assert issues[0]["severity"] == "warning"
    message = issues[0]["message"]
    assert "10/14" in message
    assert all(f"{code} (2 ô)" in message for code in HND_CODES if code not in kept)
    assert not any(code in message for code in kept)
    assert hnd_in_force(home) == 4


def test_a_correction_keeping_most_values_does_not_warn(home):
    first_report(home)
    rows = hnd_rows(blank=("KT_MO_HINH",))
    path = make_submission(home / "inbox" / "hnd_sua.xlsx", agency=HND, rows=rows)
    arrive(path, 1_562_100_000)
    assert invoke(home, "run", "--today", TODAY).exit_code == 0
    assert "values_removed" not in {i["rule"] for i in issues_of(home, "hnd_sua.xlsx")}


HND_TASKS = [
    TaskRow("Tuyên truyền chính sách nông thôn mới", "Đăng ký", "Hoàn thành"),
    TaskRow("Hỗ trợ hội viên phát triển kinh tế", "Đăng ký", "Đang thực hiện"),
    TaskRow("Chuyển giao khoa học kỹ thuật", "Đăng ký", "Hoàn thành"),
    TaskRow("Vận động xây dựng nhà đại đoàn kết", "Đăng ký", "Chưa thực hiện"),
]


def hnd_tasks_in_force(home: Path) -> int:
    tasks = "fact_task join dim_agency using (agency_key) join dim_period using (period_key)"
    return hnd_rows_in_force(home, tasks)


def report_with_tasks(home: Path, name: str, tasks: list[TaskRow], when: int) -> None:
    path = make_submission(home / "inbox" / name, agency=HND, rows=hnd_rows(), tasks=tasks)
    arrive(path, when)
    result = invoke(home, "run", "--today", TODAY)
    assert result.exit_code == 0, result.output


def test_a_correction_without_its_task_sheet_is_accepted_with_a_warning(home):
    report_with_tasks(home, "hnd.xlsx", HND_TASKS, 1_562_000_000)
    assert hnd_tasks_in_force(home) == 4
    report_with_tasks(home, "hnd_sua.xlsx", [], 1_562_100_000)
    issues = [i for i in issues_of(home, "hnd_sua.xlsx") if i["rule"] == "tasks_removed"]
    assert [(i["status"], i["severity"]) for i in issues] == [("accepted", "warning")]
    assert "không có nhiệm vụ nào" in issues[0]["message"] and "4 nhiệm vụ" in issues[0]["message"]
    assert hnd_tasks_in_force(home) == 0  # what the warning is about: the tasks are gone


def test_a_correction_dropping_most_tasks_warns_and_one_keeping_them_does_not(home):
    report_with_tasks(home, "hnd.xlsx", HND_TASKS, 1_562_000_000)
    report_with_tasks(home, "hnd_sua.xlsx", HND_TASKS[:1], 1_562_100_000)
    issues = [i for i in issues_of(home, "hnd_sua.xlsx") if i["rule"] == "tasks_removed"]
    assert len(issues) == 1 and "1/4 nhiệm vụ" in issues[0]["message"]
    report_with_tasks(home, "hnd_sua_2.xlsx", HND_TASKS[:1] + HND_TASKS[2:], 1_562_200_000)
    assert "tasks_removed" not in {i["rule"] for i in issues_of(home, "hnd_sua_2.xlsx")}
    assert hnd_tasks_in_force(home) == 3


def test_check_warns_of_the_tasks_a_correction_would_drop(home, tmp_path):
    report_with_tasks(home, "hnd.xlsx", HND_TASKS, 1_562_000_000)
    path = make_submission(tmp_path / "hnd_sua.xlsx", agency=HND, rows=hnd_rows(), tasks=[])
    result = invoke(home, "check", str(path), "--json", "--today", TODAY)
    rules = [issue["rule"] for issue in json.loads(result.output)["issues"]]
    assert result.exit_code == 0 and "tasks_removed" in rules
