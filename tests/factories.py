"""Build real submission workbooks for tests with the project's own writer."""

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from orchestration.sample.layouts import sample_layout
from reference import load_catalog
from reference.periods import parse_period
from workbooks.writing.writer import (
    IndicatorRow,
    SubmissionLayout,
    TaskRow,
    build_workbook,
    workbook_bytes,
)

GIA_VIEN, KIM_SON = "373", "376"


def indicator_row(code: str, values: dict, **extra) -> IndicatorRow:
    indicator = load_catalog().indicators.get(code)
    name = indicator.name if indicator else "Chỉ tiêu lạ"
    unit = extra.pop("unit", indicator.unit if indicator else "cái")
    return IndicatorRow(code, name, unit, district_values=values, **extra)


def clean_rows() -> list[IndicatorRow]:
    """A small valid table: two districts, rules satisfied."""
    return [
        indicator_row("TT_HOI_NGHI", {GIA_VIEN: 3, KIM_SON: 2}),
        indicator_row("TT_LUOT_NGUOI", {GIA_VIEN: 250, KIM_SON: 180}),
        indicator_row("ASXH_QUA", {GIA_VIEN: 40, KIM_SON: 25}),
        indicator_row("ASXH_QUA_GIA_TRI", {GIA_VIEN: 20, KIM_SON: 12.5}),
    ]


def make_submission(
    path: Path,
    agency: str = "Bộ Chỉ huy Quân sự tỉnh",
    period: str = "2019S1",
    rows: list[IndicatorRow] | None = None,
    tasks: list[TaskRow] | None = None,
    **layout,
) -> Path:
    """Write a submission; ``period`` is a code, written as its Vietnamese phrase."""
    parsed = parse_period(period)
    options = {"total_formula": False, "districts": load_catalog().districts_for(parsed), **layout}
    spec = sample_layout(agency_text=agency, period_text=parsed.label_vi, **options)
    return write_submission(path, clean_rows() if rows is None else rows, tasks, spec)


def write_submission(
    path: Path,
    rows: Sequence[IndicatorRow],
    tasks: Sequence[TaskRow] | None,
    layout: SubmissionLayout,
) -> Path:
    """Write one submission workbook to ``path``; same input, same bytes (document times
    from the report date, 08:00)."""
    day = layout.report_date or date(2000, 1, 1)
    wb = build_workbook(rows, tasks, layout)
    path = Path(path)
    path.write_bytes(workbook_bytes(wb, datetime(day.year, day.month, day.day, 8, 0, 0)))
    return path
