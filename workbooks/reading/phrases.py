"""Vietnamese phrases on submissions: reporting periods, dates, footer lines."""

import re
from datetime import date, datetime, timedelta

from reference.periods import parse_period
from reference.text import fold

ACCEPTED_PERIOD_FORMS_VI = (
    "“Tháng 5/2019”, “Quý II/2019”, “6 tháng đầu năm 2019”, “6 tháng cuối năm 2019”, "
    "“Năm 2019”, “Giai đoạn 2016-2021”"
)

_SEP = r"\s*(?:/|-|\bnam\b)\s*"  # "5/2019", "5 - 2019", "05 năm 2019"
_MONTH = re.compile(rf"thang (\d{{1,2}}){_SEP}(\d{{4}})")
_QUARTER = re.compile(rf"quy (iv|iii|ii|i|0?[1-4]){_SEP}(\d{{4}})")
_HALF = re.compile(r"0?6 thang (?:(dau|cuoi) )?(?:nam\s*|/\s*)(\d{4})")
# "Sơ kết 6 tháng đầu năm 2019", "Báo cáo tổng kết năm 2019": words a title puts first.
_LEADING_WORDS = re.compile(r"^(?:(?:bao cao|so ket|tong ket|ket qua)\s+)+")
_YEAR = re.compile(r"nam (\d{4})")
_PHASE = re.compile(r"giai doan (\d{4})\s*[-–—]\s*(\d{4})")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}

_DMY = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})")
_LONG_DATE = re.compile(r"ngay (\d{1,2}) thang (\d{1,2}) nam (\d{4})")
_EXCEL_EPOCH = date(1899, 12, 30)

_FOOTER_STARTS = ("nguoi lap bieu", "thu truong don vi", "ghi chu:", "noi nhan")
# "Ninh Bình, ngày 20 tháng 6 năm 2019" or "ngày ... tháng ... năm ..." on its own.
_DATE_LINE = re.compile(r"(?:[^,]{1,60},\s*)?ngay\s*[\d.…]*\s*thang\s*[\d.…]*\s*nam\b")


def parse_period_phrase(text: object) -> str | None:
    """The period code of a Vietnamese period phrase, or None when it is not one."""
    key = fold(text).replace("–", "-").replace("—", "-").rstrip(". ")
    key = _LEADING_WORDS.sub("", key)
    code = None
    if m := _MONTH.fullmatch(key):
        month = int(m[1])
        code = f"{m[2]}{month:02d}" if 1 <= month <= 12 else None
    elif m := _QUARTER.fullmatch(key):
        quarter = _ROMAN.get(m[1]) or int(m[1])  # "II", "2" or "02"
        code = f"{m[2]}Q{quarter}"
    elif m := _HALF.fullmatch(key):
        code = f"{m[2]}S{2 if m[1] == 'cuoi' else 1}"
    elif m := _YEAR.fullmatch(key):
        code = m[1]
    elif m := _PHASE.fullmatch(key):
        code = f"{m[1]}-{m[2]}"
    if code is None:
        return None
    try:
        parse_period(code)
    except ValueError:
        return None
    return code


def parse_date(value: object) -> date | None:
    """A date from an Excel date or serial, ``dd/mm/yyyy`` or ``ngày 20 tháng 6 năm 2019``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        if 1 <= value < 2958466:
            return _EXCEL_EPOCH + timedelta(days=int(value))
        return None
    key = fold(value)
    m = _DMY.fullmatch(key) or _LONG_DATE.search(key)
    if not m:
        return None
    try:
        return date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        return None


def is_footer(text: object) -> bool:
    """True for the first non-empty cell of a row that ends a table."""
    key = fold(text)
    if not key:
        return False
    if key == "ghi chu" and str(text).strip().endswith(":"):
        return True
    return key.startswith(_FOOTER_STARTS) or bool(_DATE_LINE.match(key))
