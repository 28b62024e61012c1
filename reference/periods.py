"""Period codes in the DHIS2 style: ``201905``, ``2019Q2``, ``2019S1``, ``2019``, ``2016-2021``."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

_MONTH = re.compile(r"^(\d{4})(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_HALF = re.compile(r"^(\d{4})S([12])$")
_YEAR = re.compile(r"^(\d{4})$")
_PHASE = re.compile(r"^(\d{4})-(\d{4})$")
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


@dataclass(frozen=True)
class Period:
    code: str
    period_type: str  # month, quarter, half_year, year, phase
    start_date: date
    end_date: date
    year: int

    @property
    def label_vi(self) -> str:
        return period_label_vi(self)

    @property
    def key(self) -> int:
        """A surrogate key that depends on the code alone, so any load order gives the same.

        ``2019005`` (May), ``2019102`` (Q2), ``2019201`` (S1), ``2019300`` (year),
        ``20162021`` (phase 2016-2021).
        """
        y, month = self.year, self.start_date.month
        match self.period_type:
            case "month":
                return y * 1000 + month
            case "quarter":
                return y * 1000 + 100 + (month + 2) // 3
            case "half_year":
                return y * 1000 + 200 + (1 if month == 1 else 2)
            case "year":
                return y * 1000 + 300
            case _:
                return self.start_date.year * 10000 + self.end_date.year


def _month_end(year: int, month: int) -> date:
    first_next = date(year + (month == 12), month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def parse_period(code: str) -> Period:
    """Parse a period code; raise ``ValueError`` for anything else."""
    code = str(code).strip()
    if m := _MONTH.match(code):
        y, mo = int(m[1]), int(m[2])
        if not 1 <= mo <= 12:
            raise ValueError(f"bad month in period code {code!r}")
        return Period(code, "month", date(y, mo, 1), _month_end(y, mo), y)
    if m := _QUARTER.match(code):
        y, q = int(m[1]), int(m[2])
        return Period(code, "quarter", date(y, 3 * q - 2, 1), _month_end(y, 3 * q), y)
    if m := _HALF.match(code):
        y, h = int(m[1]), int(m[2])
        return Period(code, "half_year", date(y, 6 * h - 5, 1), _month_end(y, 6 * h), y)
    if m := _YEAR.match(code):
        y = int(m[1])
        return Period(code, "year", date(y, 1, 1), date(y, 12, 31), y)
    if m := _PHASE.match(code):
        y1, y2 = int(m[1]), int(m[2])
        if y2 < y1:
            raise ValueError(f"phase ends before it starts: {code!r}")
        return Period(code, "phase", date(y1, 1, 1), date(y2, 12, 31), y1)
    raise ValueError(f"not a period code: {code!r}")


def period_label_vi(period: Period) -> str:
    """The Vietnamese phrase for a period, as written on workbooks."""
    y = period.year
    match period.period_type:
        case "month":
            return f"Tháng {period.start_date.month:02d}/{y}"
        case "quarter":
            return f"Quý {_ROMAN[(period.start_date.month + 2) // 3]}/{y}"
        case "half_year":
            return f"6 tháng {'đầu' if period.start_date.month == 1 else 'cuối'} năm {y}"
        case "year":
            return f"Năm {y}"
        case _:
            return f"Giai đoạn {period.start_date.year}-{period.end_date.year}"


def children(code: str) -> dict[str, list[str]]:
    """Each way a period splits into finer periods, by the finer period type."""
    period = parse_period(code)
    y = period.year
    match period.period_type:
        case "year":
            return {
                "half_year": [f"{y}S1", f"{y}S2"],
                "quarter": [f"{y}Q{q}" for q in range(1, 5)],
                "month": [f"{y}{m:02d}" for m in range(1, 13)],
            }
        case "half_year":
            first = period.start_date.month
            quarters = [f"{y}Q{(first + 2) // 3 + i}" for i in range(2)]
            return {"quarter": quarters, "month": [f"{y}{m:02d}" for m in range(first, first + 6)]}
        case "quarter":
            first = period.start_date.month
            return {"month": [f"{y}{m:02d}" for m in range(first, first + 3)]}
        case _:
            return {}


def parents(code: str) -> list[str]:
    """Every coarser calendar period that contains this one (not phases)."""
    period = parse_period(code)
    y, month = period.year, period.start_date.month
    half, quarter = f"{y}S{1 if month <= 6 else 2}", f"{y}Q{(month + 2) // 3}"
    match period.period_type:
        case "month":
            return [quarter, half, str(y)]
        case "quarter":
            return [half, str(y)]
        case "half_year":
            return [str(y)]
        case _:
            return []


def same_period_last_year(code: str) -> str | None:
    period = parse_period(code)
    if period.period_type == "phase":
        return None
    return str(int(code[:4]) - 1) + code[4:]
