"""The feedback workbook an agency clerk gets back for a submission with problems.

It is the clerk's own workbook with every problem cell coloured (red: error, yellow:
warning) and commented in Vietnamese, behind a first sheet ``Kết quả kiểm tra`` that
lists every problem with a link to its cell. The clerk fixes the cells and sends the
file again, so a stale result sheet and our old marks from an earlier round are removed.
A source openpyxl cannot open safely (.xls, corrupt, encrypted, hostile) never makes
this fail: the workbook then holds the list alone and says why.
"""

from __future__ import annotations

import io
import logging
import math
import os
import unicodedata
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Protocol, cast

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.worksheet import Worksheet

from reference import load_catalog
from reference.model import ERROR, SEVERITY_VI, Problem
from workbooks.reading.limits import MAX_FILE_BYTES, Inspection, UnreadableFile, inspect_file
from workbooks.writing import feedback_patch
from workbooks.writing.feedback_patch import SheetInfo
from workbooks.writing.result_parts import Entry, Layout, Note, small_parts
from workbooks.writing.safe_cells import clean_text, write_text
from workbooks.writing.style import (
    BODY_SIZE,
    BOX,
    CENTER,
    FONT_NAME,
    WRAP_TOP,
    code_column_width,
    fit_row_heights,
    print_a4_landscape,
)
from workbooks.writing.writer import workbook_bytes

log = logging.getLogger(__name__)
RESULT_SHEET = "Kết quả kiểm tra"
AUTHOR = "chitieu"
ERROR_RGB, WARNING_RGB = "FFFF0000", "FFFFFF00"
VERDICTS = {
    "accepted": "Được chấp nhận",
    "rejected": "Bị từ chối — cần sửa và gửi lại",
    "superseded": "Được chấp nhận, sau đó được thay bằng báo cáo gửi sau",
    "duplicate": "Trùng với tệp đã gửi trước (không xử lý lại)",
}
HEADERS = ("STT", "Mức độ", "Quy tắc", "Sheet", "Ô", "Chỉ tiêu", "Huyện", "Nội dung")
# A4 landscape at >= 85 % whatever the clerk's default font (a width unit prints 6 pt
# with Times New Roman 12, 7 pt with Calibri 11); "Chỉ tiêu" grows to fit the codes.
WIDTHS = (5, 9, 18, 11, 6, 12, 12, 45)
_CODE_COLUMN = HEADERS.index("Chỉ tiêu") + 1
_LINK_COLUMN = HEADERS.index("Ô") + 1  # the problem's cell, linked to it
COMMENT_WIDTH = 360
UNKNOWN = "(không xác định được)"
HOW_TO_READ = (
    "Các ô có vấn đề trong bảng của đơn vị được tô đỏ (lỗi: phải sửa) hoặc tô vàng "
    "(cảnh báo: cần kiểm tra lại); di chuột vào ô để đọc nhận xét. Bấm vào địa chỉ ô "
    "trong cột “Ô” để chuyển đến ô đó. Sửa xong, xóa trang này rồi gửi lại tệp."
)
HOW_TO_READ_ACCEPTED = (
    "Báo cáo đã được chấp nhận, không cần gửi lại. Các ô cần kiểm tra lại được tô vàng; "
    "di chuột vào ô để đọc nhận xét, bấm vào địa chỉ ô trong cột “Ô” để chuyển đến ô đó. "
    "Lưu ý các cảnh báo này cho những kỳ báo cáo sau."
)
_KEPT = ("accepted", "superseded")  # verdicts of a file whose figures were loaded
NO_COPY = (
    "Không thể đánh dấu trực tiếp vào bảng của đơn vị vì tệp gốc không mở được: {reason} "
    "Hãy sửa theo danh sách dưới đây rồi gửi lại tệp."
)
MSG_NO_SOURCE = "Không có tệp gốc."
MSG_NOT_XLSX = "Tệp không ở định dạng Excel .xlsx (có thể là .xls, .xlsb hoặc .ods)."
MSG_CANNOT_OPEN = "Tệp bị hỏng hoặc có nội dung không đọc được."
MSG_CANNOT_COPY = "Không sao chép được nội dung bảng tính."
PREVIOUS_NOTE = "\n\n--- Ghi chú có sẵn của đơn vị ---\n"
_SPREADSHEET_SUFFIXES = (".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods", ".xml", ".csv")
SAVED_AT = datetime(2000, 1, 1)  # fixed document times: no clock in the output

_TEXT = Font(name=FONT_NAME, size=BODY_SIZE)
_BOLD = Font(name=FONT_NAME, size=BODY_SIZE, bold=True)
_TITLE = Font(name=FONT_NAME, size=14, bold=True)
_LINK = Font(name=FONT_NAME, size=BODY_SIZE, color="FF0563C1", underline="single")
_HEADER_FILL = PatternFill("solid", fgColor="FFD9E1F2")
_FILLS = {ERROR: PatternFill("solid", fgColor=ERROR_RGB)}
_WARNING_FILL = PatternFill("solid", fgColor=WARNING_RGB)
_TOP = Alignment(vertical="top")
_VALUE = Alignment(wrap_text=True, vertical="top", horizontal="left")
# openpyxl looks a style up in the workbook's list by hashing the whole object at every
# assignment (a third of writing the result sheet); _Styles looks each up once per sheet.
_STYLE_LISTS = {
    "font": ("_fonts", "fontId"),
    "alignment": ("_alignments", "alignmentId"),
    "border": ("_borders", "borderId"),
    "fill": ("_fills", "fillId"),
}


class _Styles:
    """``cell.font = ...`` and the like, with the same indices, each style looked up once."""

    def __init__(self, book: Workbook) -> None:
        self._book = book
        self._found: dict[tuple[str, int], tuple[object, int]] = {}  # keeps the style alive

    def apply(self, cell, **styles: object) -> None:
        if not cell._style:
            cell._style = StyleArray()
        for name, style in styles.items():
            collection, key = _STYLE_LISTS[name]
            known = self._found.get((name, id(style)))
            if known is None:
                known = (style, getattr(self._book, collection).add(style))
                self._found[name, id(style)] = known
            setattr(cell._style, key, known[1])


@dataclass
class _Target:
    """Where a problem points in the copied workbook."""

    title: str  # the marked sheet's
    coordinate: str  # the single cell that is marked
    location: str  # hyperlink location, e.g. 'Chỉ tiêu'!E12


def write_feedback(
    source: Path | None,
    target: Path,
    file_name: str,
    verdict: str,
    problems: Sequence[Problem],
    agency_name: str | None,
    period_label: str | None,
) -> Path:
    """Write the feedback workbook; return its path (always ``.xlsx``, macros dropped)."""
    target = _xlsx_name(Path(target))
    ordered = sorted(problems, key=lambda p: p.severity != ERROR)  # errors first, stable
    header = (file_name, verdict, agency_name, period_label)
    raw, reason = _read_source(source)
    data = _fast(raw, header, ordered) if raw is not None and _FAST else None
    PATHS["openpyxl" if data is None else "fast"] += 1
    book = None
    if data is None and raw is not None:
        book, reason = _load(raw.data)
    if book is not None:
        try:
            data = _on_copy(book, header, ordered)
        except Exception:  # an odd source openpyxl loads but cannot write back
            reason = MSG_CANNOT_COPY
    if data is None:
        data = _alone(header, ordered, reason or MSG_CANNOT_COPY)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(data)
    os.replace(partial, target)
    return target


@dataclass(frozen=True)
class FeedbackJob:
    """The arguments of one ``write_feedback`` call."""

    source: Path | None
    target: Path
    file_name: str
    verdict: str
    problems: Sequence[Problem]
    agency_name: str | None
    period_label: str | None


PARALLEL_FROM = 20  # below this, starting worker processes costs more than it saves


def _write_job(job: FeedbackJob) -> Path:
    return write_feedback(
        job.source,
        job.target,
        job.file_name,
        job.verdict,
        job.problems,
        job.agency_name,
        job.period_label,
    )


# What became of one job: the workbook written, or why it could not be.
Outcome = tuple[Path, None] | tuple[None, str]


def _write_one(job: FeedbackJob) -> Outcome:
    """``_write_job``, where a failure is this job's outcome, not the batch's."""
    try:
        return _write_job(job), None
    except Exception as error:  # noqa: BLE001 - this one file's feedback failed
        return None, f"{type(error).__name__}: {error}"


class FeedbackBatch:
    """Feedback workbooks being written while the caller goes on; ``outcomes`` waits.

    A large batch (thousands of late revisions, ~5 ms each) is written on every core by
    processes forked at once, so the caller can load the warehouse meanwhile; a small one
    is written before the constructor returns. Each job touches only its own files.
    """

    def __init__(self, jobs: Sequence[FeedbackJob], workers: int | None = None) -> None:
        self._jobs = list(jobs)
        self._pool: ProcessPoolExecutor | None = None
        self._outcomes: list[Outcome] | None = None
        workers = workers or os.cpu_count() or 1
        if len(self._jobs) < PARALLEL_FROM or workers == 1:
            self._outcomes = [_write_one(job) for job in self._jobs]
            return
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork"))
        self._pending = self._pool.map(_write_one, self._jobs, chunksize=16)

    def outcomes(self) -> list[Outcome]:
        """Each job's outcome, in order, once all are written. If a worker process died,
        the jobs are written again here, one by one (a rewrite gives the same file)."""
        if self._outcomes is None:
            assert self._pool is not None
            try:
                self._outcomes = list(self._pending)
            except Exception as error:  # noqa: BLE001 - e.g. BrokenProcessPool
                log.warning("feedback workers failed (%r); writing here", error)
                self._outcomes = [_write_one(job) for job in self._jobs]
            finally:
                self._pool.shutdown()
        return self._outcomes


def _xlsx_name(target: Path) -> Path:
    """``target`` named ``.xlsx``: a macro or legacy suffix is replaced, anything else kept."""
    suffix = target.suffix.lower()
    if suffix == ".xlsx":
        return target
    if suffix in _SPREADSHEET_SUFFIXES:
        return target.with_suffix(".xlsx")
    return target.with_name(target.name + ".xlsx")


# --- the source ------------------------------------------------------------------


def _read_source(source: Path | None) -> tuple[Inspection | None, str | None]:
    """The agency's .xlsx as the guards read it, or None and the reason (Vietnamese) it
    cannot be used.

    The file passes the same hostile-file guards as the reader before either path sees it.
    """
    if source is None:
        return None, MSG_NO_SOURCE
    try:
        with open(source, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        inspection = inspect_file(data)
    except UnreadableFile as exc:
        return None, str(exc)
    except OSError:
        return None, MSG_CANNOT_OPEN
    if inspection.kind != "xlsx":
        return None, MSG_NOT_XLSX
    return inspection, None


def _load(data: bytes) -> tuple[Workbook | None, str | None]:
    """The source loaded by openpyxl, or None and the reason it cannot be used."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "extension not supported" and the like
            book = load_workbook(io.BytesIO(data), keep_vba=False, rich_text=True)
    except Exception:
        return None, MSG_CANNOT_OPEN
    book.template = False  # an .xltx/.xlsm source is written back as a plain .xlsx
    return book, None


def _on_copy(book: Workbook, header: tuple, problems: Sequence[Problem]) -> bytes:
    if RESULT_SHEET in book.sheetnames:  # our sheet from an earlier round, sent back
        del book[RESULT_SHEET]
    for ws in book.worksheets:
        _remove_old_marks(ws)
        ws.sheet_view.tabSelected = False
    sheets = {name: book[name] for name in book.sheetnames}
    targets = [_target_of(sheets, p) for p in problems]
    _mark_cells(book, problems, targets)
    for sheet in book.worksheets:  # the clerk's sheets print on A4, one page wide
        print_a4_landscape(sheet)
    ws = book.create_sheet(RESULT_SHEET, 0)
    book.active = 0
    layout = _result_layout(header, problems, targets, _how_to_read(header[1], problems))
    _fill_result_sheet(ws, layout)
    return workbook_bytes(book, SAVED_AT)


def _how_to_read(verdict: str, problems: Sequence[Problem]) -> str:
    """An accepted file with warnings only is not asked to be fixed and sent again."""
    errors = any(p.severity == ERROR for p in problems)
    return HOW_TO_READ_ACCEPTED if verdict in _KEPT and not errors else HOW_TO_READ


def _alone(header: tuple, problems: Sequence[Problem], reason: str) -> bytes:
    book = Workbook()
    ws = book.active
    assert isinstance(ws, Worksheet)  # a new workbook's only sheet
    ws.title = RESULT_SHEET
    note = NO_COPY.format(reason=reason.rstrip())
    _fill_result_sheet(ws, _result_layout(header, problems, [None] * len(problems), note))
    return workbook_bytes(book, SAVED_AT)


def _remove_old_marks(ws: Worksheet) -> None:
    """Undo an earlier round's comments and colours, keeping the clerk's own notes."""
    for cell in list(ws._cells.values()):
        comment = cell.comment
        if comment is None or comment.author != AUTHOR:
            continue
        _, found, previous = comment.text.partition(PREVIOUS_NOTE)
        cell.comment = Comment(previous, comment.author) if found and previous else None
        if cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb in (ERROR_RGB, WARNING_RGB):
            cell.fill = PatternFill()


class _Shape(Protocol):
    """What ``_target_of`` reads of a sheet: an openpyxl worksheet or the fast path's."""

    title: str
    max_row: int
    max_column: int

    @property
    def merged_cells(self) -> MultiCellRange: ...


def _find_sheet(sheets: Mapping[str, object], name: str) -> _Shape | None:
    """The worksheet titled ``name`` (or so up to case and Unicode form); None for a chart
    sheet or no sheet."""
    found: object  # a worksheet, or a chart sheet (None in the fast path): not taken
    if name in sheets:
        found = sheets[name]
    else:
        wanted = unicodedata.normalize("NFC", name).casefold()
        found = next(
            (s for n, s in sheets.items() if unicodedata.normalize("NFC", n).casefold() == wanted),
            None,
        )
    return cast(_Shape, found) if isinstance(found, Worksheet | SheetInfo) else None


def _target_of(sheets: Mapping[str, object], problem: Problem) -> _Target | None:
    """The problem's cell in the copy, or None if it names no cell that exists there."""
    if not problem.sheet or not problem.cell or problem.sheet == RESULT_SHEET:
        return None
    ws = _find_sheet(sheets, problem.sheet)
    ref = problem.cell.replace("$", "").strip().upper()
    try:
        min_col, min_row, _, _ = range_boundaries(ref)
    except (ValueError, TypeError):
        return None
    if ws is None or min_col is None or min_row is None:
        return None
    if min_row > ws.max_row or min_col > ws.max_column:
        return None
    for merged in ws.merged_cells.ranges:  # only a merge's first cell holds a comment
        if (
            merged.min_col <= min_col <= merged.max_col
            and merged.min_row <= min_row <= merged.max_row
        ):
            min_col, min_row = merged.min_col, merged.min_row
            break
    coordinate = f"{get_column_letter(min_col)}{min_row}"
    return _Target(ws.title, coordinate, f"{quote_sheetname(ws.title)}!{ref}")


def _by_cell(
    problems: Sequence[Problem], targets: Sequence[_Target | None]
) -> dict[tuple[str, str], list[Problem]]:
    """(sheet title, cell) -> its problems: several problems on a cell share its marks."""
    found: dict[tuple[str, str], list[Problem]] = {}
    for problem, where in zip(problems, targets, strict=True):
        if where is not None:
            found.setdefault((where.title, where.coordinate), []).append(problem)
    return found


def _fill_of(found: Sequence[Problem]) -> PatternFill:
    """Red if any problem on the cell is an error (an error outranks a warning), else yellow."""
    return _FILLS[ERROR] if any(p.severity == ERROR for p in found) else _WARNING_FILL


def _comment_text(found: Sequence[Problem], previous: str | None) -> tuple[str, int]:
    """The text of a cell's comment (every problem on it, then the clerk's own note if
    it had one) and the comment's height."""
    text = "\n\n".join(f"{SEVERITY_VI.get(p.severity, p.severity)}: {p.message}" for p in found)
    if previous:
        text += PREVIOUS_NOTE + previous
    return clean_text(text), min(600, 60 + 18 * math.ceil(len(text) / 45))


def _comment_of(found: Sequence[Problem], previous: str | None) -> Comment:
    text, height = _comment_text(found, previous)
    comment = Comment(text, AUTHOR)
    comment.width, comment.height = COMMENT_WIDTH, height
    return comment


def _mark_cells(
    book: Workbook, problems: Sequence[Problem], targets: Sequence[_Target | None]
) -> None:
    """Colour each problem cell and comment it (the openpyxl path)."""
    for (title, coordinate), found in _by_cell(problems, targets).items():
        cell = book[title][coordinate]
        cell.fill = _fill_of(found)
        previous = cell.comment.text if cell.comment is not None else None
        cell.comment = _comment_of(found, previous)


# --- the fast path -----------------------------------------------------------------

_FAST = True  # tests switch it off to compare with the openpyxl path
PATHS = {"fast": 0, "openpyxl": 0}  # which path wrote each workbook, for tests


def _fast(source: Inspection, header: tuple, problems: Sequence[Problem]) -> bytes | None:
    """The feedback workbook patched into the source's XML, or None to use openpyxl.

    Any failure falls back: the fast path never fails where openpyxl would not.
    """
    try:
        package = feedback_patch.open_package(source.data, RESULT_SHEET, source.members)
        targets = [_target_of(package.sheets, p) for p in problems]
        marks = _by_cell(problems, targets)
        small = _small_workbook(header, problems, targets, marks)
        fills = {key: _fill_of(found) for key, found in marks.items()}
        out = feedback_patch.graft(package, small, fills, SAVED_AT)
    except Exception as error:  # noqa: BLE001 - openpyxl writes it instead
        log.debug("feedback fast path not taken: %s: %s", type(error).__name__, error)
        return None
    return out


def _small_workbook(
    header: tuple,
    problems: Sequence[Problem],
    targets: Sequence[_Target | None],
    marks: Mapping[tuple[str, str], Sequence[Problem]],
) -> dict[str, bytes]:
    """The result sheet, and the comments of each marked clerk sheet, as the parts of a
    small workbook (``result_parts``: as openpyxl would write them)."""
    layout = _result_layout(header, problems, targets, _how_to_read(header[1], problems))
    notes: dict[str, list[Note]] = {}
    for (title, coordinate), found in marks.items():
        text, height = _comment_text(found, None)
        notes.setdefault(title, []).append(Note(coordinate, text, AUTHOR, COMMENT_WIDTH, height))
    return small_parts(layout, notes)


# --- the result sheet --------------------------------------------------------------


def _result_layout(
    header: tuple,
    problems: Sequence[Problem],
    targets: Sequence[_Target | None],
    note: str,
) -> Layout:
    """The result sheet: a title, the file's details, then a table of its problems."""
    file_name, verdict, agency_name, period_label = header
    errors = sum(p.severity == ERROR for p in problems)
    layout = Layout(RESULT_SHEET)
    layout.entries.append(Entry(1, 1, "KẾT QUẢ KIỂM TRA BÁO CÁO", ({"font": _TITLE},)))
    layout.merges.append((1, 1, len(HEADERS)))
    pairs = (
        ("Tệp", file_name),
        ("Đơn vị báo cáo", agency_name or UNKNOWN),
        ("Kỳ báo cáo", period_label or UNKNOWN),
        ("Kết quả", VERDICTS.get(verdict, verdict)),
        ("Số lỗi", errors),
        ("Số cảnh báo", len(problems) - errors),
        ("Ghi chú", note),
    )
    for r, (label, value) in enumerate(pairs, start=3):
        font = _BOLD if label == "Kết quả" else _TEXT
        layout.entries.append(Entry(r, 1, f"{label}:", ({"font": _BOLD, "alignment": _TOP},)))
        layout.entries.append(Entry(r, 4, value, ({"font": font, "alignment": _VALUE},)))
        layout.merges += [(r, 1, 3), (r, 4, len(HEADERS))]
    first = 3 + len(pairs) + 1
    _table(layout, first, problems, targets)
    layout.widths = dict(enumerate(WIDTHS, start=1))
    codes = [HEADERS[_CODE_COLUMN - 1], *(p.indicator_code for p in problems if p.indicator_code)]
    layout.widths[_CODE_COLUMN] = max(layout.widths[_CODE_COLUMN], code_column_width(codes))
    layout.print_title_row = first
    return layout


def _table(
    layout: Layout, first: int, problems: Sequence[Problem], targets: Sequence[_Target | None]
) -> None:
    header = ({"font": _BOLD, "alignment": CENTER, "border": BOX, "fill": _HEADER_FILL},)
    layout.entries += [Entry(first, c, text, header) for c, text in enumerate(HEADERS, start=1)]
    body = ({"font": _TEXT, "alignment": WRAP_TOP, "border": BOX},)
    districts = _district_names()
    for number, (problem, where) in enumerate(zip(problems, targets, strict=True), start=1):
        values = (
            number,
            SEVERITY_VI.get(problem.severity, problem.severity),
            problem.rule,
            problem.sheet,
            problem.cell,
            problem.indicator_code,
            districts.get(problem.district_code or "", problem.district_code),
            problem.message,
        )
        for col, value in enumerate(values, start=1):
            linked = col == _LINK_COLUMN and where is not None
            looks = (*body, {"font": _LINK}) if linked else body
            location = where.location if linked and where is not None else None
            layout.entries.append(Entry(first + number, col, value, looks, location))
    if problems:
        layout.filter_ref = f"A{first}:{get_column_letter(len(HEADERS))}{first + len(problems)}"


def _fill_result_sheet(ws: Worksheet, layout: Layout) -> None:
    """``layout`` written into ``ws`` with openpyxl (the path that copies the workbook)."""
    book = ws.parent
    assert book is not None  # a worksheet of a workbook
    styles = _Styles(book)
    for entry in layout.entries:
        if isinstance(entry.value, int):
            cell = ws.cell(entry.row, entry.col, entry.value)
        else:
            cell = write_text(ws, entry.row, entry.col, entry.value)
        for look in entry.looks:
            styles.apply(cell, **look)
        if entry.link is not None:
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=entry.link)
    for row, first, last in layout.merges:
        _merge(ws, row, first, last)
    for col, width in layout.widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    print_a4_landscape(ws)
    if layout.print_title_row is not None:
        ws.print_title_rows = f"{layout.print_title_row}:{layout.print_title_row}"
    if layout.filter_ref is not None:
        ws.auto_filter.ref = layout.filter_ref
    fit_row_heights(ws)


def _merge(ws: Worksheet, row: int, first: int, last: int) -> None:
    """Merge columns ``first``-``last`` of ``row`` on the new result sheet.

    ``ws.merge_cells`` also turns every other cell of the range into a MergedCell and
    redraws the range's borders: a third of filling the sheet, and nothing to do on a
    fresh sheet whose merged cells are empty and unbordered.
    """
    coord = f"{get_column_letter(first)}{row}:{get_column_letter(last)}{row}"
    ws.merged_cells.add(MergedCellRange(ws, coord))


def _district_names() -> dict[str, str]:
    """District code -> name, as the clerk wrote it in the column header ("Yên Mô")."""
    return {d.code: d.name for d in load_catalog().districts}
