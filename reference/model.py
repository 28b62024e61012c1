"""What reading a submission produces: values and tasks as long rows, each with its cell."""

from dataclasses import dataclass, field
from datetime import date

ERROR, WARNING = "error", "warning"
SEVERITY_VI = {ERROR: "Lỗi", WARNING: "Cảnh báo"}  # as clerks read them

# One row per value cell of the indicator table. Total cells are always emitted
# (raw/value None when empty) so that validation can compare them with their parts;
# district and province cells only when non-empty ("empty is not reported").
VALUE_COLUMNS = (
    "sheet",  # worksheet name as in the file
    "cell",  # A1 address, e.g. "E12"
    "row",  # the indicator's line: 1-based sheet row; in the long layout its sheet column
    "indicator_code",  # code as written, stripped and upper-cased
    "indicator_name",  # name as written, or None
    "role",  # "district", "province" or "total"
    "district_code",  # GSO code; province code for "province"; None for "total"
    "raw",  # the cell as read (number or text), None when empty
    "value",  # float in the indicator's own unit, None if empty or unreadable
    "parse_rule",  # None, or not_a_number / ambiguous_number / formula_without_value
    "unit",  # the row's unit text as written, or None
    "note",  # the row's Ghi chú, or None
)

TASK_COLUMNS = (
    "sheet",
    "cell",  # the task text cell
    "row",
    "task_no",  # 1-based order of the task in the sheet
    "task_name",
    "task_kind",  # "chung" or "dang_ky"
    "status",  # "hoan_thanh", "dang_thuc_hien" or "chua_thuc_hien"
    "lead_agency_code",  # resolved Đơn vị chủ trì, or the submitting agency
    "deadline",  # date or None
    "note",
)


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
    values: list[tuple] = field(default_factory=list)  # rows shaped as VALUE_COLUMNS
    tasks: list[tuple] = field(default_factory=list)  # rows shaped as TASK_COLUMNS
    problems: list[Problem] = field(default_factory=list)
    code_column: str | None = None  # column letter of "Mã chỉ tiêu", for row-level problems
    # Rows with a value in a column that reading already reported as unusable (an unknown
    # district): their total cannot match the parts read, and saying so would repeat it.
    unread_value_rows: set[int] = field(default_factory=set)

    @property
    def has_errors(self) -> bool:
        return any(p.severity == ERROR for p in self.problems)


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
