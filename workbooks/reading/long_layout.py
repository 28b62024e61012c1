"""The long layout (submission-workbook.md 3b): one row per unit, one column per indicator.

From 2025-07-01 a report breaks down by 129 communes and wards, too many for a column
each, so the table is turned. This module reads it into the same long value rows as
the wide layout (``reference.model.ValueCell``), so validation and loading do not
know which layout a value came from. One difference: the ``row`` of a value is the
1-based sheet *column* of its indicator, because that is the line whose parts the
totals row sums; validation groups a total with its parts by that number.

It also holds the check for an old district template filled in by habit after the
reform (``old_district_template``), which both layouts use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from reference.catalog import Catalog, District
from reference.model import WARNING, Problem, ValueCell
from reference.periods import Period
from reference.text import fold
from workbooks.reading.formulas import address
from workbooks.reading.numbers import describe_raw, is_blank, parse_number

if TYPE_CHECKING:  # the reader passes itself in; no import cycle at run time
    from workbooks.reading.reader import _Reader, _Sheet

NAME_HEADERS = frozenset(
    {
        "don vi hanh chinh",
        "xa, phuong",
        "xa phuong",
        "xa, phuong, thi tran",
        "ten xa, phuong",
        "ten don vi",
        "ten don vi hanh chinh",
    }
)
UNIT_CODE_HEADERS = frozenset({"ma don vi", "ma dvhc", "ma don vi hanh chinh", "ma so", "ma xa"})
_ROLES = {"stt": "stt", "ghi chu": "note", **dict.fromkeys(UNIT_CODE_HEADERS, "gso")}
TOTAL_NAMES = frozenset({"tong cong", "tong so", "toan tinh", "tong", "cong"})
PROVINCE_NAMES = frozenset({"cap tinh"})
EXTRA_HEADER_ROWS = 2  # at most: indicator names, then units
_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_PARENTHESIS = re.compile(r"\(([^()]*)\)\s*$")
_COMMUNE_PREFIX = re.compile(r"^(xa|phuong|thi tran|dac khu)\s")
OLD_TEMPLATE = "old_district_template"


def is_code_text(raw: object) -> bool:
    """A header cell that reads as an indicator code (``TT_HOI_NGHI``)."""
    return isinstance(raw, str) and bool(_CODE.match(raw.strip().upper()))


def find_long_header(rows: list[list], search_rows: int, key) -> int | None:
    """The first row with a unit-name header and at least one indicator code, or None."""
    for r in range(min(search_rows, len(rows))):
        row = rows[r]
        if any(key(raw) in NAME_HEADERS for raw in row) and any(is_code_text(x) for x in row):
            return r
    return None


# --- the old district template, in either layout ----------------------------------------


def reform_eve(catalog: Catalog, period: Period | None) -> Period | None:
    """The last day of the district map, as a period, when ``period`` is reported by commune.

    None for a period reported by district: there the district names are the right ones.
    """
    if period is None:
        return None
    units = catalog.districts_for(period)
    communes = [d for d in units if d.is_commune]
    if not communes:
        return None
    eve = min(d.valid_from for d in communes) - timedelta(days=1)
    return Period("", "day", eve, eve, eve.year)


def old_template_matches(
    catalog: Catalog, period: Period | None, names: list[str]
) -> list[District] | None:
    """The former districts that ``names`` are, when every one is and they are more than
    half of the former map: an old template filled in by habit. None otherwise.

    Names written with a commune's type (``Xã Gia Viễn``) are explicit, never the habit.
    """
    day = reform_eve(catalog, period)
    if day is None:
        return None
    codes = {d.code for d in catalog.districts_for(day)}
    if len(names) * 2 <= len(codes):
        return None  # a few communes that share a former district's name: not the habit
    found = []
    for name in names:
        if _COMMUNE_PREFIX.match(fold(name)):
            return None
        match = catalog.match_district(name, day).district
        if match is None or match.code not in codes:
            return None
        found.append(match)
    return found if len({d.code for d in found}) * 2 > len(codes) else None


def old_template_problem(period: Period, sheet: str, cell: str, former: list[str]) -> Problem:
    listed = ", ".join(former)
    message = (
        f"Ô {cell}: biểu ghi số liệu theo các huyện, thành phố cũ ({listed}), nhưng kỳ báo "
        f"cáo “{period.label_vi}” báo cáo theo xã, phường mới. Số liệu này không được ghi "
        "vào các xã, phường trùng tên. Hãy dùng biểu mẫu mới của kỳ này (một dòng cho mỗi "
        "xã, phường) rồi gửi lại."
    )
    return Problem(WARNING, OLD_TEMPLATE, message, sheet, cell)


def old_unit_message(
    catalog: Catalog, cell: str, text: str, period: Period, district: District
) -> str:
    note = catalog.change_note_vi(district, period)
    return (
        f"Ô {cell}: “{text}” là {district.district_type} {district.name} cũ, không dùng được "
        f"cho kỳ báo cáo “{period.label_vi}” vì đơn vị này {note}. Hãy ghi số liệu theo từng "
        "xã, phường hiện hành."
    )


# --- the long table -------------------------------------------------------------------


@dataclass
class _Indicator:
    col: int
    code: str
    name: str | None = None
    unit: str | None = None
    factor: float = 1.0


@dataclass
class _UnitRow:
    r: int
    role: str  # "district" or "province"
    district: District
    text: str  # the name (or code) as written
    cell: str  # where the unit is named


@dataclass
class _Layout:
    header_row: int
    data_start: int = 0
    name: int | None = None
    gso: int | None = None
    note: int | None = None
    indicators: list[_Indicator] = field(default_factory=list)

    @property
    def name_col(self) -> int:
        """The unit-name column, which ``LongTable.read`` makes sure of before any row."""
        assert self.name is not None, "read() returns early without a name column"
        return self.name


class LongTable:
    """Reads one long-layout table through the wide reader's problems and look-ups."""

    def __init__(self, reader: _Reader, sheet: _Sheet, header_row: int):
        self.reader = reader
        self.catalog = reader.catalog
        self.period = reader.period
        self.sheet = sheet
        self.layout = _Layout(header_row)
        self.old_template = False

    def problem(self, rule: str, message: str, cell: str | None, **kw) -> None:
        self.reader.problem(rule, message, self.sheet, cell, **kw)

    def read(self) -> None:
        self._read_header()
        layout = self.layout
        if layout.name is None or not layout.indicators:
            return
        units, total_row = self._read_rows()
        header_cell = address(layout.header_row, layout.name)
        if total_row is None:
            self.problem(
                "missing_column",
                f"Bảng chỉ tiêu thiếu dòng “Tổng cộng” (ô {header_cell} là cột tên đơn vị). "
                "Hãy thêm dòng “Tổng cộng” cuối bảng, cộng số liệu của các xã, phường và "
                "cấp tỉnh như trong biểu mẫu.",
                header_cell,
            )
        if not self.old_template and not any(u.role == "district" for u in units):
            self.problem(
                "missing_column",
                f"Bảng chỉ tiêu không có dòng xã, phường nào dưới ô {header_cell}. Hãy ghi số "
                "liệu theo từng xã, phường như trong biểu mẫu.",
                header_cell,
            )
        units = self._drop_duplicates(units)
        self._emit(units, total_row)

    # --- header ---------------------------------------------------------------------
    def _read_header(self) -> None:
        sheet, layout, h = self.sheet, self.layout, self.layout.header_row
        self.reader.result.code_column = None  # codes head columns, not rows
        seen: dict[str, str] = {}
        others: list[int] = []
        for c, raw in enumerate(sheet.row(h)):
            key = _key(raw)
            if key in NAME_HEADERS and layout.name is None:
                layout.name = c
            elif key in _ROLES:
                role = _ROLES[key]
                if role != "stt" and getattr(layout, role) is None:
                    setattr(layout, role, c)
            elif is_code_text(raw):
                self._indicator_column(c, raw.strip().upper(), seen)
            elif not is_blank(raw):
                others.append(c)
        layout.data_start = self._extra_header_rows()
        for c in others:
            self._unknown_column(c)

    def _indicator_column(self, c: int, code: str, seen: dict[str, str]) -> None:
        cell = address(self.layout.header_row, c)
        if code in seen:
            self.problem(
                "duplicate_indicator",
                f"Ô {cell}: mã chỉ tiêu {code} đã có ở cột ô {seen[code]}. Mỗi chỉ tiêu chỉ "
                "được ghi trong một cột; hãy gộp số liệu vào một cột và xóa cột này.",
                cell,
                indicator_code=code,
            )
            return
        seen[code] = cell
        if code not in self.catalog.indicators:
            self.problem(
                "unknown_indicator",
                f"Ô {cell}: mã chỉ tiêu “{code}” không có trong danh mục chỉ tiêu. Hãy dùng "
                "đúng mã chỉ tiêu trong biểu mẫu.",
                cell,
                indicator_code=code,
            )
            return
        self.layout.indicators.append(_Indicator(c, code))

    def _unknown_column(self, c: int) -> None:
        """A headed column that is no role and no code: an error if it holds numbers."""
        sheet = self.sheet
        for r in range(self.layout.data_start, sheet.height):
            if not is_blank(sheet.get(r, c)) and parse_number(sheet.get(r, c))[0] is not None:
                cell = address(self.layout.header_row, c)
                text = describe_raw(sheet.get(self.layout.header_row, c))
                self.problem(
                    "unknown_indicator",
                    f"Ô {cell}: cột “{text}” có số liệu nhưng tiêu đề không phải một mã chỉ "
                    "tiêu. Hãy ghi mã chỉ tiêu (ví dụ TT_HOI_NGHI) vào ô tiêu đề của cột.",
                    cell,
                )
                return

    def _extra_header_rows(self) -> int:
        """Rows under the header carrying names and units; returns the first data row."""
        sheet, layout = self.sheet, self.layout
        r = layout.header_row + 1
        while r <= layout.header_row + EXTRA_HEADER_ROWS:
            if sheet.text(r, layout.name) is not None or sheet.text(r, layout.gso) is not None:
                break
            texts = {
                ind.code: sheet.text(r, ind.col)
                for ind in layout.indicators
                if sheet.text(r, ind.col) is not None
            }
            if not texts or any(parse_number(t)[0] is not None for t in texts.values()):
                break
            for ind in layout.indicators:
                self._describe(ind, texts.get(ind.code), r)
            r += 1
        return r

    def _describe(self, ind: _Indicator, text: str | None, r: int) -> None:
        """Take ``text`` as the indicator's unit when it names one, else as its name."""
        if text is None:
            return
        indicator = self.catalog.indicators[ind.code]
        inner = _PARENTHESIS.search(text)
        for candidate in (text, inner[1] if inner else None):
            factor = self.catalog.unit_factor(candidate, indicator) if candidate else None
            if candidate and factor is not None:
                ind.unit, ind.factor = candidate, factor
                if candidate is text:
                    return
                assert inner is not None  # the candidate was the parenthesis
                text = text[: inner.start()].strip()
                break
        if ind.unit is None and _is_unit_text(self.catalog, text):
            cell = address(r, ind.col)
            self.problem(
                "unit_mismatch",
                f"Ô {cell}: đơn vị tính “{text}” không dùng được cho chỉ tiêu {ind.code} (đơn "
                f"vị của chỉ tiêu là “{indicator.unit}”). Hãy ghi “{indicator.unit}” và nhập "
                "số liệu theo đơn vị đó.",
                cell,
                indicator_code=ind.code,
            )
            ind.unit = text
            return
        if ind.name is None and text:
            ind.name = text

    # --- rows -----------------------------------------------------------------------
    def _read_rows(self) -> tuple[list[_UnitRow], int | None]:
        """Unit rows (province level first), and the totals row."""
        sheet, layout = self.sheet, self.layout
        province, named = [], []
        total_row = None
        for r, _ in sheet.table_rows(layout.data_start):
            name, gso = sheet.text(r, layout.name), sheet.text(r, layout.gso)
            key = _key(name)
            if key in TOTAL_NAMES and gso is None:
                total_row = r if total_row is None else total_row
            elif key in PROVINCE_NAMES and gso is None and name is not None:
                member = self.catalog.province_member()
                cell = address(r, layout.name_col)
                province.append(_UnitRow(r, "province", member, name, cell))
            elif name is None and gso is None:
                if self._has_values(r):
                    cell = address(r, layout.name_col)
                    self.problem(
                        "unknown_district",
                        f"Ô {cell}: dòng {r + 1} có số liệu nhưng chưa ghi tên xã, phường. Hãy "
                        "ghi tên đơn vị hoặc xóa dòng này.",
                        cell,
                    )
            else:
                named.append((r, name, gso))
        return province + self._units(named), total_row

    def _units(self, named: list[tuple[int, str | None, str | None]]) -> list[_UnitRow]:
        """Match the named rows, unless they are an old district template (then none)."""
        if all(gso is None for _, _, gso in named):
            # every row then has a name: a row with neither name nor code is not in ``named``
            rows = [(r, name) for r, name, _ in named if name is not None]
            former = self.reader._old_template([n for _, n in rows])
            if former is not None:
                self._old_template(rows, former)
                return []
        units = (self._unit_row(r, name, gso) for r, name, gso in named)
        return [unit for unit in units if unit is not None]

    def _old_template(self, rows: list[tuple[int, str]], former: list[District]) -> None:
        """Warn that it is one; each row is a unit that does not exist in the period."""
        period = self.period
        assert period is not None  # old_template_matches finds none without a period
        self.old_template = True
        first = address(rows[0][0], self.layout.name_col)
        names = [name for _, name in rows]
        self.reader.result.problems.append(
            old_template_problem(period, self.sheet.name, first, names)
        )
        for (r, name), district in zip(rows, former, strict=True):
            cell = address(r, self.layout.name_col)
            message = old_unit_message(self.catalog, cell, name, period, district)
            self.problem("unknown_district", message, cell)

    def _has_values(self, r: int) -> bool:
        return any(self.sheet.read(r, ind.col)[0] is not None for ind in self.layout.indicators)

    def _unit_row(self, r: int, name: str | None, gso: str | None) -> _UnitRow | None:
        layout = self.layout
        if gso is not None:
            assert layout.gso is not None  # the code was read from that column
            cell = address(r, layout.gso)
            district, reason = self._by_code(gso)
            text = gso
        else:
            assert name is not None  # a row with neither name nor code is not a unit row
            cell = address(r, layout.name_col)
            match = self.reader._match_district(name)
            district, reason, text = match.district, match.reason_vi, name
        if district is not None:
            return _UnitRow(r, "district", district, text, cell)
        if not reason and not self._has_values(r):
            return None  # a heading row inside the table ("I. Các xã", "Khu vực Hà Nam")
        label = self.period.label_vi if self.period else ""
        shown = f"mã đơn vị “{text}”" if gso is not None else f"“{text}”"
        if reason:
            message = (
                f"Ô {cell}: {shown} không dùng được cho kỳ báo cáo “{label}” vì đơn vị này "
                f"{reason}. Hãy ghi số liệu vào dòng của đơn vị hành chính hiện hành và xóa "
                "dòng này."
            )
        else:
            message = (
                f"Ô {cell}: {shown} không phải một xã, phường trong tỉnh. Hãy sửa thành tên "
                "(hoặc mã) đúng của xã, phường, hoặc xóa dòng này nếu không dùng."
            )
        self.problem("unknown_district", message, cell)
        return None

    def _by_code(self, text: str) -> tuple[District | None, str]:
        """The unit with GSO code ``text`` existing in the period, or why there is none."""
        match = self.reader._cached(
            ("district_code", text, self.period),
            lambda: self.catalog.match_district_code(text, self.period),
        )
        if match.district is not None and match.district.is_province_level:
            return None, ""
        return match.district, match.reason_vi

    def _drop_duplicates(self, units: list[_UnitRow]) -> list[_UnitRow]:
        first: dict[str, _UnitRow] = {}
        kept = []
        for unit in units:
            code = unit.district.code
            if code in first:
                earlier = first[code]
                district = unit.district
                self.problem(
                    "duplicate_district",
                    f"Ô {unit.cell}: dòng “{unit.text}” và dòng “{earlier.text}” (ô "
                    f"{earlier.cell}) cùng là {district.district_type} {district.name}. Mỗi "
                    "xã, phường chỉ được có một dòng: hãy gộp số liệu vào một dòng và xóa "
                    "dòng thừa.",
                    unit.cell,
                    district_code=code,
                )
                continue
            first[code] = unit
            kept.append(unit)
        return kept

    # --- values ---------------------------------------------------------------------
    def _emit(self, units: list[_UnitRow], total_row: int | None) -> None:
        sheet, layout = self.sheet, self.layout
        values = self.reader.result.values
        lines: list[tuple[int, str, str | None]] = [(u.r, u.role, u.district.code) for u in units]
        if total_row is not None and not self.old_template:
            lines.append((total_row, "total", None))
        for r, role, district in lines:
            note = sheet.text(r, layout.note)
            for ind in layout.indicators:
                raw, value, rule = sheet.read(r, ind.col)
                if raw is None and role != "total":
                    continue
                if value is not None and ind.factor != 1.0:
                    value = round(value * ind.factor, 9)
                values.append(
                    ValueCell(sheet.name, address(r, ind.col), ind.col + 1, ind.code, ind.name,
                              role, district, raw, value, rule, ind.unit, note)
                )  # fmt: skip


def _key(raw: object) -> str:
    return fold(raw) if isinstance(raw, str) else ""


def _is_unit_text(catalog: Catalog, text: str | None) -> bool:
    """True when ``text`` names a unit of measure the catalogue knows (of any indicator)."""
    if not text:
        return False
    key = fold(text)
    known = {fold(i.unit) for i in catalog.indicators.values()}
    known |= {unit for unit, _ in catalog.unit_factors}
    return key in known
