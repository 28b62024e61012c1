"""Command-line conventions (issue 13): usage errors, --home, file names, time zones."""

import json
import os
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from orchestration.cli_workbooks import report, template
from reference.model import safe_name
from tests.factories import make_submission
from tests.helpers import TODAY, invoke, sql_rows
from tests.test_warnings import typical_rows
from warehouse.home import Home
from workbooks.reports.review_report import SHEETS

VIETNAMESE_NAME = "Báo cáo BCHQS 6 tháng đầu năm 2017.xlsx"


@pytest.fixture(scope="module")
def gap_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """BCHQS reported 2017S1 (on time, a Vietnamese file name) and 2019S1 (late) only."""
    home = tmp_path_factory.mktemp("gap") / "home"
    Home(home).ensure()
    first = make_submission(home / "inbox" / VIETNAMESE_NAME, agency="BCHQS", period="2017S1")
    os.utime(first, (1_499_000_000, 1_499_000_000))  # 2017-07-02: on time
    make_submission(home / "inbox" / "2019S1_BCHQS.xlsx", agency="BCHQS", period="2019S1")
    result = invoke(home, "run", "--today", TODAY, "--no-progress")
    assert result.exit_code == 0, result.output
    return home


def test_completeness_has_rows_for_the_halves_nobody_reported(gap_home: Path):
    rows = sql_rows(
        gap_home,
        "select period_code, count(*) as agencies, count(*) filter (where received) as got "
        "from review_completeness group by all order by 1",
    )
    periods = {r["period_code"]: (r["agencies"], r["got"]) for r in rows}
    assert list(periods) == ["2017S1", "2017S2", "2018S1", "2018S2", "2019S1"]
    expected = periods["2017S1"][0]
    assert expected == 10 and all(n == expected for n, _ in periods.values())
    assert [periods[p][1] for p in periods] == [1, 0, 0, 0, 1]


def test_archive_and_feedback_names_keep_vietnamese_letters(gap_home: Path):
    archived = [p.name for p in (gap_home / "archive").iterdir()]
    assert any(name.endswith("_Báo_cáo_BCHQS_6_tháng_đầu_năm_2017.xlsx") for name in archived)
    assert [p.name for p in (gap_home / "feedback").glob("*.xlsx")]  # the late 2019S1 file


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("Báo cáo HND 6T cuối.xlsx", "Báo_cáo_HND_6T_cuối.xlsx"),
        ("Ba\u0301o ca\u0301o.xlsx", "Báo_cáo.xlsx"),  # NFD, as macOS writes it: made NFC
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\Sở Tư pháp\\bc.xlsx", "bc.xlsx"),
        ("a$(rm -rf ~);`x`|y&.xlsx", "a_rm_-rf_x_y_.xlsx"),
        ("tab\there\nnew.xls", "tab_here_new.xls"),
    ],
)
def test_safe_name_makes_only_unsafe_characters_safe(name: str, safe: str):
    assert safe_name(name) == safe


def test_safe_name_fits_a_file_system_name_in_bytes_and_keeps_the_suffix():
    long = safe_name("Đ" * 300 + ".xlsx")
    assert long.endswith("Đ.xlsx") and len(long.encode()) <= 200


def test_report_and_template_refuse_an_output_that_is_not_xlsx(demo_home: Path, tmp_path: Path):
    env = {"CHITIEU_HOME": str(demo_home)}
    for command, args in (
        (report, ["--period", "2019S1"]),
        (template, ["--agency", "BCHQS", "--period", "2019S1"]),
    ):
        out = tmp_path / "x.csv"
        result = CliRunner().invoke(command, [*args, "-o", str(out)], env=env)
        assert result.exit_code == 2 and "name it .xlsx" in result.output
        assert not out.exists()


def test_report_of_a_programme_phase_shows_its_cumulative_figures(demo_home: Path, tmp_path: Path):
    out = tmp_path / "phase.xlsx"
    result = CliRunner().invoke(
        report, ["--period", "2016-2021", "-o", str(out)], env={"CHITIEU_HOME": str(demo_home)}
    )
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(out)[SHEETS[5]]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert any("Giai đoạn 2016-2021" in t and "6 tháng đầu năm 2019" in t for t in texts)
    assert any("Chương trình phối hợp" in t for t in texts)


def test_check_takes_home_for_the_history_it_compares_with(demo_home: Path, tmp_path: Path):
    usual = {r.code: r.district_values for r in typical_rows(demo_home)}
    rows = typical_rows(demo_home, QP_NHAP_NGU=10 * next(iter(usual["QP_NHAP_NGU"].values())))
    path = make_submission(tmp_path / "2019S2.xlsx", agency="BCHQS", period="2019S2", rows=rows)
    empty = tmp_path / "empty"

    def warnings(*extra: str) -> list[str]:
        result = invoke(empty, "check", str(path), "--json", "--today", TODAY, *extra)
        return [i["rule"] for i in json.loads(result.output)["issues"]]

    assert "outlier" not in warnings()  # CHITIEU_HOME has no warehouse
    assert "outlier" in warnings("--home", str(demo_home))


def test_status_says_the_time_zone_of_the_last_load(demo_home: Path):
    table = invoke(demo_home, "status").output
    [line] = [line for line in table.splitlines() if line.startswith("Last load:")]
    assert line.endswith("+0700"), line
    data = json.loads(invoke(demo_home, "status", "--format", "json").output)
    assert data["last_load"]["ingested_at"].endswith("+07:00")
