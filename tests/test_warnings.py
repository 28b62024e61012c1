"""Warning rules: reported on workbooks made to trigger them, never on the clean sample."""

import json
import os
import shutil
import statistics
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from expectations import warning_rules
from expectations.warning_rules import (
    SORT_DEVIATIONS_UP_TO,
    is_outlier,
    outlier_problems,
)
from reference import load_catalog
from reference.catalog import DEFAULT_DIR
from reference.model import ParsedWorkbook
from reference.periods import parse_period
from tests.factories import GIA_VIEN, KIM_SON, indicator_row, make_submission
from tests.helpers import TODAY, invoke, sql_rows


def check_report(path: Path, home: Path | None = None) -> tuple[int, dict]:
    result = invoke(home or path.parent, "check", str(path), "--json", "--today", TODAY)
    return result.exit_code, json.loads(result.output.splitlines()[0])


def rules(report: dict, severity: str = "warning") -> list[str]:
    return [i["rule"] for i in report["issues"] if i["severity"] == severity]


def bchqs_rows(nhap_ngu_gia_vien: int) -> list:
    """Every indicator BCHQS is expected to report, with plausible values."""
    values = {
        "TT_HOI_NGHI": 2,
        "TT_LUOT_NGUOI": 300,
        "QP_NHAP_NGU": nhap_ngu_gia_vien,
        "QP_DIEN_TAP": 1,
        "NTM_XA": 1,
        "NTM_HUYEN": 0,
        "ASXH_NHA": 2,
        "ASXH_NHA_KINH_PHI": 80,
        "ASXH_QUA": 30,
        "ASXH_QUA_GIA_TRI": 15,
    }
    return [indicator_row(code, {GIA_VIEN: value}) for code, value in values.items()]


def test_the_clean_sample_raises_only_the_planted_late_warning(demo_home):
    rows = sql_rows(
        demo_home,
        "select s.file_name, i.rule from dq_issue i join etl_submission s "
        "using (submission_id) where i.severity = 'warning'",
    )
    assert [r["rule"] for r in rows] == ["late_submission"]


def typical_rows(home: Path, **override: int) -> list:
    """BCHQS's Gia Viễn row of each indicator at its historical median, with overrides."""
    medians = sql_rows(
        home,
        """
        select i.indicator_code, median(cast(f.value as double)) as m
        from fact_indicator_value f join dim_agency a using (agency_key)
        join dim_district d using (district_key) join dim_indicator i using (indicator_key)
        where a.agency_code = 'BCHQS' and d.district_code = '373' group by all""",
    )
    values = {r["indicator_code"]: round(r["m"]) for r in medians} | override
    return [indicator_row(code, {GIA_VIEN: value}) for code, value in values.items()]


def test_a_tenfold_jump_against_history_is_an_outlier_and_still_loaded(demo_copy):
    usual = {r.code: r.district_values[GIA_VIEN] for r in typical_rows(demo_copy)}
    rows = typical_rows(demo_copy, QP_NHAP_NGU=10 * usual["QP_NHAP_NGU"])
    make_submission(
        demo_copy / "inbox" / "2019S2_BCHQS.xlsx", agency="BCHQS", period="2019S2", rows=rows
    )
    result = invoke(demo_copy, "run", "--today", TODAY)
    assert "1 accepted" in result.output
    found = sql_rows(
        demo_copy,
        "select i.rule, i.cell, i.district_code, i.indicator_code "
        "from dq_issue i join etl_submission s using (submission_id) "
        "where s.file_name = '2019S2_BCHQS.xlsx' and i.rule <> 'late_submission'",
    )
    # The sample holds files received in 2026, so a 2019S2 file found now is received after
    # them (whatever its file date) and is also late_submission: that one is left out here.
    assert [(r["rule"], r["district_code"], r["indicator_code"]) for r in found] == [
        ("outlier", "373", "QP_NHAP_NGU")
    ]
    assert found[0]["cell"]


def test_usual_values_are_not_outliers(demo_copy):
    path = make_submission(
        demo_copy / "b.xlsx", agency="BCHQS", period="2019S2", rows=typical_rows(demo_copy)
    )
    os.utime(path, (1_578_000_000, 1_578_000_000))
    assert check_report(path, demo_copy)[1]["issues"] == []


def test_modified_z_score_and_its_fallbacks():
    assert not is_outlier(1000.0, ([10.0, 10.0]), 3.5)  # fewer than 3 past values
    assert is_outlier(100.0, ([10.0, 10.0, 10.0]), 3.5)  # identical history: MAD = 0
    assert not is_outlier(11.0, ([10.0, 10.0, 10.0]), 3.5)
    assert is_outlier(100.0, ([10.0, 10.0, 10.0, 12.0]), 3.5)  # MAD 0, mean AD > 0
    assert not is_outlier(13.0, ([10.0, 12.0, 11.0, 9.0, 10.0]), 3.5)
    assert is_outlier(40.0, ([10.0, 12.0, 11.0, 9.0, 10.0]), 3.5)


def test_outlier_threshold_is_configurable_per_indicator(tmp_path):
    folder = tmp_path / "reference"
    shutil.copytree(DEFAULT_DIR, folder)
    indicators = (folder / "indicators.csv").read_text(encoding="utf-8")
    (folder / "indicators.csv").write_text(
        indicators.replace(
            "QP_NHAP_NGU,Thanh niên nhập ngũ,người,count,Quốc phòng,3,3.5",
            "QP_NHAP_NGU,Thanh niên nhập ngũ,người,count,Quốc phòng,3,50",
        ),
        encoding="utf-8",
    )
    assert load_catalog(str(folder)).indicators["QP_NHAP_NGU"].outlier_threshold == 50
    assert load_catalog().indicators["QP_NHAP_NGU"].outlier_threshold == 3.5


def test_late_submission_is_a_warning(tmp_path):
    path = make_submission(tmp_path / "late.xlsx", agency="CA")
    os.utime(path, (1_563_000_000, 1_563_000_000))  # 2019-07-13, deadline 2019-07-10
    exit_code, report = check_report(path)
    assert exit_code == 0 and report["status"] == "accepted"
    assert "late_submission" in rules(report)
    os.utime(path, (1_562_500_000, 1_562_500_000))  # 2019-07-07: on time
    assert "late_submission" not in rules(check_report(path)[1])


def test_missing_expected_indicator_is_a_warning(tmp_path):
    rows = [r for r in bchqs_rows(20) if r.code != "QP_NHAP_NGU"]
    path = make_submission(tmp_path / "thieu.xlsx", agency="BCHQS", rows=rows)
    os.utime(path, (1_562_500_000, 1_562_500_000))
    exit_code, report = check_report(path)
    assert exit_code == 0
    missing = [i for i in report["issues"] if i["rule"] == "missing_indicator"]
    assert [i["indicator_code"] for i in missing] == ["QP_NHAP_NGU"]
    complete = make_submission(tmp_path / "du.xlsx", agency="BCHQS", rows=bchqs_rows(20))
    os.utime(complete, (1_562_500_000, 1_562_500_000))
    assert check_report(complete)[1]["issues"] == []


def test_warning_rules_of_the_catalogue(tmp_path):
    rows = [
        indicator_row("ASXH_NHA", {GIA_VIEN: 4, KIM_SON: 1}),  # VR03: no cost for Gia Viễn
        indicator_row("ASXH_NHA_KINH_PHI", {KIM_SON: 900}),  # VR06: 900 > 200 × 1
        indicator_row("ASXH_QUA", {GIA_VIEN: 10, KIM_SON: 10}),
        indicator_row("ASXH_QUA_GIA_TRI", {GIA_VIEN: 80, KIM_SON: 2}),  # VR05: 80 > 5 × 10
    ]
    path = make_submission(tmp_path / "vr.xlsx", agency="MTTQ", rows=rows)
    os.utime(path, (1_562_500_000, 1_562_500_000))
    exit_code, report = check_report(path)
    assert exit_code == 0 and report["status"] == "accepted"
    flagged = sorted(
        (i["message"][:5], i["district_code"])
        for i in report["issues"]
        if i["rule"] == "validation_rule"
    )
    assert flagged == [("[VR03", "373"), ("[VR05", "373"), ("[VR06", "376")]


def test_a_merged_unit_is_judged_against_the_sum_of_the_units_it_took_over(tmp_path):
    """Thành phố Hoa Lư (374 from 2025) took over TP Ninh Bình (369) and huyện Hoa Lư (the
    old 374): its 2025 figure is about their sum, not an outlier against one of them."""
    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)
    for year, halves in ((2023, "S1 S2"), (2024, "S1 S2")):
        for n, half in enumerate(halves.split()):
            period = f"{year}{half}"
            rows = [indicator_row("TT_HOI_NGHI", {"369": 30 + n, "374": 10})]
            make_submission(
                home / "inbox" / f"{period}.xlsx", agency="CA", period=period, rows=rows
            )
    assert invoke(home, "run", "--today", TODAY).exit_code == 0
    merged = [indicator_row("TT_HOI_NGHI", {"374": 41, "370": 0})]
    make_submission(home / "inbox" / "2025S1.xlsx", agency="CA", period="2025S1", rows=merged)
    assert invoke(home, "run", "--today", TODAY).exit_code == 0
    found = sql_rows(
        home,
        "select i.rule, i.district_code from dq_issue i join etl_submission s "
        "using (submission_id) where s.period_code = '2025S1' and i.rule = 'outlier'",
    )
    assert found == []
    # Against huyện Hoa Lư's own past (10 every half) the same 41 would be flagged.
    assert is_outlier(41, [10, 10, 10, 10], 3.5)


_ROUNDED = st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 1))


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(  # each side of SORT_DEVIATIONS_UP_TO
        st.lists(_ROUNDED, max_size=SORT_DEVIATIONS_UP_TO),
        st.lists(_ROUNDED, min_size=SORT_DEVIATIONS_UP_TO + 1, max_size=150),
    ),
    st.one_of(_ROUNDED, st.floats(-1e9, 1e9, allow_nan=False)),
    st.sampled_from([0.0, 0.3, 1 - 1e-12, 1.0, 1 + 1e-12, 1 + 1e-8, 3.0]),
    st.sampled_from([1, -1]),
)
# a value whose score rounds to just over the threshold while its MAD is exactly its bound
@example(history=[-13.0, -2.4, 39.2], drawn=52.60370644922165, ratio=0.0, sign=1)
@example(history=[-98.0, -39.0, -37.9, 13.0, 18.0, 26.0, 47.0, 48.8, 94.0],
         drawn=-141.822090437361, ratio=0.0, sign=1)  # fmt: skip
def test_the_outlier_test_agrees_with_the_textbook_median_and_mad(history, drawn, ratio, sign):
    """Sorting (short histories) and selection (long ones) give exactly the textbook
    figures, for any value and for values at the threshold's edge (where the shortcut for
    usual values must not decide)."""
    if len(history) < 3:
        assert not is_outlier(drawn, history, 3.5)
        return
    median = statistics.median(history)
    mad = statistics.median([abs(x - median) for x in history])
    edge = median + sign * ratio * 3.5 * mad / 0.6745
    for value in (drawn, edge, median, median + sign * 1e-9):
        assert is_outlier(value, history, 3.5) == _textbook(value, history, median, mad)


def _textbook(value: float, history: list[float], median: float, mad: float) -> bool:
    mean_ad = sum(abs(x - median) for x in sorted(history)) / len(history)
    if mad > 0:
        return abs(0.6745 * (value - median) / mad) > 3.5
    if mean_ad > 0:
        return abs((value - median) / (1.253314 * mean_ad)) > 3.5
    return abs(value - median) > 2.0 * max(abs(median), 1.0)


_HALVES = [f"{year}S{half}" for year in range(2015, 2021) for half in (1, 2)]


def _batch(files: list[tuple[str, str, list[float]]]) -> tuple[list, pd.DataFrame]:
    """Parsed files (agency, period, values) and their value frame: the n-th value goes to
    the n-th of ``_DISTRICTS``, of TT_HOI_NGHI and then of TT_LUOT_NGUOI."""
    parsed, rows = [], []
    for index, (agency, period, values) in enumerate(files):
        parsed.append(ParsedWorkbook(f"{index}.xlsx", agency_code=agency, period_code=period))
        for n, value in enumerate(values):
            district = _DISTRICTS[n % len(_DISTRICTS)]
            code = "TT_HOI_NGHI" if n < len(_DISTRICTS) else "TT_LUOT_NGUOI"
            rows.append((index, district, code, value, "S", f"C{n}", "part"))
    frame = pd.DataFrame(
        rows,
        columns=["file_index", "district_code", "indicator_code", "value", "sheet", "cell", "role"],
    ).drop_duplicates(["file_index", "district_code", "indicator_code"])
    return parsed, frame


# 374 took over others in 2025 (district_crosswalk.csv): before then, its own past counts
_DISTRICTS = [GIA_VIEN, KIM_SON, "374"]
_VALUES = st.sampled_from([0.0, 5.0, 10.0, 11.0, 12.5, 40.0, 400.0])


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(_HALVES), st.lists(_VALUES, min_size=2), st.booleans()),
        min_size=1,
        max_size=25,
    ),
    st.dictionaries(
        st.tuples(
            st.sampled_from(_HALVES),
            st.sampled_from(_DISTRICTS),
            st.sampled_from(["TT_HOI_NGHI", "TT_LUOT_NGUOI"]),
        ),
        _VALUES,
        max_size=20,
    ),
)
def test_outliers_judge_each_cell_against_exactly_its_earlier_periods(files, in_force):
    """Files in any period order, corrections and rejected files among them, over what the
    warehouse holds in force: each cell is judged against the values in force for earlier
    periods, whatever the order kept."""
    catalog = load_catalog()
    history = [
        ("CA", district, code, period, value)
        for (period, district, code), value in in_force.items()
    ]
    parsed, frame = _batch([("CA", period, values) for period, values, _ in files])
    accepted = [ok for _, _, ok in files]
    found = {(i, p.cell) for i, p in outlier_problems(frame, parsed, accepted, history, catalog)}
    expected, known = set(), defaultdict(dict)
    for (period, district, code), value in in_force.items():
        known[(district, code)][parse_period(period).start_date] = value
    for index, workbook in enumerate(parsed):
        start = parse_period(workbook.period_code).start_date
        cells = frame[frame["file_index"] == index].itertuples()
        for row in cells:
            past = [
                v for s, v in known[(row.district_code, row.indicator_code)].items() if s < start
            ]
            threshold = catalog.indicators[row.indicator_code].outlier_threshold
            if is_outlier(row.value, past, threshold):
                expected.add((index, row.cell))
        if accepted[index]:
            for row in frame[frame["file_index"] == index].itertuples():
                known[(row.district_code, row.indicator_code)][start] = row.value
    assert found == expected


_AGENCIES = ["CA", "BCHQS", "HND", "MTTQ"]


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(_AGENCIES),
            st.sampled_from(_HALVES),
            st.lists(_VALUES, min_size=2, max_size=6),
            st.booleans(),
        ),
        min_size=1,
        max_size=30,
    ),
    st.dictionaries(
        st.tuples(
            st.sampled_from(_AGENCIES), st.sampled_from(_HALVES), st.sampled_from(_DISTRICTS)
        ),
        _VALUES,
        max_size=30,
    ),
)
@example(  # outliers of both halves, interleaved: HND and BCHQS in one, CA in the other
    files=[(agency, "2020S2", [400.0, 0.0], True) for agency in ("HND", "CA", "BCHQS")],
    in_force={
        (agency, period, GIA_VIEN): value
        for agency in ("HND", "CA", "BCHQS")
        for period, value in (("2019S1", 10.0), ("2019S2", 10.0), ("2020S1", 11.0))
    },
)
def test_a_batch_judged_in_two_processes_gets_the_outliers_of_one(files, in_force):
    """The halves by agency, one judged in a forked process, give the very problems, in
    the very order, of judging the batch in one go."""
    catalog = load_catalog()
    history = [
        (agency, district, "TT_HOI_NGHI", period, value)
        for (agency, period, district), value in in_force.items()
    ]
    parsed, frame = _batch([(agency, period, values) for agency, period, values, _ in files])
    accepted = [ok for *_, ok in files]
    in_one = outlier_problems(frame, parsed, accepted, history, catalog)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(warning_rules, "PARALLEL_OUTLIERS_FROM", 0)
        patch.setattr(warning_rules.os, "cpu_count", lambda: 2)
        in_two = outlier_problems(frame, parsed, accepted, history, catalog)
    assert in_two == in_one
