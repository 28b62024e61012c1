"""The inbox: nothing lost when a file changes, cannot be read, or sits in a subfolder.

Issue 11, items 3 and 5.
"""

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import assets.ingest
from tests.factories import indicator_row, make_submission
from tests.helpers import TODAY, invoke, sql_rows
from warehouse.home import Home
from warehouse.inbox import InboxClearing, scan_inbox

CHITIEU = Path(sys.executable).with_name("chitieu")


def conferences(value: int) -> list:
    return [
        indicator_row("TT_HOI_NGHI", {"373": value}),
        indicator_row("TT_LUOT_NGUOI", {"373": 10 * value}),
    ]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def recorded(home: Path) -> list[dict]:
    return sql_rows(
        home,
        "select file_name, file_sha256, archive_path, status from etl_submission "
        "order by submission_id",
    )


def alerts_of(home: Path) -> list[dict]:
    log = home / "alerts" / "alerts.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_a_file_resaved_during_a_refresh_stays_for_the_next_one(home, monkeypatch):
    inbox_file = make_submission(home / "inbox" / "ca.xlsx", agency="CA", rows=conferences(18))
    first_bytes = sha256(inbox_file)
    real_read = assets.ingest.read_workbook

    def read_while_the_clerk_saves_again(path, *args):
        """The clerk saves a corrected version under the same name mid-refresh."""
        workbook = real_read(path, *args)
        if sha256(inbox_file) == first_bytes:
            make_submission(inbox_file, agency="CA", rows=conferences(19))
            os.utime(inbox_file, (1_562_300_000, 1_562_300_000))
        return workbook

    monkeypatch.setattr(assets.ingest, "read_workbook", read_while_the_clerk_saves_again)
    result = invoke(home, "run", "--today", TODAY)
    assert result.exit_code == 0, result.output
    monkeypatch.undo()
    [first] = recorded(home)
    assert first["file_sha256"] == first_bytes == sha256(Path(first["archive_path"]))
    assert inbox_file.exists() and sha256(inbox_file) != first_bytes  # not deleted unread
    second_bytes = sha256(inbox_file)
    assert invoke(home, "run", "--today", TODAY).exit_code == 0
    rows = recorded(home)
    assert [(r["file_sha256"], r["status"]) for r in rows] == [
        (first_bytes, "superseded"),
        (second_bytes, "accepted"),
    ]
    assert all(sha256(Path(r["archive_path"])) == r["file_sha256"] for r in rows)
    assert not inbox_file.exists()


def run_without_root_privileges(home: Path) -> subprocess.CompletedProcess:
    """``chitieu run`` in a real process that cannot bypass file permissions.

    Tests run as root, and root reads a ``chmod 000`` file anyway; the process drops the
    two capabilities that let it (setpriv, util-linux), so it meets the same
    ``Permission denied`` as the clerk's account would. As any other user no need.
    """
    command = [str(CHITIEU), "run", "--today", TODAY, "--no-progress"]
    if os.geteuid() == 0:
        command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *command]
    env = {**os.environ, "CHITIEU_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow  # two `chitieu run` processes, without root's privileges
def test_an_unreadable_file_is_recorded_with_an_alert_and_the_others_load(home):
    inbox = home / "inbox"
    make_submission(inbox / "ca.xlsx", agency="CA", rows=conferences(18))
    locked = make_submission(inbox / "hnd.xlsx", agency="Hội Nông dân tỉnh")
    locked.chmod(0)
    (inbox / "moved_away.xlsx").symlink_to(inbox / "no_such_file.xlsx")  # a dangling link
    result = run_without_root_privileges(home)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = sql_rows(
        home,
        "select s.file_name, s.status, s.file_sha256, min(i.rule) as rule "
        "from etl_submission s left join dq_issue i "
        "on i.submission_id = s.submission_id and i.severity = 'error' "
        "group by all order by s.file_name",
    )
    assert [(r["file_name"], r["status"], r["rule"]) for r in rows] == [
        ("ca.xlsx", "accepted", None),
        ("hnd.xlsx", "rejected", "unreadable_file"),
        ("moved_away.xlsx", "rejected", "unreadable_file"),
    ]
    assert rows[1]["file_sha256"] is None
    alerted = {a["file_name"]: a for a in alerts_of(home)}
    assert alerted["hnd.xlsx"]["status"] == "rejected"
    assert "moved_away.xlsx" in alerted
    assert locked.exists() and not (inbox / "ca.xlsx").exists()  # kept: never archived
    again = run_without_root_privileges(home)  # recorded once, not at every refresh
    assert again.returncode == 0 and "0 rejected" in again.stdout
    locked.chmod(0o644)  # the clerk's file readable at last: now it is read
    assert invoke(home, "run", "--today", TODAY).exit_code == 0
    statuses = sql_rows(home, "select status from etl_submission where file_name = 'hnd.xlsx'")
    assert sorted(r["status"] for r in statuses) == ["accepted", "rejected"]


def test_files_in_subfolders_of_the_inbox_are_taken(home):
    folder = home / "inbox" / "HND" / "2019"
    folder.mkdir(parents=True)
    make_submission(folder / "bao_cao.xlsx", agency="Hội Nông dân tỉnh")
    make_submission(home / "inbox" / "ca.xlsx", agency="CA")
    (folder / "~$bao_cao.xlsx").write_bytes(b"owner")  # Excel's lock file: left alone
    result = invoke(home, "run", "--today", TODAY)
    assert result.exit_code == 0, result.output
    rows = recorded(home)
    assert sorted((r["file_name"], r["status"]) for r in rows) == [
        ("HND/2019/bao_cao.xlsx", "accepted"),
        ("ca.xlsx", "accepted"),
    ]
    assert all(Path(r["archive_path"]).exists() for r in rows)
    assert [p.name for p in folder.iterdir()] == ["~$bao_cao.xlsx"]


def test_a_file_resaved_while_the_inbox_is_cleared_stays(tmp_path):
    """The removals run after the decision, in a thread: each file is checked again."""
    home = Home(tmp_path / "home").ensure()
    paths = [
        make_submission(home.inbox / f"{agency}.xlsx", agency=agency, rows=conferences(n))
        for n, agency in enumerate(["CA", "QS", "HND"], start=1)
    ]
    arrivals = {Path(a.inbox_path).name: a for a in scan_inbox(home)}
    make_submission(paths[0], agency="CA", rows=conferences(7))  # before the decision
    clearing = InboxClearing(list(arrivals.values()))
    assert [a.file_name for a in clearing.kept] == ["CA.xlsx"]
    make_submission(paths[1], agency="QS", rows=conferences(8))  # after it, before removal
    clearing.start().wait()
    assert [p.name for p in sorted(home.inbox.iterdir())] == ["CA.xlsx", "QS.xlsx"]


def test_the_run_ends_once_the_inbox_is_cleared(home, monkeypatch):
    """The removals go on in a thread while the run finishes; the run waits for them."""
    inbox_file = make_submission(home / "inbox" / "ca.xlsx", agency="CA", rows=conferences(3))
    slow = InboxClearing._remove

    def remove_slowly(clearing):
        time.sleep(0.5)  # longer than what is left of the run after publishing
        slow(clearing)

    monkeypatch.setattr(InboxClearing, "_remove", remove_slowly)
    assert invoke(home, "run", "--today", TODAY).exit_code == 0
    assert not inbox_file.exists()
    assert [r["status"] for r in recorded(home)] == ["accepted"]
