"""The bundled sample inbox gives what the committee published for 2019S1.

The files are read back with a small openpyxl reader of this test's own (the
project's reader is tested elsewhere), and checked against the literal figures of
reference-data.md, never against numbers taken from the generator.
"""

from __future__ import annotations

import hashlib
import os
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pytest

from orchestration.sample import generate_sample
from orchestration.sample.generate import HALVES, SAMPLE_HALVES
from orchestration.sample.recent import COMMUNE_HALVES, DISTRICT_HALF
from reference.catalog import Catalog, load_catalog
from reference.periods import parse_period
from reference.text import fold
from tests.robustness import sample_inbox

CATALOG: Catalog = load_catalog()
TOTAL_HEADERS = {"tong cong", "tong so", "toan tinh", "tong"}
FOOTERS = ("nguoi lap bieu", "thu truong don vi", "ghi chu:", "noi nhan")
SUM = re.compile(r"^=SUM\(([A-Z]+)(\d+):([A-Z]+)(\d+)\)$")
VN_NUMBER = re.compile(r"^\d{1,3}([. ]\d{3})*(,\d+)?$|^\d+(,\d+)?$")
VIETNAM = timezone(timedelta(hours=7))  # the sample's arrival times are local
PERIOD = re.compile(r"^6 thang (dau |cuoi )?nam (\d{4})$")
UNIT_NAME_HEADERS = {"xa, phuong", "don vi hanh chinh", "ten don vi"}  # the long layout


# --- a minimal reader, enough for the layouts the sample uses -----------------


class Unreadable(Exception):
    pass


@dataclass
class Read:
    path: Path
    received_at: datetime
    sha: str
    agency: str = ""
    period: str = ""
    two_rows: bool = False
    long: bool = False  # one row per unit, one column per indicator
    values: dict[tuple[str, str], float] = field(default_factory=dict)  # (indicator, district)
    totals_ok: bool = True
    errors: list[str] = field(default_factory=list)
    tasks: list[tuple[str, str]] = field(default_factory=list)  # (kind, result), folded


def _number(raw: object) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, int | float):
        return float(raw)
    text = str(raw).strip()
    if text in {"-", "–"}:
        return 0.0
    if not VN_NUMBER.match(text):
        raise Unreadable(text)
    return float(text.replace(".", "").replace(" ", "").replace(",", "."))


def _period_code(text: str) -> str:
    match = PERIOD.match(fold(text))
    assert match, text
    return f"{match[2]}S{2 if match[1] == 'cuoi ' else 1}"


def _metadata(ws, header_row: int) -> dict[str, object]:
    found = {}
    for row in ws.iter_rows(min_row=1, max_row=header_row - 1):
        cells = [c.value for c in row if c.value is not None]
        if not cells or not isinstance(cells[0], str):
            continue
        label, colon, rest = cells[0].partition(":")
        found[fold(label)] = rest.strip() if colon and rest.strip() else (cells[1:] or [None])[0]
    return found


def _cell_value(ws, row: int, col: int) -> float | None:
    raw = ws.cell(row, col).value
    match = SUM.match(raw) if isinstance(raw, str) else None
    if match:
        first = openpyxl.utils.column_index_from_string(match[1])
        last = openpyxl.utils.column_index_from_string(match[3])
        rows = range(int(match[2]), int(match[4]) + 1)  # one row (wide) or one column (long)
        parts = [_number(ws.cell(r, c).value) for r in rows for c in range(first, last + 1)]
        return sum(p for p in parts if p is not None)
    return _number(raw)


def _indicator_sheet(wb):
    """(sheet, header row, long layout?)."""
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=1, max_row=30):
            if any(fold(c.value) == "ma chi tieu" for c in row):
                return ws, row[0].row, False
            if any(fold(c.value) in UNIT_NAME_HEADERS for c in row):
                return ws, row[0].row, True
    raise AssertionError("no indicator sheet")


def _columns(ws, header: int, period) -> tuple[dict[str, int], dict[str, str], bool]:
    """Roles by column (code, unit, total) and district code by column number."""
    texts = {c.column: fold(c.value) for c in ws[header] if c.value is not None}
    two_rows = "chia theo huyen, thanh pho" in texts.values()
    if two_rows:
        texts.update({c.column: fold(c.value) for c in ws[header + 1] if c.value is not None})
    roles, districts = {}, {}
    for col, text in texts.items():
        if text == "ma chi tieu":
            roles["code"] = col
        elif text in {"don vi tinh", "dvt"}:
            roles["unit"] = col
        elif text in TOTAL_HEADERS:
            roles["total"] = col
        elif text == "cap tinh":
            districts[col] = CATALOG.province_member().code
        elif (match := CATALOG.match_district(text, period).district) is not None:
            districts[col] = match.code
    return roles, districts, two_rows


def _read_table(ws, header: int, read: Read) -> None:
    period = parse_period(read.period)
    roles, districts, read.two_rows = _columns(ws, header, period)
    province = CATALOG.province_member().code
    units = {d for d in districts.values() if d != province}
    assert units == {d.code for d in CATALOG.districts_for(period)}, read.path.name
    for r in range(header + (2 if read.two_rows else 1), ws.max_row + 1):
        first = next((c.value for c in ws[r] if c.value is not None), None)
        if first is None or fold(first).startswith(FOOTERS) or fold(first).startswith("ninh binh,"):
            continue
        code = ws.cell(r, roles["code"]).value
        if not code:
            continue  # a section heading
        indicator = CATALOG.indicators[code]
        factor = CATALOG.unit_factor(ws.cell(r, roles["unit"]).value, indicator)
        assert factor is not None, (read.path.name, r)
        parts = []
        for col, district in districts.items():
            try:
                value = _number(ws.cell(r, col).value)
            except Unreadable as error:
                read.errors.append(f"{ws.cell(r, col).coordinate}: {error}")
                continue
            if value is not None:
                read.values[code, district] = round(value * factor, 6)
                parts.append(value * factor)
        total = _cell_value(ws, r, roles["total"])
        if total is None or abs(total * factor - sum(parts)) > 0.5:
            read.totals_ok = False


def _read_long_table(ws, header: int, read: Read) -> None:
    """One row per unit; codes head the indicator columns; names and units may follow."""
    period = parse_period(read.period)
    texts = {c.column: fold(c.value) for c in ws[header] if c.value is not None}
    name_col = next(col for col, text in texts.items() if text in UNIT_NAME_HEADERS)
    code_col = next((col for col, text in texts.items() if text == "ma don vi"), None)
    indicators = {c.column: c.value for c in ws[header] if c.value in CATALOG.indicators}
    read.two_rows = ws.cell(header + 1, name_col).value is None
    first = header + (3 if read.two_rows else 1)
    factors = {}
    for col, code in indicators.items():
        unit = ws.cell(header + 2, col).value if read.two_rows else CATALOG.indicators[code].unit
        factors[col] = CATALOG.unit_factor(unit, CATALOG.indicators[code])
        assert factors[col] is not None, (read.path.name, col)
    parts: dict[int, float] = defaultdict(float)
    for r in range(first, ws.max_row + 1):
        name = ws.cell(r, name_col).value
        if name is None or fold(name).startswith(FOOTERS):
            continue
        if fold(name) in TOTAL_HEADERS:
            for col in indicators:
                total = _cell_value(ws, r, col)
                if total is None or abs(total * factors[col] - parts[col]) > 0.5:
                    read.totals_ok = False
            continue
        if fold(name) == "cap tinh":
            unit = CATALOG.province_member().code
        elif code_col is not None:
            unit = str(ws.cell(r, code_col).value)
        else:
            unit = CATALOG.match_district(name, period).district.code
        for col, code in indicators.items():
            value = _number(ws.cell(r, col).value)
            if value is not None:
                read.values[code, unit] = round(value * factors[col], 6)
                parts[col] += value * factors[col]


def _read_tasks(wb, read: Read) -> None:
    for ws in wb.worksheets:
        heads = {fold(c.value): c.column for c in ws[1] if c.value is not None}
        if "nhiem vu" in heads and "ket qua" in heads:
            for r in range(2, ws.max_row + 1):
                kind, result = ws.cell(r, heads["loai"]).value, ws.cell(r, heads["ket qua"]).value
                read.tasks.append((fold(kind), fold(result)))
            return


def read_file(path: Path) -> Read:
    data = path.read_bytes()
    read = Read(
        path,
        datetime.fromtimestamp(path.stat().st_mtime, VIETNAM),
        hashlib.sha256(data).hexdigest(),
    )
    wb = openpyxl.load_workbook(path)
    ws, header, read.long = _indicator_sheet(wb)
    meta = _metadata(ws, header)
    read.period = _period_code(meta["ky bao cao"])
    agency = CATALOG.match_agency(meta["don vi bao cao"], parse_period(read.period).end_date)
    assert agency is not None, meta["don vi bao cao"]
    read.agency = agency.code
    (_read_long_table if read.long else _read_table)(ws, header, read)
    _read_tasks(wb, read)
    return read


# --- the inbox as the pipeline would see it ----------------------------------


@dataclass
class Inbox:
    files: list[Read]  # in received order
    duplicates: list[Read]
    rejected: list[Read]
    accepted: list[Read]  # every accepted file, superseded ones included
    in_force: dict[tuple[str, str], Read]


@pytest.fixture(scope="module")
def sample_dir() -> Path:
    """The sample as generated once per session (read it, never change it)."""
    return sample_inbox()


@pytest.fixture(scope="module")
def inbox(sample_dir: Path) -> Inbox:
    files = sorted(
        (read_file(p) for p in sample_dir.glob("*.xlsx")),
        key=lambda f: (f.received_at, f.path.name),
    )
    seen, duplicates, rejected, accepted, in_force = set(), [], [], [], {}
    for read in files:
        if read.sha in seen:
            duplicates.append(read)
            continue
        seen.add(read.sha)
        if read.errors:
            rejected.append(read)
            continue
        accepted.append(read)
        in_force[read.agency, read.period] = read
    return Inbox(files, duplicates, rejected, accepted, in_force)


def _totals(inbox: Inbox, period: str) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for (_, code), read in inbox.in_force.items():
        if code == period:
            for (indicator, _), value in read.values.items():
                totals[indicator] += value
    return totals


def test_2019s1_totals_are_the_published_ones(inbox: Inbox) -> None:
    totals = _totals(inbox, "2019S1")
    assert totals["TT_HOI_NGHI"] == 163
    assert 44_000 <= totals["TT_LUOT_NGUOI"] < 45_000
    assert totals["QP_NHAP_NGU"] == 1_600
    assert totals["NTM_HUYEN"] == 1
    assert totals["NTM_XA"] == 12
    assert totals["ASXH_NHA"] == 210
    assert 7_000 < round(totals["ASXH_NHA_KINH_PHI"], 1) < 7_500
    assert totals["KHKT_BUOI"] == 795
    assert totals["KHKT_LUOT_NGUOI"] == 62_000
    assert totals["ASXH_QUA"] == 20_115
    assert 5_100 < round(totals["ASXH_QUA_GIA_TRI"], 1) < 5_200


def test_new_countryside_district_is_gia_vien(inbox: Inbox) -> None:
    gia_vien = CATALOG.match_district("Gia Viễn", parse_period("2019S1")).district
    cells = [
        (district, value)
        for (_, period), read in inbox.in_force.items()
        if period == "2019S1"
        for (indicator, district), value in read.values.items()
        if indicator == "NTM_HUYEN" and value
    ]
    assert cells == [(gia_vien.code, 1)]


def test_2019s1_tasks(inbox: Inbox) -> None:
    counts: Counter = Counter()
    for (_, period), read in inbox.in_force.items():
        if period == "2019S1":
            for kind, result in read.tasks:
                counts[kind, "total"] += 1
                counts[kind, "done"] += result == "hoan thanh"
    assert (counts["chung", "done"], counts["chung", "total"]) == (6, 9)
    assert (counts["dang ky", "done"], counts["dang ky", "total"]) == (24, 37)


def test_every_agency_reports_every_half_its_expected_indicators(inbox: Inbox) -> None:
    assert set(inbox.in_force) == {(a, h) for a in CATALOG.agencies for h in SAMPLE_HALVES}
    assert {"2019S1", "2025S1", "2026S1"} <= set(SAMPLE_HALVES)
    for read in inbox.accepted:
        assert {code for code, _ in read.values} == set(CATALOG.expected_indicators[read.agency])
        assert read.totals_ok, read.path.name


def test_values_are_whole_counts_and_money_to_a_tenth(inbox: Inbox) -> None:
    for read in inbox.accepted:
        for (code, _), value in read.values.items():
            assert value >= 0
            if CATALOG.indicators[code].value_kind == "count":
                assert value == int(value), (read.path.name, code)
            else:
                assert abs(value * 10 - round(value * 10)) < 1e-6, (read.path.name, code)


def _rule_holds(operator: str, left: float, factor: float, right: float) -> bool:
    if operator == ">=":
        return left >= factor * right
    if operator == "<=":
        return left <= factor * right
    return not left > 0 or right > 0


def test_cross_indicator_rules_hold_per_agency_district(inbox: Inbox) -> None:
    for read in inbox.accepted:
        for district in {d for _, d in read.values}:
            for rule in CATALOG.rules:
                left = read.values.get((rule.left, district))
                right = read.values.get((rule.right, district))
                if left is not None and right is not None:
                    assert _rule_holds(rule.operator, left, rule.right_factor, right), (
                        read.path.name,
                        rule.rule_id,
                        district,
                    )


def _cells_before(cell: tuple[str, str], now: date, then: date) -> list[tuple[str, str]]:
    """The cells that ``cell`` (indicator, district) was made of at ``then``: a unit that
    took over others (``district_crosswalk.csv``) is the sum of theirs before."""
    indicator, district = cell
    parts = [
        (indicator, row["from_code"])
        for row in CATALOG.crosswalk
        if row["to_code"] == district and then < date.fromisoformat(row["to_valid_from"]) <= now
    ]
    return parts or [cell]


def test_no_value_is_an_outlier_against_its_history(inbox: Inbox) -> None:
    """Modified z-score (median/MAD) of each value against the in-force earlier halves."""
    halves = SAMPLE_HALVES
    for read in inbox.accepted:
        earlier = halves[: halves.index(read.period)]
        if len(earlier) < 2:
            continue
        start = parse_period(read.period).start_date
        for cell, value in read.values.items():
            history = [
                sum(inbox.in_force[read.agency, h].values[part] for part in parts)
                for h in earlier
                if (parts := _cells_before(cell, start, parse_period(h).start_date))
                and all(part in inbox.in_force[read.agency, h].values for part in parts)
            ]
            if len(history) < 2:
                continue
            median = statistics.median(history)
            mad = statistics.median(abs(x - median) for x in history)
            where = (read.path.name, cell, history, value)
            if mad == 0:
                assert value == median, where
            else:
                assert abs(0.6745 * (value - median) / mad) <= 3.5, where


def test_one_rejected_file_corrected_by_a_later_resubmission(inbox: Inbox) -> None:
    assert len(inbox.rejected) == 1
    bad = inbox.rejected[0]
    assert bad.period == "2019S1"
    assert len(bad.errors) == 1
    fixed = inbox.in_force[bad.agency, bad.period]
    assert (fixed.received_at, fixed.path.name) > (bad.received_at, bad.path.name)


def test_one_exact_duplicate_received_later(inbox: Inbox) -> None:
    assert len(inbox.duplicates) == 1
    copy = inbox.duplicates[0]
    original = next(f for f in inbox.files if f.sha == copy.sha and f is not copy)
    assert original.path.read_bytes() == copy.path.read_bytes()
    assert original.path.name != copy.path.name
    assert copy.received_at > original.received_at


def test_one_revision_changes_gia_vien_in_2018s2(inbox: Inbox) -> None:
    gia_vien = CATALOG.match_district("Gia Viễn", parse_period("2018S2")).district.code
    by_identity = defaultdict(list)
    for read in inbox.accepted:
        by_identity[read.agency, read.period].append(read)
    revised = {k: v for k, v in by_identity.items() if len(v) > 1}
    assert len(revised) == 1
    (agency, period), (first, latest) = next(iter(revised.items()))
    assert period == "2018S2"
    assert inbox.in_force[agency, period] is latest
    changed = {cell for cell in latest.values if latest.values[cell] != first.values.get(cell)}
    assert changed and {district for _, district in changed} == {gia_vien}


def _deadline(read: Read) -> date:
    period = parse_period(read.period)
    return period.end_date + timedelta(days=CATALOG.deadline_days_for(read.agency, "half_year"))


def test_received_times_and_one_late_file(inbox: Inbox) -> None:
    for read in inbox.files:
        assert read.received_at.date() > parse_period(read.period).end_date, read.path.name
    late = [read for read in inbox.files if read.received_at.date() > _deadline(read)]
    assert len(late) == 1
    assert late[0] in inbox.accepted and late[0].period != "2019S1"


def test_both_header_layouts_occur(inbox: Inbox) -> None:
    two_rows = sum(read.two_rows for read in inbox.files)
    assert 0.35 <= two_rows / len(inbox.files) <= 0.65
    for layout in (False, True):
        shares = [r.two_rows for r in inbox.files if r.long == layout]
        assert 0 < sum(shares) < len(shares)


def test_recent_halves_by_district_then_by_commune_in_the_long_layout(inbox: Inbox) -> None:
    """2025S1 on the seven districts (wide); 2025S2 and 2026S1 per commune (long)."""
    province = CATALOG.province_member().code
    for read in inbox.files:
        assert read.long == (read.period in COMMUNE_HALVES), read.path.name
    seven = {d.code for d in CATALOG.districts_for(parse_period(DISTRICT_HALF))}
    assert len(seven) == 7
    for half in (DISTRICT_HALF, *COMMUNE_HALVES):
        units = {d.code for d in CATALOG.districts_for(parse_period(half))}
        used = {u for (_, h), r in inbox.in_force.items() if h == half for _, u in r.values}
        assert used - {province} <= units
        assert len(used - {province}) >= (7 if half == DISTRICT_HALF else 120), half
    assert HALVES[-1] == "2019S1" and DISTRICT_HALF == "2025S1" and "2026S1" in COMMUNE_HALVES


def test_file_names_are_plain_ascii(inbox: Inbox) -> None:
    for read in inbox.files:
        assert re.fullmatch(r"[0-9A-Za-z_]+\.xlsx", read.path.name)


def test_generation_is_byte_identical(sample_dir: Path, tmp_path: Path) -> None:
    again = generate_sample(tmp_path)
    assert sorted(p.name for p in again) == sorted(p.name for p in sample_dir.glob("*.xlsx"))
    for path in again:
        original = sample_dir / path.name
        assert path.read_bytes() == original.read_bytes(), path.name
        assert os.stat(path).st_mtime == os.stat(original).st_mtime
