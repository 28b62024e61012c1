"""Read one submission workbook into long rows of values and tasks, each with its cell.

``read_workbook`` never raises: every failure becomes a ``Problem``. Values are read
with python-calamine; formulas without a cached value (which calamine reads as empty)
are found in the worksheet XML by ``workbooks.reading.formulas``; hostile files are refused by
``workbooks.reading.limits`` before any parser sees them. Rules that need the long table
(numbers, totals, duplicates, catalogue codes) are left to validation.
"""

import io
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from python_calamine import CalamineWorkbook, SheetTypeEnum

from reference.catalog import Catalog, DistrictMatch
from reference.model import ERROR, WARNING, ParsedWorkbook, Problem, TaskItem, ValueCell
from reference.periods import Period, parse_period
from reference.text import fold
from workbooks.reading.formulas import address, column_letters, sum_range, uncached_formulas
from workbooks.reading.hidden import hidden_by_sheet, hidden_columns, hidden_rows
from workbooks.reading.limits import (
    MAX_FILE_BYTES,
    Inspection,
    UnreadableFile,
    check_sheet_size,
    inspect_file,
    too_big_message,
)
from workbooks.reading.long_layout import (
    LongTable,
    find_long_header,
    old_template_matches,
    old_template_problem,
    old_unit_message,
)
from workbooks.reading.numbers import (
    FORMULA_WITHOUT_VALUE,
    NOT_A_NUMBER,
    describe_raw,
    is_blank,
    parse_number,
)
from workbooks.reading.phrases import (
    ACCEPTED_PERIOD_FORMS_VI,
    is_footer,
    parse_date,
    parse_period_phrase,
)

HEADER_SEARCH_ROWS = 30  # the header row must be within the first rows of a sheet
MAX_SUM_CELLS = 100_000  # an uncached SUM over more cells is not computed

_COLUMN_ROLES = {
    "stt": "stt",
    "ma chi tieu": "code",
    "ten chi tieu": "name",
    "chi tieu": "name",
    "noi dung": "name",
    "don vi tinh": "unit",
    "dvt": "unit",
    "cap tinh": "province",
    "tong cong": "total",
    "tong so": "total",
    "toan tinh": "total",
    "tong": "total",
    "ghi chu": "note",
}
_CAPTION_START = "chia theo"  # "Chia theo huyện, thành phố" over the district columns

_LABELS = {
    "don vi bao cao": "agency",
    "ky bao cao": "period",
    "ngay bao cao": "report_date",
    "email": "email",
    "e-mail": "email",
    "dia chi email": "email",
    "thu dien tu": "email",
}

_TASK_ROLES = {
    "stt": "stt",
    "nhiem vu": "text",
    "ten nhiem vu": "text",
    "noi dung nhiem vu": "text",
    "loai": "kind",
    "loai nhiem vu": "kind",
    "ket qua": "status",
    "ket qua thuc hien": "status",
    "don vi chu tri": "lead",
    "thoi han": "deadline",
    "thoi han hoan thanh": "deadline",
    "ghi chu": "note",
}
_TASK_KINDS = {
    "chung": "chung",
    "nhiem vu chung": "chung",
    "dang ky": "dang_ky",
    "nhiem vu dang ky": "dang_ky",
}
_TASK_STATUSES = {
    "hoan thanh": "hoan_thanh",
    "da hoan thanh": "hoan_thanh",
    "dang thuc hien": "dang_thuc_hien",
    "chua thuc hien": "chua_thuc_hien",
}
_SECTION_NUMBER = re.compile(r"([IVXLC]+|[A-Z])[.)]?", re.I)
_SECTION_TEXT = re.compile(r"([IVXLC]+|[A-Z])[.)]\s")

HEADER_TEXT_MAX = 60  # longer text cannot be a header or label we look for
_CATALOG_CACHE: dict[int, tuple[Catalog, dict]] = {}


@lru_cache(maxsize=16384)
def _fold_text(text: str) -> str:
    return fold(text)


def _key(raw: object) -> str:
    """``fold`` of a text cell (cached: the same headers recur in every file), else ``""``."""
    return _fold_text(raw) if isinstance(raw, str) else ""


MSG_UNEXPECTED = (
    "Không đọc được tệp do cấu trúc bảng tính bất thường. Hãy mở tệp bằng Excel, "
    "lưu lại dưới dạng “Excel Workbook (*.xlsx)” rồi gửi lại."
)


def read_workbook(path: Path, catalog: Catalog, today: date) -> ParsedWorkbook:
    """Read a submission. Never raises: every failure is a ``Problem`` of the result."""
    path = Path(path)
    result = ParsedWorkbook(file_name=path.name)
    try:
        _Reader(path, catalog, today, result).run()
    except UnreadableFile as exc:
        _refuse(result, str(exc))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - calamine's Rust panics are BaseExceptions
        _refuse(result, MSG_UNEXPECTED)
    return result


MSG_CANNOT_OPEN = (
    "Hệ thống không mở được tệp này trong thư mục nhận báo cáo (tệp bị khóa quyền đọc, "
    "hoặc không phải là một tệp thông thường). Hãy gửi lại tệp báo cáo."
)


def unreadable_problem(message: str = MSG_CANNOT_OPEN) -> Problem:
    """``unreadable_file``: the error for a file that cannot be opened or read."""
    return Problem(ERROR, "unreadable_file", message)


def _refuse(result: ParsedWorkbook, message: str) -> None:
    result.values.clear()
    result.tasks.clear()
    result.problems[:] = [unreadable_problem(message)]


def _quote(text: object) -> str:
    return f"“{describe_raw(text)}”"


class _Sheet:
    """One worksheet's cells (0-based), plus its uncached formulas and merged ranges."""

    def __init__(self, name: str, rows: list[list], formulas: dict, merged: list | None):
        self.name = name
        self.rows = rows
        self.formulas = formulas
        self.merged = merged or []
        self.hidden_rows: set[int] = set()
        self.hidden_columns: set[int] = set()
        last_formula_row = max((r for r, _ in formulas), default=-1)
        self.height = max(len(rows), last_formula_row + 1)

    def get(self, r: int, c: int) -> object:
        if r < len(self.rows):
            row = self.rows[r]
            if c < len(row):
                return row[c]
        return ""

    def row(self, r: int) -> list:
        return self.rows[r] if r < len(self.rows) else []

    def table_rows(self, start: int) -> Iterator[tuple[int, list]]:
        """The rows of a table from ``start``: blank rows (without a formula) skipped, up to
        the end of the sheet or a footer (``Người lập biểu``, a date line...)."""
        formula_rows = {r for r, _ in self.formulas}
        for r in range(start, self.height):
            row = self.row(r)
            first = next((raw for raw in row if not is_blank(raw)), None)
            if first is None and r not in formula_rows:
                continue
            if isinstance(first, str) and is_footer(first):
                return
            yield r, row

    def text(self, r: int, c: int | None) -> str | None:
        """The cell as stripped text, None when empty or when there is no such column."""
        if c is None:
            return None
        raw = self.get(r, c)
        return None if is_blank(raw) else describe_raw(raw)

    def read(self, r: int, c: int, _seen: frozenset = frozenset()) -> tuple:
        """``(raw, value, parse_rule)`` of a value cell; raw None when empty."""
        formula = self.formulas.get((r, c)) if self.formulas else None
        if formula is None:
            raw = self.get(r, c)
            if type(raw) is float:  # the common case, as calamine gives numbers
                return (raw, raw, None) if math.isfinite(raw) else (raw, None, NOT_A_NUMBER)
            if is_blank(raw):
                return None, None, None
            value, rule = parse_number(raw)
            if not isinstance(raw, int | float | str) or isinstance(raw, bool):
                raw = describe_raw(raw)
            elif isinstance(raw, int):
                raw = float(raw)
            return raw, value, rule
        raw = "=" + formula
        bounds = sum_range(formula)
        if bounds is None:
            return raw, None, FORMULA_WITHOUT_VALUE
        r1, c1, r2, c2 = bounds
        if (r2 - r1 + 1) * (c2 - c1 + 1) > MAX_SUM_CELLS:
            return raw, None, FORMULA_WITHOUT_VALUE
        total, seen = 0.0, _seen | {(r, c)}
        for rr in range(r1, r2 + 1):
            for cc in range(c1, c2 + 1):
                if (rr, cc) in seen:  # a circular reference
                    return raw, None, FORMULA_WITHOUT_VALUE
                _, value, _ = self.read(rr, cc, seen)
                if value is not None:
                    total += value
        return raw, total, None


@dataclass
class _ColumnsFound:
    """Where the reader found each column of an indicator table's header."""

    header_row: int
    data_start: int
    code: int | None = None
    name: int | None = None
    unit: int | None = None
    province: int | None = None
    total: int | None = None
    note: int | None = None
    districts: list[tuple[int, str]] = field(default_factory=list)  # (column, district code)
    district_like: int = 0
    old_template: bool = False  # former districts after the reform: no total to check
    unread: list[int] = field(default_factory=list)  # district-like columns not usable
    headed: set[int] = field(default_factory=set)  # every column under a header or caption


class _Reader:
    def __init__(self, path: Path, catalog: Catalog, today: date, result: ParsedWorkbook):
        self.path = path
        self.catalog = catalog
        self.today = today
        self.result = result
        self.period: Period | None = None
        self.period_not_ended = False  # then district columns are not judged by the period
        self._unseen: _Unseen | None = None  # what the rows of the table hide, while read
        self._district_headers: dict[str, tuple[str, str]] = {}  # code -> first (cell, text)

    # --- problems -----------------------------------------------------------
    def problem(self, rule: str, message: str, sheet: _Sheet | None = None, cell=None, **kw):
        name = sheet.name if sheet else None
        self.result.problems.append(Problem(ERROR, rule, message, name, cell, **kw))

    def warn(self, rule: str, message: str, sheet: _Sheet, cell=None, **kw):
        self.result.problems.append(Problem(WARNING, rule, message, sheet.name, cell, **kw))

    # --- file ----------------------------------------------------------------
    def run(self) -> None:
        try:
            size = self.path.stat().st_size
        except OSError as exc:
            raise UnreadableFile("Không mở được tệp. Hãy gửi lại tệp báo cáo.") from exc
        data = self._read_bytes(size)
        inspection = inspect_file(data)
        indicator_sheet, task_sheet = self._find_sheets(inspection)
        if indicator_sheet is None:
            self.problem(
                "missing_indicator_sheet",
                "Không tìm thấy bảng chỉ tiêu: không trang tính nào có ô tiêu đề “Mã chỉ tiêu” "
                f"trong {HEADER_SEARCH_ROWS} dòng đầu. Hãy dùng đúng biểu mẫu báo cáo và giữ "
                "nguyên dòng tiêu đề có cột “Mã chỉ tiêu”.",
            )
            return
        sheet, header_row, long = indicator_sheet
        self._read_metadata(sheet, header_row)
        if long:
            LongTable(self, sheet, header_row).read()
        else:
            self._read_indicators(sheet, header_row)
        if task_sheet is not None:
            self._read_tasks(*task_sheet)

    def _read_bytes(self, size: int) -> bytes:
        if size > MAX_FILE_BYTES:  # refused before reading a byte
            raise UnreadableFile(too_big_message(size))
        try:
            with open(self.path, "rb") as handle:
                return handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise UnreadableFile("Không mở được tệp. Hãy gửi lại tệp báo cáo.") from exc

    def _find_sheets(self, inspection: Inspection):
        """(sheet, header row) of the indicator sheet and of the task sheet, or None.

        The indicator sheet is the first whose ``Mã chỉ tiêu`` header row also has a total
        column, else the first with a ``Mã chỉ tiêu`` header at all (so an instructions
        sheet that names the columns does not hide the real table).
        """
        try:
            book = CalamineWorkbook.from_filelike(io.BytesIO(inspection.data))
        except Exception as exc:
            raise UnreadableFile(_unreadable_message(exc)) from exc
        tables, weak, task = [], None, None
        hidden = hidden_by_sheet(inspection)
        with book:
            for meta in book.sheets_metadata:
                if meta.typ != SheetTypeEnum.WorkSheet:
                    continue
                try:
                    calamine_sheet = book.get_sheet_by_name(meta.name)
                    check_sheet_size(
                        meta.name, calamine_sheet.total_height, calamine_sheet.total_width
                    )
                    rows = calamine_sheet.to_python(skip_empty_area=False)
                    merged = calamine_sheet.merged_cell_ranges
                except UnreadableFile:
                    raise
                except Exception as exc:
                    raise UnreadableFile(_unreadable_message(exc)) from exc
                xml = inspection.sheet_xml.get(meta.name)
                formulas = uncached_formulas(xml) if xml else {}
                sheet = _Sheet(meta.name, rows, formulas, merged)
                if xml:
                    sheet.hidden_rows, sheet.hidden_columns = hidden_rows(xml), hidden_columns(xml)
                elif meta.name in hidden:
                    sheet.hidden_rows, sheet.hidden_columns = hidden[meta.name]
                r = _find_header(sheet, ("ma chi tieu",))
                long = find_long_header(sheet.rows, HEADER_SEARCH_ROWS, _key) if r is None else None
                if long is not None:
                    tables.append((sheet, long, True))  # the long layout (section 3b)
                elif r is not None:
                    if weak is None:
                        weak = (sheet, r, False)
                    if any(_COLUMN_ROLES.get(_key(raw)) == "total" for raw in sheet.row(r)):
                        tables.append((sheet, r, False))
                elif task is None:
                    r = _find_header(sheet, ("nhiem vu", "ket qua"), _TASK_ROLES)
                    task = (sheet, r) if r is not None else None
        return self._choose_table(tables) if tables else weak, task

    def _choose_table(self, tables: list[tuple[_Sheet, int, bool]]) -> tuple[_Sheet, int, bool]:
        """The indicator table when several sheets have one (an old copy kept in the file):
        the one whose Kỳ báo cáo ends last, then the last sheet; the others are warned of."""

        def rank(item: tuple[int, tuple[_Sheet, int, bool]]) -> tuple:
            index, (sheet, r, _) = item
            value = _metadata_fields(sheet, r).get("period", (None,))[0]
            code = parse_period_phrase(value) if isinstance(value, str) else None
            return (parse_period(code).end_date if code else date.min, index)

        chosen = max(enumerate(tables), key=rank)[1] if len(tables) > 1 else tables[0]
        for sheet, r, _ in tables:
            if sheet is not chosen[0]:
                self.warn(
                    "extra_indicator_sheet",
                    f"Tệp có nhiều trang tính chứa bảng chỉ tiêu. Trang “{sheet.name}” không "
                    f"được đọc; số liệu được lấy từ trang “{chosen[0].name}” (trang có kỳ báo "
                    "cáo muộn nhất, hoặc trang sau cùng). Nếu đọc nhầm trang, hãy xóa trang "
                    "cũ rồi gửi lại.",
                    sheet,
                    address(r, 0),
                )
        return chosen

    # --- metadata ------------------------------------------------------------
    def _read_metadata(self, sheet: _Sheet, header_row: int) -> None:
        found = _metadata_fields(sheet, header_row)
        self._read_period(sheet, found.get("period"))
        self._read_agency(sheet, found.get("agency"))
        if "report_date" in found:
            self.result.report_date = parse_date(found["report_date"][0])
        if "email" in found and not is_blank(found["email"][0]):
            self.result.email = str(found["email"][0]).strip()

    def _read_period(self, sheet: _Sheet, entry: tuple | None) -> None:
        if entry is None or is_blank(entry[0]):
            self.problem(
                "missing_period",
                "Chưa ghi “Kỳ báo cáo”. Hãy ghi kỳ báo cáo vào ô bên phải ô “Kỳ báo cáo” ở phần "
                "đầu biểu, ví dụ: 6 tháng đầu năm 2019.",
                sheet,
                entry[2] if entry else None,
            )
            return
        value, cell, _ = entry
        code = parse_period_phrase(value) if isinstance(value, str) else None
        if code is None:
            self.problem(
                "bad_period",
                f"Ô {cell}: kỳ báo cáo {_quote(value)} không đúng cách ghi. Các cách ghi được "
                f"chấp nhận: {ACCEPTED_PERIOD_FORMS_VI}.",
                sheet,
                cell,
            )
            return
        period = parse_period(code)
        self.period = period
        self.result.period_code = code
        if period.end_date >= self.today:
            self.period_not_ended = True
            self.problem(
                "bad_period",
                f"Ô {cell}: kỳ báo cáo “{period.label_vi}” chưa kết thúc (kết thúc ngày "
                f"{period.end_date:%d/%m/%Y}) nên chưa thể báo cáo. Hãy kiểm tra lại kỳ báo cáo, "
                "hoặc gửi báo cáo sau khi kỳ kết thúc.",
                sheet,
                cell,
            )

    def _read_agency(self, sheet: _Sheet, entry: tuple | None) -> None:
        example = next(iter(self.catalog.agencies.values())).name
        if entry is None or is_blank(entry[0]):
            self.problem(
                "missing_agency",
                "Chưa ghi “Đơn vị báo cáo”. Hãy ghi tên đơn vị vào ô bên phải ô “Đơn vị báo cáo” "
                f"ở phần đầu biểu, ví dụ: {example}.",
                sheet,
                entry[2] if entry else None,
            )
            return
        value, cell, _ = entry
        on = min(self.period.end_date, self.today) if self.period else self.today
        agency = self._match_agency(describe_raw(value), on)
        if agency is None:
            self.problem(
                "unknown_agency",
                f"Ô {cell}: đơn vị báo cáo {_quote(value)} không có trong danh mục các cơ quan "
                f"thành viên. {self._agency_hint(describe_raw(value), on)}",
                sheet,
                cell,
            )
            return
        self.result.agency_code = agency.code

    def _agency_hint(self, text: str, on: date) -> str:
        """The closest agency's name, else every agency's name: never one fixed example."""
        closest = self.catalog.closest_agency(text, on)
        if closest is not None:
            return f"Có phải là “{closest.name}”? Hãy ghi đúng tên đầy đủ của đơn vị."
        names = "; ".join(f"{a.name} ({a.code})" for a in self.catalog.agencies.values()
                          if a.valid_from <= on <= (a.valid_to or on))  # fmt: skip
        return f"Hãy ghi đúng tên đầy đủ của một đơn vị trong danh mục: {names}."

    # --- indicator table ----------------------------------------------------
    def _read_indicators(self, sheet: _Sheet, header_row: int) -> None:
        cols = self._read_header(sheet, header_row)
        first_cell = address(header_row, 0)
        if cols.total is None:
            self.problem(
                "missing_column",
                f"Bảng chỉ tiêu thiếu cột “Tổng cộng” ở dòng tiêu đề (dòng {header_row + 1}). "
                "Hãy thêm cột “Tổng cộng” như trong biểu mẫu.",
                sheet,
                first_cell,
            )
        if cols.district_like == 0:
            self.problem(
                "missing_column",
                f"Bảng chỉ tiêu không có cột huyện, thành phố nào ở dòng tiêu đề (dòng "
                f"{header_row + 1}). Hãy giữ các cột số liệu theo từng huyện, thành phố như "
                "trong biểu mẫu.",
                sheet,
                first_cell,
            )
        self._read_rows(sheet, cols)

    def _read_header(self, sheet: _Sheet, h: int) -> _ColumnsFound:
        top_row, below = sheet.row(h), sheet.row(h + 1)
        code_col = next(c for c, raw in enumerate(top_row) if _key(raw) == "ma chi tieu")
        self.result.code_column = column_letters(code_col + 1)
        captions = any(_key(raw).startswith(_CAPTION_START) for raw in top_row)
        vertical = any(r1 == h and r2 > h for (r1, _), (r2, _) in sheet.merged)
        two_rows = (captions or vertical) and is_blank(sheet.get(h + 1, code_col))
        cols = _ColumnsFound(h, h + 2 if two_rows else h + 1)
        width = max(len(top_row), len(below) if two_rows else 0)
        pending: list[tuple[int, int, str]] = []  # (row, column, text) of district headers
        role: str | None
        for c in range(width):
            top = sheet.get(h, c)
            bottom = sheet.get(h + 1, c) if two_rows else ""
            top_role = _COLUMN_ROLES.get(_key(top))
            if _key(top).startswith(_CAPTION_START):
                top_role = "caption"
            if top_role not in (None, "caption"):
                role, r, text = top_role, h, top
            elif not is_blank(bottom):
                r, text = h + 1, bottom
                role = _COLUMN_ROLES.get(_key(bottom))
            elif top_role is None and not is_blank(top):
                role, r, text = None, h, top
            else:
                continue
            cols.headed.add(c)
            if role == "stt" or role == "caption":
                continue
            if role is not None:
                if getattr(cols, role) is None:
                    setattr(cols, role, c)
                continue
            cols.district_like += 1
            pending.append((r, c, describe_raw(text)))
        self._district_columns(sheet, cols, pending)
        for (r1, c1), (r2, c2) in sheet.merged:  # a header merged over several columns
            if r1 <= cols.data_start - 1 and r2 >= h and (r1, c1) != (r2, c2):
                cols.headed.update(range(c1, c2 + 1))
        return cols

    def _district_columns(self, sheet: _Sheet, cols: _ColumnsFound, pending: list) -> None:
        """Match the district columns, unless they are an old district template after the
        reform: then warn, and none of them is taken for the commune of the same name."""
        former = self._old_template([t for _, _, t in pending])
        if former is None:
            for r, c, text in pending:
                self._district_column(sheet, cols, r, c, text)
            return
        period = self.period
        assert period is not None  # old_template_matches finds none without a period
        cols.district_like, cols.old_template = len(pending), True
        first = address(pending[0][0], pending[0][1])
        self.result.problems.append(
            old_template_problem(period, sheet.name, first, [t for _, _, t in pending])
        )
        for (r, c, text), district in zip(pending, former, strict=True):
            cell = address(r, c)
            message = old_unit_message(self.catalog, cell, text, period, district)
            self.problem("unknown_district", message, sheet, cell)

    def _cached(self, key: tuple, compute):
        """Memoise a catalogue look-up across files: the same headers and units recur."""
        owner, cache = _CATALOG_CACHE.get(id(self.catalog), (None, None))
        if owner is not self.catalog or cache is None or len(cache) > 8192:
            cache = {}
            _CATALOG_CACHE.clear()
            _CATALOG_CACHE[id(self.catalog)] = (self.catalog, cache)
        if key not in cache:
            cache[key] = compute()
        return cache[key]

    def _old_template(self, names: list[str]) -> list | None:
        """``old_template_matches`` for this file's period, memoised like a look-up."""
        return self._cached(
            ("old template", self.period, tuple(names)),
            lambda: old_template_matches(self.catalog, self.period, names),
        )

    def _match_agency(self, text: str, on: date):
        return self._cached(("agency", text, on), lambda: self.catalog.match_agency(text, on))

    def _match_district(self, text: str) -> DistrictMatch:
        # A period not yet ended is most often a typo of the year: its district columns
        # are matched without it, so that one bad_period is the only error it causes.
        period = None if self.period_not_ended else self.period
        return self._cached(
            ("district", text, period),
            lambda: self.catalog.match_district(text, period),
        )

    def _district_column(
        self, sheet: _Sheet, cols: _ColumnsFound, r: int, c: int, text: str
    ) -> None:
        match = self._match_district(text)
        cell = address(r, c)
        if match.district is not None:
            first = self._district_headers.setdefault(match.district.code, (cell, text))
            if first != (cell, text):
                self._duplicate_district(sheet, cell, text, first, match.district)
                cols.unread.append(c)  # its values are not read: no total_mismatch for it
                return
            cols.districts.append((c, match.district.code))
            if match.former_vi:
                self._warn_former_district(sheet, cell, text, match)
            return
        cols.unread.append(c)
        if match.reason_vi:
            label = self.period.label_vi if self.period else ""
            message = (
                f"Ô {cell}: cột “{text}” không dùng được cho kỳ báo cáo “{label}” vì đơn vị này "
                f"{match.reason_vi}. Hãy ghi số liệu vào cột của đơn vị hành chính hiện hành và "
                "xóa cột này."
            )
        else:
            message = (
                f"Ô {cell}: tiêu đề cột “{text}” không phải tên một huyện, thành phố trong tỉnh. "
                "Hãy sửa thành tên đúng của huyện, thành phố (ví dụ “Gia Viễn”, “TP Ninh Bình”), "
                "hoặc xóa cột này nếu không dùng."
            )
        self.problem("unknown_district", message, sheet, cell)

    def _warn_former_district(self, sheet: _Sheet, cell: str, text: str, match) -> None:
        district = match.district
        label = self.period.label_vi if self.period else ""
        self.warn(
            "district_renamed",
            f"Ô {cell}: cột “{text}”: {match.former_vi}, nên số liệu của cột này được tính "
            f"cho {district.district_type} {district.name} (kỳ báo cáo “{label}”). Hãy sửa "
            f"tiêu đề cột thành “{district.district_type} {district.name}”.",
            sheet,
            cell,
            district_code=district.code,
        )

    def _duplicate_district(self, sheet: _Sheet, cell: str, text: str, first: tuple, district):
        """Two columns of one district: which one counts would be a guess, so none does."""
        first_cell, first_text = first
        self.problem(
            "duplicate_district",
            f"Ô {cell}: cột “{text}” và cột “{first_text}” (ô {first_cell}) cùng là "
            f"{district.district_type} {district.name}. "
            "Mỗi huyện, thành phố chỉ được có một cột: hãy gộp số liệu vào một cột và xóa "
            "cột thừa.",
            sheet,
            cell,
        )

    def _read_rows(self, sheet: _Sheet, cols: _ColumnsFound) -> None:
        values = self.result.values
        parts: list[tuple[int, str, str | None]] = [
            (c, "district", code) for c, code in cols.districts
        ]
        if cols.province is not None:
            parts.append((cols.province, "province", self.catalog.province_member().code))
        if cols.total is not None and not cols.old_template:
            parts.append((cols.total, "total", None))
        self._unseen = _Unseen([c for c, _, _ in parts], sheet.merged)
        name_of_sheet = sheet.name
        for r, row in sheet.table_rows(cols.data_start):
            if any(isinstance(raw, str) and _fold_text(raw) == "ma chi tieu" for raw in row):
                self._second_table(sheet, r, row)
                break
            code_text = sheet.text(r, cols.code)
            if code_text is None:
                continue  # a section heading such as "I. Công tác tuyên truyền"
            code = code_text.upper()
            self._note_unseen(sheet, cols, r, row, code)
            name, unit = sheet.text(r, cols.name), sheet.text(r, cols.unit)
            note = sheet.text(r, cols.note)
            if any(not is_blank(sheet.get(r, c)) for c in cols.unread):
                self.result.unread_value_rows.add(r + 1)
            factor = self._unit_factor(sheet, r, cols, code, unit)
            for c, role, district in parts:
                raw, value, rule = sheet.read(r, c)
                if raw is None and role != "total":
                    continue
                if value is not None and factor != 1.0:
                    value = round(value * factor, 9)
                values.append(
                    ValueCell(name_of_sheet, address(r, c), r + 1, code, name, role, district,
                              raw, value, rule, unit, note)
                )  # fmt: skip
        self._report_unseen(sheet, cols)

    def _unit_factor(
        self, sheet, r: int, cols: _ColumnsFound, code: str, unit: str | None
    ) -> float:
        indicator = self.catalog.indicators.get(code)
        if indicator is None or unit is None:
            return 1.0
        factor = self._cached(
            ("unit", unit, code), lambda: self.catalog.unit_factor(unit, indicator)
        )
        if factor is not None:
            return factor
        assert cols.unit is not None  # the unit was read from that column
        cell = address(r, cols.unit)
        self.problem(
            "unit_mismatch",
            f"Ô {cell}: đơn vị tính “{unit}” không dùng được cho chỉ tiêu {code} (đơn vị của chỉ "
            f"tiêu là “{indicator.unit}”). Hãy ghi “{indicator.unit}” và nhập số liệu theo đơn vị "
            "đó.",
            sheet,
            cell,
            indicator_code=code,
        )
        return 1.0

    # --- what a reader of the sheet would not see or could misread -----------------
    def _note_unseen(
        self, sheet: _Sheet, cols: _ColumnsFound, r: int, row: list, code: str
    ) -> None:
        """Collect, for one indicator row, values that would be dropped or misread silently:
        in a column without a header, in a hidden row or column, in merged value cells."""
        unseen = self._unseen
        assert unseen is not None  # set by _read_rows, the only caller
        for c, raw in enumerate(row):
            if c not in cols.headed and not is_blank(raw):
                unseen.unlabelled.setdefault(c, []).append(address(r, c))
        if sheet.hidden_rows or sheet.hidden_columns:  # rare: most sheets hide nothing
            filled = [c for c in unseen.value_columns if not is_blank(sheet.get(r, c))]
            if filled and r in sheet.hidden_rows:
                unseen.hidden_rows.append((r, code))
            for c in filled:
                if c in sheet.hidden_columns:
                    unseen.hidden_columns.setdefault(c, []).append(address(r, c))
        for (r1, c1), (r2, c2) in unseen.merged_from.get(r, ()):
            covered = sum(c1 <= c <= c2 for c in unseen.value_columns) * (r2 - r1 + 1)
            if covered > 1 and c1 in unseen.value_columns and not is_blank(sheet.get(r, c1)):
                span = f"{address(r1, c1)}:{address(r2, c2)}"
                self.problem(
                    "merged_value_cells",
                    f"Ô {address(r1, c1)}: các ô {span} được gộp (Merge) qua nhiều ô số liệu "
                    "nên không biết số liệu thuộc huyện, thành phố hay chỉ tiêu nào. Hãy bỏ gộp "
                    "ô (Unmerge Cells) và ghi số liệu vào từng ô.",
                    sheet,
                    address(r1, c1),
                    indicator_code=code,
                )

    def _report_unseen(self, sheet: _Sheet, cols: _ColumnsFound) -> None:
        unseen = self._unseen
        assert unseen is not None  # set by _read_rows, the only caller
        for c, cells in sorted(unseen.unlabelled.items()):
            letter = column_letters(c + 1)
            self.warn(
                "value_without_header",
                f"Ô {cells[0]}: cột {letter} có số liệu ({_cell_list(cells)}) nhưng không có "
                f"tiêu đề ở dòng {cols.header_row + 1} nên số liệu của cột không được đọc. Hãy "
                "ghi tiêu đề cột (tên huyện, thành phố) hoặc chuyển số liệu vào đúng cột.",
                sheet,
                cells[0],
            )
        for r, code in unseen.hidden_rows:
            assert cols.code is not None  # the code was read from that column
            cell = address(r, cols.code)
            self.warn(
                "hidden_values",
                f"Ô {cell}: dòng {r + 1} (chỉ tiêu {code}) đang bị ẩn nhưng có số liệu; số liệu "
                "này vẫn được đọc và tính vào báo cáo. Hãy bỏ ẩn dòng (Unhide) để kiểm tra, "
                "hoặc xóa số liệu nếu không dùng.",
                sheet,
                cell,
                indicator_code=code,
            )
        for c, cells in sorted(unseen.hidden_columns.items()):
            self.warn(
                "hidden_values",
                f"Ô {cells[0]}: cột {column_letters(c + 1)} đang bị ẩn nhưng có số liệu "
                f"({_cell_list(cells)}); số liệu này vẫn được đọc và tính vào báo cáo. Hãy bỏ "
                "ẩn cột (Unhide) để kiểm tra, hoặc xóa số liệu nếu không dùng.",
                sheet,
                cells[0],
            )

    def _second_table(self, sheet: _Sheet, r: int, row: list) -> None:
        """A second ``Mã chỉ tiêu`` header below the table: its rows are not read, and an
        error says so when they hold values (a blank copy of the template is harmless)."""
        c = next(c for c, raw in enumerate(row) if _key(raw) == "ma chi tieu")
        below = range(r + 1, sheet.height)
        unseen = self._unseen
        assert unseen is not None  # set by _read_rows, the only caller
        if not any(not is_blank(sheet.get(rr, cc)) for rr in below
                   for cc in unseen.value_columns):  # fmt: skip
            return
        self.problem(
            "extra_table",
            f"Ô {address(r, c)}: có bảng chỉ tiêu thứ hai bắt đầu từ dòng {r + 1}. Mỗi tệp chỉ "
            "có một bảng chỉ tiêu: hãy chuyển các dòng của bảng này vào bảng thứ nhất (hoặc "
            "xóa bảng thừa) rồi gửi lại.",
            sheet,
            address(r, c),
        )

    # --- task sheet ------------------------------------------------------------
    def _read_tasks(self, sheet: _Sheet, h: int) -> None:
        cols: dict[str, int] = {}
        for c, raw in enumerate(sheet.row(h)):
            role = _TASK_ROLES.get(_key(raw))
            if role is not None and role not in cols:
                cols[role] = c
        missing = [label for role, label in (("kind", "Loại"), ("status", "Kết quả"))
                   if role not in cols]  # fmt: skip
        if missing:
            names = " và ".join(f"“{m}”" for m in missing)
            self.problem(
                "missing_column",
                f"Bảng nhiệm vụ thiếu cột {names} ở dòng tiêu đề (dòng {h + 1}). Hãy thêm cột "
                "như trong biểu mẫu.",
                sheet,
                address(h, 0),
            )
            return
        task_no = 0
        for r in range(h + 1, sheet.height):
            row = sheet.row(r)
            first = next((raw for raw in row if not is_blank(raw)), None)
            if first is None:
                continue
            if isinstance(first, str) and is_footer(first):
                break
            task = self._task_row(sheet, r, cols)
            if task is not None:
                task_no += 1
                self.result.tasks.append(TaskItem(sheet.name, address(r, cols["text"]), r + 1,
                                                  task_no, *task))  # fmt: skip

    def _task_row(self, sheet: _Sheet, r: int, cols: dict[str, int]) -> tuple | None:
        field_text = {role: sheet.text(r, c) for role, c in cols.items()}
        stt, text = field_text.get("stt"), field_text.get("text")
        details = [field_text.get(k) for k in ("kind", "status", "lead", "deadline", "note")]
        if not any(details):
            if text is None:
                return None  # only a pre-filled row number
            if (stt is not None and _SECTION_NUMBER.fullmatch(stt)) or (
                stt is None and _SECTION_TEXT.match(text)
            ):
                return None  # a section heading such as "I. Nhiệm vụ chung"
        errors = 0

        def bad(role: str, message: str) -> None:
            nonlocal errors
            errors += 1
            cell = address(r, cols[role])
            self.problem("bad_task_row", f"Ô {cell}: {message}", sheet, cell)

        if text is None:
            bad("text", f"nhiệm vụ ở dòng {r + 1} chưa có nội dung. Hãy ghi nội dung nhiệm vụ "
                "hoặc xóa dòng này.")  # fmt: skip
        kind = _TASK_KINDS.get(_key(field_text["kind"]))
        if kind is None:
            shown = f"loại nhiệm vụ {_quote(field_text['kind'])} không hợp lệ" if field_text[
                "kind"] else "chưa ghi loại nhiệm vụ"  # fmt: skip
            bad("kind", f"{shown}. Hãy ghi “Chung” hoặc “Đăng ký”.")
        status = _TASK_STATUSES.get(_key(field_text["status"]))
        if status is None:
            shown = f"kết quả {_quote(field_text['status'])} không hợp lệ" if field_text[
                "status"] else "chưa ghi kết quả thực hiện"  # fmt: skip
            bad("status", f"{shown}. Hãy ghi một trong: “Hoàn thành”, “Đang thực hiện”, "
                "“Chưa thực hiện”.")  # fmt: skip
        lead = self.result.agency_code
        if lead_text := field_text.get("lead"):
            on = min(self.period.end_date, self.today) if self.period else self.today
            agency = self._match_agency(lead_text, on)
            if agency is None:
                bad("lead", f"đơn vị chủ trì {_quote(field_text['lead'])} không có trong danh "
                    "mục các cơ quan thành viên. Hãy ghi đúng tên đơn vị, hoặc để trống nếu "
                    "đơn vị báo cáo chủ trì.")  # fmt: skip
            else:
                lead = agency.code
        if errors:
            return None
        deadline, note = None, field_text.get("note")
        if "deadline" in cols and field_text["deadline"]:
            deadline = parse_date(sheet.get(r, cols["deadline"]))
            if deadline is None:  # "Thường xuyên", "Quý III": kept as text in the note
                extra = f"Thời hạn: {field_text['deadline']}"
                note = f"{extra}; {note}" if note else extra
        return text, kind, status, lead, deadline, note


@dataclass
class _Unseen:
    """What ``_note_unseen`` collects over the rows of one indicator table."""

    value_columns: list[int]
    merged: list
    unlabelled: dict[int, list[str]] = field(default_factory=dict)  # column -> cells
    hidden_rows: list[tuple[int, str]] = field(default_factory=list)  # (row, code)
    hidden_columns: dict[int, list[str]] = field(default_factory=dict)  # column -> cells
    merged_from: dict[int, list] = field(default_factory=dict)  # first row -> merged ranges

    def __post_init__(self) -> None:
        for (r1, c1), (r2, c2) in self.merged:
            if (r1, c1) != (r2, c2):
                self.merged_from.setdefault(r1, []).append(((r1, c1), (r2, c2)))


def _cell_list(cells: list[str], shown: int = 5) -> str:
    more = f" và {len(cells) - shown} ô khác" if len(cells) > shown else ""
    return ", ".join(cells[:shown]) + more


def _metadata_fields(sheet: _Sheet, header_row: int) -> dict[str, tuple]:
    """Each label found above the header: field -> (value, value cell, label cell)."""
    found: dict[str, tuple] = {}
    for r in range(header_row):
        row = sheet.row(r)
        for c, raw in enumerate(row):
            if not isinstance(raw, str) or not raw.strip():
                continue
            label, colon, after = raw.partition(":")
            key = _LABELS.get(_key(label)) if len(label) < HEADER_TEXT_MAX else None
            if key is None or key in found:
                continue
            value, where = None, address(r, c)
            if colon and after.strip():
                value = after.strip()
            else:
                for cc in range(c + 1, len(row)):
                    if not is_blank(row[cc]):
                        value, where = row[cc], address(r, cc)
                        break
            found[key] = (value, where, address(r, c))
    return found


def _find_header(sheet: _Sheet, needed: tuple[str, ...], roles: dict | None = None) -> int | None:
    """The first row within the search window having every ``needed`` header."""
    for r in range(min(HEADER_SEARCH_ROWS, len(sheet.rows))):
        row = sheet.rows[r]
        keys = {
            _fold_text(raw) for raw in row if isinstance(raw, str) and len(raw) < HEADER_TEXT_MAX
        }
        if roles is None:
            if all(n in keys for n in needed):
                return r
        else:
            found = {roles[k] for k in keys if k in roles}
            if all(roles[n] in found for n in needed):
                return r
    return None


def _unreadable_message(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "PasswordError":
        return "Tệp được đặt mật khẩu nên không đọc được. Hãy gỡ mật khẩu rồi gửi lại."
    return (
        "Tệp không phải là bảng tính Excel (.xlsx) hoặc đã bị hỏng. Hãy mở biểu mẫu bằng Excel, "
        "chọn Lưu thành (Save As) kiểu “Excel Workbook (*.xlsx)” rồi gửi lại."
    )
