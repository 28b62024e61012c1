"""Warning rules: late submissions, missing expected indicators, outliers against history.

Warnings never block loading; they tell the agency and the analysts what to look at.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from reference import Catalog
from reference.periods import parse_period
from reference.text import fmt_vn
from workbooks.model import WARNING, ParsedWorkbook, Problem

MIN_HISTORY = 3  # no outlier flag with fewer past values
MAD_SCALE = 0.6745  # makes the MAD consistent with the standard deviation
MEAN_AD_SCALE = 1.253314  # the same for the mean absolute deviation (fallback when MAD = 0)
FLAT_HISTORY_JUMP = 2.0  # identical history: flag a change above this many times the level
HISTORY_COLUMNS = ["agency_code", "district_code", "indicator_code", "period_code", "value"]


def late_problem(
    workbook: ParsedWorkbook, received_at: datetime | None, catalog: Catalog
) -> Problem | None:
    """``late_submission`` when the file arrived after the period's deadline."""
    if not (received_at and workbook.agency_code and workbook.period_code):
        return None
    period = parse_period(workbook.period_code)
    days = catalog.deadline_days_for(workbook.agency_code, period.period_type)
    deadline = period.end_date + timedelta(days=days)
    if received_at.date() <= deadline:
        return None
    message = (
        f"Báo cáo {period.label_vi} nhận ngày {received_at:%d/%m/%Y}, sau hạn gửi "
        f"{deadline:%d/%m/%Y}. Đề nghị gửi báo cáo đúng hạn ở các kỳ sau."
    )
    return Problem(WARNING, "late_submission", message)


def missing_indicator_problems(workbook: ParsedWorkbook, catalog: Catalog) -> list[Problem]:
    """``missing_indicator`` for every expected indicator that has no row in the table."""
    if not workbook.agency_code or not workbook.values:
        return []
    present = {row[3] for row in workbook.values}
    problems = []
    for code in catalog.expected_indicators.get(workbook.agency_code, []):
        if code not in present:
            name = catalog.indicators[code].name
            problems.append(
                Problem(
                    WARNING,
                    "missing_indicator",
                    f"Thiếu chỉ tiêu {code} ({name}) mà đơn vị đăng ký báo cáo. Nếu không có số "
                    'liệu, hãy ghi dòng chỉ tiêu với số 0 hoặc dấu "-".',
                    indicator_code=code,
                )
            )
    return problems


def is_outlier(value: float, history: np.ndarray, threshold: float) -> bool:
    """Modified z-score (median and MAD), with fallbacks for a MAD of 0."""
    if len(history) < MIN_HISTORY:
        return False
    median = float(np.median(history))
    deviations = np.abs(history - median)
    mad = float(np.median(deviations))
    if mad > 0:
        return abs(MAD_SCALE * (value - median) / mad) > threshold
    mean_ad = float(np.mean(deviations))
    if mean_ad > 0:
        return abs((value - median) / (MEAN_AD_SCALE * mean_ad)) > threshold
    return abs(value - median) > FLAT_HISTORY_JUMP * max(abs(median), 1.0)


def outlier_problems(
    frame: pd.DataFrame,
    parsed: Sequence[ParsedWorkbook],
    accepted: Sequence[bool],
    history: pd.DataFrame | None,
    catalog: Catalog,
) -> list[tuple[int, Problem]]:
    """``outlier`` for values far from the same agency × district × indicator's past.

    The past is every earlier period of the same type: what the warehouse holds in force,
    overridden by accepted files earlier in this batch, so one batch and several smaller
    ones judge a file against the same history.
    """
    parts = frame[(frame["role"] != "total") & frame["value"].notna()]
    if parts.empty:
        return []
    known = _history_index(history)
    names = {d.code: d.name for d in catalog.districts}
    problems = []
    for file_index, rows in parts.groupby("file_index", sort=True):
        workbook = parsed[file_index]
        if workbook.agency_code and workbook.period_code:
            period = parse_period(workbook.period_code)
            problems += _file_outliers(
                file_index, rows, workbook.agency_code, period, known, names, catalog
            )
            if accepted[file_index]:
                for row in rows.itertuples(index=False):
                    known[
                        (
                            workbook.agency_code,
                            row.district_code,
                            row.indicator_code,
                            period.period_type,
                        )
                    ][period.start_date] = float(row.value)
    return problems


def _history_index(history: pd.DataFrame | None) -> dict:
    from collections import defaultdict

    known: dict = defaultdict(dict)
    if history is None or history.empty:
        return known
    for row in history.itertuples(index=False):
        period = parse_period(row.period_code)
        known[(row.agency_code, row.district_code, row.indicator_code, period.period_type)][
            period.start_date
        ] = float(row.value)
    return known


def _file_outliers(file_index, rows, agency, period, known, names, catalog):
    problems = []
    for row in rows.itertuples(index=False):
        indicator = catalog.indicators.get(row.indicator_code)
        if indicator is None:
            continue
        past = known.get((agency, row.district_code, row.indicator_code, period.period_type), {})
        values = np.array([v for start, v in past.items() if start < period.start_date])
        if is_outlier(float(row.value), values, indicator.outlier_threshold):
            place = names.get(row.district_code, row.district_code)
            message = (
                f"Ô {row.cell}: {indicator.name} ở {place} là {fmt_vn(row.value)}, khác "
                f"xa các kỳ trước (trung vị {fmt_vn(float(np.median(values)))}). "
                "Hãy kiểm tra lại số liệu; nếu đúng, ghi lý do vào cột Ghi chú."
            )
            problems.append(
                (
                    file_index,
                    Problem(
                        WARNING,
                        "outlier",
                        message,
                        row.sheet,
                        row.cell,
                        row.indicator_code,
                        row.district_code,
                    ),
                )
            )
    return problems
