"""Generate the bundled sample inbox deterministically.

The 2019S1 values add up exactly to what the provincial committee published
(reference-data.md); earlier halves follow each cell's own smooth trend, so no value
is an outlier against its history. Every value satisfies the catalogue's rules. The
inbox also carries the defects a real one has: a rejected file and its correction, an
exact duplicate, a revision and a late file. Each file's mtime is its "received at"
time, which is how the pipeline orders and dates arrivals.
"""

from __future__ import annotations

import os
import random
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from orchestration.sample.layouts import sample_layout, strip_diacritics
from orchestration.sample.recent import COMMUNE_HALVES, RECENT_HALVES, long_layout, recent_values
from orchestration.sample.tasks import (
    COMMON_TASKS,
    GENERAL_TASKS,
    REGISTERED_TASKS,
    UNFINISHED_NOTES,
)
from reference.catalog import Agency, Catalog, District, load_catalog
from reference.periods import Period, parse_period
from workbooks.writing.writer import (
    IndicatorRow,
    SubmissionLayout,
    TaskRow,
    build_workbook,
    workbook_bytes,
)

SEED = "chitieu-sample-v1"
HALVES = ("2017S1", "2017S2", "2018S1", "2018S2", "2019S1")
SAMPLE_HALVES = (
    HALVES + RECENT_HALVES
)  # every half the sample holds (orchestration/sample/recent.py)
VIETNAM = timezone(timedelta(hours=7))
FOOTER_PLACE = "Ninh Bình"

# What the committee published for 2019S1 (reference-data.md); money in tenths of a
# million VND. QP_DIEN_TAP, KT_MO_HINH and PT_DAN_VAN_KHEO were not published.
TOTALS_2019S1 = {
    "TT_HOI_NGHI": 163,
    "TT_LUOT_NGUOI": 44_870,
    "QP_NHAP_NGU": 1_600,
    "QP_DIEN_TAP": 9,
    "NTM_XA": 12,
    "NTM_HUYEN": 1,
    "KT_MO_HINH": 46,
    "KHKT_BUOI": 795,
    "KHKT_LUOT_NGUOI": 62_000,
    "ASXH_NHA": 210,
    "ASXH_NHA_KINH_PHI": 72_365,
    "ASXH_QUA": 20_115,
    "ASXH_QUA_GIA_TRI": 51_486,
    "PT_DAN_VAN_KHEO": 58,
}
# Indicators split in proportion to a base count times a per-cell rate
# (people per conference, million VND per house or per gift, in tenths for money).
DERIVED = {
    "TT_LUOT_NGUOI": ("TT_HOI_NGHI", 150.0, 400.0),
    "KHKT_LUOT_NGUOI": ("KHKT_BUOI", 50.0, 110.0),
    "ASXH_NHA_KINH_PHI": ("ASXH_NHA", 200.0, 500.0),
    "ASXH_QUA_GIA_TRI": ("ASXH_QUA", 2.0, 3.2),
}
PROVINCE_LEVEL = ("TT_HOI_NGHI", "ASXH_QUA", "PT_DAN_VAN_KHEO")  # may have a Cấp tỉnh part
HELPED_DISTRICT = "373"  # Gia Viễn: the district helped to the new-countryside standard
FIXED_CELLS = {"NTM_HUYEN": HELPED_DISTRICT}
FLAT_BELOW = 20  # below, a trend step of one would exceed 5% a half
# Offsets of 2017S1..2018S2 from the 2019S1 value for small counts: with any prefix,
# the whole series or all but one value as history, each value keeps a modified
# z-score (median/MAD) of at most 3.5, and a history whose MAD is 0 is followed by its
# median. Found by enumerating {-1, 0, 1}^4.
SMALL_PATTERNS = (
    (-1, 0, 1, -1),
    (-1, 0, 1, 1),
    (-1, 1, 0, -1),
    (-1, 1, 0, 1),
    (0, -1, 1, -1),
    (0, -1, 1, 1),
    (0, 1, -1, -1),
    (0, 1, -1, 1),
    (1, -1, 0, -1),
    (1, -1, 0, 1),
    (1, 0, -1, -1),
    (1, 0, -1, 1),
)

# The inbox's defects: (agency, half) of each.
REJECTED = ("TD", "2019S1", "QP_NHAP_NGU")  # a district cell typed as "khoảng 40"
REVISED = ("MTTQ", "2018S2", HELPED_DISTRICT)  # Gia Viễn corrected a few days later
REVISED_INDICATORS = ("TT_LUOT_NGUOI", "ASXH_QUA", "ASXH_QUA_GIA_TRI")
DUPLICATED = ("CA", "2018S1")
LATE = ("HCCB", "2018S1", 15)  # days after the period end
BILLIONS_CANDIDATES = ("LDLD", "BDBP", "HCCB", "HLHPN", "HND", "CA", "BCHQS")

Cell = tuple[str, str]  # (indicator code, district code or the province member's code)
Values = dict[Cell, int]  # money in tenths of a million VND


@dataclass
class PlannedFile:
    """One workbook of the inbox, before it is written."""

    file_name: str
    agency: str
    half: str
    received_at: datetime
    values: Values
    tasks: list[TaskRow]
    layout: SubmissionLayout
    overrides: dict[Cell, str] = field(default_factory=dict)  # cell -> text written instead
    billions: bool = False  # money rows in "tỷ đồng"
    copy_of: str | None = None  # a duplicate: same bytes as that file
    notes: dict[str, str] = field(default_factory=dict)  # indicator -> Ghi chú


# --- splitting ------------------------------------------------------------------


def split_total(total: int, weights: dict, rng: random.Random | None = None) -> dict:
    """Split an integer total in proportion to weights, exactly (largest remainder)."""
    positive = {k: w for k, w in weights.items() if w > 0}
    result = dict.fromkeys(weights, 0)
    if not positive:
        return result
    scale = total / sum(positive.values())
    exact = {k: w * scale for k, w in positive.items()}
    for k, x in exact.items():
        result[k] = int(x)
    left = total - sum(result.values())
    order = sorted(positive, key=lambda k: (exact[k] - int(exact[k]), str(k)), reverse=True)
    for k in order[:left]:
        result[k] += 1
    return result


def _series(rng: random.Random, value: int) -> list[int]:
    """Five half-year values ending in ``value``, none an outlier against the others.

    Large values follow an even trend of at most 20%; small ones move by one along a
    pattern whose median/MAD z-score stays low against any prefix; 0 and 1 stay flat.
    """
    if value < 2:
        return [value] * len(HALVES)
    if value < FLAT_BELOW:
        return [value + offset for offset in rng.choice(SMALL_PATTERNS)] + [value]
    step = max(1, round(value * rng.uniform(0.025, 0.05)))
    sign = rng.choice((1, -1))
    last = len(HALVES) - 1
    return [value - sign * step * (last - t) for t in range(len(HALVES))]


# --- values ---------------------------------------------------------------------


def _cell_plan(
    rng: random.Random, agency: str, indicator: str, districts: list[str], province: str | None
) -> dict[str, bool]:
    """Cells an agency fills for a base indicator: True = a value, False = a zero ("-")."""
    if indicator in FIXED_CELLS:
        return {FIXED_CELLS[indicator]: True}
    plan: dict[str, bool] = {}
    for code in districts:
        r = rng.random()
        if r >= 0.12:  # below: left empty, not reported
            plan[code] = r >= 0.2
    if province and indicator in PROVINCE_LEVEL:
        plan[province] = True
    if (agency, indicator) in {(REVISED[0], "TT_HOI_NGHI"), (REVISED[0], "ASXH_QUA")}:
        plan[REVISED[2]] = True
    for code in districts:
        if sum(plan.values()) >= 4:
            break
        plan[code] = True
    return plan


def _values_2019(catalog: Catalog, rng: random.Random) -> dict[str, Values]:
    """Per agency, the 2019S1 values adding up to the published totals."""
    districts = [d.code for d in catalog.districts_for(parse_period(HALVES[-1]))]
    province = catalog.province_member().code
    values: dict[str, Values] = defaultdict(dict)
    reporting = {
        ind: [a for a in catalog.agencies if ind in catalog.expected_indicators.get(a, [])]
        for ind in catalog.indicators
    }
    with_province = {a: rng.random() < 0.5 for a in catalog.agencies}
    for ind in catalog.indicators:
        if ind in DERIVED or not reporting[ind]:
            continue
        shares = split_total(TOTALS_2019S1[ind], {a: rng.uniform(0.5, 1.5) for a in reporting[ind]})
        for agency in reporting[ind]:
            plan = _cell_plan(
                rng, agency, ind, districts, province if with_province[agency] else None
            )
            weights = {c: rng.uniform(0.3, 1.7) if filled else 0.0 for c, filled in plan.items()}
            for cell, value in split_total(shares[agency], weights).items():
                values[agency][ind, cell] = value
    for ind, (base, low, high) in DERIVED.items():
        derived_weights = {
            (agency, cell): value * rng.uniform(low, high)
            for agency, cells in values.items()
            for (code, cell), value in cells.items()
            if code == base
        }
        for (agency, cell), value in split_total(TOTALS_2019S1[ind], derived_weights).items():
            values[agency][ind, cell] = value
    return values


def _history(catalog: Catalog, rng: random.Random, latest: dict[str, Values]) -> dict:
    """Values per half and agency: each cell on its own trend; money follows its count."""
    money_base = {ind: base for ind, (base, _, _) in DERIVED.items()}
    money = {c for c, i in catalog.indicators.items() if i.value_kind == "money"}
    by_half: dict[str, dict[str, Values]] = {h: defaultdict(dict) for h in HALVES}
    for agency, cells in sorted(latest.items()):
        series = {
            cell: _series(rng, v) for cell, v in sorted(cells.items()) if cell[0] not in money
        }
        for (ind, district), value in sorted(cells.items()):
            if ind in money:
                counts = series[money_base[ind], district]
                series[ind, district] = [_money_for(count, counts[-1], value) for count in counts]
        for cell, values in series.items():
            for half, value in zip(HALVES, values, strict=True):
                by_half[half][agency][cell] = value
    return by_half


def _money_for(count: int, latest_count: int, latest_money: int) -> int:
    """Money (tenths) at the latest price per unit; positive whenever the count is."""
    if latest_count == 0:
        return latest_money
    return max(round(count * latest_money / latest_count), 1 if count else 0)


def check_rules(catalog: Catalog, values: Values) -> list[str]:
    """Cross-indicator rules per district of one agency's half; returns what fails."""
    money = {c for c, i in catalog.indicators.items() if i.value_kind == "money"}
    real = {cell: v / 10 if cell[0] in money else v for cell, v in values.items()}
    failures = []
    for district in sorted({cell[1] for cell in real}):
        for rule in catalog.rules:
            left, right = real.get((rule.left, district)), real.get((rule.right, district))
            if left is None or right is None:
                continue
            ok = {
                ">=": left >= rule.right_factor * right,
                "<=": left <= rule.right_factor * right,
            }.get(rule.operator, not left > 0 or right > 0)
            if not ok:
                failures.append(f"{rule.rule_id} {district}")
    return failures


# --- tasks ----------------------------------------------------------------------

RESULTS = ("Hoàn thành", "Đang thực hiện", "Chưa thực hiện")


def _task_counts(catalog: Catalog, rng: random.Random) -> dict[tuple[str, str], tuple[int, int]]:
    """(tasks, completed) per (agency, half); 2019S1 gives the published 6/9 and 24/37."""
    counts = {}
    members = [a for a, agency in catalog.agencies.items() if not agency.is_standing]
    for half in HALVES[:-1]:
        for code, agency in catalog.agencies.items():
            n = rng.randint(7, 10) if agency.is_standing else rng.randint(3, 5)
            counts[code, half] = (n, round(n * rng.uniform(0.5, 0.85)))
    standing = next(a for a, agency in catalog.agencies.items() if agency.is_standing)
    counts[standing, HALVES[-1]] = (9, 6)
    sizes = split_total(37, dict.fromkeys(members, 1.0))
    done = split_total(24, {a: float(n) for a, n in sizes.items()})
    for member in members:
        counts[member, HALVES[-1]] = (sizes[member], done[member])
    return counts


def _tasks(
    rng: random.Random, agency: Agency, period: Period, n: int, completed: int
) -> list[TaskRow]:
    kind = "Chung" if agency.is_standing else "Đăng ký"
    pool = COMMON_TASKS if agency.is_standing else REGISTERED_TASKS.get(agency.code, ())
    texts = rng.sample(list(pool) + ([] if agency.is_standing else list(GENERAL_TASKS)), n)
    results = [RESULTS[0]] * completed + [rng.choice(RESULTS[1:]) for _ in range(n - completed)]
    rng.shuffle(results)
    rows = []
    for text, result in zip(texts, results, strict=True):
        month = rng.randint(period.start_date.month, period.end_date.month)
        deadline = (
            parse_period(f"{period.year}{month:02d}").end_date if rng.random() < 0.6 else None
        )
        lead = rng.choice((agency.name, agency.short_name, None))
        note = rng.choice(UNFINISHED_NOTES) if result != RESULTS[0] and rng.random() < 0.4 else None
        rows.append(TaskRow(text, kind, result, lead, deadline, note))
    return rows


# --- layouts --------------------------------------------------------------------


def _agency_text(rng: random.Random, agency: Agency) -> str:
    forms = (
        agency.name,
        agency.code,
        agency.name.upper(),
        strip_diacritics(agency.name),
        unicodedata.normalize("NFD", agency.name),
        agency.short_name,
    )
    return rng.choice(forms)


def _period_text(rng: random.Random, period: Period) -> str:
    label = period.label_vi
    forms = [
        label,
        label,
        label.upper(),
        strip_diacritics(label),
        unicodedata.normalize("NFD", label),
    ]
    if period.start_date.month == 1:
        forms.append(label.replace(" đầu", ""))  # "6 tháng năm 2019" means the first half
    return rng.choice(forms)


def _layout(
    rng: random.Random,
    agency: Agency,
    period: Period,
    districts: list[District],
    report_date: date,
    two_rows: bool,
    with_province: bool,
) -> SubmissionLayout:
    styles = ("plain", "plain", "prefixed", "abbreviated", "upper", "no_diacritics", "nfd")
    return sample_layout(
        agency_text=_agency_text(rng, agency),
        period_text=_period_text(rng, period),
        districts=districts,
        report_date=report_date,
        report_date_as_text=rng.random() < 0.3,
        email=f"{agency.code.lower()}.ninhbinh@example.com" if rng.random() < 0.6 else None,
        two_row_header=two_rows,
        metadata_in_one_cell=rng.random() < 0.4,
        district_header_style=rng.choice(styles),
        include_province=with_province or rng.random() < 0.2,
        total_first=rng.random() < 0.25,
        section_rows=rng.random() < 0.4,
        title_rows=rng.random() < 0.5,
        footer_place=FOOTER_PLACE if rng.random() < 0.5 else None,
        instructions=rng.choice((None, None, None, "before", "after")),
        indicator_sheet=rng.choice(("Chỉ tiêu", "Sheet1", "Biểu 01", "Bao cao", "Số liệu")),
        task_sheet=rng.choice(("Nhiệm vụ", "Sheet2", "Biểu 02", "Nhiem vu")),
        name_header=rng.choice(("Tên chỉ tiêu", "Tên chỉ tiêu", "Chỉ tiêu", "Nội dung")),
        unit_header=rng.choice(("Đơn vị tính", "ĐVT")),
        total_header=rng.choice(("Tổng cộng", "Tổng cộng", "Tổng số", "Toàn tỉnh", "Tổng")),
        total_formula=rng.random() < 0.6,
        values_as_text=rng.random() < 0.25,
        zero_as_dash=rng.random() < 0.6,
    )


def _received(rng: random.Random, period: Period, days: int | None = None) -> datetime:
    """A working-hours arrival ``days`` (default 1 to 8) after the period ends."""
    day = period.end_date + timedelta(days=days if days is not None else rng.randint(1, 8))
    moment = time(rng.randint(7, 16), rng.randint(0, 59), rng.randint(0, 59))
    return datetime.combine(day, moment, VIETNAM)


# --- rows -----------------------------------------------------------------------


def indicator_rows(catalog: Catalog, planned: PlannedFile) -> list[IndicatorRow]:
    """The agency's expected indicators in catalogue order, values in the written unit."""
    province = catalog.province_member().code
    codes = sorted(
        catalog.expected_indicators[planned.agency], key=lambda c: catalog.indicators[c].sort_order
    )
    rows = []
    for code in codes:
        ind = catalog.indicators[code]
        divisor, unit = 1, ind.unit
        if ind.value_kind == "money":
            divisor = 10_000 if planned.billions else 10  # tenths of a million -> written unit
            unit = "tỷ đồng" if planned.billions else unit
        cells: dict[str, int | float | str] = {}
        for (ind_code, cell), value in planned.values.items():
            if ind_code == code:
                cells[cell] = value / divisor if divisor != 1 else value
        total = None
        for (ind_code, cell), text in planned.overrides.items():
            if ind_code == code:
                total = sum(v for v in cells.values() if isinstance(v, int | float))
                cells[cell] = text
        rows.append(
            IndicatorRow(
                code,
                ind.name,
                unit,
                {c: v for c, v in cells.items() if c != province},
                cells.get(province),
                note=planned.notes.get(code),
                group=ind.group,
                total=total,
            )
        )
    return rows


def _round_trips_in_billions(values: Values, catalog: Catalog) -> bool:
    """True when every money value survives /1000 then *1000 exactly, as a reader does."""
    money = {c for c, i in catalog.indicators.items() if i.value_kind == "money"}
    tenths = [v for (ind, _), v in values.items() if ind in money]
    return bool(tenths) and all(v / 10_000 * 1000 == v / 10 for v in tenths)


# --- the inbox ------------------------------------------------------------------


def plan_sample(catalog: Catalog | None = None) -> list[PlannedFile]:
    """Every file of the inbox with its values and layout, in received order."""
    catalog = catalog or load_catalog()
    values_rng = random.Random(f"{SEED}/values")
    latest = _values_2019(catalog, values_rng)
    by_half = _history(catalog, values_rng, latest)
    task_counts = _task_counts(catalog, random.Random(f"{SEED}/tasks"))
    province = catalog.province_member().code
    layouts_rng = random.Random(f"{SEED}/layouts")
    n_files = len(HALVES) * len(catalog.agencies)
    two_rows = [i % 2 == 0 for i in range(n_files)]
    layouts_rng.shuffle(two_rows)
    files: list[PlannedFile] = []
    for half in HALVES:
        period = parse_period(half)
        districts = catalog.districts_for(period)
        for code, agency in catalog.agencies.items():
            rng = random.Random(f"{SEED}/{half}/{code}")
            values = dict(by_half[half][code])
            received = _received(rng, period)
            report_date = received.date() - timedelta(days=rng.randint(0, 1))
            has_province = any(cell == province for _, cell in values)
            layout = _layout(
                rng, agency, period, districts, report_date, two_rows.pop(), has_province
            )
            n, done = task_counts[code, half]
            tasks = _tasks(rng, agency, period, n, done)
            files.append(
                PlannedFile(f"{half}_{code}.xlsx", code, half, received, values, tasks, layout)
            )
    files = _add_defects(catalog, files, by_half)
    files += _recent_files(catalog, latest)
    return sorted(files, key=lambda f: (f.received_at, f.file_name))


def _recent_files(catalog: Catalog, latest: dict[str, Values]) -> list[PlannedFile]:
    """One file per agency for 2025S1 (wide, by district), 2025S2 and 2026S1 (long)."""
    by_half = recent_values(catalog, SEED, latest, DERIVED, FLAT_BELOW)
    province = catalog.province_member().code
    files = []
    for half in RECENT_HALVES:
        period = parse_period(half)
        districts = catalog.districts_for(period)
        for code, agency in catalog.agencies.items():
            rng = random.Random(f"{SEED}/{half}/{code}")
            values = by_half[half][code]
            received = _received(rng, period)
            report_date = received.date() - timedelta(days=rng.randint(0, 1))
            has_province = any(cell == province for _, cell in values)
            layout = _layout(
                rng, agency, period, districts, report_date, rng.random() < 0.5, has_province
            )
            if half in COMMUNE_HALVES:
                layout = long_layout(rng, layout)
            n = rng.randint(7, 10) if agency.is_standing else rng.randint(3, 5)
            tasks = _tasks(rng, agency, period, n, round(n * rng.uniform(0.5, 0.85)))
            files.append(
                PlannedFile(f"{half}_{code}.xlsx", code, half, received, values, tasks, layout)
            )
    return files


def _find(files: list[PlannedFile], agency: str, half: str) -> PlannedFile:
    return next(f for f in files if f.agency == agency and f.half == half and f.copy_of is None)


def _at(planned: PlannedFile, days: int) -> tuple[datetime, date]:
    """Received time ``days`` after the period end, and a matching report date."""
    end = parse_period(planned.half).end_date
    received = datetime.combine(end + timedelta(days=days), planned.received_at.timetz())
    return received, received.date()


def _add_defects(catalog: Catalog, files: list[PlannedFile], by_half: dict) -> list[PlannedFile]:
    """The rejected file and its correction, the duplicate, the revision, the late file."""
    # (a) rejected: one cell typed as an estimate; corrected four days later.
    agency, half, indicator = REJECTED
    good = _find(files, agency, half)
    cell = max((c for c in good.values if c[0] == indicator), key=lambda c: good.values[c])
    good.received_at, day = _at(good, 6)
    good.layout = replace(good.layout, report_date=day)
    good.file_name = f"{half}_{agency}_bosung.xlsx"
    bad_at, bad_day = _at(good, 2)
    bad = replace(good, file_name=f"{half}_{agency}.xlsx", received_at=bad_at)
    bad.layout = replace(good.layout, report_date=bad_day)
    bad.overrides = {cell: f"khoảng {round(good.values[cell], -1)}"}
    good.notes = {indicator: "Sửa lại số liệu"}
    # (b) duplicate: the same bytes sent again under another name.
    agency, half = DUPLICATED
    original = _find(files, agency, half)
    original.received_at, _ = _at(original, 3)
    copy_at, _ = _at(original, 8)
    copy = replace(original, file_name=f"{half}_{agency}_gui_lai.xlsx", received_at=copy_at)
    copy.copy_of = original.file_name
    # (c) revision: the first version had Gia Viễn's 2017S2 figures; corrected later.
    agency, half, district = REVISED
    corrected = _find(files, agency, half)
    corrected.received_at, day = _at(corrected, 7)
    corrected.layout = replace(corrected.layout, report_date=day)
    corrected.file_name = f"{half}_{agency}_dieu_chinh.xlsx"
    first_at, first_day = _at(corrected, 2)
    first = replace(corrected, file_name=f"{half}_{agency}.xlsx", received_at=first_at)
    first.layout = replace(corrected.layout, report_date=first_day)
    first.values = dict(corrected.values)
    earlier = by_half[HALVES[HALVES.index(half) - 2]][agency]
    for ind in REVISED_INDICATORS:
        first.values[ind, district] = earlier[ind, district]
    assert first.values != corrected.values, "the revision must change a value"
    name = next(d.name for d in catalog.districts if d.code == district)
    corrected.notes = {ind: f"Điều chỉnh số liệu {name}" for ind in REVISED_INDICATORS}
    # (d) late: received well after the deadline.
    agency, half, days = LATE
    late = _find(files, agency, half)
    late.received_at, day = _at(late, days)
    late.layout = replace(late.layout, report_date=day - timedelta(days=1))
    # (e) one workbook with money in billions of VND.
    for agency in BILLIONS_CANDIDATES:
        planned = _find(files, agency, HALVES[-1])
        if _round_trips_in_billions(planned.values, catalog):
            planned.billions = True
            break
    return [*files, bad, copy, first]


def _check(catalog: Catalog, files: list[PlannedFile]) -> None:
    for planned in files:
        failures = check_rules(catalog, planned.values)
        if failures:
            raise AssertionError(f"{planned.file_name}: rules fail: {failures}")


def generate_sample(folder: Path) -> list[Path]:
    """Write the sample inbox to ``folder``; return the paths in received order."""
    catalog = load_catalog()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = plan_sample(catalog)
    _check(catalog, files)
    written: dict[str, bytes] = {}
    paths = []
    for planned in files:
        if planned.copy_of is not None:
            data = written[planned.copy_of]
        else:
            wb = build_workbook(indicator_rows(catalog, planned), planned.tasks, planned.layout)
            saved_at = planned.received_at.replace(tzinfo=None) - timedelta(hours=1)
            data = workbook_bytes(wb, saved_at)
        written[planned.file_name] = data
        path = folder / planned.file_name
        path.write_bytes(data)
        stamp = planned.received_at.timestamp()
        os.utime(path, (stamp, stamp))
        paths.append(path)
    return paths
