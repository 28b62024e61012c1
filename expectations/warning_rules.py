"""Warning rules: late submissions, missing expected indicators, outliers against history.

Warnings never block loading; they tell the agency and the analysts what to look at.
"""

import heapq
import math
import os
import statistics
from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice
from multiprocessing import get_context
from operator import itemgetter

import pandas as pd

from expectations.completeness import is_empty, is_filled
from reference import Catalog
from reference.model import WARNING, ParsedWorkbook, Problem, ValueCell, ValueInForce
from reference.periods import Period, parse_period
from reference.text import vn_number

MIN_HISTORY = 3  # no outlier flag with fewer past values
MAD_SCALE = 0.6745  # makes the MAD consistent with the standard deviation
SORT_DEVIATIONS_UP_TO = 48  # histories this short: sorting is faster than selecting (bench)
MEAN_AD_SCALE = 1.253314  # the same for the mean absolute deviation (fallback when MAD = 0)
FLAT_HISTORY_JUMP = 2.0  # identical history: flag a change above this many times the level


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
    """``missing_indicator`` for every expected indicator with no row, or only a blank row.

    A blank row counts as absent: it puts nothing in force, exactly like a deleted row.
    """
    if not workbook.agency_code or is_empty(workbook):
        return []
    filled = {row.indicator_code for row in workbook.values if is_filled(row)}
    blank_rows: dict[str, ValueCell] = {}
    for row in workbook.values:
        blank_rows.setdefault(row.indicator_code, row)
    problems = []
    for code in catalog.expected_indicators.get(workbook.agency_code, []):
        if code in filled:
            continue
        name = catalog.indicators[code].name
        blank = blank_rows.get(code)
        where = (
            f"Dòng {blank.row}: chỉ tiêu {code} ({name}) để trống"
            if blank
            else (f"Thiếu chỉ tiêu {code} ({name})")
        )
        problems.append(
            Problem(
                WARNING,
                "missing_indicator",
                f"{where} mà đơn vị đăng ký báo cáo. Nếu không có số liệu, hãy ghi số 0 hoặc "
                'dấu "-" vào dòng chỉ tiêu.',
                blank.sheet if blank else None,
                blank.cell if blank else None,
                indicator_code=code,
            )
        )
    return problems


def is_outlier(value: float, history: Sequence[float], threshold: float) -> bool:
    """Modified z-score (median and MAD), with fallbacks for a MAD of 0."""
    return is_outlier_sorted(value, sorted(history), threshold)


def is_outlier_sorted(value: float, ordered: Sequence[float], threshold: float) -> bool:
    """``is_outlier`` on a history already in ascending order.

    The median is read off. The MAD of a short history (the usual handful of periods)
    comes from sorting its deviations, which C does fastest; that of a long one (hundreds
    of periods in a long-running warehouse) by selection over the deviations, which are
    two sorted runs either side of the median, with no pass over the history. numpy's
    per-call cost would dominate either.
    """
    n = len(ordered)
    if n < MIN_HISTORY:
        return False
    median = _median_of_sorted(ordered)
    if value == median:
        return False  # no deviation: not an outlier by any of the measures below
    if threshold > 0 and _mad_at_least(
        ordered, median, MAD_SCALE * abs(value - median) / threshold
    ):
        return False  # the usual value: its MAD is wide enough, so no need to find it
    split = bisect_left(ordered, median)
    if n <= SORT_DEVIATIONS_UP_TO:
        mad = _median_of_sorted(sorted([abs(x - median) for x in ordered]))
    else:
        half = n // 2
        mad = _kth_deviation(ordered, median, split, half)
        if not n % 2:
            mad = (_kth_deviation(ordered, median, split, half - 1) + mad) / 2
    if mad > 0:
        return abs(MAD_SCALE * (value - median) / mad) > threshold
    # The mean deviation in ascending order, as the textbook sums it; the values equal to
    # the median (over half of them here) add nothing, so they are skipped.
    below = sum(median - x for x in islice(ordered, split))
    same_end = bisect_right(ordered, median, split)
    mean_ad = sum((x - median for x in islice(ordered, same_end, None)), below) / n
    if mean_ad > 0:
        return abs((value - median) / (MEAN_AD_SCALE * mean_ad)) > threshold
    return abs(value - median) > FLAT_HISTORY_JUMP * max(abs(median), 1.0)


def _mad_at_least(ordered: Sequence[float], median: float, bound: float) -> bool:
    """Whether the MAD is surely at least ``bound``: fewer than half the values lie closer
    to the median than a hair over it, which two bisections count. The hair (a billionth)
    covers rounding; a bound within rounding of the median itself answers False."""
    wider = bound * (1 + 1e-9)
    if not wider > abs(median) * 1e-6:
        return False
    closer = bisect_left(ordered, median + wider) - bisect_right(ordered, median - wider)
    n = len(ordered)
    return closer <= (n // 2 if n % 2 else n // 2 - 1)


def _median_of_sorted(ordered: Sequence[float]) -> float:
    """As ``statistics.median`` of values already in ascending order."""
    half = len(ordered) // 2
    return ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2


def _kth_deviation(ordered: Sequence[float], median: float, split: int, k: int) -> float:
    """The k-th smallest (from 0) of the deviations from ``median``: two ascending runs,
    ``median - ordered[split - 1 - j]`` below it and ``ordered[split + j] - median`` at or
    over it, searched by bisecting how many of the k + 1 smallest come from below."""
    above = len(ordered) - split
    low, high = max(0, k + 1 - above), min(k + 1, split)
    while low < high:
        taken = (low + high) // 2
        if median - ordered[split - 1 - taken] < ordered[split + k - taken] - median:
            low = taken + 1
        else:
            high = taken
    found = median - ordered[split - low] if low > 0 else -math.inf
    return max(found, ordered[split + k - low] - median) if k >= low else found


def outlier_problems(
    frame: pd.DataFrame,
    parsed: Sequence[ParsedWorkbook],
    accepted: Sequence[bool],
    history: Sequence[ValueInForce] | None,
    catalog: Catalog,
) -> list[tuple[int, Problem]]:
    """``outlier`` for values far from the same agency × district × indicator's past.

    The past is every earlier period of the same type: what the warehouse holds in force,
    overridden by accepted files earlier in this batch, so one batch and several smaller
    ones judge a file against the same history. Agencies share no past, so a large batch
    is judged in two halves of its agencies at once, one in a forked process.
    """
    parts = frame[(frame["role"] != "total") & frame["value"].notna()]
    if parts.empty:
        return []
    columns = ("file_index", "district_code", "indicator_code", "value", "sheet", "cell")
    rows = zip(*(parts[c].tolist() for c in columns), strict=True)
    by_file: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        by_file[row[0]].append(row)
    judged = [i for i in sorted(by_file) if parsed[i].agency_code and parsed[i].period_code]
    batch = _Judged(by_file, parsed, accepted, _history_index(history), catalog)
    if len(parts) < PARALLEL_OUTLIERS_FROM or (os.cpu_count() or 1) < 2:
        return batch.problems(judged)
    mine, theirs = _halves(judged, by_file, parsed)
    global _FORKED
    _FORKED = batch
    try:
        with ProcessPoolExecutor(1, mp_context=get_context("fork")) as pool:
            found = pool.submit(_judge_in_worker, theirs)
            return list(heapq.merge(batch.problems(mine), found.result(), key=itemgetter(0)))
    finally:
        _FORKED = None


PARALLEL_OUTLIERS_FROM = 200_000  # value cells (4,000 files); below this the fork costs as much
_FORKED: "_Judged | None" = None  # the batch a forked worker judges its half of


def _judge_in_worker(files: list[int]) -> list[tuple[int, Problem]]:
    assert _FORKED is not None  # set before the fork
    return _FORKED.problems(files)


def _halves(
    files: list[int], by_file: dict[int, list[tuple]], parsed: Sequence[ParsedWorkbook]
) -> tuple[list[int], list[int]]:
    """The files split by agency into two halves of about as many cells, in file order."""
    cells: dict[str, int] = defaultdict(int)
    for index in files:
        cells[parsed[index].agency_code or ""] += len(by_file[index])
    loads, halves = [0, 0], (set[str](), set[str]())
    for agency in sorted(cells, key=lambda a: (-cells[a], a)):
        lighter = loads.index(min(loads))
        loads[lighter] += cells[agency]
        halves[lighter].add(agency)
    first = [i for i in files if parsed[i].agency_code in halves[0]]
    return first, [i for i in files if parsed[i].agency_code in halves[1]]


@dataclass
class _Judged:
    """A batch's value cells by file, and the past they are judged against."""

    by_file: dict[int, list[tuple]]
    parsed: Sequence[ParsedWorkbook]
    accepted: Sequence[bool]
    known: dict
    catalog: Catalog

    def problems(self, files: list[int]) -> list[tuple[int, Problem]]:
        """The outliers of ``files`` (in file order), each accepted one then joining the
        past of the files after it."""
        catalog, known = self.catalog, self.known
        ordered = _OrderedPasts(known)
        mergers = _mergers(catalog)
        names = {d.code: d.label for d in catalog.districts}
        problems = []
        for file_index in files:
            workbook = self.parsed[file_index]
            assert workbook.agency_code and workbook.period_code  # only such files are judged
            period = parse_period(workbook.period_code)
            for _, district, code, value, sheet, cell in self.by_file[file_index]:
                key = (workbook.agency_code, district, code, period.period_type)
                indicator = catalog.indicators.get(code)
                if indicator is None:
                    continue
                merged = mergers.get(district)
                if merged and period.start_date >= merged[0]:
                    past = sorted(_merged_past(known, merged, key, period))
                else:
                    past = ordered.before(key, period.start_date)
                if is_outlier_sorted(value, past, indicator.outlier_threshold):
                    message = _outlier_message(
                        indicator.name,
                        names.get(district, district),
                        cell,
                        value,
                        statistics.median(past),
                    )
                    problem = Problem(WARNING, "outlier", message, sheet, cell, code, district)
                    problems.append((file_index, problem))
            if self.accepted[file_index]:
                for _, district, code, value, _, _ in self.by_file[file_index]:
                    key = (workbook.agency_code, district, code, period.period_type)
                    ordered.put(key, period.start_date, value)
        return problems


class _OrderedPasts:
    """Each unit's values in period order and in ascending order, kept as files are taken.

    Sorting every cell's past each time cost most of validating a warehouse with hundreds
    of periods. The ascending values leave out the latest period's until a later period
    needs it, so that a new period and a correction of the latest (the usual cases) find
    their past ready; an earlier period's past is sorted from its slice of the values in
    period order, in C.
    """

    def __init__(self, known: dict) -> None:
        self._known = known
        self._units: dict[tuple, _OrderedUnit] = {}

    def before(self, key: tuple, start: date) -> list[float]:
        """The unit's values of the periods before ``start``, ascending."""
        unit = self._units.get(key)
        if unit is None:
            values = self._known.get(key)
            if not values:
                return []
            starts = sorted(values)
            in_order = [values[s] for s in starts]
            unit = self._units[key] = _OrderedUnit(starts, in_order, sorted(in_order[:-1]))
        latest = unit.starts[-1]
        if start < latest:
            return sorted(unit.values[: bisect_left(unit.starts, start)])
        unit.include_latest(start > latest)
        return unit.ordered

    def put(self, key: tuple, start: date, value: float) -> None:
        """Record the unit's value for the period beginning ``start``."""
        self._known[key][start] = value
        unit = self._units.get(key)
        if unit is not None:
            unit.put(start, value)


@dataclass
class _OrderedUnit:
    """One unit's past: ``starts`` and ``values`` in period order; ``ordered`` holds every
    value but the latest period's, ascending, and that one too when ``included``."""

    starts: list[date]
    values: list[float]
    ordered: list[float]
    included: bool = False

    def include_latest(self, wanted: bool) -> None:
        if wanted and not self.included:
            insort(self.ordered, self.values[-1])
        elif self.included and not wanted:
            del self.ordered[bisect_left(self.ordered, self.values[-1])]
        self.included = wanted

    def put(self, start: date, value: float) -> None:
        at = bisect_left(self.starts, start)
        if at == len(self.starts):  # a new latest period: the latest so far joins the past
            self.include_latest(True)
            self.starts.append(start)
            self.values.append(value)
            self.included = False
        elif self.starts[at] == start:  # a correction: its old value leaves
            if at < len(self.starts) - 1 or self.included:
                del self.ordered[bisect_left(self.ordered, self.values[at])]
                insort(self.ordered, value)
            self.values[at] = value
        else:  # a period before the latest, new to the unit
            self.starts.insert(at, start)
            self.values.insert(at, value)
            insort(self.ordered, value)


def _mergers(catalog: Catalog) -> dict[str, tuple[date, list[str]]]:
    """Units that took over others (``district_crosswalk.csv``): code -> (from, parts)."""
    mergers: dict[str, tuple[date, list[str]]] = {}
    for row in catalog.crosswalk:
        since = date.fromisoformat(row["to_valid_from"])
        mergers.setdefault(row["to_code"], (since, []))[1].append(row["from_code"])
    return mergers


def _merged_past(
    known: dict, merged: tuple[date, list[str]], key: tuple, period: Period
) -> list[float]:
    """The past of a unit that took over others (thành phố Hoa Lư from 2025: the old 369
    and 374), for a period since then: before it, the sum of theirs, so a merged unit is
    not an outlier against one of its parts."""
    agency, _, code, period_type = key
    since, parts = merged
    summed: dict[date, float] = defaultdict(float)
    for part in parts:
        for start, value in known[(agency, part, code, period_type)].items():
            if start < since:
                summed[start] += value
    for start, value in known[key].items():
        if start >= since:
            summed[start] = value
    return [v for start, v in summed.items() if start < period.start_date]


def _history_index(history: Sequence[ValueInForce] | None) -> dict:
    """(agency, district, indicator, period type) -> {period start: value}."""
    known: dict = defaultdict(dict)
    periods: dict[str, Period] = {}  # a few periods, over many rows
    for agency, district, code, period_code, value in history or ():
        period = periods.get(period_code)
        if period is None:
            period = periods[period_code] = parse_period(period_code)
        known[(agency, district, code, period.period_type)][period.start_date] = float(value)
    return known


def _outlier_message(name: str, place: str, cell: str, value: float, median: float) -> str:
    return (
        f"Ô {cell}: {name} ở {place} là {vn_number(value, 2)}, khác xa các kỳ trước (trung vị "
        f"{vn_number(median, 2)}). Hãy kiểm tra lại số liệu; nếu đúng, ghi lý do vào cột Ghi chú."
    )
