"""The domain model every layer shares: what arrives, what reading and validation find,
what a submission's status is, and the figures of a review.

Plain Python only (no pandas, openpyxl or duckdb at import time), so that reading,
validation, the warehouse and the reports can all speak of the same objects.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import pandas as pd

_UNSAFE = re.compile(r"[^\w.-]+")  # \w: letters and digits of any script, and "_"
_MAX_NAME_BYTES = 200  # file systems allow 255 bytes; room for the hash prefix and .xlsx

ERROR, WARNING = "error", "warning"
SEVERITY_VI = {ERROR: "Lỗi", WARNING: "Cảnh báo"}  # as clerks read them


class ValueCell(NamedTuple):
    """One value cell of the indicator table, as read.

    Total cells are always emitted (raw/value None when empty) so that validation can
    compare them with their parts; district and province cells only when non-empty
    ("empty is not reported"). Both layouts give the same rows.
    """

    sheet: str  # worksheet name as in the file
    cell: str  # A1 address, e.g. "E12"
    row: int  # the indicator's line: 1-based sheet row; in the long layout its sheet column
    indicator_code: str  # code as written, stripped and upper-cased
    indicator_name: str | None  # name as written
    role: str  # "district", "province" or "total"
    district_code: str | None  # GSO code; province code for "province"; None for "total"
    raw: object  # the cell as read (number or text), None when empty
    value: float | None  # in the indicator's own unit, None if empty or unreadable
    parse_rule: str | None  # None, or not_a_number / ambiguous_number / formula_without_value
    unit: str | None  # the row's unit text as written
    note: str | None  # the row's Ghi chú


class TaskItem(NamedTuple):
    """One row of the task sheet, as read."""

    sheet: str
    cell: str  # the task text cell
    row: int
    task_no: int  # 1-based order of the task in the sheet
    task_name: str
    task_kind: str | None  # "chung" or "dang_ky"
    status: str | None  # "hoan_thanh", "dang_thuc_hien" or "chua_thuc_hien"
    lead_agency_code: str | None  # resolved Đơn vị chủ trì, or the submitting agency
    deadline: date | None
    note: str | None


# A value in force in the warehouse, as the rules that compare a file with the past read
# it: (agency_code, district_code, indicator_code, period_code, value). Plain tuples, not
# a frame: the run's process fetches them without importing pandas, and they cross to the
# validation worker as cheaply as a frame would.
ValueInForce = tuple[str, str, str, str, float]

# The columns of a problem as the warehouse (dq_issue) and `chitieu check --json` show it.
ISSUE_FIELDS = ("severity", "rule", "sheet", "cell", "indicator_code", "district_code", "message")


@dataclass
class Problem:
    severity: str  # ERROR or WARNING
    rule: str  # identifier of submission-workbook.md section 8
    message: str  # Vietnamese, for an agency clerk
    sheet: str | None = None
    cell: str | None = None
    indicator_code: str | None = None
    district_code: str | None = None


@dataclass
class ParsedWorkbook:
    """A submission as read, before validation; ``problems`` holds the reading problems."""

    file_name: str
    agency_code: str | None = None
    period_code: str | None = None
    report_date: date | None = None
    email: str | None = None
    values: list[ValueCell] = field(default_factory=list)
    tasks: list[TaskItem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    code_column: str | None = None  # column letter of "Mã chỉ tiêu", for row-level problems
    # Rows with a value in a column that reading already reported as unusable (an unknown
    # district): their total cannot match the parts read, and saying so would repeat it.
    unread_value_rows: set[int] = field(default_factory=set)

    @property
    def has_errors(self) -> bool:
        return any(p.severity == ERROR for p in self.problems)

    def value_content(self) -> tuple:
        """All that validating the values reads of this workbook, but the catalogue.

        Made of immutable parts, so a copy taken earlier compares equal only as long as
        the workbook's values are unchanged (a pass over references, not over cells).
        """
        return tuple(self.values), frozenset(self.unread_value_rows)

    def content(self) -> tuple:
        """``value_content`` for every field: equal to a copy taken earlier only as long as
        nothing of the workbook changed (problems are compared by their fields)."""
        return tuple(_frozen(value) for value in vars(self).values())

    # A batch crosses processes twice (readers -> run -> validation worker). Pickled as
    # namedtuples, each cell costs a Python call on both sides; as plain tuples the same
    # 132,000 cells of 1,000 files pickle in a third of the time and unpickle in half.
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["values"] = list(map(tuple, self.values))
        state["tasks"] = list(map(tuple, self.tasks))
        return state

    def __setstate__(self, state: dict) -> None:
        state["values"] = list(map(ValueCell._make, state["values"]))
        state["tasks"] = list(map(TaskItem._make, state["tasks"]))
        self.__dict__.update(state)


def _frozen(value: object) -> object:
    if isinstance(value, list):
        return tuple(tuple(vars(v).values()) if isinstance(v, Problem) else v for v in value)
    if isinstance(value, set):
        return frozenset(value)
    return value


MAX_DETAIL = 300  # characters of an exception kept in a message


def processing_problem(stage_vi: str, error: BaseException | str) -> Problem:
    """``processing_error``: something went wrong with this one file; it alone is refused.

    ``stage_vi`` completes "Hệ thống gặp lỗi khi ... tệp này", e.g. "kiểm tra".
    """
    detail = (error if isinstance(error, str) else f"{type(error).__name__}: {error}")[:MAX_DETAIL]
    return Problem(
        ERROR,
        "processing_error",
        f"Hệ thống gặp lỗi khi {stage_vi} tệp này nên chưa nhận được báo cáo; cán bộ tổng hợp "
        "đã được báo để xử lý. Các tệp khác vẫn được nhận bình thường. Nếu cần, hãy gửi lại "
        f"tệp. (Chi tiết kỹ thuật: {detail})",
    )


@dataclass(frozen=True)
class Arrival:
    """One file as it arrived, fingerprinted and archived from the same single read.

    ``file_mtime`` is the file's own modification time; ``received_at`` its place in the
    received order (see ``warehouse.load.triage_arrivals``): the mtime, unless that is not
    after what the warehouse already received. A file that could not be opened has no
    ``sha256`` and an ``unreadable`` reason, and is never archived nor removed.
    """

    file_name: str  # relative to the inbox, "/"-separated (files of subfolders too)
    inbox_path: str
    sha256: str | None
    file_mtime: datetime  # local, naive
    size: int
    mtime_ns: int = 0
    inode: int = 0
    unreadable: str | None = None  # why the file could not be read (English, for logs)
    received_at: datetime | None = None  # set by triage; file_mtime until then

    def __post_init__(self) -> None:
        if self.received_at is None:
            object.__setattr__(self, "received_at", self.file_mtime)

    @property
    def archive_name(self) -> str | None:
        if self.sha256 is None:
            return None
        return f"{self.sha256[:16]}_{safe_name(self.file_name)}"

    @property
    def key(self) -> str:
        """What alerts and feedback are keyed by: the bytes, or the unreadable entry."""
        return self.sha256 or f"unreadable:{self.file_name}:{self.mtime_ns}"


def safe_name(name: str) -> str:
    """A file name without folders, spaces, control or shell-hostile characters.

    Vietnamese letters stay ("Báo_cáo_HND.xlsx"): the clerk must recognise the file.
    The name is NFC (one code point per letter, as typed on Windows) and at most
    ``_MAX_NAME_BYTES`` of UTF-8, cut before the suffix so the suffix is kept.
    """
    base = Path(unicodedata.normalize("NFC", name).replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).strip("._") or "file"
    stem, dot, suffix = cleaned.rpartition(".")
    if not dot or len(suffix) > 10:
        stem, suffix = cleaned, ""
    room = _MAX_NAME_BYTES - len(suffix.encode()) - len(dot)
    stem = stem.encode()[:room].decode(errors="ignore")
    return f"{stem}{dot}{suffix}" if suffix else stem


ACCEPTED, REJECTED, SUPERSEDED, DUPLICATE = "accepted", "rejected", "superseded", "duplicate"
STATUSES = (ACCEPTED, REJECTED, SUPERSEDED, DUPLICATE)  # every status of etl_submission


def verdict(problems: Iterable[Problem]) -> str:
    """How a file that was read ends: rejected when any problem is an error."""
    return REJECTED if any(p.severity == ERROR for p in problems) else ACCEPTED


@dataclass
class Submission:
    """A file of this refresh with what reading and validation found."""

    arrival: Arrival
    parsed: ParsedWorkbook | None  # None for a duplicate: never read
    problems: list[Problem] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.parsed is None:
            return DUPLICATE
        return verdict(self.problems)

    @property
    def error_count(self) -> int:
        return sum(p.severity == ERROR for p in self.problems)

    @property
    def warning_count(self) -> int:
        return sum(p.severity == WARNING for p in self.problems)


def _empty_frame() -> pd.DataFrame:
    import pandas as pd  # only when a ReviewData is made without it

    return pd.DataFrame()


@dataclass
class ReviewData:
    """The figures of one period, as the review workbook shows them.

    Frames hold the columns of ``warehouse/sql/report/<name>.sql``.
    """

    period_code: str
    period_label: str  # "6 tháng đầu năm 2019"
    totals: pd.DataFrame
    districts: pd.DataFrame
    agency_tasks: pd.DataFrame
    task_summary: pd.DataFrame
    completeness: pd.DataFrame
    program: pd.DataFrame
    # review_former_district_indicator of the period: the old territory, by former district
    former_districts: pd.DataFrame = field(default_factory=_empty_frame)
