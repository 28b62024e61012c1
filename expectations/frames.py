"""The batch as DataFrames that the suites run on, one row id per cell."""

from collections.abc import Sequence

import numpy as np
import pandas as pd

from reference import Catalog
from reference.model import ParsedWorkbook, ValueCell

MONEY_TOLERANCE = 0.5  # million VND, submission-workbook.md section 4
COUNT_TOLERANCE = 1e-6


def long_frame(parsed: Sequence[ParsedWorkbook], catalog: Catalog) -> pd.DataFrame:
    """All value cells of the batch, with the derived columns the suites check."""
    rows = [(i, *values) for i, workbook in enumerate(parsed) for values in workbook.values]
    frame = pd.DataFrame(rows, columns=["file_index", *ValueCell._fields])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
    frame.insert(0, "row_id", np.arange(len(frame), dtype="int64"))
    kinds = {code: ind.value_kind for code, ind in catalog.indicators.items()}
    frame["value_kind"] = frame["indicator_code"].map(kinds)
    is_count = frame["value_kind"].eq("count")
    frame["count_fraction"] = (frame["value"] - frame["value"].round()).abs().where(is_count)
    # one string per cell from the rows themselves: four column concatenations cost 3 times more
    frame["slot"] = pd.Series(
        [
            f"{i}|{v.indicator_code}|{v.role}|{v.district_code or ''}"
            for i, workbook in enumerate(parsed)
            for v in workbook.values
        ],
        index=frame.index,
        dtype=frame["indicator_code"].dtype,
    )
    explained = {(i, row) for i, workbook in enumerate(parsed)
                 for row in workbook.unread_value_rows}  # fmt: skip
    frame["total_state"], frame["parts_sum"] = _total_states(frame, explained)
    frame["text_parts"] = _text_parts_skipped_by_sum(frame)
    return frame


def _text_parts_skipped_by_sum(frame: pd.DataFrame) -> pd.Series:
    """On mismatched totals: the cells of the row's numbers typed as text, when leaving
    them out gives the total (Excel's and LibreOffice's SUM skip text); None elsewhere."""
    out = pd.Series(None, index=frame.index, dtype=object)
    mismatched = frame[frame["total_state"].eq("mismatch")]
    if mismatched.empty:
        return out
    is_text = frame["raw"].map(lambda raw: isinstance(raw, str))
    text = frame[(frame["role"] != "total") & is_text & frame["value"].notna()]
    by_row = text.groupby(["file_index", "row"])
    cells, sums = by_row["cell"].agg(", ".join), by_row["value"].sum()
    for index, total in mismatched.iterrows():
        key = (total["file_index"], total["row"])
        if key not in cells.index:
            continue
        tolerance = MONEY_TOLERANCE if total["value_kind"] == "money" else COUNT_TOLERANCE
        if abs(total["parts_sum"] - sums[key] - total["value"]) <= tolerance:
            out[index] = cells[key]
    return out


def _total_states(frame: pd.DataFrame, explained: set) -> tuple[pd.Series, pd.Series]:
    """On total cells: the state (ok, mismatch, missing_total or no_parts) and the sum of
    the row's parts; None elsewhere.

    A total of 0 over empty parts is a row left blank (a template's ``=SUM`` of nothing),
    so it counts as not reported rather than as a total without parts. Rows in
    ``explained`` (file index, row) have a part reading already reported.
    """
    parts = frame[frame["role"] != "total"]
    unreadable_rows = explained | set(
        zip(
            frame.loc[frame["parse_rule"].notna(), "file_index"],
            frame.loc[frame["parse_rule"].notna(), "row"],
            strict=True,
        )
    )
    sums = parts.groupby(["file_index", "row"])["value"].agg(["sum", "count"])
    totals = frame[frame["role"] == "total"].join(sums, on=["file_index", "row"])
    tolerance = np.where(totals["value_kind"].eq("money"), MONEY_TOLERANCE, COUNT_TOLERANCE)
    has_parts = totals["count"].fillna(0) > 0
    has_total = totals["raw"].notna()
    state = np.select(
        [
            has_total & ~has_parts & totals["value"].fillna(1).ne(0),
            ~has_total & has_parts,
            has_total & has_parts & ((totals["value"] - totals["sum"]).abs() > tolerance),
        ],
        ["no_parts", "missing_total", "mismatch"],
        default="ok",
    )
    state = pd.Series(state, index=totals.index, dtype=object)
    skip = [
        (f, r) in unreadable_rows for f, r in zip(totals["file_index"], totals["row"], strict=True)
    ]
    state[skip] = "ok"  # the unreadable cell is the problem to report, not the total
    state[~has_total & ~has_parts] = "ok"
    return state.reindex(frame.index), totals["sum"].reindex(frame.index)


def rule_frame(frame: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """One row per file × district (and province level) with each rule's two sides.

    Each rule becomes ``a >= b``: ``left >= k·right`` as is, ``left <= k·right`` as
    ``k·right >= left``, and ``left > 0 ⇒ right > 0`` as ``[right > 0] >= [left > 0]``.
    """
    parts = frame[(frame["role"] != "total") & frame["value"].notna()]
    wide = parts.pivot_table(
        index=["file_index", "district_code"],
        columns="indicator_code",
        values="value",
        aggfunc="sum",
    )
    wide = wide.reset_index()
    wide.insert(0, "row_id", np.arange(len(wide), dtype="int64"))
    for rule in catalog.rules:
        left = wide.get(rule.left, pd.Series(np.nan, index=wide.index))
        right = wide.get(rule.right, pd.Series(np.nan, index=wide.index)) * rule.right_factor
        if rule.operator == ">=":
            a, b = left, right
        elif rule.operator == "<=":
            a, b = right, left
        else:  # left > 0 implies right > 0; an unreported right side counts as 0
            a = (right.fillna(0) > 0).astype("float64").where(left.notna())
            b = (left > 0).astype("float64").where(left.notna())
        wide[f"{rule.rule_id}_a"], wide[f"{rule.rule_id}_b"] = a, b
    return wide
