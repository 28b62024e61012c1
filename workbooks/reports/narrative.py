"""The draft review text, written from the figures the way the province's reports read.

Numbers are written the Vietnamese way (``45.000``, ``7.236,5``), never through
Excel's locale. Quantities that are estimates by nature (participants, money) get a
rounding word: ``gần 45.000`` when rounding went up, ``trên 5.100`` when it went down;
counts of things (conferences, gifts) stay exact. Phrases are built from the
catalogue's names and units, so a new indicator needs no code.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

import pandas as pd

from reference.periods import parse_period, same_period_last_year
from reference.text import fold, vn_number

if TYPE_CHECKING:
    from reference.model import ReviewData

BILLION_FROM = 10_000  # million VND from which money is written in "tỷ đồng"
TASK_KINDS_VI = {"chung": "nhiệm vụ chung", "dang_ky": "nhiệm vụ đăng ký"}
# Verbs the province's reports put before a count, by the unit counted (folded).
_VERBS = {"hoi nghi": "tổ chức", "buoi": "tổ chức", "cuoc": "tổ chức", "suat": "trao tặng"}

TITLE, HEADING, BODY, NOTE = "title", "heading", "body", "note"


@dataclass(frozen=True)
class Figure:
    """One indicator's figure as the narrative needs it."""

    name: str
    unit: str
    kind: str  # count or money
    group: str
    value: float


@dataclass(frozen=True)
class Paragraph:
    style: str  # TITLE, HEADING, BODY or NOTE
    text: str


# --- numbers -------------------------------------------------------------------------


def _round(value: float, step: Decimal) -> float:
    """Round half up to a multiple of ``step`` (Python's round() rounds half to even)."""
    steps = (Decimal(repr(float(value))) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return float(steps * step)


def round_words(value: float) -> str:
    """A value rounded to two significant digits with its word: ``gần 45.000``, ``trên 5.100``.

    Below 10 the value is written exactly (one decimal at most); a value that rounding
    does not change needs no word (``62.000``).
    """
    if value < 10:
        return vn_number(value, 1)
    digits = len(str(int(value)))
    rounded = _round(value, Decimal(10) ** (digits - 2))
    if math.isclose(rounded, value, abs_tol=1e-9):
        return vn_number(rounded, 0)
    word = "gần" if rounded > value else "trên"
    return f"{word} {vn_number(rounded, 0)}"


def money_words(million: float, approximate: bool = True) -> str:
    """Money in million VND: ``trên 5.100 triệu đồng``, or ``trên 12 tỷ đồng`` from 10 billion."""
    value, unit = (
        (million / 1000, "tỷ đồng") if million >= BILLION_FROM else (million, "triệu đồng")
    )
    amount = round_words(value) if approximate else vn_number(value, 1)
    return f"{amount} {unit}"


def is_approximate(unit: str, kind: str) -> bool:
    """Money and headcounts (``lượt người``) are estimates; other counts are exact."""
    return kind == "money" or fold(unit).startswith("luot")


def amount_words(value: float, unit: str, kind: str) -> str:
    """The number as the narrative writes it, with its rounding word if any."""
    if kind == "money":
        return money_words(value)
    return round_words(value) if is_approximate(unit, kind) else vn_number(value, 1)


def change_words(pct: float | None) -> str:
    """``tăng 1,5%``, ``giảm 0,4%``, ``bằng cùng kỳ``; empty when there is nothing to compare."""
    if pct is None or pd.isna(pct):
        return ""
    if round(pct, 1) == 0:
        return "bằng cùng kỳ"
    return f"{'tăng' if pct > 0 else 'giảm'} {vn_number(abs(pct), 1)}%"


def fraction_words(done: int, total: int) -> str:
    return f"{int(done)}/{int(total)}"


# --- phrases -------------------------------------------------------------------------


def _lower_first(text: str) -> str:
    """Lower the first letter of a name, keeping acronyms (``UBND``) as they are."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _count_phrase(fig: Figure) -> str:
    verb = _VERBS.get(fold(fig.unit))
    words = f"{amount_words(fig.value, fig.unit, fig.kind)} {_lower_first(fig.name)}"
    return f"{verb} {words}" if verb else words


def _single_phrase(fig: Figure) -> str:
    if fig.kind == "money":
        return f"{_lower_first(fig.name)} {money_words(fig.value)}"
    return _count_phrase(fig)


def _pair_phrase(fig: Figure, after: Figure) -> str | None:
    """Join a count with the figure that qualifies it (its participants or its value)."""
    if fig.kind != "count" or is_approximate(fig.unit, fig.kind) or fig.group != after.group:
        return None
    if after.kind == "money":
        return f"{_count_phrase(fig)}, trị giá {money_words(after.value)}"
    if fold(after.unit).startswith("luot"):
        people = amount_words(after.value, after.unit, after.kind)
        return f"{_count_phrase(fig)} cho {people} {after.unit}"
    return None


def indicator_phrases(figures: Sequence[Figure]) -> list[str]:
    """One phrase per figure, or per pair of figures that read as one (in catalogue order)."""
    shown = [f for f in figures if f.value and not pd.isna(f.value)]
    phrases, i = [], 0
    while i < len(shown):
        pair = _pair_phrase(shown[i], shown[i + 1]) if i + 1 < len(shown) else None
        phrases.append(pair or _single_phrase(shown[i]))
        i += 2 if pair else 1
    return phrases


def group_lines(figures: Sequence[Figure]) -> list[str]:
    """``- Tuyên truyền: tổ chức 163 hội nghị ... cho gần 45.000 lượt người.``, per group."""
    groups: dict[str, list[Figure]] = {}
    for fig in figures:
        groups.setdefault(fig.group, []).append(fig)
    lines = []
    for group, members in groups.items():
        phrases = indicator_phrases(members)
        if phrases:
            lines.append(f"- {group}: {'; '.join(phrases)}.")
    return lines


def figures_from(frame: pd.DataFrame, value_column: str) -> list[Figure]:
    """Figures from a frame with the catalogue columns, in catalogue order."""
    ordered = frame.sort_values("sort_order")
    return [
        Figure(r.indicator_name, r.unit, r.value_kind, r.indicator_group, float(r[value_column]))
        for _, r in ordered.iterrows()
        if not pd.isna(r[value_column])
    ]


# --- sections --------------------------------------------------------------------------


def last_year_label(period_code: str) -> str | None:
    """The label of the same period one year earlier, as the review tables compare."""
    last_year = same_period_last_year(period_code)
    return parse_period(last_year).label_vi if last_year else None


def territory_changed(totals: pd.DataFrame) -> bool:
    """True when the province's territory differs from the same period last year's.

    After the 2025 merger the province total covers a larger territory than before it;
    comparisons then use the old province's territory only (review_indicator_totals).
    """
    if "same_territory_as_last_year" not in totals.columns:
        return False
    known = totals[totals["same_period_last_year_value"].notna()]
    return not known.empty and not known["same_territory_as_last_year"].astype(bool).all()


# Said of a comparison made on the old province's territory only.
OLD_TERRITORY_VI = (
    "tính trên cùng địa bàn của tỉnh trước khi hợp nhất, không gồm số liệu thực hiện ở cấp tỉnh"
)


def comparison_line(totals: pd.DataFrame, period_code: str) -> str | None:
    """How many indicators rose or fell against the same period last year.

    Only comparable territory is compared: when the territory changed, the changes are
    those of the old province's territory, and the line says so.
    """
    changed = territory_changed(totals)
    column = "old_territory_change_pct" if changed else "change_pct"
    known = totals[totals[column].notna()].assign(change_pct=lambda f: f[column])
    if known.empty:
        return None
    up, down = known[known["change_pct"] > 0], known[known["change_pct"] < 0]
    same = len(known) - len(up) - len(down)
    label = last_year_label(period_code)
    text = f"So với cùng kỳ năm trước ({label})" if label else "So với cùng kỳ năm trước"
    if changed:
        text += f", {OLD_TERRITORY_VI}"
    text += f": {len(up)} chỉ tiêu tăng, {len(down)} chỉ tiêu giảm, {same} chỉ tiêu bằng cùng kỳ"
    extremes = []
    if not up.empty:
        top = up.loc[up["change_pct"].idxmax()]
        extremes.append(
            f"tăng nhiều nhất là {_lower_first(top.indicator_name)} "
            f"({change_words(top.change_pct)})"
        )
    if not down.empty:
        low = down.loc[down["change_pct"].idxmin()]
        extremes.append(
            f"giảm nhiều nhất là {_lower_first(low.indicator_name)} "
            f"({change_words(low.change_pct)})"
        )
    return text + ("; " + ", ".join(extremes) if extremes else "") + "."


def task_line(summary: pd.DataFrame) -> str | None:
    """``hoàn thành 6/9 nhiệm vụ chung, 24/37 nhiệm vụ đăng ký``."""
    if summary.empty:
        return None
    parts = [
        f"{fraction_words(r.tasks_completed, r.tasks_total)} "
        f"{TASK_KINDS_VI.get(r.task_kind, r.task_kind)}"
        for r in summary.itertuples()
    ]
    open_tasks = int(summary["tasks_total"].sum() - summary["tasks_completed"].sum())
    text = f"Các cơ quan thành viên đã hoàn thành {', '.join(parts)}"
    if open_tasks:
        text += f"; {open_tasks} nhiệm vụ còn lại đang tiếp tục triển khai thực hiện"
    return text + "."


def full_completion_line(agency_tasks: pd.DataFrame) -> str | None:
    """The agencies that completed every task they had."""
    if agency_tasks.empty:
        return None
    by_agency = agency_tasks.groupby(["agency_code", "short_name"], sort=False)[
        ["tasks_total", "tasks_completed"]
    ].sum()
    done = [name for (_, name), r in by_agency.iterrows() if r.tasks_completed == r.tasks_total]
    if not done:
        return None
    return f"Các đơn vị hoàn thành toàn bộ nhiệm vụ: {_join(done)}."


def completeness_lines(completeness: pd.DataFrame) -> list[str]:
    """Reporting rate: received, accepted and on time, naming who is missing or late."""
    if completeness.empty:
        return []
    expected, received = len(completeness), int(completeness["received"].sum())
    accepted, on_time = int(completeness["accepted"].sum()), int(completeness["on_time"].sum())
    lines = [
        f"{received}/{expected} cơ quan thành viên đã gửi báo cáo; {accepted} báo cáo được "
        f"chấp nhận, {on_time} báo cáo được chấp nhận đúng hạn."
    ]
    missing = completeness[~completeness["received"].astype(bool)]["short_name"].tolist()
    if missing:
        lines.append(f"Chưa gửi báo cáo: {_join(missing)}.")
    late = completeness[
        completeness["received"].astype(bool) & ~completeness["on_time"].astype(bool)
    ]["short_name"].tolist()
    if late:
        lines.append(f"Gửi chậm hoặc chưa có báo cáo hợp lệ đúng hạn: {_join(late)}.")
    return lines


def program_lines(program: pd.DataFrame) -> list[str]:
    """Per programme: what was done from the phase start to the end of the period."""
    lines = []
    for phase, rows in program.groupby("phase_code", sort=True):
        first = rows.iloc[0]
        phrases = indicator_phrases(figures_from(rows, "cumulative_value"))
        if not phrases:
            continue
        start = pd.Timestamp(first.start_date).strftime("%d/%m/%Y")
        lines.append(
            f"Thực hiện {first.program_name} (giai đoạn {phase}), từ ngày {start} đến hết "
            f"{_lower_first(first.as_of_label)}, kết quả: {'; '.join(phrases)}."
        )
    return lines


def _join(names: Iterable[str]) -> str:
    return ", ".join(str(n) for n in names)


def draft_review(data: ReviewData) -> list[Paragraph]:
    """The draft text of the review report, paragraph by paragraph."""
    out = [
        Paragraph(TITLE, "DỰ THẢO"),
        Paragraph(TITLE, "BÁO CÁO KẾT QUẢ THỰC HIỆN CHỈ TIÊU CÔNG TÁC DÂN VẬN"),
        Paragraph(TITLE, data.period_label.upper()),
        Paragraph(
            NOTE,
            "(Văn bản tự động tổng hợp từ số liệu các cơ quan thành viên đã báo cáo; "
            "đề nghị rà soát, bổ sung trước khi sử dụng.)",
        ),
        Paragraph(HEADING, "I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU"),
        Paragraph(
            BODY,
            f"Trong {_lower_first(data.period_label)}, các cơ quan thành viên đã triển khai "
            "thực hiện các chỉ tiêu công tác dân vận, đạt được những kết quả chủ yếu sau:",
        ),
    ]
    out += [Paragraph(BODY, line) for line in group_lines(figures_from(data.totals, "total_value"))]
    if line := comparison_line(data.totals, data.period_code):
        out.append(Paragraph(BODY, line))
    out.append(Paragraph(HEADING, "II. KẾT QUẢ THỰC HIỆN NHIỆM VỤ"))
    task_lines = [task_line(data.task_summary), full_completion_line(data.agency_tasks)]
    out += [Paragraph(BODY, t) for t in task_lines if t] or [
        Paragraph(BODY, "Chưa có cơ quan nào báo cáo kết quả thực hiện nhiệm vụ trong kỳ.")
    ]
    number = 3
    if lines := program_lines(data.program):
        out.append(Paragraph(HEADING, "III. THỰC HIỆN CHƯƠNG TRÌNH PHỐI HỢP"))
        out += [Paragraph(BODY, line) for line in lines]
        number += 1
    if lines := completeness_lines(data.completeness):
        out.append(Paragraph(HEADING, f"{'III' if number == 3 else 'IV'}. CHẾ ĐỘ BÁO CÁO"))
        out += [Paragraph(BODY, line) for line in lines]
    return out
